//! HTTP/2 over a real socket (SPEC §14): h2c with prior knowledge, served by
//! actix-web's own HTTP/2 (`listen_auto_h2c`) and read with the `h2` crate.
//! The same statuses, headers and bodies as HTTP/1.1 for every source kind,
//! GET and HEAD, ranges and conditional requests; a failing source resets
//! the stream; a client that resets the stream is `ClientGone` and its
//! producer is stopped and dropped; so is one that grants no more window
//! for `send_timeout`.

use std::{
    io,
    net::SocketAddr,
    sync::{Mutex, OnceLock},
    thread,
    time::{Duration, Instant},
};

use actix_web::{web, HttpRequest};
use bytes::Bytes;
use downloadview::{
    report::{DownloadReport, Outcome},
    DownloadError, GetFile, ViewOptions, VirtualDownloadView, VirtualFile,
};
use h2::Reason;
use suite::{
    kinds::{
        self, pattern, EndlessAsyncReader, EndlessReader, FailingReader, N, RANGED, SIZED, UNSIZED,
    },
    multipart::byteranges,
};

// ---------------------------------------------------------------------------
// The server: HTTP/1.1 and h2c on one port.

/// One server for the whole file.
fn server() -> &'static suite::TestServer {
    static SERVER: OnceLock<suite::TestServer> = OnceLock::new();
    SERVER.get_or_init(|| suite::serve_h2c(2, configure))
}

fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/k/{kind}/", Sources::route())
        .route("/fail/{kind}/", Failing::route())
        .route("/endless/{kind}/{tag}", Endless::route())
        .route("/paced/{kind}/", Paced::route());
}

/// Every source kind at 128 KiB/s after 64 KiB.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "data.bin", limit_rate = 131072, limit_rate_after = 65536)]
struct Paced;

impl GetFile for Paced {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        kinds::file(req.match_info().get("kind").unwrap_or_default())
    }
}

// ---------------------------------------------------------------------------
// The sources.

/// Every source kind, by `{kind}` ([`kinds::file`]: each yields
/// [`pattern`]`(N)`); `versioned` has validators, for conditional requests.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "data.bin")]
struct Sources;

impl GetFile for Sources {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let kind = req.match_info().get("kind").unwrap_or_default();
        Ok(match kind {
            "versioned" => VirtualFile::from_static(b"Hello world!\n")
                .with_etag(actix_web::http::header::EntityTag::new_strong("v1".into()))
                .with_last_modified(std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            _ => return kinds::file(kind),
        })
    }
}

/// Sources that fail after the headers, by `{kind}`.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "broken.bin")]
struct Failing;

impl GetFile for Failing {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let kind = req.match_info().get("kind").unwrap_or_default();
        let bad = || io::Error::other("the database went away");
        Ok(match kind {
            // 100,000 bytes, then an error.
            "iter" => VirtualFile::from_try_iter((0..10).map(move |i| {
                if i < 5 {
                    Ok(Bytes::from(vec![b'f'; 20_000]))
                } else {
                    Err(bad())
                }
            })),
            "stream" => {
                VirtualFile::from_stream(futures_util::stream::iter((0..10).map(move |i| {
                    if i < 5 {
                        Ok(Bytes::from(vec![b'f'; 20_000]))
                    } else {
                        Err(bad())
                    }
                })))
            }
            "writer" => VirtualFile::from_writer(move |out| {
                out.write_all(&[b'f'; 100_000])?;
                Err(bad().into())
            }),
            "reader" => VirtualFile::from_reader(FailingReader {
                left: 100_000,
                byte: b'f',
                message: "the disk went away",
            }),
            // Fewer, then more bytes than declared.
            "short" => VirtualFile::from_iter([vec![b'f'; 100_000]]).with_size(200_000),
            "long" => VirtualFile::from_iter([vec![b'f'; 100_000], vec![b'f'; 100_000]])
                .with_size(150_000),
            _ => return Err(DownloadError::NotFound),
        })
    }

    fn on_download(&self, report: &DownloadReport) {
        reports().lock().unwrap().push(report.clone());
    }
}

