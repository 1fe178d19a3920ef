//! SPEC §8 over real HTTP: single ranges, 416, If-Range, which sources
//! advertise `Accept-Ranges`, resumed downloads (ours and curl's) and abusive
//! Range headers.

#[allow(dead_code)]
#[path = "../examples/demo.rs"]
mod demo;

use std::{io::Write, process::Command};

use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
use suite::{Response, TestServer};

/// Byte i of `/big/`.
fn big(range: std::ops::Range<u64>) -> Vec<u8> {
    range.map(|i| (i % 251) as u8).collect()
}

/// An empty in-memory file.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "empty.txt")]
struct EmptyView;

impl GetFile for EmptyView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b""))
    }
}

/// `/text/` with Range support turned off.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "hello-world.txt")]
struct NoRangesView;

impl GetFile for NoRangesView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }

    fn max_ranges(&self, _req: &HttpRequest) -> usize {
        0
    }
}

fn server() -> TestServer {
    suite::serve(|cfg| {
        demo::configure(cfg);
        cfg.route("/empty/", EmptyView::route())
            .route("/no-ranges/", NoRangesView::route());
    })
}

fn range(server: &TestServer, path: &str, value: &str) -> Response {
    server.request("GET", path, &[("Range", value)])
}

#[track_caller]
fn assert_206(res: &Response, content_range: &str, body: &[u8]) {
    assert_eq!(res.status, 206, "{}", res.raw_head);
    assert_eq!(
        res.header("content-range"),
        Some(content_range),
        "{}",
        res.raw_head
    );
    assert_eq!(
        res.header("content-length"),
        Some(body.len().to_string().as_str())
    );
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
    assert!(res.complete, "{}", res.raw_head);
    assert_eq!(res.body, body);
}

#[track_caller]
fn assert_full(res: &Response, body: &[u8]) {
    assert_eq!(res.status, 200, "{}", res.raw_head);
    assert_eq!(res.header("content-range"), None, "{}", res.raw_head);
    assert!(res.complete, "{}", res.raw_head);
    assert_eq!(res.body, body);
}

#[track_caller]
fn assert_416(res: &Response, size: u64) {
    assert_eq!(res.status, 416, "{}", res.raw_head);
    assert_eq!(
        res.header("content-range"),
        Some(format!("bytes */{size}").as_str())
    );
    assert_eq!(res.header("content-length"), Some("0"));
    assert_eq!(res.header("accept-ranges"), None);
    assert!(res.body.is_empty());
}

#[test]
fn accept_ranges_only_where_ranges_work() {
    let server = server();
    for path in ["/text/", "/stringio/", "/big/?size=1000", "/versioned/"] {
        let get = server.get(path);
        assert_eq!(get.header("accept-ranges"), Some("bytes"), "GET {path}");
        let head = server.head(path);
        assert_eq!(head.header("accept-ranges"), Some("bytes"), "HEAD {path}");
    }
    for path in [
        "/generated/",
        "/stream/?size=1000",
        "/csv/?rows=3",
        "/no-ranges/",
    ] {
        let res = server.get(path);
        assert_eq!(res.status, 200, "{path}");
        assert_eq!(res.header("accept-ranges"), None, "{path}");
        // ... and Range is ignored there.
        let full = server.get(path).body;
        assert_full(&range(&server, path, "bytes=0-1"), &full);
    }
}

#[test]
fn single_ranges_from_each_rangeable_source() {
    let server = server();
    assert_206(
        &range(&server, "/text/", "bytes=0-4"),
        "bytes 0-4/13",
        b"Hello",
    );
    assert_206(
        &range(&server, "/stringio/", "bytes=6-"),
        "bytes 6-12/13",
        b"world!\n",
    );
    assert_206(
        &range(&server, "/big/?size=100000", "bytes=70000-70099"),
        "bytes 70000-70099/100000",
        &big(70_000..70_100),
    );
    // The part keeps the file's headers.
    let res = range(&server, "/text/", "bytes=0-0");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"hello-world.txt\"")
    );
}

