//! kshell's command layer: parsing command lines, expanding globbed paths,
//! running commands against the tree, and the interactive loop.

pub mod exec;
pub mod glob;
pub mod parse;
pub mod repl;

pub use exec::{Context, Flow, Shell};
pub use parse::{Command, ParseError, parse_command, parse_words};
