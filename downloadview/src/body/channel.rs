//! The queue between a blocking producer and its response, bounded in bytes
//! by a window that adapts to the client.
//!
//! Two kinds of producer fill it:
//!
//! - a **pull source** ([`Pull`]) is run a step at a time on the blocking
//!   pool ([`Receiver::pull`]): a step adds bytes until the window is full,
//!   then returns, and the source waits in the channel, holding no thread,
//!   until the response has taken enough for the next step;
//! - a **writer closure** runs on a writer thread (`writer_pool.rs`) and waits
//!   in [`Channel::send_blocking`] while the window is full; the writer pool
//!   sees it as a [`Stall`], which it may abandon at its limit.
//!
//! The window starts small and grows with a fast client
//! ([`crate::chunk::window_for`]).
//!
//! When the response is dropped (the client went away) or `send_timeout`
//! fires, the channel closes: a running step or writer fails at its next
//! hand-over, a parked source is dropped on the blocking pool (its `Drop`
//! may block), and the queued bytes are freed.

use std::{
    collections::VecDeque,
    io,
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Condvar, Mutex, MutexGuard,
    },
    task::{Context, Poll, Waker},
    time::Instant,
};

use bytes::{Bytes, BytesMut};

use crate::{
    chunk::{
        gone, into_io, window_for, Batch, Demand, Outlet, Pace, Pull, Pulled, MIN_CHUNK, MIN_WINDOW,
    },
    file::WriteFn,
    timeout::Abandoned,
    trace::Scope,
    writer_pool::{self, Stall},
};

/// Shared by the response ([`Receiver`]) and its producer.
pub(crate) struct Channel {
    pub(crate) demand: Demand,
    state: Mutex<State>,
    /// A writer waits here for room.
    space: Condvar,
    /// The writer pool abandoned this writer at its limit.
    evicted: AtomicBool,
    /// The request's span, entered around the producer's steps.
    scope: Scope,
}

struct State {
    queue: VecDeque<Bytes>,
    /// How production ended, once it has.
    end: Option<io::Result<()>>,
    waker: Option<Waker>,
    /// A writer waits for room.
    producer_waiting: bool,
    /// Since when the writer has waited for room without getting any.
    waiting_since: Option<Instant>,
    /// A pull source between steps.
    parked: Option<Parked>,
    /// A pull step runs on the blocking pool.
    stepping: bool,
}

/// A pull source and its pace, between steps.
struct Parked {
    source: Box<dyn Pull>,
    pace: Pace,
    /// Buffers for the next step, allocated by the response (see
    /// `Batch::fresh_buffer`).
    spares: Vec<BytesMut>,
    /// At most this many spares are worth allocating for the next step: one
    /// more than the last step built chunks in, when it left some unused.
    /// A source whose items travel alone (64 KiB slices of cached content)
    /// uses none; a window's worth of them allocated per step and freed
    /// unused made the allocator hand the memory back to the system and
    /// fault it in again: 885 page faults per 64 MiB download of `/big/`,
    /// 1-2 with this bound (`perf stat`, 40 downloads).
    spare_hint: usize,
}

