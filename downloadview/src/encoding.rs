//! `Accept-Encoding`, read only to know whether a compressor on the way may
//! content-code a response (see `response::transport_headers`).

use actix_web::http::header::{HeaderMap, ACCEPT_ENCODING};

/// The content codings compressors produce (RFC 9110 §8.4.1, IANA registry).
const CODINGS: &[&str] = &[
    "gzip",
    "x-gzip",
    "deflate",
    "br",
    "zstd",
    "compress",
    "x-compress",
    "*",
];

/// Whether `Accept-Encoding` admits a content coding other than `identity`
/// with a non-zero weight. Malformed elements are skipped; a value that is not
/// visible ASCII admits nothing (no compressor can parse it either).
pub(crate) fn admits_content_coding(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(admits)
}

fn admits(element: &str) -> bool {
    let mut parts = element.split(';');
    let coding = parts.next().unwrap_or("").trim();
    if !CODINGS.iter().any(|c| c.eq_ignore_ascii_case(coding)) {
        return false;
    }
    for param in parts {
        if let Some((name, value)) = param.split_once('=') {
            if name.trim().eq_ignore_ascii_case("q") {
                return value.trim().parse::<f32>().map_or(true, |q| q > 0.0);
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use actix_web::{http::header::HeaderValue, test::TestRequest};

    use super::*;

    fn admits_value(value: &[u8]) -> bool {
        let req = TestRequest::get()
            .insert_header((ACCEPT_ENCODING, HeaderValue::from_bytes(value).unwrap()))
            .to_http_request();
        admits_content_coding(req.headers())
    }

    #[test]
    fn codings_and_weights() {
        for yes in [
            &b"gzip"[..],
            b"gzip, deflate, br, zstd",
            b"identity, GZIP;q=0.5",
            b"*",
            b"br;q=1.0",
            b"gzip;q=garbage",
        ] {
            assert!(admits_value(yes), "{}", String::from_utf8_lossy(yes));
        }
        for no in [
            &b""[..],
            b"identity",
            b"gzip;q=0",
            b"gzip;q=0.000, *;q=0",
            b"unknown-coding",
            b";;;,,,",
            b"\xff\xfe gzip",
        ] {
            assert!(!admits_value(no), "{}", String::from_utf8_lossy(no));
        }
        assert!(!admits_content_coding(&HeaderMap::new()));
    }
}
