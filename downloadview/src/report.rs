//! What happened to each download: its [`Outcome`], with bytes and times, in a
//! [`DownloadReport`] handed once per response to
//! [`GetFile::on_download`](crate::GetFile::on_download).
//!
//! Reports are delivered on a dedicated reporter thread, never on an actix
//! worker: a slow or panicking hook cannot slow or break a download. Hooks run
//! one at a time; the downloads of one worker thread are reported in the order
//! they ended. A hook with slow work to do should hand it on (to a channel, a
//! runtime, a pool). While downloads keep ending, the reporter delivers what
//! has gathered every 20 ms; after a quiet spell it parks, and the next report
//! wakes it at once.

use std::{
    borrow::Cow,
    cell::{OnceCell, RefCell},
    fmt,
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Condvar, Mutex, MutexGuard, OnceLock,
    },
    thread,
    time::Duration,
};

use actix_web::http::{Method, StatusCode};

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
        // cost little: the line is put together as bytes in a buffer the
        // thread keeps (integers without `write!`, no UTF-8 encoding per
        // character), checked as UTF-8 once, and reaches the formatter in one
        // `write_str` (each one is a dynamic call into the logger's writer).
        thread_local! {
            static LINE: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(256));
        }
        LINE.with(|line| match line.try_borrow_mut() {
            Ok(mut line) => {
                line.clear();
                self.write_line(&mut Line(&mut line));
                let written = write_utf8(f, &line);
                line.shrink_to(4096);
                written
            }
            // Only if formatting a report formats a report on this thread.
            Err(_) => {
                let mut line = Vec::new();
                self.write_line(&mut Line(&mut line));
                write_utf8(f, &line)
            }
        })
    }
}

/// Writes a line made only of whole `str`s and ASCII: always UTF-8.
fn write_utf8(f: &mut fmt::Formatter<'_>, line: &[u8]) -> fmt::Result {
    match std::str::from_utf8(line) {
        Ok(text) => f.write_str(text),
        Err(_) => f.write_str(&String::from_utf8_lossy(line)),
    }
}

/// A log line being written, as bytes.
struct Line<'a>(&'a mut Vec<u8>);

impl Line<'_> {
    fn text(&mut self, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
    }

    fn byte(&mut self, byte: u8) {
        self.0.push(byte);
    }

    /// `n` in decimal.
    fn uint(&mut self, mut n: u64) {
        if n < 10 {
            // Most durations of a small download are 0.0 ms.
            self.0.push(b'0' + n as u8);
            return;
        }
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        while n > 0 {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        self.0.extend_from_slice(&digits[start..]);
    }

    /// `d` in milliseconds with one decimal, rounded to the nearest tenth.
    fn millis(&mut self, d: Duration) {
        // In u64 (585,000 years of microseconds): a u128 division is a libcall.
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let tenths = micros.saturating_add(50) / 100;
        self.uint(tenths / 10);
        self.byte(b'.');
        self.uint(tenths % 10);
    }

    /// A free-text value (see [`value`]).
    fn value(&mut self, text: &str) {
        self.text(&value(text));
    }
}

impl DownloadReport {
    fn write_line(&self, line: &mut Line<'_>) {
        line.text("download method=");
        line.value(self.method.as_str());
        line.text(" path=");
        line.value(self.path());
        line.text(" status=");
        line.uint(self.status.as_u16().into());
        line.text(" outcome=");
        line.text(self.outcome.as_str());
        line.text(" bytes=");
        line.uint(self.bytes);
        line.text(" size=");
        match self.size {
            Some(size) => line.uint(size),
            None => line.byte(b'-'),
        }
        line.text(" ttfb_ms=");
        match self.ttfb {
            Some(ttfb) => line.millis(ttfb),
            None => line.byte(b'-'),
        }
        line.text(" ms=");
        line.millis(self.duration);
        if let Some(name) = &self.basename {
            line.text(" basename=");
            line.value(name);
        }
        if !self.ranges.is_empty() {
            line.text(" ranges=");
            for (i, r) in self.ranges.iter().enumerate() {
                if i > 0 {
                    line.byte(b',');
                }
                line.uint(r.start);
                line.byte(b'-');
                line.uint((r.start + r.len).saturating_sub(1));
                line.byte(b':');
                line.uint(r.bytes);
            }
        }
        if let Some(error) = &self.error {
            line.text(" error=");
            line.value(error);
        }
    }
}

