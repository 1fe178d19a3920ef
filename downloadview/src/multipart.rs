//! `multipart/byteranges` (RFC 9110 §14.6, RFC 2046 §5.1): the boundary, the
//! part headers and the exact `Content-Length` of a multi-range answer.
//!
//! Pure layout: the part bodies come from the source when the body is sent.
//! The body is, for parts `0..n`:
//!
//! ```text
//! [CRLF if i > 0] "--" boundary CRLF
//! "Content-Type: " type CRLF
//! "Content-Range: bytes " first "-" last "/" size CRLF
//! CRLF
//! <the bytes first..=last>
//! ```
//!
//! then `CRLF "--" boundary "--" CRLF`.

use std::{
    collections::hash_map::RandomState,
    hash::{BuildHasher, Hasher},
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use actix_web::http::header::HeaderValue;
use bytes::Bytes;

use crate::{range::ByteRange, report::track::RangeSpan};

/// One part: its delimiter and headers, and the range of the file it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// Everything before the part's bytes.
    pub(crate) head: Bytes,
    /// The bytes of the file that follow.
    pub(crate) range: ByteRange,
}

/// The layout of a `multipart/byteranges` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Multipart {
    boundary: String,
    pub(crate) parts: Vec<Part>,
    /// The close delimiter.
    pub(crate) trailer: Bytes,
}

impl Multipart {
    /// Lays out `ranges` of a file of `size` bytes whose type is
    /// `content_type`, with a fresh random boundary.
    pub(crate) fn new(content_type: &HeaderValue, ranges: &[ByteRange], size: u64) -> Self {
        Self::with_boundary(boundary(), content_type, ranges, size)
    }

    fn with_boundary(
        boundary: String,
        content_type: &HeaderValue,
        ranges: &[ByteRange],
        size: u64,
    ) -> Self {
        let parts = ranges
            .iter()
            .enumerate()
            .map(|(i, &range)| {
                let mut head = Vec::with_capacity(boundary.len() + content_type.len() + 80);
                if i > 0 {
                    head.extend_from_slice(b"\r\n");
                }
                head.extend_from_slice(b"--");
                head.extend_from_slice(boundary.as_bytes());
                head.extend_from_slice(b"\r\nContent-Type: ");
                head.extend_from_slice(content_type.as_bytes());
                head.extend_from_slice(
                    format!(
                        "\r\nContent-Range: bytes {}-{}/{size}\r\n\r\n",
                        range.first, range.last
                    )
                    .as_bytes(),
                );
                Part {
                    head: head.into(),
                    range,
                }
            })
            .collect();
        let trailer = Bytes::from(format!("\r\n--{boundary}--\r\n"));
        Multipart {
            boundary,
            parts,
            trailer,
        }
    }

    /// Where each part's payload sits in the body, for the download report.
    pub(crate) fn spans(&self) -> Vec<RangeSpan> {
        let mut offset = 0;
        self.parts
            .iter()
            .map(|part| {
                offset += part.head.len() as u64;
                let span = RangeSpan {
                    start: part.range.first,
                    len: part.range.len(),
                    body_offset: offset,
                };
                offset += part.range.len();
                span
            })
            .collect()
    }

    /// The exact size of the body: every head, every range, the trailer.
    pub(crate) fn content_length(&self) -> u64 {
        self.parts
            .iter()
            .map(|part| part.head.len() as u64 + part.range.len())
            .sum::<u64>()
            + self.trailer.len() as u64
    }

    /// `multipart/byteranges; boundary=...`.
    pub(crate) fn content_type(&self) -> HeaderValue {
        // The boundary is hex digits and `-`: always a valid header value.
        HeaderValue::from_str(&format!("multipart/byteranges; boundary={}", self.boundary))
            .unwrap_or(HeaderValue::from_static("multipart/byteranges"))
    }
}

/// A boundary that the content cannot predict: 128 bits from SipHash keyed by
/// the process's random `RandomState` keys, over a counter and the time.
pub(crate) fn boundary() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let state = RandomState::new();
    let word = |salt: u8| {
        let mut hasher = state.build_hasher();
        hasher.write_u8(salt);
        hasher.write_u64(count);
        hasher.write_u128(nanos);
        hasher.finish()
    };
    format!("downloadview-{:016x}{:016x}", word(0), word(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(first: u64, last: u64) -> ByteRange {
        ByteRange { first, last }
    }

    #[test]
    fn layout_is_exact() {
        let ct = HeaderValue::from_static("text/plain; charset=utf-8");
        let content = b"0123456789";
        let m = Multipart::with_boundary("B".to_owned(), &ct, &[r(0, 1), r(5, 9)], 10);
        let mut body = Vec::new();
        for part in &m.parts {
            body.extend_from_slice(&part.head);
            body.extend_from_slice(&content[part.range.first as usize..=part.range.last as usize]);
        }
        body.extend_from_slice(&m.trailer);
        assert_eq!(
            String::from_utf8(body.clone()).unwrap(),
            "--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-1/10\r\n\r\n01\
             \r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 5-9/10\r\n\r\n56789\
             \r\n--B--\r\n"
        );
        assert_eq!(m.content_length(), body.len() as u64);
        assert_eq!(m.content_type(), "multipart/byteranges; boundary=B");
    }

    #[test]
    fn boundaries_are_fresh_and_valid() {
        let a = boundary();
        let b = boundary();
        assert_ne!(a, b);
        assert_eq!(a.len(), "downloadview-".len() + 32);
        assert!(a.len() <= 70, "RFC 2046: at most 70 characters");
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
    }
}
