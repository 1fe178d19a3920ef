//! `multipart/byteranges` bodies (RFC 9110 §14.6, RFC 2046), split strictly:
//! anything that is not exactly that panics.

/// One part: its header lines as sent, its type and range, its bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct Part {
    /// The header lines, as sent (`Content-Range: bytes 0-9/13`).
    pub headers: Vec<String>,
    pub content_type: String,
    /// (first, last, complete length) from the part's Content-Range.
    pub range: (u64, u64, u64),
    pub body: Vec<u8>,
}

/// Splits a body of `content_type` `multipart/byteranges; boundary=…`
/// into its parts, each exactly as long as its Content-Range says.
pub fn byteranges(content_type: &str, body: &[u8]) -> Vec<Part> {
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("not multipart/byteranges: {content_type}"));
    assert!(!boundary.is_empty() && boundary.len() <= 70);
    let delimiter = format!("--{boundary}");
    let mut rest = body
        .strip_prefix(delimiter.as_bytes())
        .expect("the body opens with the delimiter");
    let mut parts = Vec::new();
    loop {
        if let Some(end) = rest.strip_prefix(b"--") {
            assert_eq!(end, b"\r\n", "nothing after the close delimiter");
            return parts;
        }
        rest = rest.strip_prefix(b"\r\n").expect("CRLF after a delimiter");
        let head_end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("the part headers end");
        let head = std::str::from_utf8(&rest[..head_end]).expect("ASCII part headers");
        rest = &rest[head_end + 4..];
        let mut content_type = None;
        let mut range = None;
        for line in head.split("\r\n") {
            let (name, value) = line.split_once(':').expect("a header line");
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-type" => content_type = Some(value.to_owned()),
                "content-range" => {
                    let spec = value.strip_prefix("bytes ").expect("bytes unit");
                    let (span, total) = spec.split_once('/').unwrap();
                    let (first, last) = span.split_once('-').unwrap();
                    range = Some((
                        first.parse::<u64>().unwrap(),
                        last.parse::<u64>().unwrap(),
                        total.parse::<u64>().unwrap(),
                    ));
                }
                other => panic!("unexpected part header {other}"),
            }
        }
        let range = range.expect("every part has a Content-Range");
        let len = (range.1 - range.0 + 1) as usize;
        let bytes = rest[..len].to_vec();
        rest = &rest[len..];
        rest = rest
            .strip_prefix(b"\r\n")
            .and_then(|r| r.strip_prefix(delimiter.as_bytes()))
            .expect("CRLF and the delimiter after a part's bytes");
        parts.push(Part {
            headers: head.split("\r\n").map(str::to_owned).collect(),
            content_type: content_type.expect("every part has a Content-Type"),
            range,
            body: bytes,
        });
    }
}
