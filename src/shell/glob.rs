//! Paths with globs, expanded over the tree as Kafka's `GlobVisitor` does:
//! relative to the working directory, `.` and `..` removed textually, each
//! component either a literal name or a pattern of `*`, `?`, `{a,b}` and
//! `\` escapes matched against the sorted children.

use crate::tree::Node;

/// A path split into components, `.` and `..` applied (`..` at the root
/// stays at the root), empty components dropped.
pub fn normalize(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for component in path.split('/').filter(|c| !c.is_empty()) {
        match component {
            "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c.to_string()),
        }
    }
    out
}

/// The absolute form of `path` seen from `cwd`.
pub fn absolute(cwd: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{cwd}/{path}")
    }
}

/// `/a/b` for components `[a, b]`, `/` for none.
pub fn join(components: &[String]) -> String {
    format!("/{}", components.join("/"))
}

/// One node a path expanded to.
#[derive(Clone, Debug)]
pub struct Found<'i> {
    pub path: Vec<String>,
    pub node: Node<'i>,
}

impl Found<'_> {
    /// Kafka's `lastPathComponent`: the node's name, `/` for the root.
    pub fn name(&self) -> &str {
        self.path.last().map(String::as_str).unwrap_or("/")
    }

    pub fn absolute_path(&self) -> String {
        join(&self.path)
    }
}

/// Every node `pattern` names, seen from `cwd`, in name order; empty when
/// none.
pub fn expand<'i>(root: Node<'i>, cwd: &str, pattern: &str) -> Vec<Found<'i>> {
    let components = normalize(&absolute(cwd, pattern));
    let mut found = Vec::new();
    visit(&components, root, &mut Vec::new(), &mut found);
    found
}

/// Whether a path has glob characters Kafka would expand.
pub fn has_glob(pattern: &str) -> bool {
    normalize(pattern)
        .iter()
        .any(|c| Pattern::compile(c).is_some())
}

fn visit<'i>(
    components: &[String],
    node: Node<'i>,
    path: &mut Vec<String>,
    found: &mut Vec<Found<'i>>,
) {
    let Some((first, rest)) = components.split_first() else {
        found.push(Found {
            path: path.clone(),
            node,
        });
        return;
    };
    if !node.is_directory() {
        return;
    }
    match Pattern::compile(first) {
        None => {
            if let Some(child) = node.child(first) {
                path.push(first.clone());
                visit(rest, child, path, found);
                path.pop();
            }
        }
        Some(pattern) => {
            for (name, child) in node.sorted_children() {
                if pattern.matches(&name) {
                    path.push(name);
                    visit(rest, child, path, found);
                    path.pop();
                }
            }
        }
    }
}

/// One step of a compiled pattern.
#[derive(Clone, Debug, PartialEq)]
enum Op {
    Char(char),
    /// `?`: any one character.
    Any,
    /// `*`: any characters; stays here or moves on.
    Star,
    /// The start of a `{…}` group: one branch per alternative.
    Split(Vec<usize>),
    Jump(usize),
    Match,
}

/// A glob component compiled to a small automaton, matched in time linear
/// in the name (no backtracking, whatever the pattern).
#[derive(Clone, Debug)]
pub struct Pattern {
    ops: Vec<Op>,
}

