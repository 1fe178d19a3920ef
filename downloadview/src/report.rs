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
    cell::RefCell,
    collections::VecDeque,
    fmt,
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{Condvar, Mutex, MutexGuard, OnceLock},
    thread,
    time::Duration,
};

use actix_web::http::{Method, StatusCode};

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
    /// The request path (see [`path`](Self::path)).
    path: RequestPath,
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
        self.path.as_str()
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
        // This runs once per download, on the reporter thread, and should
        // cost little: the line is put together in a buffer the thread keeps,
        // integers without `write!`, and reaches the formatter in one
        // `write_str` (each one is a dynamic call into the logger's writer).
        thread_local! {
            static LINE: RefCell<String> = RefCell::new(String::with_capacity(256));
        }
        LINE.with(|line| match line.try_borrow_mut() {
            Ok(mut line) => {
                line.clear();
                self.write_line(&mut line);
                let written = f.write_str(&line);
                line.shrink_to(4096);
                written
            }
            // Only if formatting a report formats a report on this thread.
            Err(_) => {
                let mut line = String::new();
                self.write_line(&mut line);
                f.write_str(&line)
            }
        })
    }
}

impl DownloadReport {
    fn write_line(&self, line: &mut String) {
        line.push_str("download method=");
        line.push_str(&value(self.method.as_str()));
        line.push_str(" path=");
        line.push_str(&value(self.path()));
        line.push_str(" status=");
        uint(line, self.status.as_u16().into());
        line.push_str(" outcome=");
        line.push_str(self.outcome.as_str());
        line.push_str(" bytes=");
        uint(line, self.bytes);
        line.push_str(" size=");
        match self.size {
            Some(size) => uint(line, size),
            None => line.push('-'),
        }
        line.push_str(" ttfb_ms=");
        match self.ttfb {
            Some(ttfb) => millis(line, ttfb),
            None => line.push('-'),
        }
        line.push_str(" ms=");
        millis(line, self.duration);
        if let Some(name) = &self.basename {
            line.push_str(" basename=");
            line.push_str(&value(name));
        }
        if !self.ranges.is_empty() {
            line.push_str(" ranges=");
            for (i, r) in self.ranges.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                uint(line, r.start);
                line.push('-');
                uint(line, (r.start + r.len).saturating_sub(1));
                line.push(':');
                uint(line, r.bytes);
            }
        }
        if let Some(error) = &self.error {
            line.push_str(" error=");
            line.push_str(&value(error));
        }
    }
}

/// Appends `n` in decimal.
fn uint(line: &mut String, mut n: u64) {
    if n < 10 {
        // Most durations of a small download are 0.0 ms.
        line.push(char::from(b'0' + n as u8));
        return;
    }
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    line.extend(digits[start..].iter().map(|&d| char::from(d)));
}

/// Appends `d` in milliseconds with one decimal, rounded to the nearest tenth.
fn millis(line: &mut String, d: Duration) {
    // In u64 (585,000 years of microseconds): a u128 division is a libcall.
    let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    let tenths = micros.saturating_add(50) / 100;
    uint(line, tenths / 10);
    line.push('.');
    uint(line, tenths % 10);
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

/// A copy of the request path, made on the worker: inline when it is short
/// (no allocation, and nothing of the request's stays alive or is freed by
/// the reporter thread), on the heap otherwise.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum RequestPath {
    /// A path of at most [`INLINE_PATH`] bytes.
    Inline {
        len: u8,
        bytes: [u8; INLINE_PATH],
    },
    Heap(Box<str>),
}

/// Paths up to this long are kept inline.
const INLINE_PATH: usize = 62;

