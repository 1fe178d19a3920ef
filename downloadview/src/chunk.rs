//! How a blocking producer's bytes become chunks: the coalescing buffer
//! ([`Batch`]) and the trait every pull source implements ([`Pull`]).
//!
//! This is the vocabulary shared by the sources (`file.rs`, which describes
//! them) and the engine (`body/`, which runs them): a producer — a pull step
//! on the blocking pool, or a writer closure on its own thread — writes into
//! a `Batch`, which coalesces small items into chunks of at most the size the
//! response asks for ([`Demand::chunk`]) and hands each chunk to an
//! [`Outlet`]. Nothing here blocks, spawns or locks by itself: that is the
//! outlet's business.
//!
//! The buffer is initialised memory (zeroed once per chunk): readers read
//! straight into it, and a tiny item is copied in with a few fixed-size moves
//! instead of a call to `memcpy`, all in safe code.

use std::{
    any::Any,
    io::{self, Read, Write},
    sync::atomic::{AtomicBool, AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use bytes::{Bytes, BytesMut};

/// The largest chunk handed to the response: what actix-files reads per
/// chunk, and what actix-web writes per system call once its 32 KiB write
/// buffer is full.
pub(crate) const CHUNK: usize = 64 * 1024;
/// The chunk size while the window is small (of the buffers small items
/// are coalesced in, and of a writer's pieces), and the size from which an
/// item travels alone instead of being copied into the buffer. actix-web
/// fills its write buffer to 32 KiB and then some: with 16 KiB chunks a
/// stalled client leaves it at 32 KiB, with 64 KiB ones at 96 KiB (measured
/// with 1,000 stalled clients: 41 KiB per client for in-memory content sent
/// in 16 KiB slices, 75 KiB for a hand-written stream of 64 KiB chunks).
///
/// A pull step's large items are the exception: they go in pieces of
/// [`CHUNK`] from the first byte (see [`Demand::refills_ahead`]).
pub(crate) const MIN_CHUNK: usize = 16 * 1024;

/// The window of a response whose client has taken less than [`GRACE`]:
/// two of the smallest chunks. A pull step fills it, or hands over one large
/// item of up to [`CHUNK`] whole. A stalled pull download holds what is left
/// of it and its connection: measured with 1,000 stalled clients, 74 to 100
/// KiB per client in all (16 KiB items, 4 KiB items, 64 KiB items).
pub(crate) const MIN_WINDOW: usize = 32 * 1024;
/// The window of a client that has taken more: a refill (three quarters of
/// it) costs a thread hand-over per 1.5 MiB. One 64 MiB download at a time
/// by curl (300 rotated rounds, median of per-round ratios against a
/// hand-written stream of the same chunks): with 1 MiB, the demo's `/big/`
/// measured 0.934-0.946 and the chunked iterator 0.947-0.950; with 2 MiB,
/// 0.962-0.975 and 0.964-0.972. A million 13-byte items (wrk, 4
/// connections) measured 0.591 of the same bytes from memory with 1 MiB,
/// 0.595 with 2 MiB. A client that stalls after its grace holds this
/// window; the kernel then holds its 4 MiB send buffer for the connection
/// as well (`ss -tm` on a stalled loopback client: 3-4 MB queued).
const MAX_WINDOW: usize = 2048 * 1024;
/// Bytes a client takes with the small window: more than the kernel's
/// buffers of one connection absorb from a client that reads nothing.
/// Measured with 1,000 such clients: 1.2 to 4.3 MB each (Linux's largest
/// automatic send buffer, `tcp_wmem`, is 4 MiB; the client's receive buffer
/// and actix-web's write buffer add the rest).
const GRACE: u64 = 4608 * 1024;

/// The window and the chunk size for a response whose client has taken
/// `taken` bytes.
///
/// A client that stops reading looks fast at first: the kernel's buffers
/// take megabytes of its download before the response sees any
/// back-pressure. So the window stays at [`MIN_WINDOW`] for the first
/// [`GRACE`] bytes, and what a download that stalls early holds is one
/// small window. A client that has taken more has shown that it reads: it
/// gets [`MAX_WINDOW`], so a long download costs few thread hand-overs (one
/// that then pauses holds at most that). A window that grew gradually
/// instead (by half the bytes taken beyond the grace) cost a million
/// 13-byte items a tenth of their speed. The chunk size follows: the
/// smallest, [`MIN_CHUNK`], with the small window, which also keeps
/// actix-web's own write buffer (32 KiB plus the last chunk) small for a
/// client that stalls; [`CHUNK`] with the large.
pub(crate) fn window_for(taken: u64) -> (usize, usize) {
    if taken < GRACE {
        (MIN_WINDOW, MIN_CHUNK)
    } else {
        (MAX_WINDOW, CHUNK)
    }
}

// The pace thresholds below bound how long a slow source's items may wait
// in the buffer (the tests `items_before_a_pause_are_sent_before_the_pause_ends`
// and `a_slow_source_is_not_timed_out` pin the behaviour); they cost a fast
// source nothing measurable: a million 13-byte items measured 0.51-0.61 of
// the same bytes from memory with `WAIT_CHUNK = 1` and with `FAST_ITEMS = 1`,
// 0.54-0.61 with the values below (the machine's noise is of that size).

/// While coalescing, a response waiting for data gets the buffer once it
/// holds this much: a consumer faster than the source then takes 4 KiB at a
/// time, not an item or two. Also the least room the buffer keeps after a
/// hand-over: a smaller remainder is replaced by a fresh buffer.
const WAIT_CHUNK: usize = 4 * 1024;
/// In eager mode, items closer together than this count as fast.
const FAST_GAP: Duration = Duration::from_micros(200);
/// Fast items in a row that end eager mode.
const FAST_ITEMS: u32 = 64;
/// A chunk that takes longer than this to fill starts eager mode again: a
/// source that slow is one whose items a reader wants as they come.
const SLOW_CHUNK: Duration = Duration::from_millis(5);

/// What the response wants, as a producer sees it: lock-free values read
/// per chunk (and two of them per small item).
#[derive(Debug)]
pub(crate) struct Demand {
    /// Bytes handed over and not yet taken by the response.
    pub(crate) queued: AtomicUsize,
    /// How many bytes the response lets a producer queue ahead of it (its
    /// window); grows with a fast client (`body/channel.rs`).
    pub(crate) window: AtomicUsize,
    /// The largest chunk to build now; grows with the window.
    pub(crate) chunk: AtomicUsize,
    /// The response found nothing queued and waits for data.
    pub(crate) waiting: AtomicBool,
    /// The response is gone (the client left, or `send_timeout`): stop.
    pub(crate) closed: AtomicBool,
}

impl Demand {
    /// A response that has taken nothing yet: the smallest window.
    pub(crate) fn new(window: usize, chunk: usize) -> Self {
        Demand {
            queued: AtomicUsize::new(0),
            window: AtomicUsize::new(window),
            chunk: AtomicUsize::new(chunk),
            waiting: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        }
    }

    /// Whether the window is full: a pull step ends here.
    pub(crate) fn is_full(&self) -> bool {
        self.queued.load(Ordering::Relaxed) >= self.window.load(Ordering::Relaxed)
    }

    /// Whether the response asks for the next pull step (or wakes its
    /// writer) as soon as its queue is low, before it runs dry, and a step
    /// that finds the queue drained goes on: only once the window has grown
    /// past [`MIN_WINDOW`], i.e. the client has taken [`GRACE`].
    ///
    /// Before that, the next step starts when a poll finds the queue empty.
    /// actix-web stops polling a body once its write buffer is full, so a
    /// client that stalls leaves nothing queued behind what actix-web holds,
    /// and a pull step can hand a large item over whole, in one piece of up
    /// to [`CHUNK`], where it used to be cut at the window and copied. On one
    /// core shared by the worker and the blocking pool, starting a step
    /// ahead of need overlaps nothing anyway. Measured (one 64 MiB download
    /// at a time by curl, 300 rotated rounds, median of per-round ratios):
    /// the demo's `/big/` (64 KiB items) went from 0.91 to 0.945 of a
    /// hand-written stream of the same chunks, the chunked iterator from
    /// 0.93 to 0.94; 1,000 stalled clients held 100 KiB each with 64 KiB
    /// items (96 before), 90 with 4 KiB items, 74-80 with 16 KiB items.
    pub(crate) fn refills_ahead(&self) -> bool {
        self.window.load(Ordering::Relaxed) > MIN_WINDOW
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }
}

/// Where a [`Batch`] hands its chunks: the engine's queue.
pub(crate) trait Outlet {
    /// Queues one chunk; `Err` when the response is gone.
    fn send(&mut self, chunk: Bytes) -> io::Result<()>;
}

/// What a pull step ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pulled {
    /// The window is full; the source has more.
    More,
    /// The source has ended.
    End,
}

/// A blocking source that can be pulled a step at a time: each call adds the
/// source's next bytes to `batch` until [`Batch::paused`] or the end. Between
/// calls the source holds no thread.
pub(crate) trait Pull: Send {
    /// Adds bytes until the batch pauses (`Ok(Pulled::More)`) or the source
    /// ends (`Ok(Pulled::End)`).
    ///
    /// # Errors
    /// The source's own error, or the batch's (the response is gone).
    fn pull(&mut self, batch: &mut Batch<'_>) -> io::Result<Pulled>;
}

/// The pace of a source, which decides how long items may wait in the
/// buffer. It outlives a [`Batch`]: a pull step starts where the last ended.
///
/// The producer cannot know whether the source's next item comes at once or
/// in an hour, and once it has called into the source, bytes left in its own
/// buffer are out of everyone's reach until the source returns: only a lock
/// per item would let the response take them. Instead the policy guesses
/// from the source's recent pace, reading the clock only per chunk or per
/// item of a slow source:
///
/// - **eager** (at the start, and whenever the source proved slow): every
///   item is handed over as it comes. A slow source loses nothing by that, and
///   an item before a pause is never held back. [`FAST_ITEMS`] items in a row
///   less than [`FAST_GAP`] apart end it.
/// - **coalescing**: items gather into chunks, handed over when the chunk
///   is full, at [`MIN_CHUNK`] bytes when nothing is queued, or at
///   [`WAIT_CHUNK`] bytes when the response waits for data. A chunk that took
///   longer than [`SLOW_CHUNK`] to fill starts eager mode again.
///
/// What remains: when a source that proved fast pauses, the bytes it produced
/// since the last hand-over (less than one chunk) wait for the pause to end.
#[derive(Debug)]
pub(crate) struct Pace {
    eager: bool,
    /// Eager mode: fast items in a row.
    fast_items: u32,
    /// Eager mode: when the previous item came; coalescing: when the chunk
    /// being built started filling.
    mark: Instant,
}

impl Pace {
    pub(crate) fn new() -> Self {
        Pace {
            eager: true,
            fast_items: 0,
            mark: Instant::now(),
        }
    }
}

/// A producer's coalescing buffer for one run (a pull step, or a writer's
/// whole run), handing chunks to an [`Outlet`].
pub(crate) struct Batch<'a> {
    demand: &'a Demand,
    outlet: &'a mut dyn Outlet,
    pace: &'a mut Pace,
    /// Empty buffers to build chunks in before allocating any (see
    /// [`fresh_buffer`](Self::fresh_buffer)).
    spares: &'a mut Vec<BytesMut>,
    /// Initialised memory the next chunk is built in; `buf[..filled]` holds
    /// data. A hand-over splits the data off and keeps building in the rest
    /// until less than [`WAIT_CHUNK`] is left. Empty until the first byte.
    buf: BytesMut,
    filled: usize,
    /// A pull step stops when the window is full; a writer never does (its
    /// outlet waits for room instead).
    pausable: bool,
    paused: bool,
}

/// What a producer's next hand-over fails with once its response is gone
/// (the client left, or `send_timeout` fired).
pub(crate) fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the client went away")
}