impl Pattern {
    /// `None` when the component is a literal name: it has no glob
    /// characters, or (as in Kafka) it is malformed (a nested or
    /// unterminated group).
    pub fn compile(component: &str) -> Option<Pattern> {
        let mut ops: Vec<Op> = Vec::new();
        let mut literal = true;
        // Inside a group: where its Split is, each alternative's start, and
        // the jumps that end alternatives.
        let mut group: Option<(usize, Vec<usize>, Vec<usize>)> = None;
        let mut chars = component.chars();
        while let Some(c) = chars.next() {
            match c {
                '?' => {
                    literal = false;
                    ops.push(Op::Any);
                }
                '*' => {
                    literal = false;
                    ops.push(Op::Star);
                }
                '\\' => ops.push(Op::Char(chars.next().unwrap_or('\\'))),
                '{' => {
                    if group.is_some() {
                        return None;
                    }
                    literal = false;
                    let split = ops.len();
                    ops.push(Op::Split(Vec::new()));
                    group = Some((split, vec![ops.len()], Vec::new()));
                }
                ',' if group.is_some() => {
                    let (_, starts, jumps) = group.as_mut().expect("in a group");
                    jumps.push(ops.len());
                    ops.push(Op::Jump(0));
                    starts.push(ops.len());
                }
                '}' if group.is_some() => {
                    let (split, starts, mut jumps) = group.take().expect("in a group");
                    jumps.push(ops.len());
                    ops.push(Op::Jump(0));
                    let end = ops.len();
                    for j in jumps {
                        ops[j] = Op::Jump(end);
                    }
                    ops[split] = Op::Split(starts);
                }
                c => ops.push(Op::Char(c)),
            }
        }
        if group.is_some() || literal {
            return None;
        }
        ops.push(Op::Match);
        Some(Pattern { ops })
    }

    /// Whether the whole of `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        let mut current = vec![false; self.ops.len()];
        self.close(0, &mut current);
        for c in name.chars() {
            let mut next = vec![false; self.ops.len()];
            for (pc, on) in current.iter().enumerate() {
                if !on {
                    continue;
                }
                match self.ops[pc] {
                    Op::Char(expected) if expected == c => self.close(pc + 1, &mut next),
                    Op::Any => self.close(pc + 1, &mut next),
                    Op::Star => self.close(pc, &mut next),
                    _ => {}
                }
            }
            if !next.iter().any(|on| *on) {
                return false;
            }
            current = next;
        }
        current
            .iter()
            .zip(&self.ops)
            .any(|(on, op)| *on && *op == Op::Match)
    }

    /// Adds `pc` and every step reachable from it without a character.
    fn close(&self, pc: usize, set: &mut [bool]) {
        if set[pc] {
            return;
        }
        set[pc] = true;
        match &self.ops[pc] {
            Op::Split(starts) => {
                for &s in starts {
                    self.close(s, set);
                }
            }
            Op::Jump(to) => self.close(*to, set),
            Op::Star => self.close(pc + 1, set),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, name: &str) -> bool {
        Pattern::compile(pattern).unwrap().matches(name)
    }

    #[test]
    fn globs_match_like_kafka() {
        assert!(Pattern::compile("orders").is_none());
        assert!(Pattern::compile("a\\*b").is_none());
        assert!(Pattern::compile("{a,b").is_none());
        assert!(Pattern::compile("{a,{b}}").is_none());
        assert!(matches("*", "anything"));
        assert!(matches("*", ""));
        assert!(matches("o*s", "orders"));
        assert!(!matches("o*s", "order"));
        assert!(matches("?", "1"));
        assert!(!matches("?", "10"));
        assert!(matches("{orders,payments}", "payments"));
        assert!(!matches("{orders,payments}", "clicks"));
        assert!(matches("BROKER{,:*}", "BROKER"));
        assert!(matches("BROKER{,:*}", "BROKER:2"));
        assert!(matches("a.c*", "a.cd"));
        assert!(!matches("a.c*", "abcd"));
        assert!(matches("\\{x}*", "{x}y"));
        assert!(matches("*a*a*a*a*b", &format!("{}b", "a".repeat(200))));
        assert!(!matches("*a*a*a*a*b", &"a".repeat(200)));
    }

    #[test]
    fn paths_normalize_textually() {
        assert_eq!(normalize("/image/../image/./topics/"), ["image", "topics"]);
        assert_eq!(normalize("/.."), Vec::<String>::new());
        assert_eq!(absolute("/image", "topics"), "/image/topics");
        assert_eq!(join(&[]), "/");
    }
}
