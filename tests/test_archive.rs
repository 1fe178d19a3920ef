//! Zip archives over HTTP: the demo's `/archive/` and archives of every
//! source kind, opened by Python's `zipfile`, Info-ZIP `unzip`, libarchive's
//! `bsdtar` and Java's streaming `ZipInputStream`; exact `Content-Length`;
//! HEAD of 100 GiB; Range, multipart and `If-Range`; `curl -C -` resuming
//! byte-exactly; folders and modes; failing entries and clients that leave;
//! a first pass over generators and seekable readers for Java.

use std::{
    io::{self, Read, Write},
    process::Command,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use actix_web::{web, HttpRequest};
use bytes::Bytes;
use downloadview::{
    Archive, AsyncSink, DownloadError, DownloadReport, GetFile, Outcome, VirtualDownloadView,
    VirtualFile,
};
use suite::kinds::pattern_range;
use suite::{
    eventually,
    kinds::FailingReader,
    made::{make, Make, Views},
    tools::{assert_archive_download, mode_of, parse_entries, pipe_through, run, tool, Temp},
    Live,
};

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/demo.rs"]
mod demo;

// ---------------------------------------------------------------------------
// The real tools.

/// Reads `zip` as Java, Kotlin and Android code reads one from an HTTP
/// response: `java.util.zip.ZipInputStream` on a stream, entry by entry
/// (tests/java/ReadZipStream.java, every CRC and size checked). Each
/// entry's name and bytes, or Java's error.
fn read_with_java(zip: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut java = tool("java");
    java.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/java/ReadZipStream.java"
    ));
    pipe_through(java, Some(zip)).map(|out| parse_entries(&out))
}

/// Runs `command`, which must succeed; its output, as text.
fn run_ok(command: Command, what: &str) -> String {
    String::from_utf8_lossy(&run(command, None, what)).into_owned()
}