impl<'a> Batch<'a> {
    /// A batch handing its chunks to `outlet`; `pausable` for pull steps.
    pub(crate) fn new(
        demand: &'a Demand,
        outlet: &'a mut dyn Outlet,
        pace: &'a mut Pace,
        spares: &'a mut Vec<BytesMut>,
        pausable: bool,
    ) -> Self {
        Batch {
            demand,
            outlet,
            pace,
            spares,
            buf: BytesMut::new(),
            filled: 0,
            pausable,
            paused: pausable && demand.is_full(),
        }
    }

    /// The spare buffers offered to this run and not used yet.
    #[cfg(test)]
    pub(crate) fn spares(&self) -> usize {
        self.spares.len()
    }

    /// Whether a pull step should return now: the response's window is full
    /// (checked at each hand-over, so reading this is free).
    #[inline(always)]
    pub(crate) fn paused(&self) -> bool {
        self.paused
    }

    /// Hands one item over: a small one is coalesced, a large one travels
    /// alone (in pieces, see [`piece_size`](Self::piece_size)), without a
    /// copy.
    #[inline]
    pub(crate) fn push(&mut self, chunk: Bytes) -> io::Result<()> {
        if chunk.len() < MIN_CHUNK {
            self.push_small(&chunk)
        } else {
            self.push_large(chunk)
        }
    }

