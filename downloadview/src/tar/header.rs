//! The bytes of tar headers, as pure functions: the POSIX ustar header
//! (POSIX.1-1988, `pax` interchange format of POSIX.1-2001), preceded by a
//! pax extended header (typeflag `x`) when the name or the size does not
//! fit ustar's fields.

/// Tar's unit: headers are one block, data is padded to whole blocks.
pub(crate) const BLOCK: u64 = 512;

/// The largest value of a 12-byte octal field (11 digits and a NUL): sizes
/// and times up to 8 GiB - 1 and the year 2242.
const MAX_OCTAL_11: u64 = 0o77_777_777_777;

/// ustar's name field, and its prefix field (a name may be split at a `/`).
const NAME_LEN: usize = 100;
const PREFIX_LEN: usize = 155;

/// Typeflags: a regular file, a folder, a pax extended header.
const REGULAR: u8 = b'0';
const FOLDER: u8 = b'5';
const PAX: u8 = b'x';

/// What the headers of one entry say.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta<'a> {
    /// A checked relative path; a folder's ends with `/`.
    pub(crate) name: &'a str,
    pub(crate) size: u64,
    /// Seconds since 1970 (earlier times are written as 0).
    pub(crate) mtime: u64,
    /// Permission bits, at most 0o777.
    pub(crate) mode: u32,
    pub(crate) folder: bool,
}

/// The bytes `data` is padded with to a whole number of blocks.
pub(crate) fn padding(data: u64) -> u64 {
    (BLOCK - data % BLOCK) % BLOCK
}

/// Every header of one entry, in order: a pax extended header with its
/// records (only when needed: a name that is not ASCII or does not fit
/// ustar's 100 + 155 bytes, a size of 8 GiB or more), then the ustar header.
pub(crate) fn headers(meta: &Meta<'_>) -> Vec<u8> {
    let split = split_name(meta.name);
    let mut records = String::new();
    if split.is_none() {
        records.push_str(&record("path", meta.name));
    }
    if meta.size > MAX_OCTAL_11 {
        records.push_str(&record("size", &meta.size.to_string()));
    }
    let mtime = meta.mtime.min(MAX_OCTAL_11);
    let mut out = Vec::with_capacity(3 * BLOCK as usize + records.len());
    if !records.is_empty() {
        let pax_name = format!("PaxHeader/{}", ascii_fallback(meta.name));
        ustar(
            &mut out,
            Fields {
                // ASCII: any cut is a character boundary.
                name: &pax_name.as_bytes()[..pax_name.len().min(NAME_LEN)],
                prefix: b"",
                mode: 0o644,
                size: records.len() as u64,
                mtime,
                typeflag: PAX,
            },
        );
        out.extend_from_slice(records.as_bytes());
        out.resize(out.len() + padding(records.len() as u64) as usize, 0);
    }
    let fallback;
    let (prefix, name) = match split {
        Some(split) => split,
        None => {
            fallback = ascii_fallback(meta.name);
            ("", fallback.as_str())
        }
    };
    ustar(
        &mut out,
        Fields {
            name: name.as_bytes(),
            prefix: prefix.as_bytes(),
            mode: meta.mode,
            // The pax record holds a size too large for the field.
            size: if meta.size > MAX_OCTAL_11 {
                0
            } else {
                meta.size
            },
            mtime,
            typeflag: if meta.folder { FOLDER } else { REGULAR },
        },
    );
    out
}

/// `name` as ustar holds it: in the name field alone, or split at a `/`
/// into prefix and name; `None` when it is not ASCII or does not fit.
fn split_name(name: &str) -> Option<(&str, &str)> {
    if !name.is_ascii() {
        return None;
    }
    if name.len() <= NAME_LEN {
        return Some(("", name));
    }
    // The longest prefix that fits leaves the shortest name; a folder's
    // trailing `/` is not a place to split.
    name.match_indices('/')
        .map(|(at, _)| (&name[..at], &name[at + 1..]))
        .filter(|(prefix, rest)| prefix.len() <= PREFIX_LEN && !rest.is_empty())
        .find(|(_, rest)| rest.len() <= NAME_LEN)
}

/// An ASCII stand-in for readers that ignore pax headers: non-ASCII
/// characters become `_`, cut to the name field.
fn ascii_fallback(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let start = ascii.len().saturating_sub(NAME_LEN);
    ascii[start..].to_owned()
}

/// One pax record, `"<length> <key>=<value>\n"`, whose length counts its
/// own digits.
fn record(key: &str, value: &str) -> String {
    let rest = key.len() + value.len() + 3; // space, '=', newline
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    format!("{len} {key}={value}\n")
}

/// The fields of a ustar header that vary.
struct Fields<'a> {
    name: &'a [u8],
    prefix: &'a [u8],
    mode: u32,
    size: u64,
    mtime: u64,
    typeflag: u8,
}

