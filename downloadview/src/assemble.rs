//! What the archive assemblers (zip's `Zipper`, tar's `Tarrer`) share: the
//! pieces they hand the body, the steps they take, and the window of
//! requested ranges that decides which of their bytes are wanted.

use std::ops::Range;

use bytes::Bytes;

use crate::{range::ByteRange, zip::ZipError};

/// Archive bytes to send, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    /// Which requested range they belong to (0 for the whole archive).
    pub(crate) part: usize,
    /// The bytes.
    pub(crate) bytes: PieceBytes,
}

/// Where a piece's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PieceBytes {
    /// A slice of the chunk just given to the assembler's `feed`: stored data goes
    /// out as it came, and a caller holding the chunk as [`Bytes`] slices it
    /// without a copy.
    Fed(Range<usize>),
    /// Bytes the archive adds: headers, descriptors, the directory, padding,
    /// or compressed data.
    Made(Bytes),
}

/// What an assembler's `advance` did ([`Zipper::advance`](crate::zip::Zipper::advance)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Entry `n`'s header is out: feed its bytes, then advance again.
    Entry(usize),
    /// Entry `n`'s header is out, and none of its data is wanted: drop its
    /// source unread, then advance again (tar, outside the ranges).
    Skip(usize),
    /// Entry `n`'s first pass (zip, `VirtualFile::with_crc32_first_pass`):
    /// feed all its bytes, which are hashed, not sent, from a second reader
    /// of its source, then advance again; its header goes out then, and
    /// `Entry(n)` asks for its bytes again.
    Hash(usize),
    /// A piece of the directory is out: advance again.
    Directory,
    /// The archive is complete.
    Done,
}

/// What an archive format's assembler does (zip's `Zipper`, tar's `Tarrer`):
/// steps through the archive, fed with its entries' bytes. A step or a
/// feed that fails leaves it failed: every later call is an error (the
/// body aborts the connection at the first).
pub(crate) trait Assemble {
    /// The next step, without the failure latch of [`advance`](Self::advance).
    fn step(&mut self, out: &mut Vec<Piece>) -> Result<Step, ZipError>;

    /// Takes the entry's next bytes, without the failure latch of
    /// [`feed`](Self::feed).
    fn take_data(&mut self, data: &[u8], out: &mut Vec<Piece>) -> Result<(), ZipError>;

    /// Marks the assembler failed.
    fn fail(&mut self);

    /// Ends the entry being fed, if any (checking its size; a zip checks its
    /// CRC or pushes its descriptor), then starts the next one (its header),
    /// or pushes the next piece of what follows the entries.
    fn advance(&mut self, out: &mut Vec<Piece>) -> Result<Step, ZipError> {
        let result = self.step(out);
        if result.is_err() {
            self.fail();
        }
        result
    }

    /// Gives the entry being fed its next bytes.
    fn feed(&mut self, data: &[u8], out: &mut Vec<Piece>) -> Result<(), ZipError> {
        let result = self.take_data(data, out);
        if result.is_err() {
            self.fail();
        }
        result
    }
}

/// A stretch `start..end` of the archive that is wanted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub(crate) start: u64,
    pub(crate) end: u64,
}

/// The wanted spans, and how far the archive has got.
#[derive(Debug)]
pub(crate) struct Window {
    pub(crate) spans: Vec<Span>,
    /// The first span that does not end at or before `pos`.
    pub(crate) cursor: usize,
    /// The archive offset of the next byte.
    pub(crate) pos: u64,
}

impl Window {
    /// Whether any of the `len` bytes at `at` (at or after `pos`) is wanted.
    pub(crate) fn wants(&self, at: u64, len: u64) -> bool {
        let end = at.saturating_add(len);
        self.spans[self.cursor..]
            .iter()
            .take_while(|s| s.start < end)
            .any(|s| s.end > at && len > 0)
    }

    /// Moves past the next `len` bytes, pushing the wanted parts of them as
    /// pieces made by `bytes` from ranges within those `len` bytes.
    pub(crate) fn take(
        &mut self,
        len: u64,
        out: &mut Vec<Piece>,
        mut bytes: impl FnMut(Range<usize>) -> PieceBytes,
    ) -> Result<(), ZipError> {
        let start = self.pos;
        let end = start.checked_add(len).ok_or(ZipError::TooLarge)?;
        for (part, span) in self.spans.iter().enumerate().skip(self.cursor) {
            if span.start >= end {
                break;
            }
            let (a, b) = (span.start.max(start), span.end.min(end));
            if a < b {
                // Both are within the `len` bytes, which the caller holds as
                // one slice: the differences fit in usize.
                let range = (a - start) as usize..(b - start) as usize;
                out.push(Piece {
                    part,
                    bytes: bytes(range),
                });
            }
        }
        while self
            .spans
            .get(self.cursor)
            .is_some_and(|span| span.end <= end)
        {
            self.cursor += 1;
        }
        self.pos = end;
        Ok(())
    }

    /// Moves past the next `len` bytes, which no span wants.
    pub(crate) fn skip(&mut self, len: u64) -> Result<(), ZipError> {
        self.take(len, &mut Vec::new(), |_| PieceBytes::Fed(0..0))
    }

    /// Pushes `bytes`, the next bytes of the archive, clipped to the spans.
    pub(crate) fn take_made(
        &mut self,
        bytes: &Bytes,
        out: &mut Vec<Piece>,
    ) -> Result<(), ZipError> {
        self.take(bytes.len() as u64, out, |r| {
            PieceBytes::Made(bytes.slice(r))
        })
    }
}

impl Window {
    /// Every byte of the archive.
    pub(crate) fn whole() -> Window {
        Window {
            spans: vec![Span {
                start: 0,
                end: u64::MAX,
            }],
            cursor: 0,
            pos: 0,
        }
    }

    /// Only `ranges` of an archive of `size` bytes, each as its own part:
    /// sorted, disjoint, within the archive, as `range::plan` returns them.
    pub(crate) fn ranges(ranges: &[ByteRange], size: u64) -> Result<Window, ZipError> {
        let mut spans: Vec<Span> = Vec::with_capacity(ranges.len());
        for range in ranges {
            let after_previous = spans.last().is_none_or(|s| s.end <= range.first);
            if range.first > range.last || range.last >= size || !after_previous {
                return Err(ZipError::BadRange);
            }
            spans.push(Span {
                start: range.first,
                end: range.last + 1,
            });
        }
        if spans.is_empty() {
            return Err(ZipError::BadRange);
        }
        Ok(Window {
            spans,
            cursor: 0,
            pos: 0,
        })
    }

    /// Whether every wanted byte is out.
    pub(crate) fn is_done(&self) -> bool {
        self.cursor >= self.spans.len()
    }
}
