//! SPEC §6-§7 over real HTTP: validators, 304 hygiene, RFC 9110 §13.2.2
//! precondition order, Django's `was_modified_since` hook.

#[allow(dead_code)]
#[path = "../examples/demo.rs"]
mod demo;

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::SystemTime,
};

use actix_web::{http::header::EntityTag, web, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
use suite::{Response, TestServer};

const ETAG: &str = "\"hello-v1\"";
/// `/versioned/`'s Last-Modified (1_700_000_000), in the three formats.
const LM: &str = "Tue, 14 Nov 2023 22:13:20 GMT";
const LM_RFC850: &str = "Tuesday, 14-Nov-23 22:13:20 GMT";
const LM_ASCTIME: &str = "Tue Nov 14 22:13:20 2023";
const BEFORE: &str = "Tue, 14 Nov 2023 22:13:19 GMT";
const AFTER: &str = "Tue, 14 Nov 2023 22:13:21 GMT";

/// `/versioned/` with a `Cache-Control`, a weak tag, and counting its runs.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "cached.txt", cache_control = "max-age=60")]
struct CachedView;

static CACHED_RUNS: AtomicUsize = AtomicUsize::new(0);

impl GetFile for CachedView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_generator(13, |offset| {
            CACHED_RUNS.fetch_add(1, Ordering::SeqCst);
            [&b"Hello world!\n"[offset as usize..]]
        })
        .with_etag(EntityTag::new_weak("w1".to_owned()))
        .with_last_modified(demo::versioned_last_modified()))
    }
}

/// No validators at all, but Django's hook says "not modified" for any date.
#[derive(VirtualDownloadView, Default)]
struct NeverModifiedView;

impl GetFile for NeverModifiedView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }

    fn was_modified_since(&self, _file: &VirtualFile, _since: SystemTime) -> bool {
        false
    }
}

fn server() -> TestServer {
    suite::serve(|cfg| {
        demo::configure(cfg);
        cfg.route("/cached/", CachedView::route())
            .route("/never-modified/", NeverModifiedView::route())
            // Any method, to check the non-GET rules.
            .route(
                "/versioned-any/",
                web::route().to(|| async { demo::VersionedDownloadView }),
            );
    })
}

