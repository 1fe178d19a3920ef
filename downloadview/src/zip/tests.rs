//! The layout's promises checked against the bytes the assembler produces:
//! the size is exact, the segments tile the archive where the layout says,
//! and any set of ranges is exactly the slices of the whole archive.

use std::{
    sync::OnceLock,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use proptest::prelude::*;

use super::{records::Limits, *};
use crate::{assemble::Assemble, range::ByteRange};

/// The period of the test content.
const PERIOD: usize = 251;

/// `PERIOD * 4096` bytes of a pattern of period `PERIOD`: any stretch of an
/// entry's content is one slice of it.
fn pattern() -> &'static [u8] {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    PATTERN.get_or_init(|| {
        (0..PERIOD * 4096)
            .map(|k| (k * 31 % PERIOD) as u8)
            .collect()
    })
}

/// The largest chunk [`content`] gives.
pub(super) const MAX_CHUNK: usize = PERIOD * 4095;

/// Bytes `at..at + len` of entry `index`'s content (`len <= MAX_CHUNK`):
/// the pattern, shifted per entry so that entries differ.
pub(super) fn content(index: usize, at: u64, len: usize) -> &'static [u8] {
    let start = ((at + 7 * index as u64) % PERIOD as u64) as usize;
    &pattern()[start..start + len]
}

/// An entry of a test archive: what the layout is told, and what its
/// source really gives.
#[derive(Debug, Clone)]
pub(super) struct TestEntry {
    pub(super) name: String,
    pub(super) declared: Option<u64>,
    pub(super) actual: u64,
    pub(super) mtime: Option<SystemTime>,
    /// The CRC-32 the layout is told before the data, if any.
    pub(super) stated_crc: Option<u32>,
    /// Its CRC comes from a first pass over its content.
    pub(super) crc_pass: bool,
    /// The first pass gives other bytes than the second (its first byte
    /// flipped): a source that is not the same twice.
    pub(super) unstable: bool,
}

impl TestEntry {
    pub(super) fn new(name: &str, size: u64) -> TestEntry {
        TestEntry {
            name: name.to_owned(),
            declared: Some(size),
            actual: size,
            mtime: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            stated_crc: None,
            crc_pass: false,
            unstable: false,
        }
    }

    /// The same entry with its CRC from a first pass.
    pub(super) fn first_pass(mut self) -> TestEntry {
        self.crc_pass = true;
        self
    }

    /// The same entry with its CRC known before its data, as entry `index`.
    pub(super) fn crc_ahead(mut self, index: usize) -> TestEntry {
        self.stated_crc = Some(self.crc(index));
        self
    }

    pub(super) fn unknown_size(mut self) -> TestEntry {
        self.declared = None;
        self
    }

    pub(super) fn meta(&self) -> EntryMeta {
        EntryMeta {
            name: self.name.clone(),
            size: self.declared,
            mtime: self.mtime,
            crc: self.stated_crc,
            crc_pass: self.crc_pass,
            folder: false,
            mode: None,
        }
    }

    /// The entry's whole content (small entries only).
    pub(super) fn bytes(&self, index: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while (out.len() as u64) < self.actual {
            let n = (self.actual - out.len() as u64).min(MAX_CHUNK as u64) as usize;
            out.extend_from_slice(content(index, out.len() as u64, n));
        }
        out
    }

    /// The CRC-32 of the content, without hashing every byte: the content is
    /// a repetition of one chunk, whose CRCs combine.
    pub(super) fn crc(&self, index: usize) -> u32 {
        let chunk = MAX_CHUNK - MAX_CHUNK % PERIOD;
        let mut whole = crc32fast::Hasher::new();
        let mut left = self.actual;
        if left >= chunk as u64 {
            // Every chunk starts at the same phase of the pattern.
            let mut one = crc32fast::Hasher::new();
            one.update(content(index, 0, chunk));
            while left >= chunk as u64 {
                whole.combine(&one);
                left -= chunk as u64;
            }
        }
        whole.update(content(index, 0, left as usize));
        whole.finalize()
    }
}

/// `entries`, each declaring its actual size.
fn all_known(entries: &[TestEntry]) -> Vec<TestEntry> {
    entries
        .iter()
        .map(|e| TestEntry {
            declared: Some(e.actual),
            ..e.clone()
        })
        .collect()
}

pub(super) fn layout_of(entries: &[TestEntry], limits: Limits) -> Result<Layout, ZipError> {
    Layout::plan_with(entries.iter().map(TestEntry::meta), Method::Stored, limits)
}

