//! Tar archives, laid out before any byte is produced: POSIX ustar headers,
//! with pax extended headers (POSIX.1-2001) for the names and sizes ustar
//! cannot hold, each entry's data padded to 512-byte blocks, and two zero
//! blocks at the end.
//!
//! Every header is known when the archive is built (tar has no CRC), so the
//! exact size is too, and every entry's size must be: tar writes it before
//! the data. A range of the archive needs only the entries it overlaps: the
//! others are skipped unread ([`Step::Skip`]).
//!
//! Checked with GNU tar, libarchive's `bsdtar` and Python's `tarfile` (see
//! `tests/test_tar.rs`), reading from a file and from a pipe.
//!
//! - Owner and group are 0 with empty names: unpacked files belong to
//!   whoever unpacks them (GNU tar as root keeps uid 0).
//! - Modification times are the entries' (seconds, UTC); before 1970 is 0.
//! - The archive ends after its two zero blocks, with no padding to a
//!   10 KiB record: every reader above accepts that.

#[cfg(feature = "deflate")]
mod gzip;
mod header;

use bytes::Bytes;

#[cfg(feature = "deflate")]
pub(crate) use self::gzip::Gzipped;
use self::header::{headers, padding, Meta, BLOCK};
use crate::{
    assemble::{Assemble, Piece, PieceBytes, Step, Window},
    range::ByteRange,
    zip::{
        prepare,
        validators::{fnv1a, FNV_OFFSET},
        EntryMeta, ZipError,
    },
};

/// The end of a tar archive: two zero blocks (and the zeros data is padded
/// with, which are fewer).
static ZEROS: [u8; 2 * BLOCK as usize] = [0; 2 * BLOCK as usize];

/// Bumped whenever the bytes written for the same entries change, so that
/// no cache mixes two layouts' bytes under one ETag.
const LAYOUT_VERSION: &[u8] = b"downloadview tar layout 1";

/// One planned entry.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    size: u64,
    mtime: u64,
    mode: u32,
    /// Its pax and ustar headers, one slice of a buffer shared by all.
    headers: Bytes,
}

/// The planned archive: every entry's headers, and its exact size.
#[derive(Debug, Clone)]
pub(crate) struct TarLayout {
    entries: Vec<Entry>,
    size: u64,
}

impl TarLayout {
    /// Plans a tar of `entries`: their names and modes checked as for a zip,
    /// folders named with a trailing `/`, and every size known.
    pub(crate) fn plan(
        entries: impl IntoIterator<Item = EntryMeta>,
    ) -> Result<TarLayout, ZipError> {
        let mut metas: Vec<EntryMeta> = entries.into_iter().collect();
        prepare(&mut metas)?;
        let mut buffer = Vec::new();
        let mut ends = Vec::with_capacity(metas.len());
        let mut planned = Vec::with_capacity(metas.len());
        for (index, meta) in metas.into_iter().enumerate() {
            let Some(size) = meta.size else {
                return Err(ZipError::SizeNeeded {
                    index,
                    name: meta.name,
                });
            };
            let mtime = meta
                .mtime
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            let mode = meta.mode.unwrap_or(if meta.folder { 0o755 } else { 0o644 });
            buffer.extend_from_slice(&headers(&Meta {
                name: &meta.name,
                size,
                mtime,
                mode,
                folder: meta.folder,
            }));
            ends.push(buffer.len());
            planned.push((meta.name, size, mtime, mode));
        }
        let buffer = Bytes::from(buffer);
        let mut start = 0;
        let mut total: u64 = 2 * BLOCK;
        let mut entries = Vec::with_capacity(planned.len());
        for ((name, size, mtime, mode), end) in planned.into_iter().zip(ends) {
            let headers = buffer.slice(start..end);
            start = end;
            total = [headers.len() as u64, size, padding(size)]
                .into_iter()
                .try_fold(total, u64::checked_add)
                .ok_or(ZipError::TooLarge)?;
            entries.push(Entry {
                name,
                size,
                mtime,
                mode,
                headers,
            });
        }
        Ok(TarLayout {
            entries,
            size: total,
        })
    }

    /// The archive's exact size.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The archive's ETag: `"tar-"` and the 64-bit FNV-1a of what decides
    /// its bytes (the layout version, then each entry's name, size, time,
    /// mode and tag, length-prefixed); `None` unless every entry has a
    /// strong tag (a folder passes its own, fixed one). Weak when the
    /// archive is gzip-compressed (the bytes then depend on the compressor).
    pub(crate) fn etag<'a>(
        &self,
        tags: impl IntoIterator<Item = Option<&'a actix_web::http::header::EntityTag>>,
        gzip: bool,
    ) -> Option<actix_web::http::header::EntityTag> {
        use actix_web::http::header::EntityTag;
        let mut hash = fnv1a(FNV_OFFSET, LAYOUT_VERSION);
        hash = fnv1a(hash, &[u8::from(gzip)]);
        hash = fnv1a(hash, &(self.entries.len() as u64).to_le_bytes());
        let mut tags = tags.into_iter();
        for entry in &self.entries {
            let tag = tags.next()??;
            if tag.weak {
                return None;
            }
            hash = fnv1a(hash, &(entry.name.len() as u64).to_le_bytes());
            hash = fnv1a(hash, entry.name.as_bytes());
            hash = fnv1a(hash, &entry.size.to_le_bytes());
            hash = fnv1a(hash, &entry.mtime.to_le_bytes());
            hash = fnv1a(hash, &entry.mode.to_le_bytes());
            hash = fnv1a(hash, &(tag.tag().len() as u64).to_le_bytes());
            hash = fnv1a(hash, tag.tag().as_bytes());
        }
        if tags.next().is_some() {
            return None;
        }
        let tag = format!("tar-{hash:016x}");
        Some(if gzip {
            EntityTag::new_weak(tag)
        } else {
            EntityTag::new_strong(tag)
        })
    }
}

