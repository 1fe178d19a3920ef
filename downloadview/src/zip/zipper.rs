//! The streaming assembler: fed every entry's bytes in order, it produces the
//! archive over a [`Layout`], or only the requested ranges of it.

use bytes::{Bytes, BytesMut};

use super::{
    layout::{Entry, Layout},
    records::{self, Method, Written},
    ZipError,
};
use crate::{
    assemble::{Assemble, Piece, PieceBytes, Step, Window},
    range::ByteRange,
};

/// Central headers are rendered in pieces of about this many bytes, so a
/// directory of a million entries never sits in memory whole: the engine's
/// largest chunk ([`CHUNK`](crate::chunk::CHUNK)), so a piece is one
/// hand-over.
const DIRECTORY_PIECE: usize = 64 * 1024;

/// The entry being fed.
#[derive(Debug)]
struct Open {
    index: usize,
    /// Where its local header starts.
    offset: u64,
    hasher: crc32fast::Hasher,
    fed: u64,
    /// The CRC its local header stated, which its data must have.
    stated: Option<u32>,
    /// `stated` came from a first pass.
    first_pass: bool,
    /// The bytes of compressed data out so far.
    #[cfg(feature = "deflate")]
    compressed: u64,
}

impl Open {
    fn new(index: usize, offset: u64, stated: Option<u32>, first_pass: bool) -> Open {
        Open {
            index,
            offset,
            hasher: crc32fast::Hasher::new(),
            fed: 0,
            stated,
            first_pass,
            #[cfg(feature = "deflate")]
            compressed: 0,
        }
    }
}

#[derive(Debug)]
enum State {
    /// Entry `n` (or the directory, past the last) comes next.
    Before(usize),
    /// The first pass over an entry: its bytes are hashed, not sent.
    Hashing(Open),
    Entry(Open),
    /// Central headers from `next` on, of a directory at `start`, `size`
    /// bytes of central headers long.
    Directory {
        next: usize,
        start: u64,
        size: u64,
    },
    Done,
    /// An error was returned: nothing more can be produced.
    Failed,
}

/// Assembles an archive over a [`Layout`] from its entries' bytes.
///
/// The caller gives every entry's bytes in order, from the first byte,
/// whatever it asked for: the CRCs of entries before a range are needed by
/// the descriptors and the directory inside it. Only the wanted bytes come
/// out, as [`Piece`]s; the rest is counted and hashed, never copied, and
/// directory records outside the ranges are not even rendered.
///
/// ```text
/// loop {
///     match zipper.advance(&mut out)? {
///         Step::Entry(i) => for chunk in entry(i) { zipper.feed(&chunk, &mut out)? },
///         // A first pass: its bytes are hashed, not sent; `Entry(i)` follows.
///         Step::Hash(i) => for chunk in entry(i) { zipper.feed(&chunk, &mut out)? },
///         Step::Directory => {}
///         Step::Done => break,
///     }
///     // send `out`, and clear it
/// }
/// ```
///
/// An entry that gives more or fewer bytes than its declared size is an
/// error ([`ZipError::SizeMismatch`]): the archive cannot be completed and
/// must not look complete. After any error every call fails.
#[derive(Debug)]
pub(crate) struct Zipper {
    layout: Layout,
    window: Window,
    state: State,
    /// The CRC the first pass over the next entry gave.
    passed: Option<u32>,
    written: Vec<Written>,
    #[cfg(feature = "deflate")]
    deflate: Option<flate2::Compress>,
}

impl Zipper {
    /// Produces the whole archive.
    pub(crate) fn new(layout: Layout) -> Zipper {
        Zipper::with_window(layout, Window::whole())
    }

    /// Produces only `ranges` of the archive, each as its own part: sorted,
    /// disjoint, within the archive, as `range::plan` returns them.
    ///
    /// Fails when the archive's size is unknown, or the ranges are not so.
    pub(crate) fn with_ranges(layout: Layout, ranges: &[ByteRange]) -> Result<Zipper, ZipError> {
        let size = layout.size().ok_or(ZipError::UnknownSize)?;
        let window = Window::ranges(ranges, size)?;
        Ok(Zipper::with_window(layout, window))
    }

    fn with_window(layout: Layout, window: Window) -> Zipper {
        let count = layout.entry_count();
        Zipper {
            layout,
            window,
            state: State::Before(0),
            passed: None,
            written: Vec::with_capacity(count),
            #[cfg(feature = "deflate")]
            deflate: None,
        }
    }

    /// The layout being produced.
    #[cfg(test)]
    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    /// False once every wanted byte is out: the caller may stop feeding
    /// (a range that ends before the archive does).
    pub(crate) fn wants_more(&self) -> bool {
        !self.window.is_done() && !matches!(self.state, State::Done)
    }
}

impl Assemble for Zipper {
    fn fail(&mut self) {
        self.state = State::Failed;
    }

