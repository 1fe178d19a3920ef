//! The tar layout's promises checked against the assembler's bytes: the size
//! is exact, the headers and padding sit where tar puts them, and any set of
//! ranges is exactly the slices of the whole archive, produced without
//! running the entries they do not overlap.

use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;

use super::*;

/// Entry `index`'s byte at `at`: entries differ.
fn byte(index: usize, at: u64) -> u8 {
    ((at + 7 * index as u64) % 251) as u8
}

fn content(index: usize, size: u64) -> Vec<u8> {
    (0..size).map(|at| byte(index, at)).collect()
}

fn meta(name: &str, size: u64) -> EntryMeta {
    EntryMeta::file(
        name,
        Some(size),
        Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
    )
}

/// Runs `tarrer` to its end, feeding each entry's content in chunks of
/// `chunk` bytes; returns the pieces' bytes per part and the entries that
/// were fed (not skipped).
fn drive(
    tarrer: &mut Tarrer,
    sizes: &[u64],
    chunk: usize,
    parts: usize,
) -> (Vec<Vec<u8>>, Vec<usize>) {
    let mut out = vec![Vec::new(); parts];
    let mut fed = Vec::new();
    let mut pieces = Vec::new();
    let sink = |pieces: &mut Vec<Piece>, data: &[u8], out: &mut Vec<Vec<u8>>| {
        for piece in pieces.drain(..) {
            match piece.bytes {
                PieceBytes::Made(bytes) => out[piece.part].extend_from_slice(&bytes),
                PieceBytes::Fed(range) => out[piece.part].extend_from_slice(&data[range]),
            }
        }
    };
    loop {
        let step = tarrer.advance(&mut pieces).unwrap();
        sink(&mut pieces, &[], &mut out);
        match step {
            Step::Entry(index) => {
                fed.push(index);
                let data = content(index, sizes[index]);
                for piece in data.chunks(chunk.max(1)) {
                    tarrer.feed(piece, &mut pieces).unwrap();
                    sink(&mut pieces, piece, &mut out);
                }
            }
            Step::Skip(_) | Step::Directory => {}
            Step::Hash(index) => panic!("a tar has no CRC to compute (entry {index})"),
            Step::Done => return (out, fed),
        }
    }
}

#[test]
fn the_archive_is_headers_data_padding_and_two_zero_blocks() {
    let layout = TarLayout::plan([
        meta("a.txt", 13),
        EntryMeta {
            folder: true,
            ..meta("empty", 0)
        },
        meta("b.bin", 1024),
    ])
    .unwrap();
    assert_eq!(layout.size(), 512 + 512 + 512 + 512 + 1024 + 1024);
    let (out, fed) = drive(&mut Tarrer::new(layout.clone()), &[13, 0, 1024], 100, 1);
    let bytes = &out[0];
    assert_eq!(bytes.len() as u64, layout.size());
    assert_eq!(fed, [0, 1, 2]);
    assert_eq!(&bytes[..5], b"a.txt");
    assert_eq!(&bytes[512..525], &content(0, 13)[..]);
    assert!(bytes[525..1024].iter().all(|&b| b == 0), "padding");
    assert_eq!(&bytes[1024..1030], b"empty/");
    assert_eq!(bytes[1024 + 156], b'5');
    assert_eq!(&bytes[1536..1541], b"b.bin");
    assert_eq!(&bytes[2048..3072], &content(2, 1024)[..]);
    assert!(bytes[3072..].iter().all(|&b| b == 0) && bytes.len() - 3072 == 1024);
}

#[test]
fn an_entry_of_unknown_size_or_a_bad_name_is_refused() {
    let unknown = EntryMeta::file("rows.csv", None, None);
    assert!(matches!(
        TarLayout::plan([meta("a", 1), unknown]),
        Err(ZipError::SizeNeeded { index: 1, .. })
    ));
    assert!(matches!(
        TarLayout::plan([meta("../x", 1)]),
        Err(ZipError::Name(_))
    ));
}

#[test]
fn a_source_that_gives_more_or_less_is_an_error() {
    for (given, more) in [(9u64, false), (11, true)] {
        let mut tarrer = Tarrer::new(TarLayout::plan([meta("a", 10)]).unwrap());
        let mut pieces = Vec::new();
        assert_eq!(tarrer.advance(&mut pieces).unwrap(), Step::Entry(0));
        let fed = tarrer.feed(&content(0, given), &mut pieces);
        let err = match fed {
            Err(err) => err,
            Ok(()) => tarrer.advance(&mut pieces).unwrap_err(),
        };
        assert!(
            matches!(err, ZipError::SizeMismatch { index: 0, declared: 10, more: m, .. } if m == more),
            "{err:?}"
        );
        assert!(tarrer.advance(&mut pieces).is_err(), "failed for good");
    }
}

