//! The bytes of every zip record downloadview writes, as pure functions, each
//! headed by its section of PKWARE's APPNOTE.TXT (6.3.x): the local file
//! header (4.3.7), the data descriptor (4.3.9), the central directory header
//! (4.3.12), the ZIP64 end of central directory record (4.3.14) and locator
//! (4.3.15), the end of central directory record (4.3.16), and the ZIP64
//! extended information extra field (4.5.3). Every integer is little-endian
//! (4.4.1.1), and every length function here is the exact length of the
//! matching writer (the tests check both against each other).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{BufMut, BytesMut};

/// 4.3.7: `local file header signature`.
const LOCAL_HEADER_SIG: u32 = 0x0403_4b50;
/// 4.3.9.3: the data descriptor's optional signature, which streaming readers
/// (libarchive) look for, so it is always written.
const DESCRIPTOR_SIG: u32 = 0x0807_4b50;
/// 4.3.12: `central file header signature`.
const CENTRAL_HEADER_SIG: u32 = 0x0201_4b50;
/// 4.3.14: `zip64 end of central dir signature`.
const ZIP64_END_SIG: u32 = 0x0606_4b50;
/// 4.3.15: `zip64 end of central dir locator signature`.
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
/// 4.3.16: `end of central dir signature`.
const END_SIG: u32 = 0x0605_4b50;
/// 4.5.2: the header ID of the ZIP64 extended information extra field.
const ZIP64_EXTRA_ID: u16 = 0x0001;

/// 4.3.7: the fixed part of a local file header.
#[cfg(test)]
const LOCAL_HEADER_LEN: u64 = 30;
/// 4.3.12: the fixed part of a central directory header.
const CENTRAL_HEADER_LEN: u64 = 46;
/// 4.3.14: a ZIP64 end of central directory record with no extensible data.
const ZIP64_END_LEN: u64 = 56;
/// 4.3.15: the ZIP64 end of central directory locator.
const ZIP64_LOCATOR_LEN: u64 = 20;
/// 4.3.16: an end of central directory record with no comment.
const END_LEN: u64 = 22;
/// 4.5.3: the local header's ZIP64 field: header, then both sizes.
const ZIP64_LOCAL_EXTRA_LEN: u16 = 4 + 16;

/// 4.4.4 general purpose bit 3: the CRC and sizes follow the data in a data
/// descriptor (set on the entries whose CRC is only known once their data
/// has been produced).
pub(super) const FLAG_DESCRIPTOR: u16 = 1 << 3;
/// 4.4.4 general purpose bit 11 ("language encoding flag"): the name is UTF-8.
pub(super) const FLAG_UTF8: u16 = 1 << 11;

/// 4.4.3.2: 2.0, the version for deflate (and the floor most writers use).
const VERSION_DEFAULT: u16 = 20;
/// 4.4.3.2: 4.5, the version that introduced ZIP64.
const VERSION_ZIP64: u16 = 45;
/// 4.4.2.2: the upper byte of `version made by`: 3 is UNIX, so the external
/// attributes hold a mode (4.4.15), which unpackers apply.
const MADE_BY_UNIX: u16 = 3 << 8;
/// The file type bits of a Unix mode (`st_mode`): a regular file, a folder.
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
/// 4.4.15: the low byte holds MS-DOS attributes; 0x10 marks a folder.
const DOS_DIRECTORY: u32 = 0x10;
/// The permissions of an entry whose mode is not given: `rw-r--r--` for a
/// file, `rwxr-xr-x` for a folder (what `zip` and `tar` write for files
/// created under the usual umask 022).
pub(super) const FILE_MODE: u32 = 0o644;
pub(super) const FOLDER_MODE: u32 = 0o755;

