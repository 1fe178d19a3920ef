//! The archive's validators (RFC 9110 §8.8): an ETag derived from
//! the entries', and the latest of their modification times.

use std::time::SystemTime;

use actix_web::http::header::EntityTag;

use super::{Layout, Method};

/// Bumped whenever the bytes written for the same entries change (a new
/// record, another default), so that no cache mixes two layouts' bytes.
const LAYOUT_VERSION: &[u8] = b"downloadview zip layout 2";

/// 64-bit FNV-1a (<http://www.isthe.com/chongo/tech/comp/fnv/>): offset
/// basis and prime. Stable by definition, unlike std's `DefaultHasher`.
pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

pub(crate) fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// The archive's ETag, from its layout and the entries' own tags in order.
///
/// The tag is `"zip-"` and 16 hex digits: the 64-bit FNV-1a of a canonical
/// encoding of everything that decides the archive's bytes — the layout
/// version, the method, the entry count, then for each entry its name, its
/// declared size, the DOS time written for it, its external attributes
/// (mode, folder), the CRC stated in its local header (when it is; or that
/// a first pass gives it there) and its tag, each
/// length-prefixed (lengths and sizes as u64 little-endian) so that no two
/// lists encode alike.
///
/// - `None` when an entry has no tag or a weak one: its bytes could change
///   under the same tag, and so would the archive's.
/// - Strong for stored archives: the same entries give the same bytes.
/// - Weak for deflate: the compressed bytes depend on the compressor's
///   version and level too, which a strong tag would have to cover.
///
/// `None` as well when `tags` does not give one tag per entry.
pub(crate) fn etag<'a>(
    layout: &Layout,
    tags: impl IntoIterator<Item = Option<&'a EntityTag>>,
) -> Option<EntityTag> {
    let entries = layout.entries();
    let mut hash = fnv1a(FNV_OFFSET, LAYOUT_VERSION);
    hash = fnv1a(hash, &layout.method().code().to_le_bytes());
    hash = fnv1a(hash, &(entries.len() as u64).to_le_bytes());
    let mut tags = tags.into_iter();
    for entry in entries {
        let tag = tags.next()??;
        if tag.weak {
            return None;
        }
        hash = fnv1a(hash, &(entry.name.len() as u64).to_le_bytes());
        hash = fnv1a(hash, entry.name.as_bytes());
        hash = match entry.size {
            None => fnv1a(hash, &[0]),
            Some(size) => fnv1a(fnv1a(hash, &[1]), &size.to_le_bytes()),
        };
        hash = fnv1a(hash, &entry.header.time.to_le_bytes());
        hash = fnv1a(hash, &entry.header.date.to_le_bytes());
        hash = fnv1a(hash, &entry.header.external.to_le_bytes());
        // A first pass's CRC is not known yet, but the entry's form is (no
        // descriptor), and its tag stands for its bytes, so for the CRC:
        // a mark of its own (the layouts of entries without one are
        // unchanged, and keep their tags).
        hash = match entry.header.crc {
            None if entry.crc_pass => fnv1a(hash, &[2]),
            None => fnv1a(hash, &[0]),
            Some(crc) => fnv1a(fnv1a(hash, &[1]), &crc.to_le_bytes()),
        };
        hash = fnv1a(hash, &(tag.tag().len() as u64).to_le_bytes());
        hash = fnv1a(hash, tag.tag().as_bytes());
    }
    if tags.next().is_some() {
        return None;
    }
    let tag = format!("zip-{hash:016x}");
    Some(match layout.method() {
        Method::Stored => EntityTag::new_strong(tag),
        #[cfg(feature = "deflate")]
        Method::Deflate => EntityTag::new_weak(tag),
    })
}