    /// Copies a small item (less than [`MIN_CHUNK`] bytes) into the buffer.
    ///
    /// Inlined into each iterator's pull loop: the common case, an item
    /// joining a buffer that is not due for a hand-over, is a copy and two
    /// relaxed loads; everything else (eager mode, hand-overs, cancellation)
    /// takes [`push_small_slow`](Self::push_small_slow). Cancellation is
    /// still noticed at the next hand-over, at most one chunk later.
    #[inline(always)]
    pub(crate) fn push_small(&mut self, data: &[u8]) -> io::Result<()> {
        let end = self.filled + data.len();
        if !self.pace.eager
            && end < self.buf.len()
            && !self.demand.waiting.load(Ordering::Relaxed)
            && (end < MIN_CHUNK || self.demand.queued.load(Ordering::Relaxed) != 0)
        {
            // None of `maybe_flush`'s conditions can hold after this copy.
            self.append(data);
            return Ok(());
        }
        self.push_small_slow(data)
    }

    #[inline(never)]
    fn push_small_slow(&mut self, data: &[u8]) -> io::Result<()> {
        if self.demand.is_closed() {
            return Err(gone());
        }
        if self.buf.len() - self.filled < data.len() {
            // Chunks never exceed the buffer; after a hand-over it has at
            // least WAIT_CHUNK bytes of room, maybe less than this item.
            self.flush()?;
            if self.buf.len() < data.len() {
                self.fresh_buffer();
            }
        }
        self.append(data);
        self.maybe_flush()
    }

