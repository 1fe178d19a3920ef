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

/// The threads of this process whose name starts with `prefix` (names are
/// cut at 15 bytes).
pub fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with(prefix))
        .count()
}

/// Asserts that `report` says its download was abandoned by `send_timeout`.
pub fn assert_timed_out(report: &downloadview::DownloadReport, what: &str) {
    assert_abandoned(report, "send_timeout", what);
}

/// Asserts that `report` says its download was abandoned (`ClientGone`) for
/// the reason `why` names.
pub fn assert_abandoned(report: &downloadview::DownloadReport, why: &str, what: &str) {
    assert_eq!(
        report.outcome,
        downloadview::Outcome::ClientGone,
        "{what}: {report}"
    );
    assert!(
        report.error.as_deref().is_some_and(|e| e.contains(why)),
        "{what}: {report}"
    );
}
