//! Views written by users, over real HTTP: options and their overrides,
//! sources, errors and their statuses, HEAD, panics (SPEC §1-§6).

use std::{
    borrow::Cow,
    io::{self, Cursor, Read},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex, OnceLock,
    },
};

use actix_web::{error::ErrorForbidden, web, HttpRequest};
use bytes::Bytes;
use downloadview::{
    test::ExpectedDownload, DownloadError, GetFile, VirtualDownloadView, VirtualFile,
};
use suite::{serve, serve_with, Response, TestServer};

/// Every downloadview log record of this test binary, as `LEVEL message`.
fn logs() -> &'static Mutex<Vec<String>> {
    suite::captured_logs()
}

// ---------------------------------------------------------------- views

#[derive(VirtualDownloadView, Default)]
#[download(
    basename = "options.txt",
    attachment = false,
    mimetype = "text/csv",
    encoding = "identity",
    charset = "latin-1",
    cache_control = "private, max-age=60"
)]
struct EveryOption;
impl GetFile for EveryOption {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from("a,b\n"))
    }
}

/// Serves `?kind=` sources, to test each one's size and body.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "source.txt")]
struct Sources;
impl GetFile for Sources {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let file = match req.query_string() {
            "static-bytes" => VirtualFile::from_static("café\n".as_bytes()),
            "static-str" => VirtualFile::from("café\n"),
            "string" => VirtualFile::from(String::from("café\n")),
            "vec" => VirtualFile::from("café\n".as_bytes().to_vec()),
            "bytes" => VirtualFile::from(Bytes::from_static("café\n".as_bytes())),
            "cursor" => VirtualFile::from_seekable_reader(Cursor::new(String::from("café\n")))?,
            "reader" => VirtualFile::from_reader(Cursor::new("café\n".as_bytes())),
            "reader-sized" => {
                VirtualFile::from_reader(Cursor::new("café\n".as_bytes())).with_size(6)
            }
            "iter-strings" => {
                VirtualFile::from_iter(vec![String::from("caf"), String::from("é\n")])
            }
            "iter-vecs" => VirtualFile::from_iter(vec![b"caf".to_vec(), "é\n".as_bytes().to_vec()]),
            "writer" => VirtualFile::from_writer(|out| Ok(out.write_all("café\n".as_bytes())?)),
            "stream" => VirtualFile::from_stream(futures_util::stream::iter([
                Ok::<_, io::Error>(Bytes::from_static(b"caf")),
                Ok(Bytes::from_static("é\n".as_bytes())),
            ])),
            "empty" => VirtualFile::from(""),
            other => return Err(DownloadError::other(format!("unknown kind {other}"))),
        };
        Ok(file)
    }
}

static BODY_RUNS: AtomicUsize = AtomicUsize::new(0);

/// Reader that counts reads: proves when the body source runs.
struct CountingReader(Cursor<&'static [u8]>);
impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        BODY_RUNS.fetch_add(1, Ordering::SeqCst);
        self.0.read(buf)
    }
}

#[derive(VirtualDownloadView, Default)]
#[download(basename = "lazy.txt")]
struct Lazy;
impl GetFile for Lazy {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(match req.query_string() {
            "iter" => VirtualFile::from_iter(std::iter::from_fn({
                let mut done = false;
                move || {
                    BODY_RUNS.fetch_add(1, Ordering::SeqCst);
                    (!done).then(|| {
                        done = true;
                        "lazy\n"
                    })
                }
            })),
            "writer" => VirtualFile::from_writer(|out| {
                BODY_RUNS.fetch_add(1, Ordering::SeqCst);
                Ok(out.write_all(b"lazy\n")?)
            }),
            _ => VirtualFile::from_reader(CountingReader(Cursor::new(b"lazy\n"))).with_size(5),
        })
    }
}

#[derive(VirtualDownloadView, Default)]
struct Failing;
impl GetFile for Failing {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        match req.query_string() {
            "io-not-found" => Err(io::Error::new(io::ErrorKind::NotFound, "/secret/path").into()),
            "io-other" => Err(io::Error::other("password=hunter2").into()),
            "forbidden" => Err(ErrorForbidden("no access to this report").into()),
            "other" => Err(DownloadError::other("database dsn postgres://u:p@db")),
            "panic" => panic!("get_file exploded"),
            _ => Ok(VirtualFile::from("fine\n")),
        }
    }
}

