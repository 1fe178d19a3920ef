//! Every response reports how it ended, exactly once, over real HTTP:
//! completed, client gone, source failed (issue: observability).

use std::{
    collections::HashMap,
    io::{self, Read, Write},
    sync::{Mutex, OnceLock},
    thread,
    time::{Duration, Instant},
};

use actix_web::{web, HttpRequest};
use bytes::Bytes;
use downloadview::{
    report::{DownloadReport, Outcome},
    DownloadError, GetFile, VirtualDownloadView, VirtualFile,
};
use suite::{serve, TestServer};

/// Reports received, by request path + query tag (`?id=`).
fn reports() -> &'static Mutex<Vec<DownloadReport>> {
    static REPORTS: OnceLock<Mutex<Vec<DownloadReport>>> = OnceLock::new();
    REPORTS.get_or_init(Default::default)
}

fn record(report: &DownloadReport) {
    reports().lock().unwrap().push(report.clone());
}

/// The reports whose path is `path`, waiting up to `within` for `n` of them.
fn wait_reports(path: &str, n: usize, within: Duration) -> Vec<DownloadReport> {
    let deadline = Instant::now() + within;
    loop {
        let found: Vec<_> = reports()
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path() == path)
            .cloned()
            .collect();
        if found.len() >= n || Instant::now() > deadline {
            return found;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

const SIZE: u64 = 64 << 20;

fn pattern(offset: u64, len: usize) -> Bytes {
    (offset..offset + len as u64)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// Every source kind, selected by the first path segment.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "r.bin")]
struct Reported;
impl GetFile for Reported {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let kind = req.match_info().get("kind").unwrap_or_default();
        Ok(match kind {
            "bytes" => VirtualFile::from(vec![7u8; 100_000]),
            "reader" => VirtualFile::from_reader(io::repeat(1).take(100_000)),
            "seekable" => VirtualFile::from_seekable_reader(io::Cursor::new(vec![2u8; 100_000]))?,
            "iter" => VirtualFile::from_iter((0..100).map(|_| vec![3u8; 1000])),
            "writer" => VirtualFile::from_writer(|out| {
                for _ in 0..100 {
                    out.write_all(&[4u8; 1000])?;
                }
                Ok(())
            }),
            "stream" => VirtualFile::from_stream(futures_util::stream::iter(
                (0..100).map(|_| Ok::<_, io::Error>(Bytes::from(vec![5u8; 1000]))),
            )),
            "generator" => VirtualFile::from_generator(100_000, |offset| {
                (offset..100_000)
                    .step_by(10_000)
                    .map(|start| vec![6u8; 10_000.min(100_000 - start) as usize])
            }),
            "big" => VirtualFile::from_generator(SIZE, |offset| {
                (offset..SIZE)
                    .step_by(65536)
                    .map(move |start| pattern(start, 65536.min(SIZE - start) as usize))
            }),
            "failing" => VirtualFile::from_try_iter((0..10).map(|i| {
                if i < 5 {
                    Ok(Bytes::from(vec![8u8; 20_000]))
                } else {
                    Err(io::Error::other("the database went away"))
                }
            })),
            "short" => VirtualFile::from_iter([vec![9u8; 10]]).with_size(20),
            "versioned" => VirtualFile::from_static(b"v")
                .with_etag(actix_web::http::header::EntityTag::new_strong("v".into()))
                .with_last_modified(std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            "missing" => return Err(DownloadError::NotFound),
            _ => return Err(DownloadError::other("unknown kind")),
        })
    }

    fn on_download(&self, report: &DownloadReport) {
        record(report);
    }
}

/// A hook that panics on every report.
#[derive(VirtualDownloadView, Default)]
struct PanickingHook;
impl GetFile for PanickingHook {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from("ok"))
    }
    fn on_download(&self, _report: &DownloadReport) {
        panic!("hook exploded");
    }
}

/// The thread `get_file` ran on, and the thread the hook ran on.
type Seen = (thread::ThreadId, Option<thread::ThreadId>);

/// Where `get_file` and the hook ran, by request path.
fn threads_seen() -> &'static Mutex<HashMap<String, Seen>> {
    static SEEN: OnceLock<Mutex<HashMap<String, Seen>>> = OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// A view that notes the thread its `get_file` and its hook run on; `/where/stream/…`
/// serves an async stream, `/where/iter/…` a blocking iterator (pull steps
/// off the worker), anything else bytes.
#[derive(VirtualDownloadView, Default)]
struct Where;
impl GetFile for Where {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let here = thread::current().id();
        threads_seen()
            .lock()
            .unwrap()
            .insert(req.path().to_owned(), (here, None));
        let chunks = || (0..64).map(|_| Bytes::from(vec![7u8; 64 * 1024]));
        Ok(match req.match_info().get("kind") {
            Some("stream") => VirtualFile::from_stream(futures_util::stream::iter(
                chunks().map(Ok::<_, io::Error>),
            )),
            Some("iter") => VirtualFile::from_iter(chunks()),
            _ => VirtualFile::from("ok"),
        })
    }
    fn on_download(&self, report: &DownloadReport) {
        let here = thread::current().id();
        if let Some(seen) = threads_seen().lock().unwrap().get_mut(report.path()) {
            seen.1 = Some(here);
        }
        record(report);
    }
}

fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/r/{kind}/{tag}", Reported::route())
        .route("/panicking-hook/", PanickingHook::route())
        .route("/where/{kind}/{tag}", Where::route());
}

fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| serve(configure))
}

fn only_report(path: &str) -> DownloadReport {
    let found = wait_reports(path, 1, Duration::from_secs(5));
    // A second report would show up by now (reports are delivered where the
    // response ends).
    thread::sleep(Duration::from_millis(100));
    let found_again = wait_reports(path, 2, Duration::ZERO);
    assert_eq!(found.len(), 1, "{path}: no report");
    assert_eq!(
        found_again.len(),
        1,
        "{path}: reported more than once: {found_again:?}"
    );
    found.into_iter().next().unwrap()
}

#[test]
fn full_downloads_of_every_source_complete_with_all_bytes() {
    for kind in [
        "bytes",
        "reader",
        "seekable",
        "iter",
        "writer",
        "stream",
        "generator",
    ] {
        let path = format!("/r/{kind}/full");
        let res = server().get(&path);
        assert!(res.complete, "{kind}");
        assert_eq!(res.body.len(), 100_000, "{kind}");
        let report = only_report(&path);
        assert_eq!(report.outcome, Outcome::Completed, "{kind}: {report}");
        assert_eq!(report.bytes, 100_000, "{kind}: bytes = body length");
        if let Some(length) = res.header("content-length") {
            assert_eq!(report.bytes.to_string(), length, "{kind}");
        }
        assert_eq!(report.status.as_u16(), 200);
        assert_eq!(report.method, "GET");
        assert_eq!(report.basename(), Some("r.bin"));
        assert!(
            report.ttfb.is_some() && report.ttfb <= Some(report.duration),
            "{report:?}"
        );
        assert_eq!(report.error, None);
    }
}

#[test]
fn a_client_that_stops_early_is_client_gone_within_a_second() {
    let path = "/r/big/partial";
    let mut stream = suite::connect(server().addr);
    write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut got = 0usize;
    let mut buf = [0u8; 65536];
    while got < 1 << 20 {
        got += stream.read(&mut buf).unwrap();
    }
    let closed = Instant::now();
    drop(stream);
    let found = wait_reports(path, 1, Duration::from_secs(1));
    assert_eq!(found.len(), 1, "not reported within 1 s of the disconnect");
    let report = &found[0];
    assert!(closed.elapsed() < Duration::from_secs(2));
    assert_eq!(report.outcome, Outcome::ClientGone, "{report}");
    assert!(report.bytes < SIZE, "{report}");
    assert_eq!(report.size, Some(SIZE));
    let _ = only_report(path);
}

#[test]
fn a_failing_source_is_source_failed_and_the_transfer_aborts() {
    for (kind, error) in [("failing", "the database went away"), ("short", "declared")] {
        let path = format!("/r/{kind}/x");
        // Aborted before or after the head reached the client: never a clean end.
        if let Ok(res) = suite::try_request(server().addr, "GET", &path, &[]) {
            assert!(
                !res.complete,
                "{kind}: the client must see an aborted transfer"
            );
        }
        let report = only_report(&path);
        assert_eq!(report.outcome, Outcome::SourceFailed, "{report}");
        assert!(
            report.error.as_deref().unwrap_or("").contains(error),
            "{report}"
        );
        assert!(report.bytes < 200_000, "{report}");
    }
}

