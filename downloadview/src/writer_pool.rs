//! The writer pool: writer closures (push sources) on threads of their own,
//! and what happens when there are too many.
//!
//! A writer closure is handed `&mut dyn Write` and keeps it until it returns:
//! it cannot be paused between steps like a pull source, so it needs a
//! thread for as long as it runs, including while its client does not read.
//! Those threads are not taken from the blocking pool that the application
//! shares (`web::block`, actix-files, pull steps): 512 writers stalled by
//! slow clients would otherwise hold every thread of a 2-core server's pool
//! and freeze all of its blocking work. A writer that blocks on its own I/O
//! (a database cursor) holds its own thread and no other download's.
//!
//! Writers run on a pool of their own:
//!
//! - threads with a [`STACK_SIZE`] stack (memory is only used as the stack
//!   grows: a CSV writer touches a few KiB of it);
//! - up to [`set_max_writer_threads`] at once ([`DEFAULT_MAX_WRITER_THREADS`]);
//! - **at the limit**, a new writer waits in a queue (holding no thread), and
//!   the writer that has waited longest for its client to take bytes is
//!   abandoned: its channel closes, its next `write` fails, its thread takes
//!   the new writer, and its download ends as if its `send_timeout` had fired
//!   (reported `ClientGone`, "writer pool full"). A writer busy with its own
//!   work is never abandoned; when every writer is, the new one waits for the
//!   first to finish. So clients that stall on purpose cannot stop the
//!   server from starting writers: the stalled ones make room.
//! - a thread that finds no writer to run waits [`IDLE`] for one, then ends.
//!
//! The pool knows the writers only through [`Stall`]: it runs closures and
//! asks how long each has waited; `channel.rs` provides both.

use std::{
    collections::{HashMap, VecDeque},
    io,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Condvar, Mutex, MutexGuard, OnceLock,
    },
    thread,
    time::{Duration, Instant},
};

/// The stack of a writer thread: a quarter of Rust's default, ample for
/// CSV, JSON and zip writers; only the pages a writer touches use memory
/// (measured: a stalled CSV writer's thread adds about 8 KiB of RSS).
pub(crate) const STACK_SIZE: usize = 512 * 1024;

/// The default limit of writer threads at once. Each stalled writer costs
/// its thread's touched stack and its window on top of its connection
/// (1,000 stalled CSV writers measured 115 KiB per client in all, against
/// 75 KiB for a hand-written stream); past the limit the longest-stalled
/// writers are abandoned, so this is also the most stalled writers that are
/// kept waiting for their clients.
pub const DEFAULT_MAX_WRITER_THREADS: usize = 10_000;

/// How long an idle writer thread waits for the next writer before ending:
/// tokio's blocking pool keeps its idle threads as long (its default
/// `thread_keep_alive`), and the slow-clients phase of `bench/` shows the
/// writer threads of 1,000 and of 10,000 stalled clients all ended 11 s
/// after their clients left.
const IDLE: Duration = Duration::from_secs(10);

static MAX_THREADS: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_WRITER_THREADS);

/// Sets the most writer threads that run writer closures
/// ([`VirtualFile::from_writer`](crate::VirtualFile::from_writer)) at once,
/// for the whole process; at least 1. Default: [`DEFAULT_MAX_WRITER_THREADS`].
///
/// At the limit, a new writer closure waits for a thread, and the writer
/// that has waited longest for its client to take bytes is abandoned to
/// make room: its download is aborted and reported as
/// [`ClientGone`](crate::Outcome::ClientGone) with the error "writer pool
/// full", as if its `send_timeout` had fired. Writers busy with their own
/// work (a slow database query) are never abandoned; when every writer is
/// busy, the new one waits for the first to finish.
///
/// Lowering the limit trades how many stalled clients are kept waiting for
/// memory and threads; each thread reserves a 512 KiB stack of which it
/// touches a few KiB.
///
/// ```
/// // A server that never holds more than 2,000 writer threads.
/// downloadview::set_max_writer_threads(2_000);
/// # downloadview::set_max_writer_threads(downloadview::DEFAULT_MAX_WRITER_THREADS);
/// ```
pub fn set_max_writer_threads(max: usize) {
    MAX_THREADS.store(max.max(1), Ordering::Relaxed);
}

/// A running writer, as the pool sees it.
pub(crate) trait Stall: Send + Sync {
    /// Since when the writer has waited for its client to take bytes, if it
    /// waits now.
    fn waiting_since(&self) -> Option<Instant>;
    /// Stops the writer: its next hand-over fails and it returns.
    fn abandon(&self);
}

