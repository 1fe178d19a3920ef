//! The registry pages: each crate's README opens with the example of the
//! root README (SPEC §1), the same code in all three. downloadview's copy
//! is compiled as a doctest (`ReadmeDoctests`), so this keeps the other two
//! compiling as well.

use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first Rust code block of `markdown`, and whether it comes before the
/// first `## ` section (the README *opens* with it).
fn first_rust_block(markdown: &str) -> (String, bool) {
    let mut lines = markdown.lines();
    let mut before_sections = true;
    for line in lines.by_ref() {
        if line.starts_with("## ") {
            before_sections = false;
        }
        if line.starts_with("```rust") {
            break;
        }
    }
    let code: Vec<&str> = lines.take_while(|l| *l != "```").collect();
    assert!(!code.is_empty(), "no Rust code block");
    (code.join("\n"), before_sections)
}

#[test]
fn each_crate_readme_opens_with_the_example() {
    let root = read("README.md");
    let example = root
        .split("## Example\n")
        .nth(1)
        .expect("the root README has an Example section");
    let (expected, _) = first_rust_block(example);
    assert!(expected.contains("#[derive(VirtualDownloadView, Default)]"));
    for crate_readme in ["downloadview/README.md", "downloadview-derive/README.md"] {
        let (code, opens) = first_rust_block(&read(crate_readme));
        assert!(opens, "{crate_readme}: the example comes after a section");
        assert_eq!(
            code, expected,
            "{crate_readme}: not the root README's example"
        );
    }
}
