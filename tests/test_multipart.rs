//! SPEC §8 over real HTTP: several ranges → `multipart/byteranges`, parsed
//! here by a small independent parser: exact Content-Length, the right bytes
//! in each part, coalescing, a fresh boundary per response, the cap.

#[allow(dead_code)]
#[path = "../examples/demo.rs"]
mod demo;

use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
use suite::{
    multipart::{byteranges, Part},
    Response, TestServer,
};

/// Byte i of `/big/`.
fn big(range: std::ops::RangeInclusive<u64>) -> Vec<u8> {
    range.map(|i| (i % 251) as u8).collect()
}

/// Ten bytes in memory, with a cap of 2 ranges.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "capped.bin")]
struct CappedView;

impl GetFile for CappedView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"0123456789"))
    }

    fn max_ranges(&self, _req: &HttpRequest) -> usize {
        2
    }
}

fn server() -> TestServer {
    suite::serve(|cfg| {
        demo::configure(cfg);
        cfg.route("/capped/", CappedView::route());
    })
}

/// Parses a `multipart/byteranges` response (RFC 9110 §14.6, RFC 2046):
/// panics on anything that is not exactly that.
fn parse(res: &Response) -> Vec<Part> {
    assert_eq!(res.status, 206, "{}", res.raw_head);
    assert!(res.complete, "{}", res.raw_head);
    assert_eq!(
        res.header("content-length"),
        Some(res.body.len().to_string().as_str()),
        "Content-Length is the exact body size"
    );
    assert_eq!(res.header("content-range"), None);
    let content_type = res.header("content-type").expect("Content-Type");
    byteranges(content_type, &res.body)
}

fn get_ranges(server: &TestServer, path: &str, ranges: &str) -> Response {
    server.request("GET", path, &[("Range", ranges)])
}

#[test]
fn several_ranges_of_big_are_valid_multipart() {
    let server = server();
    let size = 1_000_000u64;
    let res = get_ranges(
        &server,
        &format!("/big/?size={size}"),
        "bytes=0-99, 500000-700000, -1000, 250-250",
    );
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"big.bin\"")
    );
    let parts = parse(&res);
    // In the order asked (RFC 9110 §15.3.7.2), each from the generator
    // started at its first byte.
    let expected = [(0, 99), (500_000, 700_000), (999_000, 999_999), (250, 250)];
    assert_eq!(parts.len(), expected.len(), "{parts:?}");
    for (part, (first, last)) in parts.iter().zip(expected) {
        assert_eq!(part.range, (first, last, size));
        assert_eq!(part.content_type, "application/octet-stream");
        assert!(
            part.body == big(first..=last),
            "bytes of part {first}-{last}"
        );
    }
}

#[test]
fn in_memory_and_seekable_sources_too() {
    let server = server();
    for path in ["/text/", "/stringio/"] {
        let parts = parse(&get_ranges(&server, path, "bytes=0-4,6-10"));
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].body, b"Hello");
        assert_eq!(parts[0].range, (0, 4, 13));
        assert_eq!(parts[1].body, b"world");
        assert_eq!(parts[1].range, (6, 10, 13));
        assert_eq!(parts[0].content_type, "text/plain; charset=utf-8");
        // Out of order: served in the order asked.
        let parts = parse(&get_ranges(&server, path, "bytes=6-10,0-4"));
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].range, &parts[0].body[..]),
            ((6, 10, 13), &b"world"[..])
        );
        assert_eq!(
            (parts[1].range, &parts[1].body[..]),
            ((0, 4, 13), &b"Hello"[..])
        );
    }
}

#[test]
fn overlapping_and_adjacent_ranges_are_coalesced() {
    let server = server();
    // Adjacent: one range, so a plain 206.
    let res = get_ranges(&server, "/big/?size=1000", "bytes=0-9,10-19");
    assert_eq!(res.status, 206);
    assert_eq!(res.header("content-range"), Some("bytes 0-19/1000"));
    assert_eq!(res.body, big(0..=19));
    // Overlapping, out of order: merged, each merged part where its first
    // member was asked.
    let parts = parse(&get_ranges(
        &server,
        "/big/?size=1000",
        "bytes=500-520,0-5,3-8,510-530",
    ));
    let ranges: Vec<_> = parts.iter().map(|p| p.range).collect();
    assert_eq!(ranges, [(500, 530, 1000), (0, 8, 1000)]);
    assert_eq!(parts[0].body, big(500..=530));
    assert_eq!(parts[1].body, big(0..=8));
}

#[test]
fn each_response_has_its_own_boundary() {
    let server = server();
    let a = get_ranges(&server, "/text/", "bytes=0-0,2-2");
    let b = get_ranges(&server, "/text/", "bytes=0-0,2-2");
    let (a, b) = (a.header("content-type"), b.header("content-type"));
    assert!(a.is_some() && b.is_some());
    assert_ne!(a, b, "a boundary must not be predictable");
}

#[test]
fn more_ranges_than_the_cap_get_the_full_body() {
    let server = server();
    assert_eq!(
        parse(&get_ranges(&server, "/capped/", "bytes=0-0,2-2")).len(),
        2
    );
    let res = get_ranges(&server, "/capped/", "bytes=0-0,2-2,4-4");
    assert_eq!(res.status, 200);
    assert_eq!(res.body, b"0123456789");
    // The default cap is 16.
    let ranges = |n: u64| {
        (0..n)
            .map(|i| format!("{}-{}", i * 3, i * 3))
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(
        parse(&get_ranges(
            &server,
            "/big/?size=1000",
            &format!("bytes={}", ranges(16))
        ))
        .len(),
        16
    );
    assert_eq!(
        get_ranges(&server, "/big/?size=1000", &format!("bytes={}", ranges(17))).status,
        200
    );
}

#[test]
fn head_with_several_ranges_is_a_plain_200() {
    let server = server();
    let res = server.request("HEAD", "/big/?size=1000", &[("Range", "bytes=0-0,5-5")]);
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-length"), Some("1000"));
    assert_eq!(res.header("content-type"), Some("application/octet-stream"));
}
