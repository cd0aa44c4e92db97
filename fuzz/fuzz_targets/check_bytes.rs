//! `cloudhall check` on arbitrary bytes: the first byte picks which file of the small test tour
//! (tests/fixtures/good) they replace, the rest are its contents. Any outcome but a panic or a
//! hang is fine: the loader must turn every input into a tour or into diagnostics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, contents)) = data.split_first() else { return };
    cloudhall_fuzz_support::check_with(&cloudhall_fuzz_support::FIXTURE, which, contents);
});

#[path = "../support.rs"]
mod cloudhall_fuzz_support;
