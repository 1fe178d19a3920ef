//! `Content-Disposition` for a download (RFC 6266, RFC 8187).
//!
//! One pure function, [`content_disposition`], owns the whole concern: the
//! disposition type, the ASCII `filename="…"` fallback and the UTF-8
//! `filename*=UTF-8''…` parameter. Any name gives a valid header value.

use std::borrow::Cow;

use actix_web::http::header::HeaderValue;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use unicode_normalization::UnicodeNormalization;

/// Bytes of the name that stay as they are in `filename*`: ASCII letters,
/// digits and `_ . - ~` (RFC 8187 `attr-char`, restricted to the safest set).
const FILENAME_STAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// The `Content-Disposition` value for a file served under `name`.
///
/// - `attachment` chooses the type: `attachment` or `inline`.
/// - With no name (or an empty one) an attachment gets the bare type and an
///   inline response gets no header at all (`None`).
/// - Otherwise `filename="…"` carries an ASCII fallback (NFKD-normalised, non-ASCII
///   dropped, whitespace and control characters replaced by `_`, `\` and `"`
///   escaped), followed by `filename*=UTF-8''…` when the percent-encoded name
///   differs from that fallback.
///
/// ```
/// use downloadview::content_disposition;
///
/// let value = content_disposition(Some("café résumé.txt"), true).unwrap();
/// assert_eq!(
///     value,
///     "attachment; filename=\"cafe_resume.txt\"; filename*=UTF-8''caf%C3%A9%20r%C3%A9sum%C3%A9.txt"
/// );
/// assert_eq!(content_disposition(Some("a.pdf"), false).unwrap(), "inline; filename=\"a.pdf\"");
/// assert_eq!(content_disposition(None, true).unwrap(), "attachment");
/// assert!(content_disposition(None, false).is_none());
/// ```
pub fn content_disposition(name: Option<&str>, attachment: bool) -> Option<HeaderValue> {
    let kind = if attachment { "attachment" } else { "inline" };
    let name = match name {
        Some(name) if !name.is_empty() => name,
        _ if attachment => return Some(HeaderValue::from_static("attachment")),
        _ => return None,
    };

    Some(encode(kind, name))
}

/// `kind; filename="…"[; filename*=UTF-8''…]` for a non-empty name.
fn encode(kind: &'static str, name: &str) -> HeaderValue {
    let fallback = ascii_fallback(name);
    let encoded = utf8_percent_encode(name, FILENAME_STAR).to_string();
    let mut value = String::with_capacity(kind.len() + fallback.len() + encoded.len() + 32);
    value.push_str(kind);
    value.push_str("; filename=\"");
    value.push_str(&fallback);
    value.push('"');
    if encoded != fallback {
        value.push_str("; filename*=UTF-8''");
        value.push_str(&encoded);
    }
    // Every byte of `value` is printable ASCII (the fallback keeps only ASCII
    // graphic characters, `encoded` is percent-encoded), so this cannot fail;
    // should it ever, the bare type is still a correct answer.
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(kind))
}

/// The quoted-string content of `filename="…"`: printable ASCII only.
fn ascii_fallback(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.nfkd().filter(char::is_ascii) {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii_control() || c.is_ascii_whitespace() => out.push('_'),
            c => out.push(c),
        }
    }
    out
}

