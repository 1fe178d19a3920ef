//! Blocking producers (readers, iterators, writer closures) on the blocking pool.
//!
//! The producer runs in `spawn_blocking` and hands chunks to the response
//! through a channel bounded in **bytes** ([`CAPACITY`]). Small items are
//! coalesced in the producer's own buffer, without a lock or a clock read per
//! item, so a generator of a million tiny strings costs a copy per item, not a
//! channel hop per item; a slow source's items are handed over as they come
//! ([`Pace`] has the policy).
//!
//! The buffer is initialised memory (zeroed once per 64 KiB): readers read
//! straight into it, and a tiny item is copied in with a few fixed-size moves
//! instead of a call to `memcpy`, all in safe code.
//!
//! When the response is dropped (the client went away), the channel closes:
//! the producer's next hand-over (or next `write`) fails, it returns, and the
//! source is dropped.

use std::{
    collections::VecDeque,
    io::{self, Read, Write},
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Condvar, Mutex, MutexGuard,
    },
    task::{Context, Poll, Waker},
    time::{Duration, Instant},
};

use bytes::{Bytes, BytesMut};

/// The largest chunk handed to the response.
pub(crate) const CHUNK: usize = 64 * 1024;
/// Below this, a chunk is only handed over early when the response waits.
pub(crate) const MIN_CHUNK: usize = 16 * 1024;
/// Bytes in flight between one producer and its response: 1 MiB, less than
/// what the kernel buffers for one fast TCP connection.
pub(crate) const CAPACITY: usize = 1024 * 1024;
/// A producer waiting for room is woken once the queue drains to this, not
/// at every chunk taken: on a busy core, waking it per chunk makes the two
/// threads take turns chunk by chunk. Each wake then refills 768 KiB (12
/// chunks of 64 KiB): with 512 KiB and half of it per wake, a 64 MiB body
/// from a fast iterator cost ~980 context switches and 6 % more CPU than
/// now (~345).
const LOW_WATER: usize = CAPACITY / 4;

/// While coalescing, a response waiting for data gets the buffer once it
/// holds this much: a fast source fills it in microseconds, and a consumer
/// faster than the source then takes 4 KiB at a time, not an item or two.
/// Also the least room the buffer keeps after a hand-over: a smaller
/// remainder is replaced by a fresh buffer.
const WAIT_CHUNK: usize = 4 * 1024;
/// In eager mode, items closer together than this count as fast.
const FAST_GAP: Duration = Duration::from_micros(200);
/// Fast items in a row that end eager mode.
const FAST_ITEMS: u32 = 64;
/// A chunk that takes longer than this to fill starts eager mode again.
const SLOW_CHUNK: Duration = Duration::from_millis(5);

/// The producer's pace, which decides how long items may wait in its buffer.
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
/// - **coalescing**: items gather into chunks, handed over at [`CHUNK`]
///   bytes, at [`MIN_CHUNK`] bytes when the channel is empty, or at
///   [`WAIT_CHUNK`] bytes when the response waits for data. A chunk that took longer than
///   [`SLOW_CHUNK`] to fill starts eager mode again.
///
/// What remains: when a source that proved fast pauses, the bytes it produced
/// since the last hand-over (less than one chunk) wait for the pause to end.
#[derive(Debug)]
struct Pace {
    eager: bool,
    /// Eager mode: fast items in a row.
    fast_items: u32,
    /// Eager mode: when the previous item came; coalescing: when the chunk
    /// being built started filling.
    mark: Instant,
}

/// A blocking producer: writes the whole content into the [`Sender`].
pub(crate) type Produce = Box<dyn FnOnce(&mut Sender) -> io::Result<()> + Send + 'static>;

struct Shared {
    state: Mutex<State>,
    /// The producer waits here for room in the channel.
    space: Condvar,
    /// Bytes queued, readable without the lock (the flush policy reads it per item).
    queued: AtomicUsize,
    /// The response found the channel empty and waits for data.
    waiting: AtomicBool,
    /// The response is gone: production must stop.
    closed: AtomicBool,
}

struct State {
    queue: VecDeque<Bytes>,
    /// How production ended, once it has.
    end: Option<io::Result<()>>,
    waker: Option<Waker>,
    producer_waiting: bool,
}