/// Records its tag when dropped: proves that a source was dropped.
struct DropSignal(String);

impl Drop for DropSignal {
    fn drop(&mut self) {
        dropped().lock().unwrap().push(self.0.clone());
    }
}

fn dropped() -> &'static Mutex<Vec<String>> {
    static DROPPED: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    DROPPED.get_or_init(Default::default)
}

/// The kinds of [`Endless`].
const ENDLESS: [&str; 6] = [
    "iter",
    "reader",
    "writer",
    "stream",
    "async-read",
    "generator",
];

/// Endless sources of every kind that can be endless, each owning a
/// [`DropSignal`] of the request's `{tag}`.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "endless.bin")]
struct Endless;

impl GetFile for Endless {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let kind = req.match_info().get("kind").unwrap_or_default();
        let guard = DropSignal(req.match_info().get("tag").unwrap_or_default().to_owned());
        Ok(match kind {
            "iter" => VirtualFile::from_iter(std::iter::repeat_with(move || {
                let _ = &guard;
                Bytes::from_static(&[b'i'; 4096])
            })),
            "reader" => VirtualFile::from_reader(EndlessReader(guard)),
            "writer" => VirtualFile::from_writer(move |out| {
                let _guard = guard;
                loop {
                    out.write_all(&[b'w'; 4096])?;
                }
            }),
            "stream" => VirtualFile::from_stream(futures_util::stream::repeat_with(move || {
                let _ = &guard;
                Ok::<_, io::Error>(Bytes::from_static(&[b's'; 4096]))
            })),
            "async-read" => VirtualFile::from_async_read(EndlessAsyncReader(guard)),
            "generator" => {
                let guard = std::sync::Arc::new(guard);
                VirtualFile::from_generator(u64::MAX / 2, move |_| {
                    let guard = std::sync::Arc::clone(&guard);
                    std::iter::repeat_with(move || {
                        let _ = &guard;
                        Bytes::from_static(&[b'g'; 4096])
                    })
                })
            }
            _ => return Err(DownloadError::NotFound),
        })
    }

    fn on_download(&self, report: &DownloadReport) {
        reports().lock().unwrap().push(report.clone());
    }

    /// `?timeout=1`: a 1-second `send_timeout`.
    fn send_timeout(&self, req: &HttpRequest) -> Option<Duration> {
        match req.query_string() {
            "timeout=1" => Some(Duration::from_secs(1)),
            _ => Some(Duration::from_secs(Self::OPTIONS.send_timeout)),
        }
    }
}

fn reports() -> &'static Mutex<Vec<DownloadReport>> {
    static REPORTS: OnceLock<Mutex<Vec<DownloadReport>>> = OnceLock::new();
    REPORTS.get_or_init(Default::default)
}

/// Waits up to `within` for `found` to say yes.
fn eventually(within: Duration, mut found: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if found() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

fn report_of(path: &str) -> DownloadReport {
    let mut report = None;
    let found = eventually(Duration::from_secs(5), || {
        report = reports()
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.path() == path)
            .cloned();
        report.is_some()
    });
    assert!(found, "{path}: no report");
    report.unwrap()
}

// ---------------------------------------------------------------------------
// The client.

/// How a response's stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    /// END_STREAM: the body is complete.
    Clean,
    /// The server reset the stream, with this reason.
    Reset(Option<Reason>),
}

#[derive(Debug)]
struct H2Response {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
    end: End,
}

impl H2Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header"))
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> http::Request<()> {
    let mut req = http::Request::builder()
        .method(method)
        .uri(format!("http://{}{path}", server().addr));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.body(()).expect("request")
}

/// A new h2c connection (prior knowledge: the client preface straight away).
async fn connect() -> h2::client::SendRequest<Bytes> {
    connect_to(server().addr).await
}

async fn connect_to(addr: SocketAddr) -> h2::client::SendRequest<Bytes> {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (client, connection) = h2::client::handshake(tcp).await.expect("h2 handshake");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client.ready().await.expect("ready")
}

