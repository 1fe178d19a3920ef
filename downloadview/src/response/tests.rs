//! `respond` end to end, in process: plan, headers and the streamed body of
//! 206 answers, for every source that can serve ranges.

use std::io::Cursor;

use actix_web::{
    body::{to_bytes, BodySize, MessageBody},
    http::{header, StatusCode},
    test::TestRequest,
    HttpRequest,
};
use proptest::prelude::*;

use crate::{respond, DownloadError, DownloadOptions, GetFile, ViewOptions, VirtualFile};

/// Byte i of every test file.
fn byte(i: u64) -> u8 {
    (i % 251) as u8
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Bytes,
    Seek,
    /// A generator with chunks of this many bytes.
    Generator(u64),
}

struct View {
    kind: Kind,
    size: u64,
}

impl ViewOptions for View {
    const OPTIONS: DownloadOptions = DownloadOptions::new().basename("f.bin");
}

impl GetFile for View {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let size = self.size;
        let content = || (0..size).map(byte).collect::<Vec<u8>>();
        Ok(match self.kind {
            Kind::Bytes => VirtualFile::from_bytes(content()),
            Kind::Seek => VirtualFile::from_seekable_reader(Cursor::new(content()))?,
            Kind::Generator(chunk) => VirtualFile::from_generator(size, move |offset| {
                (offset..size).step_by(chunk as usize).map(move |start| {
                    (start..(start + chunk).min(size))
                        .map(byte)
                        .collect::<Vec<u8>>()
                })
            }),
        })
    }
}

/// Sends `range` and returns status, headers and the whole body, checking that
/// the announced size is what the body yields.
fn get(kind: Kind, size: u64, range: &str) -> (StatusCode, header::HeaderMap, Vec<u8>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let req = TestRequest::get()
        .insert_header((header::RANGE, range))
        .to_http_request();
    let res = respond(View { kind, size }, &req);
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body();
    let announced = body.size();
    let bytes = rt
        .block_on(to_bytes(body))
        .unwrap_or_else(|_| panic!("the body of {range:?} failed"))
        .to_vec();
    assert_eq!(
        announced,
        BodySize::Sized(bytes.len() as u64),
        "Content-Length of {range:?}"
    );
    (status, headers, bytes)
}