/// The name a file is served under: the basename, else the last path
/// component of the file's own name; `None` when that is empty. A static
/// name stays borrowed (no copy per request).
pub(crate) fn served_name(
    basename: Option<Cow<'static, str>>,
    file_name: Option<&Cow<'static, str>>,
) -> Option<Cow<'static, str>> {
    let last = |n: &str| n.rsplit('/').next().unwrap_or(n).len();
    let name = match (basename, file_name) {
        (Some(basename), _) => basename,
        (None, Some(Cow::Borrowed(n))) => Cow::Borrowed(&n[n.len() - last(n)..]),
        (None, Some(Cow::Owned(n))) => Cow::Owned(n[n.len() - last(n)..].to_owned()),
        (None, None) => return None,
    };
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Content-Disposition table, row by row (Django 2.5.0's output, with the two *fixed* rows).
    const TABLE: &[(&str, &str)] = &[
        (
            "hello-world.txt",
            r#"attachment; filename="hello-world.txt""#,
        ),
        (
            "café résumé.txt",
            r#"attachment; filename="cafe_resume.txt"; filename*=UTF-8''caf%C3%A9%20r%C3%A9sum%C3%A9.txt"#,
        ),
        (
            "espacé .txt",
            r#"attachment; filename="espace_.txt"; filename*=UTF-8''espac%C3%A9%20.txt"#,
        ),
        (
            "he said \"hi\".txt",
            r#"attachment; filename="he_said_\"hi\".txt"; filename*=UTF-8''he%20said%20%22hi%22.txt"#,
        ),
        (
            "\"malicious\\file.exe",
            r#"attachment; filename="\"malicious\\file.exe"; filename*=UTF-8''%22malicious%5Cfile.exe"#,
        ),
        (
            "a;b,c.txt",
            r#"attachment; filename="a;b,c.txt"; filename*=UTF-8''a%3Bb%2Cc.txt"#,
        ),
        (
            "a\nb.txt",
            r#"attachment; filename="a_b.txt"; filename*=UTF-8''a%0Ab.txt"#,
        ),
        (
            "a\tb  c.txt",
            r#"attachment; filename="a_b__c.txt"; filename*=UTF-8''a%09b%20%20c.txt"#,
        ),
        (
            "100% sure.txt",
            r#"attachment; filename="100%_sure.txt"; filename*=UTF-8''100%25%20sure.txt"#,
        ),
        (
            "it's.txt",
            r#"attachment; filename="it's.txt"; filename*=UTF-8''it%27s.txt"#,
        ),
        (
            "日本語.pdf",
            r#"attachment; filename=".pdf"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.pdf"#,
        ),
        (
            "😀 ü.png",
            r#"attachment; filename="_u.png"; filename*=UTF-8''%F0%9F%98%80%20%C3%BC.png"#,
        ),
        (
            "ﬁle.txt",
            r#"attachment; filename="file.txt"; filename*=UTF-8''%EF%AC%81le.txt"#,
        ),
        (
            "Ångström.txt",
            r#"attachment; filename="Angstrom.txt"; filename*=UTF-8''%C3%85ngstr%C3%B6m.txt"#,
        ),
        (
            "a\u{a0}b.txt",
            r#"attachment; filename="a_b.txt"; filename*=UTF-8''a%C2%A0b.txt"#,
        ),
        ("a~b-c_d.e.txt", r#"attachment; filename="a~b-c_d.e.txt""#),
        (
            "a\x00b.txt",
            r#"attachment; filename="a_b.txt"; filename*=UTF-8''a%00b.txt"#,
        ),
        (
            "a\x7fb.txt",
            r#"attachment; filename="a_b.txt"; filename*=UTF-8''a%7Fb.txt"#,
        ),
        ("", "attachment"),
    ];

    #[test]
    fn spec_table_attachment() {
        for (name, expected) in TABLE {
            let got =
                content_disposition(Some(name), true).expect("attachment always has a header");
            assert_eq!(got, *expected, "name {name:?}");
        }
    }

    #[test]
    fn spec_table_inline() {
        for (name, expected) in TABLE {
            let got = content_disposition(Some(name), false);
            if name.is_empty() {
                assert!(got.is_none(), "inline without a name sends no header");
            } else {
                let expected = expected.replacen("attachment", "inline", 1);
                assert_eq!(
                    got.expect("named inline has a header"),
                    expected.as_str(),
                    "name {name:?}"
                );
            }
        }
    }

    #[test]
    fn file_name_without_basename_uses_last_component() {
        let file = |n: &'static str| Some(Cow::Borrowed(n));
        let owned = Some(Cow::Owned("some/dir/report.csv".to_owned()));
        for file_name in [file("some/dir/report.csv"), owned] {
            let name = served_name(None, file_name.as_ref());
            assert_eq!(name.as_deref(), Some("report.csv"));
            assert_eq!(
                content_disposition(name.as_deref(), true).unwrap(),
                r#"attachment; filename="report.csv""#
            );
        }
        let base = |n: &'static str| Some(Cow::Borrowed(n));
        let served = |b, f: Option<Cow<'static, str>>| served_name(b, f.as_ref());
        assert_eq!(
            served(base("x.txt"), file("dir/y.txt")).as_deref(),
            Some("x.txt")
        );
        assert_eq!(served(None, file("dir/")), None);
        assert_eq!(served(base(""), file("y.txt")), None);
        assert_eq!(served(None, None), None);
    }

    #[test]
    fn header_injection_is_impossible() {
        for name in [
            "a\r\nSet-Cookie: x=1",
            "\r\n\r\n",
            "a\u{2028}b",
            "\u{85}",
            "\x1b[31m",
        ] {
            let value = content_disposition(Some(name), true).unwrap();
            assert!(
                value.as_bytes().iter().all(|b| (0x20..0x7f).contains(b)),
                "{value:?}"
            );
        }
    }
}
