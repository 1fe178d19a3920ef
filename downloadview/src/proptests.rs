//! Property tests of every function that reads or writes a header: whatever
//! the input, a valid header value or a clean refusal, never a panic (a panic
//! in a header function would be a 500 for a hostile client).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::{
    header::{
        EntityTag, HeaderMap, HeaderName, HeaderValue, ACCEPT_ENCODING, IF_MATCH,
        IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_UNMODIFIED_SINCE,
    },
    Method,
};
use percent_encoding::percent_decode_str;
use proptest::prelude::*;

use crate::{
    conditional::{self, Validators},
    content_disposition, content_type, encoding, range,
};

/// Splits a Content-Disposition value into its type and parameters.
fn params(value: &str) -> (String, Vec<(String, String)>) {
    let (kind, rest) = value.split_once("; ").unwrap_or((value, ""));
    let mut out = Vec::new();
    let mut rest = rest;
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=').expect("param=value");
        let (val, next) = if let Some(quoted) = after.strip_prefix('"') {
            // A quoted-string with backslash escapes.
            let mut val = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => val.push(chars.next().expect("escaped char").1),
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => val.push(c),
                }
            }
            (val, &quoted[end..])
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].to_owned(), &after[end..])
        };
        out.push((name.to_owned(), val));
        rest = next.strip_prefix("; ").unwrap_or(next);
    }
    (kind.to_owned(), out)
}

/// Any header value bytes actix accepts: visible ASCII, spaces, tabs, obs-text.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(
            prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff],
            0..64
        ),
        "[ -~]{0,64}".prop_map(String::into_bytes),
        // Near-misses of the real syntax.
        "(W/)?\"[a-z0-9-]{0,8}\"?( ?, ?(W/)?\"[a-z0-9]{0,4}\"?){0,3}|\\*".prop_map(String::into_bytes),
        "(Sun|Mon|Xyz), [0-9]{1,3} (Nov|Feb|Foo) [0-9]{1,5} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2} (GMT|UTC)?"
            .prop_map(String::into_bytes),
        "bytes ?= ?(-?[0-9]{0,20}-?[0-9]{0,20} ?,? ?){0,5}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_name_gives_a_valid_disposition_that_round_trips(name in any::<String>(), attachment in any::<bool>()) {
        let Some(value) = content_disposition(Some(&name), attachment) else {
            prop_assert!(!attachment && name.is_empty(), "only a nameless inline has no header");
            return Ok(());
        };
        let text = value.to_str().expect("a visible-ASCII header value");
        prop_assert!(text.bytes().all(|b| (0x20..0x7f).contains(&b)), "{text:?}");
        let (kind, params) = params(text);
        prop_assert_eq!(kind, if attachment { "attachment" } else { "inline" });
        if name.is_empty() {
            prop_assert!(params.is_empty());
            return Ok(());
        }
        let fallback = &params[0];
        prop_assert_eq!(&fallback.0, "filename");
        prop_assert!(fallback.1.chars().all(|c| c.is_ascii_graphic()), "fallback {:?}", fallback.1);
        let decoded = match params.get(1) {
            Some((key, star)) => {
                prop_assert_eq!(key, "filename*");
                let encoded = star.strip_prefix("UTF-8''").expect("UTF-8'' prefix");
                percent_decode_str(encoded).decode_utf8().expect("UTF-8").into_owned()
            }
            None => fallback.1.clone(), // only when the name is its own fallback
        };
        prop_assert_eq!(decoded, name);
    }

    #[test]
    fn date_parsing_never_panics(bytes in header_bytes()) {
        let _ = conditional::parse_http_date(&bytes);
    }

    #[test]
    fn formatted_dates_parse_back(secs in 0u64..253_402_300_799) {
        let t = UNIX_EPOCH + Duration::from_secs(secs);
        let text = httpdate::fmt_http_date(t);
        prop_assert_eq!(conditional::parse_http_date(text.as_bytes()), Some(t));
    }

    #[test]
    fn preconditions_never_panic(
        values in proptest::collection::vec((0usize..5, header_bytes()), 0..6),
        head in any::<bool>(),
        tagged in any::<bool>(),
        dated in any::<bool>(),
    ) {
        let names = [IF_MATCH, IF_NONE_MATCH, IF_MODIFIED_SINCE, IF_UNMODIFIED_SINCE, HeaderName::from_static("if-range")];
        let mut headers = HeaderMap::new();
        for (i, bytes) in &values {
            if let Ok(value) = HeaderValue::from_bytes(bytes) {
                headers.append(names[*i].clone(), value);
            }
        }
        let etag = EntityTag::new_strong("v1".to_owned());
        let validators = Validators {
            etag: tagged.then_some(&etag),
            last_modified: dated.then_some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
        };
        let method = if head { Method::HEAD } else { Method::GET };
        let _ = conditional::evaluate(&method, &headers, validators, |_since: SystemTime| true);
        for value in headers.get_all("if-range") {
            let _ = conditional::if_range_passes(value, validators);
        }
    }

    #[test]
    fn range_plans_stay_inside_the_file(bytes in header_bytes(), size in 0u64..1 << 40, max in 0usize..20) {
        match range::plan(&bytes, size, max) {
            range::RangePlan::Single(r) => prop_assert!(r.first <= r.last && r.last < size),
            range::RangePlan::Multi(ranges) => {
                prop_assert!(ranges.len() >= 2 && ranges.len() <= max.max(1));
                let mut sorted = ranges.clone();
                sorted.sort_by_key(|r| r.first);
                for pair in sorted.windows(2) {
                    prop_assert!(pair[0].last + 1 < pair[1].first, "coalesced: {ranges:?}");
                }
                prop_assert!(ranges.iter().all(|r| r.first <= r.last && r.last < size));
            }
            range::RangePlan::Full | range::RangePlan::Unsatisfiable => {}
        }
    }

    #[test]
    fn accept_encoding_never_panics(bytes in header_bytes()) {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_bytes(&bytes) {
            headers.insert(ACCEPT_ENCODING, value);
        }
        let _ = encoding::admits_content_coding(&headers);
    }

    #[test]
    fn content_type_is_always_a_valid_value(
        file_type in proptest::option::of(any::<String>()),
        mimetype in proptest::option::of(any::<String>()),
        name in proptest::option::of(any::<String>()),
        charset in any::<String>(),
    ) {
        let value = content_type::content_type(file_type.as_deref(), mimetype.as_deref(), name.as_deref(), &charset);
        prop_assert!(value.to_str().is_ok_and(|v| !v.is_empty()), "{value:?}");
    }
}