/// Per-request overrides, including values that cannot be headers.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "default.txt")]
struct Overrides;
impl GetFile for Overrides {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from("x"))
    }
    fn get_basename(&self, req: &HttpRequest) -> Option<Cow<'static, str>> {
        match req.query_string() {
            "empty" => Some(Cow::Borrowed("")),
            "none" => None,
            _ => Some(Cow::Borrowed("override.bin")),
        }
    }
    fn attachment(&self, req: &HttpRequest) -> bool {
        req.query_string() != "inline"
    }
    fn get_mimetype(&self, req: &HttpRequest) -> Option<Cow<'static, str>> {
        (req.query_string() == "bad").then_some(Cow::Borrowed("text/plain\r\nX-Injected: 1"))
    }
    fn get_encoding(&self, req: &HttpRequest) -> Option<Cow<'static, str>> {
        (req.query_string() == "bad").then_some(Cow::Borrowed("gzip\r\nX-Injected: 1"))
    }
    fn get_charset(&self, req: &HttpRequest) -> Cow<'static, str> {
        Cow::Borrowed(if req.query_string() == "bad" {
            "utf-8\r\nX-Injected: 1"
        } else {
            "utf-8"
        })
    }
    fn cache_control(&self, req: &HttpRequest) -> Option<Cow<'static, str>> {
        (req.query_string() == "bad").then_some(Cow::Borrowed("no-store\r\nX-Injected: 1"))
    }
}

/// A view with fields, built by a handler from the path.
#[derive(VirtualDownloadView)]
#[download(mimetype = "text/csv")]
struct Report {
    id: u32,
}
impl GetFile for Report {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(format!("id\n{}\n", self.id))
            .with_name(format!("reports/report-{}.csv", self.id)))
    }
}

/// A generic view with a where-clause.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "generic.txt")]
struct Generic<T>(T)
where
    T: AsRef<str> + Send + 'static;
impl<T> GetFile for Generic<T>
where
    T: AsRef<str> + Send + 'static,
{
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(format!("{}|", self.0.as_ref())))
    }
}

/// The file sets its own content type: used verbatim.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "typed.txt", mimetype = "text/csv")]
struct FileTyped;
impl GetFile for FileTyped {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from("{}").with_content_type("application/vnd.api+json"))
    }
}

/// Only a guessed binary type: no charset.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "pixel.png")]
struct Png;
impl GetFile for Png {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"\x89PNG"))
    }
}

fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/options/", EveryOption::route())
        .route("/sources/", Sources::route())
        .route("/lazy/", Lazy::route())
        .route("/failing/", Failing::route())
        .route("/overrides/", Overrides::route())
        .route(
            "/report/{id}",
            downloadview::get_or_head().to(|id: web::Path<u32>| async move { Report { id: *id } }),
        )
        .route("/generic/", Generic::<String>::route())
        .route(
            "/generic-handler/",
            web::get().to(|| async { Generic("from handler") }),
        )
        .route("/typed/", FileTyped::route())
        .route("/png/", Png::route())
        .service(web::resource("/resource/").route(Png::route()));
}

fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let _ = logs();
        serve(configure)
    })
}

fn assert_complete(res: &Response) {
    assert!(res.complete, "body cut short: {res:?}");
}

// ---------------------------------------------------------------- tests

#[test]
fn every_option_reaches_its_header() {
    let res = server().get("/options/");
    assert_complete(&res);
    ExpectedDownload::new()
        .basename("options.txt")
        .attachment(false)
        .content_type("text/csv; charset=latin-1")
        .content("a,b\n")
        .assert(res.status_code(), &res.header_map(), &res.body);
    assert_eq!(res.header("content-encoding"), Some("identity"));
    assert_eq!(res.header("cache-control"), Some("private, max-age=60"));
}

#[test]
fn every_source_sends_the_same_bytes_with_the_right_framing() {
    let body = "café\n".as_bytes();
    for (kind, length) in [
        ("static-bytes", Some("6")),
        ("static-str", Some("6")),
        ("string", Some("6")),
        ("vec", Some("6")),
        ("bytes", Some("6")),
        ("cursor", Some("6")),
        ("reader", None),
        ("reader-sized", Some("6")),
        ("iter-strings", None),
        ("iter-vecs", None),
        ("writer", None),
        ("stream", None),
    ] {
        let res = server().get(&format!("/sources/?{kind}"));
        assert_complete(&res);
        assert_eq!(res.status, 200, "{kind}");
        assert_eq!(res.body, body, "{kind}");
        assert_eq!(
            res.header("content-length"),
            length,
            "{kind}: Content-Length counts bytes"
        );
        assert_eq!(
            res.chunked,
            length.is_none(),
            "{kind}: chunked iff the size is unknown"
        );
        assert_eq!(
            res.header("content-type"),
            Some("text/plain; charset=utf-8"),
            "{kind}"
        );
    }
    let res = server().get("/sources/?empty");
    assert_eq!(
        (res.status, res.header("content-length"), res.body.len()),
        (200, Some("0"), 0)
    );
}

