//! Archive bodies: the entries' sources run one after the other,
//! each as its own kind runs, and their bytes go through the format's
//! assembler (zip's [`Zipper`], tar's [`Tarrer`], or that through gzip),
//! which adds the headers (and a zip's descriptors and directory) and keeps
//! only the bytes of the requested ranges.
//!
//! It runs on the worker, like the body itself: blocking entries still run
//! off it (pull steps, writer threads), and the worker's share is what the
//! assembler does per chunk (a CRC, at several GB/s). Bytes before a range
//! are produced and hashed but not sent; so that a long skip never keeps
//! the worker from its other connections, the body yields after
//! [`SKIP_BUDGET`] bytes without output.

use std::{
    collections::VecDeque,
    io,
    task::{Context, Poll},
};

use bytes::Bytes;

use super::Kind;
#[cfg(feature = "deflate")]
use crate::tar::Gzipped;
use crate::{
    archive::Plan,
    assemble::{Piece, PieceBytes, Step},
    file::{Packed, Packing},
    range::ByteRange,
    tar::Tarrer,
    zip::{ZipError, Zipper},
};

/// The assembler of an archive's format.
pub(crate) enum Assembler {
    Zip(Zipper),
    Tar(Tarrer),
    #[cfg(feature = "deflate")]
    TarGz(Box<Gzipped>),
}

impl Assembler {
    /// The whole archive.
    fn whole(plan: Plan) -> Assembler {
        match plan {
            Plan::Zip(layout) => Assembler::Zip(Zipper::new(layout)),
            Plan::Tar(layout) => Assembler::Tar(Tarrer::new(layout)),
            #[cfg(feature = "deflate")]
            Plan::TarGz(layout) => Assembler::TarGz(Box::new(Gzipped::new(layout))),
        }
    }

    /// Only `ranges` of the archive (sorted, disjoint, within its size).
    pub(crate) fn ranges(plan: Plan, ranges: &[ByteRange]) -> Result<Assembler, ZipError> {
        match plan {
            Plan::Zip(layout) => Zipper::with_ranges(layout, ranges).map(Assembler::Zip),
            Plan::Tar(layout) => Tarrer::with_ranges(layout, ranges).map(Assembler::Tar),
            #[cfg(feature = "deflate")]
            Plan::TarGz(_) => Err(ZipError::UnknownSize),
        }
    }

    fn advance(&mut self, out: &mut Vec<Piece>) -> Result<Step, ZipError> {
        match self {
            Assembler::Zip(zipper) => zipper.advance(out),
            Assembler::Tar(tarrer) => tarrer.advance(out),
            #[cfg(feature = "deflate")]
            Assembler::TarGz(gzipped) => gzipped.advance(out),
        }
    }

    fn feed(&mut self, data: &[u8], out: &mut Vec<Piece>) -> Result<(), ZipError> {
        match self {
            Assembler::Zip(zipper) => zipper.feed(data, out),
            Assembler::Tar(tarrer) => tarrer.feed(data, out),
            #[cfg(feature = "deflate")]
            Assembler::TarGz(gzipped) => gzipped.feed(data, out),
        }
    }

    fn wants_more(&self) -> bool {
        match self {
            Assembler::Zip(zipper) => zipper.wants_more(),
            Assembler::Tar(tarrer) => tarrer.wants_more(),
            #[cfg(feature = "deflate")]
            Assembler::TarGz(gzipped) => gzipped.wants_more(),
        }
    }
}

/// Bytes hashed without anything to send before the body lets the worker
/// run its other tasks (it asks to be polled again at once). The archive
/// phase of `bench/` measured the assembler at 1.8 GB/s on one core (its
/// CRCs 9 % of the samples), so this is about 0.6 ms of the worker, the
/// order of one 64 KiB chunk written to a socket several times over.
const SKIP_BUDGET: usize = 1 << 20;

pub(crate) struct ArchiveBody {
    assembler: Assembler,
    /// The entries' sources not yet started, in order.
    entries: VecDeque<Packing>,
    /// The entry being produced.
    current: Option<Kind>,
    /// Archive bytes ready to send.
    out: VecDeque<Bytes>,
    pieces: Vec<Piece>,
    /// Multipart: the head of each part, sent before its first byte, and the
    /// trailer, sent last.
    heads: Vec<Bytes>,
    part: Option<usize>,
    trailer: Option<Bytes>,
    done: bool,
}

