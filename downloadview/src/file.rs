//! `VirtualFile`: a body source plus the metadata that describes it.
//!
//! A `VirtualFile` only *describes* the content. Its source runs when the body
//! is actually sent, so HEAD and 304 answers never produce a byte.

use std::{
    borrow::Cow,
    fmt,
    future::Future,
    io::{self, Read, Seek, SeekFrom, Write},
    pin::Pin,
    rc::Rc,
    sync::Arc,
    time::SystemTime,
};

use actix_web::http::header::EntityTag;
use bytes::Bytes;
use futures_core::Stream;

use crate::{
    chunk::{Items, Pull},
    sink::AsyncSink,
};

pub(crate) use crate::chunk::BoxError;

/// A blocking iterator of chunks (what an offset-aware generator returns).
pub(crate) type ChunkIter = Box<dyn Iterator<Item = Result<Bytes, BoxError>> + Send + 'static>;

/// An offset-aware generator: the chunks from any offset to the end.
pub(crate) type Generate = Arc<dyn Fn(u64) -> ChunkIter + Send + Sync + 'static>;
/// An async stream of chunks, polled on the worker.
pub(crate) type BoxStream = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + 'static>>;
/// Opens the content from an offset, as an async stream (on the worker).
/// Shared, so that an archive's first pass can open it too
/// ([`VirtualFile::with_crc32_first_pass`]).
pub(crate) type AsyncGenerate = Rc<dyn Fn(u64) -> BoxStream + 'static>;

/// A blocking writer closure.
pub(crate) type WriteFn = Box<dyn FnOnce(&mut dyn Write) -> Result<(), BoxError> + Send + 'static>;

/// An async writer closure, its future boxed.
pub(crate) type AsyncWriteFn =
    Box<dyn FnOnce(AsyncSink) -> Pin<Box<dyn Future<Output = Result<(), BoxError>>>>>;

