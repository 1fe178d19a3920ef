//! Async sources that serve ranges, over HTTP: `from_async_generator` (an
//! object store's ranged get, opened per part) and `from_async_seekable`
//! (`tokio::fs::File`): full, HEAD (opens nothing), single and multipart
//! ranges, `If-Range`, a failing open, a short stream, a client that
//! leaves, and archives of async entries resumed by Range.

use std::{
    io::{Read, Write},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use actix_web::{http::header::EntityTag, HttpRequest};
use bytes::Bytes;
use downloadview::{
    DownloadError, DownloadReport, GetFile, Outcome, VirtualDownloadView, VirtualFile,
};
use suite::kinds::pattern_range;
use suite::{eventually, multipart::byteranges, Live};

const SIZE: u64 = 300_000;

/// Where each opening started, by route.
fn opened() -> &'static Mutex<Vec<(String, u64)>> {
    static OPENED: Mutex<Vec<(String, u64)>> = Mutex::new(Vec::new());
    &OPENED
}

fn openings(route: &str) -> Vec<u64> {
    opened()
        .lock()
        .unwrap()
        .iter()
        .filter(|(r, _)| r == route)
        .map(|&(_, at)| at)
        .collect()
}

fn reports() -> &'static Mutex<Vec<DownloadReport>> {
    static REPORTS: Mutex<Vec<DownloadReport>> = Mutex::new(Vec::new());
    &REPORTS
}

/// Live streams (a client that leaves must drop its stream).
static LIVE: std::sync::OnceLock<Arc<AtomicUsize>> = std::sync::OnceLock::new();

fn live() -> &'static Arc<AtomicUsize> {
    LIVE.get_or_init(|| Arc::new(AtomicUsize::new(0)))
}

/// `SIZE` bytes of the pattern from an async generator that stands for an
/// object store: each opening is counted, waits a tick like a network call,
/// and yields 64 KiB chunks from its offset. `{mode}`: `ok`, `fail` (the
/// open fails), `short` (the object ends 1,000 bytes early), `endless-ok`
/// (a stream that never ends, for a client that leaves).
fn remote(route: &'static str, mode: &str) -> VirtualFile {
    let mode = mode.to_owned();
    VirtualFile::from_async_generator(SIZE, move |offset| {
        opened().lock().unwrap().push((route.to_owned(), offset));
        let mode = mode.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            if mode == "fail" {
                return Err(std::io::Error::other("the store answered 503"));
            }
            let end = if mode == "short" { SIZE - 1000 } else { SIZE };
            let guard = Live::new(live());
            let chunks = (offset..end).step_by(65_536).map(move |at| {
                let _ = &guard;
                Ok(Bytes::from(pattern_range(at, (at + 65_536).min(end))))
            });
            Ok(futures_util::stream::iter(chunks))
        }
    })
    .with_etag(EntityTag::new_strong("object-v1".to_owned()))
}

#[derive(VirtualDownloadView, Default)]
#[download(basename = "object.bin")]
struct Remote;

impl GetFile for Remote {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let mode = req.match_info().get("mode").unwrap_or("ok");
        Ok(match mode {
            "ok" => remote("/remote/ok", mode),
            "fail" => remote("/remote/fail", mode),
            "short" => remote("/remote/short", mode),
            "head" => remote("/remote/head", "ok"),
            "range" => remote("/remote/range", "ok"),
            "multi" => remote("/remote/multi", "ok"),
            "endless" => VirtualFile::from_async_generator(u64::MAX / 2, |_| async {
                let guard = Live::new(live());
                let chunks = std::iter::repeat_with(move || {
                    let _ = &guard;
                    Ok::<_, std::io::Error>(Bytes::from(vec![7u8; 65_536]))
                });
                Ok::<_, std::io::Error>(futures_util::stream::iter(chunks))
            }),
            _ => return Err(DownloadError::NotFound),
        })
    }

    fn on_download(&self, report: &DownloadReport) {
        reports().lock().unwrap().push(report.clone());
    }
}

/// A real file read with `tokio::fs::File`.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "file.bin")]
struct OnDisk;

fn disk_path() -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "downloadview-async-seek-{}.bin",
        std::process::id()
    ))
}

impl GetFile for OnDisk {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let file = std::fs::File::open(disk_path())?;
        let size = file.metadata()?.len();
        Ok(VirtualFile::from_async_seekable(
            tokio::fs::File::from_std(file),
            size,
        ))
    }
}

/// Archives of async entries.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "objects")]
struct Packed;

impl GetFile for Packed {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let entries = [
            ("a.bin", remote("/packed", "ok")),
            ("b.bin", remote("/packed", "ok")),
        ];
        Ok(match req.match_info().get("format") {
            Some("zip") => VirtualFile::zip(entries)?,
            _ => VirtualFile::tar(entries)?,
        })
    }
}

fn server() -> suite::TestServer {
    suite::serve(|cfg| {
        cfg.route("/remote/{mode}", Remote::route())
            .route("/disk", OnDisk::route())
            .route("/packed/{format}", Packed::route());
    })
}