/// 4.4.15 external file attributes of a file or folder with permissions
/// `mode` (at most 0o777): the Unix mode in the upper 16 bits, and for a
/// folder the MS-DOS folder bit, which Windows unpackers read.
pub(super) fn external_attributes(folder: bool, mode: u32) -> u32 {
    if folder {
        (S_IFDIR | mode) << 16 | DOS_DIRECTORY
    } else {
        (S_IFREG | mode) << 16
    }
}

/// 4.4.8, 4.4.9, 4.4.16: a 32-bit field holding this value means "see the
/// ZIP64 extra field"; so does 0xFFFF in a 16-bit count (4.4.21, 4.4.22).
pub(super) const U32_SENTINEL: u32 = 0xFFFF_FFFF;
const U16_SENTINEL: u16 = 0xFFFF;

/// 4.4.5: compression method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Method {
    /// 0: the data is stored as it is.
    Stored,
    /// 8: raw deflate (RFC 1951).
    #[cfg(feature = "deflate")]
    Deflate,
}

impl Method {
    /// The method's code (4.4.5).
    pub(super) fn code(self) -> u16 {
        match self {
            Method::Stored => 0,
            #[cfg(feature = "deflate")]
            Method::Deflate => 8,
        }
    }
}

/// Where the ZIP64 forms start. The zip limits everywhere but in tests,
/// which lower them to exercise every ZIP64 form on small archives (APPNOTE
/// 4.3.9.2: "ZIP64 format MAY be used regardless of the size of a file").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Limits {
    /// A size or offset of at least this goes in a ZIP64 field.
    pub(super) wide: u64,
    /// At least this many entries need the ZIP64 end records.
    pub(super) entries: u64,
}

impl Limits {
    /// The format's own: a 32-bit field holds up to 0xFFFF_FFFE (0xFFFF_FFFF
    /// is the sentinel), a 16-bit count up to 0xFFFE.
    pub(super) const ZIP: Limits = Limits {
        wide: U32_SENTINEL as u64,
        entries: U16_SENTINEL as u64,
    };

    pub(super) fn fits(self, value: u64) -> bool {
        value < self.wide
    }
}

/// What the headers of one entry say, decided when the layout is planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    /// 4.4.4.
    pub(super) flags: u16,
    /// 4.4.5.
    pub(super) method: Method,
    /// 4.4.6: MS-DOS time and date.
    pub(super) time: u16,
    pub(super) date: u16,
    /// The local header carries the ZIP64 extra field, so the data descriptor
    /// has 8-byte sizes (4.3.9.2) and version 4.5 is needed.
    pub(super) zip64: bool,
    /// The sizes the local header states, when they are known before the
    /// data (stored entries of known size): `None` writes zeros (4.4.4).
    pub(super) local_size: Option<u64>,
    /// The CRC-32 the local header states, when it is known before the data
    /// (with the sizes): the entry then has no data descriptor and bit 3 is
    /// clear. `None` writes zero, and the CRC goes in the descriptor.
    pub(super) crc: Option<u32>,
    /// 4.4.15: the external attributes ([`external_attributes`]).
    pub(super) external: u32,
}

impl Header {
    /// Whether a data descriptor follows the entry's data (bit 3).
    pub(super) fn has_descriptor(&self) -> bool {
        self.flags & FLAG_DESCRIPTOR != 0
    }

    fn version_needed(&self) -> u16 {
        if self.zip64 {
            VERSION_ZIP64
        } else {
            VERSION_DEFAULT
        }
    }
}

