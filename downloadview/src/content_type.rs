//! `Content-Type` of a download.
//!
//! Precedence: the file's own `content_type`, verbatim; else the view's
//! `mimetype`; else a guess from the served name; else
//! `application/octet-stream`. The charset is appended to `text/*` types only,
//! and never when the type already carries one.

use actix_web::http::header::HeaderValue;

/// The `Content-Type` value for a response.
///
/// `file_type` is the file's `content_type` (used verbatim), `mimetype` the
/// view's option, `name` the served name (for the guess), `charset` the view's
/// charset. A value that cannot be a header (control characters, non-ASCII) is
/// skipped with a warning, so a bad per-request override never becomes a 500.
pub(crate) fn content_type(
    file_type: Option<&str>,
    mimetype: Option<&str>,
    name: Option<&str>,
    charset: &str,
) -> HeaderValue {
    if let Some(value) = file_type.and_then(|t| valid("the file's content type", t)) {
        return value;
    }
    guess(mimetype, name, charset)
}

/// The view's `mimetype`, else a guess from the name, with the charset rule.
fn guess(mimetype: Option<&str>, name: Option<&str>, charset: &str) -> HeaderValue {
    let guessed;
    let mime = match mimetype.filter(|m| valid("mimetype", m).is_some()) {
        Some(mime) => mime,
        None => {
            guessed = name.and_then(|n| mime_guess::from_path(n).first_raw());
            guessed.unwrap_or("application/octet-stream")
        }
    };
    with_charset(mime, charset)
}

/// `mime` plus `; charset=…` when it is a `text/*` type without a charset.
fn with_charset(mime: &str, charset: &str) -> HeaderValue {
    let is_text = mime
        .get(..5)
        .is_some_and(|top| top.eq_ignore_ascii_case("text/"));
    let has_charset = mime.split(';').skip(1).any(|param| {
        param
            .trim_start()
            .get(..8)
            .is_some_and(|k| k.eq_ignore_ascii_case("charset="))
    });
    if is_text && !has_charset && is_token(charset) {
        if let Some(value) = valid("mimetype", &format!("{mime}; charset={charset}")) {
            return value;
        }
    }
    valid("mimetype", mime).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

/// A header value, or `None` (with a warning) when `value` cannot be one:
/// empty, control characters, or non-ASCII (which `HeaderValue` would accept
/// as obs-text and send as raw UTF-8 bytes; found by `proptests`).
pub(crate) fn valid(what: &str, value: &str) -> Option<HeaderValue> {
    match HeaderValue::from_str(value) {
        Ok(v) if !value.is_empty() && value.is_ascii() => Some(v),
        _ => {
            log::warn!("downloadview: ignoring {what} {value:?}: not a valid header value");
            None
        }
    }
}

/// An HTTP token (RFC 9110 §5.6.2): what a charset or an encoding must be.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (file type, mimetype, name, charset, expected)
    type Case = (
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
        &'static str,
    );

    #[test]
    fn precedence_and_charset() {
        let cases: &[Case] = &[
            (
                None,
                None,
                Some("hello-world.txt"),
                "utf-8",
                "text/plain; charset=utf-8",
            ),
            (None, None, Some("a.png"), "utf-8", "image/png"),
            (
                None,
                None,
                Some("noext"),
                "utf-8",
                "application/octet-stream",
            ),
            (None, None, None, "utf-8", "application/octet-stream"),
            (
                None,
                Some("text/csv"),
                Some("a.png"),
                "utf-8",
                "text/csv; charset=utf-8",
            ),
            (
                None,
                Some("text/csv"),
                None,
                "latin-1",
                "text/csv; charset=latin-1",
            ),
            (
                None,
                Some("TEXT/HTML"),
                None,
                "utf-8",
                "TEXT/HTML; charset=utf-8",
            ),
            (
                None,
                Some("text/plain; charset=latin-1"),
                None,
                "utf-8",
                "text/plain; charset=latin-1",
            ),
            (
                None,
                Some("text/plain;CHARSET=x"),
                None,
                "utf-8",
                "text/plain;CHARSET=x",
            ),
            (
                None,
                Some("application/json"),
                None,
                "utf-8",
                "application/json",
            ),
            (
                Some("image/x-custom; q=1"),
                Some("text/csv"),
                Some("a.txt"),
                "utf-8",
                "image/x-custom; q=1",
            ),
            (Some("text/plain"), None, None, "utf-8", "text/plain"),
            // Bad values are skipped, never a 500.
            (
                Some("text/plain\r\nX: y"),
                None,
                Some("a.csv"),
                "utf-8",
                "text/csv; charset=utf-8",
            ),
            (
                None,
                Some("bad\nvalue"),
                Some("a.txt"),
                "utf-8",
                "text/plain; charset=utf-8",
            ),
            (None, None, Some("a.txt"), "bad charset\r\n", "text/plain"),
        ];
        for (file_type, mimetype, name, charset, expected) in cases {
            assert_eq!(
                content_type(*file_type, *mimetype, *name, charset),
                *expected,
                "{file_type:?} {mimetype:?} {name:?} {charset:?}"
            );
        }
    }

    #[test]
    fn tokens() {
        assert!(is_token("utf-8"));
        assert!(is_token("gzip"));
        assert!(!is_token(""));
        assert!(!is_token("a b"));
        assert!(!is_token("a;b"));
    }
}
