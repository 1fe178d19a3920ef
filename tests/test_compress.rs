//! downloadview behind actix-web's `Compress` middleware, over real HTTP.
//!
//! What `Compress` (actix-web 4.18, actix-http 3.20 `encoding::Encoder`) does:
//! it negotiates from `Accept-Encoding`, then leaves alone any response that
//! already has `Content-Encoding`, a 206, a 204, an empty body and raster
//! images or video; otherwise it encodes, sets `Content-Encoding`, appends
//! `Vary: accept-encoding`, drops `Content-Length` (chunked) and leaves every
//! other header, the ETag included, unchanged. A strong ETag on a gzip body is
//! wrong (RFC 9110 §8.8.3: strong means byte-identical), so downloadview weakens
//! the ETag of every 200/304 that may be content-coded on its way (see
//! `docs/deployment.md`).

use std::io::Read;

use actix_web::{http::header::EntityTag, middleware::Compress, web, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
use suite::kinds::pattern_range;
use suite::{serve, Response, TestServer};

const TEXT: &str = "Hello world! Hello world! Hello world! Hello world! Hello world!\n";

/// Compressible text with both validators.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "hello.txt")]
struct Versioned;

impl GetFile for Versioned {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(TEXT.as_bytes())
            .with_etag(EntityTag::new_strong("v1".to_owned()))
            .with_last_modified(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
            ))
    }
}

/// Content that is already gzip: `encoding = "gzip"` must reach the client as is.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "hello.txt", encoding = "gzip")]
struct PreCompressed;

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

impl GetFile for PreCompressed {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_bytes(gzip(TEXT.as_bytes()))
            .with_etag(EntityTag::new_strong("gz1".to_owned())))
    }
}

/// A PNG: compressors leave images alone, so the strong tag stays.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "pixel.png")]
struct Png;

impl GetFile for Png {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"\x89PNG not really")
            .with_etag(EntityTag::new_strong("png1".to_owned())))
    }
}

/// 1 MiB from an offset-aware generator, byte i = i % 251.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "big.bin")]
struct Big;

const BIG: u64 = 1 << 20;

impl GetFile for Big {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_generator(BIG, |offset| {
            (offset..BIG)
                .step_by(10_000)
                .map(|start| pattern_range(start, (start + 10_000).min(BIG)))
        })
        .with_etag(EntityTag::new_strong("big1".to_owned())))
    }
}

fn server() -> &'static TestServer {
    static SERVER: std::sync::OnceLock<TestServer> = std::sync::OnceLock::new();
    SERVER.get_or_init(|| {
        serve(|cfg| {
            cfg.service(
                web::scope("")
                    .wrap(Compress::default())
                    .route("/versioned/", Versioned::route())
                    .route("/gz/", PreCompressed::route())
                    .route("/png/", Png::route())
                    .route("/big/", Big::route()),
            );
        })
    })
}

fn get(path: &str, headers: &[(&str, &str)]) -> Response {
    let res = server().request("GET", path, headers);
    assert!(res.complete, "{path}: body cut short");
    res
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("a valid gzip stream");
    out
}

#[test]
fn identity_request_keeps_the_strong_etag_and_length() {
    let res = get("/versioned/", &[]);
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("etag"), Some("\"v1\""));
    assert_eq!(res.header("content-length"), Some(&*TEXT.len().to_string()));
    assert_eq!(res.text(), TEXT);
}

#[test]
fn compressed_body_has_a_weak_etag_and_decodes_to_the_content() {
    let res = get("/versioned/", &[("Accept-Encoding", "gzip")]);
    assert_eq!(res.status, 200);
    assert_eq!(res.headers_named("content-encoding"), vec!["gzip"]);
    assert_eq!(res.header("etag"), Some("W/\"v1\""), "{:?}", res.headers);
    assert!(
        res.headers_named("vary")
            .iter()
            .any(|v| v.eq_ignore_ascii_case("accept-encoding")),
        "Compress varies on Accept-Encoding"
    );
    assert_eq!(gunzip(&res.body), TEXT.as_bytes());
    // Last-Modified is a date, not a byte-identity promise: unchanged.
    assert_eq!(
        res.header("last-modified"),
        Some("Tue, 14 Nov 2023 22:13:20 GMT")
    );
}