/// 4.3.7 local file header, with the 4.5.3 ZIP64 extra field when the entry
/// is ZIP64.
///
/// ```text
/// local file header signature     4  0x04034b50
/// version needed to extract       2  20, or 45 with ZIP64
/// general purpose bit flag        2  bit 3 unless the CRC is known, bit 11 for non-ASCII names
/// compression method              2
/// last mod file time              2
/// last mod file date              2
/// crc-32                          4  the CRC if known, else 0: it is in the data descriptor
/// compressed size                 4  the size if known, else 0; 0xFFFFFFFF with ZIP64
/// uncompressed size               4  same
/// file name length                2
/// extra field length              2  0, or 20 with ZIP64
/// file name
/// extra field                        ZIP64: 0x0001, 16, uncompressed size, compressed size
/// ```
pub(super) fn local_header(header: &Header, name: &str, out: &mut BytesMut) {
    let size = header.local_size.unwrap_or(0);
    out.put_u32_le(LOCAL_HEADER_SIG);
    out.put_u16_le(header.version_needed());
    out.put_u16_le(header.flags);
    out.put_u16_le(header.method.code());
    out.put_u16_le(header.time);
    out.put_u16_le(header.date);
    out.put_u32_le(header.crc.unwrap_or(0));
    let narrow = if header.zip64 {
        U32_SENTINEL
    } else {
        // Planning made the entry ZIP64 unless its size fits.
        u32::try_from(size).unwrap_or(U32_SENTINEL)
    };
    out.put_u32_le(narrow);
    out.put_u32_le(narrow);
    out.put_u16_le(name_len(name));
    out.put_u16_le(if header.zip64 {
        ZIP64_LOCAL_EXTRA_LEN
    } else {
        0
    });
    out.put_slice(name.as_bytes());
    if header.zip64 {
        // 4.5.3: "This entry in the Local header MUST include BOTH original
        // and compressed file size fields."
        out.put_u16_le(ZIP64_EXTRA_ID);
        out.put_u16_le(ZIP64_LOCAL_EXTRA_LEN - 4);
        out.put_u64_le(size);
        out.put_u64_le(size);
    }
}

/// Where the CRC-32 lies in a local file header (4.3.7): after the
/// signature (4), version (2), flags (2), method (2), time (2) and date (2).
const LOCAL_CRC_AT: usize = 14;

/// A copy of `local`, a [`local_header`] written with a zero CRC, stating
/// `crc` instead (an entry whose CRC a first pass computed).
pub(super) fn with_local_crc(local: &[u8], crc: u32) -> BytesMut {
    let mut out = BytesMut::from(local);
    if let Some(field) = out.get_mut(LOCAL_CRC_AT..LOCAL_CRC_AT + 4) {
        field.copy_from_slice(&crc.to_le_bytes());
    }
    out
}

/// The length of [`local_header`].
#[cfg(test)]
pub(super) fn local_header_len(header: &Header, name: &str) -> u64 {
    let extra = if header.zip64 {
        u64::from(ZIP64_LOCAL_EXTRA_LEN)
    } else {
        0
    };
    LOCAL_HEADER_LEN + name.len() as u64 + extra
}

/// 4.3.9 data descriptor, with its signature (4.3.9.3); the sizes are 8 bytes
/// when the local header has the ZIP64 extra field (4.3.9.2).
///
/// ```text
/// signature                       4  0x08074b50
/// crc-32                          4
/// compressed size                 4 or 8
/// uncompressed size               4 or 8
/// ```
///
/// `None` when a size does not fit the 4-byte form.
pub(super) fn descriptor(
    zip64: bool,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
) -> Option<Descriptor> {
    let mut bytes = [0; 24];
    bytes[..4].copy_from_slice(&DESCRIPTOR_SIG.to_le_bytes());
    bytes[4..8].copy_from_slice(&crc.to_le_bytes());
    if zip64 {
        bytes[8..16].copy_from_slice(&compressed.to_le_bytes());
        bytes[16..].copy_from_slice(&uncompressed.to_le_bytes());
    } else {
        bytes[8..12].copy_from_slice(&u32::try_from(compressed).ok()?.to_le_bytes());
        bytes[12..16].copy_from_slice(&u32::try_from(uncompressed).ok()?.to_le_bytes());
    }
    Some(Descriptor { bytes, zip64 })
}

