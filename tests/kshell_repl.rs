//! The interactive shell: scripted sessions through the REPL loop, commands
//! piped into the binary, completion, and (where `script` can give it a
//! pseudo-terminal) the real line editor.

use std::io::Write;
mod kshell_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kraftlog::image::MetadataImage;
use kraftlog::image::load::Loader;
use kraftlog::shell::Shell;
use kraftlog::shell::repl::{Input, LineSource, complete, prompt, run_loop};
use kraftlog::tree::Node;
use kshell_common::corpus;

fn first_segment(corpus: &Path) -> PathBuf {
    corpus.join("scenario/__cluster_metadata-0/00000000000000000000.log")
}

fn load(path: &Path) -> MetadataImage {
    let mut loader = Loader::new();
    loader
        .load_path(path, &mut |note| panic!("unexpected note: {note}"))
        .unwrap();
    loader.finish(&mut |note| panic!("unexpected note: {note}"))
}

/// A scripted terminal: hands out lines, records the prompts it was shown.
struct Script {
    inputs: Vec<Input>,
    prompts: Vec<String>,
    history: Vec<String>,
    width: Option<usize>,
}

impl Script {
    fn new(lines: &[&str]) -> Script {
        Script {
            inputs: lines
                .iter()
                .rev()
                .map(|l| match *l {
                    "^C" => Input::Interrupted,
                    l => Input::Line(l.to_string()),
                })
                .collect(),
            prompts: Vec::new(),
            history: Vec::new(),
            width: None,
        }
    }
}

impl LineSource for Script {
    fn read_line(&mut self, cwd: &str) -> std::io::Result<Input> {
        self.prompts.push(prompt(cwd));
        Ok(self.inputs.pop().unwrap_or(Input::Eof))
    }

    fn add_history(&mut self, line: &str) {
        self.history.push(line.to_string());
    }

    fn history(&self) -> Vec<String> {
        self.history.clone()
    }

    fn width(&mut self) -> Option<usize> {
        self.width
    }
}

fn session(image: &MetadataImage, script: &mut Script) -> String {
    let mut shell = Shell::new(Node::root(image));
    let mut out = Vec::new();
    run_loop(&mut shell, script, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_session_moves_around_and_remembers() {
    let Some(corpus) = corpus() else { return };
    let image = load(&first_segment(&corpus));
    let mut script = Script::new(&[
        "cd image/topics",
        "pwd",
        "ls",
        "cd byName/orders",
        "cat id name",
        "cd ..",
        "ls o*",
        "cd /nowhere",
        "cat ../../features/*",
        "^C",
        "frob",
        "",
        "history 3",
        "exit",
        "ls /",
    ]);
    let out = session(&image, &mut script);
    assert_eq!(
        out,
        "/image/topics\n\
         byId\n\
         byName\n\
         ozBfGIy2EJAPnjR_rohtxg\n\
         orders\n\
         0\n1\n2\n3\n4\n5\nid\nname\n\
         cd: /nowhere: no such directory.\n\
         3.6-IV2\n\
         NONE\n\
         ^C\n\
         invalid choice: 'frob' (choose from 'cat', 'cd', 'exit', 'find', 'help', 'history', 'ls', 'man', 'pwd', 'tree')\n    \
         8  cat ../../features/*\n    \
         9  frob\n   \
         10  history 3\n"
    );
    assert_eq!(
        script.prompts,
        [
            "/ >> ",
            "/image/topics >> ",
            "/image/topics >> ",
            "/image/topics >> ",
            "/image/topics/byName/orders >> ",
            "/image/topics/byName/orders >> ",
            "/image/topics/byName >> ",
            "/image/topics/byName >> ",
            "/image/topics/byName >> ",
            "/image/topics/byName >> ",
            "/image/topics/byName >> ",
            "/image/topics/byName >> ",
            "/image/topics/byName >> ",
            "/image/topics/byName >> ",
        ]
    );
}

#[test]
fn ls_uses_columns_on_a_terminal() {
    let Some(corpus) = corpus() else { return };
    let image = load(&first_segment(&corpus));
    let mut script = Script::new(&["ls /image"]);
    script.width = Some(80);
    assert_eq!(
        session(&image, &mut script),
        "acls          cluster  delegationToken  producerIds  scram\n\
         clientQuotas  configs  features         provenance   topics\n"
    );
}

#[test]
fn completion_offers_commands_and_tree_paths() {
    let Some(corpus) = corpus() else { return };
    let image = load(&first_segment(&corpus));
    let root = Node::root(&image);
    assert_eq!(
        complete(root, "/", "c", 1),
        (0, vec!["cat".into(), "cd".into()])
    );
    assert_eq!(complete(root, "/", "hi", 2), (0, vec!["history".into()]));
    assert_eq!(complete(root, "/", "man l", 5), (4, vec!["ls".into()]));
    assert_eq!(
        complete(root, "/", "ls /image/t", 11),
        (3, vec!["/image/topics/".into()])
    );
    assert_eq!(
        complete(root, "/", "cat /image/topics/byName/", 25),
        (
            4,
            vec![
                "/image/topics/byName/__consumer_offsets/".into(),
                "/image/topics/byName/orders/".into(),
                "/image/topics/byName/payments/".into(),
            ]
        )
    );
    assert_eq!(
        complete(root, "/image/features", "cat z", 5),
        (4, vec!["zkMigrationState".into()])
    );
    assert_eq!(
        complete(root, "/image/features", "cd ../p", 7),
        (3, vec!["../producerIds/".into(), "../provenance".into()])
    );
    assert_eq!(
        complete(root, "/image", "cd ..", 5),
        (3, vec!["../image/".into(), "../local/".into()])
    );
    // cd takes one path; pwd takes none.
    assert_eq!(complete(root, "/", "cd /image /i", 12), (10, vec![]));
    assert_eq!(complete(root, "/", "pwd /i", 6), (4, vec![]));
}

#[test]
fn commands_piped_into_the_binary_run_in_order() {
    let Some(corpus) = corpus() else { return };
    let mut child = Command::new(env!("CARGO_BIN_EXE_kshell"))
        .arg("-s")
        .arg(first_segment(&corpus))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"cd /image/producerIds\nls\ncat nextProducerId\nhistory\nexit\npwd\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "nextProducerId\n1000\n    0  cd /image/producerIds\n    1  ls\n    2  cat nextProducerId\n    3  history\n"
    );
}

#[test]
fn history_needs_a_shell() {
    let Some(corpus) = corpus() else { return };
    let output = Command::new(env!("CARGO_BIN_EXE_kshell"))
        .arg("-s")
        .arg(first_segment(&corpus))
        .arg("history")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "kshell: The history command requires a shell.\n"
    );
}