/// The bytes a value may hold without being quoted: printable ASCII but
/// `"` and `\\` (a table: one load per byte, on every path and name logged).
const PLAIN: [bool; 256] = {
    let mut plain = [false; 256];
    let mut b = 0;
    while b < 256 {
        plain[b] = (b as u8).is_ascii_graphic() && b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    plain
};

/// A free-text value: bare when it is plain printable ASCII without quotes,
/// backslashes or spaces; otherwise quoted, with every control, quote,
/// backslash and non-printable character escaped. Always one line.
fn value(text: &str) -> Cow<'_, str> {
    let plain = !text.is_empty() && text.bytes().all(|b| PLAIN[usize::from(b)]);
    if plain {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("{text:?}"))
    }
}

// ------------------------------------------------------------------ delivery

/// The request path of a report, copied out of the queue's text buffer on the
/// reporter thread: inline when it is short (no allocation per report), on
/// the heap otherwise.
#[derive(Clone, PartialEq, Eq)]
enum RequestPath {
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
    fn new(path: &str) -> Self {
        match u8::try_from(path.len()) {
            Ok(len) if path.len() <= INLINE_PATH => {
                let mut bytes = [0; INLINE_PATH];
                bytes[..path.len()].copy_from_slice(path.as_bytes());
                RequestPath::Inline { len, bytes }
            }
            _ => RequestPath::Heap(path.into()),
        }
    }