#[test]
fn suffixes_and_ends_past_the_end_are_clamped() {
    let server = server();
    let path = "/big/?size=1000";
    assert_206(
        &range(&server, path, "bytes=-10"),
        "bytes 990-999/1000",
        &big(990..1000),
    );
    assert_206(
        &range(&server, path, "bytes=-5000"),
        "bytes 0-999/1000",
        &big(0..1000),
    );
    assert_206(
        &range(&server, path, "bytes=990-5000"),
        "bytes 990-999/1000",
        &big(990..1000),
    );
    assert_206(
        &range(&server, path, "bytes=998-1180591620717411303424"), // 2^70
        "bytes 998-999/1000",
        &big(998..1000),
    );
    assert_206(
        &range(&server, path, "bytes=-1180591620717411303424"),
        "bytes 0-999/1000",
        &big(0..1000),
    );
}

#[test]
fn unsatisfiable_ranges_get_416() {
    let server = server();
    let path = "/big/?size=1000";
    for value in [
        "bytes=1000-",
        "bytes=1000-2000",
        "bytes=-0",
        "bytes=1180591620717411303424-",
        "bytes=5000-,-0",
    ] {
        assert_416(&range(&server, path, value), 1000);
    }
    assert_416(&range(&server, "/text/", "bytes=13-"), 13);
}

#[test]
fn bad_syntax_and_other_units_are_ignored() {
    let server = server();
    let full = big(0..1000);
    let path = "/big/?size=1000";
    for value in [
        "bytes=5-1",
        "bytes=--1",
        "bytes=-1-2",
        "bytes=-",
        "bytes=",
        "bytes=a-b",
        "bytes=0-1;x",
        "items=0-1",
        "0-1",
        "bytes=0-1,bogus",
        "bytes=\u{e9}",
    ] {
        assert_full(&range(&server, path, value), &full);
    }
}

#[test]
fn head_and_empty_files_ignore_range() {
    let server = server();
    let head = server.request("HEAD", "/big/?size=1000", &[("Range", "bytes=0-9")]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("1000"));
    assert_eq!(head.header("content-range"), None);
    for value in ["bytes=0-", "bytes=-0", "bytes=5-9"] {
        let res = range(&server, "/empty/", value);
        assert_full(&res, b"");
        assert_eq!(res.header("content-length"), Some("0"));
    }
}

#[test]
fn if_range() {
    let server = server();
    let lm = "Tue, 14 Nov 2023 22:13:20 GMT";
    let with = |if_range: &str| {
        server.request(
            "GET",
            "/versioned/",
            &[("Range", "bytes=0-4"), ("If-Range", if_range)],
        )
    };
    assert_206(&with("\"hello-v1\""), "bytes 0-4/13", b"Hello");
    assert_206(&with(lm), "bytes 0-4/13", b"Hello");
    for failing in [
        "\"hello-v0\"",
        "W/\"hello-v1\"",
        "Tue, 14 Nov 2023 22:13:21 GMT",
        "Tue, 14 Nov 2023 22:13:19 GMT",
        "garbage",
    ] {
        assert_full(&with(failing), b"Hello world!\n");
    }
    // No validators to compare with: the full body.
    let res = server.request(
        "GET",
        "/text/",
        &[("Range", "bytes=0-4"), ("If-Range", "\"x\"")],
    );
    assert_full(&res, b"Hello world!\n");
}

#[test]
fn a_resumed_download_reassembles_byte_exact() {
    let server = server();
    let size = 300_000u64;
    let path = format!("/big/?size={size}");
    let full = server.get(&path);
    assert_full(&full, &big(0..size));
    for cut in [1u64, 65_535, 65_536, 123_457, size - 1] {
        let mut resumed = full.body[..cut as usize].to_vec();
        let rest = range(&server, &path, &format!("bytes={cut}-"));
        assert_206(
            &rest,
            &format!("bytes {cut}-{}/{size}", size - 1),
            &big(cut..size),
        );
        resumed.extend_from_slice(&rest.body);
        assert!(resumed == full.body, "resumed at {cut}");
    }
}

