//! Tar archives over HTTP: the demo's `/tar/` and built archives, unpacked
//! by GNU tar, libarchive's `bsdtar` and Python's `tarfile`, from a file and
//! from a pipe; exact `Content-Length`; HEAD of 100 GiB (a pax size header);
//! Range, multipart and `curl -C -` byte-exact; a range that runs only the
//! entries it overlaps; folders and modes; gzip; refused entries.

use std::{
    path::Path,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use downloadview::{Archive, VirtualFile};

use suite::kinds::pattern_range;
use suite::{
    made::{Make, Views},
    tools::{assert_archive_download, mode_of, run, sh, tool, Temp},
};

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/demo.rs"]
mod demo;

// ---------------------------------------------------------------------------
// The real tools.

/// Every regular file under `dir`, by its path relative to `dir`, sorted.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned();
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Unpacks `tar` with GNU tar, bsdtar (both from a file) and Python's
/// tarfile, lists it from a pipe with both tars, and reads it from a pipe
/// with Python's streaming mode (`r|`); every reader must agree. Returns
/// the files as unpacked (sorted by path).
fn unpack_everywhere(tar: &[u8]) -> Vec<(String, Vec<u8>)> {
    let file = Temp::file("archive.tar", tar);
    let path = file.0.to_str().unwrap();
    let mut unpacked = Vec::new();
    for (label, script) in [
        ("gnu", "umask 022 && tar -xf \"$0\" -C \"$1\""),
        ("bsdtar", "umask 022 && bsdtar -xf \"$0\" -C \"$1\""),
        (
            "python",
            "python3 -c 'import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t:\n    \
             kw = {\"filter\": \"tar\"} if hasattr(tarfile, \"tar_filter\") else {}\n    \
             t.extractall(sys.argv[2], **kw)' \"$0\" \"$1\"",
        ),
    ] {
        let dir = Temp::dir(label);
        tool(match label {
            "gnu" => "tar",
            "python" => "python3",
            other => other,
        });
        let mut command = sh(script);
        command.arg(path).arg(&dir.0);
        run(command, None, label);
        unpacked.push((label, files_under(&dir.0)));
    }
    let (_, first) = &unpacked[0];
    for (label, files) in &unpacked[1..] {
        assert!(files == first, "{label} unpacked other files than GNU tar");
    }
    // From a pipe: every file's bytes, in the archive's order (as Python
    // lists it: GNU tar escapes non-ASCII names in its listings).
    let names = {
        let mut python = tool("python3");
        python.args([
            "-c",
            "import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t:\n    \
             for m in t:\n        \
             if m.isfile(): print(m.name)",
            path,
        ]);
        String::from_utf8(run(python, None, "python tarfile listing")).unwrap()
    };
    let mut concatenated = Vec::new();
    for name in names.lines() {
        let (_, bytes) = first
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} listed, not unpacked"));
        concatenated.extend_from_slice(bytes);
    }
    let python_stream = "import sys, tarfile\n\
                         with tarfile.open(fileobj=sys.stdin.buffer, mode='r|') as t:\n    \
                         for m in t:\n        \
                         if m.isfile(): sys.stdout.buffer.write(t.extractfile(m).read())";
    for (what, program, args) in [
        ("tar -xOf -", "tar", vec!["-xOf", "-"]),
        ("bsdtar -xOf -", "bsdtar", vec!["-xOf", "-"]),
        ("python tarfile r|", "python3", vec!["-c", python_stream]),
    ] {
        let mut command = tool(program);
        command.args(args);
        let streamed = run(command, Some(tar), what);
        assert!(streamed == concatenated, "{what} read other bytes");
    }
    unpacked.swap_remove(0).1
}

fn demo_server() -> suite::TestServer {
    suite::serve(demo::configure)
}

// ---------------------------------------------------------------------------
// The demo's /tar/.