/// Drives the real line editor on a pseudo-terminal made by `script(1)`:
/// tab completion, the prompt, and the history file.
#[test]
fn the_line_editor_completes_and_keeps_history_on_a_terminal() {
    let Some(corpus) = corpus() else { return };
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: no script(1) to make a pseudo-terminal");
        return;
    }
    let dir = std::env::temp_dir().join(format!("kshell-pty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let history = dir.join("history");
    let mut child = kshell_on_a_terminal(&corpus, &history);
    let mut stdin = child.stdin.take().unwrap();
    // Tab completes `/image/prod` to `/image/producerIds/`.
    for keys in ["cd /image/prod\t\r", "pwd\r", "exit\r"] {
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("[ kshell "), "banner: {text:?}");
    assert!(text.contains("/ >> "), "prompt: {text:?}");
    assert!(
        text.contains("/image/producerIds\r\n"),
        "pwd after completion: {text:?}"
    );
    let saved = std::fs::read_to_string(&history).unwrap();
    assert!(
        saved.contains("cd /image/producerIds/"),
        "history file: {saved:?}"
    );
    assert!(saved.contains("pwd"), "history file: {saved:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Lines pasted at once all run: the line editor keeps what it read ahead
/// of the first line for the next prompt.
#[test]
fn pasted_lines_all_run_on_a_terminal() {
    let Some(corpus) = corpus() else { return };
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipping: no script(1) to make a pseudo-terminal");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = kshell_on_a_terminal(&corpus, &dir.path().join("history"));
    let mut stdin = child.stdin.take().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    stdin
        .write_all(b"cd /image/features\rpwd\rcat metadataVersion\rexit\r")
        .unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("/image/features\r\n"), "pwd ran: {text:?}");
    assert!(text.contains("3.6-IV2\r\n"), "cat ran: {text:?}");
}

/// kshell on the corpus's first segment, on a pseudo-terminal made by
/// `script(1)`, keeping its history in `history`.
fn kshell_on_a_terminal(corpus: &Path, history: &Path) -> std::process::Child {
    let command = format!(
        "{} -s {}",
        env!("CARGO_BIN_EXE_kshell"),
        first_segment(corpus).display()
    );
    Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("KSHELL_HISTORY", history)
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}
