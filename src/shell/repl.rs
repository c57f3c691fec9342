//! The interactive shell: a read-run loop over any [`LineSource`] (a
//! rustyline editor on a terminal, plain lines from a pipe, or a script in
//! tests), with Kafka's completion of command names and tree paths.

use std::borrow::Cow;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Editor, Helper};

use super::exec::{Context, Flow, Shell};
use super::glob;
use super::parse::{COMMANDS, parse_command};
use crate::tree::Node;

/// One read from a line source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Line(String),
    /// Control-C.
    Interrupted,
    /// Control-D or the end of the input.
    Eof,
}

/// Where the loop gets its lines, and what it knows about the terminal.
pub trait LineSource {
    /// Reads a line; `cwd` is the shell's working directory (for the prompt
    /// and for completing relative paths).
    fn read_line(&mut self, cwd: &str) -> io::Result<Input>;
    fn add_history(&mut self, line: &str);
    fn history(&self) -> Vec<String>;
    /// The terminal's width, if the output is a terminal.
    fn width(&mut self) -> Option<usize>;
}

/// The prompt: the working directory, then Kafka's `>> `.
pub fn prompt(cwd: &str) -> String {
    format!("{cwd} >> ")
}

/// Reads, runs and prints until `exit` or the end of the input.
pub fn run_loop(
    shell: &mut Shell<'_>,
    source: &mut dyn LineSource,
    out: &mut dyn Write,
) -> io::Result<()> {
    loop {
        let line = match source.read_line(shell.cwd())? {
            Input::Line(line) => line,
            Input::Interrupted => {
                writeln!(out, "^C")?;
                out.flush()?;
                continue;
            }
            Input::Eof => return Ok(()),
        };
        if !line.trim().is_empty() {
            source.add_history(&line);
        }
        let flow = match parse_command(&line) {
            Ok(command) => {
                let history = source.history();
                let ctx = Context {
                    width: source.width(),
                    history: Some(&history),
                };
                shell.run(&command, &ctx, out)?
            }
            Err(e) => {
                writeln!(out, "{e}")?;
                Flow::Continue
            }
        };
        out.flush()?;
        match flow {
            Flow::Continue => {}
            Flow::Exit => return Ok(()),
            Flow::Failed(message) => {
                writeln!(out, "{message}")?;
                out.flush()?;
            }
        }
    }
}

/// Completions for `line` with the cursor at `pos`: the start of the word
/// being completed and the candidates, as Kafka's shell offers them
/// (command names for the first word; paths, directories ending in `/`, for
/// `cat`, `cd`, `find`, `ls` and `tree`; command names for `man`).
pub fn complete(root: Node<'_>, cwd: &str, line: &str, pos: usize) -> (usize, Vec<String>) {
    // A cursor inside a character (never from rustyline) completes the whole line.
    let before = line.get(..pos).unwrap_or(line);
    let start = before
        .rfind(char::is_whitespace)
        .map(|i| i + before[i..].chars().next().map_or(1, char::len_utf8))
        .unwrap_or(0);
    let word = &before[start..];
    let earlier: Vec<&str> = before[..start].split_whitespace().collect();
    let commands = |prefix: &str| -> Vec<String> {
        COMMANDS
            .iter()
            .map(|c| c.name.to_string())
            .filter(|n| n.starts_with(prefix))
            .collect()
    };
    let candidates = match earlier.as_slice() {
        [] => commands(word),
        ["man"] => commands(word),
        ["cd"] => complete_path(root, cwd, word),
        ["cat" | "find" | "ls" | "tree", ..] => complete_path(root, cwd, word),
        _ => Vec::new(),
    };
    (start, candidates)
}

/// Kafka's `completePath`: the children of the directory the prefix names
/// that start with its last component.
fn complete_path(root: Node<'_>, cwd: &str, prefix: &str) -> Vec<String> {
    let (keep, last) = match prefix.rfind('/') {
        Some(i) => (prefix[..=i].to_string(), &prefix[i + 1..]),
        None => (String::new(), prefix),
    };
    // `.` and `..` name directories: complete inside them.
    let (keep, last) = if last == "." || last == ".." {
        (format!("{prefix}/"), "")
    } else {
        (keep, last)
    };
    let dirs = glob::normalize(&glob::absolute(cwd, &keep));
    let Some(dir) = crate::tree::resolve(root, &dirs).filter(|n| n.is_directory()) else {
        return Vec::new();
    };
    dir.sorted_children()
        .into_iter()
        .filter(|(name, _)| name.starts_with(last))
        .map(|(name, child)| {
            let slash = if child.is_directory() { "/" } else { "" };
            format!("{keep}{name}{slash}")
        })
        .collect()
}