#[test]
fn the_demo_tar_unpacks_in_gnu_tar_bsdtar_and_python() {
    let server = demo_server();
    let res = server.get("/tar/?size=3000000");
    assert_archive_download(&res, "application/x-tar", "archive.tar", "\"tar-");
    let files = unpack_everywhere(&res.body);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["café résumé.txt", "data.bin", "hello-world.txt"]);
    assert_eq!(files[0].1, b"Hello world!\n");
    assert!(
        files[1].1 == pattern_range(0, 3_000_000),
        "data.bin differs"
    );
    assert_eq!(files[2].1, b"Hello world!\n");
    let head = server.head("/tar/?size=3000000");
    assert_eq!(
        head.header("content-length"),
        Some(res.body.len().to_string().as_str())
    );
    assert!(head.body.is_empty());
}

#[test]
fn head_of_a_100_gib_tar_costs_nothing_and_its_pax_size_is_read() {
    let server = demo_server();
    let size: u64 = 100 << 30;
    let start = Instant::now();
    let head = server.head(&format!("/tar/?size={size}"));
    let took = start.elapsed();
    let length: u64 = head.header("content-length").unwrap().parse().unwrap();
    // hello-world.txt: header + 1 block; café résumé.txt: pax header (2
    // blocks) + header + 1 block; data.bin: pax header (2 blocks) + header +
    // data (a whole number of blocks); two zero blocks.
    assert_eq!(length, 512 * 2 + 512 * 4 + 512 * 3 + size + 1024);
    assert!(took < Duration::from_secs(1), "HEAD took {took:?}");
    // The headers of data.bin, fetched with a Range, read by Python: the
    // size past ustar's 8 GiB comes from the pax record.
    let start = 512 * 6;
    let res = server.request(
        "GET",
        &format!("/tar/?size={size}"),
        &[("Range", &format!("bytes={start}-{}", start + 3 * 512 - 1))],
    );
    assert_eq!(res.status, 206);
    let script = "import io, sys, tarfile\n\
                  t = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()), mode='r|')\n\
                  m = t.next()\n\
                  print(m.name, m.size, m.isfile())";
    let out = run(
        {
            let mut c = tool("python3");
            c.args(["-c", script]);
            c
        },
        Some(&res.body),
        "python tarfile headers",
    );
    assert_eq!(
        String::from_utf8(out).unwrap().trim(),
        format!("data.bin {size} True")
    );
}

#[test]
fn ranges_and_a_resumed_download_are_byte_exact() {
    let server = demo_server();
    let path = "/tar/?size=5000000";
    let full = server.get(path).body;
    let n = full.len();
    let res = server.request("GET", path, &[("Range", "bytes=1000-150000")]);
    assert_eq!(res.status, 206);
    assert_eq!(
        res.header("content-range"),
        Some(format!("bytes 1000-150000/{n}").as_str())
    );
    assert!(res.body == full[1000..=150000]);
    let res = server.request("GET", path, &[("Range", "bytes=0-99,3000-3100,-700")]);
    assert_eq!(res.status, 206);
    let parts = suite::multipart::byteranges(res.header("content-type").unwrap(), &res.body);
    let expected = [(0usize, 99usize), (3000, 3100), (n - 700, n - 1)];
    assert_eq!(parts.len(), expected.len());
    for (part, (a, b)) in parts.iter().zip(expected) {
        assert_eq!(part.range, (a as u64, b as u64, n as u64));
        assert!(part.body[..] == full[a..=b]);
    }
    // Cut half way, resumed with curl -C -.
    let partial = Temp::file("resume.tar", &full[..n / 2]);
    let mut curl = tool("curl");
    curl.args(["-sS", "-f", "-C", "-", "-o"])
        .arg(&partial.0)
        .arg(format!("http://{}{path}", server.addr));
    run(curl, None, "curl -C -");
    let resumed = std::fs::read(&partial.0).unwrap();
    assert!(resumed == full, "the resumed tar differs from the full one");
    // If-Range with the tar's ETag.
    let etag = server.head(path).header("etag").unwrap().to_owned();
    let res = server.request(
        "GET",
        path,
        &[("Range", "bytes=10-19"), ("If-Range", &etag)],
    );
    assert_eq!(res.status, 206);
    let res = server.request(
        "GET",
        path,
        &[("Range", "bytes=10-19"), ("If-Range", "\"other\"")],
    );
    assert_eq!(res.status, 200);
}