/// Opens `zip` with the three tools, checking every CRC, and returns each
/// entry's name and bytes as Python reads them.
fn open_everywhere(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let file = Temp::file("archive.zip", zip);
    let path = file.0.to_str().expect("a UTF-8 temp path");
    let out = run_ok(
        {
            let mut c = tool("unzip");
            c.args(["-t", path]);
            c
        },
        "unzip -t",
    );
    assert!(out.contains("No errors detected"), "unzip -t:\n{out}");
    run_ok(
        {
            let mut c = tool("bsdtar");
            c.args(["-tvf", path]);
            c
        },
        "bsdtar -tvf",
    );
    // libarchive reading from a pipe (no seeking): every entry's bytes.
    let mut bsdtar = tool("bsdtar");
    bsdtar.args(["-xOf", "-"]);
    let piped_bytes = run(bsdtar, Some(zip), "bsdtar -xOf -");
    let script = r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    assert bad is None, f"bad CRC in {bad}"
    for info in z.infolist():
        data = z.read(info)
        sys.stdout.buffer.write(info.filename.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
"#;
    let out = tool("python3")
        .args(["-c", script, path])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python zipfile: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries = parse_entries(&out.stdout);
    let concatenated: Vec<u8> = entries
        .iter()
        .flat_map(|(_, d)| d.iter().copied())
        .collect();
    assert!(
        piped_bytes == concatenated,
        "bsdtar from a pipe read other bytes than Python"
    );
    entries
}

// ---------------------------------------------------------------------------
// The demo's /archive/.

fn demo_server() -> suite::TestServer {
    suite::serve(demo::configure)
}

#[test]
fn the_demo_archive_opens_in_python_unzip_bsdtar_and_java() {
    let server = demo_server();
    let res = server.get("/archive/?size=3000000");
    assert_archive_download(&res, "application/zip", "archive.zip", "\"zip-");
    let entries = open_everywhere(&res.body);
    assert_eq!(
        entries.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["hello-world.txt", "café résumé.txt", "data.bin"]
    );
    assert_eq!(entries[0].1, b"Hello world!\n");
    assert_eq!(entries[1].1, b"Hello world!\n");
    assert!(
        entries[2].1 == pattern_range(0, 3_000_000),
        "data.bin differs"
    );
    // Java's streaming reader: every entry states its CRC ahead.
    let java = read_with_java(&res.body).unwrap_or_else(|err| panic!("Java: {err}"));
    assert!(java == entries, "Java's ZipInputStream read other entries");
    // HEAD: the same headers, no body, nothing produced.
    let head = server.head("/archive/?size=3000000");
    assert_eq!(
        head.header("content-length"),
        Some(res.body.len().to_string().as_str())
    );
    assert!(head.body.is_empty());
}

#[test]
fn head_of_a_100_gib_archive_costs_nothing() {
    let server = demo_server();
    let size: u64 = 100 << 30;
    let start = Instant::now();
    let head = server.head(&format!("/archive/?size={size}"));
    let took = start.elapsed();
    assert_eq!(head.status, 200);
    let length: u64 = head.header("content-length").unwrap().parse().unwrap();
    assert!(length > size, "{length}");
    assert!(took < Duration::from_secs(1), "HEAD took {took:?}");
    // ZIP64 records on top of the 32-bit ones: a fixed overhead, whatever N.
    let small: u64 = server
        .head("/archive/?size=1000")
        .header("content-length")
        .unwrap()
        .parse()
        .unwrap();
    assert!(length - size > small - 1000);
    assert!(length - size < small - 1000 + 200);
}

#[test]
fn a_download_cut_half_way_and_resumed_with_curl_equals_the_full_one() {
    let server = demo_server();
    let url = format!("http://{}/archive/?size=5000000", server.addr);
    let full = server.get("/archive/?size=5000000").body;
    // The first half, then the connection cut, as a browser that lost it.
    let partial = {
        let mut stream = suite::connect(server.addr);
        write!(
            stream,
            "GET /archive/?size=5000000 HTTP/1.1\r\nHost: {}\r\n\r\n",
            server.addr
        )
        .unwrap();
        let mut got = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        while got.len() < full.len() / 2 + 4096 {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        got[head_end..full.len() / 2 + head_end].to_vec()
    };
    let file = Temp::file("resume.zip", &partial);
    run_ok(
        {
            let mut c = tool("curl");
            c.args(["-sS", "-f", "-C", "-", "-o"])
                .arg(&file.0)
                .arg(&url);
            c
        },
        "curl -C -",
    );
    let resumed = std::fs::read(&file.0).unwrap();
    assert_eq!(resumed.len(), full.len());
    assert!(
        resumed == full,
        "the resumed archive differs from the full one"
    );
    open_everywhere(&resumed);
}

/// The parts of a `multipart/byteranges` body: (Content-Range, bytes).
fn multipart_parts(res: &suite::Response) -> Vec<(String, Vec<u8>)> {
    let content_type = res.header("content-type").expect("content type");
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .to_owned();
    let delimiter = format!("\r\n--{boundary}");
    let body = [b"\r\n".as_slice(), &res.body].concat();
    let mut parts = Vec::new();
    let mut rest = &body[..];
    loop {
        let at = find(rest, delimiter.as_bytes()).expect("a delimiter");
        rest = &rest[at + delimiter.len()..];
        if rest.starts_with(b"--") {
            return parts;
        }
        let head_end = find(rest, b"\r\n\r\n").expect("part head") + 4;
        let head = String::from_utf8_lossy(&rest[..head_end]).into_owned();
        let range = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Range: "))
            .expect("Content-Range")
            .to_owned();
        rest = &rest[head_end..];
        let end = find(rest, delimiter.as_bytes()).expect("part end");
        parts.push((range, rest[..end].to_vec()));
        rest = &rest[end..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn single_and_multipart_ranges_hold_the_full_archives_bytes() {
    let server = demo_server();
    let full = server.get("/archive/?size=200000").body;
    let n = full.len();
    // One range in the middle of data.bin.
    let res = server.request(
        "GET",
        "/archive/?size=200000",
        &[("Range", "bytes=1000-150000")],
    );
    assert_eq!(res.status, 206);
    assert_eq!(
        res.header("content-range"),
        Some(format!("bytes 1000-150000/{n}").as_str())
    );
    assert!(res.body == full[1000..=150000]);
    // Ranges across entry boundaries: the first header, the end of the first
    // entry into the second, the tail (directory and end record).
    let ranges = [
        (0usize, 99usize),
        (60, 140),
        (150_000, 150_100),
        (n - 300, n - 1),
    ];
    let header = "bytes=0-99,60-140,150000-150100,-300".to_owned();
    let res = server.request("GET", "/archive/?size=200000", &[("Range", &header)]);
    assert_eq!(res.status, 206);
    assert!(res.complete);
    let parts = multipart_parts(&res);
    // 0-99 and 60-140 overlap: coalesced into one part.
    let expected = [(0, 140), ranges[2], ranges[3]];
    assert_eq!(parts.len(), expected.len());
    for ((range, bytes), (a, b)) in parts.iter().zip(expected) {
        assert_eq!(range, &format!("bytes {a}-{b}/{n}"));
        assert!(bytes[..] == full[a..=b], "part {range}");
    }
    assert_eq!(
        res.header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        res.body.len()
    );
}

#[test]
fn an_archives_parts_go_in_file_order() {
    // An archive is produced from its start in one pass (the CRCs before a
    // range are needed), so its parts cannot follow the request's order:
    // they are sent in file order, which RFC 9110 allows (a SHOULD).
    let server = demo_server();
    let n = 200_000usize;
    let full = server.get(&format!("/archive/?size={n}")).body;
    let res = server.request(
        "GET",
        &format!("/archive/?size={n}"),
        &[("Range", "bytes=150000-150100,0-99")],
    );
    assert_eq!(res.status, 206);
    assert!(res.complete);
    let parts = multipart_parts(&res);
    let expected = [(0usize, 99usize), (150_000, 150_100)];
    assert_eq!(parts.len(), expected.len());
    for ((range, bytes), (a, b)) in parts.iter().zip(expected) {
        assert_eq!(range, &format!("bytes {a}-{b}/{}", full.len()));
        assert!(bytes[..] == full[a..=b], "part {range}");
    }
}

#[test]
fn if_range_with_the_archives_etag() {
    let server = demo_server();
    let full = server.get("/archive/?size=100000");
    let etag = full.header("etag").unwrap().to_owned();
    let res = server.request(
        "GET",
        "/archive/?size=100000",
        &[("Range", "bytes=10-19"), ("If-Range", &etag)],
    );
    assert_eq!(res.status, 206);
    assert_eq!(res.body, full.body[10..20]);
    let res = server.request(
        "GET",
        "/archive/?size=100000",
        &[
            ("Range", "bytes=10-19"),
            ("If-Range", "\"zip-0000000000000000\""),
        ],
    );
    assert_eq!(res.status, 200, "a stale If-Range gets the whole archive");
    assert_eq!(res.body, full.body);
    // Another size, another archive: another tag.
    let other = server.head("/archive/?size=100001");
    assert_ne!(other.header("etag"), Some(etag.as_str()));
    let res = server.request("GET", "/archive/?size=100000", &[("If-None-Match", &etag)]);
    assert_eq!(res.status, 304);
}

// ---------------------------------------------------------------------------
// Archives of every source kind, served by a view.

fn reports() -> &'static Mutex<Vec<DownloadReport>> {
    static REPORTS: Mutex<Vec<DownloadReport>> = Mutex::new(Vec::new());
    &REPORTS
}

fn serve(routes: Vec<(&'static str, Make)>) -> suite::TestServer {
    Views::named("made.zip")
        .reporting_to(|report| reports().lock().unwrap().push(report.clone()))
        .serve(routes)
}

fn every_kind(n: usize) -> Vec<(String, VirtualFile)> {
    let data = pattern_range(0, n as u64);
    let chunks: Vec<io::Result<Bytes>> = data
        .chunks(7000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let (d1, d2, d3, d4, d5) = (
        data.clone(),
        data.clone(),
        data.clone(),
        data.clone(),
        data.clone(),
    );
    vec![
        ("bytes.bin".into(), VirtualFile::from_bytes(data.clone())),
        ("empty.txt".into(), VirtualFile::from_static(b"")),
        (
            "reader.bin".into(),
            VirtualFile::from_reader(io::Cursor::new(d1)).with_size(n as u64),
        ),
        (
            "iter/tiny.bin".into(),
            VirtualFile::from_iter(d2.chunks(13).map(<[u8]>::to_vec).collect::<Vec<_>>()),
        ),
        (
            "writer.csv".into(),
            VirtualFile::from_writer(move |out| Ok(out.write_all(&d3)?)),
        ),
        (
            "stream.bin".into(),
            VirtualFile::from_stream(futures_util::stream::iter(chunks)),
        ),
        (
            "async-writer.bin".into(),
            VirtualFile::from_async_writer(move |mut sink: AsyncSink| async move {
                use tokio::io::AsyncWriteExt as _;
                sink.write_all(&d4).await
            }),
        ),
        (
            "generator.bin".into(),
            VirtualFile::from_generator(n as u64, move |offset| {
                let data = d5.clone();
                (offset as usize..data.len())
                    .step_by(4096)
                    .map(move |s| data[s..(s + 4096).min(data.len())].to_vec())
                    .collect::<Vec<_>>()
            }),
        ),
        (
            "ünïcödé/日本語.txt".into(),
            VirtualFile::from_static(b"utf-8\n"),
        ),
    ]
}

#[test]
fn archives_of_every_source_kind_open_everywhere() {
    const N: usize = 300_001;
    let server = serve(vec![
        ("/every", make(|| Ok(VirtualFile::zip(every_kind(N))?))),
        (
            "/many",
            make(|| {
                let mut archive = Archive::new();
                for i in 0..70_000 {
                    archive.push(
                        format!("d{}/f{i}.txt", i % 100),
                        VirtualFile::from(format!("{i}\n")),
                    );
                }
                Ok(archive.build()?)
            }),
        ),
    ]);
    let res = server.get("/every");
    assert_eq!(res.status, 200);
    assert!(res.complete);
    // Unknown sizes (reader declared, the rest not): chunked, no Range.
    assert!(res.chunked);
    assert_eq!(res.header("accept-ranges"), None);
    let entries = open_everywhere(&res.body);
    let expected = pattern_range(0, N as u64);
    for (name, data) in &entries {
        match name.as_str() {
            "empty.txt" => assert!(data.is_empty()),
            "ünïcödé/日本語.txt" => assert_eq!(data, b"utf-8\n"),
            _ => assert!(*data == expected, "{name} differs"),
        }
    }
    assert_eq!(entries.len(), 9);

    // 70,000 entries: ZIP64 end records; sizes known, so Content-Length.
    let res = server.get("/many");
    assert!(res.complete);
    let length: usize = res.header("content-length").unwrap().parse().unwrap();
    assert_eq!(length, res.body.len());
    let entries = open_everywhere(&res.body);
    assert_eq!(entries.len(), 70_000);
    assert_eq!(
        entries[69_999],
        ("d99/f69999.txt".to_owned(), b"69999\n".to_vec())
    );
}

#[test]
fn a_failing_entry_aborts_the_archive_and_a_client_that_leaves_stops_every_entry() {
    let live = Arc::new(AtomicUsize::new(0));
    let l = Arc::clone(&live);
    let server = serve(vec![
        (
            "/failing",
            make(|| {
                Ok(VirtualFile::zip([
                    ("ok.txt", VirtualFile::from_static(b"fine\n")),
                    (
                        "broken.bin",
                        VirtualFile::from_reader(FailingReader {
                            left: 200_000,
                            byte: b'f',
                            message: "the disk went away",
                        })
                        .with_size(1_000_000),
                    ),
                    ("after.txt", VirtualFile::from_static(b"never\n")),
                ])?)
            }),
        ),
        (
            "/short",
            make(|| {
                Ok(VirtualFile::zip([(
                    "short.bin",
                    VirtualFile::from_iter([vec![1u8; 1000]]).with_size(2000),
                )])?)
            }),
        ),
        (
            "/endless",
            make(move || {
                let entry = |l: &Arc<AtomicUsize>| {
                    let guard = Arc::new(Live::new(l));
                    VirtualFile::from_generator(1 << 40, move |offset| {
                        let guard = Arc::clone(&guard);
                        (offset..1 << 40).step_by(4096).map(move |i| {
                            let _ = &guard;
                            vec![(i % 251) as u8; 4096]
                        })
                    })
                };
                Ok(VirtualFile::zip([
                    ("a.bin", entry(&l)),
                    ("b.bin", entry(&l)),
                    ("c.bin", entry(&l)),
                ])?)
            }),
        ),
    ]);
    // A source error half-way: the client sees an incomplete transfer.
    let res = server.get("/failing");
    assert_eq!(res.status, 200);
    assert!(!res.complete, "a failing entry looked complete");
    assert!(eventually(Duration::from_secs(2), || {
        reports().lock().unwrap().iter().any(|r| {
            r.path() == "/failing"
                && r.outcome == Outcome::SourceFailed
                && r.error.as_deref() == Some("the disk went away")
        })
    }));
    // An entry shorter than declared: the same, with the entry named.
    let res = server.get("/short");
    assert!(!res.complete);
    assert!(eventually(Duration::from_secs(2), || {
        reports().lock().unwrap().iter().any(|r| {
            r.path() == "/short"
                && r.outcome == Outcome::SourceFailed
                && r.error.as_deref().is_some_and(|e| e.contains("short.bin"))
        })
    }));
    // A client that leaves: every entry's producer is dropped, the started
    // one and those not yet started.
    {
        let mut stream = suite::connect(server.addr);
        write!(stream, "GET /endless HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = 0;
        while got < 2 << 20 {
            got += stream.read(&mut buf).unwrap();
        }
        assert_eq!(live.load(Ordering::SeqCst), 3);
    }
    assert!(
        eventually(Duration::from_secs(2), || live.load(Ordering::SeqCst) == 0),
        "{} entries still alive after the client left",
        live.load(Ordering::SeqCst)
    );
}

#[test]
fn hostile_entry_names_are_refused_when_the_archive_is_built() {
    let long = "a".repeat(70 * 1024);
    for (name, why) in [
        ("../x", "..".to_owned()),
        ("a/../../x", "..".to_owned()),
        ("/etc/passwd", "absolute".to_owned()),
        ("C:/windows", "drive".to_owned()),
        ("a\\b", "backslash".to_owned()),
        ("a\0b", "control".to_owned()),
        ("a\nb", "control".to_owned()),
        ("", "empty".to_owned()),
        ("a//b", "empty".to_owned()),
        ("dir/", "empty".to_owned()),
        (long.as_str(), "zip limit".to_owned()),
        ("CON", "Windows device name".to_owned()),
        ("logs/aux.txt", "Windows device name".to_owned()),
        ("FINE.TXT", "only by case".to_owned()),
    ] {
        let err = VirtualFile::zip([
            ("fine.txt", VirtualFile::from_static(b"")),
            (name, VirtualFile::from_static(b"")),
        ])
        .expect_err(name);
        let text = err.to_string();
        assert!(text.starts_with("archive entry 1 ("), "{name:?}: {text}");
        assert!(text.contains(&why), "{name:?}: {text}");
        // And a view that returns it answers 500, revealing nothing.
        let download: DownloadError = err.into();
        assert_eq!(
            actix_web::ResponseError::status_code(&download),
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
        );
    }
    let err = VirtualFile::zip([
        ("same.txt", VirtualFile::from_static(b"")),
        ("same.txt", VirtualFile::from_static(b"")),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("the same name"), "{err}");
    // One name in NFC, the other in NFD: one file on macOS.
    let err = VirtualFile::zip([
        ("caf\u{e9}.txt", VirtualFile::from_static(b"")),
        ("cafe\u{301}.txt", VirtualFile::from_static(b"")),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("Unicode normalisation"), "{err}");
    // Set-user-ID, set-group-ID, sticky: refused, with the mode and entry.
    for mode in [0o4755, 0o2755, 0o1777, 0o100644] {
        let err = Archive::new()
            .entry("fine.txt", VirtualFile::from_static(b""))
            .entry("tool", VirtualFile::from_static(b"").with_mode(mode))
            .build()
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("archive entry 1 (\"tool\"): mode ")
                && text.contains(&format!("{mode:#o}")),
            "{text}"
        );
    }
}

#[test]
fn a_deflated_archive_is_chunked_unrangeable_and_opens_everywhere() {
    let server = serve(vec![(
        "/deflated",
        make(|| {
            let text: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
            Ok(Archive::new()
                .entry(
                    "text.txt",
                    VirtualFile::from(text)
                        .with_etag(actix_web::http::header::EntityTag::new_strong("t1".into())),
                )
                .entry(
                    "pattern.bin",
                    VirtualFile::from_bytes(pattern_range(0, 100_000)),
                )
                .entry("empty", VirtualFile::from_static(b""))
                .deflate()
                .build()?)
        }),
    )]);
    let res = server.get("/deflated");
    assert_eq!(res.status, 200);
    assert!(res.complete);
    assert!(res.chunked, "a deflated archive's size is unknown");
    assert_eq!(res.header("content-length"), None);
    assert_eq!(res.header("accept-ranges"), None);
    // Only some entries have a tag: no ETag at all.
    assert_eq!(res.header("etag"), None);
    let ranged = server.request("GET", "/deflated", &[("Range", "bytes=0-9")]);
    assert_eq!(ranged.status, 200, "no Range for deflate");
    let entries = open_everywhere(&res.body);
    let text: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    assert_eq!(entries[0].1, text.as_bytes());
    assert!(entries[1].1 == pattern_range(0, 100_000));
    assert!(entries[2].1.is_empty());
    assert!(res.body.len() < text.len(), "deflate compressed nothing");
}

#[test]
fn javas_zip_input_stream_reads_stored_entries_whose_crc_is_known_ahead() {
    let generated = |crc: Option<u32>| {
        let file = VirtualFile::from_generator(100_000, |offset| {
            std::iter::once(Bytes::from(pattern_range(offset, 100_000)))
        });
        match crc {
            Some(crc) => file.with_crc32(crc),
            None => file,
        }
    };
    let crc = crc32fast::hash(&pattern_range(0, 100_000));
    let server = serve(vec![
        (
            "/known",
            make(move || {
                Ok(Archive::new()
                    .entry("memory.txt", VirtualFile::from_static(b"in memory\n"))
                    .entry("generated.bin", generated(Some(crc)))
                    .build()?)
            }),
        ),
        (
            "/unknown",
            make(move || {
                Ok(Archive::new()
                    .entry("generated.bin", generated(None))
                    .build()?)
            }),
        ),
        (
            "/deflated",
            make(move || {
                Ok(Archive::new()
                    .entry("generated.bin", generated(None))
                    .deflate()
                    .build()?)
            }),
        ),
        (
            "/wrong",
            make(move || {
                Ok(Archive::new()
                    .entry("generated.bin", generated(Some(crc ^ 1)))
                    .build()?)
            }),
        ),
    ]);
    // Stored, every CRC ahead: read entry by entry.
    let known = server.get("/known");
    assert!(known.complete);
    let entries = read_with_java(&known.body).unwrap_or_else(|err| panic!("Java: {err}"));
    assert_eq!(entries.len(), 2);
    assert_eq!(
        entries[0],
        ("memory.txt".to_owned(), b"in memory\n".to_vec())
    );
    assert!(entries[1].1 == pattern_range(0, 100_000));
    assert_eq!(open_everywhere(&known.body), entries);
    // Stored with a data descriptor (CRC unknown ahead): Java refuses it, as
    // the docs say, and the other readers do not.
    let unknown = server.get("/unknown");
    let err = read_with_java(&unknown.body).unwrap_err();
    assert!(
        err.contains("only DEFLATED entries can have EXT descriptor"),
        "{err}"
    );
    assert_eq!(open_everywhere(&unknown.body).len(), 1);
    // Deflated, with a descriptor: what Java streams without a CRC ahead.
    let deflated = server.get("/deflated");
    let entries = read_with_java(&deflated.body).unwrap_or_else(|err| panic!("Java: {err}"));
    assert!(entries[0].1 == pattern_range(0, 100_000));
    // A CRC stated wrongly: the archive is aborted at the end of the entry,
    // never completed, and reported as a failing source.
    let wrong = server.get("/wrong");
    assert!(
        !wrong.complete,
        "an archive with a wrong CRC looked complete"
    );
    assert!(eventually(Duration::from_secs(2), || {
        reports().lock().unwrap().iter().any(|r| {
            r.path() == "/wrong"
                && r.outcome == Outcome::SourceFailed
                && r.error.as_deref().is_some_and(|e| e.contains("CRC-32"))
        })
    }));
}

#[test]
fn folders_and_modes_are_unpacked_by_unzip_and_bsdtar_and_read_by_python_and_java() {
    let server = serve(vec![(
        "/modes",
        make(|| {
            let mut archive = Archive::new()
                .entry(
                    "bin/run.sh",
                    VirtualFile::from_static(b"#!/bin/sh\necho ran\n").with_mode(0o755),
                )
                .entry(
                    "secret.txt",
                    VirtualFile::from_static(b"only me\n").with_mode(0o600),
                )
                .entry("plain.txt", VirtualFile::from_static(b"plain\n"))
                .folder("uploads/");
            archive.push_folder_with_mode("private", 0o700);
            archive.push(
                "generated.bin",
                VirtualFile::from_iter([Bytes::from(pattern_range(0, 1000))])
                    .with_size(1000)
                    .with_crc32(crc32fast::hash(&pattern_range(0, 1000)))
                    .with_mode(0o750),
            );
            Ok(archive.build()?)
        }),
    )]);
    let res = server.get("/modes");
    assert!(res.complete);
    let zip = Temp::file("modes.zip", &res.body);
    let expected = [
        ("bin/run.sh", 0o755, false),
        ("secret.txt", 0o600, false),
        ("plain.txt", 0o644, false),
        ("uploads", 0o755, true),
        ("private", 0o700, true),
        ("generated.bin", 0o750, false),
    ];
    for unpacker in ["unzip", "bsdtar"] {
        let dir = Temp::dir(unpacker);
        // Under the usual umask, which none of these modes is narrowed by.
        let command = match unpacker {
            "unzip" => format!("umask 022 && unzip -q {:?} -d {:?}", zip.0, dir.0),
            _ => format!("umask 022 && bsdtar -xf {:?} -C {:?}", zip.0, dir.0),
        };
        tool(unpacker);
        run_ok(
            {
                let mut c = Command::new("sh");
                c.args(["-c", &command]);
                c
            },
            &command,
        );
        for (name, mode, folder) in expected {
            assert_eq!(
                mode_of(&dir.0.join(name)),
                (mode, folder),
                "{unpacker}: {name} unpacked as {:o}",
                mode_of(&dir.0.join(name)).0
            );
        }
        assert!(
            std::fs::read_dir(dir.0.join("uploads"))
                .unwrap()
                .next()
                .is_none(),
            "{unpacker}: the empty folder is empty"
        );
        assert_eq!(
            std::fs::read(dir.0.join("bin/run.sh")).unwrap(),
            b"#!/bin/sh\necho ran\n"
        );
    }
    // Python's zipfile does not apply modes when it extracts, but reads them.
    let script = r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    for info in z.infolist():
        print(f"{info.filename} {info.external_attr >> 16:o} {info.is_dir()}")
"#;
    let out = run_ok(
        {
            let mut c = tool("python3");
            c.args(["-c", script, zip.0.to_str().unwrap()]);
            c
        },
        "python zipfile",
    );
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "bin/run.sh 100755 False",
            "secret.txt 100600 False",
            "plain.txt 100644 False",
            "uploads/ 40755 True",
            "private/ 40700 True",
            "generated.bin 100750 False",
        ]
    );
    // Java streams the folder as an entry of its own, with no data.
    let java = read_with_java(&res.body).unwrap_or_else(|err| panic!("Java: {err}"));
    assert_eq!(java[3], ("uploads/".to_owned(), Vec::new()));
}

#[test]
fn send_timeout_stops_a_stalled_archives_running_entry() {
    // An archive whose second entry is a writer that never ends: the client
    // stalls, send_timeout fires, the writer's next write fails.
    #[derive(VirtualDownloadView)]
    #[download(basename = "timed.zip", send_timeout = 1)]
    struct TimedZip {
        errors: Arc<Mutex<Vec<io::ErrorKind>>>,
    }
    impl GetFile for TimedZip {
        fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
            let errors = Arc::clone(&self.errors);
            Ok(VirtualFile::zip([
                ("first.txt", VirtualFile::from_static(b"first\n")),
                (
                    "endless.csv",
                    VirtualFile::from_writer(move |out| loop {
                        if let Err(err) = out.write_all(&[b'w'; 4096]) {
                            errors.lock().unwrap().push(err.kind());
                            return Err(err.into());
                        }
                    }),
                ),
            ])?)
        }
    }
    let errors = Arc::new(Mutex::new(Vec::new()));
    let e = Arc::clone(&errors);
    let server = suite::serve(move |cfg| {
        let e = Arc::clone(&e);
        cfg.route(
            "/timed.zip",
            web::get().to(move || {
                let errors = Arc::clone(&e);
                async move { TimedZip { errors } }
            }),
        );
    });
    let client = suite::stall(server.addr, "/timed.zip");
    assert!(
        eventually(Duration::from_secs(4), || !errors
            .lock()
            .unwrap()
            .is_empty()),
        "the stalled archive's writer entry was not stopped"
    );
    assert_eq!(*errors.lock().unwrap(), [io::ErrorKind::BrokenPipe]);
    drop(client);
}

// ---------------------------------------------------------------------------
// A first pass over sources read twice, for their CRCs ahead.

/// Each local header of `zip`, an archive with no data descriptor, in
/// order: (name, general-purpose flags, CRC-32 stated, data).
fn local_headers(zip: &[u8]) -> Vec<(String, u16, u32, Vec<u8>)> {
    let le16 = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]);
    let le32 = |at: usize| u32::from_le_bytes(zip[at..at + 4].try_into().unwrap());
    let mut headers = Vec::new();
    let mut at = 0;
    while zip[at..].starts_with(b"PK\x03\x04") {
        let (flags, crc, size) = (le16(at + 6), le32(at + 14), le32(at + 18) as usize);
        let (name_len, extra) = (le16(at + 26) as usize, le16(at + 28) as usize);
        let name = String::from_utf8(zip[at + 30..at + 30 + name_len].to_vec()).unwrap();
        let data = at + 30 + name_len + extra;
        headers.push((name, flags, crc, zip[data..data + size].to_vec()));
        at = data + size;
    }
    headers
}

/// A seekable reader that counts the bytes read from it.
struct CountedCursor {
    inner: io::Cursor<Vec<u8>>,
    read: Arc<AtomicUsize>,
}

impl Read for CountedCursor {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n, Ordering::SeqCst);
        Ok(n)
    }
}

impl io::Seek for CountedCursor {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[test]
fn a_first_pass_gives_java_stored_entries_of_generators_and_seekable_readers() {
    use actix_web::http::header::EntityTag;
    const N: u64 = 300_000;
    // Opens of each source from its start, and bytes read from the reader.
    let generated = Arc::new(AtomicUsize::new(0));
    let async_opened = Arc::new(AtomicUsize::new(0));
    let read = Arc::new(AtomicUsize::new(0));
    let (g, a, r) = (
        Arc::clone(&generated),
        Arc::clone(&async_opened),
        Arc::clone(&read),
    );
    let tag = |t: &str| EntityTag::new_strong(t.to_owned());
    let server = serve(vec![(
        "/first-pass",
        make(move || {
            let g = Arc::clone(&g);
            let generator = VirtualFile::from_generator(N, move |offset| {
                if offset == 0 {
                    g.fetch_add(1, Ordering::SeqCst);
                }
                (offset..N)
                    .step_by(4096)
                    .map(|at| pattern_range(at, at + 4096.min(N - at)))
                    .collect::<Vec<_>>()
            });
            let reader = VirtualFile::from_seekable_reader(CountedCursor {
                inner: io::Cursor::new(pattern_range(7, 7 + N)),
                read: Arc::clone(&r),
            })?;
            let a = Arc::clone(&a);
            let async_generator = VirtualFile::from_async_generator(N, move |offset| {
                if offset == 0 {
                    a.fetch_add(1, Ordering::SeqCst);
                }
                let chunks = (offset..N).step_by(65536).map(|at| {
                    Ok::<_, io::Error>(Bytes::from(pattern_range(
                        at + 3,
                        at + 3 + 65536.min(N - at),
                    )))
                });
                async move { Ok::<_, io::Error>(futures_util::stream::iter(chunks.collect::<Vec<_>>())) }
            });
            Ok(Archive::new()
                .entry(
                    "memory.txt",
                    VirtualFile::from_static(b"in memory\n")
                        .with_crc32_first_pass()
                        .with_etag(tag("m")),
                )
                .entry(
                    "generated.bin",
                    generator.with_crc32_first_pass().with_etag(tag("g")),
                )
                .entry(
                    "read.bin",
                    reader.with_crc32_first_pass().with_etag(tag("r")),
                )
                .entry(
                    "async.bin",
                    async_generator.with_crc32_first_pass().with_etag(tag("a")),
                )
                .entry(
                    "async-seek.bin",
                    VirtualFile::from_async_seekable(io::Cursor::new(pattern_range(5, 5 + N)), N)
                        .with_crc32_first_pass()
                        .with_etag(tag("s")),
                )
                .build()?)
        }),
    )]);
    let opens = || {
        (
            generated.load(Ordering::SeqCst),
            async_opened.load(Ordering::SeqCst),
            read.load(Ordering::SeqCst),
        )
    };
    let contents = [
        ("memory.txt", b"in memory\n".to_vec()),
        ("generated.bin", pattern_range(0, N)),
        ("read.bin", pattern_range(7, 7 + N)),
        ("async.bin", pattern_range(3, 3 + N)),
        ("async-seek.bin", pattern_range(5, 5 + N)),
    ];

    // HEAD, 304, 412 and 416: the exact length and the tag, no source run.
    let head = server.head("/first-pass");
    assert_eq!(head.status, 200);
    let length: usize = head.header("content-length").unwrap().parse().unwrap();
    let etag = head
        .header("etag")
        .expect("strong entries, a strong tag")
        .to_owned();
    assert!(!etag.starts_with("W/"), "{etag}");
    for (headers, status) in [
        (vec![("If-None-Match", etag.as_str())], 304),
        (vec![("If-Match", "\"other\"")], 412),
        (vec![("Range", "bytes=99999999-")], 416),
    ] {
        assert_eq!(
            server.request("GET", "/first-pass", &headers).status,
            status
        );
    }
    assert_eq!(opens(), (0, 0, 0), "a source ran for HEAD, 304, 412 or 416");

    // GET: each source read twice, from its start; exactly the length.
    let full = server.get("/first-pass");
    assert!(full.complete);
    assert_eq!(full.body.len(), length);
    assert_eq!(full.header("etag"), Some(etag.as_str()));
    assert_eq!(opens(), (2, 2, 2 * N as usize));
    // Every local header: bit 3 clear, the data's CRC, no descriptor.
    let headers = local_headers(&full.body);
    assert_eq!(headers.len(), 5);
    for ((name, flags, crc, data), (expected_name, expected)) in headers.iter().zip(&contents) {
        assert_eq!(name, expected_name);
        assert_eq!(flags & 1 << 3, 0, "{name}: bit 3");
        assert!(data == expected, "{name}: other bytes");
        assert_eq!(*crc, crc32fast::hash(expected), "{name}: CRC");
    }
    assert!(!full.body.windows(4).any(|w| w == b"PK\x07\x08"));
    // Java's streaming reader, Python, unzip and bsdtar: every CRC checked.
    let java = read_with_java(&full.body).unwrap_or_else(|err| panic!("Java: {err}"));
    let expected: Vec<(String, Vec<u8>)> = contents
        .iter()
        .map(|(name, data)| ((*name).to_owned(), data.clone()))
        .collect();
    assert!(java == expected, "Java read other entries");
    assert!(open_everywhere(&full.body) == expected);

    // Ranges: resumed from the middle of an entry's data (read once, its
    // header not wanted), and from inside the next entry's local header
    // (which needs its first pass): byte-exact.
    let read_at = full.body.windows(8).position(|w| w == b"read.bin").unwrap() - 30;
    for first in [read_at - 1000, read_at + 10, length - 100] {
        let before = opens();
        let res = server.request(
            "GET",
            "/first-pass",
            &[("Range", &format!("bytes={first}-"))],
        );
        assert_eq!(res.status, 206);
        assert!(res.complete);
        assert!(res.body == full.body[first..], "range from {first}");
        let after = opens();
        if first == read_at + 10 {
            // The generator is read once (before the range), the reader
            // and the async generator twice (their headers are wanted).
            assert_eq!(after.0 - before.0, 1);
            assert_eq!(after.2 - before.2, 2 * N as usize);
        }
    }
    let resumed = [
        &full.body[..read_at + 10],
        &server
            .request(
                "GET",
                "/first-pass",
                &[("Range", &format!("bytes={}-", read_at + 10))],
            )
            .body[..],
    ]
    .concat();
    assert!(
        resumed == full.body,
        "a resumed download differs from the full one"
    );
}

#[test]
fn a_second_pass_other_than_the_first_aborts_the_archive() {
    const N: u64 = 200_000;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let server = serve(vec![(
        "/unstable",
        make(move || {
            let c = Arc::clone(&c);
            // A generator whose bytes change between two reads (a table
            // written to while it is exported): the first open gives the
            // pattern, the next ones one byte changed.
            let unstable = VirtualFile::from_generator(N, move |offset| {
                let changed = offset == 0 && c.fetch_add(1, Ordering::SeqCst) > 0;
                (offset..N)
                    .step_by(4096)
                    .map(move |at| {
                        let mut chunk = pattern_range(at, at + 4096.min(N - at));
                        if changed && at == 8192 {
                            chunk[0] ^= 0xff;
                        }
                        chunk
                    })
                    .collect::<Vec<_>>()
            });
            Ok(Archive::new()
                .entry("first.txt", VirtualFile::from_static(b"fine\n"))
                .entry("unstable.bin", unstable.with_crc32_first_pass())
                .entry("after.txt", VirtualFile::from_static(b"never\n"))
                .build()?)
        }),
    )]);
    let res = server.get("/unstable");
    assert_eq!(res.status, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "read twice");
    assert!(
        !res.complete,
        "an archive with a changed entry looked complete"
    );
    assert!(
        (res.body.len() as u64)
            < res
                .header("content-length")
                .unwrap()
                .parse::<u64>()
                .unwrap()
    );
    assert!(eventually(Duration::from_secs(2), || {
        reports().lock().unwrap().iter().any(|r| {
            r.path() == "/unstable"
                && r.outcome == Outcome::SourceFailed
                && r.error
                    .as_deref()
                    .is_some_and(|e| e.contains("unstable.bin") && e.contains("first pass"))
        })
    }));
}