impl State {
    /// Takes the response's waker to wake it (after unlocking). `waiting` is
    /// cleared here, under the lock, so that it can never overwrite the `true`
    /// of a newer wait: that would leave the response asleep while small
    /// items pile up in the producer's buffer.
    fn take_waker(&mut self, shared: &Shared) -> Option<Waker> {
        let waker = self.waker.take();
        if waker.is_some() {
            shared.waiting.store(false, Ordering::Relaxed);
        }
        waker
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere while holding it; the
        // state is still consistent (every update is a single push/pop/assign).
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Starts `produce` on the blocking pool and returns the receiving end.
pub(crate) fn spawn(produce: Produce) -> Receiver {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            end: None,
            waker: None,
            producer_waiting: false,
        }),
        space: Condvar::new(),
        queued: AtomicUsize::new(0),
        waiting: AtomicBool::new(false),
        closed: AtomicBool::new(false),
    });
    let mut sender = Sender {
        shared: Arc::clone(&shared),
        buf: BytesMut::zeroed(CHUNK),
        filled: 0,
        pace: Pace {
            eager: true,
            fast_items: 0,
            mark: Instant::now(),
        },
    };
    tokio::task::spawn_blocking(move || {
        let result = catch_unwind(AssertUnwindSafe(|| produce(&mut sender)))
            .unwrap_or_else(|_| Err(io::Error::other("the body source panicked")));
        sender.finish(result);
    });
    Receiver { shared }
}

/// The producer's end: coalesces, applies back-pressure, notices cancellation.
pub(crate) struct Sender {
    shared: Arc<Shared>,
    /// Initialised memory the next chunk is built in; `buf[..filled]` holds
    /// data. A hand-over splits the data off and keeps building in the rest
    /// (so that the eager mode's one-item chunks share one allocation) until
    /// less than [`WAIT_CHUNK`] is left. At most [`CHUNK`] bytes.
    buf: BytesMut,
    filled: usize,
    pace: Pace,
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the client went away")
}

impl Sender {
    /// Hands one item over: a small one is coalesced, a large one travels
    /// alone, without a copy.
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
    /// Inlined into each iterator's drain loop: the common case, an item
    /// joining a buffer that is not due for a hand-over, is a copy and two
    /// relaxed loads; everything else (eager mode, hand-overs, cancellation)
    /// takes [`push_small_slow`](Self::push_small_slow). Cancellation is
    /// still noticed at the next hand-over, at most one chunk later.
    #[inline(always)]
    pub(crate) fn push_small(&mut self, data: &[u8]) -> io::Result<()> {
        let end = self.filled + data.len();
        if !self.pace.eager
            && end < self.buf.len()
            && !self.shared.waiting.load(Ordering::Relaxed)
            && (end < MIN_CHUNK || self.shared.queued.load(Ordering::Relaxed) != 0)
        {
            // None of `maybe_flush`'s conditions can hold after this copy.
            self.append(data);
            return Ok(());
        }
        self.push_small_slow(data)
    }

    #[inline(never)]
    fn push_small_slow(&mut self, data: &[u8]) -> io::Result<()> {
        if self.shared.closed.load(Ordering::Relaxed) {
            return Err(gone());
        }
        if self.buf.len() - self.filled < data.len() {
            // Chunks never exceed the buffer; after a hand-over it has at
            // least WAIT_CHUNK bytes of room, maybe less than this item.
            self.flush()?;
            if self.buf.len() < data.len() {
                self.buf = BytesMut::zeroed(CHUNK);
            }
        }
        self.append(data);
        self.maybe_flush()
    }

    /// Copies `data` after the buffered bytes; the caller made room for it.
    #[inline(always)]
    fn append(&mut self, data: &[u8]) {
        let end = self.filled + data.len();
        copy(&mut self.buf[self.filled..end], data);
        self.filled = end;
    }

    /// Hands over what is buffered, then `chunk` in pieces of at most
    /// [`CHUNK`] bytes, without copying it.
    #[inline(never)]
    fn push_large(&mut self, mut chunk: Bytes) -> io::Result<()> {
        if self.shared.closed.load(Ordering::Relaxed) {
            return Err(gone());
        }
        self.flush()?;
        while chunk.len() > CHUNK {
            self.send(chunk.split_to(CHUNK))?;
        }
        self.send(chunk)
    }

