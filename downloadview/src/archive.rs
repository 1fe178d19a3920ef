//! Archives: a zip of several [`VirtualFile`]s, itself a
//! `VirtualFile` that any view can serve.

mod body;

use std::{error::Error as StdError, fmt, time::SystemTime};

use actix_web::http::header::EntityTag;
use bytes::Bytes;

#[cfg(feature = "deflate")]
use crate::tar::Gzipped;
use crate::{
    assemble::{Assemble, Piece, Step},
    file::{Packed, Packing, Source},
    range::ByteRange,
    tar::{TarLayout, Tarrer},
    zip::{self, EntryMeta, Layout, Method, ZipError, Zipper},
    DownloadError, VirtualFile,
};

pub(crate) use self::body::{ArchiveBody, Entry};

/// A zip archive of virtual files, streamed: "download all as a zip".
///
/// Each entry is a name (a relative path with `/` separators) and a
/// [`VirtualFile`] of any source kind. The archive is planned when it is
/// built, before any byte is produced:
///
/// - **Names** that could unpack outside the archive's folder are refused,
///   with an error naming the entry and why: an absolute path, a `..`, `.`
///   or empty component, a backslash, a control character, a duplicate (or a
///   file that is also a folder of another entry), a name over 65,535 bytes;
///   a Windows device name as a file or folder (`CON`, `nul`, `aux.txt`,
///   `COM1`), which Windows cannot create; two paths that differ only by
///   case, Unicode normalisation (`é` as one code point or two) or trailing
///   dots and spaces, one of which would overwrite the other when unpacked
///   on Windows or macOS. Non-ASCII names are stored as UTF-8, flagged so.
/// - **Folders and permissions**: a folder entry ([`folder`](Self::folder))
///   is unpacked even when empty; each file has Unix permissions, 0o644
///   unless [`VirtualFile::with_mode`] says otherwise (0o755 for a script),
///   which `unzip`, `bsdtar` and Python's `zipfile` (in `external_attr`)
///   read. Set-user-ID, set-group-ID and sticky bits are refused.
/// - **Stored** (no compression) by default: when every entry's size is
///   known, so is the archive's, exactly: `Content-Length` is sent and HEAD
///   costs nothing, even for 100 GiB. ZIP64 is used when an entry or the
///   archive passes 4 GiB, or past 65,535 entries.
/// - **Streaming readers**: a stored entry whose CRC-32 is known before its
///   data has its CRC and sizes in its local header and no data descriptor
///   after its data. Known means in-memory content (hashed once, when the
///   archive is built, on the thread that builds it), a CRC given with
///   [`VirtualFile::with_crc32`] (stored beside the data), or a first pass
///   over a source that can be read twice, asked for with
///   [`VirtualFile::with_crc32_first_pass`] (a generator, a seekable reader,
///   an async generator: read once to hash it, then again to send it).
///   Every other entry is followed by a data descriptor. Python's `zipfile`,
///   Info-ZIP `unzip` and libarchive (also from a pipe) read both forms;
///   Java's streaming `java.util.zip.ZipInputStream`, how Java, Kotlin and
///   Android code reads a zip from an HTTP response, reads a stored entry
///   only with its CRC ahead (else: "only DEFLATED entries can have EXT
///   descriptor"), and a deflated entry always: give the CRC, ask for a
///   first pass, or use deflate, for those readers.
/// - **Range** requests work when every entry can serve ranges (in memory,
///   seekable readers, offset-aware generators): a range holds exactly the
///   bytes of the full download at those offsets, so `curl -C -` and browsers
///   resume to an identical file. The bytes before a range are still produced
///   (the CRCs of earlier entries are needed) but not sent.
/// - **Validators**: a strong `ETag` when every entry has a strong one
///   (derived from their names, sizes, times and tags), `Last-Modified` the
///   latest of the entries' (none if one has none). Entries' modification
///   times are their `last_modified`.
/// - Entries stream one after the other, each as its own source kind does
///   (in bounded memory, off the worker for blocking ones), with their CRCs
///   computed as their bytes go by; memory stays bounded whatever the sizes.
///   What grows with the number of entries is the archive's plan (each
///   entry's name, headers and source), held for the whole download: about
///   0.4 KiB per entry (`bench/`: 1,000 stalled downloads of a zip of 4,096
///   generator entries held 1.7-1.8 MB each, against 92 KiB for one
///   generator), so an archive of 100,000 entries costs some 40 MB per
///   download in progress. An entry that fails, or yields more or fewer bytes than its
///   declared size, aborts the connection: never an archive that looks
///   complete but is not.
///
/// The common case is one expression, [`VirtualFile::zip`]:
///
/// ```
/// use actix_web::HttpRequest;
/// use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
///
/// #[derive(VirtualDownloadView, Default)]
/// #[download(basename = "export.zip")]
/// struct Export;
///
/// impl GetFile for Export {
///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
///         Ok(VirtualFile::zip([
///             ("readme.txt", VirtualFile::from_static(b"Hello world!\n")),
///             ("data/numbers.csv", VirtualFile::from(String::from("n\n1\n2\n"))),
///         ])?)
///     }
/// }
/// # let file = Export.get_file(&actix_web::test::TestRequest::get().to_http_request()).unwrap();
/// # assert_eq!(file.content_type(), Some("application/zip"));
/// assert!(VirtualFile::zip([("../escape.txt", VirtualFile::from_static(b""))]).is_err());
/// ```
///
/// [`Archive`] is the builder, for entries added one at a time or
/// deflate (cargo feature `deflate`):
///
/// ```
/// use downloadview::{Archive, VirtualFile};
///
/// let mut archive = Archive::new();
/// for i in 0..3 {
///     archive.push(format!("reports/{i}.txt"), VirtualFile::from(format!("report {i}\n")));
/// }
/// let file = archive.build()?;
/// assert!(file.size().is_some()); // every size is known: so is the archive's
/// # Ok::<(), downloadview::ArchiveError>(())
/// ```
#[derive(Debug, Default)]
pub struct Archive {
    entries: Vec<Member>,
    deflate: bool,
    tar: bool,
    /// The time of entries that have none of their own.
    dated: Option<SystemTime>,
}

