//! A ranged source's bytes for the parts of a 206 answer: each part's head
//! (empty for a single range), exactly the part's bytes from the source
//! opened or sought at its first byte, then the trailer.
//!
//! - Offset-aware generator: started at each part's first byte; only the bytes
//!   needed are taken from it (its last chunk is truncated, zero-copy, and no
//!   chunk more is pulled).
//! - Seekable reader: a seek to each part's first byte, then reads of at most
//!   [`CHUNK`] bytes up to the part's length.
//! - Async offset-aware source: opened at each part's first byte and taken up
//!   to the part's length; its stream is then dropped.
//!
//! A source that ends before its part does is an error: the part after it
//! must not start at the wrong byte (the body then aborts the connection).
//! The bodies that run these are in `body/range.rs`.

use std::{
    io::{self, Read, Seek, SeekFrom},
    pin::Pin,
    task::{Context, Poll},
    vec,
};

use bytes::{Bytes, BytesMut};

use crate::{
    chunk::{BoxError, CHUNK},
    file::{AsyncGenerate, BoxStream, ChunkIter, Generate, ReadSeek},
    multipart::Part,
};

/// Each part's head, then exactly its bytes from the generator started at its
/// first byte; then the trailer.
pub(crate) fn generated(generate: Generate, parts: Vec<Part>, trailer: Bytes) -> ChunkIter {
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

/// The parts of a seekable reader, as chunks: head, seek, reads up to the
/// part's length.
pub(crate) fn sought(
    reader: Box<dyn ReadSeek + Send>,
    parts: Vec<Part>,
    trailer: Bytes,
) -> impl Iterator<Item = Result<Bytes, BoxError>> + Send {
    SeekParts {
        reader,
        parts: parts.into_iter(),
        trailer: Some(trailer),
        seek_to: None,
        remaining: 0,
    }
}

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
pub(crate) fn opened(open: AsyncGenerate, parts: Vec<Part>, trailer: Bytes) -> BoxStream {
    Box::pin(AsyncParts {
        open,
        parts: parts.into_iter(),
        trailer: Some(trailer).filter(|t| !t.is_empty()),
        current: None,
    })
}

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