/// rustyline's helper: completion over the tree.
pub struct ShellHelper<'i> {
    root: Node<'i>,
    cwd: String,
}

impl Completer for ShellHelper<'_> {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, candidates) = complete(self.root, &self.cwd, line, pos);
        let pairs = candidates
            .into_iter()
            .map(|c| {
                // List a candidate by its name, as a shell lists files.
                let (path, slash) = match c.strip_suffix('/') {
                    Some(dir) => (dir, "/"),
                    None => (c.as_str(), ""),
                };
                let name = path.rsplit_once('/').map_or(path, |(_, name)| name);
                Pair {
                    display: format!("{name}{slash}"),
                    replacement: c.clone(),
                }
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ShellHelper<'_> {
    type Hint = String;
}

impl Highlighter for ShellHelper<'_> {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Validator for ShellHelper<'_> {}

impl Helper for ShellHelper<'_> {}

/// The user's history file: `$KSHELL_HISTORY`, else `~/.kshell_history`.
pub fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("KSHELL_HISTORY") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".kshell_history"))
}

/// A rustyline editor on the terminal, history kept in a file.
pub struct Terminal<'i> {
    editor: Editor<ShellHelper<'i>, DefaultHistory>,
    history_file: Option<PathBuf>,
}

impl<'i> Terminal<'i> {
    pub fn new(root: Node<'i>) -> rustyline::Result<Terminal<'i>> {
        let config = Config::builder()
            .auto_add_history(false)
            // Like Kafka's shell (jline): complete the common prefix, list
            // the candidates on a second tab.
            .completion_type(CompletionType::List)
            .max_history_size(10_000)?
            .build();
        let mut editor = Editor::with_config(config)?;
        editor.set_helper(Some(ShellHelper {
            root,
            cwd: "/".to_string(),
        }));
        let history_file = history_path();
        if let Some(path) = &history_file {
            // A missing or unreadable history file is not worth failing for.
            let _ = editor.load_history(path);
        }
        Ok(Terminal {
            editor,
            history_file,
        })
    }
}

impl LineSource for Terminal<'_> {
    fn read_line(&mut self, cwd: &str) -> io::Result<Input> {
        if let Some(helper) = self.editor.helper_mut() {
            helper.cwd = cwd.to_string();
        }
        match self.editor.readline(&prompt(cwd)) {
            Ok(line) => Ok(Input::Line(line)),
            Err(ReadlineError::Interrupted) => Ok(Input::Interrupted),
            Err(ReadlineError::Eof) => Ok(Input::Eof),
            Err(ReadlineError::Io(e)) => Err(e),
            Err(e) => Err(io::Error::other(e)),
        }
    }

    fn add_history(&mut self, line: &str) {
        let _ = self.editor.add_history_entry(line);
        if let Some(path) = &self.history_file {
            let _ = self.editor.save_history(path);
        }
    }

    fn history(&self) -> Vec<String> {
        self.editor.history().iter().cloned().collect()
    }

    fn width(&mut self) -> Option<usize> {
        self.editor
            .dimensions()
            .map(|(columns, _)| columns as usize)
    }
}

/// Lines from a reader (a pipe, a file): no prompt, no terminal.
pub struct Lines<R> {
    reader: R,
    history: Vec<String>,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            history: Vec::new(),
        }
    }
}

impl<R: BufRead> LineSource for Lines<R> {
    fn read_line(&mut self, _cwd: &str) -> io::Result<Input> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Ok(Input::Eof);
        }
        let line = line.strip_suffix('\n').unwrap_or(&line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        Ok(Input::Line(line.to_string()))
    }

    fn add_history(&mut self, line: &str) {
        self.history.push(line.to_string());
    }

    fn history(&self) -> Vec<String> {
        self.history.clone()
    }

    fn width(&mut self) -> Option<usize> {
        None
    }
}
