//! Writer closures (push sources) on writer threads of their own.
//!
//! A writer closure is handed `&mut dyn Write` and keeps it until it returns:
//! it cannot be paused between steps like a pull source, so it needs a
//! thread for as long as it runs, including while its client does not read.
//! Those threads are not taken from the blocking pool that the application
//! shares (`web::block`, actix-files, pull steps): 512 writers stalled by
//! slow clients would otherwise hold every thread of a 2-core server's pool
//! and freeze all of its blocking work.
//!
//! Instead writers run on a pool of their own:
//!
//! - threads with a [`STACK_SIZE`] stack (memory is only used as the stack
//!   grows: a CSV writer touches a few KiB of it);
//! - up to [`MAX_THREADS`] at once; beyond that, writers wait in a queue
//!   (holding no thread) for one to finish;
//! - a thread that finds no writer to run waits [`IDLE`] for one, then ends.
//!
//! A stalled writer holds its thread until the client reads again, leaves,
//! or `send_timeout` closes its channel: its next `write` fails.

use std::{
    collections::VecDeque,
    io,
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock},
    thread,
    time::Duration,
};

use super::channel::{Channel, WriterOutlet};
use crate::chunk::{Batch, Pace};
pub(crate) use crate::file::WriteFn;

/// The stack of a writer thread: a quarter of Rust's default, ample for
/// CSV, JSON and zip writers; only the pages a writer touches use memory.
pub(crate) const STACK_SIZE: usize = 512 * 1024;
/// The most writer threads at once: ten times the 1,000 stalled clients the
/// benchmark holds, each costing its stack's touched pages (about 8 KiB) and
/// its window.
pub(crate) const MAX_THREADS: usize = 10_000;
/// How long an idle writer thread waits for the next writer before ending.
const IDLE: Duration = Duration::from_secs(10);

/// One writer to run, and where its bytes go.
struct Job {
    channel: Arc<Channel>,
    write: WriteFn,
}

#[derive(Default)]
struct Pool {
    state: Mutex<PoolState>,
    work: Condvar,
}

#[derive(Default)]
struct PoolState {
    jobs: VecDeque<Job>,
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

/// Runs `write` on a writer thread, its bytes going to `channel`.
pub(crate) fn spawn(channel: Arc<Channel>, write: WriteFn) {
    let pool = pool();
    let mut state = pool.lock();
    state.jobs.push_back(Job { channel, write });
    if state.idle > state.jobs.len() - 1 {
        drop(state);
        pool.work.notify_one();
        return;
    }
    if state.threads >= MAX_THREADS {
        return; // a finishing writer thread takes it
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
                job.channel.finish(Err(io::Error::other(format!(
                    "no thread for the writer closure: {err}"
                ))));
            }
        }
    }
}

/// A writer thread: runs queued writers until it has been idle for [`IDLE`].
fn serve(pool: &'static Pool) {
    let mut state = pool.lock();
    loop {
        if let Some(job) = state.jobs.pop_front() {
            drop(state);
            run(job);
            state = pool.lock();
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

/// Runs one writer to its end and reports how it ended to its channel.
fn run(job: Job) {
    let Job { channel, write } = job;
    if channel.demand.is_closed() {
        return; // the client left before the writer started
    }
    let mut pace = Pace::new();
    // A writer's buffers come from its own thread's allocator arena, which
    // stays in use for as long as the writer runs.
    let mut spares = Vec::new();
    let mut outlet = WriterOutlet(&channel);
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut batch = Batch::new(&channel.demand, &mut outlet, &mut pace, &mut spares, false);
        write(&mut batch)?;
        batch.flush()
    }))
    .unwrap_or_else(|_| Err(io::Error::other("the body source panicked")));
    channel.finish(result);
}