    /// A new buffer of the chunk size the response asks for now: a spare
    /// when there is one, else a fresh allocation.
    ///
    /// Pull steps get spares allocated by the response, on the worker: the
    /// chunks are freed there (once actix-web has copied them), so their
    /// memory goes back to the allocator's arena of the thread that will
    /// allocate the next ones. Allocated on whichever blocking-pool thread
    /// runs the step, each step's buffers came from another arena, freed
    /// ones were returned to the system and the next faulted in again: a
    /// million 13-byte items measured 740 MB/s that way, 900 MB/s with one
    /// arena for all (`MALLOC_ARENA_MAX=1`).
    fn fresh_buffer(&mut self) {
        let size = self.chunk_size();
        self.buf = match self.spares.pop() {
            Some(mut spare) => {
                spare.resize(size, 0);
                spare
            }
            None => BytesMut::zeroed(size),
        };
    }

    /// Copies `data` after the buffered bytes; the caller made room for it.
    #[inline(always)]
    fn append(&mut self, data: &[u8]) {
        let end = self.filled + data.len();
        copy(&mut self.buf[self.filled..end], data);
        self.filled = end;
    }

    /// Hands over what is buffered, then `chunk` in pieces of at most
    /// [`piece_size`](Self::piece_size), without copying it.
    #[inline(never)]
    fn push_large(&mut self, mut chunk: Bytes) -> io::Result<()> {
        if self.demand.is_closed() {
            return Err(gone());
        }
        self.flush()?;
        let piece = self.piece_size();
        while chunk.len() > piece {
            self.send(chunk.split_to(piece))?;
        }
        self.send(chunk)
    }

