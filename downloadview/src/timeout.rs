//! `send_timeout` on the worker's event loop: a download whose
//! client has taken no body byte for that long is abandoned.
//!
//! actix-web stops polling a body while the connection's write buffer is
//! full, so a body cannot notice by itself that its client stalled. A body
//! with a timeout moves its source and its tracker into a [`Watch`] when it
//! starts streaming, and registers the watch with its worker's ticker: one
//! task per worker thread, on that thread's current-thread runtime (as
//! actix-http times its own connections there), that looks at the worker's
//! watches every [`TICK`] while there are any and ends when none is left.
//! A watch whose body handed actix no byte for the timeout while the body had
//! bytes to give fires (time spent waiting for a slow *source* does not
//! count: nginx's `send_timeout` times the client only):
//!
//! 1. the source is dropped, here, on the thread that owns it: a blocking
//!    producer's channel closes (a parked pull source is dropped on the
//!    blocking pool, a running step or a waiting writer fails at its next
//!    hand-over and its thread is released), an async source is dropped in
//!    place;
//! 2. the report is delivered, `ClientGone`, with the reason in its `error`;
//! 3. when actix polls the body again (the client reads or leaves) it fails,
//!    which aborts the connection. actix-web has no write timeout of its own,
//!    so until then the connection (its socket and actix's write buffer,
//!    about 32 KiB) stays open; see docs/deployment.md for `TCP_USER_TIMEOUT`.
//!
//! A writer closure abandoned by the writer pool at its limit (`writer_pool.rs`) is
//! found by the same look and ends the same way, with its own reason.
//!
//! A body polled outside a current-thread runtime with a timer (not on an
//! actix-web worker) has no ticker: its watch is checked when it is polled.

use std::{
    cell::{Cell, RefCell},
    fmt, io,
    panic::{catch_unwind, AssertUnwindSafe},
    rc::{Rc, Weak},
    time::{Duration, Instant},
};

use tokio::runtime::{Handle, RuntimeFlavor};

use crate::report::{track::Tracker, Outcome};

/// How often a worker looks at its watches: a timeout fires within a quarter
/// second of its deadline (the reaper thread before it looked as often). The
/// look costs a few loads per watched download: with 10,000 stalled
/// downloads watched (5,000 per worker), `bench/`'s slow phase found the
/// server under its idle threshold (4 % of a CPU).
const TICK: Duration = Duration::from_millis(250);

/// Why a watched download was abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Abandoned {
    /// Its client took no body byte for the `send_timeout`.
    TimedOut(Duration),
    /// Its writer closure was the longest stalled when the writer pool was
    /// full and another download needed a thread.
    WriterPoolFull,
}

impl fmt::Display for Abandoned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Abandoned::TimedOut(timeout) => write!(
                f,
                "send_timeout: the client took no body byte for {} s",
                timeout.as_secs_f64()
            ),
            Abandoned::WriterPoolFull => f.write_str(
                "writer pool full: the longest-stalled writer closure was abandoned for a new download",
            ),
        }
    }
}

impl std::error::Error for Abandoned {}

impl Abandoned {
    /// The error that aborts the abandoned response.
    pub(crate) fn error(self) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, self)
    }

    /// Whether `err` is the abort of an abandoned download (reported as
    /// `ClientGone`, not as a failing source).
    pub(crate) fn is(err: &io::Error) -> bool {
        err.get_ref().is_some_and(|inner| inner.is::<Abandoned>())
    }
}

/// What a [`Watch`] holds: a body's source (`body::Kind`). Its default is
/// the empty source, left in its place once it ended or was abandoned.
pub(crate) trait Watched: Default + 'static {
    /// Whether the writer pool abandoned its writer closure at its limit.
    fn evicted(&self) -> bool;
    /// What it is, for `Debug`.
    fn name(&self) -> &'static str;
}

/// One watched download, shared by its body and its worker's ticker.
pub(crate) struct Watch<S> {
    timeout: Duration,
    /// The source (the empty one once it ended or was abandoned).
    kind: RefCell<S>,
    /// The report, sent by whoever ends the download first.
    tracker: RefCell<Option<Tracker>>,
    /// Body bytes handed to actix so far.
    sent: Cell<u64>,
    /// The body waits for its source (it answered `Pending`): the client is
    /// not the one holding things up.
    source_turn: Cell<bool>,
    abandoned: Cell<Option<Abandoned>>,
    /// What the last look saw of `sent`, and since when.
    seen: Cell<u64>,
    since: Cell<Instant>,
    /// A ticker looks at it; else the body does, when polled.
    ticked: Cell<bool>,
}

impl<S: Watched> Watch<S> {
    /// Watches `kind` from now on; the timer is this thread's ticker when it
    /// has one.
    pub(crate) fn start(timeout: Duration, kind: S, tracker: Option<Tracker>) -> Rc<Self> {
        let watch = Rc::new(Watch {
            timeout,
            kind: RefCell::new(kind),
            tracker: RefCell::new(tracker),
            sent: Cell::new(0),
            source_turn: Cell::new(false),
            abandoned: Cell::new(None),
            seen: Cell::new(0),
            since: Cell::new(Instant::now()),
            ticked: Cell::new(false),
        });
        let timed: Weak<Self> = Rc::downgrade(&watch);
        watch.ticked.set(register(timed));
        watch
    }