/// Runs `zipper` to the end: each entry's content in chunks of `chunk`
/// bytes (cycling through `chunk` when it has several sizes), every piece
/// to `sink(part, bytes)`; a first pass is given the content too (its first
/// byte flipped for an `unstable` entry). Stops early once no more bytes
/// are wanted when `stop_early`.
pub(super) fn drive(
    zipper: &mut Zipper,
    entries: &[TestEntry],
    chunk: &[usize],
    stop_early: bool,
    sink: &mut dyn FnMut(usize, &[u8]),
) -> Result<(), ZipError> {
    drive_passes(zipper, entries, chunk, stop_early, sink, &mut Vec::new())
}

/// [`drive`], noting in `passes` the entries whose first pass ran.
fn drive_passes(
    zipper: &mut Zipper,
    entries: &[TestEntry],
    chunk: &[usize],
    stop_early: bool,
    sink: &mut dyn FnMut(usize, &[u8]),
    passes: &mut Vec<usize>,
) -> Result<(), ZipError> {
    fn flush(out: &mut Vec<Piece>, fed: &[u8], sink: &mut dyn FnMut(usize, &[u8])) {
        for piece in out.drain(..) {
            match piece.bytes {
                PieceBytes::Fed(range) => sink(piece.part, &fed[range]),
                PieceBytes::Made(bytes) => sink(piece.part, &bytes),
            }
        }
    }
    let mut out = Vec::new();
    let mut sizes = chunk.iter().copied().cycle();
    loop {
        let step = zipper.advance(&mut out)?;
        flush(&mut out, &[], sink);
        if stop_early && !zipper.wants_more() {
            return Ok(());
        }
        match step {
            Step::Entry(index) => {
                let entry = &entries[index];
                assert_eq!(
                    zipper.layout().entry(index),
                    Some((entry.name.as_str(), entry.declared))
                );
                let mut at = 0;
                while at < entry.actual {
                    let want = sizes.next().unwrap_or(MAX_CHUNK).clamp(1, MAX_CHUNK) as u64;
                    let n = want.min(entry.actual - at) as usize;
                    let data = content(index, at, n);
                    zipper.feed(data, &mut out)?;
                    flush(&mut out, data, sink);
                    at += n as u64;
                }
            }
            Step::Hash(index) => {
                let entry = &entries[index];
                assert!(
                    entry.crc_pass,
                    "a first pass over entry {index}, not asked for"
                );
                passes.push(index);
                let mut at = 0;
                while at < entry.actual {
                    let n = sizes
                        .next()
                        .unwrap_or(MAX_CHUNK)
                        .clamp(1, MAX_CHUNK)
                        .min((entry.actual - at) as usize);
                    let mut data = content(index, at, n).to_vec();
                    if entry.unstable && at == 0 {
                        data[0] ^= 1;
                    }
                    zipper.feed(&data, &mut out)?;
                    assert!(out.is_empty(), "a first pass sends nothing");
                    at += n as u64;
                }
            }
            Step::Directory => {}
            Step::Skip(index) => panic!("a zip never skips an entry (entry {index})"),
            Step::Done => return Ok(()),
        }
    }
}

/// The whole archive, in memory.
pub(super) fn archive(
    layout: Layout,
    entries: &[TestEntry],
    chunk: &[usize],
) -> Result<Vec<u8>, ZipError> {
    let mut zipper = Zipper::new(layout);
    let mut bytes = Vec::new();
    drive(&mut zipper, entries, chunk, false, &mut |part, b| {
        assert_eq!(part, 0);
        bytes.extend_from_slice(b);
    })?;
    Ok(bytes)
}

fn small() -> Limits {
    Limits {
        wide: 40,
        entries: 3,
    }
}