/// A rendered data descriptor, on the stack: skipping one costs no allocation.
#[derive(Debug, Clone, Copy)]
pub(super) struct Descriptor {
    bytes: [u8; 24],
    zip64: bool,
}

impl Descriptor {
    /// Its bytes, 16 or 24 of them.
    pub(super) fn as_slice(&self) -> &[u8] {
        // descriptor_len is 16 or 24, never past the array.
        &self.bytes[..descriptor_len(self.zip64) as usize]
    }
}

/// The length of [`descriptor`].
pub(super) fn descriptor_len(zip64: bool) -> u64 {
    if zip64 {
        24
    } else {
        16
    }
}

/// What the central directory says of one entry once its data is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    /// The CRC-32 of the uncompressed data.
    pub(crate) crc: u32,
    /// The bytes in the archive.
    pub(crate) compressed: u64,
    /// The bytes of the entry.
    pub(crate) uncompressed: u64,
    /// Where its local header starts in the archive.
    pub(crate) offset: u64,
}

/// Which of the central header's values need the ZIP64 field, in the field's
/// order (4.5.3): uncompressed size, compressed size, local header offset.
fn wide_values(limits: Limits, written: &Written) -> [Option<u64>; 3] {
    [written.uncompressed, written.compressed, written.offset].map(|v| {
        if limits.fits(v) {
            None
        } else {
            Some(v)
        }
    })
}

/// 4.3.12 central directory header, with the 4.5.3 ZIP64 extra field
/// holding exactly the values that are 0xFFFFFFFF in the header.
///
/// ```text
/// central file header signature   4  0x02014b50
/// version made by                 2  UNIX (3), and the version needed
/// version needed to extract       2  20, or 45 with ZIP64 here or in the local header
/// general purpose bit flag        2  as in the local header
/// compression method              2
/// last mod file time              2
/// last mod file date              2
/// crc-32                          4
/// compressed size                 4  or 0xFFFFFFFF
/// uncompressed size               4  or 0xFFFFFFFF
/// file name length                2
/// extra field length              2  0, or 4 + 8 per ZIP64 value
/// file comment length             2  0
/// disk number start               2  0
/// internal file attributes        2  0
/// external file attributes        4  the Unix mode (and type) << 16; 0x10 for a folder
/// relative offset of local header 4  or 0xFFFFFFFF
/// file name
/// extra field                        ZIP64: 0x0001, size, then the wide values in order
/// ```
pub(super) fn central_header(
    limits: Limits,
    header: &Header,
    name: &str,
    written: &Written,
    out: &mut BytesMut,
) {
    let wide = wide_values(limits, written);
    let wide_count = wide.iter().flatten().count() as u16;
    let version = if header.zip64 || wide_count > 0 {
        VERSION_ZIP64
    } else {
        VERSION_DEFAULT
    };
    let narrow = |value: u64, wide: Option<u64>| match wide {
        Some(_) => U32_SENTINEL,
        // Below the limit, hence below 2^32.
        None => u32::try_from(value).unwrap_or(U32_SENTINEL),
    };
    out.put_u32_le(CENTRAL_HEADER_SIG);
    out.put_u16_le(MADE_BY_UNIX | version);
    out.put_u16_le(version);
    out.put_u16_le(header.flags);
    out.put_u16_le(header.method.code());
    out.put_u16_le(header.time);
    out.put_u16_le(header.date);
    out.put_u32_le(written.crc);
    out.put_u32_le(narrow(written.compressed, wide[1]));
    out.put_u32_le(narrow(written.uncompressed, wide[0]));
    out.put_u16_le(name_len(name));
    out.put_u16_le(if wide_count > 0 {
        4 + 8 * wide_count
    } else {
        0
    });
    out.put_u16_le(0);
    out.put_u16_le(0);
    out.put_u16_le(0);
    out.put_u32_le(header.external);
    out.put_u32_le(narrow(written.offset, wide[2]));
    out.put_slice(name.as_bytes());
    if wide_count > 0 {
        out.put_u16_le(ZIP64_EXTRA_ID);
        out.put_u16_le(8 * wide_count);
        for value in wide.into_iter().flatten() {
            out.put_u64_le(value);
        }
    }
}