    /// The source, to poll.
    pub(crate) fn kind(&self) -> std::cell::RefMut<'_, S> {
        self.kind.borrow_mut()
    }

    /// What the source is, for `Debug`.
    pub(crate) fn name(&self) -> &'static str {
        self.kind.try_borrow().map_or("watched", |kind| kind.name())
    }

    /// Drops the source now (it ended, or the body failed).
    pub(crate) fn drop_source(&self) {
        let source = self.kind.take();
        drop(source);
    }

    /// The body handed actix bytes, `sent` in all.
    #[inline]
    pub(crate) fn progress(&self, sent: u64) {
        self.sent.set(sent);
        self.source_turn.set(false);
    }

    /// The body waits for its source.
    #[inline]
    pub(crate) fn source_turn(&self) {
        self.source_turn.set(true);
    }

    /// Why the download was abandoned, once it was. A watch without a ticker
    /// is looked at here.
    #[inline]
    pub(crate) fn abandoned(&self) -> Option<Abandoned> {
        if !self.ticked.get() {
            if let Some(why) = self.due(Instant::now()) {
                self.abandon(why);
            }
        }
        self.abandoned.get()
    }

    /// Notes the time of the first body byte.
    pub(crate) fn first_byte(&self) {
        if let Some(tracker) = self.tracker.borrow_mut().as_mut() {
            tracker.facts.first_byte();
        }
    }

    /// Reports the download, unless it was reported already.
    pub(crate) fn end(&self, outcome: Outcome, bytes: u64, error: Option<String>) {
        let tracker = self.tracker.borrow_mut().take();
        if let Some(tracker) = tracker {
            tracker.end(outcome, bytes, error);
        }
    }
}

/// A watch as its ticker sees it, whatever its source.
trait Timed {
    /// Whether the download is to be abandoned at `now`, and why.
    fn due(&self, now: Instant) -> Option<Abandoned>;
    /// Drops the source and reports the download, once.
    fn abandon(&self, why: Abandoned);
    /// Whether it was abandoned already.
    fn is_abandoned(&self) -> bool;
    /// No ticker looks at it any more: its body does, when polled.
    fn untick(&self);
}

impl<S: Watched> Timed for Watch<S> {
    fn due(&self, now: Instant) -> Option<Abandoned> {
        if self.abandoned.get().is_some() {
            return None;
        }
        if self.kind.try_borrow().is_ok_and(|kind| kind.evicted()) {
            return Some(Abandoned::WriterPoolFull);
        }
        let sent = self.sent.get();
        if sent != self.seen.get() || self.source_turn.get() {
            self.seen.set(sent);
            self.since.set(now);
            return None;
        }
        (now.duration_since(self.since.get()) >= self.timeout)
            .then_some(Abandoned::TimedOut(self.timeout))
    }

    fn abandon(&self, why: Abandoned) {
        if self.abandoned.get().is_some() {
            return;
        }
        self.abandoned.set(Some(why));
        if let Abandoned::TimedOut(_) = why {
            crate::meter::abandoned("send_timeout");
        }
        // Taken out first: the source's `Drop` runs with no borrow held.
        let source = match self.kind.try_borrow_mut() {
            Ok(mut kind) => std::mem::take(&mut *kind),
            // Only while the body polls it (a watch without a ticker, looked
            // at from the body's poll): the body drops it when it sees why.
            Err(_) => S::default(),
        };
        drop(source);
        self.end(Outcome::ClientGone, self.sent.get(), Some(why.to_string()));
    }

    fn is_abandoned(&self) -> bool {
        self.abandoned.get().is_some()
    }

    fn untick(&self) {
        self.ticked.set(false);
    }
}

/// The watches of this thread, and whether its ticker runs.
struct Ticker {
    watched: Vec<Weak<dyn Timed>>,
    running: bool,
    /// The runtime has no timer: no ticker on this thread.
    unavailable: bool,
}

thread_local! {
    static TICKER: RefCell<Ticker> = const {
        RefCell::new(Ticker {
            watched: Vec::new(),
            running: false,
            unavailable: false,
        })
    };
}

/// Hands `watch` to this thread's ticker, started if it is not running;
/// `false` when this thread runs no current-thread runtime with a timer.
fn register(watch: Weak<dyn Timed>) -> bool {
    let runtime = match Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == RuntimeFlavor::CurrentThread => runtime,
        _ => return false,
    };
    TICKER
        .try_with(|ticker| {
            let mut ticker = ticker.borrow_mut();
            if ticker.unavailable {
                return false;
            }
            ticker.watched.push(watch);
            if !ticker.running {
                ticker.running = true;
                // On a current-thread runtime every task runs on the thread
                // that drives it: the ticker runs here, with these watches.
                drop(runtime.spawn(tick()));
            }
            true
        })
        .unwrap_or(false)
}

