//! Async writer sources: [`AsyncSink`], what the closure writes into, and
//! [`AsyncWriter`], the body's end, which polls the closure's future on the
//! actix worker, inside the body's own `poll_next`, and drains the sink's
//! queue.
//!
//! The future is polled only when the queue is empty, so it runs until its
//! writes fill the window (then a write returns `Pending`) or until it waits
//! for something of its own (a database, a timer), in which case the bytes
//! written so far go out at once. When the response is dropped, the future
//! is dropped with it, and a sink moved elsewhere fails its next write.

use std::{
    cell::RefCell,
    collections::VecDeque,
    fmt,
    future::Future,
    io,
    panic::{catch_unwind, AssertUnwindSafe},
    pin::Pin,
    rc::Rc,
    task::{Context, Poll, Waker},
};

use bytes::{Bytes, BytesMut};

use crate::{
    chunk::{gone, window_for, BoxError, CHUNK, MIN_CHUNK, MIN_WINDOW},
    file::AsyncWriteFn,
};

/// The response body as a [`tokio::io::AsyncWrite`], handed to the closure
/// of [`VirtualFile::from_async_writer`](crate::VirtualFile::from_async_writer).
///
/// Writes are coalesced into chunks and queued for the response. A write
/// waits (returns `Pending`) while the client has not taken the bytes
/// queued before it: memory stays bounded however slow the client is. Once
/// the response is gone (the client left, or `send_timeout` fired), every
/// write fails with [`io::ErrorKind::BrokenPipe`]. `flush` and `shutdown`
/// succeed at once: bytes go out as soon as the response can take them, and
/// the body ends when the closure's future does.
///
/// Crates written for `futures::io::AsyncWrite` take it through an adapter,
/// e.g. `tokio_util::compat::TokioAsyncWriteCompatExt::compat_write`;
/// async_zip, csv-async and async-compression also have tokio-flavoured
/// writers (their `tokio` features).
///
/// ```
/// use downloadview::{AsyncSink, VirtualFile};
/// use tokio::io::AsyncWriteExt as _;
///
/// let file = VirtualFile::from_async_writer(|mut sink: AsyncSink| async move {
///     for i in 0..3 {
///         sink.write_all(format!("line {i}\n").as_bytes()).await?;
///     }
///     Ok::<_, std::io::Error>(())
/// });
/// assert_eq!(file.size(), None); // sent chunked unless declared
/// ```
pub struct AsyncSink {
    shared: Rc<RefCell<Shared>>,
}

/// The queue between an async writer and its response, polled on the worker.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) queue: VecDeque<Bytes>,
    /// Bytes in `queue`.
    pub(crate) queued: usize,
    /// The chunk being built: `buf[..filled]`.
    buf: BytesMut,
    filled: usize,
    /// How many bytes may be queued ahead of the client, and the chunk size:
    /// set by the response as it learns the client's pace.
    pub(crate) window: usize,
    pub(crate) chunk: usize,
    /// The response is gone.
    pub(crate) closed: bool,
    /// A writer (in a task of its own) waits for room.
    waker: Option<Waker>,
    /// The response waits for bytes (it answered `Pending`): a write wakes it.
    reader: Option<Waker>,
}

impl Shared {
    pub(crate) fn new(window: usize, chunk: usize) -> Rc<RefCell<Self>> {
        Rc::new(RefCell::new(Shared {
            queue: VecDeque::new(),
            queued: 0,
            buf: BytesMut::new(),
            filled: 0,
            window,
            chunk,
            closed: false,
            waker: None,
            reader: None,
        }))
    }

    /// Queues the chunk being built, if any.
    pub(crate) fn flush(&mut self) {
        if self.filled > 0 {
            let chunk = self.buf.split_to(self.filled).freeze();
            self.filled = 0;
            self.queued += chunk.len();
            self.queue.push_back(chunk);
        }
    }

    /// Takes the next chunk; wakes a writer waiting for room.
    pub(crate) fn pop(&mut self) -> Option<Bytes> {
        let chunk = self.queue.pop_front()?;
        self.queued -= chunk.len();
        if self.queued + self.filled < self.window {
            if let Some(waker) = self.waker.take() {
                waker.wake();
            }
        }
        Some(chunk)
    }

    /// The response is gone: every write fails from now on.
    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.queue.clear();
        self.queued = 0;
        self.buf = BytesMut::new();
        self.filled = 0;
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty() && self.filled == 0
    }

    /// The response waits for bytes from a writer that runs outside its own
    /// polls (a task the closure spawned): the next write wakes it.
    pub(crate) fn wait_for_bytes(&mut self, waker: &Waker) {
        match &self.reader {
            Some(reader) if reader.will_wake(waker) => {}
            _ => self.reader = Some(waker.clone()),
        }
    }

    /// The response is polling: writes need not wake it.
    pub(crate) fn polling(&mut self) {
        self.reader = None;
    }
}

