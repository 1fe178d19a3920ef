//! The archives opened by the real tools, every CRC checked: Python's
//! `zipfile` (`testzip()`, then each entry's name, size, CRC, UTF-8 flag,
//! time and mode), Info-ZIP `unzip -t` and `unzip -Z1`, and libarchive's
//! `bsdtar`, listing and extracting, from a file and from a pipe (where it
//! reads as a streaming reader, without the central directory).
//!
//! A missing tool fails the test with the command that installs it.

use std::{
    fs::File,
    io::{self, BufWriter, Read, Write},
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    thread,
    time::{Duration, Instant, UNIX_EPOCH},
};

use proptest::{
    strategy::{Strategy, ValueTree},
    test_runner::TestRunner,
};

use super::{
    records::{self, Limits},
    tests::{content, drive, layout_of, TestEntry, MAX_CHUNK},
    *,
};

/// A folder of its own under the system's temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "downloadview-zip-{label}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("a temporary folder");
        TempDir(path)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The Debian package of each tool.
fn package(program: &str) -> &'static str {
    match program {
        "python3" => "python3",
        "unzip" => "unzip",
        _ => "libarchive-tools",
    }
}

/// A command for `program`, which must be installed.
fn tool(program: &str) -> Command {
    match Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Err(err) if err.kind() == io::ErrorKind::NotFound => panic!(
            "`{program}` is not installed; the zip tests open archives with it. Install it with \
             `apt-get update && apt-get install -y {}` (.ci/run does)",
            package(program)
        ),
        _ => {}
    }
    let mut command = Command::new(program);
    // Names are printed as UTF-8.
    command.env("LC_ALL", "C.UTF-8");
    command
}

fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes the archive of `entries` over `layout` to `path`.
fn write_archive(path: &Path, layout: Layout, entries: &[TestEntry], chunk: &[usize]) -> u64 {
    let mut file = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    let mut len = 0;
    let mut zipper = Zipper::new(layout);
    drive(&mut zipper, entries, chunk, false, &mut |_, bytes| {
        file.write_all(bytes).unwrap();
        len += bytes.len() as u64;
    })
    .unwrap();
    file.flush().unwrap();
    len
}

/// Reads `reader` to its end, comparing it with the entries' contents one
/// after the other (what `bsdtar -xO` prints); the first difference, if any.
fn compare_contents(mut reader: impl Read, entries: &[TestEntry]) -> Result<(), String> {
    let mut buffer = vec![0; 1 << 20];
    let (mut index, mut at) = (0, 0u64);
    let mut offset = 0u64;
    loop {
        let n = reader.read(&mut buffer).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        let mut got = &buffer[..n];
        while !got.is_empty() {
            while index < entries.len() && at == entries[index].actual {
                (index, at) = (index + 1, 0);
            }
            let Some(entry) = entries.get(index) else {
                return Err(format!(
                    "{} bytes more than the entries at {offset}",
                    got.len()
                ));
            };
            let take = (entry.actual - at)
                .min(got.len() as u64)
                .min(MAX_CHUNK as u64) as usize;
            if got[..take] != *content(index, at, take) {
                return Err(format!(
                    "entry {index} differs within bytes {at}..{}",
                    at + take as u64
                ));
            }
            got = &got[take..];
            at += take as u64;
            offset += take as u64;
        }
    }
    while index < entries.len() && at == entries[index].actual {
        (index, at) = (index + 1, 0);
    }
    match entries.get(index) {
        None => Ok(()),
        Some(_) => Err(format!("ends within entry {index}, at byte {at}")),
    }
}