    /// Reads `reader` to its end, straight into the coalescing buffer.
    pub(crate) fn read_from(&mut self, reader: &mut dyn Read) -> io::Result<()> {
        loop {
            if self.shared.closed.load(Ordering::Relaxed) {
                return Err(gone());
            }
            self.make_room()?;
            let n = loop {
                match reader.read(&mut self.buf[self.filled..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            if n == 0 {
                return Ok(());
            }
            self.filled += n;
            self.maybe_flush()?;
        }
    }

    /// Makes sure the buffer has room: when it is full, hands it over, which
    /// leaves at least [`WAIT_CHUNK`] bytes of room.
    fn make_room(&mut self) -> io::Result<()> {
        if self.filled == self.buf.len() {
            self.flush()?;
        }
        Ok(())
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
            || (len >= MIN_CHUNK && self.shared.queued.load(Ordering::Relaxed) == 0)
            || (len >= WAIT_CHUNK && self.shared.waiting.load(Ordering::Relaxed))
        {
            self.flush()
        } else {
            Ok(())
        }
    }

    fn flush(&mut self) -> io::Result<()> {
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
            self.buf = BytesMut::zeroed(CHUNK);
        }
        self.send(chunk)?;
        if !self.pace.eager {
            // The next chunk starts filling now, after any wait for room.
            self.pace.mark = Instant::now();
        }
        Ok(())
    }

    /// Queues one chunk, waiting while the channel holds [`CAPACITY`] bytes.
    fn send(&mut self, chunk: Bytes) -> io::Result<()> {
        let len = chunk.len();
        let shared = &*self.shared;
        let mut state = shared.lock();
        loop {
            if shared.closed.load(Ordering::Relaxed) {
                return Err(gone());
            }
            let queued = shared.queued.load(Ordering::Relaxed);
            if queued == 0 || queued + len <= CAPACITY {
                break;
            }
            state.producer_waiting = true;
            state = shared
                .space
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        shared.queued.fetch_add(len, Ordering::Relaxed);
        state.queue.push_back(chunk);
        let waker = state.take_waker(shared);
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Ends production with `result`, after handing over what is buffered.
    fn finish(mut self, result: io::Result<()>) {
        let result = result.and_then(|()| self.flush());
        let mut state = self.shared.lock();
        state.end = Some(result);
        let waker = state.take_waker(&self.shared);
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Write for Sender {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.shared.closed.load(Ordering::Relaxed) {
            return Err(gone());
        }
        if data.is_empty() {
            return Ok(0);
        }
        self.make_room()?;
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

/// The response's end of the channel.
pub(crate) struct Receiver {
    shared: Arc<Shared>,
}

impl Receiver {
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        let shared = &*self.shared;
        let mut state = shared.lock();
        if let Some(chunk) = state.queue.pop_front() {
            let queued = shared.queued.fetch_sub(chunk.len(), Ordering::Relaxed) - chunk.len();
            if state.producer_waiting && queued <= LOW_WATER {
                state.producer_waiting = false;
                shared.space.notify_one();
            }
            return Poll::Ready(Some(Ok(chunk)));
        }
        match state.end.take() {
            Some(Ok(())) => {
                state.end = Some(Ok(()));
                Poll::Ready(None)
            }
            Some(Err(err)) => {
                state.end = Some(Ok(()));
                Poll::Ready(Some(Err(err)))
            }
            None => {
                match &state.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    _ => state.waker = Some(cx.waker().clone()),
                }
                shared.waiting.store(true, Ordering::Relaxed);
                Poll::Pending
            }
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Relaxed);
        let mut state = self.shared.lock();
        state.queue.clear();
        state.waker = None;
        drop(state);
        self.shared.space.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use futures_util::future::poll_fn;

    use super::*;

    /// Receives every chunk of `produce`, as the response would.
    async fn collect(produce: Produce) -> (Vec<Bytes>, Option<io::Error>) {
        let mut rx = spawn(produce);
        let mut chunks = Vec::new();
        loop {
            match poll_fn(|cx| rx.poll_next(cx)).await {
                Some(Ok(chunk)) => chunks.push(chunk),
                Some(Err(err)) => return (chunks, Some(err)),
                None => return (chunks, None),
            }
        }
    }

    #[tokio::test]
    async fn a_million_tiny_items_are_coalesced_into_few_chunks() {
        let (chunks, err) = collect(Box::new(|tx: &mut Sender| {
            for _ in 0..1_000_000 {
                tx.push(Bytes::from_static(b"Hello world!\n"))?;
            }
            Ok(())
        }))
        .await;
        assert!(err.is_none());
        assert_eq!(chunks.iter().map(Bytes::len).sum::<usize>(), 13_000_000);
        assert!(chunks.iter().all(|c| c.len() <= CHUNK));
        // Not a channel hop per item: the first FAST_ITEMS items go one by
        // one, then chunks of at least MIN_CHUNK unless the response waited.
        assert!(
            chunks.len() < 13_000_000 / 1024,
            "{} chunks for a million items",
            chunks.len()
        );
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

    /// One way of handing bytes to the producer.
    #[derive(Debug, Clone)]
    enum Piece {
        Push(usize),
        PushSmall(usize),
        Write(usize),
        Read(usize),
    }

    fn piece() -> impl proptest::strategy::Strategy<Value = Piece> {
        use proptest::prelude::*;
        let size = prop_oneof![0..40usize, 0..MIN_CHUNK + 10, 0..3 * CHUNK];
        (0..4u8, size).prop_map(|(kind, n)| match kind {
            0 => Piece::Push(n),
            1 => Piece::PushSmall(n.min(MIN_CHUNK - 1)),
            2 => Piece::Write(n),
            _ => Piece::Read(n),
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        /// Whatever the mix of item sizes and ways in, the response gets
        /// exactly the bytes, in order, in chunks of at most CHUNK bytes.
        #[test]
        fn any_mix_of_pieces_arrives_byte_exact(pieces in proptest::collection::vec(piece(), 0..200)) {
            let mut expected = Vec::new();
            let mut next = 0u8;
            let mut bytes_of = |n: usize| -> Vec<u8> {
                let v: Vec<u8> = (0..n).map(|_| { next = next.wrapping_add(1); next }).collect();
                expected.extend_from_slice(&v);
                v
            };
            let pieces: Vec<(Piece, Vec<u8>)> = pieces
                .into_iter()
                .map(|p| {
                    let n = match p { Piece::Push(n) | Piece::PushSmall(n) | Piece::Write(n) | Piece::Read(n) => n };
                    (p, bytes_of(n))
                })
                .collect();
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let (chunks, err) = runtime.block_on(collect(Box::new(move |tx: &mut Sender| {
                for (piece, data) in pieces {
                    match piece {
                        Piece::Push(_) => tx.push(Bytes::from(data))?,
                        Piece::PushSmall(_) => tx.push_small(&data)?,
                        Piece::Write(_) => tx.write_all(&data)?,
                        Piece::Read(_) => tx.read_from(&mut io::Cursor::new(data))?,
                    }
                }
                Ok(())
            })));
            proptest::prop_assert!(err.is_none());
            proptest::prop_assert!(chunks.iter().all(|c| !c.is_empty() && c.len() <= CHUNK));
            proptest::prop_assert_eq!(chunks.concat(), expected);
        }
    }

    #[tokio::test]
    async fn memory_in_flight_is_bounded_in_bytes() {
        let mut rx = spawn(Box::new(move |tx: &mut Sender| {
            for _ in 0..1000 {
                tx.push(Bytes::from(vec![0u8; CHUNK]))?;
            }
            Ok(())
        }));
        // Let the producer run ahead of a response that reads nothing.
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(rx.shared.queued.load(Ordering::Relaxed), CAPACITY);
        let mut total = 0;
        while let Some(chunk) = poll_fn(|cx| rx.poll_next(cx)).await {
            total += chunk.unwrap().len();
            assert!(rx.shared.queued.load(Ordering::Relaxed) <= CAPACITY);
        }
        assert_eq!(total, 1000 * CHUNK);
    }

    struct DropSignal(mpsc::Sender<()>);

    impl Drop for DropSignal {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }

    #[tokio::test]
    async fn dropping_the_response_stops_and_drops_the_producer() {
        let (tx_drop, rx_drop) = mpsc::channel();
        let (tx_err, rx_err) = mpsc::channel();
        let guard = DropSignal(tx_drop);
        let mut rx = spawn(Box::new(move |tx: &mut Sender| {
            let _guard = guard;
            let result = loop {
                if let Err(err) = tx.write_all(b"row\n") {
                    break Err(err);
                }
            };
            let _ = tx_err.send(result.as_ref().map_err(io::Error::kind).err());
            result
        }));
        assert!(poll_fn(|cx| rx.poll_next(cx)).await.is_some());
        drop(rx);
        let kind = rx_err.recv_timeout(Duration::from_secs(1)).unwrap();
        assert_eq!(kind, Some(io::ErrorKind::BrokenPipe));
        rx_drop.recv_timeout(Duration::from_secs(1)).unwrap();
    }

    #[tokio::test]
    async fn a_panicking_source_fails_the_body() {
        let (chunks, err) = collect(Box::new(|tx: &mut Sender| {
            tx.push(Bytes::from_static(b"abc"))?;
            panic!("boom");
        }))
        .await;
        assert_eq!(chunks.concat(), b"abc");
        assert_eq!(err.unwrap().to_string(), "the body source panicked");
    }
}
