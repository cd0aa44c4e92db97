//! `cloudhall import krpano` on arbitrary bytes as a krpano tour (XML), beside a real panorama, cube faces
//! and a tile: every input must become a site or a reason, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (path, tour) = import_support::input("tour.xml", data);
    import_support::judge(cloudhall::import::krpano::read(&path, "fuzzed", tour));
});

#[path = "../import_support.rs"]
mod import_support;