/// The length of [`central_header`].
pub(super) fn central_header_len(limits: Limits, name: &str, written: &Written) -> u64 {
    let wide_count = wide_values(limits, written).iter().flatten().count() as u64;
    let extra = if wide_count > 0 {
        4 + 8 * wide_count
    } else {
        0
    };
    CENTRAL_HEADER_LEN + name.len() as u64 + extra
}

/// Whether the end of the archive needs the ZIP64 records (4.4.1.4: a value
/// too large for its field of the end of central directory record).
fn needs_zip64_end(limits: Limits, entries: u64, size: u64, offset: u64) -> bool {
    entries >= limits.entries || !limits.fits(size) || !limits.fits(offset)
}

/// The end of the archive after a central directory of `entries` records,
/// `size` bytes long and starting at `offset`: when any value is too large,
/// the 4.3.14 ZIP64 end of central directory record and the 4.3.15 locator,
/// then always the 4.3.16 end of central directory record.
///
/// ```text
/// 4.3.14 zip64 end of central dir signature          4  0x06064b50
///        size of zip64 end of central directory rec. 8  44: what follows this field
///        version made by                             2  UNIX, 4.5
///        version needed to extract                   2  4.5
///        number of this disk                         4  0
///        disk where the central directory starts     4  0
///        entries in the central directory, this disk 8
///        entries in the central directory            8
///        size of the central directory               8
///        offset of the central directory             8
/// 4.3.15 zip64 end of central dir locator signature  4  0x07064b50
///        disk with the zip64 end record              4  0
///        offset of the zip64 end record              8  offset + size
///        total number of disks                       4  1
/// 4.3.16 end of central dir signature                4  0x06054b50
///        number of this disk                         2  0
///        disk where the central directory starts     2  0
///        entries in the central directory, this disk 2  or 0xFFFF
///        entries in the central directory            2  or 0xFFFF
///        size of the central directory               4  or 0xFFFFFFFF
///        offset of the central directory             4  or 0xFFFFFFFF
///        .ZIP file comment length                    2  0
/// ```
pub(super) fn end_records(
    limits: Limits,
    entries: u64,
    size: u64,
    offset: u64,
    out: &mut BytesMut,
) {
    if needs_zip64_end(limits, entries, size, offset) {
        out.put_u32_le(ZIP64_END_SIG);
        out.put_u64_le(ZIP64_END_LEN - 12);
        out.put_u16_le(MADE_BY_UNIX | VERSION_ZIP64);
        out.put_u16_le(VERSION_ZIP64);
        out.put_u32_le(0);
        out.put_u32_le(0);
        out.put_u64_le(entries);
        out.put_u64_le(entries);
        out.put_u64_le(size);
        out.put_u64_le(offset);

        out.put_u32_le(ZIP64_LOCATOR_SIG);
        out.put_u32_le(0);
        // The record just written starts where the directory ends; both are
        // within the archive, whose size planning checked.
        out.put_u64_le(offset.saturating_add(size));
        out.put_u32_le(1);
    }
    // 4.4.1.4: a value too large for its field is the sentinel; the others
    // are the values themselves.
    let count = if entries < limits.entries {
        u16::try_from(entries).unwrap_or(U16_SENTINEL)
    } else {
        U16_SENTINEL
    };
    let narrow = |value: u64| {
        if limits.fits(value) {
            u32::try_from(value).unwrap_or(U32_SENTINEL)
        } else {
            U32_SENTINEL
        }
    };
    out.put_u32_le(END_SIG);
    out.put_u16_le(0);
    out.put_u16_le(0);
    out.put_u16_le(count);
    out.put_u16_le(count);
    out.put_u32_le(narrow(size));
    out.put_u32_le(narrow(offset));
    out.put_u16_le(0);
}