#[test]
fn segments_tile_the_archive() {
    let entries = [
        TestEntry::new("a.txt", 12),
        TestEntry::new("empty", 0),
        TestEntry::new("dir/b.bin", 3000),
        TestEntry::new("été.txt", 5),
        TestEntry::new("ahead.txt", 40).crc_ahead(4),
        TestEntry::new("ahead-empty", 0).crc_ahead(5),
    ];
    for limits in [Limits::ZIP, small()] {
        let layout = layout_of(&entries, limits).unwrap();
        let bytes = archive(layout.clone(), &entries, &[7, 100, 1]).unwrap();
        assert_eq!(layout.size(), Some(bytes.len() as u64));
        let mut expected_offset = 0;
        let mut written = Vec::new();
        let mut header_at = 0;
        let segments: &[Placed] = layout.segments();
        for placed in segments {
            let (Some(offset), Some(len)) = (placed.offset, placed.len) else {
                panic!("every place is known: {placed:?}");
            };
            assert_eq!(offset, expected_offset);
            let here = &bytes[offset as usize..(offset + len) as usize];
            match &placed.segment {
                Segment::Fixed(fixed) => {
                    assert_eq!(&fixed[..], here);
                    assert_eq!(&here[..4], b"PK\x03\x04");
                    header_at = offset;
                }
                Segment::Data { entry } => {
                    let e = &entries[*entry];
                    assert_eq!(here, e.bytes(*entry));
                    if let Some(crc) = e.stated_crc {
                        // No descriptor follows: the directory's record is
                        // known here.
                        written.push(Written {
                            crc,
                            compressed: e.actual,
                            uncompressed: e.actual,
                            offset: header_at,
                        });
                    }
                }
                Segment::Descriptor { entry } => {
                    let e = &entries[*entry];
                    let crc = e.crc(*entry);
                    let d = layout.descriptor(*entry, crc, e.actual, e.actual).unwrap();
                    assert_eq!(&d[..], here);
                    written.push(Written {
                        crc,
                        compressed: e.actual,
                        uncompressed: e.actual,
                        offset: header_at,
                    });
                }
                Segment::Directory => {
                    assert_eq!(&layout.directory(&written).unwrap()[..], here);
                    assert_eq!(offset + len, bytes.len() as u64);
                }
            }
            expected_offset += len;
        }
    }
}

/// The little-endian integer of `N` bytes at `at`.
fn le(bytes: &[u8], at: usize, n: usize) -> u64 {
    bytes[at..at + n]
        .iter()
        .rev()
        .fold(0, |v, &b| v << 8 | u64::from(b))
}

#[test]
fn a_crc_known_ahead_is_in_the_local_header_and_no_descriptor_follows() {
    let ahead = [TestEntry::new("a.txt", 12).crc_ahead(0)];
    let behind = [TestEntry::new("a.txt", 12)];
    let bytes = archive(layout_of(&ahead, Limits::ZIP).unwrap(), &ahead, &[5]).unwrap();
    // APPNOTE 4.3.7: flags at 6 (bit 3 clear), CRC at 14, sizes at 18 and 22.
    assert_eq!(le(&bytes, 6, 2) & 1 << 3, 0);
    assert_eq!(le(&bytes, 14, 4), u64::from(ahead[0].crc(0)));
    assert_eq!((le(&bytes, 18, 4), le(&bytes, 22, 4)), (12, 12));
    // The data, then at once the central header: no descriptor signature.
    let central = 30 + 5 + 12;
    assert_eq!(&bytes[central..central + 4], b"PK\x01\x02");
    assert!(!bytes.windows(4).any(|w| w == b"PK\x07\x08"));
    // The central header says the same (flags at 8, CRC at 16).
    assert_eq!(le(&bytes, central + 8, 2) & 1 << 3, 0);
    assert_eq!(le(&bytes, central + 16, 4), u64::from(ahead[0].crc(0)));
    // Without the CRC: bit 3, zero CRC, a 16-byte descriptor.
    let other = archive(layout_of(&behind, Limits::ZIP).unwrap(), &behind, &[5]).unwrap();
    assert_eq!(other.len(), bytes.len() + 16);
    assert_eq!(le(&other, 6, 2) & 1 << 3, 1 << 3);
    assert_eq!(le(&other, 14, 4), 0);
}

#[test]
fn a_zip64_entry_with_its_crc_ahead_has_no_descriptor_either() {
    let entries = [TestEntry::new("big", 300).crc_ahead(0)];
    let limits = small();
    let layout = layout_of(&entries, limits).unwrap();
    let bytes = archive(layout.clone(), &entries, &[64]).unwrap();
    assert_eq!(layout.size(), Some(bytes.len() as u64));
    // Version 4.5, the sizes in the ZIP64 extra field, the CRC in the header.
    assert_eq!(le(&bytes, 4, 2), 45);
    assert_eq!(le(&bytes, 14, 4), u64::from(entries[0].crc(0)));
    assert_eq!(le(&bytes, 18, 4), 0xFFFF_FFFF);
    assert!(!bytes.windows(4).any(|w| w == b"PK\x07\x08"));
}

