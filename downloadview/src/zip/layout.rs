//! The layout of an archive, planned before any byte is produced: its
//! segments in order, where each starts, and the exact total size when every
//! entry's size is known (stored).

#[cfg(test)]
use std::ops::Range;
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};

use super::{
    name,
    records::{self, Header, Limits, Method, Written, FLAG_DESCRIPTOR, FLAG_UTF8},
    ZipError,
};

/// One entry as the caller describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryMeta {
    /// A relative path with `/` separators (see [`name::check`]).
    pub(crate) name: String,
    /// The entry's size in bytes, when known before its data.
    pub(crate) size: Option<u64>,
    /// Its modification time, written as a DOS time (APPNOTE 4.4.6).
    pub(crate) mtime: Option<SystemTime>,
    /// The CRC-32 of its content, when known before its data: a stored entry
    /// of known size then states it in its local header, and has no data
    /// descriptor.
    pub(crate) crc: Option<u32>,
    /// Its CRC-32 comes from a first pass over its source, run when the
    /// archive is produced (`VirtualFile::with_crc32_first_pass`): a stored
    /// entry of known size is then planned as one whose CRC is known ahead
    /// (no data descriptor), its local header's CRC filled in by the
    /// [`Zipper`](super::Zipper) once the first pass has run.
    pub(crate) crc_pass: bool,
    /// A folder entry (an empty folder, or a folder's own mode): `name`
    /// without its trailing `/`, which the archive adds; no data.
    pub(crate) folder: bool,
    /// Its Unix permission bits (at most 0o777); `None`: 0o644 for a file,
    /// 0o755 for a folder.
    pub(crate) mode: Option<u32>,
}

impl EntryMeta {
    /// A file entry with no CRC ahead and the default mode.
    pub(crate) fn file(
        name: impl Into<String>,
        size: Option<u64>,
        mtime: Option<SystemTime>,
    ) -> Self {
        EntryMeta {
            name: name.into(),
            size,
            mtime,
            crc: None,
            crc_pass: false,
            folder: false,
            mode: None,
        }
    }
}

/// Checks the entries of an archive of either format and readies its
/// folders: the names ([`name::check_all`]), the modes (permissions only, at
/// most 0o777), and each folder named with its trailing `/` (zip's APPNOTE
/// 4.3.8 and tar's ustar both name folders so), of no data (size 0, CRC 0).
pub(crate) fn prepare(metas: &mut [EntryMeta]) -> Result<(), ZipError> {
    name::check_all(metas.iter().map(|m| (m.name.as_str(), m.folder))).map_err(ZipError::Name)?;
    for (index, meta) in metas.iter_mut().enumerate() {
        if let Some(mode) = meta.mode.filter(|&mode| mode > 0o777) {
            return Err(ZipError::Mode {
                index,
                name: meta.name.clone(),
                mode,
            });
        }
        if meta.folder {
            meta.name.push('/');
            meta.size = Some(0);
            meta.crc = Some(0);
        }
    }
    Ok(())
}

/// A stretch of the archive, in order.
///
/// The plan places each one (its offset and length make the archive's size
/// and the directory's offsets) but keeps the list only in test builds
/// (`Layout::segments`), whose tests check every segment's bytes: a
/// download holds its plan to its end, and the list was a third of it
/// (three of these per entry).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum Segment {
    /// Bytes known at planning time: an entry's local file header (4.3.7).
    Fixed(Bytes),
    /// The entry's data: its bytes as they are (stored), or compressed.
    Data {
        /// The entry's index.
        entry: usize,
    },
    /// The entry's data descriptor (4.3.9): rendered once its CRC (and, for
    /// deflate, its compressed size) is known, by
    /// [`Layout::descriptor_bytes`].
    Descriptor {
        /// The entry's index.
        entry: usize,
    },
    /// The central directory (4.3.12), the ZIP64 end records when needed
    /// (4.3.14, 4.3.15) and the end record (4.3.16): rendered once every
    /// CRC is known, by the [`Zipper`](super::Zipper).
    Directory,
}

/// A segment and where it lies.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placed {
    /// What it holds.
    pub(crate) segment: Segment,
    /// Where it starts in the archive: `None` after a segment of unknown length.
    pub(crate) offset: Option<u64>,
    /// Its length: `None` for compressed data, data of unknown size, and the
    /// directory of an archive with either.
    pub(crate) len: Option<u64>,
}

