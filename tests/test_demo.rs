//! The demo's routes over real HTTP, mirroring django-downloadview's own demo
//! tests: body `Hello world!\n`, `text/plain; charset=utf-8`,
//! `attachment; filename="hello-world.txt"` (SPEC §4, §11).

#[allow(dead_code)]
#[path = "../examples/demo.rs"]
mod demo;

use std::sync::OnceLock;

use downloadview::test::ExpectedDownload;
use suite::{serve, Response, TestServer};

fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| serve(demo::configure))
}

fn hello(basename: &str) -> ExpectedDownload {
    ExpectedDownload::new()
        .basename(basename)
        .content_type("text/plain; charset=utf-8")
        .mime_type("text/plain")
        .content("Hello world!\n")
}

fn assert_download(res: &Response, expected: ExpectedDownload) {
    assert!(res.complete, "body cut short: {res:?}");
    expected.assert(res.status_code(), &res.header_map(), &res.body);
}

#[test]
fn text_is_djangos_content_file_demo() {
    let res = server().get("/text/");
    assert_download(&res, hello("hello-world.txt").attachment(true));
    assert_eq!(
        res.header("content-disposition"),
        Some(r#"attachment; filename="hello-world.txt""#)
    );
    assert_eq!(res.header("content-length"), Some("13"));
    assert!(!res.chunked);
}

#[test]
fn stringio_is_djangos_stringio_demo() {
    let res = server().get("/stringio/");
    assert_download(&res, hello("hello-world.txt").attachment(true));
    assert_eq!(
        res.header("content-disposition"),
        Some(r#"attachment; filename="hello-world.txt""#)
    );
    assert_eq!(
        res.header("content-length"),
        Some("13"),
        "a seekable reader has a known size"
    );
}

#[test]
fn generated_is_chunked_with_the_same_headers() {
    let res = server().get("/generated/");
    assert_download(&res, hello("hello-world.txt").attachment(true));
    assert_eq!(
        res.header("content-disposition"),
        Some(r#"attachment; filename="hello-world.txt""#)
    );
    assert!(res.chunked, "size unknown: chunked");
    assert_eq!(
        res.header("content-length"),
        None,
        "never Content-Length: 0 for a non-empty body"
    );
}

#[test]
fn inline_keeps_the_file_name() {
    let res = server().get("/inline/");
    assert_download(&res, hello("hello-world.txt").attachment(false));
    assert_eq!(
        res.header("content-disposition"),
        Some(r#"inline; filename="hello-world.txt""#)
    );
}

#[test]
fn unicode_basename_in_both_encodings() {
    let res = server().get("/unicode/");
    assert_download(&res, hello("café résumé.txt").attachment(true));
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"cafe_resume.txt\"; filename*=UTF-8''caf%C3%A9%20r%C3%A9sum%C3%A9.txt")
    );
}

#[test]
fn named_takes_the_basename_from_the_path() {
    let res = server().get("/named/report%202024.txt");
    assert_download(&res, hello("report 2024.txt").attachment(true));
    let res = server().get("/named/%F0%9F%98%80%20%22quoted%22.txt");
    assert_download(&res, hello("😀 \"quoted\".txt").attachment(true));
    assert_eq!(
        res.header("content-disposition"),
        Some(
            r#"attachment; filename="_\"quoted\".txt"; filename*=UTF-8''%F0%9F%98%80%20%22quoted%22.txt"#
        )
    );
}

#[test]
fn named_guesses_its_mime_type_from_the_name() {
    for (path, name, content_type) in [
        ("/named/report.pdf", "report.pdf", "application/pdf"),
        ("/named/a.txt", "a.txt", "text/plain; charset=utf-8"),
        ("/named/data.csv", "data.csv", "text/csv; charset=utf-8"),
        ("/named/photo.PNG", "photo.PNG", "image/png"),
        (
            "/named/archive.tar.gz",
            "archive.tar.gz",
            "application/gzip",
        ),
        ("/named/README", "README", "application/octet-stream"),
        (
            "/named/report%202024.pdf",
            "report 2024.pdf",
            "application/pdf",
        ),
    ] {
        let res = server().get(path);
        assert_download(
            &res,
            ExpectedDownload::new()
                .basename(name)
                .content_type(content_type)
                .attachment(true)
                .content("Hello world!\n"),
        );
        let head = server().head(path);
        assert_eq!(
            head.header("content-type"),
            Some(content_type),
            "HEAD {path}"
        );
    }
}

#[test]
fn named_with_hostile_names_never_breaks_the_header() {
    // CR/LF, NUL, DEL, backslashes and quotes, percent-encoded in the path;
    // the type is guessed from what follows the last dot, if anything.
    for (path, name, content_type) in [
        (
            "/named/a%0D%0ASet-Cookie:%20x=1",
            "a\r\nSet-Cookie: x=1",
            "application/octet-stream",
        ),
        (
            "/named/a%00b%7F.txt",
            "a\u{0}b\u{7f}.txt",
            "text/plain; charset=utf-8",
        ),
        (
            "/named/%22malicious%5Cfile.exe",
            "\"malicious\\file.exe",
            "application/octet-stream",
        ),
        ("/named/%09tab", "\ttab", "application/octet-stream"),
    ] {
        let res = server().get(path);
        assert_eq!(res.status, 200, "{path}: {res:?}");
        assert_eq!(
            res.headers_named("set-cookie"),
            Vec::<&str>::new(),
            "{path}: injected header"
        );
        assert_download(
            &res,
            ExpectedDownload::new()
                .basename(name)
                .content_type(content_type)
                .attachment(true)
                .content("Hello world!\n"),
        );
        let value = res.header("content-disposition").expect("disposition");
        assert!(
            value.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "{path}: {value:?}"
        );
    }
}

#[test]
fn missing_is_404() {
    let res = server().get("/missing/");
    assert_eq!(res.status, 404);
    assert_eq!(res.header("content-disposition"), None);
    assert_eq!(res.text(), "Not Found");
}

#[test]
fn every_route_answers_head_with_gets_headers_and_no_body() {
    // Every route of the demo, the index page included (SPEC §11); the
    // multipart boundary is random, so no Range here.
    let mut paths = vec![
        "/",
        "/named/x.txt",
        "/named/report.pdf",
        "/big/?size=1000",
        "/stream/?size=1000",
        "/csv/?rows=3",
        "/big/?size=oops",
    ];
    paths.extend(demo::ROUTES.iter().map(|(path, _)| *path));
    for path in paths {
        let get = server().get(path);
        let head = server().head(path);
        assert!(get.complete, "{path}: {get:?}");
        assert_eq!(head.status, get.status, "{path}");
        assert_eq!(
            head.headers_but(&["date"]),
            get.headers_but(&["date"]),
            "{path}: HEAD headers differ from GET's"
        );
        assert!(head.body.is_empty(), "{path}");
        if let Some(length) = head.header("content-length") {
            assert_eq!(length, get.body.len().to_string(), "{path}");
        }
    }
    // The index page is a page, not a 404, for HEAD too.
    let head = server().head("/");
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_ne!(head.header("content-length"), Some("0"));
}

#[test]
fn other_methods_are_not_downloads() {
    for path in ["/", "/text/"] {
        let res = server().request("POST", path, &[("Content-Length", "0")]);
        assert_eq!(res.status, 404, "POST {path}: {res:?}");
        assert_eq!(res.header("content-disposition"), None);
    }
}

#[test]
fn index_links_every_route() {
    let res = server().get("/");
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    let html = res.text();
    for (path, _) in demo::ROUTES {
        assert!(
            html.contains(&format!("href=\"{path}\"")),
            "index lacks {path}"
        );
        let route = path.split('?').next().unwrap();
        let status = server().get(path).status;
        assert!(
            status == 200 || (route == "/missing/" && status == 404),
            "{path}: {status}"
        );
    }
}

#[test]
fn if_modified_since_gives_304_without_body() {
    let date = httpdate(demo::versioned_last_modified());
    let res = server().request("GET", "/versioned/", &[("If-Modified-Since", &date)]);
    assert_eq!(res.status, 304, "{res:?}");
    assert!(res.body.is_empty());
    assert_eq!(res.header("content-type"), None);
    assert_eq!(res.header("content-length"), None);
    assert_eq!(res.header("etag"), Some("\"hello-v1\""));
    assert_eq!(res.header("last-modified"), Some(date.as_str()));

    let older = httpdate(demo::versioned_last_modified() - std::time::Duration::from_secs(1));
    let res = server().request("GET", "/versioned/", &[("If-Modified-Since", &older)]);
    assert_eq!(res.status, 200);
    assert_eq!(res.body, b"Hello world!\n");

    let res = server().request("GET", "/versioned/", &[("If-Modified-Since", "not a date")]);
    assert_eq!(res.status, 200, "unparseable dates are ignored");

    // No Last-Modified: Django's rule says "modified".
    let res = server().request("GET", "/text/", &[("If-Modified-Since", &date)]);
    assert_eq!(res.status, 200);
}

fn httpdate(t: std::time::SystemTime) -> String {
    // Formatted the way actix formats `Last-Modified`.
    actix_web::http::header::HttpDate::from(t).to_string()
}

/// The real `cargo run --example demo` binary: DEMO_ADDR is honoured and the
/// URL printed once it listens.
#[test]
fn demo_binary_listens_on_demo_addr() {
    let demo = suite::DemoProcess::start(&[]);
    let res = suite::request(demo.addr, "GET", "/text/", &[]);
    let index = suite::request(demo.addr, "GET", "/", &[]);
    let index_head = suite::request(demo.addr, "HEAD", "/", &[]);
    let named = suite::request(demo.addr, "GET", "/named/report.pdf", &[]);
    drop(demo);
    assert_download(&res, hello("hello-world.txt"));
    assert_eq!(index.status, 200);
    assert_eq!(index_head.status, 200, "HEAD / like GET /");
    assert_eq!(
        index_head.headers_but(&["date"]),
        index.headers_but(&["date"])
    );
    assert!(index_head.body.is_empty());
    assert_eq!(named.header("content-type"), Some("application/pdf"));
}