    fn as_str(&self) -> &str {
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

/// The request method of a queued report: GET and HEAD, nearly every
/// download, without a copy; any other is kept in [`Rare`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Get,
    Head,
    Other,
}

/// What only some reports have, boxed so that the common job stays small.
pub(crate) struct Rare {
    /// The method, when it is neither GET nor HEAD.
    pub(crate) method: Option<Method>,
    pub(crate) ranges: Vec<RangeReport>,
    pub(crate) error: Option<String>,
}

/// An ended response's report, waiting in the queue for the reporter
/// thread: the [`DownloadReport`] in compact form (120 bytes, its path in
/// the queue's text buffer), put together only there.
pub(crate) struct Job {
    pub(crate) hook: Hook,
    pub(crate) basename: Option<Cow<'static, str>>,
    pub(crate) size: Option<u64>,
    pub(crate) bytes: u64,
    pub(crate) ttfb: Option<Duration>,
    pub(crate) duration: Duration,
    /// Where the request path sits in the `paths` of the reports holding the
    /// job (set when it is pushed).
    pub(crate) path: (u32, u32),
    pub(crate) status: StatusCode,
    pub(crate) outcome: Outcome,
    pub(crate) verb: Verb,
    pub(crate) rare: Option<Box<Rare>>,
}

impl Job {
    /// The report, and the hook it goes to.
    fn into_report(self, path: &str) -> (DownloadReport, Hook) {
        let (method, ranges, error) = match self.rare {
            Some(rare) => {
                let Rare {
                    method,
                    ranges,
                    error,
                } = *rare;
                (method, ranges, error)
            }
            None => (None, Vec::new(), None),
        };
        let method = match self.verb {
            Verb::Get => Method::GET,
            Verb::Head => Method::HEAD,
            Verb::Other => method.unwrap_or_default(),
        };
        let report = DownloadReport {
            outcome: self.outcome,
            method,
            path: RequestPath::new(path),
            status: self.status,
            basename: self.basename,
            bytes: self.bytes,
            size: self.size,
            ranges,
            ttfb: self.ttfb,
            duration: self.duration,
            error,
        };
        (report, self.hook)
    }
}

/// Reports waiting beyond this many, or whose paths would take more than
/// [`MAX_QUEUED_PATH_BYTES`], are dropped (with a warning) rather than growing
/// memory without bound behind a hook that cannot keep up.
const MAX_QUEUED: usize = 100_000;
const MAX_QUEUED_PATH_BYTES: usize = 16 << 20;

/// Each thread gathers the reports of the responses it ends in a small
/// buffer of its own, and moves them to the shared queue once the buffer
/// holds this many reports or path bytes; the reporter also collects what the
/// buffers hold each time it takes the queue.
///
/// A worker then queues a report with a lock nobody else holds (but the
/// reporter, once per batch) and a push into memory it has just used. Pushing
/// each report into the shared queue instead cost the worker several times
/// as much on a busy server (measured in `bench/`): the lock's release waited
/// for the report's stores into queue memory gone cold since the reporter
/// last emptied it.
const STAGED: usize = 64;
const STAGED_PATH_BYTES: usize = 4096;

/// While awake, the reporter takes the queued reports once per this
/// interval (and sleeps in between), and it parks after finding nothing to
/// deliver [`IDLE_POLLS`] times in a row.
///
/// Each wake-up of the reporter costs the process more than the reports it
/// then delivers (measured in `bench/`: at 160,000 downloads a second on one
/// core, a 5 ms cadence served 2 % fewer than 20 ms; 50 ms was no better).
/// On a multi-core machine it keeps the reporter from taking reports one at a
/// time, its locks bouncing between cores. 20 ms is also well under what a
/// log reader or a metrics scrape can tell.
const BATCH_EVERY: Duration = Duration::from_millis(20);
const IDLE_POLLS: u32 = 2;

/// Most jobs (about 2 MB), and path bytes, whose storage the reporter keeps
/// between batches: a batch is 20 ms of downloads.
const KEEP_CAPACITY: usize = 16_384;
const KEEP_PATH_BYTES: usize = 1 << 20;

struct Reporter {
    queue: Mutex<Queue>,
    /// The buffer of every thread that has ended a response, for the reporter
    /// to collect; a buffer whose thread has exited is collected once more
    /// and forgotten.
    stages: Mutex<Vec<Arc<Mutex<Reports>>>>,
    /// Set by the reporter before its last look for reports ahead of parking;
    /// whoever clears it wakes the reporter.
    parked: AtomicBool,
    ready: Condvar,
}

struct Queue {
    reports: Reports,
    dropped: u64,
}

impl Queue {
    /// Counts `n` reports dropped, with a warning each time the count
    /// reaches another power of two.
    fn turn_away(&mut self, n: usize) {
        let before = self.dropped;
        self.dropped += n as u64;
        if before.leading_zeros() != self.dropped.leading_zeros() {
            log::warn!(
                "downloadview: {} download reports dropped: the on_download hook cannot keep up",
                self.dropped
            );
        }
    }
}

/// Reports, with their request paths one after the other in `paths`.
#[derive(Default)]
struct Reports {
    jobs: Vec<Job>,
    paths: String,
}

impl Reports {
    fn push(&mut self, mut job: Job, path: &str) {
        let start = self.paths.len();
        self.paths.push_str(path);
        // Both at most MAX_QUEUED_PATH_BYTES plus STAGED_PATH_BYTES.
        job.path = (start as u32, self.paths.len() as u32);
        self.jobs.push(job);
    }

    /// Moves the reports of `other` after those of `self`; `other` keeps its
    /// storage.
    fn append(&mut self, other: &mut Reports) {
        let base = self.paths.len() as u32;
        self.paths.push_str(&other.paths);
        other.paths.clear();
        self.jobs.extend(other.jobs.drain(..).map(|mut job| {
            job.path = (job.path.0 + base, job.path.1 + base);
            job
        }));
    }
}

/// Locks `mutex`, poisoned or not: reports are delivered outside every lock,
/// so a poisoned lock only means a panic between two plain pushes, and what
/// it guards is still consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Reporter {
    /// A new buffer for the calling thread.
    fn register(&self) -> Arc<Mutex<Reports>> {
        let stage = Arc::new(Mutex::new(Reports {
            jobs: Vec::with_capacity(STAGED),
            paths: String::with_capacity(STAGED_PATH_BYTES / 4),
        }));
        lock(&self.stages).push(Arc::clone(&stage));
        stage
    }

