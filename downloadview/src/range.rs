//! Range requests (RFC 9110 §14): the `Range` header of a GET,
//! planned against the file's size, with the abuse guards.
//!
//! A pure function: bounded work (one pass over the header, stopping at the
//! first error or at the cap), and no allocation beyond `max_ranges` ranges.

/// An inclusive byte range `first..=last` of a file, always within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteRange {
    /// The first byte.
    pub(crate) first: u64,
    /// The last byte (inclusive), `>= first`.
    pub(crate) last: u64,
}

impl ByteRange {
    /// The number of bytes, at least 1.
    pub(crate) fn len(self) -> u64 {
        self.last - self.first + 1
    }
}

/// What to do with a Range header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RangePlan {
    /// Ignore it: the full 200 (no or bad header, too many ranges, overlap
    /// abuse, empty file).
    Full,
    /// 206 with one `Content-Range`.
    Single(ByteRange),
    /// 206 `multipart/byteranges`: two or more disjoint, non-adjacent
    /// ranges, at most `max_ranges`, in the order they were asked for (a
    /// coalesced range where the first of its members was).
    Multi(Vec<ByteRange>),
    /// 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
}

/// Plans the `Range` header `value` against a file of `size` bytes.
///
/// - Only the `bytes` unit (RFC 9110 §14.1, case-insensitive); another unit or
///   any syntax error (including `first > last`, §14.1.1: "invalid") → `Full`.
/// - More than `max_ranges` range-specs → `Full`: parsing stops at
///   `max_ranges + 1`.
/// - A range whose first byte is past the end, or a zero-length suffix
///   (`bytes=-0`), is unsatisfiable (§14.1.1); nothing satisfiable →
///   `Unsatisfiable`. Last positions past the end and suffixes longer than
///   the file are clamped. Positions too large for `u64` saturate.
/// - Satisfiable lengths that add up to more than the file → `Full` (the
///   "Apache Killer" guard: many overlapping ranges of a large file).
/// - Overlapping or adjacent ranges are coalesced (§14.6 allows it), and the
///   parts are sent in the order the ranges were asked for (§15.3.7.2: "the
///   server SHOULD send the parts in the same order that the corresponding
///   range-spec appeared"), a coalesced range where its first member was.
/// - An empty file → `Full`: there is nothing to range over.
pub(crate) fn plan(value: &[u8], size: u64, max_ranges: usize) -> RangePlan {
    if size == 0 {
        return RangePlan::Full;
    }
    let Some(set) = strip_unit(value) else {
        return RangePlan::Full;
    };
    let mut ranges: Vec<ByteRange> = Vec::new();
    let mut specs = 0usize;
    let mut total: u64 = 0;
    for spec in set.split(|&b| b == b',') {
        let spec = trim_ows(spec);
        if spec.is_empty() {
            // RFC 9110 §5.6.1.2: empty list elements are ignored (no
            // allocation, and the scan is linear in the header).
            continue;
        }
        specs += 1;
        if specs > max_ranges {
            return RangePlan::Full;
        }
        let Some(spec) = parse_spec(spec) else {
            return RangePlan::Full;
        };
        if let Some(range) = spec.resolve(size) {
            total = total.saturating_add(range.len());
            if total > size {
                return RangePlan::Full;
            }
            ranges.push(range);
        }
    }
    if specs == 0 {
        return RangePlan::Full; // `bytes=` or `bytes=,`: no range-spec at all
    }
    coalesce(ranges)
}

/// The range-set after `bytes=`, or `None` for another unit or no `=`.
fn strip_unit(value: &[u8]) -> Option<&[u8]> {
    let value = trim_ows(value);
    let (unit, set) = value.split_at(value.iter().position(|&b| b == b'=')?);
    unit.eq_ignore_ascii_case(b"bytes").then(|| &set[1..])
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

/// A range-spec as written (RFC 9110 §14.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `first-` or `first-last`.
    Int { first: u64, last: Option<u64> },
    /// `-suffix`.
    Suffix(u64),
}

