//! `cloudhall check` on mutated bundled scene files: the first byte picks one of the bundled
//! tour's files (scenes/), the rest replace it, and the whole tour is loaded and validated
//! against the bundled assets. The seed corpus is the bundled files themselves.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, contents)) = data.split_first() else { return };
    cloudhall_fuzz_support::check_with(&cloudhall_fuzz_support::BUNDLED, which, contents);
});

#[path = "../support.rs"]
mod cloudhall_fuzz_support;