    fn step(&mut self, out: &mut Vec<Piece>) -> Result<Step, ZipError> {
        loop {
            match std::mem::replace(&mut self.state, State::Failed) {
                State::Failed => return Err(ZipError::Sequence("the archive already failed")),
                State::Done => {
                    self.state = State::Done;
                    return Ok(Step::Done);
                }
                State::Entry(open) => {
                    let next = open.index + 1;
                    self.end_entry(open, out)?;
                    self.state = State::Before(next);
                }
                State::Hashing(open) => {
                    // The first pass has ended: it must have given the
                    // declared size, which the local header states.
                    self.produced(&open)?;
                    self.passed = Some(open.hasher.finalize());
                    self.state = State::Before(open.index);
                }
                State::Before(index) => {
                    let Some(entry) = self.layout.entries().get(index) else {
                        let size = self.layout.central_size(&self.written)?;
                        self.state = State::Directory {
                            next: 0,
                            start: self.window.pos,
                            size,
                        };
                        continue;
                    };
                    let offset = self.window.pos;
                    let len = entry.local.len() as u64;
                    let (stated, first_pass) = if entry.crc_pass {
                        match self.passed.take() {
                            Some(crc) => (Some(crc), true),
                            // Its local header is wanted: it needs the CRC,
                            // from a first pass over the entry.
                            None if self.window.wants(offset, len) => {
                                self.state = State::Hashing(Open::new(index, offset, None, false));
                                return Ok(Step::Hash(index));
                            }
                            // Not wanted (before a range): read once, its
                            // CRC (for the directory) computed as it goes by.
                            None => (None, false),
                        }
                    } else {
                        (entry.header.crc, false)
                    };
                    // The planned header holds 0 for a CRC a first pass gives.
                    match stated.filter(|_| first_pass) {
                        Some(crc) => {
                            let local = records::with_local_crc(&entry.local, crc).freeze();
                            self.window.take_made(&local, out)?;
                        }
                        None => self.window.take_made(&entry.local, out)?,
                    }
                    #[cfg(feature = "deflate")]
                    if let Some(compress) = &mut self.deflate {
                        compress.reset();
                    }
                    self.state = State::Entry(Open::new(index, offset, stated, first_pass));
                    return Ok(Step::Entry(index));
                }
                State::Directory { next, start, size } => {
                    let next = self.directory_piece(next, out)?;
                    if next < self.written.len() {
                        self.state = State::Directory { next, start, size };
                        return Ok(Step::Directory);
                    }
                    let len = self.layout.end_records_len(start, size);
                    if self.window.wants(self.window.pos, len) {
                        let mut end = BytesMut::with_capacity(len as usize);
                        self.layout.end_records(start, size, &mut end);
                        self.window.take_made(&end.freeze(), out)?;
                    } else {
                        self.window.skip(len)?;
                    }
                    self.state = State::Done;
                    return Ok(Step::Done);
                }
            }
        }
    }

    fn take_data(&mut self, data: &[u8], out: &mut Vec<Piece>) -> Result<(), ZipError> {
        let (open, hashing) = match &mut self.state {
            State::Entry(open) => (open, false),
            State::Hashing(open) => (open, true),
            _ => {
                return Err(ZipError::Sequence(
                    "feed comes after advance gives an entry",
                ))
            }
        };
        let entry = self
            .layout
            .entries()
            .get(open.index)
            .ok_or(ZipError::Sequence("no such entry"))?;
        let fed = open
            .fed
            .checked_add(data.len() as u64)
            .ok_or(ZipError::TooLarge)?;
        if let Some(declared) = entry.size.filter(|&declared| fed > declared) {
            return Err(ZipError::SizeMismatch {
                index: open.index,
                name: entry.name.clone(),
                declared,
                produced: fed,
                more: true,
            });
        }
        open.hasher.update(data);
        open.fed = fed;
        if hashing {
            return Ok(());
        }
        match entry.header.method {
            Method::Stored => self.window.take(data.len() as u64, out, PieceBytes::Fed),
            #[cfg(feature = "deflate")]
            Method::Deflate => compress(
                &mut self.window,
                &mut self.deflate,
                open,
                data,
                flate2::FlushCompress::None,
                out,
            ),
        }
    }
}

impl Zipper {
    #[cfg_attr(not(feature = "deflate"), allow(unused_mut))]
    fn end_entry(&mut self, mut open: Open, out: &mut Vec<Piece>) -> Result<(), ZipError> {
        #[cfg(feature = "deflate")]
        if self
            .layout
            .entries()
            .get(open.index)
            .map(|e| e.header.method)
            == Some(Method::Deflate)
        {
            compress(
                &mut self.window,
                &mut self.deflate,
                &mut open,
                &[],
                flate2::FlushCompress::Finish,
                out,
            )?;
        }
        self.write_descriptor(open, out)
    }

