//! The bodies of 206 answers: one range, or `multipart/byteranges`,
//! streamed from the source, never buffered whole.
//!
//! - In memory: zero-copy slices of the content (≤ [`CHUNK`](crate::chunk::CHUNK)
//!   bytes each), interleaved with the part headers, polled on the worker.
//! - Seekable readers and offset-aware generators: their parts (`parts.rs`)
//!   as a pull source, a step at a time on the blocking pool like any other.
//! - Async offset-aware sources: their parts as a stream, on the worker.
//! - Archive: produced from its start through the format's assembler, which
//!   keeps the bytes of the parts (`archive/body.rs`).
//!
//! The exact length is declared, so the size enforcement aborts the
//! connection when a source comes up short.

use std::io;

use bytes::Bytes;

use super::{DownloadBody, Kind, Receiver, Slices};
use crate::{
    archive::{ArchiveBody, Assembler},
    chunk::{BoxError, Items},
    file::Source,
    multipart::{Multipart, Part},
    parts,
    range::ByteRange,
};

impl DownloadBody {
    /// The body of a single-range 206: the bytes `range` of `source`.
    pub(crate) fn single_range(source: Source, range: ByteRange) -> Self {
        let part = Part {
            head: Bytes::new(),
            range,
        };
        Self::parts(source, vec![part], Bytes::new(), range.len())
    }

    /// The body of a `multipart/byteranges` 206, laid out by `layout`.
    pub(crate) fn multipart(source: Source, layout: Multipart) -> Self {
        let declared = layout.content_length();
        Self::parts(source, layout.parts, layout.trailer, declared)
    }

    fn parts(source: Source, parts: Vec<Part>, trailer: Bytes, declared: u64) -> Self {
        let kind = match source {
            Source::Bytes(bytes) => in_memory(&bytes, parts, trailer),
            Source::Seek(reader) => Kind::Channel(Receiver::pull(Box::new(Items(parts::sought(
                reader, parts, trailer,
            ))))),
            Source::Generator(generate) => Kind::Channel(Receiver::pull(Box::new(Items(
                parts::generated(generate, parts, trailer),
            )))),
            Source::Archive(packed) => archive(*packed, parts, trailer),
            Source::AsyncGenerator(open) => Kind::Stream(parts::opened(open, parts, trailer)),
            // The plan only ranges over the three sources above; anything else
            // must not be sent as if it were the requested bytes.
            _ => failing("this source cannot serve ranges"),
        };
        DownloadBody::of_kind(kind, Some(declared))
    }
}

/// The parts of an archive: the assembler produces the archive from its
/// start (a zip's CRCs before a range are needed; a tar skips the entries
/// before it) and keeps the ranges' bytes.
fn archive(packed: crate::file::Packed, parts: Vec<Part>, trailer: Bytes) -> Kind {
    let ranges: Vec<ByteRange> = parts.iter().map(|part| part.range).collect();
    match Assembler::ranges(packed.plan, &ranges) {
        Ok(assembler) => {
            let heads = parts.into_iter().map(|part| part.head).collect();
            Kind::Archive(Box::new(ArchiveBody::with(
                assembler,
                packed.entries,
                heads,
                trailer,
            )))
        }
        // The plan gives sorted, disjoint ranges within a known size.
        Err(_) => failing("the archive cannot serve these ranges"),
    }
}

/// A body that fails at once (the response is aborted).
fn failing(why: &'static str) -> Kind {
    Kind::Stream(Box::pin(futures_util::stream::once(async move {
        Err::<Bytes, BoxError>(io::Error::other(why).into())
    })))
}

/// The segments (part heads, zero-copy slices, trailer), sent as zero-copy
/// slices.
fn in_memory(bytes: &Bytes, parts: Vec<Part>, trailer: Bytes) -> Kind {
    let mut segments = Vec::with_capacity(parts.len() * 2 + 1);
    for part in parts {
        let ByteRange { first, last } = part.range;
        let Some(slice) = usize::try_from(last)
            .ok()
            .filter(|&last| last < bytes.len())
            // first <= last < bytes.len(): both fit in usize.
            .map(|last| bytes.slice(first as usize..=last))
        else {
            // Cannot happen for a plan made with the content's own length;
            // abort rather than panic or send wrong bytes.
            return failing("range past the end of the content");
        };
        segments.push(part.head);
        segments.push(slice);
    }
    segments.push(trailer);
    Kind::Slices(Slices::new(segments))
}
