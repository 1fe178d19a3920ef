//! Archive bodies: the entries' sources run one after the other,
//! each as the response body runs its own source ([`Entry`], which
//! `body::Kind` implements), and their bytes go through the format's
//! assembler ([`Assembler`]: zip's, tar's, or tar's through gzip),
//! which adds the headers (and a zip's descriptors and directory) and keeps
//! only the bytes of the requested ranges.
//!
//! It runs on the worker, like the body itself: blocking entries still run
//! off it (pull steps, writer threads), and the worker's share is what the
//! assembler does per chunk (a CRC, at several GB/s). Bytes before a range
//! are produced and hashed but not sent; so that a long skip never keeps
//! the worker from its other connections, the body yields after
//! [`SKIP_BUDGET`] bytes without output.
//!
//! The pieces the assembler gives are small for small entries (a header, a
//! few bytes of data, a descriptor): those that are ready at once are
//! gathered into chunks of up to [`GATHER`] bytes ([`Gathered`]), while a
//! large piece goes out as it is, and nothing is held back when the entry
//! being produced is not ready. So that small entries of blocking sources
//! are ready at once too, and do not each cost a wait for the blocking pool
//! (one write to the socket per entry), the next few small ones are started
//! ahead of their turn ([`AHEAD`]).

use std::{
    collections::VecDeque,
    io,
    task::{Context, Poll},
};

use bytes::{Bytes, BytesMut};

use super::Assembler;
use crate::{
    assemble::{Piece, PieceBytes, Step},
    file::{Packed, Packing, Source},
};

/// Bytes hashed without anything to send before the body lets the worker
/// run its other tasks (it asks to be polled again at once). The archive
/// phase of `bench/` measured the assembler at 1.8 GB/s on one core (its
/// CRCs 9 % of the samples), so this is about 0.6 ms of the worker, the
/// order of one 64 KiB chunk written to a socket several times over.
const SKIP_BUDGET: usize = 1 << 20;

/// Small pieces ready at once are gathered into chunks of at least this
/// many bytes (a piece this large goes out alone, as it is: entries' data in
/// the engine's 16 to 64 KiB chunks is not copied). An archive of 70,000
/// in-memory entries of 13 bytes (8.3 MB, `examples/bench_server.rs`
/// `/dv/zip-many?size=70000&memory`, over loopback) is then 314
/// chunks instead of 140,000 pieces; actix-web gathers small chunks in its
/// own write buffer too, so its writes (189) and time (0.09 s, median of
/// 15) did not change measurably, nor did they with 64 KiB here. 16 KiB is
/// the chunk of a client that has just started (`MIN_CHUNK`): a client
/// that stalls early holds no more in actix-web's buffer than with any
/// other source.
const GATHER: usize = 16 * 1024;

/// Pieces gathered into one chunk: the first as it is (a piece that stays
/// alone is not copied), the next ones copied after it.
#[derive(Default)]
struct Gathered {
    first: Option<Bytes>,
    more: BytesMut,
}