    /// Moves `reports` to the shared queue; when the queue is full, they are
    /// turned away and returned, for the caller to drop once it holds no
    /// lock (a job holds a view, whose `Drop` is the user's code).
    #[must_use]
    fn enqueue(&self, reports: &mut Reports) -> Option<Reports> {
        let mut queue = lock(&self.queue);
        let queued = &queue.reports;
        if queued.jobs.len() + reports.jobs.len() <= MAX_QUEUED
            && queued.paths.len() + reports.paths.len() <= MAX_QUEUED_PATH_BYTES
        {
            queue.reports.append(reports);
            return None;
        }
        queue.turn_away(reports.jobs.len());
        Some(std::mem::take(reports))
    }

    /// Wakes the reporter if it has parked.
    fn wake(&self) {
        if self.parked.swap(false, Ordering::SeqCst) {
            // Taken and released so that the reporter is either about to see
            // `parked` cleared or already waiting for this notification.
            drop(lock(&self.queue));
            self.ready.notify_one();
        }
    }

    /// Moves every report waiting, in the queue or in a thread's buffer, to
    /// the end of `batch`.
    fn collect(&self, batch: &mut Reports) {
        {
            let mut queue = lock(&self.queue);
            if batch.jobs.is_empty() {
                // The two take turns: the workers fill one while the reporter
                // empties the other, so no memory moves between threads.
                std::mem::swap(&mut queue.reports, batch);
            } else {
                batch.append(&mut queue.reports);
            }
        }
        lock(&self.stages).retain(|stage| {
            batch.append(&mut lock(stage));
            // The other reference is the thread's own: without it the thread
            // is gone, and its buffer has just been emptied for the last time.
            Arc::strong_count(stage) > 1
        });
    }
}

