//! Command lines: splitting into words and parsing into a [`Command`].
//!
//! Pure functions over strings (no tree, no I/O), so they can be fuzzed.
//! Names, argument counts and error texts follow Kafka's shell (which
//! parses with argparse4j): a unique prefix of a command name is answered
//! with `did you mean`, like Kafka.

use std::fmt;

/// A parsed command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// An empty line.
    NoOp,
    Cat {
        /// `--json`: print the subtree as JSON (kshell only).
        json: bool,
        targets: Vec<String>,
    },
    Cd {
        target: Option<String>,
    },
    Exit,
    Find {
        paths: Vec<String>,
    },
    Help,
    History {
        count: Option<i32>,
    },
    Ls {
        /// `-l`: a table with a preview of each child (kshell only).
        long: bool,
        targets: Vec<String>,
    },
    Man {
        command: String,
    },
    Pwd,
    Tree {
        targets: Vec<String>,
    },
}

/// Why a line is not a command; the message is what the shell prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// A command's name, what it does, and its arguments as `man` shows them.
pub struct CommandInfo {
    pub name: &'static str,
    pub description: &'static str,
    /// (usage fragment, help) for each option and argument.
    pub arguments: &'static [(&'static str, &'static str)],
}

/// Every command, in name order.
pub const COMMANDS: [CommandInfo; 10] = [
    CommandInfo {
        name: "cat",
        description: "Show the contents of metadata files.",
        arguments: &[
            ("--json", "Print the nodes (files or directories) as JSON."),
            ("targets", "The metadata files to display."),
        ],
    },
    CommandInfo {
        name: "cd",
        description: "Set the current working directory.",
        arguments: &[("target", "The directory to change to.")],
    },
    CommandInfo {
        name: "exit",
        description: "Exit the metadata shell.",
        arguments: &[],
    },
    CommandInfo {
        name: "find",
        description: "Search for nodes in the directory hierarchy.",
        arguments: &[("paths", "The paths to start at.")],
    },
    CommandInfo {
        name: "help",
        description: "Display this help message.",
        arguments: &[],
    },
    CommandInfo {
        name: "history",
        description: "Print command history.",
        arguments: &[("numEntriesToShow", "The number of entries to show.")],
    },
    CommandInfo {
        name: "ls",
        description: "List metadata nodes.",
        arguments: &[
            (
                "-l",
                "Print a table of each node's children with a preview of their values.",
            ),
            ("targets", "The metadata node paths to list."),
        ],
    },
    CommandInfo {
        name: "man",
        description: "Show the help text for a specific command.",
        arguments: &[("cmd", "The command to get help text for.")],
    },
    CommandInfo {
        name: "pwd",
        description: "Print the current working directory.",
        arguments: &[],
    },
    CommandInfo {
        name: "tree",
        description: "Show the contents of metadata nodes in a tree structure.",
        arguments: &[("targets", "The metadata nodes to display.")],
    },
];

/// The usage line argparse4j would print for a command.
pub fn usage(info: &CommandInfo) -> String {
    let mut parts = vec![info.name.to_string()];
    for (arg, _) in info.arguments {
        parts.push(match (info.name, *arg) {
            (_, opt) if opt.starts_with('-') => format!("[{opt}]"),
            ("cat" | "tree", a) => format!("{a} [{a} ...]"),
            ("ls" | "find", a) => format!("[{a} [{a} ...]]"),
            ("cd" | "history", a) => format!("[{a}]"),
            (_, a) => a.to_string(),
        });
    }
    parts.join(" ")
}

