//! The metadata record value decoder (frame + schema table) and the control
//! record decoders over arbitrary bytes.
#![no_main]

use kraftlog::hostile::decode_value;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| decode_value(data));