impl Gathered {
    fn len(&self) -> usize {
        match &self.first {
            // `more` holds a copy of the first piece once it holds anything.
            Some(first) if self.more.is_empty() => first.len(),
            _ => self.more.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    fn push(&mut self, bytes: Bytes) {
        match &self.first {
            None => self.first = Some(bytes),
            Some(first) => {
                if self.more.is_empty() {
                    // At most GATHER bytes before the last piece, itself
                    // smaller than GATHER.
                    self.more.reserve(2 * GATHER);
                    self.more.extend_from_slice(first);
                }
                self.more.extend_from_slice(&bytes);
            }
        }
    }

    /// The chunk, if any; empty again.
    fn take(&mut self) -> Option<Bytes> {
        let first = self.first.take()?;
        if self.more.is_empty() {
            Some(first)
        } else {
            Some(self.more.split().freeze())
        }
    }
}

/// Entries after the current one whose first pull step is started ahead of
/// their turn, at most: those of a blocking source (reader, iterator,
/// generator) of at most [`AHEAD_ENTRY`] bytes each, [`AHEAD_BYTES`] in
/// all, in a row. Their steps run on the blocking pool while the body sends
/// what is ready, so that when an entry ends the next ones are ready and go
/// out in the same chunk, instead of each costing a wait for the blocking
/// pool and a write to the socket of its own. An archive of 70,000
/// generator entries of 13 bytes (9.45 MB, `/dv/zip-many?size=70000` of
/// `examples/bench_server.rs`, over loopback, median of 11): 2.03 s and
/// 70,000 to 80,000 `sendto` calls with none started ahead, 1.12 s with 1,
/// 0.81 s with 2, 0.73 s with 4 (8 and 16: within the noise of 4), and 224
/// `sendto` calls with any of them. The peak of blocking threads during
/// that download grows with it (6 to 20 with none, 16 to 19 with 1, 30 to
/// 36 with 4, 37 to 54 with 16: idle ones end after 10 s), hence 4.
const AHEAD: usize = 4;
/// The largest entry started ahead: its bytes fit the window of a first
/// pull step (`MIN_WINDOW`, 32 KiB), so its step ends it and holds no
/// thread while it waits for its turn.
const AHEAD_ENTRY: u64 = 16 * 1024;
/// The bytes of the entries started ahead, at most: what a client that
/// stalls holds besides its current entry's window.
const AHEAD_BYTES: u64 = 64 * 1024;

/// How an archive runs the source of each entry: as the response body runs
/// any source (`body::Kind`).
pub(crate) trait Entry: Sized {
    /// How `source` runs.
    fn of(source: Source) -> Self;
    /// Starts a blocking source's first step now, before its turn ([`AHEAD`]).
    fn start(&self);
    /// The entry's next chunk.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>>;
}

/// An entry not reached yet.
struct Upcoming<E> {
    run: Run<E>,
    /// A second reader of its source, for a first pass.
    first_pass: Option<Source>,
    size: Option<u64>,
}

/// How an upcoming entry runs.
enum Run<E> {
    /// Started at its turn.
    Later(Source),
    /// Started ahead ([`AHEAD`]).
    Started(E),
}

impl<E> Upcoming<E> {
    /// Whether it is worth starting ahead: a small blocking source of known size.
    fn small_blocking(&self) -> bool {
        let small = self.size.is_some_and(|size| size <= AHEAD_ENTRY);
        let blocking = matches!(
            self.run,
            Run::Later(Source::Read(_) | Source::Seek(_) | Source::Iter(_) | Source::Generator(_))
        );
        small && blocking && self.first_pass.is_none()
    }
}

pub(crate) struct ArchiveBody<E> {
    assembler: Assembler,
    /// The entries not reached yet, in order.
    entries: VecDeque<Upcoming<E>>,
    /// The entry being produced.
    current: Option<E>,
    /// Archive bytes ready to send.
    out: VecDeque<Bytes>,
    pieces: Vec<Piece>,
    /// Multipart: the head of each part, sent before its first byte, and the
    /// trailer, sent last.
    heads: Vec<Bytes>,
    part: Option<usize>,
    trailer: Option<Bytes>,
    done: bool,
    /// An error met while gathering: given after the bytes gathered before it.
    failed: Option<io::Error>,
}

impl<E: Entry> ArchiveBody<E> {
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
            entries: entries
                .into_iter()
                .map(|packing| Upcoming {
                    run: Run::Later(packing.source),
                    first_pass: packing.first_pass,
                    size: packing.size,
                })
                .collect(),
            current: None,
            out: VecDeque::new(),
            pieces: Vec::new(),
            heads,
            part: None,
            trailer: (!trailer.is_empty()).then_some(trailer),
            done: false,
            failed: None,
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

    /// Starts the next entries ahead of their turn, as [`AHEAD`] says.
    fn start_ahead(&mut self) {
        let mut bytes = 0;
        for entry in self.entries.iter_mut().take(AHEAD) {
            match &entry.run {
                // In memory: ready anyway.
                Run::Later(Source::Bytes(_)) => continue,
                Run::Later(_) if !entry.small_blocking() => return,
                Run::Later(_) | Run::Started(_) => {}
            }
            bytes += entry.size.unwrap_or(u64::MAX);
            if bytes > AHEAD_BYTES {
                return;
            }
            if let Run::Later(source) = &mut entry.run {
                let entry_run = E::of(std::mem::replace(source, Source::Bytes(Bytes::new())));
                entry_run.start();
                entry.run = Run::Started(entry_run);
            }
        }
    }

    /// The entry being produced, if any.
    pub(crate) fn current(&self) -> Option<&E> {
        self.current.as_ref()
    }

    /// The next chunk: the pieces ready at once, gathered ([`GATHER`]).
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        if let Some(err) = self.failed.take() {
            return Poll::Ready(Some(Err(err)));
        }
        let mut gathered = Gathered::default();
        let poll = self.gather(cx, &mut gathered);
        match (gathered.take(), poll) {
            (None, poll) => poll,
            (Some(bytes), Poll::Ready(Some(Err(err)))) => {
                self.failed = Some(err);
                Poll::Ready(Some(Ok(bytes)))
            }
            (Some(bytes), _) => Poll::Ready(Some(Ok(bytes))),
        }
    }

    /// Produces into `gathered` until nothing more is ready: returns what
    /// the archive or its entry returned then (`Pending` also when
    /// `gathered` holds [`GATHER`] bytes or a large piece comes after it,
    /// which then waits in `out`); a large piece with nothing gathered
    /// before it is returned as it is.
    fn gather(
        &mut self,
        cx: &mut Context<'_>,
        gathered: &mut Gathered,
    ) -> Poll<Option<io::Result<Bytes>>> {
        let mut skipped = 0;
        loop {
            while let Some(bytes) = self.out.pop_front() {
                if bytes.len() >= GATHER {
                    if gathered.is_empty() {
                        return Poll::Ready(Some(Ok(bytes)));
                    }
                    // After the bytes gathered before it, unchanged.
                    self.out.push_front(bytes);
                    return Poll::Pending;
                }
                gathered.push(bytes);
                if gathered.len() >= GATHER {
                    return Poll::Pending;
                }
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
                        let Some(entry) = self.entries.pop_front() else {
                            return fail("the archive has more entries than sources");
                        };
                        self.current = Some(match entry.run {
                            Run::Later(source) => E::of(source),
                            Run::Started(started) => started,
                        });
                        self.take_pieces(None);
                        self.start_ahead();
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
                        self.current = Some(E::of(source));
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
                Some(entry) => match entry.poll(cx) {
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

#[cfg(test)]
mod tests {
    use std::{
        io::{self, Cursor},
        pin::Pin,
        sync::{
            atomic::{AtomicUsize, Ordering},
            Arc,
        },
        time::Duration,
    };

    use actix_web::body::MessageBody;
    use bytes::Bytes;

    use super::{AHEAD, GATHER};
    use crate::{body::DownloadBody, VirtualFile};

    const HELLO: &[u8] = b"Hello world!\n";

    /// The chunks of `file`'s whole body, polled as actix polls it.
    async fn chunks(mut file: VirtualFile) -> Vec<Bytes> {
        let size = file.size();
        let mut body = DownloadBody::new(file.take_source(), size);
        let mut chunks = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_next(cx)).await {
            chunks.push(chunk.expect("the archive completes"));
        }
        assert_eq!(size, Some(chunks.iter().map(|c| c.len() as u64).sum()));
        chunks
    }

    fn generated(opens: &Arc<AtomicUsize>) -> VirtualFile {
        let opens = Arc::clone(opens);
        VirtualFile::from_generator(HELLO.len() as u64, move |offset| {
            opens.fetch_add(1, Ordering::SeqCst);
            std::iter::once(Bytes::from_static(HELLO).slice(offset as usize..))
        })
    }

    #[tokio::test]
    async fn small_pieces_ready_at_once_go_out_gathered_and_large_ones_as_they_are() {
        let large = Bytes::from(vec![7u8; 200_000]);
        let mut entries: Vec<(String, VirtualFile)> = (0..2000)
            .map(|i| (format!("{i}.txt"), VirtualFile::from_static(HELLO)))
            .collect();
        entries.insert(1000, ("large.bin".into(), VirtualFile::from(large.clone())));
        let chunks = chunks(VirtualFile::zip(entries).unwrap()).await;
        // Two pieces per small entry (header, data), gathered into chunks of
        // GATHER bytes or more: a smaller one only before a large piece (the
        // large entry's data, the directory's 64 KiB pieces) or at the end.
        let lens: Vec<usize> = chunks.iter().map(Bytes::len).collect();
        for (i, pair) in lens.windows(2).enumerate() {
            assert!(
                pair[0] >= GATHER || pair[1] >= GATHER,
                "chunk {i}: {lens:?}"
            );
        }
        assert!(lens.len() < 30, "{lens:?}");
        // The large entry's data: slices of its own buffer, not copies, but
        // for its last piece, smaller than GATHER, gathered with what follows.
        let range = large.as_ptr_range();
        let slices: usize = chunks
            .iter()
            .filter(|c| range.contains(&c.as_ptr()))
            .map(Bytes::len)
            .sum();
        assert!(large.len() - slices < GATHER, "{slices} bytes not copied");
    }

    #[tokio::test]
    async fn entries_started_ahead_give_the_bytes_of_entries_run_in_turn() {
        // Small blocking entries of every kind (started ahead), among
        // entries that are not (a stream, a large generator); the same
        // archive with every entry a stream (never started ahead) is the
        // reference.
        let opens = Arc::new(AtomicUsize::new(0));
        let kinds = |i: usize, data: Vec<u8>| -> VirtualFile {
            let size = data.len() as u64;
            match i % 6 {
                0 => VirtualFile::from_reader(Cursor::new(data)).with_size(size),
                1 => VirtualFile::from_seekable_reader(Cursor::new(data)).unwrap(),
                2 => VirtualFile::from_iter(data.chunks(5).map(<[u8]>::to_vec).collect::<Vec<_>>())
                    .with_size(size),
                3 => VirtualFile::from(data),
                4 => generated(&opens),
                _ => VirtualFile::from_generator(size, move |offset| {
                    std::iter::once(Bytes::from(data[offset as usize..].to_vec()))
                }),
            }
        };
        let content = |i: usize| -> Vec<u8> {
            match i % 6 {
                4 => HELLO.to_vec(),
                // Every 25th: past what is started ahead.
                _ if i % 25 == 0 => (0..40_000u32).map(|k| (k * 7 + i as u32) as u8).collect(),
                _ => (0..i as u32 % 50).map(|k| (k + i as u32) as u8).collect(),
            }
        };
        let streamed = |data: Vec<u8>| {
            let size = data.len() as u64;
            VirtualFile::from_stream(futures_util::stream::iter([Ok::<_, io::Error>(
                Bytes::from(data),
            )]))
            .with_size(size)
        };
        let n = 300;
        let archive =
            VirtualFile::zip((0..n).map(|i| (format!("{i}"), kinds(i, content(i))))).unwrap();
        // In memory in both: its CRC goes ahead, without a descriptor.
        let reference = VirtualFile::zip((0..n).map(|i| match i % 6 {
            3 => (format!("{i}"), VirtualFile::from(content(i))),
            _ => (format!("{i}"), streamed(content(i))),
        }))
        .unwrap();
        let (got, expected) = (
            chunks(archive).await.concat(),
            chunks(reference).await.concat(),
        );
        assert!(got == expected, "other bytes with entries started ahead");
        assert_eq!(
            opens.load(Ordering::SeqCst),
            n / 6,
            "each generator opened once"
        );
    }

    #[tokio::test]
    async fn no_more_than_the_next_few_small_entries_are_started_ahead() {
        let opens = Arc::new(AtomicUsize::new(0));
        let file = VirtualFile::zip((0..100).map(|i| (format!("{i}"), generated(&opens)))).unwrap();
        let size = file.size();
        let mut file = file;
        let mut body = DownloadBody::new(file.take_source(), size);
        // The first chunk: entry 0 and those started with it, as far as ready.
        let first = std::future::poll_fn(|cx| Pin::new(&mut body).poll_next(cx)).await;
        assert!(first.is_some());
        // A client that reads no more: the entries started ahead run, no
        // more do.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = opens.load(Ordering::SeqCst);
        assert!(started > 1, "nothing was started ahead");
        assert!(started < 100, "every entry ran for one chunk");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(opens.load(Ordering::SeqCst), started);
        // At most AHEAD after each entry sent (13-byte entries: about 110
        // bytes of archive each).
        let sent = first.unwrap().unwrap().len() / 100 + 1;
        assert!(
            started <= sent + AHEAD + 1,
            "{started} started, {sent} sent"
        );
    }
}
