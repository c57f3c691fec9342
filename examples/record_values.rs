//! Writes the value of every record in the given files to its own file in
//! a directory: the seed corpus of the `metadata_value` fuzz target.
//!
//! cargo run --example record_values -- OUT_DIR FILE...

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use kraftlog::batch::Mode;
use kraftlog::stream::{self, Decoder, Item, ReadOptions};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let Some(out_dir) = args.next() else {
        eprintln!("usage: record_values OUT_DIR FILE...");
        std::process::exit(2);
    };
    std::fs::create_dir_all(&out_dir)?;
    let options = ReadOptions {
        mode: Mode::Recover,
        decoder: Decoder::Raw,
        max_bytes: None,
    };
    let mut written = 0usize;
    for file in args {
        let mut values = Vec::new();
        stream::read_file(&file, options, |item| {
            if let Item::Record(record) = item
                && let Some(value) = record.record.value
            {
                values.push(value.to_vec());
            }
            ControlFlow::Continue(())
        })?;
        for value in values {
            // Name by content so that repeated values are stored once.
            let name = format!("{:08x}", crc32c::crc32c(&value));
            std::fs::write(Path::new(&out_dir).join(name), value)?;
            written += 1;
        }
    }
    eprintln!("{written} values written to {}", out_dir.display());
    Ok(())
}
