//! What tests watch besides the wire: whether a source is still alive, a
//! condition that must come to hold in time, the process's thread count, and
//! a report that says `send_timeout` abandoned its download.

use std::{thread, time::Duration};

/// Counts live instances of a test's source: its `Drop` ran once the count
/// goes down.
#[derive(Debug)]
pub struct Live(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Live {
    pub fn new(count: &std::sync::Arc<std::sync::atomic::AtomicUsize>) -> Self {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Live(std::sync::Arc::clone(count))
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Waits until `check` holds, for at most `within`; whether it held.
pub fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < within {
        if check() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    check()
}

/// The number of threads of this process.
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|dir| dir.count())
        .expect("/proc/self/task")
}

/// Asserts that `report` says its download was abandoned by `send_timeout`.
pub fn assert_timed_out(report: &downloadview::DownloadReport, what: &str) {
    assert_eq!(
        report.outcome,
        downloadview::Outcome::ClientGone,
        "{what}: {report}"
    );
    assert!(
        report
            .error
            .as_deref()
            .is_some_and(|e| e.contains("send_timeout")),
        "{what}: {report}"
    );
}
