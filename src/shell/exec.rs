//! Running commands against the tree, with Kafka's output formats and
//! error texts (`cat: /x: No such file or directory.`).

use std::io::{self, Write};

use super::glob::{self, Found};
use super::parse::{COMMANDS, Command, usage};
use crate::tree::Node;
use crate::tree::print::{long_listing, print_find, print_tree, to_json};

/// What the shell knows about where it runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'h> {
    /// The terminal's width, when there is one (`ls` then prints columns).
    pub width: Option<usize>,
    /// The line history, in interactive mode.
    pub history: Option<&'h [String]>,
}

/// What to do after a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Exit,
    /// The command could not run at all (Kafka throws here).
    Failed(String),
}

/// The shell's state: the tree and the working directory.
pub struct Shell<'i> {
    root: Node<'i>,
    cwd: String,
}

impl<'i> Shell<'i> {
    pub fn new(root: Node<'i>) -> Shell<'i> {
        Shell {
            root,
            cwd: "/".to_string(),
        }
    }

    pub fn root(&self) -> Node<'i> {
        self.root
    }

    /// The working directory, absolute.
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    fn expand(&self, pattern: &str) -> Vec<Found<'i>> {
        glob::expand(self.root, &self.cwd, pattern)
    }

    /// Runs one command, printing to `out`.
    pub fn run(
        &mut self,
        command: &Command,
        ctx: &Context<'_>,
        out: &mut dyn Write,
    ) -> io::Result<Flow> {
        match command {
            Command::NoOp => {}
            Command::Cat { json, targets } => self.cat(*json, targets, out)?,
            Command::Cd { target } => self.cd(target.as_deref().unwrap_or("/"), out)?,
            Command::Exit => return Ok(Flow::Exit),
            Command::Find { paths } => self.find(paths, out)?,
            Command::Help => help(out)?,
            Command::History { count } => {
                let Some(history) = ctx.history else {
                    return Ok(Flow::Failed(
                        "The history command requires a shell.".to_string(),
                    ));
                };
                print_history(history, count.unwrap_or(i32::MAX), out)?;
            }
            Command::Ls { long, targets } => self.ls(*long, targets, ctx, out)?,
            Command::Man { command } => man(command, out)?,
            Command::Pwd => writeln!(out, "{}", self.cwd)?,
            Command::Tree { targets } => self.tree(targets, out)?,
        }
        Ok(Flow::Continue)
    }

    fn cat(&self, json: bool, targets: &[String], out: &mut dyn Write) -> io::Result<()> {
        for target in targets {
            let found = self.expand(target);
            if found.is_empty() {
                writeln!(out, "cat: {target}: No such file or directory.")?;
            }
            for f in found {
                if json {
                    let text = serde_json::to_string_pretty(&to_json(&f.node))
                        .map_err(io::Error::other)?;
                    writeln!(out, "{text}")?;
                } else if f.node.is_directory() {
                    writeln!(out, "cat: {target}: Is a directory")?;
                } else {
                    print_tree(out, &f.node)?;
                }
            }
        }
        Ok(())
    }

    fn cd(&mut self, target: &str, out: &mut dyn Write) -> io::Result<()> {
        let found = self.expand(target);
        if found.is_empty() {
            writeln!(out, "cd: {target}: no such directory.")?;
        }
        for f in found {
            if f.node.is_directory() {
                self.cwd = f.absolute_path();
            } else {
                writeln!(out, "cd: {target}: not a directory.")?;
            }
        }
        Ok(())
    }

    fn find(&self, paths: &[String], out: &mut dyn Write) -> io::Result<()> {
        for path in effective_paths(paths) {
            let found = self.expand(&path);
            if found.is_empty() {
                writeln!(out, "find: {path}: no such file or directory.")?;
            }
            // Kafka prints the path as given; for a glob (where Kafka would
            // repeat the pattern for every match) we print what it matched.
            let globbed = glob::has_glob(&path);
            for f in found {
                let shown = if globbed {
                    f.absolute_path()
                } else {
                    path.clone()
                };
                print_find(out, &shown, &f.node)?;
            }
        }
        Ok(())
    }

    fn tree(&self, targets: &[String], out: &mut dyn Write) -> io::Result<()> {
        for target in targets {
            let found = self.expand(target);
            if found.is_empty() {
                writeln!(out, "tree: {target}: No such file or directory.")?;
            }
            for f in found {
                print_tree(out, &f.node)?;
            }
        }
        Ok(())
    }

    fn ls(
        &self,
        long: bool,
        targets: &[String],
        ctx: &Context<'_>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut files: Vec<String> = Vec::new();
        let mut dirs: Vec<(String, Vec<String>)> = Vec::new();
        let mut found_all: Vec<Found<'i>> = Vec::new();
        for target in effective_paths(targets) {
            let found = self.expand(&target);
            if found.is_empty() {
                writeln!(out, "ls: {target}: no such file or directory.")?;
            }
            for f in found {
                if f.node.is_directory() {
                    let mut children = f.node.child_names();
                    children.sort();
                    dirs.push((f.name().to_string(), children));
                } else {
                    files.push(f.name().to_string());
                }
                found_all.push(f);
            }
        }
        if long {
            let width = ctx.width.map(|w| w.min(u16::MAX as usize) as u16);
            let many = found_all.len() > 1;
            for (i, f) in found_all.iter().enumerate() {
                if many {
                    if i > 0 {
                        writeln!(out)?;
                    }
                    writeln!(out, "{}:", f.name())?;
                }
                writeln!(out, "{}", long_listing(f.name(), &f.node, width))?;
            }
            return Ok(());
        }
        print_entries(out, "", ctx.width, &files)?;
        let need_intro = !files.is_empty() || dirs.len() > 1;
        let mut first_intro = files.is_empty();
        for (name, children) in &dirs {
            let mut intro = String::new();
            if need_intro {
                if !first_intro {
                    intro.push('\n');
                }
                intro.push_str(name);
                intro.push(':');
                first_intro = false;
            }
            print_entries(out, &intro, ctx.width, children)?;
        }
        Ok(())
    }
}

