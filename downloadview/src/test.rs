//! Test helpers: the analogue of django-downloadview's `assert_download_response`.
//!
//! [`ExpectedDownload`] lists what a response should be (basename, content
//! type, MIME prefix, attachment flag, body) and checks it in one call,
//! reporting every mismatch at once. The basename is checked in both
//! encodings: the `filename*` parameter must decode to it exactly, and the
//! `filename` fallback must be printable ASCII (and equal to it when the
//! name is plain ASCII without quotes or spaces).
//!
//! ```
//! use actix_web::{test, App, HttpRequest};
//! use downloadview::{test::ExpectedDownload, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
//!
//! #[derive(VirtualDownloadView, Default)]
//! #[download(basename = "café.txt")]
//! struct Hello;
//! impl GetFile for Hello {
//!     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//!         Ok(VirtualFile::from_static(b"Hello world!\n"))
//!     }
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let app = test::init_service(App::new().route("/", Hello::route())).await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
//! ExpectedDownload::new()
//!     .basename("café.txt")
//!     .mime_type("text/plain")
//!     .attachment(true)
//!     .content("Hello world!\n")
//!     .assert_service_response(res)
//!     .await;
//! # });
//! ```

use std::fmt::Write as _;

use actix_web::{
    body::MessageBody,
    dev::ServiceResponse,
    http::{
        header::{HeaderMap, CONTENT_DISPOSITION, CONTENT_TYPE},
        StatusCode,
    },
};
use percent_encoding::percent_decode_str;

/// What a download response is expected to be; unset fields are not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpectedDownload {
    status: Option<StatusCode>,
    basename: Option<String>,
    content_type: Option<String>,
    mime_type: Option<String>,
    attachment: Option<bool>,
    content: Option<Vec<u8>>,
}

impl ExpectedDownload {
    /// Expects a successful (2xx) response and nothing else yet.
    ///
    /// ```
    /// # use actix_web::http::{header::{HeaderMap, HeaderValue}, StatusCode};
    /// # use downloadview::test::ExpectedDownload;
    /// # let mut headers = HeaderMap::new();
    /// # headers.insert("content-type".parse().unwrap(), HeaderValue::from_static("text/plain; charset=utf-8"));
    /// # headers.insert(
    /// #     "content-disposition".parse().unwrap(),
    /// #     HeaderValue::from_static("attachment; filename=\"cafe.txt\"; filename*=UTF-8''caf%C3%A9.txt"),
    /// # );
    /// # let body = b"Hello world!\n";
    /// assert!(ExpectedDownload::new().check(StatusCode::OK, &headers, body).is_ok());
    /// assert!(ExpectedDownload::new().check(StatusCode::NOT_FOUND, &headers, body).is_err());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Expects this exact status instead of any 2xx.
    ///
    /// ```
    /// # use actix_web::http::{header::{HeaderMap, HeaderValue}, StatusCode};
    /// # use downloadview::test::ExpectedDownload;
    /// # let mut headers = HeaderMap::new();
    /// # headers.insert("content-type".parse().unwrap(), HeaderValue::from_static("text/plain; charset=utf-8"));
    /// # headers.insert(
    /// #     "content-disposition".parse().unwrap(),
    /// #     HeaderValue::from_static("attachment; filename=\"cafe.txt\"; filename*=UTF-8''caf%C3%A9.txt"),
    /// # );
    /// # let body = b"Hello world!\n";
    /// let expected = ExpectedDownload::new().status(StatusCode::PARTIAL_CONTENT);
    /// assert!(expected.check(StatusCode::OK, &headers, body).is_err());
    /// ```
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    /// Expects the file to be served under `basename` (checked in both encodings).
    ///
    /// ```
    /// # use actix_web::http::{header::{HeaderMap, HeaderValue}, StatusCode};
    /// # use downloadview::test::ExpectedDownload;
    /// # let mut headers = HeaderMap::new();
    /// # headers.insert("content-type".parse().unwrap(), HeaderValue::from_static("text/plain; charset=utf-8"));
    /// # headers.insert(
    /// #     "content-disposition".parse().unwrap(),
    /// #     HeaderValue::from_static("attachment; filename=\"cafe.txt\"; filename*=UTF-8''caf%C3%A9.txt"),
    /// # );
    /// # let body = b"Hello world!\n";
    /// // `filename*` must decode to the name exactly.
    /// assert!(ExpectedDownload::new().basename("café.txt").check(StatusCode::OK, &headers, body).is_ok());
    /// assert!(ExpectedDownload::new().basename("cafe.txt").check(StatusCode::OK, &headers, body).is_err());
    /// ```
    pub fn basename(mut self, basename: impl Into<String>) -> Self {
        self.basename = Some(basename.into());
        self
    }

