//! kshell's command parser over arbitrary text. Built only with
//! `--features shell`: the parser (`kraftlog::shell::parse_command`) comes
//! from the kshell branch.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        let _ = kraftlog::shell::parse_command(line);
    }
});