/// One 512-byte ustar header.
///
/// ```text
/// name      0  100   prefix  345 155   typeflag 156 1
/// mode    100    8   uid     108   8   gid      116 8
/// size    124   12   mtime   136  12   chksum   148 8
/// magic   257    6   "ustar\0", version 263 2 "00"
/// uname   265   32   gname   297  32   (empty: owned by whoever unpacks)
/// devmajor 329   8   devminor 337  8
/// ```
///
/// Numbers are octal, zero-padded, NUL-terminated; the checksum is the sum
/// of the header's bytes with its own field as spaces, written as six
/// digits, a NUL and a space.
fn ustar(out: &mut Vec<u8>, fields: Fields<'_>) {
    let mut h = [0u8; BLOCK as usize];
    h[..fields.name.len()].copy_from_slice(fields.name);
    octal(&mut h[100..108], u64::from(fields.mode));
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], fields.size);
    octal(&mut h[136..148], fields.mtime);
    h[148..156].fill(b' ');
    h[156] = fields.typeflag;
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    octal(&mut h[329..337], 0);
    octal(&mut h[337..345], 0);
    h[345..345 + fields.prefix.len()].copy_from_slice(fields.prefix);
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    octal(&mut h[148..155], u64::from(sum));
    h[155] = b' ';
    out.extend_from_slice(&h);
}

/// `value` in octal, zero-padded to fill `field` but its last byte, a NUL.
/// The callers' values fit (checked by the fields' maxima).
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    let text = &text.as_bytes()[text.len().saturating_sub(digits)..];
    field[..digits].copy_from_slice(text);
    field[digits] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, size: u64) -> Meta<'_> {
        Meta {
            name,
            size,
            mtime: 1_700_000_000,
            mode: 0o644,
            folder: false,
        }
    }

    fn field(h: &[u8], at: usize, len: usize) -> &str {
        let bytes = &h[at..at + len];
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(len);
        std::str::from_utf8(&bytes[..end]).unwrap()
    }

    #[test]
    fn a_short_ascii_name_is_one_ustar_block() {
        let h = headers(&meta("dir/a.txt", 13));
        assert_eq!(h.len(), 512);
        assert_eq!(field(&h, 0, 100), "dir/a.txt");
        assert_eq!(field(&h, 100, 8), "0000644");
        assert_eq!(field(&h, 124, 12), "00000000015");
        assert_eq!(field(&h, 136, 12), format!("{:011o}", 1_700_000_000));
        assert_eq!(h[156], b'0');
        assert_eq!(&h[257..265], b"ustar\x0000");
        // The checksum: every byte summed with its own field as spaces.
        let mut blank = h.clone();
        blank[148..156].fill(b' ');
        let sum: u32 = blank.iter().map(|&b| u32::from(b)).sum();
        assert_eq!(field(&h, 148, 7), format!("{sum:06o}"));
        assert_eq!(h[155], b' ');
    }

    #[test]
    fn a_long_ascii_name_is_split_into_prefix_and_name() {
        let name = format!("{}/{}", "p".repeat(150), "n".repeat(90));
        let h = headers(&meta(&name, 0));
        assert_eq!(h.len(), 512, "no pax header needed");
        assert_eq!(field(&h, 0, 100), "n".repeat(90));
        assert_eq!(field(&h, 345, 155), "p".repeat(150));
    }

    #[test]
    fn names_ustar_cannot_hold_and_huge_sizes_get_a_pax_header() {
        for (name, size, records) in [
            ("été.txt", 1, vec!["18 path=été.txt\n"]),
            (&*"x".repeat(101), 1, vec![]),
            ("big.bin", 10 << 30, vec!["20 size=10737418240\n"]),
        ] {
            let h = headers(&meta(name, size));
            assert_eq!(h.len(), 3 * 512, "{name}");
            assert_eq!(h[156], b'x');
            assert!(field(&h, 0, 100).starts_with("PaxHeader/"));
            let len: usize = field(&h, 124, 12).trim_start_matches('0').len();
            assert!(len > 0);
            let data = field(&h, 512, 512);
            for record in records {
                assert!(data.contains(record), "{data:?}");
            }
            if name.len() > 100 {
                assert!(data.contains(&format!("path={name}\n")));
            }
            // The pax size wins; the ustar field says 0.
            if size > MAX_OCTAL_11 {
                assert_eq!(field(&h, 1024 + 124, 12), "00000000000");
            }
            assert_eq!(h[1024 + 156], b'0');
        }
    }

    #[test]
    fn pax_record_lengths_count_their_own_digits() {
        assert_eq!(record("path", "a"), "9 path=a\n");
        let r = record("path", &"x".repeat(90));
        assert_eq!(r.len().to_string(), r.split(' ').next().unwrap());
        let r = record("path", &"x".repeat(992));
        assert_eq!(r.len(), 1003);
        assert!(r.starts_with("1003 "));
    }

    #[test]
    fn a_folder_has_typeflag_5() {
        let h = headers(&Meta {
            folder: true,
            mode: 0o755,
            ..meta("empty/", 0)
        });
        assert_eq!(h[156], b'5');
        assert_eq!(field(&h, 0, 100), "empty/");
        assert_eq!(field(&h, 100, 8), "0000755");
    }

    #[test]
    fn padding_completes_a_block() {
        assert_eq!(padding(0), 0);
        assert_eq!(padding(1), 511);
        assert_eq!(padding(512), 0);
        assert_eq!(padding(513), 511);
    }
}