/// Reads a response's body to its end, giving the flow-control window back
/// as it goes.
async fn read_body(mut body: h2::RecvStream) -> (Vec<u8>, End) {
    let mut received = Vec::new();
    loop {
        match body.data().await {
            Some(Ok(chunk)) => {
                received.extend_from_slice(&chunk);
                body.flow_control()
                    .release_capacity(chunk.len())
                    .expect("release");
            }
            Some(Err(err)) => return (received, End::Reset(err.reason())),
            None => {
                return match body.trailers().await {
                    Ok(_) => (received, End::Clean),
                    Err(err) => (received, End::Reset(err.reason())),
                }
            }
        }
    }
}

/// One request over HTTP/2, on a connection of its own.
fn h2(method: &str, path: &str, headers: &[(&str, &str)]) -> H2Response {
    let req = request(method, path, headers);
    runtime().block_on(async move {
        let fetch = async {
            let mut client = connect().await;
            let (response, _stream) = client.send_request(req, true).expect("send request");
            let response = response.await.expect("response head");
            let (head, body) = response.into_parts();
            assert_eq!(head.version, http::Version::HTTP_2, "{path}");
            let (body, end) = read_body(body).await;
            H2Response {
                status: head.status.as_u16(),
                headers: head.headers,
                body,
                end,
            }
        };
        tokio::time::timeout(Duration::from_secs(30), fetch)
            .await
            .unwrap_or_else(|_| panic!("{path}: no answer within 30 s"))
    })
}

fn h2_get(path: &str) -> H2Response {
    h2("GET", path, &[])
}

/// The same request over HTTP/1.1, on the same server.
fn h1(method: &str, path: &str, headers: &[(&str, &str)]) -> suite::Response {
    suite::request(server().addr, method, path, headers)
}

/// Headers of an HTTP/2 answer but `Date`, sorted.
fn h2_headers(res: &H2Response) -> Vec<(String, String)> {
    let mut headers: Vec<_> = res
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .filter(|(k, _)| k != "date")
        .collect();
    headers.sort();
    headers
}

/// Headers of an HTTP/1.1 answer but `Date` and the HTTP/1-only framing
/// (`Transfer-Encoding`, `Connection`), sorted.
fn h1_headers(res: &suite::Response) -> Vec<(String, String)> {
    res.headers_but(&["date", "transfer-encoding", "connection"])
}

/// HTTP/2 answers `method path` exactly as HTTP/1.1 does: status, headers
/// (but the HTTP/1 framing), body; the stream ends cleanly.
fn assert_same_as_http11(method: &str, path: &str, headers: &[(&str, &str)]) -> H2Response {
    let two = h2(method, path, headers);
    let one = h1(method, path, headers);
    let what = format!("{method} {path} {headers:?}");
    assert!(one.complete, "{what}: HTTP/1.1 cut short");
    assert_eq!(two.end, End::Clean, "{what}: stream not ended cleanly");
    assert_eq!(two.status, one.status, "{what}: status");
    assert_eq!(h2_headers(&two), h1_headers(&one), "{what}: headers");
    assert!(two.body == one.body, "{what}: bodies differ");
    two
}

// ---------------------------------------------------------------------------
// The tests.

#[test]
fn a_rate_limit_paces_every_source_kind_over_http2_too() {
    // 200,003 bytes, the first 65,536 free: at least about 1 s at 128 KiB/s
    // (a lower bound: a paced download cannot be faster than its rate).
    let least = Duration::from_secs_f64((N - 65_536) as f64 / 131_072.0).mul_f64(0.95);
    let downloads: Vec<_> = SIZED
        .iter()
        .chain(UNSIZED)
        .map(|kind| {
            let path = format!("/paced/{kind}/");
            thread::spawn(move || {
                let start = Instant::now();
                let res = h2_get(&path);
                (path, res, start.elapsed())
            })
        })
        .collect();
    for download in downloads {
        let (path, res, took) = download.join().unwrap();
        assert_eq!(res.status, 200, "{path}");
        assert!(res.end == End::Clean, "{path}");
        assert!(res.body == pattern(N), "{path}: body");
        assert!(
            took >= least,
            "{path}: {took:?}, faster than the rate allows"
        );
    }
}