// ---------------------------------------------------------------------------
// Built archives.

fn serve(routes: Vec<(&'static str, Make)>) -> suite::TestServer {
    Views::named("made.tar").serve(routes)
}

#[test]
fn a_range_runs_only_the_entries_it_overlaps() {
    let runs: Arc<[AtomicUsize; 3]> = Arc::new(Default::default());
    let counted = |index: usize, runs: &Arc<[AtomicUsize; 3]>| {
        let runs = Arc::clone(runs);
        VirtualFile::from_generator(100_000, move |offset| {
            // A run starts at 0 (the engine may restart a generator further
            // on, to let an item go).
            if offset == 0 {
                runs[index].fetch_add(1, Ordering::SeqCst);
            }
            std::iter::once(Bytes::from(pattern_range(offset, 100_000)))
        })
    };
    let r = Arc::clone(&runs);
    let server = serve(vec![(
        "/three",
        Arc::new(move || {
            Ok(VirtualFile::tar([
                ("a.bin", counted(0, &r)),
                ("b.bin", counted(1, &r)),
                ("c.bin", counted(2, &r)),
            ])?)
        }),
    )]);
    let full = server.get("/three").body;
    let counts = || {
        runs.iter()
            .map(|r| r.swap(0, Ordering::SeqCst))
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(), [1, 1, 1]);
    // Entry c's data starts after two entries of 512 + 100,352 bytes, and
    // its own header.
    let c = 2 * (512 + 100_352) + 512;
    let res = server.request(
        "GET",
        "/three",
        &[("Range", &format!("bytes={}-{}", c + 10, c + 99))],
    );
    assert_eq!(res.status, 206);
    assert!(res.body == full[c + 10..c + 100]);
    assert_eq!(counts(), [0, 0, 1], "only c.bin ran");
    // A range over the headers only (b's): no entry runs.
    let b_header = 512 + 100_352;
    let res = server.request(
        "GET",
        "/three",
        &[("Range", &format!("bytes={b_header}-{}", b_header + 511))],
    );
    assert!(res.body == full[b_header..b_header + 512]);
    assert_eq!(counts(), [0, 0, 0]);
}

#[test]
fn folders_modes_long_and_non_ascii_names_are_unpacked() {
    let long = format!("{}/{}", "deep".repeat(30), "n".repeat(120));
    let long_name = long.clone();
    let server = serve(vec![(
        "/modes",
        Arc::new(move || {
            let mut archive = Archive::new()
                .entry(
                    "bin/run.sh",
                    VirtualFile::from_static(b"#!/bin/sh\necho ran\n").with_mode(0o755),
                )
                .entry(
                    "secret.txt",
                    VirtualFile::from_static(b"only me\n").with_mode(0o600),
                )
                .entry("日本語/ファイル.txt", VirtualFile::from_static(b"utf-8\n"))
                .entry(long_name.clone(), VirtualFile::from_static(b"long\n"))
                .folder("uploads/")
                .tar();
            archive.push_folder_with_mode("private", 0o700);
            Ok(archive.build()?)
        }),
    )]);
    let res = server.get("/modes");
    assert!(res.complete);
    let files = unpack_everywhere(&res.body);
    assert!(files
        .iter()
        .any(|(n, b)| n == "日本語/ファイル.txt" && b == b"utf-8\n"));
    assert!(files.iter().any(|(n, b)| *n == long && b == b"long\n"));
    let file = Temp::file("modes.tar", &res.body);
    for (label, script) in [
        ("GNU tar", "umask 022 && tar -xf \"$0\" -C \"$1\""),
        ("bsdtar", "umask 022 && bsdtar -xf \"$0\" -C \"$1\""),
    ] {
        let dir = Temp::dir("modes");
        let mut command = sh(script);
        command.arg(&file.0).arg(&dir.0);
        run(command, None, label);
        for (name, expected) in [
            ("bin/run.sh", (0o755, false)),
            ("secret.txt", (0o600, false)),
            ("日本語/ファイル.txt", (0o644, false)),
            ("uploads", (0o755, true)),
            ("private", (0o700, true)),
        ] {
            assert_eq!(mode_of(&dir.0.join(name)), expected, "{label}: {name}");
        }
        assert!(std::fs::read_dir(dir.0.join("uploads"))
            .unwrap()
            .next()
            .is_none());
    }
    // What Python's tarfile reads in the headers.
    let script = "import sys, tarfile\n\
                  with tarfile.open(sys.argv[1]) as t:\n    \
                  for m in t: print(m.name, oct(m.mode), m.type.decode())";
    let mut python = tool("python3");
    python.args(["-c", script]).arg(&file.0);
    let listing = String::from_utf8(run(python, None, "python tarfile")).unwrap();
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines[0], "bin/run.sh 0o755 0");
    assert_eq!(lines[1], "secret.txt 0o600 0");
    assert_eq!(lines[4], "uploads 0o755 5");
    assert_eq!(lines[5], "private 0o700 5");
}

