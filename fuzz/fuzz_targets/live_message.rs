//! The live-session message parser on arbitrary text: every message a browser can send must be
//! parsed or refused with a code and a reason, never panic; what parses must say its kind.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match cloudhall::live::parse_client(text) {
        Ok(msg) => assert!(!msg.kind().is_empty()),
        Err((code, reason)) => assert!(!code.is_empty() && !reason.is_empty()),
    }
});
