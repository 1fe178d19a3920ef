//! Conditional requests (SPEC §7): Django's `If-Modified-Since` rule.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::header::{HeaderMap, IF_MODIFIED_SINCE};

/// Parses an HTTP-date in any of the three formats of RFC 9110 §5.6.7;
/// `None` for anything else (an unparseable date is ignored).
pub(crate) fn parse_http_date(value: &[u8]) -> Option<SystemTime> {
    let text = std::str::from_utf8(value).ok()?;
    httpdate::parse_http_date(text.trim()).ok()
}

/// The `If-Modified-Since` date of a request, if present and parseable.
pub(crate) fn if_modified_since(headers: &HeaderMap) -> Option<SystemTime> {
    headers
        .get(IF_MODIFIED_SINCE)
        .and_then(|v| parse_http_date(v.as_bytes()))
}

/// `t` truncated to whole seconds, the resolution of HTTP dates.
pub(crate) fn whole_seconds(t: SystemTime) -> SystemTime {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}

/// The default `was_modified_since`: modified unless `last_modified` is known
/// and not later than `since` (at the resolution of HTTP dates).
pub(crate) fn modified_since(last_modified: Option<SystemTime>, since: SystemTime) -> bool {
    last_modified.is_none_or(|lm| whole_seconds(lm) > since)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_date_formats_and_ignores_garbage() {
        let expected = UNIX_EPOCH + Duration::from_secs(784_111_777);
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(text.as_bytes()), Some(expected), "{text}");
        }
        for garbage in [
            "",
            "yesterday",
            "Sun, 06 Nov 1994 08:49:37",
            "\u{ff}",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(garbage.as_bytes()), None, "{garbage:?}");
        }
        assert_eq!(parse_http_date(b"\xff\xfe"), None);
    }

    #[test]
    fn django_rule() {
        let t = UNIX_EPOCH + Duration::from_millis(1_000_500);
        let since = UNIX_EPOCH + Duration::from_secs(1_000);
        assert!(
            !modified_since(Some(t), since),
            "sub-second part is ignored"
        );
        assert!(modified_since(Some(t), since - Duration::from_secs(1)));
        assert!(!modified_since(Some(t), since + Duration::from_secs(1)));
        assert!(modified_since(None, since), "no date: always modified");
    }
}