#[test]
fn head_announces_what_get_sends() {
    let get = get("/versioned/", &[("Accept-Encoding", "gzip")]);
    let head = server().request("HEAD", "/versioned/", &[("Accept-Encoding", "gzip")]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    for name in [
        "content-encoding",
        "etag",
        "content-type",
        "content-disposition",
    ] {
        assert_eq!(head.header(name), get.header(name), "{name}");
    }
}

#[test]
fn revalidation_with_the_weak_tag_is_304_and_keeps_it_weak() {
    let res = get(
        "/versioned/",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", "W/\"v1\"")],
    );
    assert_eq!(res.status, 304);
    assert_eq!(res.header("etag"), Some("W/\"v1\""));
    assert!(res.body.is_empty());
    // An identity client revalidating its strong tag still gets it back strong.
    let res = get("/versioned/", &[("If-None-Match", "\"v1\"")]);
    assert_eq!(res.status, 304);
    assert_eq!(res.header("etag"), Some("\"v1\""));
}

#[test]
fn range_is_never_compressed_and_keeps_the_strong_tag() {
    let res = get(
        "/versioned/",
        &[("Accept-Encoding", "gzip"), ("Range", "bytes=6-10")],
    );
    assert_eq!(res.status, 206, "{res:?}");
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(
        res.header("content-range"),
        Some(&*format!("bytes 6-10/{}", TEXT.len()))
    );
    assert_eq!(res.header("etag"), Some("\"v1\""));
    assert_eq!(res.text(), "world");
}

#[test]
fn if_range_with_the_weak_tag_of_a_compressed_body_gets_the_full_body() {
    // A client that saved part of the gzip body must not get identity bytes
    // to append to it: the weak tag fails If-Range, so the answer is a full 200.
    let res = get(
        "/versioned/",
        &[
            ("Accept-Encoding", "gzip"),
            ("Range", "bytes=6-"),
            ("If-Range", "W/\"v1\""),
        ],
    );
    assert_eq!(res.status, 200);
    assert_eq!(gunzip(&res.body), TEXT.as_bytes());
    // With the strong tag (an identity download), the resume works.
    let res = get(
        "/versioned/",
        &[("Range", "bytes=6-"), ("If-Range", "\"v1\"")],
    );
    assert_eq!(res.status, 206);
    assert_eq!(res.text(), &TEXT[6..]);
}

#[test]
fn a_pre_compressed_view_is_not_encoded_twice() {
    let res = get("/gz/", &[("Accept-Encoding", "gzip, deflate, br")]);
    assert_eq!(res.status, 200);
    assert_eq!(res.headers_named("content-encoding"), vec!["gzip"]);
    assert_eq!(res.body, gzip(TEXT.as_bytes()), "sent as is");
    assert_eq!(gunzip(&res.body), TEXT.as_bytes(), "decodes once");
    assert_eq!(
        res.header("etag"),
        Some("\"gz1\""),
        "the view's own coding: tag kept"
    );
    assert_eq!(
        res.header("content-length"),
        Some(&*res.body.len().to_string())
    );
}

#[test]
fn images_are_left_alone_with_their_strong_tag() {
    let res = get("/png/", &[("Accept-Encoding", "gzip")]);
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("etag"), Some("\"png1\""));
    assert_eq!(res.body, b"\x89PNG not really");
}

#[test]
fn a_streamed_generator_compresses_without_corruption() {
    let res = get("/big/", &[("Accept-Encoding", "gzip")]);
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert!(res.chunked, "compressed: length unknown, chunked");
    assert_eq!(res.header("etag"), Some("W/\"big1\""));
    assert_eq!(gunzip(&res.body), pattern_range(0, BIG));
    // And a range of it, through the same middleware, is the identity bytes.
    let res = get(
        "/big/",
        &[
            ("Accept-Encoding", "gzip"),
            ("Range", "bytes=1000000-1000099"),
        ],
    );
    assert_eq!(res.status, 206);
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.body, pattern_range(1_000_000, 1_000_100));
}

#[test]
fn unacceptable_codings_are_a_406_from_compress_not_a_5xx() {
    // `identity;q=0` with nothing else acceptable: Compress answers 406.
    let res = get("/versioned/", &[("Accept-Encoding", "identity;q=0, *;q=0")]);
    assert!(res.status < 500, "{res:?}");
}