#[test]
fn get_of_every_source_kind_is_the_same_as_over_http11() {
    let expected = pattern(N);
    for kind in SIZED {
        let path = format!("/k/{kind}/");
        let res = assert_same_as_http11("GET", &path, &[]);
        assert_eq!(res.status, 200, "{path}");
        assert!(res.body == expected, "{path}: body");
        assert_eq!(
            res.header("content-length"),
            Some(N.to_string().as_str()),
            "{path}"
        );
        assert_eq!(
            res.header("content-disposition"),
            Some("attachment; filename=\"data.bin\""),
            "{path}"
        );
        assert_eq!(
            res.header("content-type"),
            Some("application/octet-stream"),
            "{path}"
        );
    }
    for kind in UNSIZED {
        let path = format!("/k/{kind}/");
        let res = assert_same_as_http11("GET", &path, &[]);
        assert_eq!(res.status, 200, "{path}");
        assert!(res.body == expected, "{path}: body");
        assert_eq!(res.header("content-length"), None, "{path}: size unknown");
        assert_eq!(res.header("accept-ranges"), None, "{path}");
    }
    for kind in RANGED {
        assert_eq!(
            h2_get(&format!("/k/{kind}/")).header("accept-ranges"),
            Some("bytes"),
            "{kind}"
        );
    }
}

#[test]
fn head_of_every_source_kind_has_gets_headers_and_no_body() {
    for kind in SIZED.iter().chain(UNSIZED).chain(&["versioned"]) {
        let path = format!("/k/{kind}/");
        let head = assert_same_as_http11("HEAD", &path, &[]);
        let get = h2_get(&path);
        assert_eq!(head.status, 200, "HEAD {path}");
        assert!(head.body.is_empty(), "HEAD {path}: a body");
        assert_eq!(
            h2_headers(&head),
            h2_headers(&get),
            "HEAD {path}: headers differ from GET's"
        );
    }
}

#[test]
fn a_missing_file_is_a_404_over_http2() {
    let res = assert_same_as_http11("GET", "/k/nothing/", &[]);
    assert_eq!(res.status, 404);
    assert_eq!(res.body, b"Not Found");
}

#[test]
fn a_single_range_is_a_206_with_exactly_its_bytes() {
    let all = pattern(N);
    for kind in RANGED {
        let path = format!("/k/{kind}/");
        for (range, first, last) in [
            ("bytes=10-99", 10, 99),
            ("bytes=-5", N - 5, N - 1),
            ("bytes=150000-", 150_000, N - 1),
            ("bytes=65000-140000", 65_000, 140_000),
        ] {
            let res = assert_same_as_http11("GET", &path, &[("Range", range)]);
            assert_eq!(res.status, 206, "{path} {range}");
            assert_eq!(
                res.header("content-range"),
                Some(format!("bytes {first}-{last}/{N}").as_str()),
                "{path} {range}"
            );
            assert_eq!(
                res.header("content-length"),
                Some((last - first + 1).to_string().as_str())
            );
            assert!(res.body == all[first..=last], "{path} {range}: bytes");
        }
    }
}

#[test]
fn several_ranges_are_a_multipart_206_like_over_http11() {
    let all = pattern(N);
    let range = ("Range", "bytes=0-9,100000-170000,-5");
    for kind in RANGED {
        let path = format!("/k/{kind}/");
        let two = h2("GET", &path, &[range]);
        let one = h1("GET", &path, &[range]);
        assert_eq!(two.end, End::Clean, "{path}");
        assert_eq!((two.status, one.status), (206, 206), "{path}");
        assert_eq!(
            two.header("content-length"),
            Some(two.body.len().to_string().as_str()),
            "{path}: exact Content-Length"
        );
        let (two_parts, one_parts) = (
            byteranges(two.header("content-type").unwrap(), &two.body),
            byteranges(one.header("content-type").unwrap(), &one.body),
        );
        // The boundary is random per response; the parts are the same.
        assert_eq!(two_parts, one_parts, "{path}");
        let expected: [(&str, &[u8]); 3] = [
            ("bytes 0-9/200003", &all[0..=9]),
            ("bytes 100000-170000/200003", &all[100_000..=170_000]),
            ("bytes 199998-200002/200003", &all[N - 5..]),
        ];
        assert_eq!(two_parts.len(), 3, "{path}");
        for (part, (content_range, bytes)) in two_parts.iter().zip(expected) {
            assert!(
                part.headers
                    .contains(&format!("Content-Range: {content_range}")),
                "{path}: {:?}",
                part.headers
            );
            assert!(part.body == bytes, "{path}: {content_range}");
        }
    }
}

