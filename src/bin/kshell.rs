//! kshell: browse the metadata image a KRaft log describes, like
//! `kafka-metadata-shell.sh`.
//!
//! `kshell --snapshot PATH [COMMAND…]` loads PATH (a segment, a snapshot, a
//! `bootstrap.checkpoint`, or a log directory) and runs COMMAND, or starts
//! an interactive shell when there is none.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use kraftlog::error;
use kraftlog::image::MetadataImage;
use kraftlog::image::load::{Loader, input_bytes};
use kraftlog::shell::repl::{self, Lines, Terminal};
use kraftlog::shell::{Context, Flow, Shell, parse_words};
use kraftlog::tree::Node;

#[derive(Parser, Debug)]
#[command(
    name = "kshell",
    version,
    about = "Browse the metadata of a Kafka KRaft log, like kafka-metadata-shell.sh",
    after_help = "Examples:\n  kshell -s /var/lib/kafka/__cluster_metadata-0 tree /image/topics/byName/orders\n  kshell -s 00000000000000000052-0000000001.checkpoint -s 00000000000000000052.log ls /image/cluster\n  kshell -s /var/lib/kafka            # interactive: ls, cd, cat, tree, find, help…"
)]
struct Args {
    /// A segment (.log), snapshot (.checkpoint), bootstrap.checkpoint, or a
    /// log directory; give it more than once to replay files in order.
    #[arg(short = 's', long = "snapshot", value_name = "PATH", required = true)]
    snapshots: Vec<PathBuf>,

    /// A command to run instead of the interactive shell.
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    command: Vec<String>,
}

fn main() -> ExitCode {
    error::exit("kshell", run(Args::parse()))
}

fn run(args: Args) -> io::Result<ExitCode> {
    let mut loader = Loader::new();
    let bar = io::stderr().is_terminal();
    if bar {
        loader.show_progress(args.snapshots.iter().map(|p| input_bytes(p)).sum());
    }
    let mut report = |note| {
        if bar {
            // Erase the progress bar's line, if one is drawn.
            eprint!("\r\x1b[K");
        }
        eprintln!("kshell: {note}")
    };
    for path in &args.snapshots {
        if let Err(e) = loader.load_path(path, &mut report) {
            eprintln!("kshell: {}: {e}", path.display());
            return Ok(ExitCode::from(error::EXIT_ERROR));
        }
    }
    // Leaked: the image lives until the process exits, and freeing a large
    // log's maps one by one on the way out would only cost time.
    let image: &'static MetadataImage = Box::leak(Box::new(loader.finish(&mut report)));
    let mut shell = Shell::new(Node::root(image));
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());

    if !args.command.is_empty() {
        let command = match parse_words(&args.command) {
            Ok(command) => command,
            Err(e) => {
                writeln!(out, "{e}")?;
                out.flush()?;
                return Ok(ExitCode::SUCCESS);
            }
        };
        let flow = shell.run(&command, &Context::default(), &mut out)?;
        out.flush()?;
        return Ok(match flow {
            Flow::Failed(message) => {
                eprintln!("kshell: {message}");
                ExitCode::from(1)
            }
            _ => ExitCode::SUCCESS,
        });
    }

    if io::stdin().is_terminal() {
        writeln!(
            out,
            "[ kshell {}: Kafka Metadata Shell ]",
            kraftlog::tree::VERSION
        )?;
        out.flush()?;
        let mut terminal = Terminal::new(shell.root()).map_err(io::Error::other)?;
        repl::run_loop(&mut shell, &mut terminal, &mut out)?;
    } else {
        let mut lines = Lines::new(io::stdin().lock());
        repl::run_loop(&mut shell, &mut lines, &mut out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