/// The length of [`end_records`].
pub(super) fn end_records_len(limits: Limits, entries: u64, size: u64, offset: u64) -> u64 {
    if needs_zip64_end(limits, entries, size, offset) {
        ZIP64_END_LEN + ZIP64_LOCATOR_LEN + END_LEN
    } else {
        END_LEN
    }
}

/// A validated name is at most 65,535 bytes (4.4.10).
fn name_len(name: &str) -> u16 {
    u16::try_from(name.len()).unwrap_or(u16::MAX)
}

/// 4.4.6: the MS-DOS `(time, date)` of `mtime`, read as UTC (DOS times have
/// no zone; unpackers show them as local time).
///
/// - time: bits 0-4 seconds / 2, 5-10 minutes, 11-15 hours;
/// - date: bits 0-4 day (1-31), 5-8 month (1-12), 9-15 years since 1980.
///
/// DOS times count in 2 seconds (odd seconds round down), from 1980-01-01
/// 00:00:00 to 2107-12-31 23:59:58: earlier times are 1980-01-01 00:00:00,
/// later ones 2107-12-31 23:59:58. An entry without a time gets
/// 1980-01-01 00:00:00 too: a fixed value keeps the archive's bytes (and its
/// ETag) the same from one request to the next, where "now" would not.
pub(super) fn dos_date_time(mtime: Option<SystemTime>) -> (u16, u16) {
    const DOS_EPOCH: u64 = 315_532_800; // 1980-01-01T00:00:00Z
    const DOS_END: u64 = 4_354_819_198; // 2107-12-31T23:59:58Z
    let Some(secs) = mtime.and_then(|t| t.duration_since(UNIX_EPOCH).ok()) else {
        return (0, (1 << 5) | 1);
    };
    let secs = secs.as_secs().clamp(DOS_EPOCH, DOS_END);
    let (year, month, day) = civil_from_days(secs / 86_400);
    let rest = secs % 86_400;
    let (hour, minute, second) = (rest / 3600, rest / 60 % 60, rest % 60);
    // Every part is in range by the clamp above, so the casts are exact.
    let time = ((hour << 11) | (minute << 5) | (second / 2)) as u16;
    let date = (((year - 1980) << 9) | (month << 5) | day) as u16;
    (time, date)
}