#[test]
fn conditional_requests_are_answered_as_over_http11() {
    let path = "/k/versioned/";
    let date = "Tue, 14 Nov 2023 22:13:20 GMT";
    let not_modified = assert_same_as_http11("GET", path, &[("If-None-Match", "\"v1\"")]);
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header("etag"), Some("\"v1\""));
    assert_eq!(not_modified.header("last-modified"), Some(date));
    assert_eq!(not_modified.header("content-length"), None);
    assert_eq!(not_modified.header("content-type"), None);

    let res = assert_same_as_http11("GET", path, &[("If-Modified-Since", date)]);
    assert_eq!(res.status, 304);
    let res = assert_same_as_http11("HEAD", path, &[("If-None-Match", "\"v1\"")]);
    assert_eq!(res.status, 304);
    let res = assert_same_as_http11("GET", path, &[("If-None-Match", "\"v0\"")]);
    assert_eq!(
        (res.status, res.body.as_slice()),
        (200, &b"Hello world!\n"[..])
    );
    let res = assert_same_as_http11("GET", path, &[("If-Match", "\"other\"")]);
    assert_eq!(res.status, 412);
    let res = assert_same_as_http11("GET", path, &[("Range", "bytes=100-")]);
    assert_eq!(res.status, 416);
    assert_eq!(res.header("content-range"), Some("bytes */13"));
    let res = assert_same_as_http11(
        "GET",
        path,
        &[("Range", "bytes=0-4"), ("If-Range", "\"v1\"")],
    );
    assert_eq!((res.status, res.body.as_slice()), (206, &b"Hello"[..]));
}

#[test]
fn a_failing_source_resets_the_stream() {
    for kind in ["iter", "stream", "writer", "reader", "short", "long"] {
        let path = format!("/fail/{kind}/");
        let res = h2_get(&path);
        assert_eq!(res.status, 200, "{path}: the headers went out first");
        assert!(
            matches!(res.end, End::Reset(_)),
            "{path}: the client must see an error, not a clean end: {:?} after {} bytes",
            res.end,
            res.body.len()
        );
        assert!(res.body.len() < 150_000, "{path}: {} bytes", res.body.len());
        eprintln!("{path}: {:?} after {} bytes", res.end, res.body.len());
        let report = report_of(&path);
        assert_eq!(report.outcome, Outcome::SourceFailed, "{path}");
    }
}

