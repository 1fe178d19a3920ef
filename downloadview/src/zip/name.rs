//! Entry names: a name is a relative path with `/` separators that
//! cannot unpack outside the folder the archive is unpacked into.
//!
//! APPNOTE 4.4.17.1 asks for exactly this ("MUST NOT contain a drive or
//! device letter, or a leading slash", forward slashes only); the rules below
//! add what unpackers have been tricked with since ("zip slip"): `..`, control
//! characters, and two entries that fight over one path, including two that
//! differ only by case or Unicode normalisation (one overwrites the other on
//! Windows and macOS), and Windows device names (`CON`, `aux.txt`), which
//! Windows cannot create as files.

use std::{collections::HashMap, fmt};

use unicode_normalization::UnicodeNormalization;

/// The zip field that holds a name is 16 bits (APPNOTE 4.4.10).
pub(crate) const MAX_NAME_LEN: usize = 0xFFFF;

/// Why one name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The name is empty.
    Empty,
    /// The name is longer than the zip field can hold.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A control character (Unicode category Cc: C0, DEL, C1).
    Control {
        /// Where it is, in bytes.
        at: usize,
        /// The character.
        ch: char,
    },
    /// A backslash, which Windows unpackers take as a folder separator.
    Backslash,
    /// A leading `/`.
    Absolute,
    /// A leading Windows drive, such as `C:`.
    Drive,
    /// An empty component: `//`, or a trailing `/`.
    EmptyComponent,
    /// A `..` component.
    DotDot,
    /// A component made only of dots other than `..`: `.`, `...`.
    Dots,
    /// The name of an earlier entry.
    Duplicate {
        /// The earlier entry.
        first: usize,
    },
    /// An earlier entry has this name as one of its folders (`a` after `a/b`).
    IsFolderOf {
        /// The earlier entry.
        other: usize,
    },
    /// One of this name's folders is an earlier entry's name (`a/b` after `a`).
    FolderIsFile {
        /// The folder, a prefix of the name.
        folder: String,
        /// The earlier entry.
        other: usize,
    },
    /// A component is a Windows device name (`CON`, `nul`, `aux.txt`,
    /// `COM1`): Windows opens the device instead of creating the file.
    DeviceName {
        /// The component.
        component: String,
    },
    /// The path so far differs from an earlier entry's only by case, by
    /// Unicode normalisation (`é` as one code point or two), or by trailing
    /// dots and spaces: unpacked on Windows or macOS, one would overwrite the
    /// other.
    Clash {
        /// The path of the earlier entry that it clashes with (this name's
        /// prefix up to the clashing component, as that entry spells it).
        path: String,
        /// The earlier entry.
        other: usize,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Empty => f.write_str("an empty name names no file"),
            Problem::TooLong { len } => write!(
                f,
                "the name is {len} bytes long, over the zip limit of {MAX_NAME_LEN}"
            ),
            Problem::Control { at, ch } => write!(
                f,
                "the control character U+{:04X} at byte {at} would be invisible or rewritten when unpacked",
                u32::from(*ch)
            ),
            Problem::Backslash => f.write_str(
                "a backslash is a folder separator on Windows; separate folders with \"/\"",
            ),
            Problem::Absolute => {
                f.write_str("an absolute path would unpack outside the archive's folder")
            }
            Problem::Drive => f.write_str(
                "a drive letter (\"C:\") would unpack outside the archive's folder on Windows",
            ),
            Problem::EmptyComponent => f.write_str(
                "an empty component (\"//\" or a trailing \"/\") names no file or folder",
            ),
            Problem::DotDot => {
                f.write_str("a \"..\" component would unpack outside the archive's folder")
            }
            Problem::Dots => f.write_str(
                "a component of dots only (\".\", \"...\") names no file or folder of its own",
            ),
            Problem::Duplicate { first } => write!(f, "entry {first} has the same name"),
            Problem::IsFolderOf { other } => {
                write!(f, "entry {other} needs this name as a folder")
            }
            Problem::FolderIsFile { folder, other } => write!(
                f,
                "its folder {} is the name of entry {other}",
                Escaped(folder)
            ),
            Problem::DeviceName { component } => write!(
                f,
                "{} is a Windows device name, which Windows cannot unpack as a file",
                Escaped(component)
            ),
            Problem::Clash { path, other } => write!(
                f,
                "it differs from {} of entry {other} only by case, Unicode normalisation or \
                 trailing dots, so one would overwrite the other when unpacked on Windows or macOS",
                Escaped(path)
            ),
        }
    }
}

