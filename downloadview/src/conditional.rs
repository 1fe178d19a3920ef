//! Conditional requests (RFC 9110 §13): Django's `If-Modified-Since`
//! rule, kept as the decider for that header, inside the full precondition
//! order of RFC 9110 §13.2.2, plus `If-Range` (§13.1.5).
//!
//! Everything here is a pure function of the request head and the file's
//! validators; nothing runs the body source.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::{
    header::{
        EntityTag, HeaderMap, HeaderName, HeaderValue, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH,
        IF_UNMODIFIED_SINCE,
    },
    Method,
};

/// Parses an HTTP-date in any of the three formats of RFC 9110 §5.6.7;
/// `None` for anything else (an unparseable date is ignored).
pub(crate) fn parse_http_date(value: &[u8]) -> Option<SystemTime> {
    let text = std::str::from_utf8(value).ok()?;
    httpdate::parse_http_date(text.trim()).ok()
}

/// The date of a date header, if present exactly once and parseable
/// (RFC 9110 §13.1.3: a field with more than one member is ignored).
fn single_date(headers: &HeaderMap, name: &HeaderName) -> Option<SystemTime> {
    let mut values = headers.get_all(name);
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    parse_http_date(value.as_bytes())
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

/// The validators of the selected representation (RFC 9110 §8.8).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Validators<'a> {
    /// The entity tag, strong or weak, exactly as the user supplied it.
    pub(crate) etag: Option<&'a EntityTag>,
    /// The modification time.
    pub(crate) last_modified: Option<SystemTime>,
}

/// The outcome of the preconditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Precondition {
    /// No precondition stops the request: serve it (Range may still apply).
    Proceed,
    /// 304 Not Modified.
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

/// Evaluates the preconditions of a request in the order of RFC 9110 §13.2.2.
///
/// `was_modified_since` decides `If-Modified-Since` (Django's hook on the view).
/// Step 5 (`If-Range`) belongs to Range processing: see [`if_range_passes`].
pub(crate) fn evaluate(
    method: &Method,
    headers: &HeaderMap,
    validators: Validators<'_>,
    was_modified_since: impl FnOnce(SystemTime) -> bool,
) -> Precondition {
    let get_or_head = method == Method::GET || method == Method::HEAD;

    // Step 1: "When recipient is the origin server and If-Match is present,
    // evaluate the If-Match precondition: if true, continue to step 3; if
    // false, respond 412 (Precondition Failed)".
    if headers.contains_key(IF_MATCH) {
        if !list_matches(headers, &IF_MATCH, validators.etag, Compare::Strong) {
            return Precondition::Failed;
        }
    }
    // Step 2: "When recipient is the origin server, If-Match is not present,
    // and If-Unmodified-Since is present, evaluate the If-Unmodified-Since
    // precondition: if true, continue to step 3; if false, respond 412".
    // "A recipient MUST ignore the If-Unmodified-Since header field if the
    // resource does not have a modification date available" (§13.1.4), and an
    // invalid date.
    else if let (Some(since), Some(lm)) = (
        single_date(headers, &IF_UNMODIFIED_SINCE),
        validators.last_modified,
    ) {
        if whole_seconds(lm) > since {
            return Precondition::Failed;
        }
    }

    // Step 3: "When If-None-Match is present, evaluate the If-None-Match
    // precondition: if true, continue to step 5; if false for GET/HEAD,
    // respond 304 (Not Modified); if false for other methods, respond 412".
    // The condition is false when a listed tag matches (weak comparison).
    if headers.contains_key(IF_NONE_MATCH) {
        if list_matches(headers, &IF_NONE_MATCH, validators.etag, Compare::Weak) {
            return if get_or_head {
                Precondition::NotModified
            } else {
                Precondition::Failed
            };
        }
    }
    // Step 4: "When the method is GET or HEAD, If-None-Match is not present,
    // and If-Modified-Since is present, evaluate the If-Modified-Since
    // precondition: if true, continue to step 5; if false, respond 304".
    // Django's rule: the view's `was_modified_since` decides.
    else if get_or_head {
        if let Some(since) = single_date(headers, &IF_MODIFIED_SINCE) {
            if !was_modified_since(since) {
                return Precondition::NotModified;
            }
        }
    }

    // Step 5 (If-Range with Range) is decided by the Range planning.
    // Step 6: "Otherwise, perform the requested method".
    Precondition::Proceed
}