impl Channel {
    fn new() -> Arc<Self> {
        Arc::new(Channel {
            demand: Demand::new(MIN_WINDOW, MIN_CHUNK),
            state: Mutex::new(State {
                queue: VecDeque::new(),
                end: None,
                waker: None,
                producer_waiting: false,
                waiting_since: None,
                parked: None,
                stepping: false,
            }),
            space: Condvar::new(),
            evicted: AtomicBool::new(false),
            scope: Scope::current(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere while holding it; the
        // state is still consistent (every update is a single push/pop/assign).
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `chunk` and wakes the response if it waits. Never waits.
    fn push(&self, mut state: MutexGuard<'_, State>, chunk: Bytes) {
        self.demand.queued.fetch_add(chunk.len(), Ordering::Relaxed);
        state.queue.push_back(chunk);
        let waker = take_waker(&mut state, &self.demand);
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Queues one chunk from a writer, waiting while the window is full.
    pub(crate) fn send_blocking(&self, chunk: Bytes) -> io::Result<()> {
        let len = chunk.len();
        let mut state = self.lock();
        loop {
            if self.demand.is_closed() {
                return Err(gone());
            }
            let queued = self.demand.queued.load(Ordering::Relaxed);
            if queued == 0 || queued + len <= self.demand.window.load(Ordering::Relaxed) {
                break;
            }
            state.producer_waiting = true;
            state.waiting_since.get_or_insert_with(Instant::now);
            state = self
                .space
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        state.waiting_since = None;
        self.push(state, chunk);
        Ok(())
    }

    /// Ends production with `result` (a writer's, once it returned).
    pub(crate) fn finish(&self, result: io::Result<()>) {
        let mut state = self.lock();
        state.end = Some(result);
        let waker = take_waker(&mut state, &self.demand);
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Stops production for good: the response is gone or timed out. The
    /// queued bytes are freed; a parked source is dropped on the blocking
    /// pool when there is one (else here); a running step or a waiting
    /// writer fails at its next hand-over.
    pub(crate) fn close(&self) {
        self.demand.closed.store(true, Ordering::Relaxed);
        let mut state = self.lock();
        state.queue.clear();
        self.demand.queued.store(0, Ordering::Relaxed);
        state.waker = None;
        let parked = state.parked.take();
        drop(state);
        self.space.notify_all();
        if let Some(parked) = parked {
            drop_off_worker(parked, self.scope.clone());
        }
    }
}

impl Stall for Channel {
    fn waiting_since(&self) -> Option<Instant> {
        self.lock().waiting_since
    }

    fn abandon(&self) {
        self.evicted.store(true, Ordering::Relaxed);
        self.close();
    }
}

/// Takes the response's waker to wake it (after unlocking). `waiting` is
/// cleared here, under the lock, so that it can never overwrite the `true`
/// of a newer wait: that would leave the response asleep while small items
/// pile up in the producer's buffer.
fn take_waker(state: &mut State, demand: &Demand) -> Option<Waker> {
    let waker = state.waker.take();
    if waker.is_some() {
        demand.waiting.store(false, Ordering::Relaxed);
    }
    waker
}

/// Drops a source where a blocking `Drop` harms no one: on the blocking
/// pool when a runtime is at hand, else on this thread.
fn drop_off_worker(parked: Parked, scope: Scope) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn_blocking(move || scope.enter(|| drop(parked)));
        }
        Err(_) => scope.enter(|| drop(parked)),
    }
}

/// A pull step's outlet: queues without waiting (the step ends instead).
struct StepOutlet<'a>(&'a Channel);

impl Outlet for StepOutlet<'_> {
    fn send(&mut self, chunk: Bytes) -> io::Result<()> {
        let channel = self.0;
        let state = channel.lock();
        if channel.demand.is_closed() {
            return Err(gone());
        }
        channel.push(state, chunk);
        Ok(())
    }
}

/// A writer's outlet: waits for room.
struct WriterOutlet<'a>(&'a Channel);

impl Outlet for WriterOutlet<'_> {
    fn send(&mut self, chunk: Bytes) -> io::Result<()> {
        self.0.send_blocking(chunk)
    }
}

/// Runs a writer closure to its end on this (writer) thread and ends
/// production with its result.
fn run_writer(channel: &Channel, write: WriteFn) {
    if channel.demand.is_closed() {
        return; // the client left before the writer started
    }
    let mut pace = Pace::new();
    // A writer's buffers come from its own thread's allocator arena, which
    // stays in use for as long as the writer runs.
    let mut spares = Vec::new();
    let mut outlet = WriterOutlet(channel);
    let result = catch_unwind(AssertUnwindSafe(|| {
        channel.scope.enter(|| {
            let mut batch = Batch::new(&channel.demand, &mut outlet, &mut pace, &mut spares, false);
            write(&mut batch).map_err(into_io)?;
            batch.flush()
        })
    }))
    .unwrap_or_else(|_| Err(io::Error::other("the body source panicked")));
    channel.finish(result);
}