/// `Read + Seek`, as one object-safe trait.
pub(crate) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// The body source of a [`VirtualFile`], as the user gave it. It only
/// describes the source; `body/` runs it:
///
/// - in memory: zero-copy slices, on the worker;
/// - pull sources (readers, iterators, generators): a bounded step at a
///   time on the blocking pool, only when the response wants bytes;
/// - push sources (writer closures): on writer threads of their own;
/// - async sources (streams, `AsyncRead`, async writers): on the worker.
pub(crate) enum Source {
    /// In memory.
    Bytes(Bytes),
    /// A blocking reader.
    Read(Box<dyn Read + Send + 'static>),
    /// A blocking reader that can seek (offset 0 is where it stood when
    /// given), so it can serve ranges.
    Seek(Box<dyn ReadSeek + Send + 'static>),
    /// An offset-aware generator, so it can serve ranges.
    Generator(Generate),
    /// A user's iterator, with a pull loop compiled for its item type.
    Iter(Box<dyn Pull>),
    /// A blocking writer closure.
    Writer(WriteFn),
    /// An async stream.
    Stream(BoxStream),
    /// An async offset-aware source (an async generator, or an
    /// `AsyncRead + AsyncSeek`), so it can serve ranges.
    AsyncGenerator(AsyncGenerate),
    /// A tokio `AsyncRead`.
    AsyncRead(Pin<Box<dyn tokio::io::AsyncRead + 'static>>),
    /// An async writer closure.
    AsyncWriter(AsyncWriteFn),
    /// An archive (zip or tar) of other sources.
    Archive(Box<Packed>),
}

/// An archive, planned: its format's layout, and its entries' sources in
/// order.
pub(crate) struct Packed {
    pub(crate) plan: crate::archive::Plan,
    pub(crate) entries: Vec<Packing>,
    /// Every entry can serve ranges, and the size is known: so can the archive.
    pub(crate) ranges: bool,
}

/// An archive entry's source.
pub(crate) struct Packing {
    pub(crate) source: Source,
    /// A second reader of the same bytes, for a first pass that computes
    /// the entry's CRC (`VirtualFile::with_crc32_first_pass`).
    pub(crate) first_pass: Option<Source>,
    /// Its declared size, when known.
    pub(crate) size: Option<u64>,
}

impl Source {
    /// The number of bytes the source is known to hold, without running it.
    fn known_len(&self) -> Option<u64> {
        match self {
            Source::Bytes(bytes) => Some(bytes.len() as u64),
            _ => None,
        }
    }
}

/// A file that does not live on disk: a body source plus its metadata
/// (`name`, `size`, `content_type`, `last_modified`, `etag`).
///
/// Constructors cover what Django users do with `ContentFile`,
/// `VirtualFile(StringIO)` and `BytesIteratorIO`, and more:
///
/// | constructor | source | size known |
/// |---|---|---|
/// | [`from_static`](Self::from_static), [`from_bytes`](Self::from_bytes), `From<String / Vec<u8> / &'static str / Bytes>` | in memory | yes, in bytes |
/// | [`from_seekable_reader`](Self::from_seekable_reader) | `Read + Seek`, e.g. `Cursor<String>` | yes (seeks to the end) |
/// | [`from_reader`](Self::from_reader) | any `Read` | only with [`with_size`](Self::with_size) |
/// | [`from_iter`](Self::from_iter), [`from_try_iter`](Self::from_try_iter) | an iterator of chunks | only with `with_size` |
/// | [`from_writer`](Self::from_writer) | a closure writing into `&mut dyn Write` | only with `with_size` |
/// | [`from_stream`](Self::from_stream) | an async `Stream` of `Result<Bytes, E>` | only with `with_size` |
/// | [`from_async_read`](Self::from_async_read) | a tokio `AsyncRead` | only with `with_size` |
/// | [`from_async_generator`](Self::from_async_generator) | an async stream opened from any offset (an object store) | yes, given |
/// | [`from_async_seekable`](Self::from_async_seekable) | a tokio `AsyncRead + AsyncSeek` | yes, given |
/// | [`from_async_writer`](Self::from_async_writer) | a closure writing into an [`AsyncSink`] (async_zip, csv-async, async-compression, …) | only with `with_size` |
/// | [`zip`](Self::zip), [`Archive`](crate::Archive) | a zip of other files, streamed | when every entry's is |
///
/// Blocking sources never run on an actix worker thread, and what a slow or
/// stalled client costs is bounded for every kind:
///
/// | source | runs | while the client does not read |
/// |---|---|---|
/// | in memory | on the worker, as zero-copy slices | nothing but the connection |
/// | reader, iterator, generator (*pull*) | a bounded step at a time on the blocking pool, only when the response wants bytes | no thread; at most one window of bytes (32 KiB for a client that stalls early, up to 2 MiB for one that was fast) |
/// | writer closure (*push*) | on a writer thread of its own (not the blocking pool `web::block` uses) | its thread (a few KiB of stack touched) and one window |
/// | stream, `AsyncRead`, async generator, async seekable, async writer | on the worker | no thread; at most one window (async writer) |
///
/// A client that takes no body byte for
/// [`send_timeout`](crate::GetFile::send_timeout) seconds (60 by default)
/// is abandoned: its producer is stopped and dropped.
///
/// ```
/// use std::io::Cursor;
/// use downloadview::VirtualFile;
///
/// let text = VirtualFile::from_static(b"Hello world!\n").with_name("hello-world.txt");
/// assert_eq!(text.size(), Some(13));
/// assert_eq!(text.name(), Some("hello-world.txt"));
///
/// let stringio = VirtualFile::from_seekable_reader(Cursor::new(String::from("Hello world!\n")))?;
/// assert_eq!(stringio.size(), Some(13));
///
/// let generated = VirtualFile::from_iter(["Hello ", "world!", "\n"]);
/// assert_eq!(generated.size(), None); // sent chunked
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct VirtualFile {
    pub(crate) source: Source,
    name: Option<Cow<'static, str>>,
    size: Option<u64>,
    content_type: Option<Cow<'static, str>>,
    last_modified: Option<SystemTime>,
    etag: Option<EntityTag>,
    crc32: Option<u32>,
    crc_pass: bool,
    mode: Option<u32>,
}

impl VirtualFile {
    /// A file of `source`, no metadata yet.
    pub(crate) fn of_source(source: Source) -> Self {
        Self::new(source)
    }

    /// Whether the parts of a multipart answer can go in any order (the
    /// order they were asked for). An archive is produced from its start in
    /// one pass (a zip's CRCs before a range are needed, a tar skips what is
    /// before): its parts go in file order.
    pub(crate) fn parts_in_any_order(&self) -> bool {
        !matches!(self.source, Source::Archive(_))
    }

    /// Whether the file can serve ranges: in memory (of its
    /// declared size), a seekable reader, an offset-aware generator, an
    /// archive of those; a size must be known.
    pub(crate) fn can_range(&self) -> bool {
        let Some(size) = self.size else {
            return false;
        };
        match &self.source {
            Source::Bytes(bytes) => bytes.len() as u64 == size,
            Source::Seek(_) | Source::Generator(_) | Source::AsyncGenerator(_) => true,
            Source::Archive(packed) => packed.ranges && packed.plan.size() == Some(size),
            Source::Read(_)
            | Source::Iter(_)
            | Source::Writer(_)
            | Source::Stream(_)
            | Source::AsyncRead(_)
            | Source::AsyncWriter(_) => false,
        }
    }

    pub(crate) fn new(source: Source) -> Self {
        VirtualFile {
            size: source.known_len(),
            source,
            name: None,
            content_type: None,
            last_modified: None,
            etag: None,
            crc32: None,
            crc_pass: false,
            mode: None,
        }
    }

    /// Static bytes, sent without copying.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// let file = VirtualFile::from_static(b"Hello world!\n");
    /// assert_eq!(file.size(), Some(13));
    /// ```
    pub fn from_static(bytes: &'static [u8]) -> Self {
        Self::new(Source::Bytes(Bytes::from_static(bytes)))
    }

    /// Bytes or text in memory (`String`, `Vec<u8>`, `Bytes`, `&'static str`, …),
    /// like Django's `ContentFile`. The size is the length **in bytes**.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// let file = VirtualFile::from_bytes(String::from("café"));
    /// assert_eq!(file.size(), Some(5)); // bytes, not characters
    /// ```
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self::new(Source::Bytes(bytes.into()))
    }

    /// A blocking reader of unknown length (sent chunked unless
    /// [`with_size`](Self::with_size) declares it). It is read a step at a
    /// time on the blocking pool, only when the response wants bytes, so a
    /// client that does not read holds no thread.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// let file = VirtualFile::from_reader(std::io::repeat(b'x').take(1000)).with_size(1000);
    /// # use std::io::Read;
    /// assert_eq!(file.size(), Some(1000));
    /// ```
    pub fn from_reader(reader: impl Read + Send + 'static) -> Self {
        Self::new(Source::Read(Box::new(reader)))
    }

    /// A reader that can seek, like Django's `VirtualFile(StringIO(...))`: its
    /// size is measured by seeking to the end (and back), so the response has a
    /// `Content-Length`.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// use std::io::{Cursor, Seek, SeekFrom};
    /// let mut cursor = Cursor::new(b"Hello world!\n".to_vec());
    /// cursor.seek(SeekFrom::Start(6))?;
    /// let file = VirtualFile::from_seekable_reader(cursor)?;
    /// assert_eq!(file.size(), Some(7)); // what is left from the current position
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    /// The error of the seeks, if any.
    pub fn from_seekable_reader(reader: impl Read + Seek + Send + 'static) -> io::Result<Self> {
        let mut reader = OffsetReader::new(reader)?;
        let size = reader.len()?;
        Ok(Self::new(Source::Seek(Box::new(reader))).with_size(size))
    }

    /// An offset-aware generator: `size` bytes, produced by `generate(offset)`,
    /// which returns an iterator of the chunks from `offset` to the end. Range
    /// requests start it at the first byte wanted (no generator anywhere else
    /// can do that). It runs on the blocking pool.
    ///
    /// `generate(offset)` must yield exactly the bytes from `offset`, for any
    /// offset: the engine also starts it again during a plain download,
    /// when a client's window fills in the middle of an item (so a stalled
    /// client holds one window, not the rest of a large item). A generator
    /// that ignores its offset sends wrong bytes.
    ///
    /// Keep items at 64 KiB or less: such an item is always handed over
    /// whole. A larger item that does not fit the room left in the client's
    /// window is cut there, rounded up to 64 KiB (the bytes that fit are
    /// copied, the rest is dropped) and the next step starts the generator
    /// again at the cut. The room is 32 KiB for the first 4.5 MiB of a
    /// download and up to 2 MiB after, so items of 1 MiB would each be
    /// generated about 16 times during the first 4.5 MiB, and again at most
    /// steps after it: with a generator that fetches each item (a ranged
    /// read from a remote store), that is a fetch per step. Such a source is
    /// better served by [`from_async_generator`](Self::from_async_generator),
    /// which is opened once per part and never started again in between.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// // byte i is (i % 251): any offset can be produced directly.
    /// let file = VirtualFile::from_generator(1 << 20, |offset| {
    ///     (offset..1 << 20).step_by(4096).map(move |start| {
    ///         let end = (start + 4096).min(1 << 20);
    ///         (start..end).map(|i| (i % 251) as u8).collect::<Vec<u8>>()
    ///     })
    /// });
    /// assert_eq!(file.size(), Some(1 << 20));
    /// ```
    pub fn from_generator<F, I>(size: u64, generate: F) -> Self
    where
        F: Fn(u64) -> I + Send + Sync + 'static,
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Into<Bytes>,
    {
        let generate = move |offset: u64| -> ChunkIter {
            Box::new(generate(offset).into_iter().map(|item| Ok(item.into())))
        };
        Self::new(Source::Generator(Arc::new(generate))).with_size(size)
    }

    /// An iterator of chunks (`&'static str`, `String`, `Vec<u8>`, `Bytes`, …),
    /// like Django's `BytesIteratorIO(generator)`. It runs on the blocking pool;
    /// small items are coalesced into larger chunks.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// let file = VirtualFile::from_iter((1..=3).map(|i| format!("line {i}\n")));
    /// assert_eq!(file.size(), None);
    /// ```
    #[allow(clippy::should_implement_trait)] // named after Django's iterator sources, and takes any IntoIterator
    pub fn from_iter<I>(iter: I) -> Self
    where
        I: IntoIterator + 'static,
        I::IntoIter: Send + 'static,
        I::Item: Into<Bytes> + 'static,
    {
        Self::new(Source::Iter(Box::new(Items(
            iter.into_iter().map(Ok::<_, BoxError>),
        ))))
    }

    /// An iterator of fallible chunks: an `Err` item aborts the response (the
    /// client sees an incomplete transfer) and is logged.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// let rows = vec![Ok("a\n"), Err(std::io::Error::other("db went away"))];
    /// let file = VirtualFile::from_try_iter(rows);
    /// # let _ = file;
    /// ```
    pub fn from_try_iter<I, T, E>(iter: I) -> Self
    where
        I: IntoIterator<Item = Result<T, E>> + 'static,
        I::IntoIter: Send + 'static,
        T: Into<Bytes> + 'static,
        E: Into<BoxError>,
    {
        Self::new(Source::Iter(Box::new(Items(iter.into_iter()))))
    }

    /// A closure that writes the content into a `&mut dyn Write` (CSV writers,
    /// zip writers, …). Small writes are coalesced into chunks.
    ///
    /// It runs on a writer thread of downloadview's own, never on an actix
    /// worker nor on the blocking pool that `web::block` shares: the closure
    /// keeps its thread while it runs, so 1,000 stalled clients would
    /// otherwise freeze every `web::block` call. A write waits while the
    /// client has not taken the bytes before it (one window: 32 KiB for a
    /// client that stalls early, up to 2 MiB); when the client goes away or
    /// [`send_timeout`](crate::GetFile::send_timeout) passes, the next `write`
    /// fails (`BrokenPipe`), so a closure that propagates errors with `?`
    /// stops and is dropped. Writer threads have 512 KiB stacks; at most
    /// 10,000 run at once (see [`set_max_writer_threads`](crate::set_max_writer_threads)).
    ///
    /// The closure returns `Result<(), Box<dyn Error + Send + Sync>>`, so `?`
    /// works on any error type: `io::Error` from the writes, a database
    /// driver's error from its cursor, `csv::Error` from a serializer. An
    /// `Err` aborts the response (the client sees an incomplete transfer)
    /// and is reported once, as
    /// [`SourceFailed`](crate::Outcome::SourceFailed) with its message. A
    /// function that returns another `Result` is passed as
    /// `|out| Ok(write_rows(out)?)`.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// use std::io::Write;
    /// let file = VirtualFile::from_writer(|out| {
    ///     for i in 0..3 {
    ///         writeln!(out, "{i},{}", i * i)?;
    ///     }
    ///     Ok(())
    /// });
    /// # let _ = file;
    ///
    /// // Any error type goes through `?`, here a number that fails to parse.
    /// fn rows(out: &mut dyn Write) -> Result<(), std::num::ParseIntError> {
    ///     let n: u32 = "12".parse()?;
    ///     writeln!(out, "{n}").ok();
    ///     Ok(())
    /// }
    /// let file = VirtualFile::from_writer(|out| Ok(rows(out)?));
    /// # let _ = file;
    /// ```
    pub fn from_writer<F>(write: F) -> Self
    where
        F: FnOnce(&mut dyn Write) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
            + Send
            + 'static,
    {
        Self::new(Source::Writer(Box::new(write)))
    }

    /// An async stream of `Result<Bytes, E>` chunks, polled on the worker (it
    /// must not block). An `Err` item aborts the response.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// use bytes::Bytes;
    /// let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from("hi\n"))]);
    /// let file = VirtualFile::from_stream(chunks).with_size(3);
    /// # let _ = file;
    /// ```
    pub fn from_stream<S, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + 'static,
        E: Into<BoxError>,
    {
        use futures_util::StreamExt as _;
        Self::new(Source::Stream(Box::pin(
            stream.map(|item| item.map_err(Into::into)),
        )))
    }

    /// An async offset-aware source of `size` bytes: `open(offset)` is a
    /// future that opens the content from `offset` on and resolves to a
    /// stream of its chunks; an object store's ranged `get`, a remote file
    /// behind another service. It runs on the worker (it must not block) and
    /// holds no thread; a stalled client costs what a
    /// [`from_stream`](Self::from_stream) one does.
    ///
    /// It is opened only when a body is sent: from 0 for a full download,
    /// once per part, at the part's first byte, for a Range or a multipart
    /// answer (the chunks past the part are not pulled); never for HEAD, 304,
    /// 412 or 416. So a download served from an object store can be resumed,
    /// and a video scrubbed. In an archive it is an entry that can serve
    /// ranges. An open that fails, an `Err` item or a stream that ends
    /// before its part does aborts the response (the client sees an
    /// incomplete transfer) and is reported `SourceFailed`: the response
    /// head is sent before the body is opened, so an error status is no
    /// longer possible by then.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use downloadview::VirtualFile;
    ///
    /// // Stands for an object store: 1 MiB whose byte i is i % 251, opened
    /// // from any offset.
    /// const SIZE: u64 = 1 << 20;
    /// let file = VirtualFile::from_async_generator(SIZE, |offset| async move {
    ///     let chunks = (offset..SIZE).step_by(65536).map(move |at| {
    ///         let end = (at + 65536).min(SIZE);
    ///         Ok::<_, std::io::Error>(Bytes::from((at..end).map(|i| (i % 251) as u8).collect::<Vec<u8>>()))
    ///     });
    ///     Ok::<_, std::io::Error>(futures_util::stream::iter(chunks))
    /// });
    /// assert_eq!(file.size(), Some(SIZE));
    /// ```
    pub fn from_async_generator<F, Fut, S, E>(size: u64, open: F) -> Self
    where
        F: Fn(u64) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<S, E>> + 'static,
        S: Stream<Item = Result<Bytes, E>> + 'static,
        E: Into<BoxError>,
    {
        use futures_util::{StreamExt as _, TryStreamExt as _};
        let open = move |offset| -> BoxStream {
            let opened = futures_util::stream::once(open(offset)).try_flatten();
            Box::pin(opened.map(|item| item.map_err(Into::into)))
        };
        Self::new(Source::AsyncGenerator(Rc::new(open))).with_size(size)
    }

    /// An async reader that can seek ([`tokio::io::AsyncRead`] +
    /// [`tokio::io::AsyncSeek`]: `tokio::fs::File`, a store's ranged
    /// reader), of `size` bytes, read from its start: it serves ranges and
    /// multipart answers (a seek to each part's first byte), on the worker,
    /// in reads of at most 64 KiB, as
    /// [`from_async_generator`](Self::from_async_generator) does.
    ///
    /// ```
    /// use downloadview::VirtualFile;
    ///
    /// // `Cursor` is an `AsyncRead + AsyncSeek`; so is `tokio::fs::File`.
    /// let file = VirtualFile::from_async_seekable(std::io::Cursor::new(b"Hello world!\n".to_vec()), 13);
    /// assert_eq!(file.size(), Some(13));
    /// ```
    pub fn from_async_seekable<R>(reader: R, size: u64) -> Self
    where
        R: tokio::io::AsyncRead + tokio::io::AsyncSeek + 'static,
    {
        Self::new(Source::AsyncGenerator(crate::async_seek::generator(reader))).with_size(size)
    }

    /// A tokio [`AsyncRead`](tokio::io::AsyncRead) (an async file, a socket, a
    /// pipe from a child process, a decompressor, …), polled on the actix worker
    /// (it must not block) in reads of at most 64 KiB, each sent without a
    /// further copy. Its size is unknown (sent chunked) unless
    /// [`with_size`](Self::with_size) declares it. A read error aborts the
    /// response (the client sees an incomplete transfer) and is logged.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// // `&[u8]` is an `AsyncRead`; so are `tokio::fs::File`, `TcpStream`, …
    /// let file = VirtualFile::from_async_read(&b"Hello world!\n"[..]).with_size(13);
    /// assert_eq!(file.size(), Some(13));
    /// ```
    pub fn from_async_read<R>(reader: R) -> Self
    where
        R: tokio::io::AsyncRead + 'static,
    {
        Self::new(Source::AsyncRead(Box::pin(reader)))
    }

    /// A closure handed an [`AsyncSink`] (a tokio `AsyncWrite`) that returns a
    /// future writing the content: for async_zip, csv-async,
    /// async-compression and other async writers.
    ///
    /// The future is polled on the actix worker (it must not block) only when
    /// the response wants bytes: a write waits while the client has not taken
    /// the bytes before it (one window, as for [`from_writer`](Self::from_writer)).
    /// An `Err` from the future, a panic, or a size other than a declared one
    /// aborts the response. When the client goes away the future is dropped,
    /// and a sink it handed elsewhere fails its next write with `BrokenPipe`.
    ///
    /// ```
    /// use downloadview::{AsyncSink, VirtualFile};
    /// use tokio::io::AsyncWriteExt as _;
    ///
    /// // Rows from an async source (a database cursor, an HTTP API, …).
    /// async fn row(i: u32) -> String {
    ///     format!("{i},{}\n", i * i)
    /// }
    ///
    /// let file = VirtualFile::from_async_writer(|mut out: AsyncSink| async move {
    ///     out.write_all(b"n,square\n").await?;
    ///     for i in 0..1000 {
    ///         out.write_all(row(i).await.as_bytes()).await?;
    ///     }
    ///     Ok::<_, std::io::Error>(())
    /// });
    /// # let _ = file;
    /// ```
    pub fn from_async_writer<F, Fut, E>(write: F) -> Self
    where
        F: FnOnce(AsyncSink) -> Fut + 'static,
        Fut: Future<Output = Result<(), E>> + 'static,
        E: Into<BoxError>,
    {
        Self::new(Source::AsyncWriter(Box::new(move |sink| {
            let future = write(sink);
            Box::pin(async move { future.await.map_err(Into::into) })
        })))
    }

    /// A zip archive of `entries`, each a name (a relative path with `/`
    /// separators) and a file of any source kind, streamed. The
    /// common case of [`Archive`](crate::Archive), which has the details.
    ///
    /// ```
    /// use downloadview::VirtualFile;
    ///
    /// let zip = VirtualFile::zip([
    ///     ("hello-world.txt", VirtualFile::from_static(b"Hello world!\n")),
    ///     ("data/big.bin", VirtualFile::from_generator(1 << 20, |offset| {
    ///         (offset..1 << 20).step_by(4096).map(|i| vec![(i % 251) as u8; 4096])
    ///     })),
    /// ])?;
    /// assert_eq!(zip.content_type(), Some("application/zip"));
    /// assert!(zip.size().is_some()); // Content-Length: exact, before any byte
    /// # Ok::<(), downloadview::ArchiveError>(())
    /// ```
    ///
    /// # Errors
    /// An entry name that could unpack outside the archive's folder (which
    /// entry, and why), or sizes adding up past 2^64 bytes.
    pub fn zip<I, N>(entries: I) -> Result<Self, crate::ArchiveError>
    where
        I: IntoIterator<Item = (N, VirtualFile)>,
        N: Into<String>,
    {
        let mut archive = crate::Archive::new();
        for (name, file) in entries {
            archive.push(name, file);
        }
        archive.build()
    }

    /// A tar archive of `entries` (POSIX ustar, pax headers where needed),
    /// streamed: what `curl … | tar -x` unpacks. Every entry's size must be
    /// known (tar writes it before the data); the archive's is then exact.
    /// [`Archive`](crate::Archive) has the details and the options (folders,
    /// modes, gzip).
    ///
    /// ```
    /// use downloadview::VirtualFile;
    ///
    /// let tar = VirtualFile::tar([
    ///     ("hello-world.txt", VirtualFile::from_static(b"Hello world!\n")),
    ///     ("data/big.bin", VirtualFile::from_generator(1 << 20, |offset| {
    ///         (offset..1 << 20).step_by(4096).map(|i| vec![(i % 251) as u8; 4096])
    ///     })),
    /// ])?;
    /// assert_eq!(tar.content_type(), Some("application/x-tar"));
    /// assert_eq!(tar.size(), Some(512 + 512 + 512 + (1 << 20) + 1024));
    /// // An entry of unknown size cannot go in a tar:
    /// assert!(VirtualFile::tar([("rows.csv", VirtualFile::from_iter(["a\n"]))]).is_err());
    /// # Ok::<(), downloadview::ArchiveError>(())
    /// ```
    ///
    /// # Errors
    /// An entry name that could unpack outside the archive's folder (which
    /// entry, and why), an entry of unknown size, or sizes adding up past
    /// 2^64 bytes.
    pub fn tar<I, N>(entries: I) -> Result<Self, crate::ArchiveError>
    where
        I: IntoIterator<Item = (N, VirtualFile)>,
        N: Into<String>,
    {
        let mut archive = crate::Archive::new().tar();
        for (name, file) in entries {
            archive.push(name, file);
        }
        archive.build()
    }

    /// Sets the file's own name; the served name when the view has no basename.
    /// Only its last `/`-separated component is used.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// let file = VirtualFile::from_static(b"a,b\n").with_name("exports/2024/report.csv");
    /// assert_eq!(file.name(), Some("exports/2024/report.csv")); // served as `report.csv`
    /// ```
    pub fn with_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Declares the size in bytes: the response gets a `Content-Length`. A source
    /// that then yields more or fewer bytes aborts the response: the client
    /// sees an incomplete transfer, never a short file that looks whole.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// // Three chunks whose total is known in advance: sent with `Content-Length: 13`.
    /// let file = VirtualFile::from_iter(["Hello ", "world!", "\n"]).with_size(13);
    /// assert_eq!(file.size(), Some(13));
    /// ```
    pub fn with_size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    /// Sets the whole `Content-Type` value, used verbatim (no charset is added).
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// let file = VirtualFile::from_static(b"<p>hi</p>").with_content_type("text/html; charset=windows-1252");
    /// assert_eq!(file.content_type(), Some("text/html; charset=windows-1252"));
    /// ```
    pub fn with_content_type(mut self, content_type: impl Into<Cow<'static, str>>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Sets the modification time, sent as `Last-Modified` and used for
    /// conditional requests.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let changed = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let file = VirtualFile::from_static(b"v1").with_last_modified(changed);
    /// assert_eq!(file.last_modified(), Some(changed));
    /// ```
    pub fn with_last_modified(mut self, last_modified: SystemTime) -> Self {
        self.last_modified = Some(last_modified);
        self
    }

    /// Sets the entity tag, sent as `ETag` and used for conditional requests.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// use actix_web::http::header::EntityTag;
    /// let file = VirtualFile::from_static(b"v1").with_etag(EntityTag::new_strong("v1".into()));
    /// assert_eq!(file.etag().unwrap().tag(), "v1");
    /// ```
    pub fn with_etag(mut self, etag: EntityTag) -> Self {
        self.etag = Some(etag);
        self
    }

    /// States the CRC-32 (IEEE, as zip uses and `crc32fast` computes) of the
    /// content, for archives: a stored [`Archive`](crate::Archive) entry of
    /// known size whose CRC is known writes it in its local header, with no
    /// data descriptor after its data, which is what streaming zip readers
    /// such as Java's `java.util.zip.ZipInputStream` need. In-memory content
    /// is hashed when the archive is built; for other sources, give the CRC
    /// you stored beside the data (a database column, object metadata).
    ///
    /// A source whose bytes do not have this CRC aborts the archive's
    /// download when its entry ends (the archive already sent would be
    /// corrupt). A plain download ignores it.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// let report = b"quarterly numbers\n";
    /// // Stored beside the data when it was written:
    /// let crc = crc32fast::hash(report);
    /// let file = VirtualFile::from_iter([&report[..9], &report[9..]])
    ///     .with_size(report.len() as u64)
    ///     .with_crc32(crc);
    /// assert_eq!(file.crc32(), Some(crc));
    /// ```
    pub fn with_crc32(mut self, crc32: u32) -> Self {
        self.crc32 = Some(crc32);
        self
    }

    /// The CRC-32 stated with [`with_crc32`](Self::with_crc32), if any.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// assert_eq!(VirtualFile::from_static(b"abc").crc32(), None); // computed by archives, not here
    /// ```
    pub fn crc32(&self) -> Option<u32> {
        self.crc32
    }

    /// Asks a stored zip [`Archive`](crate::Archive) to read this entry's
    /// source twice: a first pass computes its CRC-32 (its bytes hashed and
    /// dropped, nothing sent), so that its local header states the CRC and
    /// sizes, with no data descriptor after its data; a second pass sends
    /// it. That is what streaming readers such as Java's
    /// `java.util.zip.ZipInputStream` need of a stored entry, when the CRC
    /// is not stored anywhere to give it with [`with_crc32`](Self::with_crc32).
    ///
    /// The entry is planned as one whose CRC is known ahead: the archive's
    /// `Content-Length` and `ETag` are computed without running anything,
    /// and HEAD, 304, 412 and 416 answers still run no source. The first
    /// pass runs only when the archive's body reaches the entry's local
    /// header (a range that starts after it reads the entry once); it costs
    /// a second read of the entry, run as its kind always runs (on the
    /// blocking pool for a generator or a reader, on the worker for an async
    /// generator). The second pass must give the same bytes: when its CRC
    /// differs from the first's the download is aborted at the entry's end
    /// (the client sees an incomplete transfer, reported
    /// [`SourceFailed`](crate::Outcome::SourceFailed)), never completed as a
    /// corrupt archive.
    ///
    /// Only a source that can be read from its start twice qualifies: an
    /// offset-aware generator ([`from_generator`](Self::from_generator)), a
    /// seekable reader ([`from_seekable_reader`](Self::from_seekable_reader):
    /// it is read again from where it stood when given), an async generator
    /// or async seekable reader
    /// ([`from_async_generator`](Self::from_async_generator),
    /// [`from_async_seekable`](Self::from_async_seekable)). In-memory content
    /// and a file with [`with_crc32`](Self::with_crc32) need no first pass
    /// (their CRC is known ahead already): the flag changes nothing for them.
    /// [`Archive::build`](crate::Archive::build) refuses any other source
    /// (a plain reader, an iterator, a stream, a writer closure) with this
    /// flag, naming the entry.
    ///
    /// Where no CRC goes ahead of the data the flag is ignored and the entry
    /// is read once: a deflated zip (a deflated entry's compressed size only
    /// comes after its data, so it keeps its data descriptor, which every
    /// reader, Java's included, reads), a tar (which has no CRC), and a
    /// plain download.
    ///
    /// ```
    /// use downloadview::{Archive, VirtualFile};
    ///
    /// // Byte i is i % 251, produced from any offset: it can be read twice.
    /// let generated = VirtualFile::from_generator(1 << 20, |offset| {
    ///     (offset..1 << 20).step_by(4096).map(|start| {
    ///         let end = (start + 4096).min(1 << 20);
    ///         (start..end).map(|i| (i % 251) as u8).collect::<Vec<u8>>()
    ///     })
    /// });
    /// let zip = Archive::new()
    ///     .entry("data.bin", generated.with_crc32_first_pass())
    ///     .build()?;
    /// assert!(zip.size().is_some()); // still exact, before any byte
    ///
    /// // A plain iterator is read once: refused, with the entry named.
    /// let err = Archive::new()
    ///     .entry("rows.csv", VirtualFile::from_iter(["a\n"]).with_size(2).with_crc32_first_pass())
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("\"rows.csv\""), "{err}");
    /// # Ok::<(), downloadview::ArchiveError>(())
    /// ```
    pub fn with_crc32_first_pass(mut self) -> Self {
        self.crc_pass = true;
        self
    }

    /// Whether [`with_crc32_first_pass`](Self::with_crc32_first_pass) asked
    /// for a first pass.
    pub(crate) fn crc_pass(&self) -> bool {
        self.crc_pass
    }

    /// Sets the Unix permissions the file gets when unpacked from an
    /// [`Archive`](crate::Archive) (zip's external attributes): 0o755 for a
    /// script or a program that should run once unpacked, 0o600 for a file
    /// only its owner may read. Default: 0o644 (`rw-r--r--`). At most 0o777:
    /// a mode with set-user-ID, set-group-ID or sticky bits makes
    /// [`Archive::build`](crate::Archive::build) fail. A plain download
    /// ignores it (HTTP has no permissions).
    ///
    /// ```
    /// # use downloadview::{Archive, VirtualFile};
    /// let script = VirtualFile::from_static(b"#!/bin/sh\necho hello\n").with_mode(0o755);
    /// assert_eq!(script.mode(), Some(0o755));
    /// let archive = Archive::new().entry("bin/hello.sh", script).build()?;
    /// # let _ = archive;
    /// assert!(Archive::new()
    ///     .entry("setuid", VirtualFile::from_static(b"").with_mode(0o4755))
    ///     .build()
    ///     .is_err());
    /// # Ok::<(), downloadview::ArchiveError>(())
    /// ```
    pub fn with_mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self
    }

    /// The permissions set with [`with_mode`](Self::with_mode), if any.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// assert_eq!(VirtualFile::from_static(b"").mode(), None); // 0o644 in an archive
    /// ```
    pub fn mode(&self) -> Option<u32> {
        self.mode
    }

    /// The CRC-32 an archive can state ahead: the one given, or in-memory
    /// content's own (hashed here) when its length is the declared size.
    pub(crate) fn crc32_ahead(&self) -> Option<u32> {
        match &self.source {
            _ if self.crc32.is_some() => self.crc32,
            Source::Bytes(bytes) if self.size == Some(bytes.len() as u64) => {
                Some(crc32fast::hash(bytes))
            }
            _ => None,
        }
    }

    /// The body source, leaving an empty one in its place.
    pub(crate) fn take_source(&mut self) -> Source {
        std::mem::replace(&mut self.source, Source::Bytes(Bytes::new()))
    }

    /// The file's own name as stored (static names stay borrowed).
    pub(crate) fn name_cow(&self) -> Option<&Cow<'static, str>> {
        self.name.as_ref()
    }