/// `int-range / suffix-range`; `None` for a syntax error.
fn parse_spec(spec: &[u8]) -> Option<Spec> {
    let dash = spec.iter().position(|&b| b == b'-')?;
    let (first, last) = (&spec[..dash], &spec[dash + 1..]);
    if first.is_empty() {
        return Some(Spec::Suffix(parse_digits(last)?));
    }
    let first = parse_digits(first)?;
    let last = if last.is_empty() {
        None
    } else {
        let last = parse_digits(last)?;
        // "A range-spec is invalid if the last-pos value is present and less
        // than the first-pos."
        if last < first {
            return None;
        }
        Some(last)
    };
    Some(Spec::Int { first, last })
}

/// `1*DIGIT`, saturating at `u64::MAX` (any such position is past the end).
fn parse_digits(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit()
            .then(|| n.saturating_mul(10).saturating_add(u64::from(b - b'0')))
    })
}

impl Spec {
    /// The satisfiable range within a file of `size > 0` bytes, clamped, or
    /// `None` when unsatisfiable.
    fn resolve(self, size: u64) -> Option<ByteRange> {
        let last_byte = size - 1;
        match self {
            Spec::Int { first, last } => (first < size).then(|| ByteRange {
                first,
                last: last.map_or(last_byte, |l| l.min(last_byte)),
            }),
            Spec::Suffix(0) => None,
            Spec::Suffix(n) => Some(ByteRange {
                first: size.saturating_sub(n),
                last: last_byte,
            }),
        }
    }
}