impl AsyncSink {
    pub(crate) fn new(shared: Rc<RefCell<Shared>>) -> Self {
        AsyncSink { shared }
    }
}

impl tokio::io::AsyncWrite for AsyncSink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut shared = self.shared.borrow_mut();
        if shared.closed {
            return Poll::Ready(Err(gone()));
        }
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let room = shared.window.saturating_sub(shared.queued + shared.filled);
        if room == 0 {
            match &shared.waker {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                _ => shared.waker = Some(cx.waker().clone()),
            }
            return Poll::Pending;
        }
        if shared.filled == shared.buf.len() {
            shared.flush();
            if shared.buf.len() < MIN_CHUNK / 4 {
                let size = shared.chunk.clamp(MIN_CHUNK, CHUNK);
                shared.buf = BytesMut::zeroed(size);
            }
        }
        let filled = shared.filled;
        let n = data.len().min(room).min(shared.buf.len() - filled);
        shared.buf[filled..filled + n].copy_from_slice(&data[..n]);
        shared.filled += n;
        if shared.filled == shared.buf.len() {
            shared.flush();
        }
        if let Some(reader) = shared.reader.take() {
            reader.wake();
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for AsyncSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = self.shared.borrow();
        f.debug_struct("AsyncSink")
            .field("queued", &(shared.queued + shared.filled))
            .field("window", &shared.window)
            .field("closed", &shared.closed)
            .finish()
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), BoxError>>>>;

/// The body's end of an async writer source: polls its future, drains its
/// sink.
pub(crate) struct AsyncWriter {
    shared: Rc<RefCell<Shared>>,
    /// Not yet started: called at the first poll.
    start: Option<AsyncWriteFn>,
    /// Running; `None` once it has returned.
    future: Option<BoxFuture>,
    /// How the future ended, once the queue is drained.
    end: Option<Result<(), BoxError>>,
    taken: u64,
}

impl AsyncWriter {
    pub(crate) fn new(start: AsyncWriteFn) -> Self {
        AsyncWriter {
            shared: Shared::new(MIN_WINDOW, MIN_CHUNK),
            start: Some(start),
            future: None,
            end: None,
            taken: 0,
        }
    }

    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        if let Some(start) = self.start.take() {
            let sink = AsyncSink::new(Rc::clone(&self.shared));
            match catch_unwind(AssertUnwindSafe(|| start(sink))) {
                Ok(future) => self.future = Some(future),
                Err(_) => self.end = Some(Err("the body source panicked".into())),
            }
        }
        self.shared.borrow_mut().polling();
        loop {
            if let Some(chunk) = self.shared.borrow_mut().pop() {
                self.taken += chunk.len() as u64;
                return Poll::Ready(Some(Ok(chunk)));
            }
            grow(&self.shared, self.taken);
            let Some(future) = self.future.as_mut() else {
                // The future has ended and every byte it wrote was taken.
                return match self.end.take() {
                    Some(Err(err)) => Poll::Ready(Some(Err(io::Error::other(err)))),
                    _ => Poll::Ready(None),
                };
            };
            match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                Ok(Poll::Ready(result)) => {
                    self.future = None;
                    self.end = Some(result);
                    self.shared.borrow_mut().flush();
                }
                Ok(Poll::Pending) => {
                    let mut shared = self.shared.borrow_mut();
                    if shared.is_empty() {
                        shared.wait_for_bytes(cx.waker());
                        return Poll::Pending;
                    }
                    // Waiting for the client (window full) or for something
                    // of its own: what it wrote goes out now.
                    shared.flush();
                }
                Err(_) => {
                    self.future = None;
                    self.end = Some(Err("the body source panicked".into()));
                    // What it queued before it panicked is not sent.
                    self.shared.borrow_mut().close();
                }
            }
        }
    }
}

/// Widens the window, as `body/channel.rs` does, while the client keeps
/// taking everything the writer wrote.
fn grow(shared: &RefCell<Shared>, taken: u64) {
    let mut shared = shared.borrow_mut();
    let (window, chunk) = window_for(taken);
    if window > shared.window {
        shared.window = window;
        shared.chunk = chunk;
    }
}

impl Drop for AsyncWriter {
    fn drop(&mut self) {
        // The future goes first, then a sink it handed elsewhere fails.
        self.future = None;
        self.shared.borrow_mut().close();
    }
}