#[test]
fn the_etag_is_strong_from_every_input_and_weak_through_gzip() {
    use actix_web::http::header::EntityTag;
    let tag = EntityTag::new_strong("x".to_owned());
    let of = |metas: Vec<EntryMeta>, gzip| {
        TarLayout::plan(metas)
            .unwrap()
            .etag([Some(&tag), Some(&tag)], gzip)
    };
    let base = of(vec![meta("a", 1), meta("b", 2)], false).unwrap();
    assert!(!base.weak && base.tag().starts_with("tar-"));
    for other in [
        of(vec![meta("a", 1), meta("c", 2)], false),
        of(vec![meta("a", 1), meta("b", 3)], false),
        of(
            vec![
                meta("a", 1),
                EntryMeta {
                    mode: Some(0o755),
                    ..meta("b", 2)
                },
            ],
            false,
        ),
        of(
            vec![
                meta("a", 1),
                EntryMeta {
                    mtime: None,
                    ..meta("b", 2)
                },
            ],
            false,
        ),
    ] {
        assert_ne!(other.unwrap().tag(), base.tag());
    }
    let gz = of(vec![meta("a", 1), meta("b", 2)], true).unwrap();
    assert!(gz.weak);
    assert!(TarLayout::plan([meta("a", 1)])
        .unwrap()
        .etag([None], false)
        .is_none());
}

fn sizes_strategy() -> impl Strategy<Value = Vec<u64>> {
    proptest::collection::vec(prop_oneof![0u64..3, 0u64..700, 1000u64..5000], 0..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any ranges are the slices of the whole archive, and an entry is fed
    /// only when some of its data is wanted.
    #[test]
    fn ranges_are_slices_of_the_whole_and_skip_the_rest(
        sizes in sizes_strategy(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 1..8),
        chunk in 1usize..600,
    ) {
        let metas: Vec<EntryMeta> = sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| meta(&format!("d{}/f{i}", i % 2), size))
            .collect();
        let layout = TarLayout::plan(metas).unwrap();
        let (whole, fed) = drive(&mut Tarrer::new(layout.clone()), &sizes, chunk, 1);
        let whole = &whole[0];
        prop_assert_eq!(whole.len() as u64, layout.size());
        prop_assert_eq!(fed.len(), sizes.len());

        let mut points: Vec<u64> = cuts.iter().map(|c| c.index(whole.len()) as u64).collect();
        points.sort_unstable();
        points.dedup();
        let ranges: Vec<ByteRange> = points
            .chunks(2)
            .map(|pair| ByteRange { first: pair[0], last: *pair.get(1).unwrap_or(&(whole.len() as u64 - 1)) })
            .collect();
        let mut tarrer = Tarrer::with_ranges(layout.clone(), &ranges).unwrap();
        let (parts, fed) = drive(&mut tarrer, &sizes, chunk, ranges.len());
        for (part, r) in parts.iter().zip(&ranges) {
            prop_assert_eq!(&part[..], &whole[r.first as usize..=r.last as usize]);
        }
        // Where each entry's data lies: fed exactly when a range overlaps it
        // (or it is empty, which costs nothing).
        let mut at = 0u64;
        for (index, entry) in layout.entries.iter().enumerate() {
            at += entry.headers.len() as u64;
            let overlaps = entry.size == 0
                || ranges.iter().any(|r| r.first < at + entry.size && r.last >= at);
            prop_assert_eq!(fed.contains(&index), overlaps, "entry {}", index);
            at += entry.size + padding(entry.size);
        }
    }
}

#[cfg(feature = "deflate")]
#[test]
fn gzip_gives_the_tar_compressed() {
    use std::io::Read;
    let sizes = [100_000u64, 0, 3];
    let metas: Vec<EntryMeta> = sizes
        .iter()
        .enumerate()
        .map(|(i, &s)| meta(&format!("f{i}"), s))
        .collect();
    let layout = TarLayout::plan(metas).unwrap();
    let (plain, _) = drive(&mut Tarrer::new(layout.clone()), &sizes, 7000, 1);
    let mut gzipped = Gzipped::new(layout);
    let mut compressed = Vec::new();
    let mut pieces = Vec::new();
    loop {
        let step = gzipped.advance(&mut pieces).unwrap();
        for piece in pieces.drain(..) {
            let PieceBytes::Made(bytes) = piece.bytes else {
                panic!("compressed bytes are made")
            };
            compressed.extend_from_slice(&bytes);
        }
        match step {
            Step::Entry(index) => {
                for chunk in content(index, sizes[index]).chunks(7000) {
                    gzipped.feed(chunk, &mut pieces).unwrap();
                    for piece in pieces.drain(..) {
                        let PieceBytes::Made(bytes) = piece.bytes else {
                            panic!()
                        };
                        compressed.extend_from_slice(&bytes);
                    }
                }
            }
            Step::Done => break,
            _ => {}
        }
    }
    assert!(!gzipped.wants_more());
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, plain[0]);
    assert!(
        compressed.len() < plain[0].len() / 10,
        "{}",
        compressed.len()
    );
}