/// One planned entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) size: Option<u64>,
    pub(super) header: Header,
    /// Its local file header: a slice of one buffer shared by all entries.
    pub(super) local: Bytes,
    /// Its CRC comes from a first pass: `local` holds 0 in its place, which
    /// the zipper fills in ([`EntryMeta::crc_pass`]).
    pub(super) crc_pass: bool,
}

impl Entry {
    /// The length of its data descriptor: 0 when it has none.
    #[cfg(test)]
    fn descriptor_len(&self) -> u64 {
        if self.header.has_descriptor() {
            records::descriptor_len(self.header.zip64)
        } else {
            0
        }
    }
}

/// The planned archive: the entries' headers and every segment's place.
///
/// [`size`](Self::size) is exact: the bytes a [`Zipper`](super::Zipper)
/// produces over this layout, and what `Content-Length` can promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    limits: Limits,
    method: Method,
    entries: Vec<Entry>,
    #[cfg(test)]
    segments: Vec<Placed>,
    size: Option<u64>,
}

/// Adds two lengths of which either may be unknown; an overflow of `u64` is
/// an archive too large to describe.
fn add(a: Option<u64>, b: Option<u64>) -> Result<Option<u64>, ZipError> {
    match (a, b) {
        (Some(a), Some(b)) => a.checked_add(b).map(Some).ok_or(ZipError::TooLarge),
        _ => Ok(None),
    }
}

/// An upper bound of what deflate makes of `n` bytes. Incompressible data
/// grows by 5 bytes per stored block of up to 65,535 bytes (RFC 1951
/// §3.2.4); n/8 + 1 KiB is a wide margin over that. Above it the entry is
/// ZIP64 from the start.
#[cfg(feature = "deflate")]
fn deflate_bound(n: u64) -> Option<u64> {
    n.checked_add(n / 8)?.checked_add(1024)
}

impl Layout {
    /// Plans an archive of `entries` compressed with `method`.
    ///
    /// Refuses a bad name or a name clash ([`name::check_all`]), and sizes
    /// that add up past `u64`. Each entry is ZIP64 (APPNOTE 4.5.3: the
    /// extra field in its local header, 8-byte sizes in its descriptor) when
    /// its size is 4 GiB or more, or unknown: an entry of unknown size could
    /// pass 4 GiB, and the local header, sent first, must say so in advance
    /// (Info-ZIP's `zip` does the same when it reads a pipe). The offsets and
    /// the end records go ZIP64 on their own, in the directory, when they
    /// need it.
    pub(crate) fn plan(
        entries: impl IntoIterator<Item = EntryMeta>,
        method: Method,
    ) -> Result<Layout, ZipError> {
        Layout::plan_with(entries, method, Limits::ZIP)
    }