/// Waits up to `within` for the source whose drop signal is `tag` to be
/// dropped; how long that took.
async fn until_dropped(tag: &str, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    while !dropped().lock().unwrap().iter().any(|t| t == tag) {
        if start.elapsed() >= within {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Some(start.elapsed())
}

/// Starts a GET of `path` over HTTP/2, reads `bytes` of its body, then
/// resets the stream (RST_STREAM CANCEL). While the connection stays open,
/// waits for the source (whose drop signal is `tag`) to be dropped and the
/// report to say `ClientGone`, then checks that the connection still serves
/// another request: the reset alone stopped the producer.
async fn read_some_then_reset(path: &str, tag: &str, bytes: usize) {
    let mut client = connect().await;
    let (response, mut stream) = client
        .send_request(request("GET", path, &[]), true)
        .expect("send");
    let response = response.await.expect("response head");
    assert_eq!(response.status(), 200, "{path}");
    let mut body = response.into_body();
    let mut got = 0;
    while got < bytes {
        let chunk = body
            .data()
            .await
            .unwrap_or_else(|| panic!("{path}: ended"))
            .expect("data");
        got += chunk.len();
        body.flow_control().release_capacity(chunk.len()).unwrap();
    }
    assert!(
        !dropped().lock().unwrap().iter().any(|t| t == tag),
        "{path}: dropped before the reset"
    );
    stream.send_reset(Reason::CANCEL);
    let took = until_dropped(tag, Duration::from_secs(2))
        .await
        .unwrap_or_else(|| panic!("{path}: the source was not dropped within 2 s of the reset"));
    eprintln!("{path}: dropped {took:?} after the reset");
    let report = report_of(path);
    assert_eq!(report.outcome, Outcome::ClientGone, "{path}");
    assert!(report.bytes >= got as u64, "{path}: {} bytes", report.bytes);
    // A reset ends one stream, not the connection.
    let mut client = client.ready().await.expect("the connection is still up");
    let (other, _) = client
        .send_request(request("HEAD", "/k/bytes/", &[]), true)
        .expect("send");
    assert_eq!(other.await.expect("head").status(), 200);
}

#[test]
fn a_client_that_resets_the_stream_is_client_gone_and_its_producer_is_dropped() {
    for kind in ENDLESS {
        let tag = format!("reset-{kind}");
        let path = format!("/endless/{kind}/{tag}");
        runtime().block_on(read_some_then_reset(&path, &tag, 256 * 1024));
    }
}

/// Starts a GET of `path` (a `send_timeout` of 1 s) over HTTP/2 and grants
/// no flow-control window beyond the initial one: the server stalls. Within
/// the timeout the source (drop signal `tag`) is dropped and reported, the
/// stream still open; once the client reads on, the stream is reset.
async fn stall_until_timed_out(path: &str, tag: &str) {
    let mut client = connect().await;
    let (response, _stream) = client
        .send_request(request("GET", path, &[]), true)
        .expect("send");
    let response = response.await.expect("response head");
    assert_eq!(response.status(), 200, "{path}");
    if until_dropped(tag, Duration::from_secs(3)).await.is_none() {
        panic!("{path}: the source was not dropped within 3 s of the stall");
    }
    suite::assert_timed_out(&report_of(path.split('?').next().unwrap()), path);
    let (body, end) = read_body(response.into_body()).await;
    assert!(
        matches!(end, End::Reset(_)),
        "{path}: {end:?} after {} bytes",
        body.len()
    );
}

#[test]
fn send_timeout_drops_a_stalled_streams_producer() {
    for kind in ENDLESS {
        let tag = format!("stalled-{kind}");
        let path = format!("/endless/{kind}/{tag}?timeout=1");
        runtime().block_on(stall_until_timed_out(&path, &tag));
    }
}

/// The real demo binary speaks h2c on its one port, next to HTTP/1.1.
#[test]
fn the_demo_binary_answers_http2_with_prior_knowledge() {
    let demo = suite::DemoProcess::start(&[]);
    let addr = demo.addr;
    let (status, headers, body) = runtime().block_on(async move {
        let mut client = connect_to(addr).await;
        let req = http::Request::builder()
            .uri(format!("http://{addr}/text/"))
            .body(())
            .unwrap();
        let (response, _) = client.send_request(req, true).expect("send");
        let response = response.await.expect("response head");
        assert_eq!(response.version(), http::Version::HTTP_2);
        let (head, body) = response.into_parts();
        let (body, end) = read_body(body).await;
        assert_eq!(end, End::Clean);
        (head.status, head.headers, body)
    });
    let http1 = suite::request(addr, "GET", "/text/", &[]);
    drop(demo);
    assert_eq!(status, 200);
    assert_eq!(body, b"Hello world!\n");
    assert_eq!(headers.get("content-length").unwrap(), "13");
    assert_eq!(
        headers.get("content-disposition").unwrap(),
        "attachment; filename=\"hello-world.txt\""
    );
    assert_eq!(http1.body, b"Hello world!\n", "HTTP/1.1 on the same port");
}