#[test]
fn curl_resumes_a_partial_download() {
    // CI installs curl (`apt-get install -y curl`); a missing curl is a
    // failure, not a silent skip.
    let curl = Command::new("curl").arg("--version").output();
    assert!(
        curl.as_ref().is_ok_and(|out| out.status.success()),
        "this test needs curl on the PATH (apt-get install -y curl): {curl:?}"
    );
    let server = server();
    let size = 200_000u64;
    let url = format!("http://{}/big/?size={size}", server.addr);
    let dir = std::env::temp_dir().join(format!("downloadview-curl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.bin");
    // An interrupted download: the first 77_777 bytes.
    std::fs::File::create(&file)
        .unwrap()
        .write_all(&big(0..77_777))
        .unwrap();
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--fail", "-C", "-", "-o"])
        .arg(&file)
        .arg(&url)
        .output()
        .expect("run curl");
    assert!(out.status.success(), "curl failed: {out:?}");
    let got = std::fs::read(&file).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(got.len() as u64, size);
    assert!(got == big(0..size), "curl's resumed file differs");
}

#[test]
fn abusive_range_headers() {
    let server = server();
    let size = 1_000_000u64;
    let path = format!("/big/?size={size}");
    let spec = |n: u64| {
        (0..n)
            .map(|i| format!("{}-{}", i * 10, i * 10))
            .collect::<Vec<_>>()
            .join(",")
    };
    // At the cap (16): served; one more, or thousands: the full 200.
    assert_eq!(
        range(&server, &path, &format!("bytes={}", spec(16))).status,
        206
    );
    for n in [17, 3000] {
        let res = range(&server, &path, &format!("bytes={}", spec(n)));
        assert_eq!(res.status, 200, "{n} ranges");
        assert_eq!(res.body.len() as u64, size);
        assert!(res.complete);
    }
    // "Apache Killer": overlapping ranges adding up to more than the file.
    let killer = format!("bytes=0-,{}", vec!["5-999999"; 15].join(","));
    let res = range(&server, &path, &killer);
    assert_eq!(res.status, 200);
    assert_eq!(res.body.len() as u64, size);
    // Positions that do not fit in 64 bits are just "past the end".
    assert_eq!(
        range(&server, &path, "bytes=99999999999999999999999999999-").status,
        416
    );
    assert_eq!(range(&server, &path, "bytes=-1-5").status, 200);
}

/// Sends a `Range` header of `len` bytes or more (`0-0,` repeated).
fn huge_range(server: &TestServer, len: usize) -> Option<Response> {
    let value = format!("bytes={}", "0-0,".repeat(len / 4));
    let raw = format!(
        "GET /big/?size=1000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nRange: {value}\r\n\r\n"
    );
    let mut stream = suite::connect(server.addr);
    let _ = stream.write_all(raw.as_bytes());
    // `read_response` panics when the connection closes without a head.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        suite::read_response(&mut stream, false)
    }))
    .ok()
}

#[test]
fn huge_range_headers_are_ignored_or_refused_never_5xx() {
    let server = server();
    // 64 KiB fits actix-web's limits: parsing stops at the cap, the full 200.
    let res = huge_range(&server, 64 * 1024).expect("an answer to a 64 KiB header");
    assert_full(&res, &big(0..1000));
    // Far larger heads are refused by actix-web itself, before the view runs
    // (actix-web 4 answers 431 Request Header Fields Too Large): a 4xx, or
    // at worst the connection closed without an answer.
    if let Some(res) = huge_range(&server, 1024 * 1024) {
        assert!(
            (400..500).contains(&res.status),
            "a 1 MiB Range header gave {}",
            res.raw_head
        );
    }
}