#[test]
fn a_folder_entry_is_its_name_and_a_slash_with_no_data_and_a_folders_mode() {
    let metas = [
        EntryMeta {
            folder: true,
            ..EntryMeta::file("d", None, None)
        },
        EntryMeta {
            mode: Some(0o755),
            ..EntryMeta::file("d/run.sh", Some(0), None)
        },
    ];
    let methods = [
        Method::Stored,
        #[cfg(feature = "deflate")]
        Method::Deflate,
    ];
    for method in methods {
        let layout = Layout::plan(metas.clone(), method).unwrap();
        let entries = [TestEntry::new("d/", 0), TestEntry::new("d/run.sh", 0)];
        let mut zipper = Zipper::new(layout);
        let mut bytes = Vec::new();
        drive(&mut zipper, &entries, &[1], false, &mut |_, b| {
            bytes.extend_from_slice(b)
        })
        .unwrap();
        // The folder: stored whatever the archive's method, no descriptor,
        // its name with a trailing slash.
        assert_eq!(le(&bytes, 6, 2) & 1 << 3, 0);
        assert_eq!(le(&bytes, 8, 2), 0, "stored");
        assert_eq!((le(&bytes, 18, 4), le(&bytes, 22, 4)), (0, 0));
        assert_eq!(&bytes[30..32], b"d/");
        // The central headers' external attributes (offset 38): the Unix
        // type and permissions above, the MS-DOS folder bit below.
        let central: Vec<usize> = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| w == b"PK\x01\x02")
            .map(|(at, _)| at)
            .collect();
        assert_eq!(le(&bytes, central[0] + 38, 4), (0o40755 << 16) | 0x10);
        assert_eq!(le(&bytes, central[1] + 38, 4), 0o100755 << 16);
    }
    // A folder may have its own mode; anything past 0o777 is refused.
    let private = EntryMeta {
        folder: true,
        mode: Some(0o700),
        ..EntryMeta::file("p", None, None)
    };
    assert!(Layout::plan([private], Method::Stored).is_ok());
    let sticky = EntryMeta {
        mode: Some(0o1777),
        ..EntryMeta::file("tmp", Some(0), None)
    };
    assert!(matches!(
        Layout::plan([sticky], Method::Stored),
        Err(ZipError::Mode {
            index: 0,
            mode: 0o1777,
            ..
        })
    ));
}

#[test]
fn data_that_does_not_match_its_stated_crc_fails_the_archive() {
    let mut entries = [
        TestEntry::new("ok.txt", 10).crc_ahead(0),
        TestEntry::new("liar.txt", 10),
    ];
    entries[1].stated_crc = Some(entries[1].crc(1) ^ 1);
    let err = archive(layout_of(&entries, Limits::ZIP).unwrap(), &entries, &[3]).unwrap_err();
    assert!(
        matches!(&err, ZipError::CrcMismatch { index: 1, name, .. } if name == "liar.txt"),
        "{err:?}"
    );
    assert!(err.to_string().contains("liar.txt"), "{err}");
}

#[cfg(feature = "deflate")]
#[test]
fn a_deflated_entry_keeps_its_descriptor_with_a_known_crc() {
    let entries = [TestEntry::new("a.txt", 500).crc_ahead(0)];
    let layout = Layout::plan(entries.iter().map(TestEntry::meta), Method::Deflate).unwrap();
    let bytes = archive(layout, &entries, &[100]).unwrap();
    assert_eq!(le(&bytes, 6, 2) & 1 << 3, 1 << 3);
    assert!(bytes.windows(4).any(|w| w == b"PK\x07\x08"));
}

#[test]
fn a_first_pass_gives_the_archive_of_a_crc_stated_ahead() {
    let passed = [
        TestEntry::new("memory.txt", 7).crc_ahead(0),
        TestEntry::new("pass.bin", 1000).first_pass(),
        TestEntry::new("big", 300).first_pass(),
        TestEntry::new("empty", 0).first_pass(),
        TestEntry::new("behind", 9),
    ];
    let stated: Vec<TestEntry> = passed
        .iter()
        .enumerate()
        .map(|(i, e)| match e.crc_pass {
            true => TestEntry::new(&e.name, e.actual).crc_ahead(i),
            false => e.clone(),
        })
        .collect();
    for limits in [Limits::ZIP, small()] {
        let layout = layout_of(&passed, limits).unwrap();
        // Planned as CRCs known ahead: the same size, before any byte.
        assert_eq!(layout.size(), layout_of(&stated, limits).unwrap().size());
        let mut zipper = Zipper::new(layout.clone());
        let (mut bytes, mut passes) = (Vec::new(), Vec::new());
        drive_passes(
            &mut zipper,
            &passed,
            &[300, 7],
            false,
            &mut |_, b| bytes.extend_from_slice(b),
            &mut passes,
        )
        .unwrap();
        assert_eq!(passes, [1, 2, 3], "one first pass per entry that asks");
        let expected = archive(layout_of(&stated, limits).unwrap(), &stated, &[64]).unwrap();
        assert!(bytes == expected, "other bytes than with the CRCs stated");
        assert_eq!(layout.size(), Some(bytes.len() as u64));
    }
    // The local header: bit 3 clear, the CRC at 14, no descriptor anywhere.
    let one = [TestEntry::new("a.txt", 12).first_pass()];
    let bytes = archive(layout_of(&one, Limits::ZIP).unwrap(), &one, &[5]).unwrap();
    assert_eq!(le(&bytes, 6, 2) & 1 << 3, 0);
    assert_eq!(le(&bytes, 14, 4), u64::from(one[0].crc(0)));
    assert!(!bytes.windows(4).any(|w| w == b"PK\x07\x08"));
}

