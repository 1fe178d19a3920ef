//! The real tools the archive tests drive (unzip, bsdtar, GNU tar, Python,
//! Java, curl): finding them, running them with input on a pipe, and the
//! temporary files and folders they read and write.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    thread,
};

/// The Debian package that provides `program`.
fn package(program: &str) -> &'static str {
    match program {
        "unzip" => "unzip",
        "bsdtar" => "libarchive-tools",
        "tar" => "tar",
        "gzip" => "gzip",
        "java" => "default-jdk-headless",
        "curl" => "curl",
        _ => "python3",
    }
}

/// A command for `program`; a missing tool fails the test with the command
/// that installs it (`.ci/run` installs them all).
pub fn tool(program: &str) -> Command {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "`{program}` is needed: apt-get update && apt-get install -y {} (.ci/run does)",
        package(program)
    );
    Command::new(program)
}

/// `sh -c script`, with `args` as `$0`, `$1`, …
pub fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

/// Runs `command` with `input` on its standard input (fed from another
/// thread, so that a large output cannot block it); its standard output,
/// or its standard error when it fails.
pub fn pipe_through(mut command: Command, input: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut child = command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    // The reader may stop early (a failure): a broken pipe is its answer.
    let feeder = input.map(|input| {
        let mut stdin = child.stdin.take().expect("stdin");
        let data = input.to_vec();
        thread::spawn(move || {
            let _ = stdin.write_all(&data);
        })
    });
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if let Some(feeder) = feeder {
        feeder.join().expect("feeder");
    }
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        ))
    }
}

/// [`pipe_through`] that must succeed: a failure panics with `what` and the
/// tool's output.
pub fn run(command: Command, input: Option<&[u8]>, what: &str) -> Vec<u8> {
    pipe_through(command, input).unwrap_or_else(|err| panic!("{what} failed:\n{err}"))
}

/// A path of its own under the system's temporary folder (a file or a
/// folder), removed on drop.
pub struct Temp(pub PathBuf);

impl Temp {
    fn path(label: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        Temp(std::env::temp_dir().join(format!(
            "downloadview-{}-{label}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        )))
    }

    /// A file holding `bytes`.
    pub fn file(label: &str, bytes: &[u8]) -> Self {
        let temp = Temp::path(label);
        std::fs::write(&temp.0, bytes).expect("write a temporary file");
        temp
    }

    /// An empty folder.
    pub fn dir(label: &str) -> Self {
        let temp = Temp::path(label);
        std::fs::create_dir_all(&temp.0).expect("a temporary folder");
        temp
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The permission bits of `path`, and whether it is a folder.
pub fn mode_of(path: &Path) -> (u32, bool) {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (meta.permissions().mode() & 0o7777, meta.is_dir())
}

/// Entries written as `name NUL length NUL bytes`, one after the other (what
/// the Python and Java readers of the tests print).
pub fn parse_entries(mut rest: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut entries = Vec::new();
    while !rest.is_empty() {
        let nul = rest.iter().position(|&b| b == 0).expect("name");
        let name = String::from_utf8(rest[..nul].to_vec()).expect("UTF-8 name");
        rest = &rest[nul + 1..];
        let nul = rest.iter().position(|&b| b == 0).expect("length");
        let len: usize = std::str::from_utf8(&rest[..nul]).unwrap().parse().unwrap();
        rest = &rest[nul + 1..];
        entries.push((name, rest[..len].to_vec()));
        rest = &rest[len..];
    }
    entries
}

/// Checks the headers of a whole archive download: status 200, complete,
/// `content_type`, an attachment named `filename`, an exact
/// `Content-Length`, `Accept-Ranges: bytes`, a strong ETag starting with
/// `etag_prefix` (`"zip-`, `"tar-`) and a `Last-Modified`.
pub fn assert_archive_download(
    res: &crate::client::Response,
    content_type: &str,
    filename: &str,
    etag_prefix: &str,
) {
    assert_eq!(res.status, 200);
    assert!(res.complete, "cut short");
    assert_eq!(res.header("content-type"), Some(content_type));
    let disposition = format!("attachment; filename=\"{filename}\"");
    assert_eq!(
        res.header("content-disposition"),
        Some(disposition.as_str())
    );
    let length: usize = res.header("content-length").unwrap().parse().unwrap();
    assert_eq!(length, res.body.len(), "Content-Length is exact");
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
    let etag = res.header("etag").unwrap_or_default();
    assert!(etag.starts_with(etag_prefix), "ETag {etag:?}");
    assert!(res.header("last-modified").is_some());
}