    /// [`plan`](Self::plan) with other ZIP64 limits (tests).
    pub(super) fn plan_with(
        entries: impl IntoIterator<Item = EntryMeta>,
        method: Method,
        limits: Limits,
    ) -> Result<Layout, ZipError> {
        let mut metas: Vec<EntryMeta> = entries.into_iter().collect();
        prepare(&mut metas)?;

        let headers: Vec<Header> = metas
            .iter()
            .map(|meta| {
                // A folder has no data to compress: stored, in any archive.
                let method = if meta.folder { Method::Stored } else { method };
                let (zip64, local_size) = match method {
                    Method::Stored => (meta.size.is_none_or(|s| !limits.fits(s)), meta.size),
                    #[cfg(feature = "deflate")]
                    Method::Deflate => (
                        meta.size
                            .and_then(deflate_bound)
                            .is_none_or(|b| !limits.fits(b)),
                        None,
                    ),
                };
                let (time, date) = records::dos_date_time(meta.mtime);
                // The CRC goes ahead of the data only with the sizes: a
                // stored entry of known size. A deflated entry's compressed
                // size is known only at its end: it keeps its descriptor.
                let crc = meta.crc.filter(|_| local_size.is_some());
                // A first pass gives it ahead too (filled in when produced).
                let ahead = crc.is_some() || (meta.crc_pass && local_size.is_some());
                let descriptor = if ahead { 0 } else { FLAG_DESCRIPTOR };
                Header {
                    flags: descriptor | if meta.name.is_ascii() { 0 } else { FLAG_UTF8 },
                    method,
                    time,
                    date,
                    zip64,
                    local_size,
                    crc,
                    external: records::external_attributes(
                        meta.folder,
                        meta.mode.unwrap_or(if meta.folder {
                            records::FOLDER_MODE
                        } else {
                            records::FILE_MODE
                        }),
                    ),
                }
            })
            .collect();

        // Every local header in one buffer, sliced per entry.
        let mut buffer = BytesMut::new();
        let mut ends = Vec::with_capacity(metas.len());
        for (meta, header) in metas.iter().zip(&headers) {
            records::local_header(header, &meta.name, &mut buffer);
            ends.push(buffer.len());
        }
        let buffer = buffer.freeze();
        let mut start = 0;
        let entries: Vec<Entry> = metas
            .into_iter()
            .zip(headers)
            .zip(ends)
            .map(|((meta, header), end)| {
                let local = buffer.slice(start..end);
                start = end;
                Entry {
                    crc_pass: meta.crc_pass && header.crc.is_none() && !header.has_descriptor(),
                    name: meta.name,
                    size: meta.size,
                    header,
                    local,
                }
            })
            .collect();

        #[cfg(test)]
        let mut segments = Vec::with_capacity(entries.len() * 3 + 1);
        let mut offset = Some(0);
        let mut place = |segment: Segment, len: Option<u64>| -> Result<Option<u64>, ZipError> {
            let start = offset;
            offset = add(offset, len)?;
            #[cfg(test)]
            segments.push(Placed {
                segment,
                offset: start,
                len,
            });
            #[cfg(not(test))]
            drop(segment);
            Ok(start)
        };
        let mut written = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let at = place(
                Segment::Fixed(entry.local.clone()),
                Some(entry.local.len() as u64),
            )?;
            let data = match entry.header.method {
                Method::Stored => entry.size,
                #[cfg(feature = "deflate")]
                Method::Deflate => None,
            };
            place(Segment::Data { entry: index }, data)?;
            if entry.header.has_descriptor() {
                place(
                    Segment::Descriptor { entry: index },
                    Some(records::descriptor_len(entry.header.zip64)),
                )?;
            }
            // What the directory will say, when it is known now (the CRC
            // does not change a record's length).
            if let (Some(offset), Some(size)) = (at, data) {
                written.push(Written {
                    crc: 0,
                    compressed: size,
                    uncompressed: size,
                    offset,
                });
            }
        }
        let mut layout = Layout {
            limits,
            method,
            entries,
            #[cfg(test)]
            segments,
            size: None,
        };
        let directory_len = match offset {
            Some(start) if written.len() == layout.entries.len() => {
                Some(layout.directory_len(&written, start)?)
            }
            _ => None,
        };
        #[cfg(test)]
        layout.segments.push(Placed {
            segment: Segment::Directory,
            offset,
            len: directory_len,
        });
        layout.size = add(offset, directory_len)?;
        Ok(layout)
    }

    /// The exact size of the archive; `None` when an entry's size is unknown
    /// or the entries are compressed.
    pub(crate) fn size(&self) -> Option<u64> {
        self.size
    }

    /// The compression method.
    pub(crate) fn method(&self) -> Method {
        self.method
    }

    /// The segments in archive order: for each entry its local header, data
    /// and descriptor (unless its CRC is in its local header), then the
    /// directory.
    #[cfg(test)]
    pub(crate) fn segments(&self) -> &[Placed] {
        &self.segments
    }

    /// The number of entries.
    pub(crate) fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// Entry `index`'s name, and its size when known.
    #[cfg(test)]
    pub(crate) fn entry(&self, index: usize) -> Option<(&str, Option<u64>)> {
        self.entries.get(index).map(|e| (e.name.as_str(), e.size))
    }

    pub(super) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The segments that overlap the bytes `first..=last` of the archive, in
    /// order, each with the part of it they cover (offsets within the
    /// segment): what the engine must produce to answer that range.
    ///
    /// Fails when the size is unknown, or the range is empty or past the end.
    #[cfg(test)]
    pub(crate) fn overlapping(
        &self,
        first: u64,
        last: u64,
    ) -> Result<impl Iterator<Item = (usize, Range<u64>)> + '_, ZipError> {
        let size = self.size.ok_or(ZipError::UnknownSize)?;
        if first > last || last >= size {
            return Err(ZipError::BadRange);
        }
        // With the size known, every offset and length is.
        let bounds = |p: &Placed| {
            let start = p.offset.unwrap_or(0);
            (start, start.saturating_add(p.len.unwrap_or(0)))
        };
        let from = self.segments.partition_point(|p| bounds(p).1 <= first);
        Ok(self.segments[from..]
            .iter()
            .enumerate()
            .map(move |(i, p)| (from + i, bounds(p)))
            .take_while(move |&(_, (start, _))| start <= last)
            .filter(|&(_, (start, end))| start < end)
            .map(move |(i, (start, end))| {
                let a = first.max(start);
                let b = end.min(last.saturating_add(1));
                (i, a - start..b - start)
            }))
    }

    /// Entry `index`'s data descriptor (4.3.9), once its data has given
    /// `crc` and its sizes.
    ///
    /// Fails for an unknown entry, sizes that differ from the declared size,
    /// and sizes too large for an entry planned without ZIP64.
    #[cfg(test)]
    pub(crate) fn descriptor(
        &self,
        index: usize,
        crc: u32,
        compressed: u64,
        uncompressed: u64,
    ) -> Result<Bytes, ZipError> {
        let entry = self
            .entries
            .get(index)
            .ok_or(ZipError::Sequence("no such entry"))?;
        if let Some(declared) = entry.size {
            if declared != uncompressed {
                return Err(ZipError::SizeMismatch {
                    index,
                    name: entry.name.clone(),
                    declared,
                    produced: uncompressed,
                    more: false,
                });
            }
        }
        self.descriptor_bytes(index, crc, compressed, uncompressed)
            .map(|d| Bytes::copy_from_slice(d.as_slice()))
    }

    pub(super) fn descriptor_bytes(
        &self,
        index: usize,
        crc: u32,
        compressed: u64,
        uncompressed: u64,
    ) -> Result<records::Descriptor, ZipError> {
        let entry = self
            .entries
            .get(index)
            .ok_or(ZipError::Sequence("no such entry"))?;
        records::descriptor(entry.header.zip64, crc, compressed, uncompressed).ok_or_else(|| {
            ZipError::Overflow {
                index,
                name: entry.name.clone(),
            }
        })
    }

    /// The whole directory segment, from what every entry's data gave: its
    /// CRC, sizes and the offset of its local header, in entry order.
    #[cfg(test)]
    pub(crate) fn directory(&self, written: &[Written]) -> Result<Bytes, ZipError> {
        let start = self.directory_offset(written)?;
        let mut out = BytesMut::new();
        let size = self.central_size(written)?;
        for (entry, w) in self.entries.iter().zip(written) {
            records::central_header(self.limits, &entry.header, &entry.name, w, &mut out);
        }
        self.end_records(start, size, &mut out);
        Ok(out.freeze())
    }

    /// Where the directory starts, after the last entry's descriptor.
    #[cfg(test)]
    fn directory_offset(&self, written: &[Written]) -> Result<u64, ZipError> {
        if written.len() != self.entries.len() {
            return Err(ZipError::Sequence("one record per entry is needed"));
        }
        match self.entries.last().zip(written.last()) {
            None => Ok(0),
            Some((entry, w)) => add(
                add(Some(w.offset), Some(entry.local.len() as u64))?,
                add(Some(w.compressed), Some(entry.descriptor_len()))?,
            )
            .map(|end| end.unwrap_or(0)),
        }
    }

    /// The length of the directory's central headers.
    pub(super) fn central_size(&self, written: &[Written]) -> Result<u64, ZipError> {
        self.entries
            .iter()
            .zip(written)
            .try_fold(0u64, |sum, (entry, w)| {
                sum.checked_add(self.central_len(entry, w))
                    .ok_or(ZipError::TooLarge)
            })
    }

    /// The length of the directory segment starting at `start`.
    fn directory_len(&self, written: &[Written], start: u64) -> Result<u64, ZipError> {
        let size = self.central_size(written)?;
        size.checked_add(records::end_records_len(
            self.limits,
            self.entries.len() as u64,
            size,
            start,
        ))
        .ok_or(ZipError::TooLarge)
    }

    pub(super) fn central_len(&self, entry: &Entry, written: &Written) -> u64 {
        records::central_header_len(self.limits, &entry.name, written)
    }

    pub(super) fn central_header(&self, entry: &Entry, written: &Written, out: &mut BytesMut) {
        records::central_header(self.limits, &entry.header, &entry.name, written, out);
    }

    pub(super) fn end_records_len(&self, start: u64, size: u64) -> u64 {
        records::end_records_len(self.limits, self.entries.len() as u64, size, start)
    }

    pub(super) fn end_records(&self, start: u64, size: u64, out: &mut BytesMut) {
        records::end_records(self.limits, self.entries.len() as u64, size, start, out);
    }
}
