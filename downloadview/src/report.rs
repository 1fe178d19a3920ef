//! What happened to each download: its [`Outcome`], with bytes and times, in a
//! [`DownloadReport`] handed once per response to
//! [`GetFile::on_download`](crate::GetFile::on_download).
//!
//! Reports are delivered on a dedicated reporter thread, never on an actix
//! worker: a slow or panicking hook cannot slow or break a download. Hooks run
//! one at a time, in the order the downloads ended; a hook with slow work to do
//! should hand it on (to a channel, a runtime, a pool).

use std::{
    borrow::Cow,
    collections::VecDeque,
    fmt,
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{Condvar, Mutex, MutexGuard, OnceLock},
    thread,
    time::Duration,
};

use actix_web::http::{Method, StatusCode, Uri};

use crate::body::track::{Ending, Tracker};

/// How a response ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// Every byte of the body was handed to the connection, or the response
    /// had no body by design (HEAD, 304, 412, 416, 404, …).
    Completed,
    /// The client disconnected, or the connection was dropped, before the body ended.
    ClientGone,
    /// The body source failed, panicked, or yielded more or fewer bytes than
    /// its declared size; the response was aborted.
    SourceFailed,
}

impl Outcome {
    /// The outcome as written in log lines: `completed`, `client_gone`, `source_failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::ClientGone => "client_gone",
            Outcome::SourceFailed => "source_failed",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One range of a 206 answer, and how much of it was handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RangeReport {
    /// Offset of the range's first byte in the file.
    pub start: u64,
    /// Length of the range in bytes.
    pub len: u64,
    /// Bytes of this range handed to the connection.
    pub bytes: u64,
}

/// What happened to one download, for accounting, auditing and alerting.
///
/// Its `Display` is the one-line, grep-able form the default
/// [`on_download`](crate::GetFile::on_download) logs, with every free-text
/// value escaped so that no name or path can forge or break a line:
///
/// ```text
/// download method=GET path=/big/ status=200 outcome=client_gone bytes=1048576 size=67108864 ttfb_ms=0.2 ms=12.5 basename=big.bin
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadReport {
    /// How the response ended.
    pub outcome: Outcome,
    /// The request method.
    pub method: Method,
    /// The request URI (its path is [`path`](Self::path)); kept as the
    /// request's own reference-counted `Uri`, not copied.
    uri: Uri,
    /// The response status.
    pub status: StatusCode,
    /// The served name; a static basename stays borrowed.
    basename: Option<Cow<'static, str>>,
    /// Bytes of the body handed to the connection (the whole body of a
    /// multipart answer, part headers included).
    pub bytes: u64,
    /// The file's declared size, when known.
    pub size: Option<u64>,
    /// The ranges of a 206 answer and the bytes of each handed over; empty otherwise.
    pub ranges: Vec<RangeReport>,
    /// Time from the start of the response to its first body byte, when one was sent.
    pub ttfb: Option<Duration>,
    /// Time from the start of the response to its end.
    pub duration: Duration,
    /// Why the source failed, for [`Outcome::SourceFailed`].
    pub error: Option<String>,
}

impl DownloadReport {
    /// The request path.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The file name sent in `Content-Disposition`, if any.
    pub fn basename(&self) -> Option<&str> {
        self.basename.as_deref()
    }

    /// Logs the report through the `log` facade, target `downloadview::download`:
    /// `info` when completed, `warn` when the client went away, `error` when the
    /// source failed. What the default `on_download` does.
    pub fn log(&self) {
        let level = match self.outcome {
            Outcome::Completed => log::Level::Info,
            Outcome::ClientGone => log::Level::Warn,
            Outcome::SourceFailed => log::Level::Error,
        };
        log::log!(target: "downloadview::download", level, "{self}");
    }
}

impl fmt::Display for DownloadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written piece by piece with integer formatting only: this runs once
        // per download, on the reporter thread, and should cost little.
        f.write_str("download method=")?;
        f.write_str(&value(self.method.as_str()))?;
        f.write_str(" path=")?;
        f.write_str(&value(self.path()))?;
        write!(f, " status={} outcome=", self.status.as_u16())?;
        f.write_str(self.outcome.as_str())?;
        write!(f, " bytes={} size=", self.bytes)?;
        match self.size {
            Some(size) => write!(f, "{size}")?,
            None => f.write_str("-")?,
        }
        f.write_str(" ttfb_ms=")?;
        match self.ttfb {
            Some(ttfb) => millis(f, ttfb)?,
            None => f.write_str("-")?,
        }
        f.write_str(" ms=")?;
        millis(f, self.duration)?;
        if let Some(name) = &self.basename {
            f.write_str(" basename=")?;
            f.write_str(&value(name))?;
        }
        if !self.ranges.is_empty() {
            f.write_str(" ranges=")?;
            for (i, r) in self.ranges.iter().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                let last = (r.start + r.len).saturating_sub(1);
                write!(f, "{sep}{}-{last}:{}", r.start, r.bytes)?;
            }
        }
        if let Some(error) = &self.error {
            f.write_str(" error=")?;
            f.write_str(&value(error))?;
        }
        Ok(())
    }
}