    /// Hands over what is buffered, then `chunk` in pieces of at most
    /// [`piece_size`](Self::piece_size) until the batch pauses; returns how
    /// many of its bytes were handed over (all of them, or those that fit in
    /// the window).
    ///
    /// A chunk that fits, or that is one piece (at most [`CHUNK`]), goes
    /// without a copy. Of a larger one that does not fit, the bytes that fit
    /// are copied out and the chunk is let go: zero-copy pieces would keep
    /// its whole allocation alive for as long as they wait in the queue,
    /// which for a stalled client is as long as it stalls.
    pub(crate) fn push_until_paused(&mut self, chunk: Bytes) -> io::Result<usize> {
        // Flushed first, so that the room left counts what was buffered.
        self.flush()?;
        let piece = self.piece_size();
        let room = self
            .demand
            .window
            .load(Ordering::Relaxed)
            .saturating_sub(self.demand.queued.load(Ordering::Relaxed));
        // The batch pauses once the window is full: after the piece that
        // reaches it.
        let fits = room.div_ceil(piece).max(1) * piece;
        if chunk.len() <= fits {
            let len = chunk.len();
            self.push_large(chunk)?;
            return Ok(len);
        }
        self.push_large(Bytes::copy_from_slice(&chunk[..fits]))?;
        Ok(fits)
    }

    /// The chunk size the response asks for now: the size of a fresh
    /// buffer, and of a writer's pieces of a large item.
    fn chunk_size(&self) -> usize {
        self.demand
            .chunk
            .load(Ordering::Relaxed)
            .clamp(MIN_CHUNK, CHUNK)
    }

    /// The largest piece a large item is handed over in. A pull step's are
    /// [`CHUNK`] from the first byte: during the grace its response starts
    /// the next step only once its queue is empty
    /// ([`Demand::refills_ahead`]), so a client that stalls holds a piece in
    /// actix-web's write buffer, not one there and more in the queue. 16 KiB
    /// pieces cost the demo's `/big/` (64 KiB items) two to three points of
    /// a hand-written stream's speed (measured there). A writer is not
    /// paused between steps: it queues as soon as its window has room, so
    /// its pieces follow the chunk size.
    fn piece_size(&self) -> usize {
        if self.pausable {
            CHUNK
        } else {
            self.chunk_size()
        }
    }

    /// Reads `reader` into the buffer until the batch pauses or the reader
    /// ends; at most `limit` bytes when given (then ending early is an
    /// error). Returns what ended the run and the bytes read.
    pub(crate) fn read_from(
        &mut self,
        reader: &mut dyn Read,
        limit: Option<u64>,
    ) -> io::Result<(Pulled, u64)> {
        let mut read = 0u64;
        loop {
            if self.paused {
                return Ok((Pulled::More, read));
            }
            if self.demand.is_closed() {
                return Err(gone());
            }
            let left = limit.map(|l| l - read);
            if left == Some(0) {
                return Ok((Pulled::End, read));
            }
            if self.filled == self.buf.len() {
                self.flush()?;
                if self.buf.len() - self.filled < WAIT_CHUNK {
                    self.fresh_buffer();
                }
            }
            let room = self.buf.len() - self.filled;
            // `left` is below `room` (a usize) when it is used.
            let want = left.map_or(room, |l| room.min(l.try_into().unwrap_or(room)));
            let n = loop {
                match reader.read(&mut self.buf[self.filled..self.filled + want]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            if n == 0 {
                return match left {
                    Some(missing) => Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("the source ended {missing} bytes short of the requested range"),
                    )),
                    None => Ok((Pulled::End, read)),
                };
            }
            self.filled += n;
            read += n as u64;
            self.maybe_flush()?;
        }
    }