fn get(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> Response {
    server.request("GET", path, headers)
}

#[track_caller]
fn assert_200(res: &Response) {
    assert_eq!(res.status, 200, "{}", res.raw_head);
    assert_eq!(res.body, b"Hello world!\n");
    assert!(res.complete);
}

#[track_caller]
fn assert_304(res: &Response) {
    assert_eq!(res.status, 304, "{}", res.raw_head);
    assert!(res.body.is_empty());
    assert_eq!(res.header("content-type"), None, "{}", res.raw_head);
    assert_eq!(res.header("content-length"), None, "{}", res.raw_head);
    assert_eq!(res.header("transfer-encoding"), None, "{}", res.raw_head);
    assert_eq!(res.header("content-disposition"), None, "{}", res.raw_head);
    assert_eq!(res.header("accept-ranges"), None, "{}", res.raw_head);
}

#[track_caller]
fn assert_412(res: &Response) {
    assert_eq!(res.status, 412, "{}", res.raw_head);
    assert!(res.body.is_empty());
    assert_eq!(res.header("content-length"), Some("0"));
    assert_eq!(res.header("content-type"), None, "{}", res.raw_head);
    assert_eq!(res.header("accept-ranges"), None, "{}", res.raw_head);
}

#[test]
fn validators_are_sent_as_given() {
    let server = server();
    let res = server.get("/versioned/");
    assert_200(&res);
    assert_eq!(res.header("etag"), Some(ETAG));
    assert_eq!(res.header("last-modified"), Some(LM));
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
    let res = server.get("/cached/");
    assert_eq!(res.header("etag"), Some("W/\"w1\""));
    assert_eq!(res.header("cache-control"), Some("max-age=60"));
    // No fake validators for a file without them.
    let res = server.get("/text/");
    assert_eq!(res.header("etag"), None);
    assert_eq!(res.header("last-modified"), None);
}

#[test]
fn if_none_match_answers_304_with_the_validators_only() {
    let server = server();
    for value in [
        ETAG,
        "W/\"hello-v1\"",
        "*",
        "\"other\", \"hello-v1\"",
        "\"a,b\", \"hello-v1\"",
    ] {
        let res = get(&server, "/versioned/", &[("If-None-Match", value)]);
        assert_304(&res);
        assert_eq!(res.header("etag"), Some(ETAG), "{value}");
        assert_eq!(res.header("last-modified"), Some(LM), "{value}");
    }
    let res = get(&server, "/cached/", &[("If-None-Match", "\"w1\"")]);
    assert_304(&res);
    assert_eq!(res.header("cache-control"), Some("max-age=60"));
    assert_eq!(res.header("etag"), Some("W/\"w1\""));
    for value in [
        "\"other\"",
        "\"hello-v2\", W/\"x\"",
        "garbage",
        "\"unterminated",
    ] {
        assert_200(&get(&server, "/versioned/", &[("If-None-Match", value)]));
    }
    // HEAD too; another method fails instead.
    assert_304(&server.request("HEAD", "/versioned/", &[("If-None-Match", ETAG)]));
    assert_412(&server.request("POST", "/versioned-any/", &[("If-None-Match", ETAG)]));
    assert_412(&server.request("DELETE", "/versioned-any/", &[("If-None-Match", "*")]));
}

#[test]
fn if_match_is_strong() {
    let server = server();
    for value in [ETAG, "*", "\"x\", \"hello-v1\""] {
        assert_200(&get(&server, "/versioned/", &[("If-Match", value)]));
    }
    for value in [
        "\"other\"",
        "W/\"hello-v1\"",
        "garbage",
        "\"unterminated",
        "",
    ] {
        let res = get(&server, "/versioned/", &[("If-Match", value)]);
        assert_412(&res);
        assert_eq!(res.header("etag"), Some(ETAG), "{value:?}");
    }
    // A weak current tag never matches strongly.
    assert_412(&get(&server, "/cached/", &[("If-Match", "\"w1\"")]));
    // No current tag: only `*` passes.
    assert_412(&get(&server, "/text/", &[("If-Match", "\"x\"")]));
    assert_200(&get(&server, "/text/", &[("If-Match", "*")]));
}

#[test]
fn if_unmodified_since() {
    let server = server();
    assert_412(&get(
        &server,
        "/versioned/",
        &[("If-Unmodified-Since", BEFORE)],
    ));
    for value in [
        LM,
        AFTER,
        LM_RFC850,
        LM_ASCTIME,
        "garbage",
        "Tue, 14 Nov 2023",
    ] {
        assert_200(&get(
            &server,
            "/versioned/",
            &[("If-Unmodified-Since", value)],
        ));
    }
    // Ignored without a modification date.
    assert_200(&get(&server, "/text/", &[("If-Unmodified-Since", BEFORE)]));
    // If-Match decides alone when present (step 2 only runs without it).
    assert_200(&get(
        &server,
        "/versioned/",
        &[("If-Match", ETAG), ("If-Unmodified-Since", BEFORE)],
    ));
}

#[test]
fn if_modified_since_in_the_three_date_formats() {
    let server = server();
    for value in [LM, LM_RFC850, LM_ASCTIME, AFTER] {
        let res = get(&server, "/versioned/", &[("If-Modified-Since", value)]);
        assert_304(&res);
        assert_eq!(res.header("last-modified"), Some(LM));
    }
    for value in [BEFORE, "garbage", "", "Tue, 14 Nov 2023 22:13:20"] {
        assert_200(&get(
            &server,
            "/versioned/",
            &[("If-Modified-Since", value)],
        ));
    }
    assert_304(&server.request("HEAD", "/versioned/", &[("If-Modified-Since", LM)]));
    // Only for GET and HEAD.
    assert_200(&server.request("POST", "/versioned-any/", &[("If-Modified-Since", LM)]));
    // No Last-Modified: modified (Django's default rule).
    assert_200(&get(&server, "/text/", &[("If-Modified-Since", AFTER)]));
}

#[test]
fn djangos_hook_decides_if_modified_since() {
    let server = server();
    assert_304(&get(
        &server,
        "/never-modified/",
        &[("If-Modified-Since", BEFORE)],
    ));
    // ... but only for If-Modified-Since: If-None-Match takes precedence.
    assert_200(&get(
        &server,
        "/never-modified/",
        &[("If-None-Match", "\"x\""), ("If-Modified-Since", BEFORE)],
    ));
}

#[test]
fn precedence() {
    let server = server();
    // If-None-Match wins over If-Modified-Since, both ways.
    assert_200(&get(
        &server,
        "/versioned/",
        &[("If-None-Match", "\"other\""), ("If-Modified-Since", LM)],
    ));
    assert_304(&get(
        &server,
        "/versioned/",
        &[("If-None-Match", ETAG), ("If-Modified-Since", BEFORE)],
    ));
    // A failed If-Match or If-Unmodified-Since wins over If-None-Match.
    assert_412(&get(
        &server,
        "/versioned/",
        &[("If-Match", "\"other\""), ("If-None-Match", ETAG)],
    ));
    assert_412(&get(
        &server,
        "/versioned/",
        &[("If-Unmodified-Since", BEFORE), ("If-None-Match", ETAG)],
    ));
    // Preconditions come before Range: 304/412, never 206 or 416.
    assert_304(&get(
        &server,
        "/versioned/",
        &[("If-None-Match", ETAG), ("Range", "bytes=0-4")],
    ));
    assert_412(&get(
        &server,
        "/versioned/",
        &[("If-Match", "\"other\""), ("Range", "bytes=100-")],
    ));
    let res = get(
        &server,
        "/versioned/",
        &[("If-Match", ETAG), ("Range", "bytes=0-4")],
    );
    assert_eq!(res.status, 206);
    assert_eq!(res.body, b"Hello");
}

#[test]
fn garbage_validators_never_give_5xx() {
    let server = server();
    let garbage: &[&[u8]] = &[
        b"\xff\xfe",
        b"W/",
        b"W/\"",
        b"\"\"\"",
        b",,,,",
        b"*, \"a\"",
        b"\"caf\xe9\"",
        b"W/W/\"a\"",
        b"99999999999999999999999999",
        b"Mon, 99 Foo 99999 99:99:99 GMT",
    ];
    for name in [
        "If-Match",
        "If-None-Match",
        "If-Modified-Since",
        "If-Unmodified-Since",
        "If-Range",
    ] {
        for value in garbage {
            let mut raw = format!("GET /versioned/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\nRange: bytes=0-0\r\n{name}: ").into_bytes();
            raw.extend_from_slice(value);
            raw.extend_from_slice(b"\r\n\r\n");
            let res = suite::raw_request(server.addr, &raw, false);
            assert!(
                [200, 206, 304, 412].contains(&res.status),
                "{name}: {:?} gave {}",
                String::from_utf8_lossy(value),
                res.status
            );
            assert!(res.complete);
        }
    }
}

#[test]
fn bodiless_answers_never_run_the_source() {
    let server = server();
    let runs = || CACHED_RUNS.load(Ordering::SeqCst);
    let before = runs();
    assert_304(&get(&server, "/cached/", &[("If-None-Match", "W/\"w1\"")]));
    assert_304(&get(&server, "/cached/", &[("If-Modified-Since", LM)]));
    assert_412(&get(&server, "/cached/", &[("If-Match", "\"w1\"")]));
    assert_412(&get(
        &server,
        "/cached/",
        &[("If-Unmodified-Since", BEFORE)],
    ));
    assert_eq!(
        get(&server, "/cached/", &[("Range", "bytes=13-")]).status,
        416
    );
    let head = server.head("/cached/");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("13"));
    assert_eq!(runs(), before, "no bodiless answer ran the generator");
    assert_200(&server.get("/cached/"));
    assert_eq!(runs(), before + 1);
}
