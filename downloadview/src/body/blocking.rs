//! Blocking producers (readers, iterators, writer closures) on the blocking pool.
//!
//! The producer runs in `spawn_blocking` and hands chunks to the response
//! through a channel bounded in **bytes** ([`CAPACITY`]). Small items are
//! coalesced in the producer's own buffer and handed over when it reaches
//! [`CHUNK`] bytes, when it reaches [`MIN_CHUNK`] bytes and the channel is
//! empty, or at once when the response is waiting for data — so a generator of
//! many tiny strings costs a copy per item, not a channel hop per item, and a
//! slow generator's items are not held back.
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
};

use bytes::{Bytes, BytesMut};

/// The largest chunk handed to the response.
pub(crate) const CHUNK: usize = 64 * 1024;
/// Below this, a chunk is only handed over early when the response waits.
pub(crate) const MIN_CHUNK: usize = 16 * 1024;
/// Bytes in flight between one producer and its response.
pub(crate) const CAPACITY: usize = 256 * 1024;

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
        // Its capacity is also what it reallocates once a chunk is split off.
        buf: BytesMut::with_capacity(CHUNK),
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
    buf: BytesMut,
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the client went away")
}

impl Sender {
    /// Hands one item over (coalescing small ones).
    pub(crate) fn push(&mut self, mut chunk: Bytes) -> io::Result<()> {
        if self.shared.closed.load(Ordering::Relaxed) {
            return Err(gone());
        }
        if chunk.len() < MIN_CHUNK {
            self.buf.extend_from_slice(&chunk);
            return self.maybe_flush();
        }
        // Large enough to travel alone, without a copy.
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
            let start = self.buf.len();
            self.buf.resize(CHUNK.max(start + 4096), 0);
            let read = loop {
                match reader.read(&mut self.buf[start..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let n = match read {
                Ok(n) => n,
                Err(e) => {
                    self.buf.truncate(start);
                    return Err(e);
                }
            };
            self.buf.truncate(start + n);
            if n == 0 {
                return Ok(());
            }
            self.maybe_flush()?;
        }
    }

    fn maybe_flush(&mut self) -> io::Result<()> {
        let len = self.buf.len();
        if len >= CHUNK
            || (len >= MIN_CHUNK && self.shared.queued.load(Ordering::Relaxed) == 0)
            || (len > 0 && self.shared.waiting.load(Ordering::Relaxed))
        {
            self.flush()
        } else {
            Ok(())
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = self.buf.split().freeze();
        self.send(chunk)
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
        let room = CHUNK - self.buf.len().min(CHUNK);
        let n = data.len().min(room.max(1));
        self.buf.extend_from_slice(&data[..n]);
        self.maybe_flush()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        // Hand-over is driven by the policy above; an explicit flush from the
        // writer (e.g. `csv::Writer::flush`) must not force tiny chunks.
        Ok(())
    }
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
            shared.queued.fetch_sub(chunk.len(), Ordering::Relaxed);
            if state.producer_waiting {
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
