//! The bodies of 206 answers (SPEC §8): one range, or `multipart/byteranges`,
//! streamed from the source, never buffered whole.
//!
//! - In memory: zero-copy slices of the content (≤ [`CHUNK`] bytes each),
//!   interleaved with the part headers, polled on the worker.
//! - Seekable reader: on the blocking pool, a seek to each part's first byte,
//!   then exactly the part's length.
//! - Offset-aware generator: on the blocking pool, the generator is started at
//!   each part's first byte and only the bytes needed are taken from it.
//!
//! The body declares its exact length, so the size enforcement of
//! [`DownloadBody`] aborts the connection when a source comes up short.

use std::io::{self, Read, Seek, SeekFrom};

use bytes::Bytes;

use super::{blocking, DownloadBody, Kind, CHUNK};
use crate::{
    file::{ChunkIter, ReadSeek, Source},
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
            Source::Seek(reader) => {
                Kind::Blocking(Some(Box::new(move |tx: &mut blocking::Sender| {
                    from_reader(reader, parts, trailer, tx)
                })))
            }
            Source::Generator(generate) => {
                Kind::Blocking(Some(Box::new(move |tx: &mut blocking::Sender| {
                    for part in parts {
                        push(tx, part.head)?;
                        take(generate(part.range.first), part.range.len(), tx)?;
                    }
                    push(tx, trailer)
                })))
            }
            // The plan only ranges over the three sources above; anything else
            // must not be sent as if it were the requested bytes.
            _ => Kind::Blocking(Some(Box::new(|_: &mut blocking::Sender| {
                Err(io::Error::other("this source cannot serve ranges"))
            }))),
        };
        DownloadBody {
            kind,
            declared: Some(declared),
            sent: 0,
            finished: false,
        }
    }
}

/// The segments (part heads, zero-copy slices, trailer) as a stream of chunks
/// of at most [`CHUNK`] bytes.
fn in_memory(bytes: &Bytes, parts: Vec<Part>, trailer: Bytes) -> Kind {
    let mut segments = Vec::with_capacity(parts.len() * 2 + 1);
    for part in parts {
        let ByteRange { first, last } = part.range;
        let Some(slice) = usize::try_from(last)
            .ok()
            .filter(|&last| last < bytes.len())
            .map(|last| bytes.slice(first as usize..=last))
        else {
            // Cannot happen for a plan made with the content's own length;
            // fail (abort) rather than panic or send wrong bytes.
            return Kind::Blocking(Some(Box::new(|_: &mut blocking::Sender| {
                Err(io::Error::other("range past the end of the content"))
            })));
        };
        segments.push(part.head);
        segments.push(slice);
    }
    segments.push(trailer);
    let chunks = segments.into_iter().flat_map(|mut segment| {
        std::iter::from_fn(move || {
            (!segment.is_empty()).then(|| segment.split_to(segment.len().min(CHUNK)))
        })
    });
    Kind::Stream(Box::pin(futures_util::stream::iter(
        chunks.map(Ok::<Bytes, crate::file::BoxError>),
    )))
}

fn push(tx: &mut blocking::Sender, bytes: Bytes) -> io::Result<()> {
    if bytes.is_empty() {
        Ok(())
    } else {
        tx.push(bytes)
    }
}

fn from_reader(
    mut reader: Box<dyn ReadSeek + Send>,
    parts: Vec<Part>,
    trailer: Bytes,
    tx: &mut blocking::Sender,
) -> io::Result<()> {
    for part in parts {
        push(tx, part.head)?;
        reader.seek(SeekFrom::Start(part.range.first))?;
        let mut limited = (&mut *reader).take(part.range.len());
        tx.read_from(&mut limited)?;
        if limited.limit() > 0 {
            return Err(short(limited.limit()));
        }
    }
    push(tx, trailer)
}

/// Hands over exactly `len` bytes of `iter`, truncating its last chunk and
/// never pulling a chunk more than needed.
fn take(iter: ChunkIter, mut len: u64, tx: &mut blocking::Sender) -> io::Result<()> {
    for item in iter {
        let mut chunk = item.map_err(io::Error::other)?;
        if chunk.len() as u64 >= len {
            // `len` <= chunk.len() here, so it fits in usize.
            chunk.truncate(len as usize);
            return push(tx, chunk);
        }
        len -= chunk.len() as u64;
        push(tx, chunk)?;
    }
    Err(short(len))
}

fn short(missing: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the source ended {missing} bytes short of the requested range"),
    )
}