#[derive(Debug)]
enum State {
    /// Entry `n` (or the end, past the last) comes next.
    Before(usize),
    /// Entry `index` is being fed; `fed` bytes so far.
    Entry {
        index: usize,
        fed: u64,
    },
    Done,
    /// An error was returned: nothing more can be produced.
    Failed,
}

/// Assembles a tar over a [`TarLayout`] from its entries' bytes, as
/// [`Zipper`](crate::zip::Zipper) does a zip: the caller advances, feeds the
/// entry it is given, and sends the [`Piece`]s. Only the wanted bytes come
/// out; an entry none of whose data is wanted is [`Step::Skip`]ped, not
/// fed. An entry that gives more or fewer bytes than its size is an error.
#[derive(Debug)]
pub(crate) struct Tarrer {
    layout: TarLayout,
    window: Window,
    state: State,
}

impl Tarrer {
    /// Produces the whole archive.
    pub(crate) fn new(layout: TarLayout) -> Tarrer {
        Tarrer {
            layout,
            window: Window::whole(),
            state: State::Before(0),
        }
    }

    /// Produces only `ranges` of the archive, each as its own part: sorted,
    /// disjoint, within the archive.
    pub(crate) fn with_ranges(layout: TarLayout, ranges: &[ByteRange]) -> Result<Tarrer, ZipError> {
        let window = Window::ranges(ranges, layout.size)?;
        Ok(Tarrer {
            layout,
            window,
            state: State::Before(0),
        })
    }

    /// False once every wanted byte is out.
    pub(crate) fn wants_more(&self) -> bool {
        !self.window.is_done() && !matches!(self.state, State::Done)
    }

    /// Pushes `len` zero bytes of the archive (padding or the end), if
    /// wanted.
    fn zeros(&mut self, len: u64, out: &mut Vec<Piece>) -> Result<(), ZipError> {
        if self.window.wants(self.window.pos, len) {
            // `len` is at most two blocks.
            let zeros = Bytes::from_static(&ZEROS[..len as usize]);
            self.window.take_made(&zeros, out)
        } else {
            self.window.skip(len)
        }
    }
}

impl Assemble for Tarrer {
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
                State::Entry { index, fed } => {
                    let entry = &self.layout.entries[index];
                    if fed != entry.size {
                        return Err(ZipError::SizeMismatch {
                            index,
                            name: entry.name.clone(),
                            declared: entry.size,
                            produced: fed,
                            more: false,
                        });
                    }
                    self.zeros(padding(fed), out)?;
                    self.state = State::Before(index + 1);
                }
                State::Before(index) => {
                    let Some(entry) = self.layout.entries.get(index) else {
                        self.zeros(2 * BLOCK, out)?;
                        self.state = State::Done;
                        return Ok(Step::Done);
                    };
                    let (headers, size) = (entry.headers.clone(), entry.size);
                    self.window.take_made(&headers, out)?;
                    // An empty entry is still run (it costs nothing): its
                    // source must give nothing.
                    if size == 0 || self.window.wants(self.window.pos, size) {
                        self.state = State::Entry { index, fed: 0 };
                        return Ok(Step::Entry(index));
                    }
                    self.window.skip(size)?;
                    self.zeros(padding(size), out)?;
                    self.state = State::Before(index + 1);
                    return Ok(Step::Skip(index));
                }
            }
        }
    }

    fn take_data(&mut self, data: &[u8], out: &mut Vec<Piece>) -> Result<(), ZipError> {
        let State::Entry { index, fed } = &mut self.state else {
            return Err(ZipError::Sequence(
                "feed comes after advance gives an entry",
            ));
        };
        let entry = &self.layout.entries[*index];
        let total = fed
            .checked_add(data.len() as u64)
            .filter(|&total| total <= entry.size)
            .ok_or_else(|| ZipError::SizeMismatch {
                index: *index,
                name: entry.name.clone(),
                declared: entry.size,
                produced: fed.saturating_add(data.len() as u64),
                more: true,
            })?;
        *fed = total;
        self.window.take(data.len() as u64, out, PieceBytes::Fed)
    }
}

#[cfg(test)]
mod tests;