    /// The file's own name, if any.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// assert_eq!(VirtualFile::from_static(b"").name(), None);
    /// assert_eq!(VirtualFile::from_static(b"").with_name("a.txt").name(), Some("a.txt"));
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The size in bytes, when known.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// assert_eq!(VirtualFile::from("café").size(), Some(5)); // bytes, not characters
    /// assert_eq!(VirtualFile::from_iter(["a", "b"]).size(), None); // unknown: sent chunked
    /// ```
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The `Content-Type` set with [`with_content_type`](Self::with_content_type).
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// assert_eq!(VirtualFile::from_static(b"").content_type(), None); // decided by the view
    /// ```
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The modification time, if any.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// assert_eq!(VirtualFile::from_static(b"").last_modified(), None);
    /// ```
    pub fn last_modified(&self) -> Option<SystemTime> {
        self.last_modified
    }

    /// The entity tag, if any.
    ///
    /// ```
    /// # use downloadview::VirtualFile;
    /// assert!(VirtualFile::from_static(b"").etag().is_none());
    /// ```
    pub fn etag(&self) -> Option<&EntityTag> {
        self.etag.as_ref()
    }
}

impl fmt::Debug for VirtualFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            Source::Bytes(_) => "bytes",
            Source::Read(_) => "reader",
            Source::Seek(_) => "seekable reader",
            Source::Generator(_) => "generator",
            Source::Iter(_) => "iterator",
            Source::Writer(_) => "writer",
            Source::Stream(_) => "stream",
            Source::AsyncGenerator(_) => "async generator",
            Source::AsyncRead(_) => "async reader",
            Source::AsyncWriter(_) => "async writer",
            Source::Archive(_) => "archive",
        };
        f.debug_struct("VirtualFile")
            .field("source", &source)
            .field("name", &self.name)
            .field("size", &self.size)
            .field("content_type", &self.content_type)
            .field("last_modified", &self.last_modified)
            .field("etag", &self.etag)
            .finish()
    }
}