#[test]
fn bodyless_answers_are_completed_with_zero_bytes() {
    let path = "/r/big/head";
    let res = server().head(path);
    assert_eq!(res.status, 200);
    let report = only_report(path);
    assert_eq!(
        (report.outcome, report.bytes, report.size),
        (Outcome::Completed, 0, Some(SIZE))
    );
    assert_eq!(report.method, "HEAD");
    assert_eq!(report.ttfb, None);

    let path = "/r/versioned/304";
    let res = server().request(
        "GET",
        path,
        &[
            ("If-None-Match", "\"v\""),
            ("If-Modified-Since", "Wed, 18 May 2033 03:33:20 GMT"),
        ],
    );
    assert_eq!(res.status, 304);
    let report = only_report(path);
    assert_eq!(report.status.as_u16(), 304);
    assert_eq!((report.outcome, report.bytes), (Outcome::Completed, 0));

    let path = "/r/missing/404";
    let res = server().get(path);
    assert_eq!(res.status, 404);
    let report = only_report(path);
    assert_eq!(
        (report.outcome, report.status.as_u16()),
        (Outcome::Completed, 404)
    );
}

#[test]
fn a_panicking_hook_leaves_the_server_serving() {
    for _ in 0..5 {
        let res = server().get("/panicking-hook/");
        assert_eq!((res.status, res.text().as_str()), (200, "ok"));
    }
    // Reports of other views still arrive after the panics.
    let _ = server().get("/r/bytes/after-panic");
    assert_eq!(
        only_report("/r/bytes/after-panic").outcome,
        Outcome::Completed
    );
}

#[test]
fn the_report_is_delivered_on_the_worker_that_served_the_download() {
    // No thread of downloadview's own: the hook runs where the response
    // ends, on the worker whose `get_file` ran, whatever the source kind
    // (the iterator's pull steps run on the blocking pool, its end is still
    // seen by the worker).
    for kind in ["bytes", "stream", "iter"] {
        let path = format!("/where/{kind}/1");
        let res = server().get(&path);
        assert_eq!(res.status, 200, "{kind}");
        assert!(res.complete, "{kind}");
        let report = only_report(&path);
        assert_eq!(report.outcome, Outcome::Completed, "{kind}: {report}");
        let (served_on, reported_on) = threads_seen().lock().unwrap()[&path];
        assert_eq!(
            reported_on,
            Some(served_on),
            "{kind}: reported on another thread"
        );
    }
}

#[test]
fn exactly_once_under_concurrent_downloads_with_random_disconnects() {
    let clients: Vec<_> = (0..64)
        .map(|i| {
            let addr = server().addr;
            thread::spawn(move || {
                let path = format!("/r/big/stress-{i}");
                let mut stream = suite::connect(addr);
                write!(
                    stream,
                    "GET {path}?size HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                )
                .unwrap();
                // Deterministic "random": a different stopping point per client.
                let stop_after = (i * 7919 % 64 + 1) << 16;
                let mut got = 0usize;
                let mut buf = [0u8; 65536];
                while got < stop_after {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got += n,
                    }
                }
                (path, got)
            })
        })
        .collect();
    let done: Vec<(String, usize)> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    let counts = loop {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for r in reports()
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path().contains("stress-"))
        {
            *counts.entry(r.path().to_owned()).or_default() += 1;
        }
        if counts.len() == done.len() || Instant::now() > deadline {
            break counts;
        }
        thread::sleep(Duration::from_millis(20));
    };
    thread::sleep(Duration::from_millis(100));
    for (path, _) in &done {
        assert_eq!(counts.get(path), Some(&1), "{path}: reports {counts:?}");
    }
    for r in reports()
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.path().contains("stress-"))
    {
        assert_eq!(r.outcome, Outcome::ClientGone, "{r}");
    }
}

#[test]
fn ranges_report_the_payload_of_each_range() {
    let path = "/r/big/multi";
    let res = server().request("GET", path, &[("Range", "bytes=0-99,1000-1999")]);
    assert_eq!(res.status, 206);
    assert!(res.complete);
    let report = only_report(path);
    assert_eq!(report.outcome, Outcome::Completed, "{report}");
    assert_eq!(
        report.bytes,
        res.body.len() as u64,
        "bytes = the multipart body sent"
    );
    let ranges: Vec<_> = report
        .ranges
        .iter()
        .map(|r| (r.start, r.len, r.bytes))
        .collect();
    assert_eq!(ranges, [(0, 100, 100), (1000, 1000, 1000)], "{report}");

    let path = "/r/big/single";
    let res = server().request("GET", path, &[("Range", "bytes=10-")]);
    assert_eq!(res.status, 206);
    let report = only_report(path);
    let ranges: Vec<_> = report
        .ranges
        .iter()
        .map(|r| (r.start, r.len, r.bytes))
        .collect();
    assert_eq!(ranges, [(10, SIZE - 10, SIZE - 10)], "{report}");
    assert_eq!(report.bytes, SIZE - 10);
    assert!(
        report
            .to_string()
            .contains(&format!("ranges=10-{}:{}", SIZE - 1, SIZE - 10)),
        "{report}"
    );
}