/// `d` in milliseconds with one decimal, rounded to the nearest tenth.
fn millis(f: &mut fmt::Formatter<'_>, d: Duration) -> fmt::Result {
    let tenths = (d.as_micros() + 50) / 100;
    write!(f, "{}.{}", tenths / 10, tenths % 10)
}

/// A free-text value: bare when it is plain printable ASCII without quotes,
/// backslashes or spaces; otherwise quoted, with every control, quote,
/// backslash and non-printable character escaped. Always one line.
fn value(text: &str) -> Cow<'_, str> {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
    if plain {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("{text:?}"))
    }
}

// ------------------------------------------------------------------ delivery

/// The hook that receives a report (the view's `on_download`).
pub(crate) type Hook = Box<dyn FnOnce(&DownloadReport) + Send + 'static>;

/// The report of a tracked response, put together on the reporter thread.
fn into_report(tracker: Tracker, end: Ending) -> (DownloadReport, Hook) {
    let Tracker {
        started,
        method,
        uri,
        status,
        basename,
        size,
        ranges,
        first_byte,
        hook,
    } = tracker;
    let Ending {
        outcome,
        bytes,
        error,
        duration,
    } = end;
    let report = DownloadReport {
        outcome,
        method,
        uri,
        status,
        basename,
        bytes,
        size,
        ranges: ranges
            .iter()
            .map(|r| RangeReport {
                start: r.start,
                len: r.len,
                bytes: bytes.saturating_sub(r.body_offset).min(r.len),
            })
            .collect(),
        // Bytes handed over with no first-byte time noted went in one piece,
        // at the end.
        ttfb: first_byte
            .map(|t| t.duration_since(started))
            .or((bytes > 0).then_some(duration)),
        duration,
        error,
    };
    (report, hook)
}

/// A report on its way to its hook.
type Job = (Box<Tracker>, Ending);

/// Reports waiting beyond this many are dropped (with a warning) rather than
/// growing memory without bound behind a hook that cannot keep up.
const MAX_QUEUED: usize = 100_000;

/// How long the reporter polls an empty queue before it parks; while it is
/// awake, delivering a report costs the worker a lock and a push, no wake-up.
const IDLE_POLLS: u32 = 2;
const IDLE_POLL: Duration = Duration::from_millis(2);

struct Reporter {
    state: Mutex<Queue>,
    ready: Condvar,
}

struct Queue {
    jobs: VecDeque<Job>,
    parked: bool,
    dropped: u64,
}

impl Reporter {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Jobs run outside the lock, so a poisoned lock only means a panic
        // between two plain pushes/pops: the queue is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn reporter() -> &'static Reporter {
    static REPORTER: OnceLock<&'static Reporter> = OnceLock::new();
    REPORTER.get_or_init(|| {
        let reporter: &'static Reporter = Box::leak(Box::new(Reporter {
            state: Mutex::new(Queue {
                jobs: VecDeque::new(),
                parked: false,
                dropped: 0,
            }),
            ready: Condvar::new(),
        }));
        let spawned = thread::Builder::new()
            .name("downloadview-reporter".into())
            .spawn(move || run(reporter));
        if let Err(err) = spawned {
            log::error!("downloadview: cannot start the reporter thread ({err}); downloads will not be reported");
        }
        reporter
    })
}

/// Queues a report for the reporter thread. Never blocks on the hook.
pub(crate) fn dispatch(tracker: Box<Tracker>, end: Ending) {
    let job = (tracker, end);
    let reporter = reporter();
    let mut queue = reporter.lock();
    if queue.jobs.len() >= MAX_QUEUED {
        queue.dropped += 1;
        if queue.dropped.is_power_of_two() {
            log::warn!(
                "downloadview: {} download reports dropped: the on_download hook cannot keep up",
                queue.dropped
            );
        }
        return;
    }
    queue.jobs.push_back(job);
    if queue.parked {
        queue.parked = false;
        drop(queue);
        reporter.ready.notify_one();
    }
}