/// A refused entry name: which entry, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameError {
    /// The entry's position among the archive's entries, from 0.
    pub(crate) index: usize,
    /// The name as given.
    pub(crate) name: String,
    /// Why it is refused.
    pub(crate) problem: Problem,
}

impl fmt::Display for NameError {
    /// `archive entry 3 ("../x"): a ".." component would unpack outside the
    /// archive's folder`: the name is escaped (control characters show as
    /// `\u{1b}`, `\0`), and cut after 64 characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "archive entry {} ({}): {}",
            self.index,
            Escaped(&self.name),
            self.problem
        )
    }
}

impl std::error::Error for NameError {}

/// A name quoted with Rust's escapes, cut after 64 characters.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 64;
        match self.0.char_indices().nth(SHOWN) {
            None => write!(f, "{:?}", self.0),
            Some((cut, _)) => write!(f, "{:?}… ({} bytes)", &self.0[..cut], self.0.len()),
        }
    }
}

/// Checks one name on its own (everything but the duplicates).
pub(crate) fn check(name: &str) -> Result<(), Problem> {
    if name.is_empty() {
        return Err(Problem::Empty);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(Problem::TooLong { len: name.len() });
    }
    // `char::is_control` is exactly Unicode's Cc: U+0000-001F, U+007F-009F.
    if let Some((at, ch)) = name.char_indices().find(|(_, c)| c.is_control()) {
        return Err(Problem::Control { at, ch });
    }
    if name.contains('\\') {
        return Err(Problem::Backslash);
    }
    if name.starts_with('/') {
        return Err(Problem::Absolute);
    }
    if let [letter, b':', ..] = name.as_bytes() {
        if letter.is_ascii_alphabetic() {
            return Err(Problem::Drive);
        }
    }
    for component in name.split('/') {
        if component.is_empty() {
            return Err(Problem::EmptyComponent);
        }
        if component == ".." {
            return Err(Problem::DotDot);
        }
        if component.bytes().all(|b| b == b'.') {
            return Err(Problem::Dots);
        }
        if is_device_name(component) {
            return Err(Problem::DeviceName {
                component: component.to_owned(),
            });
        }
    }
    Ok(())
}

/// Whether Windows takes `component` for a device: its part before the
/// first dot, trailing spaces ignored, is one of the reserved names, in any
/// case (`CON`, `con.txt`, `Aux .tar.gz`, `COM1`, `lpt²`).
fn is_device_name(component: &str) -> bool {
    const DEVICES: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];
    let stem = component
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end_matches(' ');
    if DEVICES.iter().any(|d| stem.eq_ignore_ascii_case(d)) {
        return true;
    }
    let (Some(port), Some(digit)) = (stem.get(..3), stem.get(3..)) else {
        return false;
    };
    (port.eq_ignore_ascii_case("COM") || port.eq_ignore_ascii_case("LPT"))
        && matches!(
            digit,
            "0" | "1"
                | "2"
                | "3"
                | "4"
                | "5"
                | "6"
                | "7"
                | "8"
                | "9"
                | "\u{b9}"
                | "\u{b2}"
                | "\u{b3}"
        )
}

/// What Windows and macOS compare when they look a component up: its
/// Unicode composition (NFC), lower case, trailing dots and spaces removed
/// (Windows drops them). Two components that fold alike are one path there.
fn fold(component: &str) -> String {
    let trimmed = component.trim_end_matches(['.', ' ']);
    let kept = if trimmed.is_empty() {
        component
    } else {
        trimmed
    };
    kept.nfc().flat_map(char::to_lowercase).collect()
}