/// Parses a `multipart/byteranges` body: the (first, last, size) of each
/// part's Content-Range and its bytes. Panics on any deviation.
fn parse_multipart(body: &[u8], boundary: &str) -> Vec<((u64, u64, u64), Vec<u8>)> {
    let mut parts = Vec::new();
    let mut rest = body
        .strip_prefix(format!("--{boundary}\r\n").as_bytes())
        .expect("opening delimiter");
    loop {
        let end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("end of part headers");
        let head = std::str::from_utf8(&rest[..end]).expect("ASCII part headers");
        rest = &rest[end + 4..];
        let range = head
            .split("\r\n")
            .find_map(|line| line.strip_prefix("Content-Range: bytes "))
            .expect("Content-Range in every part");
        let (span, total) = range.split_once('/').unwrap();
        let (first, last) = span.split_once('-').unwrap();
        let (first, last, total): (u64, u64, u64) = (
            first.parse().unwrap(),
            last.parse().unwrap(),
            total.parse().unwrap(),
        );
        let len = (last - first + 1) as usize;
        parts.push(((first, last, total), rest[..len].to_vec()));
        rest = rest[len..]
            .strip_prefix(format!("\r\n--{boundary}").as_bytes())
            .expect("delimiter after the part");
        if rest == b"--\r\n" {
            return parts;
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .expect("CRLF after the delimiter");
    }
}

fn kinds() -> [Kind; 4] {
    [
        Kind::Bytes,
        Kind::Seek,
        Kind::Generator(7),
        Kind::Generator(65_536),
    ]
}

#[test]
fn single_range_from_every_source() {
    for kind in kinds() {
        let (status, headers, body) = get(kind, 1000, "bytes=10-19");
        assert_eq!(status, StatusCode::PARTIAL_CONTENT, "{kind:?}");
        assert_eq!(
            headers.get(header::CONTENT_RANGE).unwrap(),
            "bytes 10-19/1000"
        );
        assert_eq!(headers.get(header::ACCEPT_RANGES).unwrap(), "bytes");
        assert_eq!(body, (10..20).map(byte).collect::<Vec<_>>(), "{kind:?}");
    }
}

#[test]
fn multipart_from_every_source() {
    for kind in kinds() {
        let (status, headers, body) = get(kind, 200_000, "bytes=-5,0-2,100000-170000");
        assert_eq!(status, StatusCode::PARTIAL_CONTENT, "{kind:?}");
        let ct = headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap();
        let boundary = ct
            .strip_prefix("multipart/byteranges; boundary=")
            .expect("multipart type");
        assert!(headers.get(header::CONTENT_RANGE).is_none());
        let parts = parse_multipart(&body, boundary);
        // In the order asked (an archive's go in file order: test_archive).
        let expected = [(199_995, 199_999), (0, 2), (100_000, 170_000)];
        assert_eq!(parts.len(), 3, "{kind:?}");
        for (((first, last, total), bytes), (a, b)) in parts.into_iter().zip(expected) {
            assert_eq!((first, last, total), (a, b, 200_000));
            assert_eq!(bytes, (a..=b).map(byte).collect::<Vec<_>>(), "{kind:?}");
        }
    }
}

#[test]
fn a_short_seekable_reader_aborts() {
    // A declared size larger than the content: the range cannot be filled.
    struct Short;
    impl ViewOptions for Short {
        const OPTIONS: DownloadOptions = DownloadOptions::new();
    }
    impl GetFile for Short {
        fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
            Ok(VirtualFile::from_seekable_reader(Cursor::new(vec![1u8; 10]))?.with_size(100))
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let req = TestRequest::get()
        .insert_header((header::RANGE, "bytes=5-20"))
        .to_http_request();
    let res = respond(Short, &req);
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert!(rt.block_on(to_bytes(res.into_body())).is_err());
}

#[test]
fn a_short_generator_aborts() {
    struct Short;
    impl ViewOptions for Short {
        const OPTIONS: DownloadOptions = DownloadOptions::new();
    }
    impl GetFile for Short {
        fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
            // Declares 100 bytes, produces 10 from any offset.
            Ok(VirtualFile::from_generator(100, |_| [vec![0u8; 10]]))
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for range in ["bytes=5-50", "bytes=0-1,50-60"] {
        let req = TestRequest::get()
            .insert_header((header::RANGE, range))
            .to_http_request();
        let res = respond(Short, &req);
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
        assert!(rt.block_on(to_bytes(res.into_body())).is_err(), "{range}");
    }
}

#[test]
fn the_generator_starts_at_each_part() {
    use std::sync::Mutex;
    static STARTS: Mutex<Vec<u64>> = Mutex::new(Vec::new());
    struct Recorded;
    impl ViewOptions for Recorded {
        const OPTIONS: DownloadOptions = DownloadOptions::new();
    }
    impl GetFile for Recorded {
        fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
            Ok(VirtualFile::from_generator(1_000_000, |offset| {
                STARTS.lock().unwrap().push(offset);
                (offset..1_000_000).step_by(1000).map(|start| {
                    (start..(start + 1000).min(1_000_000))
                        .map(byte)
                        .collect::<Vec<u8>>()
                })
            }))
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let req = TestRequest::get()
        .insert_header((header::RANGE, "bytes=900000-900009,10-19"))
        .to_http_request();
    let res = respond(Recorded, &req);
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    let body = rt.block_on(to_bytes(res.into_body())).unwrap();
    assert!(body.len() < 1000, "only the parts are produced");
    // Started at each part's first byte, in the order the parts were asked.
    assert_eq!(*STARTS.lock().unwrap(), [900_000, 10]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// For any satisfiable range set the body reassembles to exactly the
    /// requested bytes, and Content-Length is the number of bytes sent.
    #[test]
    fn bodies_reassemble_to_the_requested_bytes(
        specs in proptest::collection::vec((0u64..5000, 0u64..300), 1..6),
        size in 1u64..5000,
        kind in 0usize..4,
    ) {
        let kind = kinds()[kind];
        let header = format!(
            "bytes={}",
            specs.iter().map(|(a, n)| format!("{a}-{}", a + n)).collect::<Vec<_>>().join(",")
        );
        let (status, headers, body) = get(kind, size, &header);
        let mut wanted: Vec<(u64, u64)> = specs
            .iter()
            .filter(|(a, _)| *a < size)
            .map(|&(a, n)| (a, (a + n).min(size - 1)))
            .collect();
        let total: u64 = wanted.iter().map(|(a, b)| b - a + 1).sum();
        let content: Vec<u8> = (0..size).map(byte).collect();
        if wanted.is_empty() {
            prop_assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
            return Ok(());
        }
        if total > size {
            prop_assert_eq!(status, StatusCode::OK);
            prop_assert_eq!(body, content);
            return Ok(());
        }
        prop_assert_eq!(status, StatusCode::PARTIAL_CONTENT);
        // The bytes covered, whatever the coalescing.
        wanted.sort_unstable();
        let mut covered = vec![false; size as usize];
        for (a, b) in &wanted {
            covered[*a as usize..=*b as usize].fill(true);
        }
        let mut got = vec![false; size as usize];
        let ct = headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().to_owned();
        let parts = match ct.strip_prefix("multipart/byteranges; boundary=") {
            Some(boundary) => parse_multipart(&body, boundary),
            None => {
                let cr = headers.get(header::CONTENT_RANGE).unwrap().to_str().unwrap();
                let (span, _) = cr.strip_prefix("bytes ").unwrap().split_once('/').unwrap();
                let (a, b) = span.split_once('-').unwrap();
                vec![((a.parse().unwrap(), b.parse().unwrap(), size), body)]
            }
        };
        for ((first, last, total), bytes) in parts {
            prop_assert_eq!(total, size);
            prop_assert_eq!(&bytes[..], &content[first as usize..=last as usize]);
            got[first as usize..=last as usize].fill(true);
        }
        prop_assert_eq!(got, covered);
    }
}

/// A view that asks for signed links.
struct Signed;

impl ViewOptions for Signed {
    const OPTIONS: DownloadOptions = DownloadOptions::new().signed(true);
}

impl GetFile for Signed {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"the secret"))
    }
}

#[test]
fn a_view_that_asks_for_signed_links_never_serves_its_file_unchecked() {
    let body_of = |res: actix_web::HttpResponse<crate::DownloadBody>| {
        actix_web::rt::System::new()
            .block_on(to_bytes(res.into_body()))
            .unwrap()
    };
    // No keys in the app's data (or, without the `signed` feature, nothing
    // to check a link with): a logged 500.
    let req = TestRequest::get().uri("/secret").to_http_request();
    let res = respond(Signed, &req);
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!body_of(res).starts_with(b"the secret"));
    // With keys and no signature: 403.
    #[cfg(feature = "signed")]
    {
        let keys = crate::SigningKeys::new([[7u8; 32]]).unwrap();
        let req = TestRequest::get()
            .uri("/secret")
            .app_data(keys.clone())
            .to_http_request();
        let res = respond(Signed, &req);
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(!body_of(res).starts_with(b"the secret"));
        let link = keys
            .sign("/secret", std::time::Duration::from_secs(60))
            .unwrap();
        let req = TestRequest::get()
            .uri(&link)
            .app_data(keys)
            .to_http_request();
        let res = respond(Signed, &req);
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(body_of(res), "the secret");
    }
}
