//! `send_timeout` (SPEC §2, §9): a download whose client has taken no body
//! byte for that long is abandoned.
//!
//! actix-web stops polling a body while its write buffer is full, so a body
//! cannot notice by itself that its client stalled. Each streaming body that
//! has a timeout registers a [`Watch`] here; one reaper thread looks at every
//! watch four times a second. A watch whose body handed actix no byte for
//! the timeout, while the body had bytes to give (time spent waiting for a
//! slow *source* does not count, as nginx's `send_timeout` only times the
//! client), fires:
//!
//! 1. the producer is stopped: a parked pull source and the queued bytes
//!    are dropped at once, a running step or a waiting writer fails at its
//!    next hand-over (`BrokenPipe`), so its thread is released;
//! 2. the report is sent, `ClientGone`, with the reason in its `error`;
//! 3. an async source (a stream, an async writer, an archive), which must
//!    stay on its worker thread, is dropped there by a task the reaper
//!    hands the worker's runtime (`abandon.rs`);
//! 4. the body remembers it: when actix polls it again it fails (the
//!    connection is aborted). actix-web polls it again when the client
//!    reads or leaves: it has no write timeout of its own, so until then
//!    the connection (its socket and actix's write buffer, about 32 KiB)
//!    stays open; see docs/deployment.md for `TCP_USER_TIMEOUT`.
//!
//! The reaper parks while no download is watched.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak,
    },
    thread,
    time::{Duration, Instant},
};

use super::{abandon::Abandon, channel::Channel, track::Detached};
use crate::report::Outcome;

/// How often the reaper looks: a timeout fires within a quarter second of
/// its deadline.
const TICK: Duration = Duration::from_millis(250);

/// One watched download, shared by its body and the reaper.
pub(crate) struct Watch {
    timeout: Duration,
    /// Body bytes handed to actix so far.
    sent: AtomicU64,
    /// The body waits for its source (it answered `Pending`): the client is
    /// not the one holding things up.
    source_turn: AtomicBool,
    fired: AtomicBool,
    /// The report, sent by whoever ends the download first.
    tracker: Mutex<Option<Detached>>,
    /// The producer to stop, for blocking sources (for an archive, that of
    /// the entry being produced).
    channel: Mutex<Option<Arc<Channel>>>,
    /// The async source to drop on its worker.
    abandon: Mutex<Option<Abandon>>,
}

impl Watch {
    /// Watches a download from now on.
    pub(crate) fn start(
        timeout: Duration,
        tracker: Option<Detached>,
        channel: Option<Arc<Channel>>,
        abandon: Option<Abandon>,
    ) -> Arc<Watch> {
        let watch = Arc::new(Watch {
            timeout,
            sent: AtomicU64::new(0),
            source_turn: AtomicBool::new(false),
            fired: AtomicBool::new(false),
            tracker: Mutex::new(tracker),
            channel: Mutex::new(channel),
            abandon: Mutex::new(abandon),
        });
        register(&watch);
        watch
    }

    /// The body handed actix bytes, `sent` in all.
    #[inline]
    pub(crate) fn progress(&self, sent: u64) {
        self.sent.store(sent, Ordering::Relaxed);
        self.source_turn.store(false, Ordering::Relaxed);
    }

    /// The body waits for its source.
    #[inline]
    pub(crate) fn source_turn(&self) {
        self.source_turn.store(true, Ordering::Relaxed);
    }

    /// Whether the timeout fired.
    #[inline]
    pub(crate) fn fired(&self) -> bool {
        self.fired.load(Ordering::Relaxed)
    }

    fn tracker(&self) -> MutexGuard<'_, Option<Detached>> {
        self.tracker.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// From now on the producer to stop is `channel`'s (an archive's next
    /// entry).
    pub(crate) fn follow(&self, channel: &Arc<Channel>) {
        *self.channel.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(channel));
    }

    /// Notes the time of the first body byte.
    pub(crate) fn first_byte(&self) {
        if let Some(tracker) = self.tracker().as_mut() {
            tracker.facts().first_byte();
        }
    }

    /// Reports the download, unless it was reported already.
    pub(crate) fn end(&self, outcome: Outcome, bytes: u64, error: Option<String>) {
        let tracker = self.tracker().take();
        if let Some(tracker) = tracker {
            tracker.end(outcome, bytes, error);
        }
    }

    /// What the timeout does; runs once, on the reaper thread.
    fn fire(&self) {
        if self.fired.swap(true, Ordering::Relaxed) {
            return;
        }
        if let Some(channel) = take(&self.channel) {
            channel.close();
        }
        if let Some(abandon) = take(&self.abandon) {
            abandon.now();
        }
        let secs = self.timeout.as_secs_f64();
        self.end(
            Outcome::ClientGone,
            self.sent.load(Ordering::Relaxed),
            Some(format!(
                "send_timeout: the client took no body byte for {secs} s"
            )),
        );
    }
}

/// What `slot` holds, taken out (the lock released before it is used).
fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// Downloads registered since the reaper last looked.
struct Registry {
    new: Mutex<Vec<Weak<Watch>>>,
    arrived: Condvar,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let started = thread::Builder::new()
            .name("downloadview-send-timeout".into())
            .stack_size(256 * 1024)
            .spawn(reap);
        if let Err(err) = started {
            log::error!(
                "downloadview: no send_timeout thread ({err}): stalled downloads are not timed out"
            );
        }
        Registry {
            new: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
        }
    })
}

fn register(watch: &Arc<Watch>) {
    let registry = registry();
    let mut new = registry.new.lock().unwrap_or_else(|p| p.into_inner());
    new.push(Arc::downgrade(watch));
    let first = new.len() == 1;
    drop(new);
    if first {
        registry.arrived.notify_one();
    }
}

/// What the reaper remembers of a watch.
struct Seen {
    watch: Weak<Watch>,
    sent: u64,
    /// Since when the client took nothing while it could have.
    since: Instant,
}

fn reap() {
    let registry = registry();
    let mut watched: Vec<Seen> = Vec::new();
    loop {
        {
            let mut new = registry.new.lock().unwrap_or_else(|p| p.into_inner());
            while new.is_empty() && watched.is_empty() {
                new = registry
                    .arrived
                    .wait(new)
                    .unwrap_or_else(|p| p.into_inner());
            }
            let now = Instant::now();
            watched.extend(new.drain(..).map(|watch| Seen {
                watch,
                sent: 0,
                since: now,
            }));
        }
        thread::sleep(TICK);
        let now = Instant::now();
        watched.retain_mut(|seen| {
            let Some(watch) = seen.watch.upgrade() else {
                return false; // the download ended
            };
            if watch.fired() {
                return false;
            }
            let sent = watch.sent.load(Ordering::Relaxed);
            if sent != seen.sent || watch.source_turn.load(Ordering::Relaxed) {
                seen.sent = sent;
                seen.since = now;
                return true;
            }
            if now.duration_since(seen.since) >= watch.timeout {
                watch.fire();
                return false;
            }
            true
        });
    }
}
