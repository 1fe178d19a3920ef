//! The bodies of 206 answers: one range, or `multipart/byteranges`,
//! streamed from the source, never buffered whole.
//!
//! - In memory: zero-copy slices of the content (≤ [`CHUNK`] bytes each),
//!   interleaved with the part headers, polled on the worker.
//! - Seekable reader: a seek to each part's first byte, then reads of at most
//!   [`CHUNK`] bytes up to the part's length.
//! - Offset-aware generator: started at each part's first byte; only the bytes
//!   needed are taken from it (its last chunk is truncated, zero-copy, and no
//!   chunk more is pulled).
//! - Archive: produced from its start through the zip assembler, which keeps
//!   the bytes of the parts (`body/archive.rs`).
//!
//! Readers and generators become a lazy chunk iterator, pulled a step at a
//! time on the blocking pool like any pull source. The exact length is
//! declared, so the size enforcement aborts the connection when a source
//! comes up short.

use std::{
    io::{self, Read, Seek, SeekFrom},
    pin::Pin,
    task::{Context, Poll},
    vec,
};

use bytes::{Bytes, BytesMut};

use super::{archive::Assembler, ArchiveBody, DownloadBody, Kind, Receiver, Slices};
use crate::{
    chunk::{BoxError, Items, CHUNK},
    file::{AsyncGenerate, BoxStream, ChunkIter, Generate, ReadSeek, Source},
    multipart::{Multipart, Part},
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
            Source::Seek(reader) => Kind::Channel(Receiver::pull(Box::new(Items(SeekParts {
                reader,
                parts: parts.into_iter(),
                trailer: Some(trailer),
                seek_to: None,
                remaining: 0,
            })))),
            Source::Generator(generate) => Kind::Channel(Receiver::pull(Box::new(Items(
                generated(generate, parts, trailer),
            )))),
            Source::Archive(packed) => archive(*packed, parts, trailer),
            Source::AsyncGenerator(open) => Kind::Stream(Box::pin(AsyncParts {
                open,
                parts: parts.into_iter(),
                trailer: Some(trailer).filter(|t| !t.is_empty()),
                current: None,
            })),
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

/// Each part's head, then exactly its bytes from the generator started at its
/// first byte; then the trailer.
fn generated(generate: Generate, parts: Vec<Part>, trailer: Bytes) -> ChunkIter {
    let iter = parts
        .into_iter()
        .flat_map(move |part| {
            let head = (!part.head.is_empty()).then_some(Ok(part.head));
            let data = Take {
                inner: generate(part.range.first),
                remaining: part.range.len(),
            };
            head.into_iter().chain(data)
        })
        .chain((!trailer.is_empty()).then_some(Ok(trailer)));
    Box::new(iter)
}

/// Exactly `remaining` bytes of a chunk iterator, or an error if it ends
/// before; never pulls a chunk more than needed.
struct Take {
    inner: ChunkIter,
    remaining: u64,
}

impl Iterator for Take {
    type Item = Result<Bytes, BoxError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.remaining > 0 {
            let mut chunk = match self.inner.next() {
                Some(Ok(chunk)) => chunk,
                Some(Err(err)) => return Some(Err(err)),
                None => {
                    let missing = std::mem::take(&mut self.remaining);
                    return Some(Err(short(missing).into()));
                }
            };
            if chunk.is_empty() {
                continue;
            }
            if chunk.len() as u64 > self.remaining {
                // remaining < chunk.len(): it fits in usize.
                chunk.truncate(self.remaining as usize);
            }
            self.remaining -= chunk.len() as u64;
            return Some(Ok(chunk));
        }
        None
    }
}

/// The parts of a seekable reader: head, seek, reads up to the part's length.
struct SeekParts {
    reader: Box<dyn ReadSeek + Send>,
    parts: vec::IntoIter<Part>,
    trailer: Option<Bytes>,
    /// The seek still to do before reading the current part.
    seek_to: Option<u64>,
    /// Bytes of the current part still to read.
    remaining: u64,
}

impl SeekParts {
    fn read_chunk(&mut self) -> io::Result<Bytes> {
        if let Some(first) = self.seek_to.take() {
            self.reader.seek(SeekFrom::Start(first))?;
        }
        // remaining is capped by CHUNK here: it fits in usize.
        let want = self.remaining.min(CHUNK as u64) as usize;
        let mut buf = BytesMut::zeroed(want);
        let n = loop {
            match self.reader.read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if n == 0 {
            return Err(short(std::mem::take(&mut self.remaining)));
        }
        buf.truncate(n);
        self.remaining -= n as u64;
        Ok(buf.freeze())
    }
}

impl Iterator for SeekParts {
    type Item = Result<Bytes, BoxError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.remaining > 0 {
                return Some(self.read_chunk().map_err(Into::into));
            }
            match self.parts.next() {
                Some(part) => {
                    self.seek_to = Some(part.range.first);
                    self.remaining = part.range.len();
                    if !part.head.is_empty() {
                        return Some(Ok(part.head));
                    }
                }
                None => return self.trailer.take().filter(|t| !t.is_empty()).map(Ok),
            }
        }
    }
}

fn short(missing: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the source ended {missing} bytes short of the requested range"),
    )
}

/// The parts of an async offset-aware source: each part's head, then the
/// source opened at the part's first byte and taken up to its length (the
/// chunks past it are not pulled: the stream is dropped), then the trailer.
struct AsyncParts {
    open: AsyncGenerate,
    parts: vec::IntoIter<Part>,
    trailer: Option<Bytes>,
    /// The part being sent: its stream, and the bytes it still owes.
    current: Option<(BoxStream, u64)>,
}

impl futures_core::Stream for AsyncParts {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // `AsyncParts` is `Unpin`: its stream is boxed.
        let this = self.get_mut();
        loop {
            if let Some((stream, left)) = &mut this.current {
                if *left == 0 {
                    this.current = None;
                    continue;
                }
                return match stream.as_mut().poll_next(cx) {
                    Poll::Ready(Some(Ok(mut chunk))) => {
                        // `left` is below the chunk's length when it cuts.
                        if chunk.len() as u64 > *left {
                            chunk.truncate(*left as usize);
                        }
                        *left -= chunk.len() as u64;
                        Poll::Ready(Some(Ok(chunk)))
                    }
                    Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(err))),
                    // Short: the next part must not start here.
                    Poll::Ready(None) => Poll::Ready(Some(Err(
                        "the async source ended before the range did".into(),
                    ))),
                    Poll::Pending => Poll::Pending,
                };
            }
            let Some(part) = this.parts.next() else {
                return Poll::Ready(this.trailer.take().map(Ok));
            };
            this.current = Some(((this.open)(part.range.first), part.range.len()));
            if !part.head.is_empty() {
                return Poll::Ready(Some(Ok(part.head)));
            }
        }
    }
}
