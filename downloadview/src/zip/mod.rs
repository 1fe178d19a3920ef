//! Zip archives, laid out before any byte is produced, so that
//! the archive's size is known for `Content-Length` and any byte range of it
//! can be produced exactly. The format is PKWARE's APPNOTE.TXT (6.3.x);
//! section numbers below are its own.
//!
//! The pieces, each pure and independent of any runtime:
//!
//! - [`name`]: entry names that cannot unpack outside the archive's folder.
//! - [`records`]: the bytes of every record, headed by its APPNOTE section.
//! - [`Layout`]: the segments of an archive of given entries and where each
//!   starts: local header, data, data descriptor for each entry, then the
//!   directory; the exact size when every entry's size is known (stored).
//! - [`Zipper`]: fed the entries' bytes in order, it produces the archive,
//!   or only some ranges of it, computing the CRCs on the way.
//! - [`validators`]: the archive's ETag and Last-Modified.
//!
//! # What the archive holds, and why
//!
//! Checked with Python's `zipfile`, Info-ZIP `unzip` 6.00 and libarchive's
//! `bsdtar` 3.6.2 (see `tests/test_zip_interop.rs` at the workspace's root),
//! reading from a file and, for `bsdtar`, from a pipe.
//!
//! - **The CRC in the local header when it is known before the data**: a
//!   stored entry of known size whose CRC-32 is known when the archive is
//!   planned (in-memory content, hashed then; or a CRC the caller gives with
//!   `VirtualFile::with_crc32`) states its CRC and sizes in its local header,
//!   bit 3 clear, and has no data descriptor: what every reader, including
//!   Java's `java.util.zip.ZipInputStream`, reads as it streams. So does an
//!   entry whose CRC a first pass over its source gives
//!   (`VirtualFile::with_crc32_first_pass`): planned the same, its local
//!   header's CRC filled in by the assembler once the first pass has fed it
//!   (`Step::Hash`). The assembler checks the data against the stated CRC
//!   and fails the archive on a mismatch.
//! - **Data descriptors** (4.4.4 bit 3, 4.3.9) on every other entry, with
//!   their signature: the CRC is only known once the data has gone out, and
//!   libarchive's streaming reader finds the end of stored data by looking
//!   for the signature followed by the running CRC. Java's `ZipInputStream`
//!   refuses a stored entry with a descriptor ("only DEFLATED entries can
//!   have EXT descriptor"); deflated entries with one it reads.
//! - **The local header of a stored entry of known size holds its real
//!   sizes** (and a zero CRC). APPNOTE 4.4.4 says the three fields are zero
//!   with bit 3; but it is what Info-ZIP `zip` and `bsdtar` themselves write
//!   when they stream stored files (`zip -0 - f | …`, `bsdtar -cf - --format
//!   zip`), all three readers accept both forms from a file and a pipe, and a
//!   streaming listing shows the sizes instead of 0 (`… | bsdtar -tvf -`).
//!   Deflated entries have zeros there: their compressed size is unknown.
//! - **ZIP64** (4.5.3) for an entry whose size is 4 GiB or more, or unknown:
//!   the local header goes first, so an entry that could pass 4 GiB must be
//!   ZIP64 from the start (sizes 0xFFFFFFFF, the extra field with zeros, an
//!   8-byte descriptor), which is what Info-ZIP `zip` writes for a pipe. The
//!   central directory uses ZIP64 fields only for the values that need them
//!   (a size, or an offset past 4 GiB), and the end records (4.3.14,
//!   4.3.15) appear from 65,535 entries on, or when the directory's size or
//!   offset passes 4 GiB.
//! - Bit 11 (UTF-8) on non-ASCII names; `version needed` 20, or 45 with
//!   ZIP64; `version made by` UNIX, so the external attributes (4.4.15) hold
//!   each entry's Unix mode: `rw-r--r--` unless given, and the folder type
//!   (with the MS-DOS folder bit) for folder entries, which are named with
//!   a trailing `/` and stored with no data (4.3.8).
//! - DOS times (4.4.6) from the entries' modification times, in UTC: before
//!   1980 is 1980-01-01 00:00:00. An entry without a time (and a folder)
//!   gets the archive's `dated` time, else the latest of the other entries',
//!   else 1980-01-01: a value that does not change between requests keeps
//!   the bytes, and the ETag, the same.
//!
//! A limit of every writer that streams with data descriptors: a streaming
//! reader that scans for the descriptor (libarchive from a pipe) can be
//! fooled by an entry whose bytes contain a descriptor signature followed by
//! the CRC and sizes of what precedes it. Readers that use the central
//! directory, the three above given a file, are not.

use std::fmt;

mod layout;
pub(crate) mod name;
pub(crate) mod records;
pub(crate) mod validators;
mod zipper;

#[cfg(test)]
mod tests;

pub(crate) use self::{
    layout::{prepare, EntryMeta, Layout},
    name::NameError,
    records::Method,
    zipper::Zipper,
};
#[cfg(test)]
pub(crate) use self::{
    layout::{Placed, Segment},
    records::Written,
};
// The assembler's vocabulary, for the tests that drive it.
#[cfg(test)]
use crate::assemble::{Piece, PieceBytes, Step};