fn run(reporter: &'static Reporter) {
    let mut idle = 0;
    loop {
        let batch = {
            let mut queue = reporter.lock();
            if queue.jobs.is_empty() {
                if idle < IDLE_POLLS {
                    idle += 1;
                    drop(queue);
                    thread::sleep(IDLE_POLL);
                    continue;
                }
                queue.parked = true;
                while queue.parked {
                    queue = reporter
                        .ready
                        .wait(queue)
                        .unwrap_or_else(|p| p.into_inner());
                }
            }
            std::mem::take(&mut queue.jobs)
        };
        idle = 0;
        for (tracker, end) in batch {
            let deliver = move || {
                let (report, hook) = into_report(*tracker, end);
                hook(&report);
            };
            if catch_unwind(AssertUnwindSafe(deliver)).is_err() {
                log::error!("downloadview: an on_download hook panicked; the report is lost, serving goes on");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A tracked GET of `/t/` whose report goes to `hook`.
    fn job(hook: Hook) -> (Box<Tracker>, Ending) {
        let tracker = Tracker {
            started: std::time::Instant::now(),
            method: Method::GET,
            uri: Uri::from_static("/t/"),
            status: StatusCode::OK,
            basename: None,
            size: None,
            ranges: Vec::new(),
            first_byte: None,
            hook,
        };
        let end = Ending {
            outcome: Outcome::Completed,
            bytes: 0,
            error: None,
            duration: Duration::ZERO,
        };
        (Box::new(tracker), end)
    }

    fn report() -> DownloadReport {
        DownloadReport {
            outcome: Outcome::ClientGone,
            method: Method::GET,
            uri: Uri::from_static("/big/"),
            status: StatusCode::OK,
            basename: Some(Cow::Borrowed("big.bin")),
            bytes: 1_048_576,
            size: Some(67_108_864),
            ranges: Vec::new(),
            ttfb: Some(Duration::from_micros(200)),
            duration: Duration::from_micros(12_500),
            error: None,
        }
    }

    #[test]
    fn line_format_is_stable() {
        assert_eq!(
            report().to_string(),
            "download method=GET path=/big/ status=200 outcome=client_gone bytes=1048576 size=67108864 ttfb_ms=0.2 ms=12.5 basename=big.bin"
        );
        let mut r = report();
        r.outcome = Outcome::SourceFailed;
        r.size = None;
        r.ttfb = None;
        r.basename = None;
        r.status = StatusCode::PARTIAL_CONTENT;
        r.ranges = vec![
            RangeReport {
                start: 0,
                len: 100,
                bytes: 100,
            },
            RangeReport {
                start: 200,
                len: 50,
                bytes: 7,
            },
        ];
        r.error = Some("disk \"on fire\"".into());
        assert_eq!(
            r.to_string(),
            r#"download method=GET path=/big/ status=206 outcome=source_failed bytes=1048576 size=- ttfb_ms=- ms=12.5 ranges=0-99:100,200-249:7 error="disk \"on fire\"""#
        );
    }

    #[test]
    fn free_text_cannot_forge_a_line() {
        let mut r = report();
        r.basename = Some(Cow::Owned(String::from(
            "a\r\ndownload method=GET outcome=completed\u{85}\u{2028}\x1b[31m",
        )));
        r.uri = Uri::from_static("/named/x%20y%22z%5C");
        let line = r.to_string();
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
        assert!(!line.contains('\u{2028}'), "{line:?}");
        assert!(line.contains(" path=/named/x%20y%22z%5C "), "{line}");
        assert_eq!(value("x y\"z\\"), r#""x y\"z\\""#);
        assert_eq!(value(""), "\"\"");
    }

    #[test]
    fn a_panicking_hook_does_not_stop_delivery() {
        let (tx, rx) = mpsc::channel();
        let (tracker, end) = job(Box::new(|_| panic!("hook exploded")));
        dispatch(tracker, end);
        let (tracker, end) = job(Box::new(move |r| tx.send(r.path().to_owned()).unwrap()));
        dispatch(tracker, end);
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)),
            Ok("/t/".to_owned())
        );
    }

    #[test]
    fn the_reporter_wakes_after_parking() {
        let (tx, rx) = mpsc::channel();
        let (tracker, end) = job(Box::new(|_| {}));
        dispatch(tracker, end);
        thread::sleep(IDLE_POLL * (IDLE_POLLS + 20)); // long enough to park
        let start = std::time::Instant::now();
        let (tracker, end) = job(Box::new(move |_| tx.send(()).unwrap()));
        dispatch(tracker, end);
        rx.recv_timeout(Duration::from_secs(5))
            .expect("delivered after parking");
        assert!(start.elapsed() < Duration::from_secs(1));
    }
}