macro_rules! from_in_memory {
    ($($ty:ty),*) => {$(
        impl From<$ty> for VirtualFile {
            /// In-memory content, as [`VirtualFile::from_bytes`].
            fn from(content: $ty) -> Self {
                VirtualFile::from_bytes(content)
            }
        }
    )*};
}
from_in_memory!(Bytes, String, Vec<u8>, &'static str, &'static [u8]);

/// A seekable reader whose offsets count from where it stood when given, so
/// that offset 0 is the first byte of the file.
struct OffsetReader<R> {
    inner: R,
    base: u64,
}

impl<R: Read + Seek> OffsetReader<R> {
    fn new(mut inner: R) -> io::Result<Self> {
        let base = inner.stream_position()?;
        Ok(OffsetReader { inner, base })
    }

    /// The bytes from the base to the end; leaves the position at the base.
    fn len(&mut self) -> io::Result<u64> {
        let end = self.inner.seek(SeekFrom::End(0))?;
        self.inner.seek(SeekFrom::Start(self.base))?;
        Ok(end.saturating_sub(self.base))
    }
}

impl<R: Read> Read for OffsetReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for OffsetReader<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let pos = match pos {
            SeekFrom::Start(n) => SeekFrom::Start(self.base.saturating_add(n)),
            other => other,
        };
        Ok(self.inner.seek(pos)?.saturating_sub(self.base))
    }
}