    /// Applies the flush policy after an item (or a read, or a write) landed
    /// in the buffer. See [`Pace`].
    fn maybe_flush(&mut self) -> io::Result<()> {
        let len = self.filled;
        if len == 0 {
            return Ok(());
        }
        if self.pace.eager {
            let now = Instant::now();
            if now.duration_since(self.pace.mark) < FAST_GAP {
                self.pace.fast_items += 1;
            } else {
                self.pace.fast_items = 0;
            }
            self.pace.mark = now;
            if self.pace.fast_items < FAST_ITEMS {
                return self.flush();
            }
            // The source proved fast: coalesce from now on; the chunk being
            // built started filling now.
            self.pace.eager = false;
        }
        if len >= self.buf.len()
            || (len >= MIN_CHUNK && self.demand.queued.load(Ordering::Relaxed) == 0)
            || (len >= WAIT_CHUNK && self.demand.waiting.load(Ordering::Relaxed))
        {
            self.flush()
        } else {
            Ok(())
        }
    }

    /// Hands over what is buffered.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        if self.filled == 0 {
            return Ok(());
        }
        if !self.pace.eager && self.pace.mark.elapsed() > SLOW_CHUNK {
            // This chunk took long to fill: the source is slow (or just
            // paused). Hand each item over as it comes until it proves fast.
            self.pace.eager = true;
            self.pace.fast_items = 0;
        }
        let chunk = self.buf.split_to(self.filled).freeze();
        self.filled = 0;
        if self.buf.len() < WAIT_CHUNK {
            self.buf = BytesMut::new();
        }
        self.send(chunk)?;
        if !self.pace.eager {
            // The next chunk starts filling now, after any wait for room.
            self.pace.mark = Instant::now();
        }
        Ok(())
    }

    fn send(&mut self, chunk: Bytes) -> io::Result<()> {
        self.outlet.send(chunk)?;
        if self.pausable && self.demand.is_full() {
            self.paused = true;
        }
        Ok(())
    }
}

impl Write for Batch<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.demand.is_closed() {
            return Err(gone());
        }
        if data.is_empty() {
            return Ok(0);
        }
        if self.filled == self.buf.len() {
            self.flush()?;
            if self.buf.len() - self.filled < WAIT_CHUNK {
                self.fresh_buffer();
            }
        }
        let n = data.len().min(self.buf.len() - self.filled);
        self.append(&data[..n]);
        self.maybe_flush()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        // Hand-over is driven by the policy above; an explicit flush from the
        // writer (e.g. `csv::Writer::flush`) must not force tiny chunks.
        Ok(())
    }
}

/// A boxed error, as the fallible sources report it.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `err` as an `io::Error`: itself when it is one (a write that failed
/// because the client left stays `BrokenPipe`), else wrapped.
pub(crate) fn into_io(err: BoxError) -> io::Error {
    match err.downcast::<io::Error>() {
        Ok(err) => *err,
        Err(err) => io::Error::other(err),
    }
}

/// A blocking iterator of chunks pulled a step at a time: each user iterator
/// gets a pull loop of its own, compiled for its item type, with
/// [`Batch::push_small`] inlined; the common item types are copied from
/// where they are, without becoming `Bytes` first (for a `String`, that
/// would reallocate it to its length).
pub(crate) struct Items<I>(pub(crate) I);

impl<I, T, E> Pull for Items<I>
where
    I: Iterator<Item = Result<T, E>> + Send,
    T: Into<Bytes> + 'static,
    E: Into<BoxError>,
{
    fn pull(&mut self, batch: &mut Batch<'_>) -> io::Result<Pulled> {
        while !batch.paused() {
            let Some(item) = self.0.next() else {
                return Ok(Pulled::End);
            };
            let item = item.map_err(|e| io::Error::other(e.into()))?;
            match small_slice(&item) {
                Some(data) => batch.push_small(data)?,
                None => batch.push(item.into())?,
            }
        }
        Ok(Pulled::More)
    }
}

/// An offset-aware generator pulled a step at a time.
///
/// Its items are handed over as any iterator's, but a large item is not
/// kept waiting for the client: when an item does not fit in the window,
/// the step hands over a copy of the bytes that fit and lets the item go
/// with the iterator, and the next step starts the generator again at the
/// first byte not handed over. So a stalled client costs one window
/// whatever the item size (a generator of fresh 64 KiB items held its item:
/// 134 KiB per stalled client in all, against 91 KiB with 16 KiB items).
/// Items that fit (every item of a fast client, whose window is 2 MiB, when
/// items are at most 64 KiB) are neither copied nor restarted.
pub(crate) struct Regenerated<F, I> {
    generate: F,
    /// The offset of the next byte to hand over.
    offset: u64,
    items: Option<I>,
}