/// Checks every name of an archive, in order, each with whether it is a
/// folder entry (given without its trailing `/`): each on its own
/// ([`check`]), then against the earlier ones — no duplicate, no name that
/// is both a file and a folder (`a` and `a/b`), which no file system can
/// unpack, and no two paths that fold alike ([`Problem::Clash`]). A folder
/// entry may name a folder that other entries' names imply (`a/` after or
/// before `a/b`), once.
///
/// Linear in the total length of the names: the folders are a tree of
/// components, each looked up once.
pub(crate) fn check_all<'a>(
    names: impl IntoIterator<Item = (&'a str, bool)>,
) -> Result<(), NameError> {
    /// What a path of the tree is, and the first entry that made it so.
    #[derive(Clone, Copy)]
    enum Node {
        File(usize),
        /// A folder, made by entry `first`; `explicit` once a folder entry
        /// names it.
        Folder {
            first: usize,
            explicit: bool,
        },
    }
    // Node 0 is the root; children are keyed by (parent, component), and by
    // (parent, folded component) to find clashes.
    let mut nodes: Vec<Node> = vec![Node::Folder {
        first: 0,
        explicit: false,
    }];
    let mut children: HashMap<(usize, &'a str), usize> = HashMap::new();
    let mut folded: HashMap<(usize, String), usize> = HashMap::new();
    for (index, (name, folder)) in names.into_iter().enumerate() {
        let refuse = |problem| NameError {
            index,
            name: name.to_owned(),
            problem,
        };
        check(name).map_err(refuse)?;
        // The component is a slice of `name`: its end is the path's so far.
        let path_to = |component: &str| {
            let end = component.as_ptr() as usize - name.as_ptr() as usize + component.len();
            name[..end].to_owned()
        };
        let mut parent = 0;
        let mut components = name.split('/').peekable();
        while let Some(component) = components.next() {
            let last = components.peek().is_none();
            match (children.get(&(parent, component)).copied(), last) {
                (None, _) => {
                    let key = (parent, fold(component));
                    if let Some(&twin) = folded.get(&key) {
                        let other = match nodes[twin] {
                            Node::File(other) | Node::Folder { first: other, .. } => other,
                        };
                        return Err(refuse(Problem::Clash {
                            path: path_of(twin, &children),
                            other,
                        }));
                    }
                    let node = nodes.len();
                    nodes.push(if last && !folder {
                        Node::File(index)
                    } else {
                        Node::Folder {
                            first: index,
                            explicit: last,
                        }
                    });
                    children.insert((parent, component), node);
                    folded.insert(key, node);
                    parent = node;
                }
                (Some(node), false) => match nodes[node] {
                    Node::Folder { .. } => parent = node,
                    Node::File(other) => {
                        return Err(refuse(Problem::FolderIsFile {
                            folder: path_to(component),
                            other,
                        }));
                    }
                },
                (Some(node), true) => match (nodes[node], folder) {
                    (
                        Node::Folder {
                            first,
                            explicit: false,
                        },
                        true,
                    ) => {
                        nodes[node] = Node::Folder {
                            first,
                            explicit: true,
                        };
                    }
                    (Node::File(first), _) | (Node::Folder { first, .. }, true) => {
                        return Err(refuse(Problem::Duplicate { first }))
                    }
                    (Node::Folder { first, .. }, false) => {
                        return Err(refuse(Problem::IsFolderOf { other: first }))
                    }
                },
            }
        }
    }
    Ok(())
}

/// The path of `node`, as the entry that made it spells it: rebuilt from
/// the tree by a linear search, only on the way to an error.
fn path_of(node: usize, children: &HashMap<(usize, &str), usize>) -> String {
    let mut parts = Vec::new();
    let mut at = node;
    while at != 0 {
        let Some((&(parent, component), _)) = children.iter().find(|(_, &child)| child == at)
        else {
            break;
        };
        parts.push(component);
        at = parent;
    }
    parts.reverse();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use std::path::{Component, Path};

    use proptest::prelude::*;

    use super::*;

    /// `names`, every one a file entry.
    fn files<'a>(names: &'a [&'a str]) -> impl Iterator<Item = (&'a str, bool)> + 'a {
        names.iter().map(|&name| (name, false))
    }

    #[test]
    fn one_name_at_a_time() {
        struct Case(&'static str, Option<Problem>);
        let long = "a".repeat(MAX_NAME_LEN);
        let cases = [
            Case("a.txt", None),
            Case("dir/sub/a.txt", None),
            Case("été/日本語.txt", None),
            Case(".hidden", None),
            Case("a..b", None),
            Case("..a", None),
            Case("a.", None),
            Case(" a /b ", None),
            Case("ab:c", None),
            Case("1:x", None),
            Case("a:b", Some(Problem::Drive)),
            Case("", Some(Problem::Empty)),
            Case("../x", Some(Problem::DotDot)),
            Case("a/../x", Some(Problem::DotDot)),
            Case("a/..", Some(Problem::DotDot)),
            Case("..", Some(Problem::DotDot)),
            Case(".", Some(Problem::Dots)),
            Case("./a", Some(Problem::Dots)),
            Case("a/./b", Some(Problem::Dots)),
            Case("a/...", Some(Problem::Dots)),
            Case("/etc/passwd", Some(Problem::Absolute)),
            Case("/", Some(Problem::Absolute)),
            Case("C:/Windows", Some(Problem::Drive)),
            Case("c:x", Some(Problem::Drive)),
            Case("a\\b", Some(Problem::Backslash)),
            Case("\\\\server\\share", Some(Problem::Backslash)),
            Case("a//b", Some(Problem::EmptyComponent)),
            Case("a/", Some(Problem::EmptyComponent)),
            Case("a\0b", Some(Problem::Control { at: 1, ch: '\u{0}' })),
            Case("a\nb", Some(Problem::Control { at: 1, ch: '\n' })),
            Case(
                "x\u{7f}",
                Some(Problem::Control {
                    at: 1,
                    ch: '\u{7f}',
                }),
            ),
            Case(
                "é\u{85}",
                Some(Problem::Control {
                    at: 2,
                    ch: '\u{85}',
                }),
            ),
            Case(
                "\u{1b}[31mred",
                Some(Problem::Control {
                    at: 0,
                    ch: '\u{1b}',
                }),
            ),
        ];
        for Case(name, expected) in cases {
            assert_eq!(check(name).err(), expected, "{name:?}");
        }
        assert_eq!(check(&long), Ok(()));
        assert_eq!(
            check(&format!("{long}b")),
            Err(Problem::TooLong {
                len: MAX_NAME_LEN + 1
            })
        );
    }

    #[test]
    fn names_against_each_other() {
        struct Case(&'static [&'static str], Option<(usize, Problem)>);
        let cases = [
            Case(&[], None),
            Case(&["a", "b", "c/a", "c/b", "d/c/a"], None),
            Case(&["a/b", "a/c", "a/d/e", "ab"], None),
            Case(&["a", "b", "a"], Some((2, Problem::Duplicate { first: 0 }))),
            Case(
                &["x/a/b", "x/a"],
                Some((1, Problem::IsFolderOf { other: 0 })),
            ),
            Case(
                &["x/a", "x/a/b/c"],
                Some((
                    1,
                    Problem::FolderIsFile {
                        folder: "x/a".to_owned(),
                        other: 0,
                    },
                )),
            ),
            // Case, Unicode normalisation and trailing dots: one path on
            // Windows and macOS.
            Case(
                &["A", "a"],
                Some((
                    1,
                    Problem::Clash {
                        path: "A".to_owned(),
                        other: 0,
                    },
                )),
            ),
            Case(
                &["d/e\u{301}.txt", "x/y", "d/\u{e9}.txt"],
                Some((
                    2,
                    Problem::Clash {
                        path: "d/e\u{301}.txt".to_owned(),
                        other: 0,
                    },
                )),
            ),
            Case(
                &["Docs/a", "docs/b"],
                Some((
                    1,
                    Problem::Clash {
                        path: "Docs".to_owned(),
                        other: 0,
                    },
                )),
            ),
            Case(
                &["a.", "a"],
                Some((
                    1,
                    Problem::Clash {
                        path: "a.".to_owned(),
                        other: 0,
                    },
                )),
            ),
            Case(&["a", "b", "a.b", "A.B.C", "ÉTÉ", "été2"], None),
            // The first bad name wins.
            Case(&["a", "../b", "a"], Some((1, Problem::DotDot))),
        ];
        for Case(names, expected) in cases {
            let got = check_all(files(names)).err();
            let expected = expected.map(|(index, problem)| NameError {
                index,
                name: names[index].to_owned(),
                problem,
            });
            assert_eq!(got, expected, "{names:?}");
        }
    }

    #[test]
    fn windows_device_names_are_refused_as_files_and_folders() {
        for name in [
            "CON",
            "con",
            "Con.txt",
            "aux.tar.gz",
            "nul",
            "PRN",
            "dir/NUL",
            "COM1",
            "com9.log",
            "LPT1",
            "lpt\u{b2}",
            "AUX /x",
            "con .txt",
            "COM0",
        ] {
            assert!(
                matches!(check(name), Err(Problem::DeviceName { .. })),
                "{name:?}"
            );
        }
        for name in [
            "CONSOLE",
            "contact.txt",
            "xcon",
            "aux_",
            "COM",
            "COM10",
            "LPT",
            "nul2",
            "a.con",
            "auxiliary/x",
        ] {
            assert_eq!(check(name), Ok(()), "{name:?}");
        }
        assert_eq!(
            check_all(files(&["ok", "Aux.txt"]))
                .unwrap_err()
                .to_string(),
            r#"archive entry 1 ("Aux.txt"): "Aux.txt" is a Windows device name, which Windows cannot unpack as a file"#
        );
    }

    #[test]
    fn folder_entries_against_the_other_names() {
        let check = |entries: &[(&str, bool)]| check_all(entries.iter().copied()).err();
        // A folder entry for a folder other names imply, before or after
        // them, and an empty one.
        assert_eq!(check(&[("a", true), ("a/b", false), ("e", true)]), None);
        assert_eq!(check(&[("a/b", false), ("a", true), ("a/c", false)]), None);
        assert_eq!(check(&[("x/y/z", false), ("x/y", true), ("x", true)]), None);
        // Twice, or as a file too.
        let problem = |entries: &[(&str, bool)]| check(entries).map(|e| (e.index, e.problem));
        assert_eq!(
            problem(&[("a", true), ("a", true)]),
            Some((1, Problem::Duplicate { first: 0 }))
        );
        assert_eq!(
            problem(&[("a/b", false), ("a", true), ("a", true)]),
            Some((2, Problem::Duplicate { first: 0 }))
        );
        assert_eq!(
            problem(&[("a", false), ("a", true)]),
            Some((1, Problem::Duplicate { first: 0 }))
        );
        assert_eq!(
            problem(&[("a", true), ("a", false)]),
            Some((1, Problem::IsFolderOf { other: 0 }))
        );
        assert_eq!(
            problem(&[("A", true), ("a/b", false)]),
            Some((
                1,
                Problem::Clash {
                    path: "A".to_owned(),
                    other: 0
                }
            ))
        );
    }

    #[test]
    fn errors_say_which_entry_and_why() {
        let err = |names: &[&str]| check_all(files(names)).unwrap_err().to_string();
        assert_eq!(
            err(&["a", "b", "c", "../x"]),
            r#"archive entry 3 ("../x"): a ".." component would unpack outside the archive's folder"#
        );
        assert_eq!(
            err(&["a\0b"]),
            r#"archive entry 0 ("a\0b"): the control character U+0000 at byte 1 would be invisible or rewritten when unpacked"#
        );
        assert_eq!(
            err(&["\u{1b}[2J"]),
            r#"archive entry 0 ("\u{1b}[2J"): the control character U+001B at byte 0 would be invisible or rewritten when unpacked"#
        );
        assert_eq!(
            err(&["a", "a/b"]),
            r#"archive entry 1 ("a/b"): its folder "a" is the name of entry 0"#
        );
        assert_eq!(
            err(&["a/b", "a"]),
            r#"archive entry 1 ("a"): entry 0 needs this name as a folder"#
        );
        assert_eq!(
            err(&["r", "r"]),
            r#"archive entry 1 ("r"): entry 0 has the same name"#
        );
        assert_eq!(
            err(&["Report.pdf", "report.PDF"]),
            r#"archive entry 1 ("report.PDF"): it differs from "Report.pdf" of entry 0 only by case, Unicode normalisation or trailing dots, so one would overwrite the other when unpacked on Windows or macOS"#
        );
        let long = "é".repeat(40_000);
        let message = err(&[&long]);
        assert_eq!(
            message,
            format!(
                "archive entry 0 (\"{}\"… (80000 bytes)): the name is 80000 bytes long, over the zip limit of 65535",
                "é".repeat(64)
            )
        );
    }

    #[test]
    fn many_deep_names_take_linear_time() {
        // 32,767 components in one name, then a second name sharing them all:
        // quadratic prefix hashing would take minutes.
        let deep = vec!["a"; 32_767].join("/");
        let deeper = format!("{}/b", &deep[..deep.len() - 2]);
        assert_eq!(check_all(files(&[&deep, &deeper])), Ok(()));
        assert_eq!(
            check_all(files(&[&deep, &deep])).map_err(|e| e.problem),
            Err(Problem::Duplicate { first: 0 })
        );
    }

    /// A component that is safe: no `/`, `\`, control character, not dots
    /// only, not a Windows device name (`AUX`, `com1.txt`).
    fn safe_component() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9_. -]{1,8}",
            "[^/\\\\\\p{Cc}]{1,8}",
            Just("..a".to_owned()),
            Just("a:b".to_owned()),
        ]
        .prop_filter("not dots only", |c| !c.bytes().all(|b| b == b'.'))
        .prop_filter("not a device name", |c| !is_device_name(c))
    }

    fn safe_name() -> impl Strategy<Value = String> {
        proptest::collection::vec(safe_component(), 1..6)
            .prop_map(|components| components.join("/"))
            .prop_filter(
                "no drive letter",
                |name| !matches!(name.as_bytes(), [l, b':', ..] if l.is_ascii_alphabetic()),
            )
    }

    /// What makes a name unsafe, spliced in at a component boundary or
    /// anywhere.
    #[derive(Debug, Clone)]
    enum Poison {
        Component(&'static str),
        Char(char),
        Leading(&'static str),
    }

    fn poison() -> impl Strategy<Value = Poison> {
        prop_oneof![
            prop_oneof![Just(".."), Just("."), Just("..."), Just("")].prop_map(Poison::Component),
            prop_oneof![
                Just('\\'),
                (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap_or('\0')),
                Just('\u{7f}'),
                (0x80u32..0xa0).prop_map(|c| char::from_u32(c).unwrap_or('\0')),
            ]
            .prop_map(Poison::Char),
            prop_oneof![Just("/"), Just("C:"), Just("z:/")].prop_map(Poison::Leading),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn safe_names_are_accepted(name in safe_name()) {
            prop_assert_eq!(check(&name), Ok(()));
        }

        #[test]
        fn poisoned_names_are_refused(name in safe_name(), poison in poison(), at in any::<prop::sample::Index>()) {
            let poisoned = match poison {
                Poison::Component(c) => {
                    let mut components: Vec<&str> = name.split('/').collect();
                    components.insert(at.index(components.len() + 1), c);
                    components.join("/")
                }
                Poison::Char(ch) => {
                    let boundaries: Vec<usize> =
                        name.char_indices().map(|(i, _)| i).chain([name.len()]).collect();
                    let i = boundaries[at.index(boundaries.len())];
                    format!("{}{ch}{}", &name[..i], &name[i..])
                }
                Poison::Leading(prefix) => format!("{prefix}{name}"),
            };
            prop_assert!(check(&poisoned).is_err(), "{:?} was accepted", poisoned);
        }

        #[test]
        fn no_accepted_name_leaves_the_folder(name in any::<String>()) {
            if check(&name).is_ok() {
                // std's own reading of the path: only normal components, so
                // joining it to a folder stays inside that folder.
                prop_assert!(Path::new(&name).components().all(|c| matches!(c, Component::Normal(_))));
                let root = Path::new("/unpack/here");
                prop_assert!(root.join(&name).starts_with(root));
                // Resolving it as an unpacker would never climbs above the root.
                let mut depth = 0usize;
                for component in name.split('/') {
                    match component {
                        ".." => prop_assert!(depth > 0, "{:?} climbs out", name),
                        "." => {}
                        _ => depth += 1,
                    }
                }
                prop_assert!(depth > 0 && !name.contains('\\') && !name.chars().any(char::is_control));
            }
        }

        #[test]
        fn sets_of_names_never_panic(names in proptest::collection::vec("[ab./]{0,6}", 0..12)) {
            let result = check_all(names.iter().map(|n| (n.as_str(), false)));
            if let Err(err) = &result {
                prop_assert_eq!(&names[err.index], &err.name);
                let prefix = format!("archive entry {} (", err.index);
                prop_assert!(err.to_string().starts_with(&prefix));
            } else {
                // Every name passed, and no two collide.
                let mut sorted: Vec<&String> = names.iter().collect();
                sorted.sort();
                sorted.dedup();
                prop_assert_eq!(sorted.len(), names.len());
                for a in &names {
                    prop_assert!(check(a).is_ok());
                    for b in &names {
                        prop_assert!(!b.starts_with(&format!("{a}/")), "{:?} is a file and a folder", a);
                    }
                }
            }
        }
    }
}