#[test]
fn a_second_pass_other_than_the_first_fails_the_archive() {
    let mut entries = [
        TestEntry::new("ok.bin", 10).first_pass(),
        TestEntry::new("unstable.bin", 500).first_pass(),
    ];
    entries[1].unstable = true;
    let err = archive(layout_of(&entries, Limits::ZIP).unwrap(), &entries, &[64]).unwrap_err();
    assert!(
        matches!(&err, ZipError::CrcMismatch { index: 1, name, first_pass: true, .. } if name == "unstable.bin"),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("unstable.bin") && message.contains("first pass"),
        "{message}"
    );
    // A first pass shorter than declared fails before the header goes out.
    let mut short = [TestEntry::new("short.bin", 100).first_pass()];
    short[0].actual = 60;
    let mut zipper = Zipper::new(layout_of(&short, Limits::ZIP).unwrap());
    let mut out_bytes = 0;
    let err = drive(&mut zipper, &short, &[16], false, &mut |_, b| {
        out_bytes += b.len()
    });
    assert!(
        matches!(
            err,
            Err(ZipError::SizeMismatch {
                index: 0,
                declared: 100,
                produced: 60,
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(out_bytes, 0, "nothing of the entry was sent");
}

#[test]
fn a_range_past_a_local_header_reads_its_entry_once() {
    let entries = [
        TestEntry::new("a.bin", 400).first_pass(),
        TestEntry::new("b.bin", 400).first_pass(),
    ];
    let layout = layout_of(&entries, Limits::ZIP).unwrap();
    let whole = archive(layout.clone(), &entries, &[64]).unwrap();
    // From the middle of a.bin's data: only b.bin's header needs a CRC ahead.
    let header = (30 + "a.bin".len()) as u64;
    // The bytes of `range` and the entries that had a first pass.
    let ranged = |range: ByteRange, stop_early: bool| {
        let mut zipper = Zipper::with_ranges(layout.clone(), &[range]).unwrap();
        let (mut part, mut passes) = (Vec::new(), Vec::new());
        drive_passes(
            &mut zipper,
            &entries,
            &[64],
            stop_early,
            &mut |_, b| part.extend_from_slice(b),
            &mut passes,
        )
        .unwrap();
        (part, passes)
    };
    let first = header + 100;
    let (part, passes) = ranged(
        ByteRange {
            first,
            last: whole.len() as u64 - 1,
        },
        false,
    );
    assert_eq!(passes, [1]);
    assert!(part[..] == whole[first as usize..]);
    // A range of a.bin's header alone: its first pass, and nothing after it.
    let (part, passes) = ranged(
        ByteRange {
            first: 14,
            last: 17,
        },
        true,
    );
    assert_eq!(passes, [0]);
    assert_eq!(le(&part, 0, 4), u64::from(entries[0].crc(0)));
}

#[cfg(feature = "deflate")]
#[test]
fn a_deflated_entry_has_no_first_pass() {
    let entries = [TestEntry::new("a.txt", 500).first_pass()];
    let layout = Layout::plan(entries.iter().map(TestEntry::meta), Method::Deflate).unwrap();
    let mut zipper = Zipper::new(layout);
    let (mut bytes, mut passes) = (Vec::new(), Vec::new());
    drive_passes(
        &mut zipper,
        &entries,
        &[100],
        false,
        &mut |_, b| bytes.extend_from_slice(b),
        &mut passes,
    )
    .unwrap();
    assert!(passes.is_empty());
    assert_eq!(le(&bytes, 6, 2) & 1 << 3, 1 << 3);
}

#[test]
fn the_size_is_known_only_when_every_entry_is() {
    let entries = [
        TestEntry::new("a", 3),
        TestEntry::new("b", 4).unknown_size(),
        TestEntry::new("c", 5),
    ];
    let layout = layout_of(&entries, Limits::ZIP).unwrap();
    assert_eq!(layout.size(), None);
    let places: Vec<(Option<u64>, Option<u64>)> = layout
        .segments()
        .iter()
        .map(|p| (p.offset, p.len))
        .collect();
    let known_header = Some(30 + 1);
    let zip64_header = Some(30 + 1 + 20);
    assert_eq!(
        places,
        [
            (Some(0), known_header),
            (Some(31), Some(3)),
            (Some(34), Some(16)),
            (Some(50), zip64_header),
            (Some(101), None),
            (None, Some(24)),
            (None, known_header),
            (None, Some(5)),
            (None, Some(16)),
            (None, None),
        ]
    );
    // Still produced, and what the layout left open follows the real sizes.
    let bytes = archive(layout.clone(), &entries, &[2]).unwrap();
    assert_eq!(&bytes[bytes.len() - 22..bytes.len() - 18], b"PK\x05\x06");
    assert!(matches!(
        Zipper::with_ranges(layout.clone(), &[ByteRange { first: 0, last: 0 }]),
        Err(ZipError::UnknownSize)
    ));
    assert!(matches!(
        layout.overlapping(0, 0),
        Err(ZipError::UnknownSize)
    ));
}

#[test]
fn sizes_of_a_100_gib_archive_without_a_byte() {
    // Ten 10 GiB entries: the sum by hand, from the records' definitions.
    const GIB: u64 = 1 << 30;
    let entries: Vec<EntryMeta> = (0..10)
        .map(|i| EntryMeta {
            name: format!("part-{i}.bin"),
            size: Some(10 * GIB),
            mtime: None,
            crc: None,
            crc_pass: false,
            folder: false,
            mode: None,
        })
        .collect();
    let started = std::time::Instant::now();
    let layout = Layout::plan(entries, Method::Stored).unwrap();
    assert!(started.elapsed() < Duration::from_millis(100));
    let name = "part-0.bin".len() as u64;
    // Local header with the ZIP64 extra, data, 24-byte descriptor.
    let entry = 30 + name + 20 + 10 * GIB + 24;
    // Central headers: the ZIP64 field holds both sizes, and the offset for
    // every entry but the first (at 0).
    let central = 10 * (46 + name + 4 + 16) + 9 * 8;
    let end = 56 + 20 + 22;
    assert_eq!(layout.size(), Some(10 * entry + central + end));
}

#[test]
fn sizes_that_add_up_past_u64_are_refused() {
    let huge = |name: &str| EntryMeta {
        name: name.into(),
        size: Some(u64::MAX / 2),
        mtime: None,
        crc: None,
        crc_pass: false,
        folder: false,
        mode: None,
    };
    assert_eq!(
        Layout::plan([huge("a"), huge("b")], Method::Stored),
        Err(ZipError::TooLarge)
    );
    assert_eq!(
        Layout::plan([huge("a")], Method::Stored).map(|l| l.size().is_some()),
        Ok(true)
    );
}

#[test]
fn bad_names_are_refused_when_planning() {
    let err = layout_of(
        &[TestEntry::new("ok", 1), TestEntry::new("../x", 1)],
        Limits::ZIP,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"archive entry 1 ("../x"): a ".." component would unpack outside the archive's folder"#
    );
}

#[test]
fn a_source_that_gives_more_or_less_is_an_error() {
    let declared = [TestEntry::new("a", 3), TestEntry::new("b", 5)];
    let layout = layout_of(&declared, Limits::ZIP).unwrap();

    let mut more = declared.clone();
    more[1].actual = 6;
    let err = archive(layout.clone(), &more, &[4]).unwrap_err();
    assert_eq!(
        err,
        ZipError::SizeMismatch {
            index: 1,
            name: "b".into(),
            declared: 5,
            produced: 6,
            more: true
        }
    );
    assert_eq!(
        err.to_string(),
        r#"archive entry 1 ("b"): declared 5 bytes, but its source gave at least 6"#
    );

    let mut less = declared.clone();
    less[0].actual = 2;
    let err = archive(layout.clone(), &less, &[4]).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"archive entry 0 ("a"): declared 3 bytes, but its source gave 2"#
    );

    // After an error, nothing more comes out.
    let mut zipper = Zipper::new(layout);
    let mut out = Vec::new();
    assert_eq!(zipper.advance(&mut out), Ok(Step::Entry(0)));
    assert!(zipper.feed(b"abcd", &mut out).is_err());
    out.clear();
    assert!(matches!(
        zipper.advance(&mut out),
        Err(ZipError::Sequence(_))
    ));
    assert!(matches!(
        zipper.feed(b"a", &mut out),
        Err(ZipError::Sequence(_))
    ));
    assert!(out.is_empty());
}

#[test]
fn calls_out_of_order_are_errors_not_panics() {
    let entries = [TestEntry::new("a", 1)];
    let layout = layout_of(&entries, Limits::ZIP).unwrap();
    let mut zipper = Zipper::new(layout.clone());
    let mut out = Vec::new();
    assert!(matches!(
        zipper.feed(b"x", &mut out),
        Err(ZipError::Sequence(_))
    ));

    let mut zipper = Zipper::new(layout.clone());
    assert_eq!(zipper.advance(&mut out), Ok(Step::Entry(0)));
    zipper.feed(b"x", &mut out).unwrap();
    assert_eq!(zipper.advance(&mut out), Ok(Step::Done));
    assert_eq!(zipper.advance(&mut out), Ok(Step::Done), "done stays done");
    assert!(matches!(
        zipper.feed(b"x", &mut out),
        Err(ZipError::Sequence(_))
    ));

    assert!(matches!(
        layout.descriptor(1, 0, 0, 0),
        Err(ZipError::Sequence(_))
    ));
    assert!(matches!(layout.directory(&[]), Err(ZipError::Sequence(_))));
    assert!(matches!(
        layout.descriptor(0, 0, 2, 2),
        Err(ZipError::SizeMismatch {
            declared: 1,
            produced: 2,
            ..
        })
    ));
}

#[test]
fn bad_ranges_are_refused() {
    let entries = [TestEntry::new("a", 10)];
    let layout = layout_of(&entries, Limits::ZIP).unwrap();
    let size = layout.size().unwrap();
    let r = |first, last| ByteRange { first, last };
    for ranges in [
        vec![],
        vec![r(5, 4)],
        vec![r(0, size)],
        vec![r(size, size)],
        vec![r(5, 9), r(0, 1)],
        vec![r(0, 5), r(5, 6)],
    ] {
        assert_eq!(
            Zipper::with_ranges(layout.clone(), &ranges).map(|_| ()),
            Err(ZipError::BadRange),
            "{ranges:?}"
        );
    }
    assert!(layout.overlapping(3, 2).is_err());
    assert!(layout.overlapping(0, size).is_err());
    assert!(Zipper::with_ranges(layout, &[r(0, 5), r(6, size - 1)]).is_ok());
}

#[test]
fn an_empty_archive_is_an_end_record() {
    let layout = layout_of(&[], Limits::ZIP).unwrap();
    let bytes = archive(layout.clone(), &[], &[1]).unwrap();
    assert_eq!(bytes, [&b"PK\x05\x06"[..], &[0; 18]].concat());
    assert_eq!(layout.size(), Some(22));
}

pub(super) fn entries_strategy() -> impl Strategy<Value = Vec<TestEntry>> {
    let entry = (
        prop_oneof![0u64..8, 0u64..300, 1000u64..3000],
        prop::bool::weighted(0.15),
        prop::option::of(0u64..5_000_000_000),
        0u8..5,
    );
    proptest::collection::vec(entry, 0..12).prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(i, (size, unknown, secs, ahead))| {
                let name = if i % 3 == 1 {
                    format!("dir{}/fichier-{i}.txt", i % 2)
                } else {
                    format!("f{i}")
                };
                let mut entry = TestEntry::new(&name, size);
                entry.mtime = secs.map(|s| UNIX_EPOCH + Duration::from_secs(s));
                // 2 in 5 state their CRC ahead, 1 in 5 from a first pass.
                match ahead {
                    0 | 1 => entry = entry.crc_ahead(i),
                    2 => entry = entry.first_pass(),
                    _ => {}
                }
                if unknown {
                    entry = entry.unknown_size();
                }
                entry
            })
            .collect()
    })
}