/// Runs steps of `parked` on this (blocking pool) thread until the window is
/// full, the source ends or fails, or the response is gone.
fn run_steps(channel: Arc<Channel>, mut parked: Parked) {
    let offered = parked.spares.len();
    loop {
        let result = catch_unwind(AssertUnwindSafe(|| {
            channel.scope.enter(|| {
                let mut outlet = StepOutlet(&channel);
                let Parked {
                    source,
                    pace,
                    spares,
                    ..
                } = &mut parked;
                let mut batch = Batch::new(&channel.demand, &mut outlet, pace, spares, true);
                let pulled = source.pull(&mut batch)?;
                batch.flush()?;
                Ok::<_, io::Error>(pulled)
            })
        }))
        .unwrap_or_else(|_| Err(io::Error::other("the body source panicked")));
        let mut state = channel.lock();
        if channel.demand.is_closed() {
            state.stepping = false;
            drop(state);
            channel.scope.enter(|| drop(parked));
            return;
        }
        match result {
            Ok(Pulled::More) => {
                // The response drained the queue while this step ran (and
                // refills ahead), or found it empty and waits: go on with
                // the thread we have.
                if state.waker.is_some()
                    || (channel.demand.refills_ahead() && low_water(&channel.demand))
                {
                    continue;
                }
                parked.spare_hint = match parked.spares.len() {
                    0 => usize::MAX,
                    left => offered.saturating_sub(left) + 1,
                };
                // No spare is kept while the source waits: a stalled client
                // holds its window and nothing more.
                parked.spares.clear();
                state.parked = Some(parked);
                state.stepping = false;
                return;
            }
            Ok(Pulled::End) => state.end = Some(Ok(())),
            Err(err) => state.end = Some(Err(err)),
        }
        state.stepping = false;
        let waker = take_waker(&mut state, &channel.demand);
        drop(state);
        // The source is dropped here, on the blocking pool, before the
        // response learns that it ended.
        channel.scope.enter(|| drop(parked));
        if let Some(waker) = waker {
            waker.wake();
        }
        return;
    }
}

/// Whether the queue is low enough for the next step (or for a waiting
/// writer): a quarter of the window. Refilling at every chunk taken would
/// make the two threads take turns chunk by chunk on a busy core.
fn low_water(demand: &Demand) -> bool {
    demand.queued.load(Ordering::Relaxed) <= demand.window.load(Ordering::Relaxed) / 4
}

/// The response's end of the channel.
pub(crate) struct Receiver {
    channel: Arc<Channel>,
    /// Bytes taken so far: the window grows with them.
    taken: u64,
    /// A writer not yet started: it starts at the first poll.
    writer: Option<WriteFn>,
}

impl Receiver {
    /// The receiving end of `source`, run a step at a time from the first poll.
    pub(crate) fn pull(source: Box<dyn Pull>) -> Self {
        let channel = Channel::new();
        channel.lock().parked = Some(Parked {
            source,
            pace: Pace::new(),
            spares: Vec::new(),
            spare_hint: usize::MAX,
        });
        Receiver {
            channel,
            taken: 0,
            writer: None,
        }
    }

    /// The receiving end of a writer closure, started at the first poll.
    pub(crate) fn writer(write: WriteFn) -> Self {
        Receiver {
            channel: Channel::new(),
            taken: 0,
            writer: Some(write),
        }
    }

    /// Starts the first pull step now, before the first poll (an archive
    /// entry started ahead of its turn); the response is woken by its polls
    /// only.
    pub(crate) fn start(&self) {
        if self.writer.is_none() {
            self.refill(self.channel.lock());
        }
    }