fn reporter() -> &'static Reporter {
    static REPORTER: OnceLock<&'static Reporter> = OnceLock::new();
    REPORTER.get_or_init(|| {
        let reporter: &'static Reporter = Box::leak(Box::new(Reporter {
            queue: Mutex::new(Queue {
                reports: Reports::default(),
                dropped: 0,
            }),
            stages: Mutex::new(Vec::new()),
            parked: AtomicBool::new(false),
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

/// Queues the report of a request to `path` for the reporter thread. Never
/// blocks on the hook.
pub(crate) fn dispatch(job: Job, path: &str) {
    thread_local! {
        static STAGE: OnceCell<Arc<Mutex<Reports>>> = const { OnceCell::new() };
    }
    let reporter = reporter();
    if path.len() > MAX_QUEUED_PATH_BYTES {
        lock(&reporter.queue).turn_away(1);
        return; // `job` is dropped here, under no lock
    }
    let mut job = Some(job);
    let mut turned_away = None;
    // Fails only while this thread exits, its buffer gone.
    let _ = STAGE.try_with(|stage| {
        let stage = stage.get_or_init(|| reporter.register());
        let mut staged = lock(stage);
        if let Some(job) = job.take() {
            staged.push(job, path);
        }
        if staged.jobs.len() >= STAGED || staged.paths.len() >= STAGED_PATH_BYTES {
            turned_away = reporter.enqueue(&mut staged);
            staged.paths.shrink_to(STAGED_PATH_BYTES);
        }
    });
    if let Some(job) = job {
        let mut one = Reports::default();
        one.push(job, path);
        turned_away = reporter.enqueue(&mut one);
    }
    drop(turned_away);
    if reporter.parked.load(Ordering::SeqCst) {
        reporter.wake();
    }
}

fn run(reporter: &'static Reporter) {
    let mut idle = 0;
    let mut batch = Reports::default();
    loop {
        reporter.collect(&mut batch);
        if batch.jobs.is_empty() {
            if idle < IDLE_POLLS {
                idle += 1;
                thread::sleep(BATCH_EVERY);
                continue;
            }
            // A report queued from here on finds `parked` set and wakes the
            // reporter; one queued before is found by this last look.
            reporter.parked.store(true, Ordering::SeqCst);
            reporter.collect(&mut batch);
            if batch.jobs.is_empty() {
                let mut queue = lock(&reporter.queue);
                while reporter.parked.load(Ordering::SeqCst) {
                    queue = reporter
                        .ready
                        .wait(queue)
                        .unwrap_or_else(|p| p.into_inner());
                }
                continue;
            }
            reporter.parked.store(false, Ordering::SeqCst);
        }
        idle = 0;
        let Reports { jobs, paths } = &mut batch;
        for job in jobs.drain(..) {
            let path = paths
                .get(job.path.0 as usize..job.path.1 as usize)
                .unwrap_or_default();
            let deliver = move || {
                let (report, hook) = job.into_report(path);
                hook(&report);
            };
            if catch_unwind(AssertUnwindSafe(deliver)).is_err() {
                log::error!("downloadview: an on_download hook panicked; the report is lost, serving goes on");
            }
        }
        jobs.shrink_to(KEEP_CAPACITY);
        paths.clear();
        paths.shrink_to(KEEP_PATH_BYTES);
        // Let the next batch gather (see BATCH_EVERY).
        thread::sleep(BATCH_EVERY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// The report of a completed GET whose report goes to `hook`.
    fn job(hook: Hook) -> Job {
        Job {
            hook,
            basename: None,
            size: None,
            bytes: 0,
            ttfb: None,
            duration: Duration::ZERO,
            path: (0, 0),
            status: StatusCode::OK,
            outcome: Outcome::Completed,
            verb: Verb::Get,
            rare: None,
        }
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
            let mut line = Vec::new();
            Line(&mut line).uint(n);
            String::from_utf8(line).unwrap()
        };
        let ms = |d: Duration| {
            let mut line = Vec::new();
            Line(&mut line).millis(d);
            String::from_utf8(line).unwrap()
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
        dispatch(job(Box::new(|_| panic!("hook exploded"))), "/t/");
        let hook = move |r: &DownloadReport| tx.send(r.path().to_owned()).unwrap();
        dispatch(job(Box::new(hook)), "/t/");
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)),
            Ok("/t/".to_owned())
        );
    }

    #[test]
    fn a_report_beyond_the_queues_path_budget_is_dropped_not_queued() {
        let (tx, rx) = mpsc::channel::<()>();
        let huge = "/".repeat(MAX_QUEUED_PATH_BYTES + 1);
        dispatch(job(Box::new(move |_| tx.send(()).unwrap())), &huge);
        // Dropped on the spot: the hook (and the sender it holds) is gone
        // without having run.
        assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
    }

    #[test]
    fn a_threads_reports_arrive_in_order_even_after_it_exits() {
        // More than fill its buffer twice: two moves to the shared queue,
        // and three reports left in the buffer of a thread that has exited.
        let n = STAGED * 2 + 3;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for i in 0..n {
                let tx = tx.clone();
                let hook = move |r: &DownloadReport| tx.send((i, r.path().to_owned())).unwrap();
                dispatch(job(Box::new(hook)), &format!("/t/{i}"));
            }
        })
        .join()
        .unwrap();
        for i in 0..n {
            let got = rx.recv_timeout(Duration::from_secs(5));
            assert_eq!(got, Ok((i, format!("/t/{i}"))));
        }
    }

    #[test]
    fn the_reporter_wakes_after_parking() {
        let (tx, rx) = mpsc::channel();
        dispatch(job(Box::new(|_| {})), "/t/");
        thread::sleep(BATCH_EVERY * (IDLE_POLLS + 20)); // long enough to park
        let start = std::time::Instant::now();
        dispatch(job(Box::new(move |_| tx.send(()).unwrap())), "/t/");
        rx.recv_timeout(Duration::from_secs(5))
            .expect("delivered after parking");
        assert!(start.elapsed() < Duration::from_secs(1));
    }
}
