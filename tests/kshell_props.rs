//! Properties of the pure parts of the shell: no input makes them panic.

use kraftlog::image::MetadataImage;
use kraftlog::shell::glob::{Pattern, expand};
use kraftlog::shell::parse_command;
use kraftlog::shell::repl::complete;
use kraftlog::tree::Node;
use proptest::prelude::*;

proptest! {
    #[test]
    fn any_line_parses_or_is_refused(line in "\\PC{0,40}") {
        let _ = parse_command(&line);
    }

    #[test]
    fn globs_compile_and_match_anything(
        pattern in "[a-c*?{},\\\\]{0,12}",
        name in "[a-c{},]{0,12}",
    ) {
        if let Some(p) = Pattern::compile(&pattern) {
            let _ = p.matches(&name);
        }
    }

    #[test]
    fn paths_expand_and_complete_anywhere(path in "[/.a-z*{},]{0,20}", pos in 0usize..30) {
        let image = MetadataImage::new();
        let root = Node::root(&image);
        let _ = expand(root, "/image", &path);
        let line = format!("ls {path}");
        let _ = complete(root, "/image", &line, pos);
    }
}