/// Python's view: `testzip()` reads every entry and checks its CRC; then
/// each entry's name, sizes, CRC (against one computed here), UTF-8 flag,
/// DOS time and mode.
fn check_python(path: &Path, entries: &[TestEntry]) -> Result<(), String> {
    const SCRIPT: &str = r#"
import sys, zipfile
want = [line.split() for line in sys.stdin.read().splitlines()]
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    assert bad is None, "bad CRC: %r" % bad
    infos = z.infolist()
    assert len(infos) == len(want), (len(infos), len(want))
    for info, w in zip(infos, want):
        name = bytes.fromhex(w[0]).decode()
        assert info.filename == name, (info.filename, name)
        assert info.file_size == int(w[1]), (name, info.file_size, w[1])
        if info.compress_type == zipfile.ZIP_STORED:
            assert info.compress_size == info.file_size, name
        assert info.CRC == int(w[2]), (name, info.CRC, w[2])
        assert bool(info.flag_bits & 0x800) == (not name.isascii()), (name, info.flag_bits)
        assert info.date_time == tuple(map(int, w[3:9])), (name, info.date_time, w[3:9])
        assert info.external_attr >> 16 == 0o100644, (name, oct(info.external_attr))
print("ok", len(infos))
"#;
    let mut expected = String::new();
    for (i, e) in entries.iter().enumerate() {
        let (time, date) = records::dos_date_time(e.mtime);
        let hex: String = e.name.bytes().map(|b| format!("{b:02x}")).collect();
        expected.push_str(&format!(
            "{hex} {} {} {} {} {} {} {} {}\n",
            e.actual,
            e.crc(i),
            (date >> 9) + 1980,
            (date >> 5) & 0xF,
            date & 0x1F,
            time >> 11,
            (time >> 5) & 0x3F,
            (time & 0x1F) * 2
        ));
    }
    let mut child = tool("python3")
        .args(["-c", SCRIPT])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = thread::spawn(move || stdin.write_all(expected.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let stdout = text(&output.stdout);
    if output.status.success() && stdout.trim() == format!("ok {}", entries.len()) {
        Ok(())
    } else {
        Err(format!("python zipfile: {stdout}{}", text(&output.stderr)))
    }
}

/// Info-ZIP's view: `unzip -t` reads every entry and checks its CRC;
/// `unzip -Z1` lists the names.
fn check_unzip(path: &Path, entries: &[TestEntry]) -> Result<(), String> {
    let output = run(tool("unzip").arg("-t").arg(path));
    let stdout = text(&output.stdout);
    let tested = stdout
        .lines()
        .filter(|l| l.trim_end().ends_with(" OK"))
        .count();
    if !output.status.success()
        || !stdout.contains("No errors detected in compressed data")
        || tested != entries.len()
    {
        return Err(format!(
            "unzip -t ({tested} OK): {}{}",
            stdout.lines().rev().take(5).collect::<Vec<_>>().join("\n"),
            text(&output.stderr)
        ));
    }
    let output = run(tool("unzip").arg("-Z1").arg(path));
    let names: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
    let expected: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    if !output.status.success() || names != expected {
        return Err(format!(
            "unzip -Z1: {} names, expected {}; first {:?}",
            names.len(),
            expected.len(),
            names.first()
        ));
    }
    Ok(())
}

/// Runs `bsdtar args`, from the file, or with the file on a pipe (`-f -`).
fn bsdtar(
    path: &Path,
    args: &[&str],
    piped: bool,
    entries: &[TestEntry],
    stdout: impl FnOnce(&mut dyn Read) -> Result<(), String>,
) -> Result<(), String> {
    let mut command = tool("bsdtar");
    command.args(args);
    if piped {
        command.arg("-").stdin(Stdio::piped());
    } else {
        command.arg(path).stdin(Stdio::null());
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let writer = child.stdin.take().map(|mut stdin| {
        let mut file = File::open(path).unwrap();
        // A pipe, not the file: bsdtar cannot seek to the central directory.
        thread::spawn(move || io::copy(&mut file, &mut stdin).map(drop))
    });
    let mut stderr = child.stderr.take().unwrap();
    let errors = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let result = stdout(child.stdout.as_mut().unwrap());
    // Drain what is left, so that bsdtar is not blocked on its output.
    let _ = io::copy(child.stdout.as_mut().unwrap(), &mut io::sink());
    let status = child.wait().unwrap();
    if let Some(writer) = writer {
        // bsdtar may stop reading after the last entry (a broken pipe).
        let _ = writer.join();
    }
    let errors = errors.join().unwrap();
    let mode = if piped {
        "from a pipe"
    } else {
        "from the file"
    };
    match result {
        Ok(()) if status.success() && errors.is_empty() => Ok(()),
        result => Err(format!(
            "bsdtar {} {mode} ({} entries): {status}, {result:?}, {errors}",
            args.join(" "),
            entries.len()
        )),
    }
}

/// libarchive's view: the listing (names; sizes, which a streaming read
/// only has for entries whose size the local header gives), and every
/// entry's bytes extracted, CRC checked by bsdtar and bytes compared here.
fn check_bsdtar(path: &Path, entries: &[TestEntry], listing: bool) -> Result<(), String> {
    for piped in [false, true] {
        if listing {
            bsdtar(path, &["-tvf"], piped, entries, |out| {
                let mut listing = String::new();
                out.read_to_string(&mut listing)
                    .map_err(|e| e.to_string())?;
                let lines: Vec<&str> = listing.lines().collect();
                if lines.len() != entries.len() {
                    return Err(format!("{} entries listed", lines.len()));
                }
                for (line, e) in lines.iter().zip(entries) {
                    let size: u64 = line
                        .split_whitespace()
                        .nth(4)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(u64::MAX);
                    // Stored entries of known size state it in the local header.
                    let expected = match (piped, e.declared) {
                        (true, None) => 0,
                        _ => e.actual,
                    };
                    if !line.ends_with(&format!(" {}", e.name)) || size != expected {
                        return Err(format!(
                            "listed {line:?} for {:?} of {expected} bytes",
                            e.name
                        ));
                    }
                }
                Ok(())
            })?;
        }
        bsdtar(path, &["-xOf"], piped, entries, |out| {
            compare_contents(out, entries)
        })?;
    }
    Ok(())
}

/// All three tools, every way.
fn check_all(path: &Path, entries: &[TestEntry]) {
    let t = Instant::now();
    let a = check_python(path, entries);
    eprintln!("python {:?}", t.elapsed());
    let t = Instant::now();
    let b = check_unzip(path, entries);
    eprintln!("unzip {:?}", t.elapsed());
    let t = Instant::now();
    let c = check_bsdtar(path, entries, true);
    eprintln!("bsdtar {:?}", t.elapsed());
    let results = [a, b, c];
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failures.is_empty(), "{}: {failures:#?}", path.display());
}

fn dated(mut entry: TestEntry, secs: u64) -> TestEntry {
    entry.mtime = Some(UNIX_EPOCH + Duration::from_secs(secs));
    entry
}

fn check_archive(label: &str, entries: &[TestEntry], limits: Limits) {
    let dir = TempDir::new(label);
    let path = dir.file("archive.zip");
    let layout = layout_of(entries, limits).unwrap();
    let size = layout.size();
    let written = write_archive(&path, layout, entries, &[4096, 1, 100_000]);
    if let Some(size) = size {
        assert_eq!(size, written);
    }
    check_all(&path, entries);
}

fn small_entries() -> Vec<TestEntry> {
    vec![
        dated(TestEntry::new("hello.txt", 13), 1_700_000_001),
        TestEntry::new("empty.txt", 0),
        dated(TestEntry::new("dir/sub/data.bin", 70_000), 946_684_799),
        TestEntry {
            mtime: None,
            ..TestEntry::new("dir/no-time.txt", 5)
        },
        dated(TestEntry::new("old.txt", 3), 86_400),
    ]
}

#[test]
fn small_archives_open_everywhere() {
    check_archive("small", &small_entries(), Limits::ZIP);
}

#[test]
fn empty_entries_open_everywhere() {
    let entries = [
        TestEntry::new("a", 0),
        TestEntry::new("b/c", 0),
        TestEntry::new("b/d", 0),
        TestEntry::new("e", 0).unknown_size(),
    ];
    check_archive("empty", &entries, Limits::ZIP);
}

#[test]
fn non_ascii_names_are_utf8_and_flagged() {
    let entries = [
        TestEntry::new("été/naïve.txt", 10),
        TestEntry::new("日本語/ファイル.txt", 20),
        TestEntry::new("emoji-🦀.txt", 0),
        TestEntry::new("plain.txt", 4),
        TestEntry::new("Ωmega", 7).unknown_size(),
    ];
    check_archive("utf8", &entries, Limits::ZIP);
}

#[test]
fn entries_of_unknown_size_are_zip64_from_the_start() {
    let entries = [
        TestEntry::new("known.txt", 100),
        TestEntry::new("unknown.bin", 5000).unknown_size(),
        TestEntry::new("after.txt", 7),
        TestEntry::new("unknown-empty", 0).unknown_size(),
    ];
    check_archive("unknown", &entries, Limits::ZIP);
}

#[test]
fn every_zip64_form_on_a_small_archive() {
    // Sizes, offsets and the directory past lowered limits: the same
    // records as past 4 GiB and 65,535 entries, in a few kilobytes.
    let entries = [
        TestEntry::new("tiny", 3),
        TestEntry::new("wide.bin", 2000),
        TestEntry::new("far.txt", 5),
        TestEntry::new("unknown", 12).unknown_size(),
        TestEntry::new("z", 0),
    ];
    check_archive(
        "zip64-small",
        &entries,
        Limits {
            wide: 10,
            entries: 2,
        },
    );
}

#[test]
fn descriptor_lookalikes_in_the_data_are_data() {
    // An entry whose bytes hold a data descriptor of its own first bytes.
    // Readers of the central directory must not be fooled. (A streaming
    // reader that scans for descriptors can be: see the module docs.)
    let dir = TempDir::new("lookalike");
    let path = dir.file("archive.zip");
    let prefix = content(0, 0, 5).to_vec();
    let mut tricky = prefix.clone();
    tricky.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
    tricky.extend_from_slice(&crc32fast::hash(&prefix).to_le_bytes());
    tricky.extend_from_slice(&5u32.to_le_bytes());
    tricky.extend_from_slice(&5u32.to_le_bytes());
    tricky.extend_from_slice(b"PK\x03\x04 and more");
    let layout = Layout::plan(
        [EntryMeta {
            name: "tricky.bin".into(),
            size: Some(tricky.len() as u64),
            mtime: None,
            crc: None,
            folder: false,
            mode: None,
        }],
        Method::Stored,
    )
    .unwrap();
    let mut zipper = Zipper::new(layout);
    let mut out = Vec::new();
    let mut bytes = Vec::new();
    let mut collect = |out: &mut Vec<Piece>, fed: &[u8]| {
        for piece in out.drain(..) {
            match piece.bytes {
                PieceBytes::Fed(r) => bytes.extend_from_slice(&fed[r]),
                PieceBytes::Made(b) => bytes.extend_from_slice(&b),
            }
        }
    };
    assert_eq!(zipper.advance(&mut out), Ok(Step::Entry(0)));
    collect(&mut out, &[]);
    zipper.feed(&tricky, &mut out).unwrap();
    collect(&mut out, &tricky);
    assert_eq!(zipper.advance(&mut out), Ok(Step::Done));
    collect(&mut out, &[]);
    std::fs::write(&path, &bytes).unwrap();

    let script =
        "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; \
                  sys.stdout.buffer.write(z.read('tricky.bin'))";
    let output = run(tool("python3").args(["-c", script]).arg(&path));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, tricky);
    let output = run(tool("unzip").arg("-p").arg(&path));
    assert!(output.status.success());
    assert_eq!(output.stdout, tricky);
    let output = run(tool("bsdtar").arg("-xOf").arg(&path));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(output.stdout, tricky);
}

#[test]
fn the_checks_catch_a_corrupt_byte() {
    // The tools are the oracle: prove that each check fails on a bad archive.
    let entries = small_entries();
    let dir = TempDir::new("corrupt");
    let path = dir.file("archive.zip");
    let layout = layout_of(&entries, Limits::ZIP).unwrap();
    let at = layout.segments()[7].offset.unwrap() + 1000; // within dir/sub/data.bin
    assert_eq!(layout.segments()[7].segment, Segment::Data { entry: 2 });
    write_archive(&path, layout, &entries, &[MAX_CHUNK]);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[at as usize] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    assert!(check_python(&path, &entries).is_err());
    assert!(check_unzip(&path, &entries).is_err());
    for piped in [false, true] {
        assert!(bsdtar(&path, &["-xOf"], piped, &entries, |out| {
            let mut sink = Vec::new();
            out.read_to_end(&mut sink)
                .map(drop)
                .map_err(|e| e.to_string())
        })
        .is_err());
    }
    // And the comparison of contents catches what the CRC would not see.
    let mut other = entries.clone();
    other[2].actual -= 1;
    assert!(compare_contents(&bytes[..0], &entries).is_err());
    assert!(compare_contents(&entries[0].bytes(0)[..], &other[..1]).is_ok());
    assert!(compare_contents(&entries[2].bytes(2)[..], &other[2..3]).is_err());
}

#[test]
fn seventy_thousand_entries_are_zip64_by_count() {
    let entries: Vec<TestEntry> = (0..70_000)
        .map(|i| TestEntry::new(&format!("d{:03}/f{i}.txt", i / 1000), (i % 7) as u64))
        .collect();
    let started = Instant::now();
    let layout = layout_of(&entries, Limits::ZIP).unwrap();
    let tail = layout.segments().last().unwrap();
    let dir = TempDir::new("70k");
    let path = dir.file("archive.zip");
    let written = write_archive(&path, layout.clone(), &entries, &[MAX_CHUNK]);
    assert_eq!(layout.size(), Some(written));
    let bytes = std::fs::read(&path).unwrap();
    // The ZIP64 end record and locator sit before the end record.
    let end = bytes.len() - 22;
    assert_eq!(&bytes[end..end + 4], b"PK\x05\x06");
    assert_eq!(
        &bytes[end + 8..end + 12],
        &[0xFF; 4],
        "both counts are 0xFFFF"
    );
    assert_eq!(&bytes[end - 20..end - 16], b"PK\x06\x07");
    assert_eq!(&bytes[end - 76..end - 72], b"PK\x06\x06");
    assert_eq!(tail.offset.unwrap() + tail.len.unwrap(), written);
    let planned = started.elapsed();
    check_all(&path, &entries);
    eprintln!(
        "70,000 entries: planned and written in {planned:?}, checked in {:?}",
        started.elapsed() - planned
    );
}

#[test]
fn random_archives_open_everywhere() {
    // Thirty archives drawn by the property tests' strategies, with a fixed
    // seed: random sizes, unknown sizes, times, and lowered ZIP64 limits.
    let mut runner = TestRunner::deterministic();
    let strategy = (
        super::tests::entries_strategy(),
        super::tests::limits_strategy(),
    );
    for round in 0..30 {
        let (entries, limits) = strategy.new_tree(&mut runner).unwrap().current();
        if entries.is_empty() {
            continue; // unzip calls an empty archive a warning
        }
        let label = format!("random-{round}");
        let dir = TempDir::new(&label);
        let path = dir.file("archive.zip");
        let layout = layout_of(&entries, limits).unwrap();
        write_archive(&path, layout, &entries, &[777]);
        let results = [
            check_python(&path, &entries),
            check_unzip(&path, &entries),
            check_bsdtar(&path, &entries, true),
        ];
        for result in results {
            assert_eq!(result, Ok(()), "round {round}: {entries:?} {limits:?}");
        }
    }
}

#[test]
fn an_empty_archive_is_what_python_writes() {
    let layout = Layout::plan([], Method::Stored).unwrap();
    let mut zipper = Zipper::new(layout);
    let mut out = Vec::new();
    assert_eq!(zipper.advance(&mut out), Ok(Step::Done));
    let ours: Vec<u8> = out
        .iter()
        .flat_map(|p| match &p.bytes {
            PieceBytes::Made(b) => b.to_vec(),
            PieceBytes::Fed(_) => unreachable!("no entry was fed"),
        })
        .collect();
    let script = "import io, sys, zipfile\nb = io.BytesIO()\nzipfile.ZipFile(b, 'w').close()\nsys.stdout.buffer.write(b.getvalue())";
    let output = run(tool("python3").args(["-c", script]));
    assert!(output.status.success());
    assert_eq!(ours, output.stdout);
}

/// Streams the archive of `entries` straight into `bsdtar -xOf -`, made on
/// the fly, comparing what it extracts with the entries as it comes.
fn stream_into_bsdtar(layout: Layout, entries: &[TestEntry]) -> Result<u64, String> {
    let mut child = tool("bsdtar")
        .args(["-xOf", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    thread::scope(|scope| {
        let errors = scope.spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let compared = scope.spawn(move || compare_contents(stdout, entries));
        let mut zipper = Zipper::new(layout);
        let mut len = 0u64;
        let mut failed = None;
        drive(
            &mut zipper,
            entries,
            &[MAX_CHUNK],
            false,
            &mut |_, bytes| {
                if failed.is_none() {
                    failed = stdin.write_all(bytes).err();
                }
                len += bytes.len() as u64;
            },
        )
        .map_err(|e| e.to_string())?;
        drop(stdin);
        let compared = compared.join().unwrap();
        let status = child.wait().unwrap();
        let errors = errors.join().unwrap();
        match (compared, failed) {
            (Ok(()), None) if status.success() && errors.is_empty() => Ok(len),
            (compared, failed) => Err(format!(
                "bsdtar -xOf - from a pipe: {status}, {compared:?}, write: {failed:?}, {errors}"
            )),
        }
    })
}

/// 4 GiB and then some, made on the fly twice, never in memory: into a file
/// that Python, unzip and bsdtar read, and straight into `bsdtar -xOf -`.
///
/// The slowest test: about 40 s on an idle 2-core machine (writing the file
/// ~9 s, then unzip -t ~25 s alongside bsdtar from a pipe ~14 s and Python
/// ~4 s); the assembler itself makes the 4 GiB in under a second.
#[test]
fn a_zip64_archive_over_4_gib_streamed_through_every_tool() {
    const GIB: u64 = 1 << 30;
    let mut big = TestEntry::new("big.bin", 4 * GIB + 3);
    big.mtime = Some(UNIX_EPOCH + Duration::from_secs(1_234_567_890));
    let entries = vec![
        TestEntry::new("before.txt", 10),
        big,
        // Its local header is past 4 GiB: a ZIP64 offset in the directory.
        TestEntry::new("after.txt", 20),
        TestEntry::new("streamed.bin", 1000).unknown_size(),
    ];
    let dir = TempDir::new("4gib");
    let path = dir.file("archive.zip");
    let started = Instant::now();
    let layout = layout_of(&entries, Limits::ZIP).unwrap();
    assert_eq!(layout.size(), None, "one entry's size is unknown");
    let len = write_archive(&path, layout.clone(), &entries, &[MAX_CHUNK]);
    assert!(len > 4 * GIB);
    let written = started.elapsed();

    let (unzip, others) = thread::scope(|scope| {
        let unzip = scope.spawn(|| (check_unzip(&path, &entries), started.elapsed()));
        let streamed = stream_into_bsdtar(layout, &entries);
        assert_eq!(streamed, Ok(len), "the same bytes the second time");
        check_python(&path, &entries).unwrap();
        // The listing from the file; extracting 4 GiB again adds nothing.
        bsdtar(&path, &["-tvf"], false, &entries, |out| {
            let mut listing = String::new();
            out.read_to_string(&mut listing)
                .map_err(|e| e.to_string())?;
            let sizes: Vec<u64> = listing
                .lines()
                .filter_map(|l| l.split_whitespace().nth(4)?.parse().ok())
                .collect();
            let expected: Vec<u64> = entries.iter().map(|e| e.actual).collect();
            if sizes == expected {
                Ok(())
            } else {
                Err(listing)
            }
        })
        .unwrap();
        let others = started.elapsed();
        (unzip.join().unwrap(), others)
    });
    unzip.0.unwrap();
    eprintln!(
        "{len} bytes: written in {written:?}; unzip done at {:?}, bsdtar from a pipe, python and the listing at {others:?}",
        unzip.1
    );
}

#[cfg(feature = "deflate")]
#[test]
fn deflate_archives_open_everywhere() {
    let entries = [
        TestEntry::new("text.txt", 100_000),
        TestEntry::new("empty", 0),
        TestEntry::new("unknown.bin", 70_000).unknown_size(),
        TestEntry::new("naïve.txt", 17),
    ];
    let dir = TempDir::new("deflate");
    let path = dir.file("archive.zip");
    let layout = Layout::plan(entries.iter().map(TestEntry::meta), Method::Deflate).unwrap();
    let written = write_archive(&path, layout, &entries, &[4096, 1, 100_000]);
    assert!(written < 10_000, "the pattern compresses: {written}");
    let results = [
        check_python(&path, &entries),
        check_unzip(&path, &entries),
        // Deflated entries state no size in the local header: no listing
        // from a pipe to compare sizes with.
        check_bsdtar(&path, &entries, false),
    ];
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
}