    /// Whether the writer pool abandoned this writer at its limit.
    pub(crate) fn evicted(&self) -> bool {
        self.channel.evicted.load(Ordering::Relaxed)
    }

    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        if let Some(write) = self.writer.take() {
            let channel = Arc::clone(&self.channel);
            writer_pool::spawn(
                Arc::clone(&self.channel) as Arc<dyn Stall>,
                Box::new(move |thread| match thread {
                    Ok(()) => run_writer(&channel, write),
                    Err(err) => channel.finish(Err(err)),
                }),
            );
        }
        if self.evicted() {
            return Poll::Ready(Some(Err(Abandoned::WriterPoolFull.error())));
        }
        let channel = &*self.channel;
        let demand = &channel.demand;
        let mut state = channel.lock();
        if let Some(chunk) = state.queue.pop_front() {
            demand.queued.fetch_sub(chunk.len(), Ordering::Relaxed);
            self.taken += chunk.len() as u64;
            if demand.refills_ahead() && low_water(demand) {
                self.refill(state);
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
                demand.waiting.store(true, Ordering::Relaxed);
                self.refill(state);
                Poll::Pending
            }
        }
    }

    /// Asks the producer for more: widens the window, wakes a writer waiting
    /// for room, starts the next pull step.
    fn refill(&self, mut state: MutexGuard<'_, State>) {
        self.grow();
        if state.producer_waiting {
            state.producer_waiting = false;
            self.channel.space.notify_one();
        }
        self.step(state);
    }

    /// Starts the next pull step when the source is parked, with buffers
    /// for the room in the window.
    fn step(&self, mut state: MutexGuard<'_, State>) {
        if state.stepping {
            return;
        }
        let Some(mut parked) = state.parked.take() else {
            return;
        };
        state.stepping = true;
        drop(state);
        let demand = &self.channel.demand;
        let chunk = demand.chunk.load(Ordering::Relaxed);
        let room = demand
            .window
            .load(Ordering::Relaxed)
            .saturating_sub(demand.queued.load(Ordering::Relaxed));
        let wanted = (room.div_ceil(chunk) + 1).min(parked.spare_hint);
        while parked.spares.len() < wanted {
            parked.spares.push(BytesMut::with_capacity(chunk));
        }
        let channel = Arc::clone(&self.channel);
        tokio::task::spawn_blocking(move || run_steps(channel, parked));
    }

    /// Widens the window as the client takes bytes (before each refill).
    fn grow(&self) {
        let demand = &self.channel.demand;
        let (window, chunk) = window_for(self.taken);
        if window > demand.window.load(Ordering::Relaxed) {
            demand.window.store(window, Ordering::Relaxed);
            demand.chunk.store(chunk, Ordering::Relaxed);
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.channel.close();
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::mpsc, time::Duration};

    use futures_util::{future::poll_fn, FutureExt};

    use super::*;
    use crate::chunk::CHUNK;

    /// An endless source of one item, repeated, counting its pull steps.
    struct Endless {
        item: Bytes,
        steps: Arc<std::sync::atomic::AtomicUsize>,
        _dropped: DropSignal,
    }

    impl Pull for Endless {
        fn pull(&mut self, batch: &mut Batch<'_>) -> io::Result<Pulled> {
            self.steps.fetch_add(1, Ordering::Relaxed);
            while !batch.paused() {
                batch.push(self.item.clone())?;
            }
            Ok(Pulled::More)
        }
    }

    struct DropSignal(mpsc::Sender<()>);

    impl Drop for DropSignal {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }

    /// The receiving end of an [`Endless`] source of `item`, its step count,
    /// and a channel told when the source is dropped.
    fn endless(
        item: Bytes,
    ) -> (
        Receiver,
        Arc<std::sync::atomic::AtomicUsize>,
        mpsc::Receiver<()>,
    ) {
        let (tx, rx) = mpsc::channel();
        let steps = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let receiver = Receiver::pull(Box::new(Endless {
            item,
            steps: Arc::clone(&steps),
            _dropped: DropSignal(tx),
        }));
        (receiver, steps, rx)
    }

    #[tokio::test]
    async fn a_stalled_response_holds_one_small_window_and_no_step() {
        let (mut rx_body, steps, rx) = endless(Bytes::from(vec![1u8; 1000]));
        // Take 100 KiB, then stop taking.
        let mut taken = 0;
        while taken < 100 * 1024 {
            taken += poll_fn(|cx| rx_body.poll_next(cx))
                .await
                .unwrap()
                .unwrap()
                .len();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        {
            let state = rx_body.channel.lock();
            assert!(
                !state.stepping,
                "a step still runs for a response that takes nothing"
            );
            assert!(state.parked.is_some(), "the source waits in the channel");
            let queued = rx_body.channel.demand.queued.load(Ordering::Relaxed);
            assert!(queued <= MIN_WINDOW + MIN_CHUNK, "{queued} bytes queued");
        }
        let steps_before = steps.load(Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(steps.load(Ordering::Relaxed), steps_before);
        // Dropping the response drops the parked source.
        drop(rx_body);
        rx.recv_timeout(Duration::from_secs(1)).expect("dropped");
    }

    #[tokio::test]
    async fn during_the_grace_a_step_hands_a_64_kib_item_over_whole_and_the_next_waits_for_an_empty_queue(
    ) {
        let (mut rx_body, steps, _dropped) = endless(Bytes::from(vec![7u8; CHUNK]));
        let first = poll_fn(|cx| rx_body.poll_next(cx)).await.unwrap().unwrap();
        assert_eq!(first.len(), CHUNK, "the item was cut into pieces");
        // The client takes nothing more (it stalled): taking the last queued
        // chunk started no step, so nothing waits in the queue.
        tokio::time::sleep(Duration::from_millis(100)).await;
        {
            let state = rx_body.channel.lock();
            assert!(!state.stepping && state.parked.is_some());
            assert_eq!(rx_body.channel.demand.queued.load(Ordering::Relaxed), 0);
        }
        assert_eq!(steps.load(Ordering::Relaxed), 1);

        // Past the grace, the next step starts before the queue runs dry.
        let mut taken = first.len() as u64;
        while taken < 5 << 20 {
            taken += poll_fn(|cx| rx_body.poll_next(cx))
                .await
                .unwrap()
                .unwrap()
                .len() as u64;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let channel = Arc::clone(&rx_body.channel);
        let demand = &channel.demand;
        let window = demand.window.load(Ordering::Relaxed);
        assert!(demand.queued.load(Ordering::Relaxed) > window / 4);
        while demand.queued.load(Ordering::Relaxed) > window / 4 {
            let chunk = poll_fn(|cx| rx_body.poll_next(cx)).now_or_never();
            assert!(matches!(chunk, Some(Some(Ok(_)))), "the queue ran dry");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            demand.queued.load(Ordering::Relaxed) > window / 4,
            "no step started when the queue got low"
        );
    }

    #[tokio::test]
    async fn during_the_grace_a_generator_of_64_kib_items_is_never_started_again() {
        let starts = Arc::new(Mutex::new(Vec::new()));
        let size: u64 = 4 << 20;
        let generate = {
            let starts = Arc::clone(&starts);
            move |offset: u64| {
                starts.lock().unwrap().push(offset);
                Box::new((offset..size).step_by(CHUNK).map(move |at| {
                    Ok((at..(at + CHUNK as u64).min(size))
                        .map(|i| (i % 251) as u8)
                        .collect::<Vec<u8>>()
                        .into())
                })) as crate::file::ChunkIter
            }
        };
        let mut rx_body = Receiver::pull(Box::new(crate::chunk::Regenerated::new(generate)));
        let mut got = Vec::new();
        while let Some(chunk) = poll_fn(|cx| rx_body.poll_next(cx)).await {
            got.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(got.len() as u64, size);
        assert!(got.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
        assert_eq!(*starts.lock().unwrap(), [0], "an item was cut");
    }

    /// A 256 KiB item of the pattern `offset % 251` from `offset`, counted in
    /// `live` until its last piece is freed.
    fn counted_item(offset: u64, live: &Arc<std::sync::atomic::AtomicUsize>) -> Bytes {
        struct Owner(Vec<u8>, Arc<std::sync::atomic::AtomicUsize>);
        impl AsRef<[u8]> for Owner {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }
        impl Drop for Owner {
            fn drop(&mut self) {
                self.1.fetch_sub(1, Ordering::Relaxed);
            }
        }
        live.fetch_add(1, Ordering::Relaxed);
        let data = (offset..offset + 256 * 1024)
            .map(|i| (i % 251) as u8)
            .collect();
        Bytes::from_owner(Owner(data, Arc::clone(live)))
    }

    #[tokio::test]
    async fn a_stalled_generator_of_large_items_holds_a_window_not_its_item() {
        let live = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let starts = Arc::new(Mutex::new(Vec::new()));
        let size: u64 = 8 << 20;
        let generate = {
            let (live, starts) = (Arc::clone(&live), Arc::clone(&starts));
            move |offset: u64| {
                starts.lock().unwrap().push(offset);
                let live = Arc::clone(&live);
                // Items of 256 KiB from `offset` (the last one shorter).
                Box::new((offset..size).step_by(256 * 1024).map(move |at| {
                    let item = counted_item(at, &live);
                    Ok(item.slice(..(size - at).min(256 * 1024) as usize))
                })) as crate::file::ChunkIter
            }
        };
        let mut rx_body = Receiver::pull(Box::new(crate::chunk::Regenerated::new(generate)));
        let mut got = Vec::new();
        while got.len() < 100 * 1024 {
            let chunk = poll_fn(|cx| rx_body.poll_next(cx)).await.unwrap().unwrap();
            got.extend_from_slice(&chunk);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        {
            let state = rx_body.channel.lock();
            assert!(!state.stepping && state.parked.is_some());
            let queued = rx_body.channel.demand.queued.load(Ordering::Relaxed);
            assert!(queued <= MIN_WINDOW + MIN_CHUNK, "{queued} bytes queued");
            // Neither the queued bytes nor the parked source keep an item.
            let items = live.load(Ordering::Relaxed);
            assert_eq!(items, 0, "items alive while the client stalls");
        }
        // Read on: every byte in order, the generator restarted where it stopped.
        while let Some(chunk) = poll_fn(|cx| rx_body.poll_next(cx)).await {
            got.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(got.len() as u64, size);
        assert!(got.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
        let starts = starts.lock().unwrap();
        assert!(starts.len() > 1, "never restarted: {starts:?}");
        assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    }

    /// A source that records how many spare buffers each step is offered,
    /// then hands over `item`s (without one, reads zeros) until paused.
    struct Offered {
        item: Option<Bytes>,
        offered: Arc<Mutex<Vec<usize>>>,
    }

    impl Pull for Offered {
        fn pull(&mut self, batch: &mut Batch<'_>) -> io::Result<Pulled> {
            self.offered.lock().unwrap().push(batch.spares());
            match &self.item {
                Some(item) => {
                    while !batch.paused() {
                        batch.push(item.clone())?;
                    }
                    Ok(Pulled::More)
                }
                None => batch.read_from(&mut io::repeat(0), None).map(|(p, _)| p),
            }
        }
    }

    /// The spares offered to each step of `item`s (or of a reader) while
    /// 16 MiB are taken.
    async fn spares_offered(item: Option<Bytes>) -> Vec<usize> {
        let offered = Arc::new(Mutex::new(Vec::new()));
        let mut rx_body = Receiver::pull(Box::new(Offered {
            item,
            offered: Arc::clone(&offered),
        }));
        let mut taken = 0;
        while taken < 16 << 20 {
            taken += poll_fn(|cx| rx_body.poll_next(cx))
                .await
                .unwrap()
                .unwrap()
                .len();
            // Nothing is taken while a step runs: each step then starts with
            // the spares offered to it, never with the rest of the last
            // step's (which it gets when the response drains the queue as
            // the step runs).
            while rx_body.channel.lock().stepping {
                tokio::task::yield_now().await;
            }
        }
        let offered = offered.lock().unwrap().clone();
        offered
    }

    #[tokio::test]
    async fn steps_are_offered_the_spare_buffers_their_source_uses() {
        // Items of 64 KiB travel alone: no step builds a chunk in a buffer,
        // so after the first step none is allocated for the next (each
        // would be freed unused).
        let alone = spares_offered(Some(Bytes::from(vec![1u8; CHUNK]))).await;
        assert!(alone.len() > 20, "{alone:?}");
        assert!(alone[1..].iter().all(|&n| n <= 1), "{alone:?}");
        // A reader is read into buffers: every step reads into one at least,
        // so every step is offered one to read into and one more.
        let reader = spares_offered(None).await;
        assert!(reader.iter().all(|&n| n >= 2), "{reader:?}");
    }

    #[tokio::test]
    async fn a_fast_response_widens_the_window_to_the_largest() {
        let (mut rx_body, steps, _dropped) = endless(Bytes::from(vec![1u8; CHUNK]));
        let mut taken = 0;
        while taken < 64 << 20 {
            let chunk = poll_fn(|cx| rx_body.poll_next(cx)).await.unwrap().unwrap();
            assert!(chunk.len() <= CHUNK);
            taken += chunk.len();
        }
        let demand = &rx_body.channel.demand;
        assert_eq!(
            demand.window.load(Ordering::Relaxed),
            window_for(u64::MAX).0
        );
        assert_eq!(demand.chunk.load(Ordering::Relaxed), CHUNK);
        // Far fewer steps than chunks (1,024): one per 64 KiB item for the
        // first 4.5 MiB (72), then three quarters of a 2 MiB window each (40).
        let steps = steps.load(Ordering::Relaxed);
        assert!(steps < 140, "{steps} steps for 64 MiB");
    }
}