impl<F, I> Regenerated<F, I> {
    pub(crate) fn new(generate: F) -> Self {
        Regenerated {
            generate,
            offset: 0,
            items: None,
        }
    }
}

impl<F, I> Pull for Regenerated<F, I>
where
    F: Fn(u64) -> I + Send,
    I: Iterator<Item = Result<Bytes, BoxError>> + Send,
{
    fn pull(&mut self, batch: &mut Batch<'_>) -> io::Result<Pulled> {
        let generate = &self.generate;
        let offset = self.offset;
        let items = self.items.get_or_insert_with(|| generate(offset));
        while !batch.paused() {
            let Some(item) = items.next() else {
                return Ok(Pulled::End);
            };
            let item = item.map_err(io::Error::other)?;
            let len = item.len();
            if len < MIN_CHUNK {
                batch.push_small(&item)?;
            } else {
                let taken = batch.push_until_paused(item)?;
                if taken < len {
                    self.offset += taken as u64;
                    self.items = None; // restarted at `offset` by the next step
                    return Ok(Pulled::More);
                }
            }
            self.offset += len as u64;
        }
        Ok(Pulled::More)
    }
}

/// A blocking reader pulled a step at a time, read straight into the batch.
pub(crate) struct Reader<R>(pub(crate) R);

impl<R: Read + Send> Pull for Reader<R> {
    fn pull(&mut self, batch: &mut Batch<'_>) -> io::Result<Pulled> {
        batch.read_from(&mut self.0, None).map(|(pulled, _)| pulled)
    }
}

/// The bytes of `item` when it is small and of a type known to hold bytes.
/// The type tests are on `TypeId`s known at compile time: each pull loop
/// keeps only the branch of its item type.
#[inline(always)]
pub(crate) fn small_slice<T: 'static>(item: &T) -> Option<&[u8]> {
    let any = item as &dyn Any;
    let data: &[u8] = if let Some(s) = any.downcast_ref::<&'static [u8]>() {
        s
    } else if let Some(s) = any.downcast_ref::<&'static str>() {
        s.as_bytes()
    } else if let Some(s) = any.downcast_ref::<String>() {
        s.as_bytes()
    } else if let Some(v) = any.downcast_ref::<Vec<u8>>() {
        v
    } else {
        any.downcast_ref::<Bytes>()?
    };
    (data.len() < MIN_CHUNK).then_some(data)
}

/// Copies `src` into `dst` (of the same length). Up to 32 bytes, two
/// overlapping fixed-size moves instead of a call to `memcpy`, whose call and
/// size dispatch cost more than the copy for a 13-byte item.
#[inline(always)]
fn copy(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n > 32 {
        dst.copy_from_slice(src);
    } else if n >= 16 {
        copy_ends::<16>(dst, src);
    } else if n >= 8 {
        copy_ends::<8>(dst, src);
    } else if n >= 4 {
        copy_ends::<4>(dst, src);
    } else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    }
}