/// Splits a line into words like the shell's line reader: whitespace
/// separates, single and double quotes group, a backslash escapes the next
/// character (outside single quotes).
pub fn split_words(line: &str) -> Result<Vec<String>, ParseError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('\''), c) => word.push(c),
            (_, '\\') => {
                in_word = true;
                match chars.next() {
                    Some(next) => word.push(next),
                    None => word.push('\\'),
                }
            }
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                in_word = true;
                quote = Some(c);
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if let Some(q) = quote {
        return Err(ParseError(format!("unterminated quote: {q}")));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Parses one command line.
pub fn parse_command(line: &str) -> Result<Command, ParseError> {
    parse_words(&split_words(line)?)
}

/// Resolves a command name: exact, or Kafka's answer to an abbreviation.
fn command_name(word: &str) -> Result<&'static str, ParseError> {
    if let Some(info) = COMMANDS.iter().find(|c| c.name == word) {
        return Ok(info.name);
    }
    let matches: Vec<&str> = COMMANDS
        .iter()
        .map(|c| c.name)
        .filter(|name| !word.is_empty() && name.starts_with(word))
        .collect();
    Err(ParseError(match matches.as_slice() {
        [one] => format!("invalid choice: '{word}': did you mean '{one}'?"),
        [] => format!(
            "invalid choice: '{word}' (choose from {})",
            COMMANDS
                .iter()
                .map(|c| format!("'{}'", c.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        many => format!("ambiguous command: {word} could match {}", many.join(", ")),
    }))
}

/// Parses a command given as words (as the operating system's shell split
/// them for a one-shot command).
pub fn parse_words<S: AsRef<str>>(words: &[S]) -> Result<Command, ParseError> {
    // Like Kafka, trailing empty words are dropped.
    let mut words: Vec<&str> = words.iter().map(|w| w.as_ref()).collect();
    while words.last().is_some_and(|w| w.is_empty()) {
        words.pop();
    }
    let Some((first, rest)) = words.split_first() else {
        return Ok(Command::NoOp);
    };
    let name = command_name(first)?;
    let (flags, args) = split_flags(rest);
    let allowed: &[&str] = match name {
        "cat" => &["--json"],
        "ls" => &["-l", "--long"],
        _ => &[],
    };
    if let Some(bad) = flags.iter().find(|f| !allowed.contains(f)) {
        return Err(ParseError(format!("unrecognized arguments: '{bad}'")));
    }
    let flag = |names: &[&str]| flags.iter().any(|f| names.contains(f));
    let owned = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let at_most = |n: usize| -> Result<(), ParseError> {
        if args.len() > n {
            Err(ParseError(format!(
                "unrecognized arguments: '{}'",
                args[n..].join(" ")
            )))
        } else {
            Ok(())
        }
    };
    let at_least_one = || -> Result<(), ParseError> {
        if args.is_empty() {
            Err(ParseError("too few arguments".to_string()))
        } else {
            Ok(())
        }
    };
    Ok(match name {
        "cat" => {
            at_least_one()?;
            Command::Cat {
                json: flag(&["--json"]),
                targets: owned(&args),
            }
        }
        "cd" => {
            at_most(1)?;
            Command::Cd {
                target: args.first().map(|s| s.to_string()),
            }
        }
        "exit" => {
            at_most(0)?;
            Command::Exit
        }
        "find" => Command::Find {
            paths: owned(&args),
        },
        "help" => {
            at_most(0)?;
            Command::Help
        }
        "history" => {
            at_most(1)?;
            let count = match args.first() {
                None => None,
                Some(s) => Some(s.parse::<i32>().map_err(|_| {
                    ParseError(format!(
                        "argument numEntriesToShow: could not convert '{s}' to Integer (For input string: \"{s}\")"
                    ))
                })?),
            };
            Command::History { count }
        }
        "ls" => Command::Ls {
            long: flag(&["-l", "--long"]),
            targets: owned(&args),
        },
        "man" => {
            at_least_one()?;
            at_most(1)?;
            Command::Man {
                command: args[0].to_string(),
            }
        }
        "pwd" => {
            at_most(0)?;
            Command::Pwd
        }
        _ => {
            at_least_one()?;
            Command::Tree {
                targets: owned(&args),
            }
        }
    })
}

/// Options (words starting with `-`, except a lone `-` and negative numbers)
/// apart from arguments; `--` ends the options.
fn split_flags<'w>(words: &[&'w str]) -> (Vec<&'w str>, Vec<&'w str>) {
    let mut flags = Vec::new();
    let mut args = Vec::new();
    let mut options_done = false;
    for &w in words {
        if options_done {
            args.push(w);
        } else if w == "--" {
            options_done = true;
        } else if w.len() > 1 && w.starts_with('-') && w.parse::<i64>().is_err() {
            flags.push(w);
        } else {
            args.push(w);
        }
    }
    (flags, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            split_words("  ls  /a 'b c' \"d\\\"e\" f\\ g ").unwrap(),
            ["ls", "/a", "b c", "d\"e", "f g"]
        );
        assert_eq!(split_words("cat ''").unwrap(), ["cat", ""]);
        assert!(split_words("cat 'open").is_err());
    }

    #[test]
    fn commands_parse_with_kafkas_rules() {
        assert_eq!(parse_command("").unwrap(), Command::NoOp);
        assert_eq!(
            parse_command("ls").unwrap(),
            Command::Ls {
                long: false,
                targets: vec![]
            }
        );
        assert_eq!(
            parse_command("ls -l /image").unwrap(),
            Command::Ls {
                long: true,
                targets: vec!["/image".into()]
            }
        );
        assert_eq!(
            parse_command("cat --json /a /b").unwrap(),
            Command::Cat {
                json: true,
                targets: vec!["/a".into(), "/b".into()]
            }
        );
        assert_eq!(
            parse_command("history 5").unwrap(),
            Command::History { count: Some(5) }
        );
        assert_eq!(parse_command("cat").unwrap_err().0, "too few arguments");
        assert_eq!(
            parse_command("hist").unwrap_err().0,
            "invalid choice: 'hist': did you mean 'history'?"
        );
        assert_eq!(
            parse_command("c /").unwrap_err().0,
            "ambiguous command: c could match cat, cd"
        );
        assert!(
            parse_command("frob")
                .unwrap_err()
                .0
                .starts_with("invalid choice: 'frob' (choose from 'cat', 'cd'")
        );
        assert_eq!(
            parse_command("cd a b").unwrap_err().0,
            "unrecognized arguments: 'b'"
        );
        assert_eq!(
            parse_command("tree -x /").unwrap_err().0,
            "unrecognized arguments: '-x'"
        );
    }
}