/// The ticker: looks every [`TICK`] until no watch is left.
async fn tick() {
    loop {
        // A runtime built without its time driver cannot sleep (tokio
        // panics): then this thread's watches are checked when polled.
        let Ok(sleep) = catch_unwind(|| tokio::time::sleep(TICK)) else {
            give_up();
            return;
        };
        sleep.await;
        if !look(Instant::now()) {
            return;
        }
    }
}

/// Marks the ticker unavailable and hands its watches back to their bodies.
fn give_up() {
    let watched = TICKER.with(|ticker| {
        let mut ticker = ticker.borrow_mut();
        ticker.unavailable = true;
        ticker.running = false;
        std::mem::take(&mut ticker.watched)
    });
    for watch in watched.iter().filter_map(Weak::upgrade) {
        watch.untick();
    }
}

/// Looks at every watch of this thread and abandons those that are due;
/// `false` when none is left (the ticker then ends).
fn look(now: Instant) -> bool {
    let mut due = Vec::new();
    let more = TICKER.with(|ticker| {
        let mut ticker = ticker.borrow_mut();
        ticker.watched.retain(|watch| {
            let Some(watch) = watch.upgrade() else {
                return false; // the download ended
            };
            if watch.is_abandoned() {
                return false;
            }
            match watch.due(now) {
                Some(why) => {
                    due.push((watch, why));
                    false
                }
                None => true,
            }
        });
        ticker.running = !ticker.watched.is_empty();
        ticker.running
    });
    // Outside the borrow: dropping a source runs the user's `Drop`, and a
    // hook may start another download on this thread.
    for (watch, why) in due {
        let abandon = AssertUnwindSafe(|| watch.abandon(why));
        if catch_unwind(abandon).is_err() {
            log::error!("downloadview: a source's Drop panicked when its download was abandoned");
        }
    }
    more
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that flags its drop (`None`: the empty source).
    #[derive(Default)]
    struct Flagged(Option<Rc<Cell<bool>>>);

    impl Drop for Flagged {
        fn drop(&mut self) {
            if let Some(dropped) = &self.0 {
                dropped.set(true);
            }
        }
    }

    impl Watched for Flagged {
        fn evicted(&self) -> bool {
            false
        }
        fn name(&self) -> &'static str {
            "flagged"
        }
    }

    fn flagged(dropped: &Rc<Cell<bool>>) -> Flagged {
        Flagged(Some(Rc::clone(dropped)))
    }

    fn current_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    /// Waits (on the runtime, so that the ticker runs) until `done`, at most 5 s.
    async fn until(done: impl Fn() -> bool) -> bool {
        for _ in 0..100 {
            if done() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        done()
    }

    #[test]
    fn the_ticker_drops_a_stalled_source_on_its_own_thread() {
        current_thread().block_on(async {
            let dropped = Rc::new(Cell::new(false));
            let timeout = Duration::from_millis(600);
            let watch = Watch::start(timeout, flagged(&dropped), None);
            assert!(watch.ticked.get(), "a current-thread runtime ticks");
            watch.progress(100); // the client took bytes, then nothing
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(!dropped.get(), "not before the timeout");
            assert!(until(|| dropped.get()).await, "dropped by the ticker");
            assert_eq!(watch.abandoned(), Some(Abandoned::TimedOut(timeout)));
            assert!(watch.kind().0.is_none(), "the empty source in its place");
            // No watch left: the ticker ends.
            assert!(until(|| !TICKER.with(|t| t.borrow().running)).await);
        });
    }

    #[test]
    fn progress_and_a_slow_source_keep_a_download_alive() {
        current_thread().block_on(async {
            let dropped = Rc::new(Cell::new(false));
            let watch = Watch::start(Duration::from_millis(600), flagged(&dropped), None);
            // Progress every 200 ms for 1.6 s, then a source that takes as long.
            for i in 1..=8u64 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                watch.progress(i * 1000);
            }
            for _ in 0..8 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                watch.source_turn();
            }
            assert!(!dropped.get());
            assert_eq!(watch.abandoned(), None);
            drop(watch);
            assert!(dropped.get(), "the source goes with the body");
        });
    }

    #[test]
    fn without_a_ticker_the_watch_is_checked_when_polled() {
        // No runtime at all: the body's own polls look at the watch.
        let dropped = Rc::new(Cell::new(false));
        let watch = Watch::start(Duration::from_millis(50), flagged(&dropped), None);
        assert!(!watch.ticked.get());
        assert_eq!(watch.abandoned(), None);
        std::thread::sleep(Duration::from_millis(80));
        assert!(watch.abandoned().is_some());
        assert!(dropped.get());
    }

    #[test]
    fn an_abandoned_download_is_told_apart_from_a_failing_source() {
        let err = Abandoned::WriterPoolFull.error();
        assert!(Abandoned::is(&err));
        assert!(err.to_string().contains("writer pool full"));
        assert!(!Abandoned::is(&io::Error::new(
            io::ErrorKind::TimedOut,
            "db"
        )));
    }
}
