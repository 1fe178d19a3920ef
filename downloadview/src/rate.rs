//! Per-download rate limits with nginx's semantics (`limit_rate`,
//! `limit_rate_after`): the first `after` bytes go at full speed, and from
//! then on the body never runs ahead of `rate` bytes a second counted from
//! the start of the response. Paced on the worker's own timer: no thread,
//! and no buffer beyond the chunk the source already made (it is handed over
//! in slices of an eighth of a second's worth).

use std::{
    future::Future,
    panic::{catch_unwind, AssertUnwindSafe},
    pin::Pin,
    sync::atomic::{AtomicBool, Ordering},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use bytes::Bytes;

/// The lowest rate, in bytes a second: below it a download of any size
/// would take a day per 86 MB, and slices would be a few bytes. The derive
/// refuses lower rates; a method that returns one is clamped (with a
/// warning).
pub(crate) const MIN_RATE: u64 = 1024;

/// A rate under [`MIN_RATE`] was logged already.
static CLAMP_WARNED: AtomicBool = AtomicBool::new(false);

/// A rate limit: `rate` bytes a second once `after` bytes have gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rate {
    rate: u64,
    after: u64,
}

impl Rate {
    /// The limit for `rate` bytes a second after `after` bytes; `None` for
    /// a rate of 0 (no limit). A rate under [`MIN_RATE`] is raised to it.
    pub(crate) fn new(rate: u64, after: u64) -> Option<Rate> {
        if rate == 0 {
            return None;
        }
        if rate < MIN_RATE && !CLAMP_WARNED.swap(true, Ordering::Relaxed) {
            // Once per process: a method that returns such a rate returns it
            // for every request, and a log line per download would flood
            // the log.
            log::warn!(
                "downloadview: limit_rate {rate} B/s is under the lowest rate, {MIN_RATE} B/s: \
                 using {MIN_RATE} (logged once; later rates under it are raised silently)"
            );
        }
        Some(Rate {
            rate: rate.max(MIN_RATE),
            after,
        })
    }

    /// How long to wait before more bytes go, `elapsed` after the response
    /// started and `sent` bytes in: `None` when the download is not ahead
    /// of its schedule.
    pub(crate) fn wait(&self, sent: u64, elapsed: Duration) -> Option<Duration> {
        let paced = u128::from(sent.saturating_sub(self.after));
        // When the paced bytes are due, in nanoseconds (u128: no overflow
        // for any u64 of bytes).
        let due = paced * 1_000_000_000 / u128::from(self.rate);
        let due = Duration::from_nanos(u64::try_from(due).unwrap_or(u64::MAX));
        due.checked_sub(elapsed).filter(|wait| !wait.is_zero())
    }

    /// The most bytes handed over at once while paced: an eighth of a
    /// second's worth (from 1 KiB to 64 KiB), so that the pace is smooth
    /// and a slow rate does not send a whole chunk and then nothing.
    pub(crate) fn slice(&self) -> usize {
        usize::try_from(self.rate / 8)
            .unwrap_or(usize::MAX)
            .clamp(1024, 64 * 1024)
    }
}

/// The pacing of one body: its limit, when it started, the timer it waits
/// on, and the rest of a chunk handed over in slices.
pub(crate) struct Pacer {
    rate: Rate,
    started: Instant,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    /// The part of a chunk not handed over yet.
    pub(crate) rest: Option<Bytes>,
    /// No timer here (not in a runtime with one): the limit is not applied.
    no_timer: bool,
}

impl Pacer {
    /// Paces from now on.
    pub(crate) fn new(rate: Rate) -> Pacer {
        Pacer {
            rate,
            started: Instant::now(),
            sleep: None,
            rest: None,
            no_timer: false,
        }
    }

    /// Ready when bytes may go after `sent`; else the body waits on the
    /// timer (its waker registered).
    pub(crate) fn poll_ready(&mut self, sent: u64, cx: &mut Context<'_>) -> Poll<()> {
        if self.no_timer {
            return Poll::Ready(());
        }
        loop {
            if let Some(sleep) = &mut self.sleep {
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.sleep = None;
            }
            let Some(wait) = self.rate.wait(sent, self.started.elapsed()) else {
                return Poll::Ready(());
            };
            // A runtime without its time driver cannot sleep (tokio panics).
            let deadline = tokio::time::Instant::now() + wait;
            match catch_unwind(AssertUnwindSafe(|| tokio::time::sleep_until(deadline))) {
                Ok(sleep) => self.sleep = Some(Box::pin(sleep)),
                Err(_) => {
                    log::warn!("downloadview: no timer on this thread: limit_rate is not applied");
                    self.no_timer = true;
                    return Poll::Ready(());
                }
            }
        }
    }

    /// The slice of `chunk` to hand over now; the rest is kept for the next
    /// poll.
    pub(crate) fn take(&mut self, mut chunk: Bytes) -> Bytes {
        let slice = self.rate.slice();
        if chunk.len() > slice {
            self.rest = Some(chunk.split_off(slice));
        }
        chunk
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn nginx_semantics() {
        assert_eq!(Rate::new(0, 100), None, "0: no limit");
        let rate = Rate::new(1000 * 1024, 500 * 1024).unwrap();
        // The first 500 KiB go at full speed.
        assert_eq!(rate.wait(500 * 1024, Duration::ZERO), None);
        // 100 KiB past them are due 0.1 s after the start.
        let wait = rate.wait(600 * 1024, Duration::from_millis(40)).unwrap();
        assert_eq!(wait, Duration::from_millis(60));
        // A download behind its schedule (the free bytes took long) goes on.
        assert_eq!(rate.wait(600 * 1024, Duration::from_millis(200)), None);
    }

    #[test]
    fn a_rate_under_the_floor_is_raised_and_slices_follow_the_rate() {
        let slow = Rate::new(10, 0).unwrap();
        assert_eq!(slow, Rate::new(MIN_RATE, 0).unwrap());
        assert_eq!(slow.slice(), 1024);
        assert_eq!(Rate::new(4 << 20, 0).unwrap().slice(), 64 * 1024);
        assert_eq!(Rate::new(80 * 1024, 0).unwrap().slice(), 10 * 1024);
    }

    proptest! {
        /// Waiting as told, then sending, never runs ahead of the rate:
        /// bytes past `after` never exceed `rate` per second since the start
        /// (plus the one slice that may go at the due time).
        #[test]
        fn never_ahead_of_the_rate(
            rate in 1024u64..10_000_000,
            after in 0u64..1_000_000,
            chunks in proptest::collection::vec(1u64..200_000, 1..50),
        ) {
            let limit = Rate::new(rate, after).unwrap();
            let mut now = Duration::ZERO;
            let mut sent = 0u64;
            for chunk in chunks {
                if let Some(wait) = limit.wait(sent, now) {
                    now += wait;
                }
                let paced = sent.saturating_sub(after);
                // What may have gone by `now`: rate x now, give or take a
                // nanosecond of rounding.
                let allowed = u128::from(rate) * now.as_nanos() / 1_000_000_000 + 1;
                prop_assert!(u128::from(paced) <= allowed, "{} > {}", paced, allowed);
                sent += chunk;
            }
        }
    }
}