/// Why an archive cannot be planned or produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ZipError {
    /// An entry's name is refused.
    Name(NameError),
    /// The sizes add up past `u64`.
    TooLarge,
    /// An entry gave more or fewer bytes than its declared size.
    SizeMismatch {
        /// The entry.
        index: usize,
        /// Its name.
        name: String,
        /// Its declared size.
        declared: u64,
        /// The bytes it gave (so far, when `more`).
        produced: u64,
        /// It gave `produced` bytes or more: it was stopped there.
        more: bool,
    },
    /// An entry's data does not have the CRC-32 stated for it in its local
    /// header (given with `VirtualFile::with_crc32`, or computed by a first
    /// pass over its source).
    CrcMismatch {
        /// The entry.
        index: usize,
        /// Its name.
        name: String,
        /// The CRC stated ahead.
        stated: u32,
        /// The CRC of the bytes its source gave.
        computed: u32,
        /// `stated` came from a first pass over the source
        /// (`VirtualFile::with_crc32_first_pass`), not from the caller.
        first_pass: bool,
    },
    /// An entry asks for a first pass (`VirtualFile::with_crc32_first_pass`)
    /// but its source can be read only once.
    ReadOnce {
        /// The entry.
        index: usize,
        /// Its name.
        name: String,
        /// What its source is.
        kind: &'static str,
    },
    /// An entry's mode has bits beyond the permissions (0o777): set-user-ID,
    /// set-group-ID, sticky, or a file type.
    Mode {
        /// The entry.
        index: usize,
        /// Its name.
        name: String,
        /// The mode given.
        mode: u32,
    },
    /// An entry planned without ZIP64 grew past what its fields can hold
    /// (compressed data past its bound).
    Overflow {
        /// The entry.
        index: usize,
        /// Its name.
        name: String,
    },
    /// A tar entry's size is unknown: tar writes it before the data.
    SizeNeeded {
        /// The entry.
        index: usize,
        /// Its name.
        name: String,
    },
    /// Ranges were asked of an archive whose size is unknown.
    UnknownSize,
    /// A range is empty, past the end, or not after the one before it.
    BadRange,
    /// The assembler was called out of order: a bug in the caller.
    Sequence(&'static str),
    /// The compressor failed.
    #[cfg(feature = "deflate")]
    Deflate(String),
}

impl fmt::Display for ZipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZipError::Name(err) => err.fmt(f),
            ZipError::TooLarge => f.write_str("the archive would be larger than 2^64 bytes"),
            ZipError::SizeMismatch {
                index,
                name,
                declared,
                produced,
                more,
            } => write!(
                f,
                "archive entry {index} ({name:?}): declared {declared} bytes, but its source gave {}{produced}",
                if *more { "at least " } else { "" }
            ),
            ZipError::CrcMismatch {
                index,
                name,
                stated,
                computed,
                first_pass,
            } => write!(
                f,
                "archive entry {index} ({name:?}): its CRC-32 was {} as {stated:08x}, but its source gave bytes of CRC-32 {computed:08x}{}",
                if *first_pass { "computed by a first pass" } else { "given" },
                if *first_pass { " the second time: it must give the same bytes each time it is read" } else { "" }
            ),
            ZipError::ReadOnce { index, name, kind } => write!(
                f,
                "archive entry {index} ({name:?}): with_crc32_first_pass reads its source twice, \
                 but its source ({kind}) can be read only once; use an offset-aware generator, a seekable \
                 reader, an async generator or in-memory content, give its CRC with \
                 VirtualFile::with_crc32, or deflate the archive"
            ),
            ZipError::Mode { index, name, mode } => write!(
                f,
                "archive entry {index} ({name:?}): mode {mode:#o} has bits beyond the permissions 0o777 \
                 (set-user-ID, set-group-ID, sticky or a file type), which an archive for download does not carry"
            ),
            ZipError::Overflow { index, name } => write!(
                f,
                "archive entry {index} ({name:?}): its compressed size passed 4 GiB without ZIP64"
            ),
            ZipError::SizeNeeded { index, name } => write!(
                f,
                "archive entry {index} ({name:?}): its size is unknown, and a tar entry's size \
                 comes before its data; declare it with VirtualFile::with_size (or use a zip)"
            ),
            ZipError::UnknownSize => {
                f.write_str("the archive's size is unknown, so it cannot serve ranges")
            }
            ZipError::BadRange => {
                f.write_str("the ranges must be sorted, disjoint and within the archive")
            }
            ZipError::Sequence(what) => write!(f, "zip assembler misused: {what}"),
            #[cfg(feature = "deflate")]
            ZipError::Deflate(err) => write!(f, "deflate failed: {err}"),
        }
    }
}

impl std::error::Error for ZipError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ZipError::Name(err) => Some(err),
            _ => None,
        }
    }
}