/// Kafka's rule: empty paths are dropped, and no path means `.`.
fn effective_paths(paths: &[String]) -> Vec<String> {
    let mut out: Vec<String> = paths.iter().filter(|p| !p.is_empty()).cloned().collect();
    if out.is_empty() {
        out.push(".".to_string());
    }
    out
}

/// Kafka's `ls` layout: one name a line without a terminal, else as many
/// columns (filled top to bottom) as fit its width.
fn print_entries(
    out: &mut dyn Write,
    intro: &str,
    width: Option<usize>,
    entries: &[String],
) -> io::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    if !intro.is_empty() {
        writeln!(out, "{intro}")?;
    }
    let (widths, per_column) = column_layout(width, entries);
    let columns = widths.len();
    let lines = entries.len().div_ceil(columns);
    for line in 0..lines {
        let mut text = String::new();
        for (column, column_width) in widths.iter().enumerate() {
            let Some(entry) = entries.get(line + column * per_column) else {
                continue;
            };
            text.push_str(entry);
            if column < columns - 1 {
                let len = entry.chars().count();
                text.extend(std::iter::repeat_n(' ', column_width.saturating_sub(len)));
            }
        }
        writeln!(out, "{text}")?;
    }
    Ok(())
}

/// Kafka's `calculateColumnSchema`: the most columns (each as wide as its
/// longest entry plus two) that fit, every column used.
fn column_layout(width: Option<usize>, entries: &[String]) -> (Vec<usize>, usize) {
    let one = (vec![0], entries.len());
    let Some(width) = width else { return one };
    let max_columns = (width / 4).min(entries.len().max(1));
    if max_columns <= 1 {
        return one;
    }
    for columns in (2..=max_columns).rev() {
        let per_column = entries.len().div_ceil(columns);
        let mut widths = vec![0usize; columns];
        for (i, entry) in entries.iter().enumerate() {
            let c = i / per_column;
            widths[c] = widths[c].max(entry.chars().count() + 2);
        }
        if widths[columns - 1] != 0 && widths.iter().sum::<usize>() <= width {
            return (widths, per_column);
        }
    }
    one
}

fn print_history(history: &[String], count: i32, out: &mut dyn Write) -> io::Result<()> {
    let count = usize::try_from(count.max(0))
        .unwrap_or(0)
        .min(history.len());
    let first = history.len() - count;
    for (i, line) in history.iter().enumerate().skip(first) {
        writeln!(out, "{i:5}  {line}")?;
    }
    Ok(())
}

fn help(out: &mut dyn Write) -> io::Result<()> {
    let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
    let choices = format!("{{{}}}", names.join(","));
    writeln!(out, "Welcome to the Apache Kafka metadata shell.")?;
    writeln!(out)?;
    writeln!(out, "usage:  {choices} ...")?;
    writeln!(out)?;
    writeln!(out, "positional arguments:")?;
    writeln!(out, "  {choices}")?;
    for c in &COMMANDS {
        writeln!(out, "    {:<21}{}", c.name, c.description)?;
    }
    Ok(())
}

fn man(command: &str, out: &mut dyn Write) -> io::Result<()> {
    let Some(info) = COMMANDS.iter().find(|c| c.name == command) else {
        writeln!(
            out,
            "man: unknown command {command}. Type help to get a list of commands."
        )?;
        return Ok(());
    };
    writeln!(out, "{}: {}", info.name, info.description)?;
    writeln!(out)?;
    writeln!(out, "usage: {}", usage(info))?;
    let (options, positionals): (Vec<_>, Vec<_>) =
        info.arguments.iter().partition(|(a, _)| a.starts_with('-'));
    if !positionals.is_empty() {
        writeln!(out)?;
        writeln!(out, "positional arguments:")?;
        for (arg, text) in positionals {
            writeln!(out, "  {arg:<23}{text}")?;
        }
    }
    if !options.is_empty() {
        writeln!(out)?;
        writeln!(out, "named arguments:")?;
        for (arg, text) in options {
            writeln!(out, "  {arg:<23}{text}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_columns_follow_kafkas_layout() {
        let entries: Vec<String> = ["acls", "clientQuotas", "cluster", "configs"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut out = Vec::new();
        print_entries(&mut out, "", Some(40), &entries).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "acls  clientQuotas  cluster  configs\n"
        );
        let mut out = Vec::new();
        print_entries(&mut out, "", Some(24), &entries).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "acls          cluster\nclientQuotas  configs\n"
        );
        let mut out = Vec::new();
        print_entries(&mut out, "", None, &entries).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "acls\nclientQuotas\ncluster\nconfigs\n"
        );
    }
}