/// Copies `src` (`N` to `2 * N` bytes) as its first `N` and its last `N`
/// bytes, which overlap unless it is exactly `2 * N` long.
#[inline(always)]
fn copy_ends<const N: usize>(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    let head: [u8; N] = src[..N].try_into().expect("N bytes");
    let tail: [u8; N] = src[n - N..].try_into().expect("N bytes");
    dst[..N].copy_from_slice(&head);
    dst[n - N..].copy_from_slice(&tail);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outlet that keeps every chunk and counts them as queued.
    struct Keep<'d> {
        demand: &'d Demand,
        chunks: Vec<Bytes>,
    }

    impl Outlet for Keep<'_> {
        fn send(&mut self, chunk: Bytes) -> io::Result<()> {
            self.demand.queued.fetch_add(chunk.len(), Ordering::Relaxed);
            self.chunks.push(chunk);
            Ok(())
        }
    }

    #[test]
    fn copy_moves_every_small_length_exactly() {
        let src: Vec<u8> = (1..=80).collect();
        for n in 0..=80 {
            let mut dst = vec![0xAA; n + 2];
            copy(&mut dst[1..=n], &src[..n]);
            assert_eq!(dst[1..=n], src[..n], "length {n}");
            assert_eq!(
                (dst[0], dst[n + 1]),
                (0xAA, 0xAA),
                "length {n} wrote outside"
            );
        }
    }

    #[test]
    fn the_common_item_types_are_copied_from_where_they_are() {
        let text = "Hello world!\n";
        assert_eq!(small_slice(&text), Some(text.as_bytes()));
        assert_eq!(small_slice(&text.as_bytes()), Some(text.as_bytes()));
        assert_eq!(small_slice(&text.to_owned()), Some(text.as_bytes()));
        assert_eq!(
            small_slice(&text.as_bytes().to_vec()),
            Some(text.as_bytes())
        );
        assert_eq!(small_slice(&Bytes::from_static(b"abc")), Some(&b"abc"[..]));
        // Other types, and large items (which travel without a copy), go
        // through `Into<Bytes>`.
        assert_eq!(small_slice(&Box::<[u8]>::from(&b"abc"[..])), None);
        assert_eq!(small_slice(&vec![0u8; MIN_CHUNK]), None);
    }

    /// Runs `fill` on a batch over a window of `window` bytes in chunks of
    /// `chunk`, flushes it, and gives the chunks it handed over.
    fn batched(
        window: usize,
        chunk: usize,
        pausable: bool,
        fill: impl FnOnce(&mut Batch<'_>),
    ) -> Vec<Bytes> {
        let demand = Demand::new(window, chunk);
        let mut outlet = Keep {
            demand: &demand,
            chunks: Vec::new(),
        };
        let mut pace = Pace::new();
        let mut spares = Vec::new();
        let mut batch = Batch::new(&demand, &mut outlet, &mut pace, &mut spares, pausable);
        fill(&mut batch);
        batch.flush().unwrap();
        drop(batch);
        outlet.chunks
    }

    #[test]
    fn a_pausable_batch_pauses_once_the_window_is_full() {
        let mut pushed = 0;
        let chunks = batched(100 * 1024, CHUNK, true, |batch| {
            while !batch.paused() {
                batch.push(Bytes::from(vec![7u8; 20 * 1024])).unwrap();
                pushed += 20 * 1024;
            }
        });
        // It stopped at the first hand-over that filled the window.
        assert!((100 * 1024..120 * 1024).contains(&pushed), "{pushed}");
        let total: usize = chunks.iter().map(Bytes::len).sum();
        assert_eq!(total, pushed);
    }

    #[test]
    fn chunks_are_no_larger_than_the_response_asks() {
        let chunks = batched(usize::MAX, MIN_CHUNK, false, |batch| {
            for _ in 0..100_000 {
                batch.push_small(b"Hello world!\n").unwrap();
            }
            batch.push(Bytes::from(vec![1u8; 3 * CHUNK])).unwrap();
            batch.write_all(&vec![2u8; 2 * CHUNK]).unwrap();
            batch
                .read_from(&mut io::Cursor::new(vec![3u8; 2 * CHUNK]), None)
                .unwrap();
        });
        assert!(chunks.iter().all(|c| c.len() <= MIN_CHUNK));
        let total: usize = chunks.iter().map(Bytes::len).sum();
        assert_eq!(total, 1_300_000 + 7 * CHUNK);
    }

    #[test]
    fn a_limited_read_takes_exactly_its_bytes() {
        let chunks = batched(usize::MAX, CHUNK, false, |batch| {
            let mut reader =
                io::Cursor::new((0..=255u8).cycle().take(300_000).collect::<Vec<u8>>());
            assert_eq!(
                batch.read_from(&mut reader, Some(100_000)).unwrap(),
                (Pulled::End, 100_000)
            );
            let err = batch.read_from(&mut reader, Some(300_000)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        });
        let all: Vec<u8> = chunks.concat();
        assert_eq!(all.len(), 300_000);
        assert!(all.iter().enumerate().all(|(i, &b)| b == (i % 256) as u8));
    }
}