#[test]
fn an_async_generator_opens_once_per_part_and_never_for_head() {
    let server = server();
    let full = server.get("/remote/ok");
    assert_eq!(full.status, 200);
    assert!(full.complete);
    assert_eq!(full.header("content-length"), Some("300000"));
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    assert!(full.body == pattern_range(0, SIZE));
    assert_eq!(openings("/remote/ok"), [0]);

    let head = server.head("/remote/head");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("300000"));
    assert!(
        openings("/remote/head").is_empty(),
        "HEAD opened the source"
    );

    let res = server.request("GET", "/remote/range", &[("Range", "bytes=100000-100099")]);
    assert_eq!(res.status, 206);
    assert!(res.body == pattern_range(100_000, 100_100));
    assert_eq!(openings("/remote/range"), [100_000], "opened at the range");

    let res = server.request(
        "GET",
        "/remote/multi",
        &[("Range", "bytes=250000-250009,0-9,-5")],
    );
    assert_eq!(res.status, 206);
    assert!(res.complete);
    let parts = byteranges(res.header("content-type").unwrap(), &res.body);
    let expected = [(250_000u64, 250_009u64), (0, 9), (SIZE - 5, SIZE - 1)];
    assert_eq!(parts.len(), 3);
    for (part, (a, b)) in parts.iter().zip(expected) {
        assert_eq!(part.range, (a, b, SIZE));
        assert!(part.body == pattern_range(a, b + 1));
    }
    // Once per part, at each part's first byte, in the order asked.
    assert_eq!(openings("/remote/multi"), [250_000, 0, SIZE - 5]);

    // If-Range with the object's ETag: the range; with another: the whole.
    let res = server.request(
        "GET",
        "/remote/range",
        &[("Range", "bytes=10-19"), ("If-Range", "\"object-v1\"")],
    );
    assert_eq!(res.status, 206);
    let res = server.request(
        "GET",
        "/remote/range",
        &[("Range", "bytes=10-19"), ("If-Range", "\"object-v2\"")],
    );
    assert_eq!(res.status, 200);
    assert_eq!(res.body.len() as u64, SIZE);
}

#[test]
fn a_failing_open_and_a_short_object_abort_and_are_reported() {
    let server = server();
    for (path, whole) in [("/remote/fail", false), ("/remote/short", false)] {
        let res = server.get(path);
        assert_eq!(res.complete, whole, "{path} looked complete");
        assert!(eventually(Duration::from_secs(2), || {
            reports()
                .lock()
                .unwrap()
                .iter()
                .any(|r| r.path() == path && r.outcome == Outcome::SourceFailed)
        }));
    }
    // A range past the object's real end: aborted, never the next part's
    // bytes in its place.
    let res = server.request(
        "GET",
        "/remote/short",
        &[("Range", &format!("bytes={}-{},0-9", SIZE - 10, SIZE - 1))],
    );
    assert!(!res.complete);
}

#[test]
fn a_client_that_leaves_drops_the_stream() {
    let server = server();
    let mut stream = suite::connect(server.addr);
    write!(stream, "GET /remote/endless HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = vec![0u8; 65_536];
    let mut got = 0;
    while got < 1 << 20 {
        got += stream.read(&mut buf).unwrap();
    }
    assert!(live().load(Ordering::SeqCst) >= 1);
    drop(stream);
    assert!(
        eventually(Duration::from_secs(3), || live().load(Ordering::SeqCst)
            == 0),
        "the stream outlived its client"
    );
}

#[test]
fn tokio_files_serve_ranges() {
    let data = pattern_range(0, 1_000_000);
    std::fs::write(disk_path(), &data).unwrap();
    let server = server();
    let full = server.get("/disk");
    assert!(full.body == data);
    let res = server.request("GET", "/disk", &[("Range", "bytes=999990-")]);
    assert_eq!(res.status, 206);
    assert!(res.body == data[999_990..]);
    let res = server.request("GET", "/disk", &[("Range", "bytes=5-9,500000-500009")]);
    let parts = byteranges(res.header("content-type").unwrap(), &res.body);
    assert!(parts[0].body == data[5..10] && parts[1].body == data[500_000..500_010]);
    let _ = std::fs::remove_file(disk_path());
}

#[test]
fn archives_of_async_entries_resume_by_range() {
    let server = server();
    for format in ["zip", "tar"] {
        let path = format!("/packed/{format}");
        let full = server.get(&path);
        assert_eq!(full.status, 200);
        assert_eq!(full.header("accept-ranges"), Some("bytes"), "{format}");
        let n = full.body.len();
        let res = server.request("GET", &path, &[("Range", &format!("bytes={}-", n / 2))]);
        assert_eq!(res.status, 206, "{format}");
        assert!(
            res.body == full.body[n / 2..],
            "{format}: the resumed half differs"
        );
    }
}

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/demo.rs"]
mod demo;

#[test]
fn the_demos_remote_serves_ranges_like_big() {
    let server = suite::serve(demo::configure);
    let big = server.get("/big/?size=1000000").body;
    let remote = server.get("/remote/?size=1000000");
    assert_eq!(remote.header("etag"), Some("\"remote-1000000\""));
    assert!(remote.body == big);
    let res = server.request(
        "GET",
        "/remote/?size=1000000",
        &[("Range", "bytes=999000-")],
    );
    assert_eq!(res.status, 206);
    assert!(res.body == big[999_000..]);
}
