//! HTTP/1.0 clients over a raw socket (SPEC §14): a body of unknown size is
//! close-delimited, never chunked (RFC 9112 §6.1 forbids `Transfer-Encoding`
//! in an answer to HTTP/1.0); a body of known size keeps its
//! `Content-Length`. Every source kind, GET and HEAD, byte for byte as sent.

#[allow(dead_code)]
#[path = "../examples/demo.rs"]
mod demo;

use std::{
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
use suite::{
    exchange,
    kinds::{self, pattern, N, SIZED, UNSIZED},
    serve, Ending, Exchange, TestServer,
};

/// How long a test waits for the server to end a connection.
const WAIT: Duration = Duration::from_secs(10);

/// Every source kind, by the path's `{kind}` ([`kinds::file`]: each yields
/// [`pattern`]`(N)`), and two more.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "data.bin")]
struct Sources;

impl GetFile for Sources {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let kind = req.match_info().get("kind").unwrap_or_default();
        Ok(match kind {
            "empty" => VirtualFile::from_iter(std::iter::empty::<Vec<u8>>()),
            "failing" => VirtualFile::from_try_iter((0..10).map(|i| {
                if i < 5 {
                    Ok(Bytes::from(vec![b'f'; 20_000]))
                } else {
                    Err(io::Error::other("the database went away"))
                }
            })),
            _ => return kinds::file(kind),
        })
    }

    fn on_download(&self, report: &DownloadReport) {
        reports().lock().unwrap().push(report.clone());
    }
}

fn reports() -> &'static Mutex<Vec<DownloadReport>> {
    static REPORTS: OnceLock<Mutex<Vec<DownloadReport>>> = OnceLock::new();
    REPORTS.get_or_init(Default::default)
}

fn report_of(path: &str) -> DownloadReport {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(report) = reports().lock().unwrap().iter().find(|r| r.path() == path) {
            return report.clone();
        }
        assert!(Instant::now() < deadline, "{path}: no report");
        thread::sleep(Duration::from_millis(5));
    }
}

fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        serve(|cfg: &mut web::ServiceConfig| {
            cfg.route("/{kind}/", Sources::route())
                .service(web::scope("/demo").configure(demo::configure));
        })
    })
}

/// One HTTP/1.0 request, with `extra` header lines, on a connection of its own.
fn http10(method: &str, path: &str, extra: &str) -> Exchange {
    let request = format!("{method} {path} HTTP/1.0\r\nHost: test\r\n{extra}\r\n");
    exchange(server().addr, request.as_bytes(), WAIT)
}

/// The checks every close-delimited answer passes.
fn assert_close_delimited(path: &str, got: &Exchange, body: &[u8]) {
    let res = got.response(false);
    assert_eq!(res.status, 200, "{path}: {}", res.raw_head);
    assert!(
        res.raw_head.starts_with("HTTP/1.0 200 OK\r\n"),
        "{path}: {}",
        res.raw_head
    );
    assert_eq!(res.header("transfer-encoding"), None, "{path}: chunked");
    assert_eq!(res.header("content-length"), None, "{path}");
    assert_eq!(
        res.header("connection"),
        None,
        "{path}: an HTTP/1.0 answer without keep-alive closes"
    );
    assert_eq!(
        got.ending,
        Ending::Closed,
        "{path}: the body ends at the close"
    );
    assert!(
        got.raw_body() == body,
        "{path}: {} bytes as sent, expected exactly {} (no chunk framing)",
        got.raw_body().len(),
        body.len()
    );
}

#[test]
fn bodies_of_unknown_size_are_close_delimited_for_http10() {
    let expected = pattern(N);
    for kind in UNSIZED {
        let path = format!("/{kind}/");
        assert_close_delimited(&path, &http10("GET", &path, ""), &expected);
        // Asked to keep the connection alive, the server still closes it:
        // the close is what ends the body.
        let got = http10("GET", &path, "Connection: keep-alive\r\n");
        assert_close_delimited(&format!("{path} (keep-alive)"), &got, &expected);
        assert_eq!(report_of(&path).outcome, Outcome::Completed, "{path}");
    }
    // An empty body of unknown size is a close right after the head.
    assert_close_delimited("/empty/", &http10("GET", "/empty/", ""), b"");
}