    /// The entry `open` has produced, once it checks out at its declared
    /// size (a pass that ends early is short; one that gives more fails
    /// when fed).
    fn produced(&self, open: &Open) -> Result<&Entry, ZipError> {
        let entry = self
            .layout
            .entries()
            .get(open.index)
            .ok_or(ZipError::Sequence("no such entry"))?;
        match entry.size {
            Some(declared) if declared != open.fed => Err(ZipError::SizeMismatch {
                index: open.index,
                name: entry.name.clone(),
                declared,
                produced: open.fed,
                more: false,
            }),
            _ => Ok(entry),
        }
    }

    fn write_descriptor(&mut self, open: Open, out: &mut Vec<Piece>) -> Result<(), ZipError> {
        let entry = self.produced(&open)?;
        let compressed = match entry.header.method {
            Method::Stored => open.fed,
            #[cfg(feature = "deflate")]
            Method::Deflate => open.compressed,
        };
        let crc = open.hasher.finalize();
        match open.stated {
            // Stated in the local header: the data must match it, or the
            // archive already sent is corrupt.
            Some(stated) if stated != crc => {
                return Err(ZipError::CrcMismatch {
                    index: open.index,
                    name: entry.name.clone(),
                    stated,
                    computed: crc,
                    first_pass: open.first_pass,
                })
            }
            Some(_) => {}
            // Its CRC ahead, from a first pass that did not run: its local
            // header was not wanted, so nothing states another CRC.
            None if !entry.header.has_descriptor() => {}
            None => {
                let descriptor = self
                    .layout
                    .descriptor_bytes(open.index, crc, compressed, open.fed)?;
                let bytes = descriptor.as_slice();
                if self.window.wants(self.window.pos, bytes.len() as u64) {
                    self.window.take_made(&Bytes::copy_from_slice(bytes), out)?;
                } else {
                    self.window.skip(bytes.len() as u64)?;
                }
            }
        }
        self.written.push(Written {
            crc,
            compressed,
            uncompressed: open.fed,
            offset: open.offset,
        });
        Ok(())
    }

    /// Pushes the central headers from `next` on, about [`DIRECTORY_PIECE`]
    /// bytes of them; returns the next header to render.
    fn directory_piece(
        &mut self,
        mut next: usize,
        out: &mut Vec<Piece>,
    ) -> Result<usize, ZipError> {
        let mut buffer = BytesMut::new();
        while next < self.written.len() && buffer.len() < DIRECTORY_PIECE {
            let (Some(entry), Some(written)) =
                (self.layout.entries().get(next), self.written.get(next))
            else {
                break;
            };
            let len = self.layout.central_len(entry, written);
            let at = self.window.pos.saturating_add(buffer.len() as u64);
            if self.window.wants(at, len) {
                self.layout.central_header(entry, written, &mut buffer);
            } else {
                // Not wanted: flush what is rendered, then only count it.
                self.window.take_made(&buffer.split().freeze(), out)?;
                self.window.skip(len)?;
            }
            next += 1;
        }
        self.window.take_made(&buffer.freeze(), out)?;
        Ok(next)
    }
}

/// Deflates `input` for entry `open` into pieces of compressed data; with
/// `Finish`, ends its stream.
#[cfg(feature = "deflate")]
fn compress(
    window: &mut Window,
    compress: &mut Option<flate2::Compress>,
    open: &mut Open,
    mut input: &[u8],
    flush: flate2::FlushCompress,
    out: &mut Vec<Piece>,
) -> Result<(), ZipError> {
    // Deflate output per call: the engine's largest chunk, one hand-over.
    const OUTPUT: usize = 64 * 1024;
    let compress = compress
        .get_or_insert_with(|| flate2::Compress::new(flate2::Compression::default(), false));
    let finishing = matches!(flush, flate2::FlushCompress::Finish);
    loop {
        let mut buffer = Vec::with_capacity(OUTPUT);
        let before = compress.total_in();
        let status = compress
            .compress_vec(input, &mut buffer, flush)
            .map_err(|e| ZipError::Deflate(e.to_string()))?;
        let consumed = usize::try_from(compress.total_in() - before).unwrap_or(usize::MAX);
        input = input.get(consumed..).unwrap_or_default();
        let produced = buffer.len();
        if produced > 0 {
            open.compressed = open
                .compressed
                .checked_add(produced as u64)
                .ok_or(ZipError::TooLarge)?;
            window.take_made(&Bytes::from(buffer), out)?;
        }
        let done = if finishing {
            status == flate2::Status::StreamEnd
        } else {
            input.is_empty() && produced < OUTPUT
        };
        if done {
            return Ok(());
        }
        if consumed == 0 && produced == 0 {
            return Err(ZipError::Deflate("the compressor made no progress".into()));
        }
    }
}