/// The archive's Last-Modified: the latest of its entries' times; `None`
/// when there are no entries or one has no time (it may have changed at any
/// time, and a `304 Not Modified` would then be wrong).
pub(crate) fn last_modified(
    times: impl IntoIterator<Item = Option<SystemTime>>,
) -> Option<SystemTime> {
    let mut latest = None;
    for time in times {
        let time = time?;
        latest = Some(latest.map_or(time, |l: SystemTime| l.max(time)));
    }
    latest
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::zip::EntryMeta;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // From the FNV reference test suite.
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(FNV_OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
    }

    fn meta(name: &str, size: Option<u64>, secs: u64) -> EntryMeta {
        EntryMeta {
            name: name.to_owned(),
            size,
            mtime: Some(UNIX_EPOCH + Duration::from_secs(secs)),
            crc: None,
            crc_pass: false,
            folder: false,
            mode: None,
        }
    }

    fn strong(tag: &str) -> EntityTag {
        EntityTag::new_strong(tag.to_owned())
    }

    fn tag_of(entries: &[EntryMeta], tags: &[Option<EntityTag>]) -> Option<EntityTag> {
        let layout = Layout::plan(entries.to_vec(), Method::Stored).unwrap();
        etag(&layout, tags.iter().map(Option::as_ref))
    }

    #[test]
    fn the_etag_follows_every_input() {
        let base = [
            meta("a", Some(1), 1_000_000_000),
            meta("b/c", Some(2), 1_000_000_000),
        ];
        let tags = [Some(strong("x")), Some(strong("y"))];
        let tag = tag_of(&base, &tags).expect("strong tags give a tag");
        assert!(!tag.weak);
        assert!(tag.tag().starts_with("zip-") && tag.tag().len() == 20);
        assert_eq!(tag_of(&base, &tags), Some(tag.clone()), "stable");

        // Each change of what the archive's bytes depend on changes the tag.
        let mut variants: Vec<(Vec<EntryMeta>, Vec<Option<EntityTag>>)> = vec![
            (
                vec![meta("A", Some(1), 1_000_000_000), base[1].clone()],
                tags.to_vec(),
            ),
            (
                vec![meta("a", Some(3), 1_000_000_000), base[1].clone()],
                tags.to_vec(),
            ),
            (
                vec![meta("a", None, 1_000_000_000), base[1].clone()],
                tags.to_vec(),
            ),
            (
                vec![meta("a", Some(1), 1_000_000_002), base[1].clone()],
                tags.to_vec(),
            ),
            (base.to_vec(), vec![Some(strong("x2")), tags[1].clone()]),
            // The CRC stated ahead (another form of the same entry), and
            // another CRC.
            (
                vec![
                    EntryMeta {
                        crc: Some(7),
                        ..base[0].clone()
                    },
                    base[1].clone(),
                ],
                tags.to_vec(),
            ),
            (
                vec![
                    EntryMeta {
                        crc: Some(8),
                        ..base[0].clone()
                    },
                    base[1].clone(),
                ],
                tags.to_vec(),
            ),
            // Its CRC from a first pass: no descriptor, another archive.
            (
                vec![
                    EntryMeta {
                        crc_pass: true,
                        ..base[0].clone()
                    },
                    base[1].clone(),
                ],
                tags.to_vec(),
            ),
            (
                vec![base[1].clone(), base[0].clone()],
                vec![tags[1].clone(), tags[0].clone()],
            ),
            (base[..1].to_vec(), tags[..1].to_vec()),
            // Length prefixes: moving a byte from the tag to the name differs.
            (
                vec![meta("ax", Some(1), 1_000_000_000), base[1].clone()],
                vec![Some(strong("")), tags[1].clone()],
            ),
        ];
        let mut seen = vec![tag];
        for (entries, tags) in variants.drain(..) {
            let other = tag_of(&entries, &tags).expect("still all strong");
            assert!(!seen.contains(&other), "{entries:?} {tags:?}");
            seen.push(other);
        }
        // A time in the same DOS 2-second step writes the same bytes.
        assert_eq!(
            tag_of(&[meta("a", Some(1), 1_000_000_001), base[1].clone()], &tags),
            Some(seen[0].clone())
        );
    }

    #[test]
    fn no_strong_tag_without_strong_tags() {
        let base = [meta("a", Some(1), 0), meta("b", Some(2), 0)];
        assert_eq!(tag_of(&base, &[Some(strong("x")), None]), None);
        assert_eq!(
            tag_of(
                &base,
                &[Some(strong("x")), Some(EntityTag::new_weak("y".into()))]
            ),
            None
        );
        assert_eq!(tag_of(&base, &[Some(strong("x"))]), None, "a tag per entry");
        assert_eq!(
            tag_of(
                &base,
                &[Some(strong("x")), Some(strong("y")), Some(strong("z"))]
            ),
            None
        );
        assert!(
            tag_of(&[], &[]).is_some(),
            "an empty archive is always the same"
        );
    }

    #[cfg(feature = "deflate")]
    #[test]
    fn deflate_tags_are_weak() {
        let layout = Layout::plan([meta("a", Some(1), 0)], Method::Deflate).unwrap();
        let tag = etag(&layout, [Some(&strong("x"))]).unwrap();
        assert!(tag.weak);
        let stored = tag_of(&[meta("a", Some(1), 0)], &[Some(strong("x"))]).unwrap();
        assert_ne!(tag.tag(), stored.tag(), "the method is part of the tag");
    }

    #[test]
    fn last_modified_is_the_latest_or_none() {
        let t = |secs| Some(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(last_modified([t(5), t(9), t(7)]), t(9));
        assert_eq!(last_modified([t(5)]), t(5));
        assert_eq!(last_modified([t(5), None, t(9)]), None);
        assert_eq!(last_modified([]), None);
    }
}
