//! Rate limits over HTTP/1.1 (HTTP/2: tests/test_http2.rs): `limit_rate`
//! and `limit_rate_after` with nginx's semantics, for every source kind, set
//! by the attribute or per request; a paced download is not a stalled one
//! for `send_timeout`; the demo's `/big/?rate=`.
//!
//! Only lower bounds of durations are asserted (a limited download cannot
//! be faster than its rate allows, however loaded the machine); how close to
//! the rate it runs is measured by bench/run.sh.

use std::{
    io::{Read, Write},
    thread,
    time::{Duration, Instant},
};

use actix_web::HttpRequest;
use downloadview::{
    DownloadError, DownloadReport, GetFile, Outcome, VirtualDownloadView, VirtualFile,
};
use suite::kinds::{self, N};

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/demo.rs"]
mod demo;

const RATE: u64 = 128 * 1024;
const AFTER: u64 = 64 * 1024;

/// Every source kind of `suite::kinds`, at `RATE` after `AFTER` bytes.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "paced.bin", limit_rate = 131072, limit_rate_after = 65536)]
struct Paced;

impl GetFile for Paced {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        kinds::file(req.match_info().get("kind").unwrap_or_default())
    }
}

/// The same, with the rate chosen per request (`?rate=`), a 1 s
/// `send_timeout`, and its reports kept.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "paced.bin", send_timeout = 1)]
struct PerRequest;

fn reports() -> &'static std::sync::Mutex<Vec<DownloadReport>> {
    static REPORTS: std::sync::Mutex<Vec<DownloadReport>> = std::sync::Mutex::new(Vec::new());
    &REPORTS
}

impl GetFile for PerRequest {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        kinds::file("generator")
    }

    fn limit_rate(&self, req: &HttpRequest) -> u64 {
        req.query_string()
            .strip_prefix("rate=")
            .and_then(|r| r.parse().ok())
            .unwrap_or(0)
    }

    fn on_download(&self, report: &DownloadReport) {
        reports().lock().unwrap().push(report.clone());
    }
}

fn server() -> suite::TestServer {
    suite::serve(|cfg| {
        cfg.route("/paced/{kind}", Paced::route())
            .route("/per-request", PerRequest::route());
    })
}

/// The least time `bytes` take at `rate` after `after` free bytes.
fn least(bytes: u64, rate: u64, after: u64) -> Duration {
    Duration::from_secs_f64(bytes.saturating_sub(after) as f64 / rate as f64)
}

#[test]
fn every_source_kind_is_paced_and_complete() {
    let server = server();
    let kinds: Vec<&str> = kinds::SIZED.iter().chain(kinds::UNSIZED).copied().collect();
    // In parallel: each takes about a second.
    let downloads: Vec<_> = kinds
        .iter()
        .map(|kind| {
            let addr = server.addr;
            let path = format!("/paced/{kind}");
            thread::spawn(move || {
                let start = Instant::now();
                let res = suite::request(addr, "GET", &path, &[]);
                (res, start.elapsed())
            })
        })
        .collect();
    let least = least(N as u64, RATE, AFTER);
    for (kind, download) in kinds.iter().zip(downloads) {
        let (res, took) = download.join().unwrap();
        assert_eq!(res.status, 200, "{kind}");
        assert!(res.complete, "{kind}");
        assert!(res.body == kinds::pattern(N), "{kind}: other bytes");
        assert!(
            took >= least.mul_f64(0.95),
            "{kind}: {took:?}, faster than the rate allows ({least:?})"
        );
    }
}

#[test]
fn the_first_bytes_go_at_full_speed() {
    // At 1 KiB/s the 64 KiB that go first would take over a minute: they
    // come at once, the rest is paced.
    let server = suite::serve(|cfg| {
        #[derive(VirtualDownloadView, Default)]
        #[download(limit_rate = 1024, limit_rate_after = 65536)]
        struct Slow;
        impl GetFile for Slow {
            fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
                kinds::file("bytes")
            }
        }
        cfg.route("/slow", Slow::route());
    });
    let mut stream = suite::connect(server.addr);
    write!(stream, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let start = Instant::now();
    let mut got = 0;
    let mut buf = vec![0u8; 16 * 1024];
    while got < 65_536 {
        let n = stream.read(&mut buf).expect("the first 64 KiB within 20 s");
        assert!(n > 0);
        got += n;
    }
    assert!(start.elapsed() < Duration::from_secs(20));
    // Then no more than the rate: in 1.5 s, at most 64 KiB + 1.5 KiB and
    // the headers (and a slice of 1 KiB ahead).
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(_) => {}
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let allowed = 65_536.0 + 1024.0 * elapsed + 1024.0 + 512.0;
    assert!((got as f64) < allowed, "{got} bytes in {elapsed:.2} s");
}

#[test]
fn a_paced_download_is_not_a_stalled_one() {
    // 200 KB at 64 KiB/s: about 3 s, with a send_timeout of 1 s.
    let server = server();
    let start = Instant::now();
    let res = server.get("/per-request?rate=65536");
    assert!(res.complete, "a paced download was abandoned");
    assert!(res.body == kinds::pattern(N));
    assert!(start.elapsed() >= least(N as u64, 65536, 0).mul_f64(0.95));
    assert!(suite::eventually(Duration::from_secs(2), || {
        reports().lock().unwrap().iter().any(|r| {
            r.path() == "/per-request" && r.outcome == Outcome::Completed && r.bytes == N as u64
        })
    }));
    // Rate 0: no limit.
    let res = server.get("/per-request?rate=0");
    assert!(res.complete);
}

#[test]
fn the_demo_limits_big_per_request() {
    let server = suite::serve(demo::configure);
    let start = Instant::now();
    let res = server.get("/big/?size=400000&rate=200000");
    assert_eq!(res.status, 200);
    assert_eq!(res.body.len(), 400_000);
    assert!(start.elapsed() >= Duration::from_millis(1900));
    assert_eq!(server.get("/big/?size=10&rate=fast").status, 400);
}