/// The proleptic Gregorian `(year, month, day)` of a day count since
/// 1970-01-01, for days from 1970 on (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;

    fn at(secs: u64) -> Option<SystemTime> {
        Some(UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// Splits a DOS (time, date) into (y, m, d, h, min, s).
    fn parts((time, date): (u16, u16)) -> (u16, u16, u16, u16, u16, u16) {
        (
            (date >> 9) + 1980,
            (date >> 5) & 0xF,
            date & 0x1F,
            time >> 11,
            (time >> 5) & 0x3F,
            (time & 0x1F) * 2,
        )
    }

    #[test]
    fn dos_times() {
        struct Case(Option<SystemTime>, (u16, u16, u16, u16, u16, u16));
        let cases = [
            Case(None, (1980, 1, 1, 0, 0, 0)),
            Case(at(0), (1980, 1, 1, 0, 0, 0)),
            Case(
                Some(UNIX_EPOCH - Duration::from_secs(1)),
                (1980, 1, 1, 0, 0, 0),
            ),
            Case(at(315_532_800), (1980, 1, 1, 0, 0, 0)),
            Case(at(315_532_799), (1980, 1, 1, 0, 0, 0)),
            // 1994-11-06T08:49:37Z (RFC 9110's example date): odd seconds round down.
            Case(at(784_111_777), (1994, 11, 6, 8, 49, 36)),
            // 2000-02-29T23:59:59Z, a leap day.
            Case(at(951_868_799), (2000, 2, 29, 23, 59, 58)),
            Case(at(4_354_819_198), (2107, 12, 31, 23, 59, 58)),
            Case(at(4_354_819_199), (2107, 12, 31, 23, 59, 58)),
            Case(at(u64::MAX / 4), (2107, 12, 31, 23, 59, 58)),
        ];
        for Case(mtime, expected) in cases {
            assert_eq!(parts(dos_date_time(mtime)), expected, "{mtime:?}");
        }
    }

    proptest! {
        /// The calendar agrees with httpdate's, an independent implementation.
        #[test]
        fn dos_times_agree_with_httpdate(secs in 315_532_800u64..4_354_819_199) {
            let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
            let (y, mo, d, h, mi, s) = parts(dos_date_time(at(secs)));
            const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            let expected = format!(
                "{d:02} {} {y} {h:02}:{mi:02}:",
                MONTHS[usize::from(mo) - 1]
            );
            prop_assert!(text.contains(&expected), "{} vs {}", text, expected);
            let real_seconds: u16 = text[23..25].parse().unwrap();
            prop_assert_eq!(s, real_seconds / 2 * 2);
        }

        #[test]
        fn lengths_match_the_writers(
            name in "[a-z]{0,20}",
            zip64 in any::<bool>(),
            size in prop_oneof![0u64..100, Just(u64::MAX), 0xFFFF_FFF0u64..0x1_0000_0010],
            compressed in prop_oneof![0u64..100, 0xFFFF_FFF0u64..0x1_0000_0010],
            offset in prop_oneof![0u64..100, 0xFFFF_FFF0u64..0x1_0000_0010],
            entries in prop_oneof![0u64..10, 0xFFF0u64..0x1_0010],
            small in any::<bool>(),
        ) {
            let limits = if small { Limits { wide: 50, entries: 3 } } else { Limits::ZIP };
            let header = Header {
                flags: FLAG_DESCRIPTOR,
                method: Method::Stored,
                time: 0,
                date: 33,
                zip64,
                local_size: Some(size),
                crc: None,
                external: external_attributes(false, FILE_MODE),
            };
            let mut out = BytesMut::new();
            local_header(&header, &name, &mut out);
            prop_assert_eq!(out.len() as u64, local_header_len(&header, &name));
            let written = Written { crc: 7, compressed, uncompressed: size, offset };
            let mut out = BytesMut::new();
            central_header(limits, &header, &name, &written, &mut out);
            prop_assert_eq!(out.len() as u64, central_header_len(limits, &name, &written));
            let mut out = BytesMut::new();
            end_records(limits, entries, compressed, offset, &mut out);
            prop_assert_eq!(out.len() as u64, end_records_len(limits, entries, compressed, offset));
            if let Some(d) = descriptor(zip64, 1, compressed, size) {
                prop_assert_eq!(d.as_slice().len() as u64, descriptor_len(zip64));
            } else {
                prop_assert!(!zip64 && (compressed > u64::from(u32::MAX) || size > u64::from(u32::MAX)));
            }
        }
    }

    #[test]
    fn a_local_header_field_by_field() {
        let header = Header {
            flags: FLAG_DESCRIPTOR | FLAG_UTF8,
            method: Method::Stored,
            time: 0x1234,
            date: 0x5678,
            zip64: false,
            local_size: Some(5),
            crc: None,
            external: external_attributes(false, FILE_MODE),
        };
        let mut out = BytesMut::new();
        local_header(&header, "é", &mut out);
        let expected: Vec<u8> = [
            &b"PK\x03\x04"[..],
            &[20, 0],
            &[0x08, 0x08],
            &[0, 0],
            &[0x34, 0x12, 0x78, 0x56],
            &[0; 4],
            &[5, 0, 0, 0, 5, 0, 0, 0],
            &[2, 0, 0, 0],
            "é".as_bytes(),
        ]
        .concat();
        assert_eq!(&out[..], &expected[..]);
    }
}