pub(super) fn limits_strategy() -> impl Strategy<Value = Limits> {
    prop_oneof![
        Just(Limits::ZIP),
        (1u64..400, 0u64..6).prop_map(|(wide, entries)| Limits { wide, entries }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The size promise: a layout whose every size is known produces
    /// exactly `size()` bytes, whatever the chunks and the ZIP64 limits.
    #[test]
    fn the_size_is_exact(
        entries in entries_strategy(),
        limits in limits_strategy(),
        chunk in proptest::collection::vec(1usize..700, 1..4),
    ) {
        let known = all_known(&entries);
        let layout = layout_of(&known, limits).unwrap();
        let bytes = archive(layout.clone(), &known, &chunk).unwrap();
        prop_assert_eq!(layout.size(), Some(bytes.len() as u64));

        // With some sizes unknown: no size promised, and the same archive
        // but for the ZIP64 form of the unknown ones: 20 bytes of extra field
        // for those that would not be ZIP64 if known, and a 24-byte
        // descriptor instead of a 16-byte one (ZIP64 when known: 24), or of
        // none (CRC known ahead, which needs the size).
        let layout = layout_of(&entries, limits).unwrap();
        let any_unknown = entries.iter().any(|e| e.declared.is_none());
        prop_assert_eq!(layout.size().is_none(), any_unknown);
        let other = archive(layout, &entries, &chunk).unwrap();
        let grown: usize = entries
            .iter()
            .filter(|e| e.declared.is_none())
            .map(|e| {
                let narrow = e.actual < limits.wide;
                let ahead = e.stated_crc.is_some() || e.crc_pass;
                let known_descriptor = match (ahead, narrow) {
                    (true, _) => 0,
                    (false, true) => 16,
                    (false, false) => 24,
                };
                let extra = if narrow { 20 } else { 0 };
                extra + 24 - known_descriptor
            })
            .sum();
        if limits == Limits::ZIP {
            prop_assert_eq!(other.len(), bytes.len() + grown);
        } else {
            // Low limits: the shifted offsets may need ZIP64 fields too.
            prop_assert!(other.len() >= bytes.len() + grown);
        }
    }

    /// The range promise: the parts produced for any ranges are the slices
    /// of the whole archive, and `overlapping` names the segments holding them.
    #[test]
    fn ranges_are_slices_of_the_whole(
        entries in entries_strategy(),
        limits in limits_strategy(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 1..10),
        chunk in proptest::collection::vec(1usize..700, 1..4),
    ) {
        let known = all_known(&entries);
        let layout = layout_of(&known, limits).unwrap();
        let whole = archive(layout.clone(), &known, &chunk).unwrap();
        let size = whole.len() as u64;

        // Sorted distinct cut points, paired into sorted disjoint ranges.
        let mut points: Vec<u64> = cuts.iter().map(|c| c.index(whole.len()) as u64).collect();
        points.sort_unstable();
        points.dedup();
        let disjoint: Vec<ByteRange> = points
            .chunks(2)
            .map(|pair| ByteRange { first: pair[0], last: *pair.get(1).unwrap_or(&(size - 1)) })
            .collect();

        for stop_early in [false, true] {
            let mut zipper = Zipper::with_ranges(layout.clone(), &disjoint).unwrap();
            let mut parts = vec![Vec::new(); disjoint.len()];
            drive(&mut zipper, &known, &chunk, stop_early, &mut |part, b| parts[part].extend_from_slice(b)).unwrap();
            for (part, r) in parts.iter().zip(&disjoint) {
                prop_assert_eq!(&part[..], &whole[r.first as usize..=r.last as usize]);
            }
        }

        for r in &disjoint {
            let mut from_segments = Vec::new();
            let mut previous = None;
            for (index, within) in layout.overlapping(r.first, r.last).unwrap() {
                prop_assert!(previous.is_none_or(|p| p < index));
                previous = Some(index);
                let start = layout.segments()[index].offset.unwrap();
                from_segments.extend_from_slice(&whole[(start + within.start) as usize..(start + within.end) as usize]);
            }
            prop_assert_eq!(&from_segments[..], &whole[r.first as usize..=r.last as usize]);
        }
    }
}

#[cfg(feature = "deflate")]
#[test]
fn deflate_has_no_size_and_no_ranges() {
    let entries = [TestEntry::new("a.txt", 5000), TestEntry::new("b", 0)];
    let layout = Layout::plan(entries.iter().map(TestEntry::meta), Method::Deflate).unwrap();
    assert_eq!(layout.size(), None);
    assert!(matches!(
        Zipper::with_ranges(layout.clone(), &[ByteRange { first: 0, last: 0 }]),
        Err(ZipError::UnknownSize)
    ));
    let bytes = archive(layout, &entries, &[999]).unwrap();
    // The repetitive content compresses.
    assert!(bytes.len() < 2000, "{}", bytes.len());
}