impl ArchiveBody {
    /// The whole archive.
    pub(crate) fn new(packed: Packed) -> Self {
        let Packed { plan, entries, .. } = packed;
        Self::with(Assembler::whole(plan), entries, Vec::new(), Bytes::new())
    }

    /// `assembler` (over some ranges), each part headed by `heads[part]`
    /// when given, then `trailer`.
    pub(crate) fn with(
        assembler: Assembler,
        entries: Vec<Packing>,
        heads: Vec<Bytes>,
        trailer: Bytes,
    ) -> Self {
        ArchiveBody {
            assembler,
            entries: entries.into(),
            current: None,
            out: VecDeque::new(),
            pieces: Vec::new(),
            heads,
            part: None,
            trailer: (!trailer.is_empty()).then_some(trailer),
            done: false,
        }
    }

    /// Queues the pieces the assembler gave; `chunk` is what it was fed.
    fn take_pieces(&mut self, chunk: Option<&Bytes>) {
        for Piece { part, bytes } in self.pieces.drain(..) {
            if self.part != Some(part) {
                self.part = Some(part);
                if let Some(head) = self.heads.get(part).filter(|h| !h.is_empty()) {
                    self.out.push_back(head.clone());
                }
            }
            let bytes = match (bytes, chunk) {
                (PieceBytes::Made(bytes), _) => bytes,
                (PieceBytes::Fed(range), Some(chunk)) => chunk.slice(range),
                (PieceBytes::Fed(_), None) => continue,
            };
            if !bytes.is_empty() {
                self.out.push_back(bytes);
            }
        }
    }

    /// Ends the archive: the entries left are dropped (their producers stop),
    /// the trailer goes last.
    fn finish(&mut self) {
        self.current = None;
        self.entries.clear();
        if let Some(trailer) = self.trailer.take() {
            self.out.push_back(trailer);
        }
        self.done = true;
    }

    /// The entry being produced, if any.
    pub(crate) fn current(&self) -> Option<&Kind> {
        self.current.as_ref()
    }

    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        let mut skipped = 0;
        loop {
            if let Some(bytes) = self.out.pop_front() {
                return Poll::Ready(Some(Ok(bytes)));
            }
            if self.done {
                return Poll::Ready(None);
            }
            if !self.assembler.wants_more() {
                // A range that ends before the archive does: nothing more to
                // produce.
                self.finish();
                continue;
            }
            if skipped >= SKIP_BUDGET {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            match &mut self.current {
                None => match self.assembler.advance(&mut self.pieces) {
                    Ok(Step::Entry(_)) => {
                        let Some(Packing { source, .. }) = self.entries.pop_front() else {
                            return fail("the archive has more entries than sources");
                        };
                        self.current = Some(Kind::of(source));
                        self.take_pieces(None);
                    }
                    Ok(Step::Hash(_)) => {
                        // The first pass: a second reader of the entry's
                        // source, run as its kind runs; its bytes are hashed
                        // by the assembler, not sent.
                        let first_pass = self.entries.front_mut().and_then(|e| e.first_pass.take());
                        let Some(source) = first_pass else {
                            return fail(
                                "an archive entry asked for a first pass cannot be read twice",
                            );
                        };
                        self.current = Some(Kind::of(source));
                        self.take_pieces(None);
                    }
                    Ok(Step::Skip(_)) => {
                        // None of its data is wanted: its source never runs.
                        drop(self.entries.pop_front());
                        self.take_pieces(None);
                    }
                    Ok(Step::Directory) => self.take_pieces(None),
                    Ok(Step::Done) => {
                        self.take_pieces(None);
                        self.finish();
                    }
                    Err(err) => return fail(err.to_string()),
                },
                Some(kind) => match kind.poll(cx) {
                    Poll::Ready(Some(Ok(chunk))) => {
                        if let Err(err) = self.assembler.feed(&chunk, &mut self.pieces) {
                            return fail(err.to_string());
                        }
                        let before = self.out.len();
                        self.take_pieces(Some(&chunk));
                        if self.out.len() == before {
                            skipped += chunk.len();
                        }
                    }
                    Poll::Ready(Some(Err(err))) => return Poll::Ready(Some(Err(err))),
                    // The entry has ended; the next `advance` checks its size
                    // and sends its descriptor.
                    Poll::Ready(None) => self.current = None,
                    Poll::Pending => return Poll::Pending,
                },
            }
        }
    }
}

fn fail(why: impl Into<String>) -> Poll<Option<io::Result<Bytes>>> {
    Poll::Ready(Some(Err(io::Error::other(why.into()))))
}