/// One entry of an [`Archive`].
#[derive(Debug)]
enum Member {
    File(String, VirtualFile),
    Folder { name: String, mode: Option<u32> },
}

impl Member {
    fn file(&self) -> Option<&VirtualFile> {
        match self {
            Member::File(_, file) => Some(file),
            Member::Folder { .. } => None,
        }
    }
}

impl Archive {
    /// An empty archive.
    ///
    /// ```
    /// # use downloadview::Archive;
    /// let file = Archive::new().build()?;
    /// assert_eq!(file.size(), Some(22)); // just the end record
    /// # Ok::<(), downloadview::ArchiveError>(())
    /// ```
    pub fn new() -> Self {
        Archive::default()
    }

    /// Adds an entry (builder style).
    ///
    /// ```
    /// # use downloadview::{Archive, VirtualFile};
    /// let file = Archive::new()
    ///     .entry("a.txt", VirtualFile::from_static(b"a"))
    ///     .entry("b.txt", VirtualFile::from_static(b"b"))
    ///     .build()?;
    /// # let _ = file;
    /// # Ok::<(), downloadview::ArchiveError>(())
    /// ```
    pub fn entry(mut self, name: impl Into<String>, file: VirtualFile) -> Self {
        self.push(name, file);
        self
    }

    /// Adds an entry.
    ///
    /// ```
    /// # use downloadview::{Archive, VirtualFile};
    /// let mut archive = Archive::new();
    /// archive.push("a.txt", VirtualFile::from_static(b"a"));
    /// # let _ = archive;
    /// ```
    pub fn push(&mut self, name: impl Into<String>, file: VirtualFile) {
        self.entries.push(Member::File(name.into(), file));
    }

    /// Adds a folder entry (builder style): an empty folder when no other
    /// entry is in it, created when the archive is unpacked, with mode
    /// `rwxr-xr-x` (0o755). `name` is a path like an entry's, with or
    /// without a trailing `/`. A folder that other entries are in needs no
    /// entry of its own, but may have one (once).
    ///
    /// ```
    /// # use downloadview::{Archive, VirtualFile};
    /// let file = Archive::new()
    ///     .entry("site/index.html", VirtualFile::from_static(b"<h1>hi</h1>"))
    ///     .folder("site/uploads/") // empty, but unpacked
    ///     .build()?;
    /// # let _ = file;
    /// # Ok::<(), downloadview::ArchiveError>(())
    /// ```
    pub fn folder(mut self, name: impl Into<String>) -> Self {
        self.push_folder(name);
        self
    }