#[test]
fn the_demos_streamed_routes_are_close_delimited_for_http10() {
    let hello = b"Hello world!\n";
    assert_close_delimited(
        "/demo/generated/",
        &http10("GET", "/demo/generated/", ""),
        hello,
    );
    let stream = http10("GET", "/demo/stream/?size=300000", "");
    assert_close_delimited("/demo/stream/", &stream, &pattern(300_000));
    let csv = http10("GET", "/demo/csv/?rows=3", "");
    assert_close_delimited(
        "/demo/csv/",
        &csv,
        b"id,name,square\n0,item 0,0\n1,item 1,1\n2,item 2,4\n",
    );
    assert_eq!(
        csv.response(false).header("content-type"),
        Some("text/csv; charset=utf-8")
    );
}

#[test]
fn bodies_of_known_size_keep_their_content_length_for_http10() {
    let expected = pattern(N);
    for kind in SIZED {
        let path = format!("/{kind}/");
        let got = http10("GET", &path, "");
        let res = got.response(false);
        assert_eq!(res.status, 200, "{path}");
        assert_eq!(
            res.header("content-length"),
            Some(N.to_string().as_str()),
            "{path}"
        );
        assert_eq!(res.header("transfer-encoding"), None, "{path}");
        assert!(got.raw_body() == expected, "{path}: body differs");
        assert_eq!(got.ending, Ending::Closed, "{path}: HTTP/1.0 closes");
    }
}

#[test]
fn a_sized_body_keeps_an_http10_connection_alive_when_asked() {
    // Unchanged by the close-delimited rule: with a Content-Length the
    // client knows where the body ends, and the connection serves again.
    let mut stream = suite::connect(server().addr);
    for round in 0..2 {
        write!(
            stream,
            "GET /bytes/ HTTP/1.0\r\nHost: test\r\nConnection: keep-alive\r\n\r\n"
        )
        .unwrap();
        let res = suite::read_response(&mut stream, false);
        assert_eq!(res.status, 200, "round {round}");
        assert_eq!(
            res.header("connection"),
            Some("keep-alive"),
            "round {round}"
        );
        assert_eq!(res.body, pattern(N), "round {round}");
    }
}

#[test]
fn http10_head_has_gets_headers_and_no_body() {
    for kind in SIZED.iter().chain(UNSIZED) {
        let path = format!("/{kind}/");
        let get = http10("GET", &path, "");
        let head = http10("HEAD", &path, "");
        assert_eq!(head.ending, Ending::Closed, "HEAD {path}");
        assert_eq!(head.raw_body(), b"", "HEAD {path}: no body");
        let (get, head) = (get.response(false), head.response(true));
        assert_eq!(head.status, 200, "HEAD {path}");
        assert_eq!(
            head.headers_but(&["date"]),
            get.headers_but(&["date"]),
            "HEAD {path}: headers differ from GET's"
        );
        assert_eq!(head.header("transfer-encoding"), None, "HEAD {path}");
    }
}

#[test]
fn http11_bodies_of_unknown_size_are_still_chunked() {
    for kind in UNSIZED {
        let path = format!("/{kind}/");
        let res = server().get(&path);
        assert!(res.chunked, "{path}: {}", res.raw_head);
        assert!(res.complete, "{path}: cut short");
        assert_eq!(res.body, pattern(N), "{path}");
    }
}

#[test]
fn a_failing_source_over_http10_can_only_close_early() {
    // The documented limit of close-delimited bodies: the client sees the
    // connection close after fewer bytes, nothing that says "failed". The
    // server knows, and reports it.
    let got = http10("GET", "/failing/", "");
    let res = got.response(false);
    assert_eq!(res.status, 200);
    assert_eq!(res.header("transfer-encoding"), None);
    assert_ne!(got.ending, Ending::Open, "the connection ends");
    let body = got.raw_body();
    assert!(body.len() <= 100_000, "{} bytes", body.len());
    assert!(body.iter().all(|&b| b == b'f'), "only the source's bytes");
    let report = report_of("/failing/");
    assert_eq!(report.outcome, Outcome::SourceFailed);
}

#[test]
fn an_http10_request_read_slowly_still_gets_every_byte() {
    // The close comes after the last byte, not before: read the answer in
    // small steps, pausing, and nothing is lost.
    let mut stream = suite::connect(server().addr);
    write!(stream, "GET /writer/ HTTP/1.0\r\nHost: test\r\n\r\n").unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buf[..n]);
        if received.len() < 64 * 1024 {
            thread::sleep(Duration::from_millis(2));
        }
    }
    let got = Exchange {
        raw: received,
        ending: Ending::Closed,
    };
    assert_close_delimited("/writer/ (slow)", &got, &pattern(N));
}