#[test]
fn a_gzipped_tar_is_chunked_unrangeable_and_unpacks() {
    let server = serve(vec![(
        "/gz",
        Arc::new(|| {
            let text: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
            Ok(Archive::new()
                .entry("text.txt", VirtualFile::from(text))
                .entry(
                    "pattern.bin",
                    VirtualFile::from_bytes(pattern_range(0, 100_000)),
                )
                .tar_gz()
                .build()?)
        }),
    )]);
    let res = server.get("/gz");
    assert_eq!(res.status, 200);
    assert!(res.complete && res.chunked);
    assert_eq!(res.header("content-type"), Some("application/gzip"));
    assert_eq!(res.header("accept-ranges"), None);
    let ranged = server.request("GET", "/gz", &[("Range", "bytes=0-9")]);
    assert_eq!(ranged.status, 200, "no Range for gzip");
    let mut gunzip = tool("gzip");
    gunzip.args(["-dc"]);
    let tar = run(gunzip, Some(&res.body), "gzip -dc");
    let files = unpack_everywhere(&tar);
    let text: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    assert!(files
        .iter()
        .any(|(n, b)| n == "text.txt" && b == text.as_bytes()));
    assert!(res.body.len() < tar.len() / 4, "gzip compressed little");
    // GNU tar reads it compressed from a pipe too.
    let mut tar_z = tool("tar");
    tar_z.args(["-tzf", "-"]);
    let listing = String::from_utf8(run(tar_z, Some(&res.body), "tar -tzf -")).unwrap();
    assert_eq!(
        listing.lines().collect::<Vec<_>>(),
        ["text.txt", "pattern.bin"]
    );
}

#[test]
fn entries_a_tar_cannot_hold_are_refused_when_it_is_built() {
    let err = VirtualFile::tar([
        ("known.txt", VirtualFile::from_static(b"x")),
        ("rows.csv", VirtualFile::from_iter(["a,b\n"])),
    ])
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("archive entry 1 (\"rows.csv\"): its size is unknown"),
        "{err}"
    );
    for name in ["../x", "/etc/passwd", "CON", "a\\b"] {
        assert!(
            VirtualFile::tar([(name, VirtualFile::from_static(b""))]).is_err(),
            "{name}"
        );
    }
    assert!(VirtualFile::tar([
        ("Read.me", VirtualFile::from_static(b"")),
        ("read.ME", VirtualFile::from_static(b"")),
    ])
    .is_err());
    assert!(Archive::new()
        .entry("suid", VirtualFile::from_static(b"").with_mode(0o4755))
        .tar()
        .build()
        .is_err());
}

#[test]
fn an_entry_that_gives_fewer_bytes_aborts_the_tar() {
    let server = serve(vec![(
        "/short",
        Arc::new(|| {
            Ok(VirtualFile::tar([(
                "short.bin",
                VirtualFile::from_iter([Bytes::from(pattern_range(0, 1000))]).with_size(5000),
            )])?)
        }),
    )]);
    let res = server.get("/short");
    assert!(!res.complete, "a tar with a short entry looked complete");
    assert!(res.body.len() < 512 + 5120 + 1024);
}