    /// Adds a folder entry, with mode 0o755; see [`folder`](Self::folder).
    ///
    /// ```
    /// # use downloadview::Archive;
    /// let mut archive = Archive::new();
    /// archive.push_folder("empty");
    /// # let _ = archive.build()?;
    /// # Ok::<(), downloadview::ArchiveError>(())
    /// ```
    pub fn push_folder(&mut self, name: impl Into<String>) {
        self.push_folder_with_mode(name, 0o755);
    }

    /// Adds a folder entry with the permissions `mode` (at most 0o777, e.g.
    /// 0o700 for a folder only its owner may open); see
    /// [`folder`](Self::folder).
    ///
    /// ```
    /// # use downloadview::Archive;
    /// let mut archive = Archive::new();
    /// archive.push_folder_with_mode("private", 0o700);
    /// // Set-user-ID, set-group-ID and sticky bits are refused.
    /// archive.push_folder_with_mode("shared", 0o1777);
    /// assert!(archive.build().is_err());
    /// ```
    pub fn push_folder_with_mode(&mut self, name: impl Into<String>, mode: u32) {
        let mut name = name.into();
        if name.ends_with('/') {
            name.pop();
        }
        self.entries.push(Member::Folder {
            name,
            mode: Some(mode),
        });
    }

    /// The modification time of the entries that have none of their own
    /// (no [`VirtualFile::with_last_modified`]) and of the folders, as
    /// unpackers list and restore it: for instance the time the data last
    /// changed. Without it, such entries get the latest time among the
    /// other entries', or, when no entry has one, 1980-01-01 00:00:00, the
    /// earliest time a zip can hold (unpackers show that date). A time that
    /// stays the same across requests keeps the archive's bytes, its `ETag`
    /// and resumed downloads the same; the current time would not.
    ///
    /// ```
    /// # use downloadview::{Archive, VirtualFile};
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let exported = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let file = Archive::new()
    ///     .entry("generated.csv", VirtualFile::from_iter(["a,b\n"]).with_size(4))
    ///     .dated(exported)
    ///     .build()?;
    /// # let _ = file;
    /// # Ok::<(), downloadview::ArchiveError>(())
    /// ```
    pub fn dated(mut self, time: SystemTime) -> Self {
        self.dated = Some(time);
        self
    }

    /// Compresses the entries with deflate: the archive's size is then
    /// unknown (sent chunked) and Range is not served; the `ETag`, when
    /// there is one, is weak (the bytes depend on the compressor).
    ///
    /// ```
    /// # use downloadview::{Archive, VirtualFile};
    /// let file = Archive::new()
    ///     .entry("big.txt", VirtualFile::from("a".repeat(100_000)))
    ///     .deflate()
    ///     .build()?;
    /// assert_eq!(file.size(), None);
    /// # Ok::<(), downloadview::ArchiveError>(())
    /// ```
    #[cfg(feature = "deflate")]
    pub fn deflate(mut self) -> Self {
        self.deflate = true;
        self
    }

    /// Builds a tar instead of a zip: POSIX ustar headers, with pax headers
    /// for names that are long or not ASCII and sizes from 8 GiB, each
    /// entry's data padded to 512-byte blocks. What Linux users and tools
    /// expect (`curl … | tar -x`). Content-Type `application/x-tar`.
    ///
    /// The same guarantees as a zip's: names checked the same way, folders,
    /// modes and times; the exact `Content-Length`, so HEAD costs nothing;
    /// Range and resume byte-exact when every entry can serve ranges (a
    /// range needs only the entries it overlaps: the others are not run);
    /// a strong `ETag` from the entries'. Every entry's size must be known,
    /// since tar writes it before the data: [`build`](Self::build) refuses
    /// an entry without one.
    ///
    /// ```
    /// # use downloadview::{Archive, VirtualFile};
    /// let file = Archive::new()
    ///     .entry("notes.txt", VirtualFile::from_static(b"hello\n"))
    ///     .folder("empty")
    ///     .tar()
    ///     .build()?;
    /// assert_eq!(file.content_type(), Some("application/x-tar"));
    /// assert_eq!(file.size(), Some(512 + 512 + 512 + 1024)); // headers, data block, end
    /// # Ok::<(), downloadview::ArchiveError>(())
    /// ```
    pub fn tar(mut self) -> Self {
        self.tar = true;
        self
    }