/// Whether `If-Range` lets the Range header apply (RFC 9110 §13.1.5): an
/// entity tag must match the current one with the *strong* comparison; a date
/// must equal the `Last-Modified` date exactly. Anything else (a weak tag, an
/// unparseable value, no validator to compare with) fails: the full 200.
pub(crate) fn if_range_passes(value: &HeaderValue, validators: Validators<'_>) -> bool {
    let bytes = value.as_bytes();
    let trimmed = trim_ows(bytes);
    if trimmed.starts_with(b"\"") || trimmed.starts_with(b"W/") {
        let mut tags = EtagList::new(trimmed);
        return match (tags.next(), tags.next(), validators.etag) {
            (Some(Item::Tag(tag)), None, Some(current)) => tag.matches(current, Compare::Strong),
            _ => false,
        };
    }
    match (parse_http_date(bytes), validators.last_modified) {
        (Some(date), Some(lm)) => whole_seconds(lm) == date,
        _ => false,
    }
}

/// The comparison functions of RFC 9110 §8.8.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    /// Both tags strong and their opaque parts equal.
    Strong,
    /// The opaque parts equal, whatever the weakness.
    Weak,
}

/// Whether any member of the list header `name` matches the current entity
/// tag: `*` matches any current representation (there always is one here).
/// A malformed member ends the scan, matching nothing more — so garbage in
/// `If-Match` fails (412) and garbage in `If-None-Match` proceeds.
fn list_matches(
    headers: &HeaderMap,
    name: &HeaderName,
    current: Option<&EntityTag>,
    compare: Compare,
) -> bool {
    for value in headers.get_all(name) {
        for item in EtagList::new(value.as_bytes()) {
            match item {
                Item::Any => return true,
                Item::Tag(tag) => {
                    if current.is_some_and(|current| tag.matches(current, compare)) {
                        return true;
                    }
                }
                Item::Malformed => return false,
            }
        }
    }
    false
}

/// One entity tag as received: borrowed, never allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tag<'a> {
    weak: bool,
    /// The opaque part, without the quotes.
    opaque: &'a [u8],
}

impl Tag<'_> {
    /// RFC 9110 §8.8.3.2, as actix's `EntityTag::strong_eq` / `weak_eq`
    /// (which need an owned `EntityTag`; this compares in place).
    fn matches(self, current: &EntityTag, compare: Compare) -> bool {
        let strong_ok = compare == Compare::Weak || (!self.weak && !current.weak);
        strong_ok && self.opaque == current.tag().as_bytes()
    }
}

/// A member of an entity-tag list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item<'a> {
    /// `*`.
    Any,
    /// `[W/]"opaque"`.
    Tag(Tag<'a>),
    /// Not an entity tag: the scan stops here.
    Malformed,
}

/// Scans `#( "*" / entity-tag )` (RFC 9110 §5.6.1, §8.8.3): commas inside the
/// quotes belong to the tag (actix's comma-splitting `IfMatch` gets that
/// wrong), empty members are skipped, the work is linear in the value.
struct EtagList<'a> {
    rest: &'a [u8],
    done: bool,
}