impl RequestPath {
    pub(crate) fn new(path: &str) -> Self {
        match u8::try_from(path.len()) {
            Ok(len) if path.len() <= INLINE_PATH => {
                let mut bytes = [0; INLINE_PATH];
                bytes[..path.len()].copy_from_slice(path.as_bytes());
                RequestPath::Inline { len, bytes }
            }
            _ => RequestPath::Heap(path.into()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // A whole `str` was copied in: always UTF-8.
            RequestPath::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            RequestPath::Heap(path) => path,
        }
    }
}

impl fmt::Debug for RequestPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// The hook that receives a report (the view's `on_download`).
pub(crate) type Hook = Box<dyn FnOnce(&DownloadReport) + Send + 'static>;

/// The report of a tracked response, put together on the reporter thread.
fn into_report(tracker: Tracker, end: Ending) -> (DownloadReport, Hook) {
    let Tracker {
        started,
        method,
        path,
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
        path,
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
type Job = (Tracker, Ending);

/// Reports waiting beyond this many are dropped (with a warning) rather than
/// growing memory without bound behind a hook that cannot keep up.
const MAX_QUEUED: usize = 100_000;

/// How long the reporter polls an empty queue before it parks; while it is
/// awake, delivering a report costs the worker a lock and a push, no wake-up.
const IDLE_POLLS: u32 = 2;
const IDLE_POLL: Duration = Duration::from_millis(5);

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
pub(crate) fn dispatch(tracker: Tracker, end: Ending) {
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

/// Most jobs whose storage the reporter keeps between batches.
const KEEP_CAPACITY: usize = 4096;

fn run(reporter: &'static Reporter) {
    let mut idle = 0;
    // The two queues take turns: the workers fill one while the reporter
    // empties the other, so that in a steady state queueing a report
    // allocates nothing, and no memory moves between threads.
    let mut batch: VecDeque<Job> = VecDeque::new();
    loop {
        {
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
            std::mem::swap(&mut queue.jobs, &mut batch);
        }
        idle = 0;
        for (tracker, end) in batch.drain(..) {
            let deliver = move || {
                let (report, hook) = into_report(tracker, end);
                hook(&report);
            };
            if catch_unwind(AssertUnwindSafe(deliver)).is_err() {
                log::error!("downloadview: an on_download hook panicked; the report is lost, serving goes on");
            }
        }
        batch.shrink_to(KEEP_CAPACITY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A tracked GET of `/t/` whose report goes to `hook`.
    fn job(hook: Hook) -> (Tracker, Ending) {
        let tracker = Tracker {
            started: std::time::Instant::now(),
            method: Method::GET,
            path: RequestPath::new("/t/"),
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
        (tracker, end)
    }

    fn report() -> DownloadReport {
        DownloadReport {
            outcome: Outcome::ClientGone,
            method: Method::GET,
            path: RequestPath::new("/big/"),
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
    fn numbers_are_written_in_full_and_durations_rounded_to_a_tenth() {
        let number = |n: u64| {
            let mut line = String::new();
            uint(&mut line, n);
            line
        };
        let ms = |d: Duration| {
            let mut line = String::new();
            millis(&mut line, d);
            line
        };
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            65_535,
            1 << 40,
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(number(n), n.to_string());
        }
        let us = Duration::from_micros;
        assert_eq!(ms(Duration::ZERO), "0.0");
        assert_eq!(ms(us(49)), "0.0");
        assert_eq!(ms(us(50)), "0.1");
        assert_eq!(ms(us(149)), "0.1");
        assert_eq!(ms(us(1_950)), "2.0");
        assert_eq!(ms(Duration::from_secs(90_061)), "90061000.0");
        // Absurd durations saturate instead of wrapping.
        assert_eq!(ms(Duration::MAX), "18446744073709551.6");
    }

    #[test]
    fn a_long_line_is_written_whole() {
        let mut r = report();
        let long = "é".repeat(300) + "\n" + &"x".repeat(200);
        r.basename = Some(Cow::Owned(long.clone()));
        r.error = Some("y".repeat(1000));
        let line = r.to_string();
        assert!(
            line.starts_with("download method=GET path=/big/ status=200 "),
            "{line}"
        );
        assert!(
            line.contains(&format!(" basename={}", value(&long))),
            "{line}"
        );
        assert!(
            line.ends_with(&format!(" error={}", "y".repeat(1000))),
            "{line}"
        );
    }

    #[test]
    fn request_paths_are_kept_whole_inline_or_not() {
        for len in [0, 1, INLINE_PATH - 1, INLINE_PATH, INLINE_PATH + 1, 300] {
            let path = "/".to_owned() + &"é".repeat(len / 2) + &"x".repeat(len % 2);
            let copy = RequestPath::new(&path);
            assert_eq!(copy.as_str(), path);
            assert_eq!(
                matches!(copy, RequestPath::Inline { .. }),
                path.len() <= INLINE_PATH
            );
            assert_eq!(format!("{copy:?}"), format!("{path:?}"));
        }
    }

    #[test]
    fn free_text_cannot_forge_a_line() {
        let mut r = report();
        r.basename = Some(Cow::Owned(String::from(
            "a\r\ndownload method=GET outcome=completed\u{85}\u{2028}\x1b[31m",
        )));
        r.path = RequestPath::new("/named/x%20y%22z%5C");
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