    /// A gzip-compressed tar (`.tar.gz`, Content-Type `application/gzip`):
    /// [`tar`](Self::tar) through gzip, as it streams. As with a deflated zip
    /// the size is then unknown (sent chunked), Range is not served, and the
    /// `ETag`, when there is one, is weak.
    ///
    /// ```
    /// # use downloadview::{Archive, VirtualFile};
    /// let file = Archive::new()
    ///     .entry("big.txt", VirtualFile::from("a".repeat(100_000)))
    ///     .tar_gz()
    ///     .build()?;
    /// assert_eq!(file.content_type(), Some("application/gzip"));
    /// assert_eq!(file.size(), None);
    /// # Ok::<(), downloadview::ArchiveError>(())
    /// ```
    #[cfg(feature = "deflate")]
    pub fn tar_gz(mut self) -> Self {
        self.tar = true;
        self.deflate = true;
        self
    }

    /// Plans the archive: checks every name and computes the layout (and the
    /// size, when every entry's is known).
    ///
    /// # Errors
    /// A refused entry name (which entry, and why), a mode past 0o777, an
    /// entry of unknown size in a tar, a first pass asked of a source that
    /// can be read only once ([`VirtualFile::with_crc32_first_pass`]), or
    /// sizes adding up past 2^64 bytes.
    pub fn build(self) -> Result<VirtualFile, ArchiveError> {
        let method = if self.deflate && !self.tar {
            #[cfg(feature = "deflate")]
            {
                Method::Deflate
            }
            #[cfg(not(feature = "deflate"))]
            {
                Method::Stored
            }
        } else {
            Method::Stored
        };
        let dated = self.dated.or_else(|| {
            self.entries
                .iter()
                .filter_map(|member| member.file()?.last_modified())
                .max()
        });
        // Only a stored zip entry's local header can state its CRC (a
        // deflated one's compressed size comes after its data anyway); a tar
        // has no CRC.
        let crc_ahead = method == Method::Stored && !self.tar;
        let crcs: Vec<Option<u32>> = self
            .entries
            .iter()
            .map(|member| member.file()?.crc32_ahead().filter(|_| crc_ahead))
            .collect();
        // The entries a first pass gives a CRC ahead: asked for, and not
        // known ahead already. Their sources must be read twice.
        let passes: Vec<bool> = self
            .entries
            .iter()
            .zip(&crcs)
            .map(|(member, crc)| {
                crc_ahead && crc.is_none() && member.file().is_some_and(VirtualFile::crc_pass)
            })
            .collect();
        for (index, (member, &pass)) in self.entries.iter().zip(&passes).enumerate() {
            if let (Member::File(name, file), true) = (member, pass) {
                if let Some(kind) = file.source.read_once() {
                    return Err(ArchiveError(ZipError::ReadOnce {
                        index,
                        name: name.clone(),
                        kind,
                    }));
                }
            }
        }
        let metas =
            self.entries
                .iter()
                .zip(crcs.iter().zip(&passes))
                .map(|(member, (&crc, &crc_pass))| match member {
                    Member::File(name, file) => EntryMeta {
                        name: name.clone(),
                        size: file.size(),
                        mtime: file.last_modified().or(dated),
                        crc,
                        crc_pass,
                        folder: false,
                        mode: file.mode(),
                    },
                    Member::Folder { name, mode } => EntryMeta {
                        folder: true,
                        mode: *mode,
                        ..EntryMeta::file(name.clone(), Some(0), dated)
                    },
                });
        // A folder's bytes are its name, mode and time, which the tag covers.
        let folder_tag = EntityTag::new_strong("folder".to_owned());
        let tags = self
            .entries
            .iter()
            .map(|member| member.file().map_or(Some(&folder_tag), VirtualFile::etag));
        let (plan, etag, content_type) = if self.tar {
            let layout = TarLayout::plan(metas).map_err(ArchiveError)?;
            let etag = layout.etag(tags, self.deflate);
            #[cfg(feature = "deflate")]
            if self.deflate {
                (Plan::TarGz(layout), etag, "application/gzip")
            } else {
                (Plan::Tar(layout), etag, "application/x-tar")
            }
            #[cfg(not(feature = "deflate"))]
            (Plan::Tar(layout), etag, "application/x-tar")
        } else {
            let layout = Layout::plan(metas, method).map_err(ArchiveError)?;
            let etag = zip::validators::etag(&layout, tags);
            (Plan::Zip(layout), etag, "application/zip")
        };
        // The contents' times; a folder has none to change.
        let last_modified = zip::validators::last_modified(
            self.entries
                .iter()
                .filter_map(Member::file)
                .map(VirtualFile::last_modified),
        );
        let ranges = self
            .entries
            .iter()
            .all(|member| member.file().is_none_or(VirtualFile::can_range));
        let size = plan.size();
        let mut sources = Vec::with_capacity(self.entries.len());
        for (member, pass) in self.entries.into_iter().zip(passes) {
            let (source, size) = match member {
                Member::File(_, mut file) => (file.take_source(), file.size()),
                Member::Folder { .. } => (Source::Bytes(Bytes::new()), Some(0)),
            };
            let (source, first_pass) = match pass {
                true => match source.twice() {
                    Ok((first_pass, source)) => (source, Some(first_pass)),
                    // Refused above: every entry that asks can be read twice.
                    Err(source) => (source, None),
                },
                false => (source, None),
            };
            sources.push(Packing {
                source,
                first_pass,
                size,
            });
        }
        let mut file = VirtualFile::of_source(Source::Archive(Box::new(Packed {
            plan,
            entries: sources,
            ranges,
        })))
        .with_content_type(content_type);
        if let Some(size) = size {
            file = file.with_size(size);
        }
        if let Some(etag) = etag {
            file = file.with_etag(etag);
        }
        if let Some(time) = last_modified {
            file = file.with_last_modified(time);
        }
        Ok(file)
    }
}