#[test]
fn head_and_not_modified_never_run_the_body_source() {
    for kind in ["reader", "iter", "writer"] {
        let path = format!("/lazy/?{kind}");
        let before = BODY_RUNS.load(Ordering::SeqCst);
        let head = server().head(&path);
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
        if kind == "reader" {
            assert_eq!(
                head.header("content-length"),
                Some("5"),
                "HEAD keeps GET's Content-Length"
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(
            BODY_RUNS.load(Ordering::SeqCst),
            before,
            "{kind}: HEAD ran the source"
        );

        let get = server().get(&path);
        assert_eq!(get.body, b"lazy\n", "{kind}");
        assert!(
            BODY_RUNS.load(Ordering::SeqCst) > before,
            "{kind}: GET must run it"
        );
    }
}

#[test]
fn errors_get_their_status_and_reveal_nothing() {
    let res = server().get("/failing/?io-not-found");
    assert_eq!(res.status, 404);
    assert!(!res.text().contains("secret"));

    let res = server().get("/failing/?forbidden");
    assert_eq!(res.status, 403, "actix errors keep their status");
    assert_eq!(res.text(), "no access to this report");

    for (query, secret) in [("io-other", "hunter2"), ("other", "postgres")] {
        let res = server().get(&format!("/failing/?{query}"));
        assert_eq!(res.status, 500, "{query}");
        assert_eq!(res.text(), "Internal Server Error", "{query}");
        assert!(!res.text().contains(secret));
        let logged = logs()
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("ERROR") && l.contains(secret));
        assert!(
            logged,
            "{query}: the 500's cause is logged: {:?}",
            logs().lock().unwrap()
        );
    }
}

#[test]
fn a_panicking_get_file_is_a_500_for_that_request_only() {
    let _ = logs();
    // One worker: if the panic took the worker down, the next request would fail.
    let server = serve_with(1, configure);
    for _ in 0..3 {
        let res = server.get("/failing/?panic");
        assert_eq!(res.status, 500);
        assert_eq!(res.text(), "Internal Server Error");
        let ok = server.get("/failing/");
        assert_eq!((ok.status, ok.text().as_str()), (200, "fine\n"));
    }
    assert!(logs()
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("panicked")));
}

#[test]
fn overrides_decide_per_request() {
    let res = server().get("/overrides/");
    assert_eq!(
        res.header("content-disposition"),
        Some(r#"attachment; filename="override.bin""#)
    );
    assert_eq!(res.header("content-type"), Some("application/octet-stream"));

    let res = server().get("/overrides/?inline");
    assert_eq!(
        res.header("content-disposition"),
        Some(r#"inline; filename="override.bin""#)
    );

    let res = server().get("/overrides/?empty");
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment"),
        "empty name: bare type"
    );
    let res = server().get("/overrides/?none");
    assert_eq!(res.header("content-disposition"), Some("attachment"));
}

#[test]
fn override_values_that_cannot_be_headers_are_dropped_not_injected() {
    let res = server().get("/overrides/?bad");
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.body, b"x");
    assert_eq!(res.header("x-injected"), None);
    assert!(!res.raw_head.contains("X-Injected"), "{}", res.raw_head);
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("cache-control"), None);
    assert_eq!(res.header("content-type"), Some("application/octet-stream"));
}

#[test]
fn handler_built_views_carry_fields() {
    let res = server().get("/report/42");
    assert_complete(&res);
    ExpectedDownload::new()
        .basename("report-42.csv")
        .content_type("text/csv; charset=utf-8")
        .content("id\n42\n")
        .assert(res.status_code(), &res.header_map(), &res.body);
    assert_eq!(
        res.header("content-disposition"),
        Some(r#"attachment; filename="report-42.csv""#)
    );
    // Registered with `get_or_head()`, a handler-built view answers HEAD
    // with GET's headers and no body.
    let head = server().request("HEAD", "/report/42", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.headers_but(&["date"]), res.headers_but(&["date"]));
    // Other methods do not match it.
    assert_eq!(server().request("POST", "/report/42", &[]).status, 404);
}

#[test]
fn generic_views_with_where_clauses() {
    let res = server().get("/generic/");
    assert_eq!((res.status, res.text().as_str()), (200, "|"));
    let res = server().get("/generic-handler/");
    assert_eq!((res.status, res.text().as_str()), (200, "from handler|"));
    assert_eq!(
        res.header("content-disposition"),
        Some(r#"attachment; filename="generic.txt""#)
    );
}

#[test]
fn content_type_rules() {
    let res = server().get("/typed/");
    assert_eq!(
        res.header("content-type"),
        Some("application/vnd.api+json"),
        "the file's type is verbatim"
    );
    let res = server().get("/png/");
    assert_eq!(
        res.header("content-type"),
        Some("image/png"),
        "no charset on binary types"
    );
}

#[test]
fn other_methods_do_not_match_the_route() {
    // Registered with App::route: actix-web's answer is 404.
    let res = server().request("POST", "/lazy/", &[("Content-Length", "0")]);
    assert_eq!(res.status, 404, "{res:?}");
    // In a resource: 405, and the Allow header names GET and HEAD.
    let res = server().request("DELETE", "/resource/", &[]);
    assert_eq!(res.status, 405, "{res:?}");
    let allow = res.header("allow").unwrap_or_default().replace(' ', "");
    let mut allowed: Vec<&str> = allow.split(',').collect();
    allowed.sort_unstable();
    assert_eq!(allowed, ["GET", "HEAD"], "{res:?}");
    for method in ["GET", "HEAD"] {
        let res = server().request(method, "/resource/", &[]);
        assert_eq!(res.status, 200, "{method}: {res:?}");
        assert_eq!(res.header("allow"), None);
    }
}
