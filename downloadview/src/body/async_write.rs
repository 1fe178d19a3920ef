//! Async writer sources: the closure's future is polled on the
//! actix worker, inside the body's own `poll_next`, and writes into an
//! [`AsyncSink`](crate::AsyncSink) whose queue the body drains.
//!
//! The future is polled only when the queue is empty, so it runs until its
//! writes fill the window (then a write returns `Pending`) or until it waits
//! for something of its own (a database, a timer), in which case the bytes
//! written so far go out at once. When the response is dropped, the future
//! is dropped with it, and a sink moved elsewhere fails its next write.

use std::{
    cell::RefCell,
    future::Future,
    io,
    panic::{catch_unwind, AssertUnwindSafe},
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
};

use bytes::Bytes;

use crate::{
    chunk::{window_for, BoxError, MIN_CHUNK, MIN_WINDOW},
    file::AsyncWriteFn,
    sink::{AsyncSink, Shared},
};

type BoxFuture = Pin<Box<dyn Future<Output = Result<(), BoxError>>>>;

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