impl<'a> EtagList<'a> {
    fn new(value: &'a [u8]) -> Self {
        EtagList {
            rest: value,
            done: false,
        }
    }
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

impl<'a> Iterator for EtagList<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        if self.done {
            return None;
        }
        // Skip OWS and empty members.
        while let [b' ' | b'\t' | b',', rest @ ..] = self.rest {
            self.rest = rest;
        }
        if self.rest.is_empty() {
            self.done = true;
            return None;
        }
        let (item, rest) = match self.rest {
            [b'*', rest @ ..] => (Item::Any, rest),
            _ => {
                let (weak, quoted) = match self.rest {
                    [b'W', b'/', rest @ ..] => (true, rest),
                    other => (false, other),
                };
                let [b'"', body @ ..] = quoted else {
                    self.done = true;
                    return Some(Item::Malformed);
                };
                // etagc = %x21 / %x23-7E / obs-text
                let Some(end) = body.iter().position(|&b| b == b'"') else {
                    self.done = true;
                    return Some(Item::Malformed);
                };
                let opaque = &body[..end];
                if !opaque.iter().all(|&b| b == 0x21 || b >= 0x23 && b != 0x7f) {
                    self.done = true;
                    return Some(Item::Malformed);
                }
                (Item::Tag(Tag { weak, opaque }), &body[end + 1..])
            }
        };
        // After a member: OWS, then a comma or the end.
        let rest = trim_ows(rest);
        match rest {
            [] => self.done = true,
            [b',', ..] => {}
            _ => {
                self.done = true;
                return Some(Item::Malformed);
            }
        }
        self.rest = rest;
        Some(item)
    }
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

    fn tags(value: &str) -> Vec<Item<'_>> {
        EtagList::new(value.as_bytes()).collect()
    }

    fn tag(weak: bool, opaque: &str) -> Item<'_> {
        Item::Tag(Tag {
            weak,
            opaque: opaque.as_bytes(),
        })
    }

    #[test]
    fn scans_entity_tag_lists() {
        struct Case(&'static str, Vec<Item<'static>>);
        for Case(input, expected) in [
            Case("", vec![]),
            Case(" , ,", vec![]),
            Case("*", vec![Item::Any]),
            Case("\"a\"", vec![tag(false, "a")]),
            Case("W/\"a\"", vec![tag(true, "a")]),
            Case("\"\"", vec![tag(false, "")]),
            Case(
                "\"a\", W/\"b\" ,\"c\"",
                vec![tag(false, "a"), tag(true, "b"), tag(false, "c")],
            ),
            Case("\"a,b\", \"c\"", vec![tag(false, "a,b"), tag(false, "c")]),
            Case("a", vec![Item::Malformed]),
            Case("\"a", vec![Item::Malformed]),
            Case("w/\"a\"", vec![Item::Malformed]),
            Case("\"a\" \"b\"", vec![Item::Malformed]),
            Case("\"a\"x", vec![Item::Malformed]),
            Case("\"a b\"", vec![Item::Malformed]),
            Case(
                "\"a\", garbage, \"b\"",
                vec![tag(false, "a"), Item::Malformed],
            ),
        ] {
            assert_eq!(tags(input), expected, "{input:?}");
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    const LM: &str = "Tue, 14 Nov 2023 22:13:20 GMT"; // 1_700_000_000
    const BEFORE: &str = "Tue, 14 Nov 2023 22:13:19 GMT";
    const AFTER: &str = "Tue, 14 Nov 2023 22:13:21 GMT";

    fn eval(method: Method, etag: Option<&EntityTag>, pairs: &[(&str, &str)]) -> Precondition {
        let validators = Validators {
            etag,
            last_modified: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
        };
        evaluate(&method, &headers(pairs), validators, |since| {
            modified_since(validators.last_modified, since)
        })
    }

    #[test]
    fn rfc_9110_precedence() {
        use Precondition::*;
        let strong = EntityTag::new_strong("v1".to_owned());
        let weak = EntityTag::new_weak("v1".to_owned());
        let s = Some(&strong);
        let w = Some(&weak);
        for (method, etag, pairs, expected) in [
            (Method::GET, s, vec![], Proceed),
            // Step 1: If-Match, strong comparison.
            (Method::GET, s, vec![("if-match", "\"v1\"")], Proceed),
            (
                Method::GET,
                s,
                vec![("if-match", "\"v0\", \"v1\"")],
                Proceed,
            ),
            (Method::GET, s, vec![("if-match", "\"v0\"")], Failed),
            (Method::GET, s, vec![("if-match", "W/\"v1\"")], Failed),
            (Method::GET, w, vec![("if-match", "\"v1\"")], Failed),
            (Method::GET, s, vec![("if-match", "*")], Proceed),
            (Method::GET, None, vec![("if-match", "*")], Proceed),
            (Method::GET, None, vec![("if-match", "\"v1\"")], Failed),
            (Method::GET, s, vec![("if-match", "garbage")], Failed),
            (
                Method::GET,
                s,
                vec![("if-match", "\"v0\""), ("if-match", "\"v1\"")],
                Proceed,
            ),
            // Step 2: If-Unmodified-Since, only without If-Match.
            (
                Method::GET,
                s,
                vec![("if-unmodified-since", BEFORE)],
                Failed,
            ),
            (Method::GET, s, vec![("if-unmodified-since", LM)], Proceed),
            (
                Method::GET,
                s,
                vec![("if-unmodified-since", "garbage")],
                Proceed,
            ),
            (
                Method::GET,
                s,
                vec![("if-match", "\"v1\""), ("if-unmodified-since", BEFORE)],
                Proceed,
            ),
            // Step 3: If-None-Match, weak comparison.
            (
                Method::GET,
                s,
                vec![("if-none-match", "\"v1\"")],
                NotModified,
            ),
            (
                Method::HEAD,
                s,
                vec![("if-none-match", "W/\"v1\"")],
                NotModified,
            ),
            (
                Method::GET,
                w,
                vec![("if-none-match", "\"v1\"")],
                NotModified,
            ),
            (Method::GET, s, vec![("if-none-match", "*")], NotModified),
            (Method::GET, s, vec![("if-none-match", "\"v0\"")], Proceed),
            (Method::GET, s, vec![("if-none-match", "garbage")], Proceed),
            (Method::POST, s, vec![("if-none-match", "\"v1\"")], Failed),
            (
                Method::GET,
                None,
                vec![("if-none-match", "\"v1\"")],
                Proceed,
            ),
            // Step 4: If-Modified-Since, GET/HEAD only, only without If-None-Match.
            (Method::GET, s, vec![("if-modified-since", LM)], NotModified),
            (
                Method::GET,
                s,
                vec![("if-modified-since", AFTER)],
                NotModified,
            ),
            (Method::GET, s, vec![("if-modified-since", BEFORE)], Proceed),
            (
                Method::GET,
                s,
                vec![("if-modified-since", "garbage")],
                Proceed,
            ),
            (Method::POST, s, vec![("if-modified-since", LM)], Proceed),
            (
                Method::GET,
                s,
                vec![("if-modified-since", LM), ("if-modified-since", LM)],
                Proceed,
            ),
            // If-None-Match wins over If-Modified-Since, both ways.
            (
                Method::GET,
                s,
                vec![("if-none-match", "\"v0\""), ("if-modified-since", LM)],
                Proceed,
            ),
            (
                Method::GET,
                s,
                vec![("if-none-match", "\"v1\""), ("if-modified-since", BEFORE)],
                NotModified,
            ),
            // A failed step 1 or 2 wins over step 3.
            (
                Method::GET,
                s,
                vec![("if-match", "\"v0\""), ("if-none-match", "\"v1\"")],
                Failed,
            ),
            (
                Method::GET,
                s,
                vec![("if-unmodified-since", BEFORE), ("if-none-match", "\"v1\"")],
                Failed,
            ),
        ] {
            assert_eq!(
                eval(method.clone(), etag, &pairs),
                expected,
                "{method} {etag:?} {pairs:?}"
            );
        }
    }

    #[test]
    fn if_range() {
        let strong = EntityTag::new_strong("v1".to_owned());
        let weak = EntityTag::new_weak("v1".to_owned());
        let lm = UNIX_EPOCH + Duration::from_millis(1_700_000_000_400);
        let both = Validators {
            etag: Some(&strong),
            last_modified: Some(lm),
        };
        let weak_only = Validators {
            etag: Some(&weak),
            last_modified: None,
        };
        let check =
            |v: &str, validators| if_range_passes(&HeaderValue::from_str(v).unwrap(), validators);
        assert!(check("\"v1\"", both));
        assert!(check(" \"v1\" ", both));
        assert!(!check("\"v0\"", both));
        assert!(!check("W/\"v1\"", both), "a weak tag never passes");
        assert!(!check("\"v1\"", weak_only), "nor does a weak current tag");
        assert!(
            !check("\"v1\", \"v2\"", both),
            "a list is not an If-Range value"
        );
        assert!(check(LM, both), "the exact date");
        assert!(!check(BEFORE, both));
        assert!(!check(AFTER, both), "later is not equal");
        assert!(!check(LM, Validators::default()));
        assert!(!check("garbage", both));
        assert!(!check("", both));
    }
}