    /// Expects this exact `Content-Type` value.
    ///
    /// ```
    /// # use actix_web::http::{header::{HeaderMap, HeaderValue}, StatusCode};
    /// # use downloadview::test::ExpectedDownload;
    /// # let mut headers = HeaderMap::new();
    /// # headers.insert("content-type".parse().unwrap(), HeaderValue::from_static("text/plain; charset=utf-8"));
    /// # headers.insert(
    /// #     "content-disposition".parse().unwrap(),
    /// #     HeaderValue::from_static("attachment; filename=\"cafe.txt\"; filename*=UTF-8''caf%C3%A9.txt"),
    /// # );
    /// # let body = b"Hello world!\n";
    /// let expected = ExpectedDownload::new().content_type("text/plain; charset=utf-8");
    /// assert!(expected.check(StatusCode::OK, &headers, body).is_ok());
    /// ```
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Expects the `Content-Type` to start with this MIME type (parameters ignored).
    ///
    /// ```
    /// # use actix_web::http::{header::{HeaderMap, HeaderValue}, StatusCode};
    /// # use downloadview::test::ExpectedDownload;
    /// # let mut headers = HeaderMap::new();
    /// # headers.insert("content-type".parse().unwrap(), HeaderValue::from_static("text/plain; charset=utf-8"));
    /// # headers.insert(
    /// #     "content-disposition".parse().unwrap(),
    /// #     HeaderValue::from_static("attachment; filename=\"cafe.txt\"; filename*=UTF-8''caf%C3%A9.txt"),
    /// # );
    /// # let body = b"Hello world!\n";
    /// let expected = ExpectedDownload::new().mime_type("text/plain");
    /// assert!(expected.check(StatusCode::OK, &headers, body).is_ok());
    /// ```
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }

    /// Expects an `attachment` (true) or `inline` (false) disposition.
    ///
    /// ```
    /// # use actix_web::http::{header::{HeaderMap, HeaderValue}, StatusCode};
    /// # use downloadview::test::ExpectedDownload;
    /// # let mut headers = HeaderMap::new();
    /// # headers.insert("content-type".parse().unwrap(), HeaderValue::from_static("text/plain; charset=utf-8"));
    /// # headers.insert(
    /// #     "content-disposition".parse().unwrap(),
    /// #     HeaderValue::from_static("attachment; filename=\"cafe.txt\"; filename*=UTF-8''caf%C3%A9.txt"),
    /// # );
    /// # let body = b"Hello world!\n";
    /// assert!(ExpectedDownload::new().attachment(true).check(StatusCode::OK, &headers, body).is_ok());
    /// assert!(ExpectedDownload::new().attachment(false).check(StatusCode::OK, &headers, body).is_err());
    /// ```
    pub fn attachment(mut self, attachment: bool) -> Self {
        self.attachment = Some(attachment);
        self
    }

    /// Expects this exact body.
    ///
    /// ```
    /// # use actix_web::http::{header::{HeaderMap, HeaderValue}, StatusCode};
    /// # use downloadview::test::ExpectedDownload;
    /// # let mut headers = HeaderMap::new();
    /// # headers.insert("content-type".parse().unwrap(), HeaderValue::from_static("text/plain; charset=utf-8"));
    /// # headers.insert(
    /// #     "content-disposition".parse().unwrap(),
    /// #     HeaderValue::from_static("attachment; filename=\"cafe.txt\"; filename*=UTF-8''caf%C3%A9.txt"),
    /// # );
    /// # let body = b"Hello world!\n";
    /// let expected = ExpectedDownload::new().content("Hello world!\n");
    /// assert!(expected.check(StatusCode::OK, &headers, body).is_ok());
    /// ```
    pub fn content(mut self, content: impl Into<Vec<u8>>) -> Self {
        self.content = Some(content.into());
        self
    }

    /// Every mismatch between the expectation and a response, as readable lines.
    ///
    /// # Errors
    /// One line per mismatch, joined by newlines.
    ///
    /// ```
    /// # use actix_web::http::{header::{HeaderMap, HeaderValue}, StatusCode};
    /// # use downloadview::test::ExpectedDownload;
    /// # let mut headers = HeaderMap::new();
    /// # headers.insert("content-type".parse().unwrap(), HeaderValue::from_static("text/plain; charset=utf-8"));
    /// # headers.insert(
    /// #     "content-disposition".parse().unwrap(),
    /// #     HeaderValue::from_static("attachment; filename=\"cafe.txt\"; filename*=UTF-8''caf%C3%A9.txt"),
    /// # );
    /// # let body = b"Hello world!\n";
    /// let problems = ExpectedDownload::new()
    ///     .basename("other.txt")
    ///     .content("Bye")
    ///     .check(StatusCode::OK, &headers, body)
    ///     .unwrap_err();
    /// assert_eq!(problems.lines().count(), 2, "{problems}");
    /// ```
    pub fn check(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), String> {
        let mut problems = Vec::new();
        match self.status {
            Some(expected) if expected != status => {
                problems.push(format!("status is {status}, expected {expected}"));
            }
            None if !status.is_success() => {
                problems.push(format!("status is {status}, expected a success"));
            }
            _ => {}
        }
        let header = |name| {
            headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let content_type = header(CONTENT_TYPE);
        if let Some(expected) = &self.content_type {
            if content_type.as_deref() != Some(expected) {
                problems.push(format!(
                    "Content-Type is {content_type:?}, expected {expected:?}"
                ));
            }
        }
        if let Some(expected) = &self.mime_type {
            let mime = content_type
                .as_deref()
                .map(|ct| ct.split(';').next().unwrap_or("").trim());
            if !mime.is_some_and(|m| m.eq_ignore_ascii_case(expected)) {
                problems.push(format!("MIME type is {mime:?}, expected {expected:?}"));
            }
        }
        let disposition = header(CONTENT_DISPOSITION);
        let parsed = disposition.as_deref().map(Disposition::parse);
        if let Some(expected) = self.attachment {
            let kind = parsed.as_ref().map(|d| d.kind.as_str());
            let want = if expected { "attachment" } else { "inline" };
            if kind.map(str::to_ascii_lowercase).as_deref() != Some(want) {
                problems.push(format!(
                    "disposition type is {kind:?}, expected {want:?} (header {disposition:?})"
                ));
            }
        }
        if let Some(expected) = &self.basename {
            check_basename(
                expected,
                parsed.as_ref(),
                disposition.as_deref(),
                &mut problems,
            );
        }
        if let Some(expected) = &self.content {
            if body != expected.as_slice() {
                problems.push(format!(
                    "body is {} bytes {:?}, expected {} bytes {:?}",
                    body.len(),
                    preview(body),
                    expected.len(),
                    preview(expected)
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }

    /// Panics with every mismatch, like Django's `assert_download_response`.
    ///
    /// ```
    /// # use actix_web::http::{header::{HeaderMap, HeaderValue}, StatusCode};
    /// # use downloadview::test::ExpectedDownload;
    /// # let mut headers = HeaderMap::new();
    /// # headers.insert("content-type".parse().unwrap(), HeaderValue::from_static("text/plain; charset=utf-8"));
    /// # headers.insert(
    /// #     "content-disposition".parse().unwrap(),
    /// #     HeaderValue::from_static("attachment; filename=\"cafe.txt\"; filename*=UTF-8''caf%C3%A9.txt"),
    /// # );
    /// # let body = b"Hello world!\n";
    /// ExpectedDownload::new()
    ///     .basename("café.txt")
    ///     .mime_type("text/plain")
    ///     .attachment(true)
    ///     .content("Hello world!\n")
    ///     .assert(StatusCode::OK, &headers, body);
    /// ```
    #[track_caller]
    pub fn assert(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) {
        if let Err(problems) = self.check(status, headers, body) {
            panic!("not the expected download:\n{problems}");
        }
    }

    /// Reads the body of a `ServiceResponse` (from `actix_web::test`) and asserts.
    ///
    /// # Panics
    /// When the response is not the expected download, or its body fails.
    pub async fn assert_service_response<B>(&self, res: ServiceResponse<B>)
    where
        B: MessageBody,
    {
        let status = res.status();
        let headers = res.headers().clone();
        let body = actix_web::body::to_bytes(res.into_body())
            .await
            .unwrap_or_else(|_| panic!("the response body failed"));
        self.assert(status, &headers, &body);
    }
}

fn check_basename(
    expected: &str,
    parsed: Option<&Disposition>,
    header: Option<&str>,
    problems: &mut Vec<String>,
) {
    let Some(d) = parsed else {
        problems.push(format!(
            "no Content-Disposition, expected basename {expected:?}"
        ));
        return;
    };
    match (&d.filename_star, &d.filename) {
        (Some(star), fallback) => {
            if star != expected {
                problems.push(format!(
                    "filename* decodes to {star:?}, expected {expected:?} (header {header:?})"
                ));
            }
            if fallback.is_none() {
                problems.push(format!("no ASCII filename fallback (header {header:?})"));
            }
        }
        (None, Some(plain)) => {
            if plain != expected {
                problems.push(format!(
                    "filename is {plain:?}, expected {expected:?} (header {header:?})"
                ));
            }
        }
        (None, None) => problems.push(format!(
            "no file name, expected {expected:?} (header {header:?})"
        )),
    }
    if let Some(fallback) = &d.filename {
        if !fallback.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            problems.push(format!(
                "filename fallback {fallback:?} is not printable ASCII"
            ));
        }
    }
}

/// A parsed `Content-Disposition` (enough of RFC 6266 to check our own output).
#[derive(Debug)]
struct Disposition {
    kind: String,
    filename: Option<String>,
    filename_star: Option<String>,
}

impl Disposition {
    fn parse(value: &str) -> Self {
        let mut params = split_params(value).into_iter();
        let kind = params.next().unwrap_or_default().trim().to_owned();
        let mut d = Disposition {
            kind,
            filename: None,
            filename_star: None,
        };
        for param in params {
            let Some((key, val)) = param.split_once('=') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let val = val.trim();
            if key == "filename" {
                d.filename = Some(unquote(val));
            } else if key == "filename*" {
                if let Some(encoded) = val
                    .strip_prefix("UTF-8''")
                    .or_else(|| val.strip_prefix("utf-8''"))
                {
                    d.filename_star =
                        Some(percent_decode_str(encoded).decode_utf8_lossy().into_owned());
                }
            }
        }
        d
    }
}

/// Splits on `;` outside quoted strings.
fn split_params(value: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let (mut quoted, mut escaped) = (false, false);
    for c in value.chars() {
        let part = parts.last_mut().expect("never empty");
        match c {
            _ if escaped => {
                escaped = false;
                part.push(c);
            }
            '\\' if quoted => {
                escaped = true;
                part.push(c);
            }
            '"' => {
                quoted = !quoted;
                part.push(c);
            }
            ';' if !quoted => parts.push(String::new()),
            _ => part.push(c),
        }
    }
    parts
}

fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

fn preview(bytes: &[u8]) -> String {
    let mut out = String::new();
    let shown = &bytes[..bytes.len().min(64)];
    let _ = write!(out, "{}", String::from_utf8_lossy(shown));
    if bytes.len() > shown.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                actix_web::http::header::HeaderName::from_static(k),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    #[test]
    fn accepts_a_matching_download() {
        let h = headers(&[
            ("content-type", "text/plain; charset=utf-8"),
            (
                "content-disposition",
                r#"attachment; filename="cafe_.txt"; filename*=UTF-8''caf%C3%A9%20.txt"#,
            ),
        ]);
        ExpectedDownload::new()
            .basename("café .txt")
            .mime_type("text/plain")
            .content_type("text/plain; charset=utf-8")
            .attachment(true)
            .content("x")
            .assert(StatusCode::OK, &h, b"x");
    }

    #[test]
    fn reports_every_mismatch() {
        let h = headers(&[
            ("content-type", "image/png"),
            ("content-disposition", r#"inline; filename="a;b.txt""#),
        ]);
        let err = ExpectedDownload::new()
            .basename("other.txt")
            .mime_type("text/plain")
            .attachment(true)
            .content("x")
            .check(StatusCode::NOT_FOUND, &h, b"y")
            .unwrap_err();
        assert_eq!(err.lines().count(), 5, "{err}");
        assert!(err.contains("status is 404"));
        assert!(err.contains(r#"filename is "a;b.txt""#), "{err}");
    }

    #[test]
    fn quoted_fallback_is_unescaped() {
        let d = Disposition::parse(
            r#"attachment; filename="\"malicious\\file.exe"; filename*=UTF-8''%22malicious%5Cfile.exe"#,
        );
        assert_eq!(d.filename.as_deref(), Some("\"malicious\\file.exe"));
        assert_eq!(d.filename_star.as_deref(), Some("\"malicious\\file.exe"));
    }
}