/// Merges overlapping or adjacent ranges, and puts the result in the order
/// the ranges were asked for: each merged range where the first of its
/// members was.
fn coalesce(ranges: Vec<ByteRange>) -> RangePlan {
    // (position in the request, range), merged in file order.
    let mut asked: Vec<(usize, ByteRange)> = ranges.into_iter().enumerate().collect();
    asked.sort_unstable_by_key(|&(_, r)| r.first);
    let mut merged: Vec<(usize, ByteRange)> = Vec::with_capacity(asked.len());
    for (at, range) in asked {
        match merged.last_mut() {
            Some((first_at, prev)) if range.first <= prev.last.saturating_add(1) => {
                prev.last = prev.last.max(range.last);
                *first_at = (*first_at).min(at);
            }
            _ => merged.push((at, range)),
        }
    }
    merged.sort_unstable_by_key(|&(at, _)| at);
    match merged.len() {
        0 => RangePlan::Unsatisfiable,
        1 => RangePlan::Single(merged[0].1),
        _ => RangePlan::Multi(merged.into_iter().map(|(_, range)| range).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(first: u64, last: u64) -> ByteRange {
        ByteRange { first, last }
    }

    #[test]
    fn table() {
        use RangePlan::*;
        struct Case(&'static str, u64, RangePlan);
        for Case(header, size, expected) in [
            // Single ranges, clamped.
            Case("bytes=0-0", 10, Single(r(0, 0))),
            Case("bytes=0-9", 10, Single(r(0, 9))),
            Case("bytes=2-5", 10, Single(r(2, 5))),
            Case("bytes=2-", 10, Single(r(2, 9))),
            Case("bytes=2-100", 10, Single(r(2, 9))),
            Case("bytes=9-9", 10, Single(r(9, 9))),
            Case("bytes=-3", 10, Single(r(7, 9))),
            Case("bytes=-10", 10, Single(r(0, 9))),
            Case("bytes=-100", 10, Single(r(0, 9))),
            Case("bytes=0-99999999999999999999999", 10, Single(r(0, 9))),
            Case("bytes=-99999999999999999999999", 10, Single(r(0, 9))),
            Case("Bytes=1-2", 10, Single(r(1, 2))),
            Case(" bytes=1-2 ", 10, Single(r(1, 2))),
            Case("bytes= 1-2 , ", 10, Single(r(1, 2))),
            // Unsatisfiable.
            Case("bytes=10-", 10, Unsatisfiable),
            Case("bytes=10-20", 10, Unsatisfiable),
            Case("bytes=-0", 10, Unsatisfiable),
            Case("bytes=1180591620717411303424-", 10, Unsatisfiable),
            Case("bytes=10-,-0", 10, Unsatisfiable),
            // An unsatisfiable spec among satisfiable ones is dropped.
            Case("bytes=10-,2-3", 10, Single(r(2, 3))),
            // Several, coalesced, in the order asked (RFC 9110 §15.3.7.2).
            Case("bytes=0-1,5-6", 10, Multi(vec![r(0, 1), r(5, 6)])),
            Case("bytes=5-6,0-1", 10, Multi(vec![r(5, 6), r(0, 1)])),
            // A merged range goes where its first member was asked.
            Case("bytes=8-9,0-1,2-3", 10, Multi(vec![r(8, 9), r(0, 3)])),
            Case("bytes=2-3,8-9,0-1", 10, Multi(vec![r(0, 3), r(8, 9)])),
            Case("bytes=0-1,2-3", 10, Single(r(0, 3))),
            Case("bytes=0-2,2-3", 10, Single(r(0, 3))),
            Case("bytes=0-2,2-3", 4, Full),
            Case(
                "bytes=0-0,2-2,-1",
                10,
                Multi(vec![r(0, 0), r(2, 2), r(9, 9)]),
            ),
            Case("bytes=1-1,,3-3", 10, Multi(vec![r(1, 1), r(3, 3)])),
            // Overlaps adding up to more than the file: the full 200.
            Case("bytes=0-6,3-9", 10, Full),
            Case("bytes=0-,0-", 10, Full),
            // Syntax errors and other units: ignored.
            Case("", 10, Full),
            Case("bytes", 10, Full),
            Case("bytes=", 10, Full),
            Case("bytes=,", 10, Full),
            Case("bytes=5-1", 10, Full),
            Case("bytes=--1", 10, Full),
            Case("bytes=-1-", 10, Full),
            Case("bytes=-", 10, Full),
            Case("bytes=a-b", 10, Full),
            Case("bytes=1-2,x", 10, Full),
            Case("bytes=+1-2", 10, Full),
            Case("bytes=1 -2", 10, Full),
            Case("bytes = 1-2", 10, Full),
            Case("items=0-1", 10, Full),
            Case("bytes=0-1;x", 10, Full),
            Case("bytes=\u{e9}", 10, Full),
            // An empty file has nothing to range over.
            Case("bytes=0-", 0, Full),
            Case("bytes=-0", 0, Full),
        ] {
            assert_eq!(
                plan(header.as_bytes(), size, 16),
                expected,
                "{header:?} / {size}"
            );
        }
    }

    #[test]
    fn caps_the_number_of_ranges() {
        let header = |n: usize| {
            let specs: Vec<String> = (0..n).map(|i| format!("{}-{}", i * 2, i * 2)).collect();
            format!("bytes={}", specs.join(","))
        };
        assert!(
            matches!(plan(header(16).as_bytes(), 1000, 16), RangePlan::Multi(v) if v.len() == 16)
        );
        assert_eq!(plan(header(17).as_bytes(), 1000, 16), RangePlan::Full);
        assert!(matches!(
            plan(header(2).as_bytes(), 1000, 2),
            RangePlan::Multi(_)
        ));
        assert_eq!(plan(header(3).as_bytes(), 1000, 2), RangePlan::Full);
        assert_eq!(
            plan(b"bytes=0-0", 1000, 0),
            RangePlan::Full,
            "0 disables ranges"
        );
        // Thousands of ranges stop at the cap; empty members are skipped.
        assert_eq!(plan(header(5000).as_bytes(), 100_000, 16), RangePlan::Full);
        let commas = format!("bytes=0-0{}", ",".repeat(60_000));
        assert_eq!(plan(commas.as_bytes(), 10, 16), RangePlan::Single(r(0, 0)));
        // Unsatisfiable specs count too.
        let far = format!("bytes={}", vec!["2000-"; 17].join(","));
        assert_eq!(plan(far.as_bytes(), 1000, 16), RangePlan::Full);
    }

    /// A Range header from a list of (first, last) specs; `None` for a suffix.
    fn header_of(specs: &[(Option<u64>, u64)]) -> String {
        let parts: Vec<String> = specs
            .iter()
            .map(|(first, n)| match first {
                Some(first) => format!("{first}-{}", first + n),
                None => format!("-{n}"),
            })
            .collect();
        format!("bytes={}", parts.join(","))
    }

    proptest! {
        #[test]
        fn never_panics_on_any_bytes(value in proptest::collection::vec(any::<u8>(), 0..200), size in any::<u64>(), cap in 0usize..40) {
            let _ = plan(&value, size, cap);
        }

        #[test]
        fn never_panics_on_range_like_text(value in "[bytes= ,0-9\\-]{0,80}", size in 0u64..100, cap in 0usize..20) {
            let _ = plan(value.as_bytes(), size, cap);
        }

        #[test]
        fn plans_stay_within_the_file_and_the_cap(
            specs in proptest::collection::vec((proptest::option::of(0u64..300), 0u64..120), 1..30),
            size in 1u64..300,
            cap in 0usize..20,
        ) {
            let header = header_of(&specs);
            match plan(header.as_bytes(), size, cap) {
                RangePlan::Full => {}
                RangePlan::Unsatisfiable => prop_assert!(specs.len() <= cap),
                RangePlan::Single(r) => {
                    prop_assert!(specs.len() <= cap);
                    prop_assert!(r.first <= r.last && r.last < size);
                }
                RangePlan::Multi(ranges) => {
                    prop_assert!(ranges.len() >= 2 && ranges.len() <= cap);
                    let total: u64 = ranges.iter().map(|r| r.len()).sum();
                    prop_assert!(total <= size);
                    let mut sorted = ranges.clone();
                    sorted.sort_by_key(|r| r.first);
                    for pair in sorted.windows(2) {
                        prop_assert!(pair[0].last + 1 < pair[1].first, "disjoint, not adjacent");
                    }
                    // In the order asked: each part's first byte was asked for
                    // no later than the next part's.
                    let resolve = |&(first, n): &(Option<u64>, u64)| match first {
                        Some(first) => Spec::Int { first, last: Some(first + n) },
                        None => Spec::Suffix(n),
                    }
                    .resolve(size);
                    let asked = |r: &ByteRange| {
                        specs.iter().position(|spec| {
                            resolve(spec).is_some_and(|s| s.first >= r.first && s.last <= r.last)
                        })
                    };
                    for pair in ranges.windows(2) {
                        prop_assert!(asked(&pair[0]) < asked(&pair[1]), "request order: {ranges:?} for {specs:?}");
                    }
                    prop_assert!(ranges.iter().all(|r| r.first <= r.last && r.last < size));
                }
            }
        }

        #[test]
        fn covers_exactly_the_requested_bytes(
            specs in proptest::collection::vec((proptest::option::of(0u64..300), 0u64..40), 1..8),
            size in 1u64..300,
        ) {
            let header = header_of(&specs);
            let mut wanted = vec![false; size as usize];
            for (first, n) in &specs {
                let (a, b) = match first {
                    Some(first) => (*first, first + n),
                    None if *n == 0 => continue,
                    None => (size.saturating_sub(*n), size - 1),
                };
                for i in a..=b.min(size - 1) {
                    wanted[i as usize] = true;
                }
            }
            let mut got = vec![false; size as usize];
            match plan(header.as_bytes(), size, 16) {
                RangePlan::Full => return Ok(()), // the overlap guard
                RangePlan::Unsatisfiable => {}
                RangePlan::Single(r) => got[r.first as usize..=r.last as usize].fill(true),
                RangePlan::Multi(ranges) => {
                    for r in ranges {
                        got[r.first as usize..=r.last as usize].fill(true);
                    }
                }
            }
            prop_assert_eq!(got, wanted);
        }
    }
}