/// A planned archive, in its format.
#[derive(Debug)]
pub(crate) enum Plan {
    Zip(Layout),
    Tar(TarLayout),
    #[cfg(feature = "deflate")]
    TarGz(TarLayout),
}

impl Plan {
    /// The archive's exact size, when known.
    pub(crate) fn size(&self) -> Option<u64> {
        match self {
            Plan::Zip(layout) => layout.size(),
            Plan::Tar(layout) => Some(layout.size()),
            #[cfg(feature = "deflate")]
            Plan::TarGz(_) => None,
        }
    }
}

/// A planned archive being produced: the assembler of its format (zip's
/// [`Zipper`], tar's [`Tarrer`], or that through gzip), which the archive
/// body (`archive/body.rs`) feeds with the entries' bytes.
pub(crate) enum Assembler {
    Zip(Zipper),
    Tar(Tarrer),
    #[cfg(feature = "deflate")]
    TarGz(Box<Gzipped>),
}

impl Assembler {
    /// The whole archive.
    pub(crate) fn whole(plan: Plan) -> Assembler {
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

    pub(crate) fn advance(&mut self, out: &mut Vec<Piece>) -> Result<Step, ZipError> {
        match self {
            Assembler::Zip(zipper) => zipper.advance(out),
            Assembler::Tar(tarrer) => tarrer.advance(out),
            #[cfg(feature = "deflate")]
            Assembler::TarGz(gzipped) => gzipped.advance(out),
        }
    }

    pub(crate) fn feed(&mut self, data: &[u8], out: &mut Vec<Piece>) -> Result<(), ZipError> {
        match self {
            Assembler::Zip(zipper) => zipper.feed(data, out),
            Assembler::Tar(tarrer) => tarrer.feed(data, out),
            #[cfg(feature = "deflate")]
            Assembler::TarGz(gzipped) => gzipped.feed(data, out),
        }
    }

    pub(crate) fn wants_more(&self) -> bool {
        match self {
            Assembler::Zip(zipper) => zipper.wants_more(),
            Assembler::Tar(tarrer) => tarrer.wants_more(),
            #[cfg(feature = "deflate")]
            Assembler::TarGz(gzipped) => gzipped.wants_more(),
        }
    }
}

/// Why an [`Archive`] cannot be built: an entry name that could unpack
/// outside the archive's folder (which entry, and why), or sizes past 2^64
/// bytes. Converts into [`DownloadError`] (a logged 500).
///
/// ```
/// use downloadview::VirtualFile;
///
/// let err = VirtualFile::zip([
///     ("ok.txt", VirtualFile::from_static(b"")),
///     ("a\\b.txt", VirtualFile::from_static(b"")),
/// ])
/// .unwrap_err();
/// assert!(err.to_string().starts_with("archive entry 1 (\"a\\\\b.txt\")"), "{err}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveError(ZipError);

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl StdError for ArchiveError {}

impl From<ArchiveError> for DownloadError {
    fn from(err: ArchiveError) -> Self {
        DownloadError::other(err)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn generated() -> VirtualFile {
        VirtualFile::from_generator(3, |_| ["abc"])
    }

    #[test]
    fn a_first_pass_over_a_source_read_once_is_refused_naming_the_entry() {
        let once = [
            (
                "reader without Seek",
                VirtualFile::from_reader(Cursor::new(b"abc".to_vec())).with_size(3),
            ),
            ("iterator", VirtualFile::from_iter(["abc"]).with_size(3)),
            (
                "writer closure",
                VirtualFile::from_writer(|out| Ok(out.write_all(b"abc")?)).with_size(3),
            ),
            (
                "stream",
                VirtualFile::from_stream(futures_util::stream::iter([Ok::<_, std::io::Error>(
                    Bytes::from_static(b"abc"),
                )]))
                .with_size(3),
            ),
            (
                "async reader without seek",
                VirtualFile::from_async_read(&b"abc"[..]).with_size(3),
            ),
        ];
        for (kind, file) in once {
            let err = Archive::new()
                .entry("fine.bin", generated().with_crc32_first_pass())
                .folder("docs")
                .entry("docs/once.bin", file.with_crc32_first_pass())
                .build()
                .unwrap_err();
            assert_eq!(
                err.0,
                ZipError::ReadOnce {
                    index: 2,
                    name: "docs/once.bin".into(),
                    kind
                }
            );
            let message = err.to_string();
            assert!(
                message.starts_with("archive entry 2 (\"docs/once.bin\"): with_crc32_first_pass")
                    && message.contains(kind),
                "{message}"
            );
        }
    }

    #[test]
    fn a_first_pass_is_asked_only_where_a_crc_goes_ahead() {
        let once = || VirtualFile::from_iter(["abc"]).with_size(3);
        // Its CRC known ahead already: nothing to read twice.
        let stated = once().with_crc32(crc32fast::hash(b"abc"));
        assert!(Archive::new()
            .entry("a", stated.with_crc32_first_pass())
            .build()
            .is_ok());
        // A tar has no CRC: the flag is ignored.
        assert!(Archive::new()
            .entry("a", once().with_crc32_first_pass())
            .tar()
            .build()
            .is_ok());
        // Nor does a deflated entry state its CRC ahead.
        #[cfg(feature = "deflate")]
        assert!(Archive::new()
            .entry("a", once().with_crc32_first_pass())
            .deflate()
            .build()
            .is_ok());
        // Sources read twice: accepted, and the size is still exact.
        let twice = [
            generated(),
            VirtualFile::from_seekable_reader(Cursor::new(b"abc".to_vec())).unwrap(),
            VirtualFile::from_async_seekable(Cursor::new(b"abc".to_vec()), 3),
            VirtualFile::from_static(b"abc"),
        ];
        for file in twice {
            let zip = Archive::new()
                .entry("a", file.with_crc32_first_pass())
                .build()
                .unwrap();
            // Local header, data, central header, end record: no descriptor.
            assert_eq!(zip.size(), Some(30 + 1 + 3 + 46 + 1 + 22));
        }
    }
}