/// A writer closure to run: called with `Ok` on a writer thread, or with
/// the reason no thread could be had.
pub(crate) type Run = Box<dyn FnOnce(io::Result<()>) + Send>;

struct Job {
    writer: Arc<dyn Stall>,
    run: Run,
}

#[derive(Default)]
struct Pool {
    state: Mutex<PoolState>,
    work: Condvar,
}

#[derive(Default)]
struct PoolState {
    jobs: VecDeque<Job>,
    /// The writers running now, by job number (abandoned ones removed).
    running: HashMap<u64, Arc<dyn Stall>>,
    next: u64,
    threads: usize,
    idle: usize,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(Pool::default)
}

/// Runs `run` on a writer thread; `writer` tells the pool how it fares.
pub(crate) fn spawn(writer: Arc<dyn Stall>, run: Run) {
    let pool = pool();
    let mut state = pool.lock();
    state.jobs.push_back(Job { writer, run });
    if state.idle >= state.jobs.len() {
        drop(state);
        pool.work.notify_one();
        return;
    }
    if state.threads >= MAX_THREADS.load(Ordering::Relaxed) {
        // A finishing writer thread takes it; make one finish.
        let victim = longest_stalled(&mut state);
        drop(state);
        if let Some(victim) = victim {
            crate::meter::abandoned("writer_pool_full");
            victim.abandon();
        }
        return;
    }
    state.threads += 1;
    drop(state);
    let started = thread::Builder::new()
        .name("downloadview-writer".into())
        .stack_size(STACK_SIZE)
        .spawn(|| serve(self::pool()));
    if let Err(err) = started {
        // The system refuses more threads: the writer waits for a running
        // thread, or, with none, fails its response.
        let mut state = pool.lock();
        state.threads -= 1;
        if state.threads == 0 {
            let jobs: Vec<Job> = state.jobs.drain(..).collect();
            drop(state);
            for job in jobs {
                (job.run)(Err(io::Error::other(format!(
                    "no thread for the writer closure: {err}"
                ))));
            }
        }
    }
}

/// Takes the running writer that has waited longest for its client out of
/// the running ones, if any waits.
fn longest_stalled(state: &mut PoolState) -> Option<Arc<dyn Stall>> {
    let (&id, _) = state
        .running
        .iter()
        .filter_map(|(id, writer)| Some((id, writer.waiting_since()?)))
        .min_by_key(|&(_, since)| since)?;
    state.running.remove(&id)
}

/// A writer thread: runs queued writers until it has been idle for [`IDLE`].
fn serve(pool: &'static Pool) {
    let mut state = pool.lock();
    loop {
        if let Some(Job { writer, run }) = state.jobs.pop_front() {
            let id = state.next;
            state.next += 1;
            state.running.insert(id, writer);
            crate::meter::writer_threads(state.running.len());
            drop(state);
            run(Ok(()));
            state = pool.lock();
            state.running.remove(&id);
            crate::meter::writer_threads(state.running.len());
            continue;
        }
        state.idle += 1;
        let (next, timeout) = pool
            .work
            .wait_timeout(state, IDLE)
            .unwrap_or_else(|p| p.into_inner());
        state = next;
        state.idle -= 1;
        if timeout.timed_out() && state.jobs.is_empty() {
            state.threads -= 1;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake {
        since: Option<Instant>,
        abandoned: std::sync::atomic::AtomicBool,
    }

    impl Stall for Fake {
        fn waiting_since(&self) -> Option<Instant> {
            self.since
        }
        fn abandon(&self) {
            self.abandoned.store(true, Ordering::Relaxed);
        }
    }

    fn fake(since: Option<Instant>) -> Arc<Fake> {
        Arc::new(Fake {
            since,
            abandoned: false.into(),
        })
    }

    #[test]
    fn the_victim_is_the_writer_that_waited_longest_and_never_a_busy_one() {
        let now = Instant::now();
        let old = fake(Some(now - Duration::from_secs(30)));
        let recent = fake(Some(now - Duration::from_secs(1)));
        let busy = fake(None);
        let mut state = PoolState::default();
        for (id, writer) in [(0, &busy), (1, &recent), (2, &old)] {
            state
                .running
                .insert(id, Arc::clone(writer) as Arc<dyn Stall>);
        }
        let first = longest_stalled(&mut state).unwrap();
        first.abandon();
        assert!(old.abandoned.load(Ordering::Relaxed));
        // Taken out: the next victim is another writer.
        let second = longest_stalled(&mut state).unwrap();
        second.abandon();
        assert!(recent.abandoned.load(Ordering::Relaxed));
        assert!(longest_stalled(&mut state).is_none(), "busy writers stay");
        assert!(!busy.abandoned.load(Ordering::Relaxed));
    }
}
