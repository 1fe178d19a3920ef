//! What happened to each download: its [`Outcome`], with bytes and times, in a
//! [`DownloadReport`] handed once per response to
//! [`GetFile::on_download`](crate::GetFile::on_download).
//!
//! A report is delivered where its download ends, on the actix worker that
//! served it (as actix-web's `Logger` writes its line where the response
//! ends): when the body's last byte is handed over, when the source fails,
//! when the client goes away, or when `send_timeout` fires (its timer runs
//! on the same worker). No thread of the library's own is involved, and the
//! report is never queued. So a hook must be quick, as a logger is: one with
//! slow work to do (a database write, a request to another service) hands
//! it on to a channel, a runtime or a pool. A hook that panics is caught:
//! the panic is logged and the download, and the worker, go on.

use std::{
    borrow::Cow,
    cell::RefCell,
    fmt,
    panic::{catch_unwind, AssertUnwindSafe},
    time::Duration,
};

use actix_web::http::{Method, StatusCode};

pub(crate) mod track;

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
    pub(crate) path: RequestPath,
    /// The response status.
    pub status: StatusCode,
    /// The served name; a static basename stays borrowed.
    pub(crate) basename: Option<Cow<'static, str>>,
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

    /// Logs the report, target `downloadview::download`: `info` when
    /// completed, `warn` when the client went away, `error` when the source
    /// failed. What the default `on_download` does.
    ///
    /// It is one line through the `log` facade (its [`Display`](fmt::Display)
    /// form). With the `tracing` feature, and a `tracing` subscriber
    /// installed, it is instead the structured event of
    /// `trace` (feature `tracing`), inside the request's span.
    pub fn log(&self) {
        #[cfg(feature = "tracing")]
        if crate::trace::subscribed() {
            self.trace();
            return;
        }
        let level = match self.outcome {
            Outcome::Completed => log::Level::Info,
            Outcome::ClientGone => log::Level::Warn,
            Outcome::SourceFailed => log::Level::Error,
        };
        log::log!(target: "downloadview::download", level, "{self}");
    }

    /// Emits the report as a `tracing` event (feature `tracing`), target
    /// `downloadview::download`, message `download`, level `INFO` when
    /// completed, `WARN` when the client went away, `ERROR` when the source
    /// failed, with the fields `outcome`, `status`, `method`, `path`,
    /// `bytes`, `size`, `ttfb_ms`, `duration_ms`, `basename`, `ranges` and
    /// `error` (those without a value are left out).
    ///
    /// [`on_download`](crate::GetFile::on_download) is called inside the span
    /// that was current when the view's response was created: with
    /// tracing-actix-web, the request's root span, so the event carries the
    /// request id and the route.
    ///
    /// ```
    /// # #[cfg(feature = "tracing")] {
    /// use actix_web::{test::TestRequest, HttpRequest};
    /// use downloadview::{respond, DownloadError, DownloadReport, GetFile, VirtualDownloadView, VirtualFile};
    ///
    /// #[derive(VirtualDownloadView)]
    /// struct Hello;
    /// impl GetFile for Hello {
    ///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    ///         Ok(VirtualFile::from_static(b"Hello world!\n"))
    ///     }
    ///     fn on_download(&self, report: &DownloadReport) {
    ///         report.trace(); // even when no subscriber is installed
    ///     }
    /// }
    /// # let _ = respond(Hello, &TestRequest::get().to_http_request());
    /// # }
    /// ```
    #[cfg(feature = "tracing")]
    pub fn trace(&self) {
        let ranges = (!self.ranges.is_empty()).then(|| {
            let mut line = Vec::new();
            write_ranges(&mut Line(&mut line), &self.ranges);
            String::from_utf8_lossy(&line).into_owned()
        });
        macro_rules! event {
            ($level:expr) => {
                tracing::event!(
                    target: "downloadview::download",
                    $level,
                    outcome = self.outcome.as_str(),
                    status = self.status.as_u16(),
                    method = self.method.as_str(),
                    path = self.path(),
                    bytes = self.bytes,
                    size = self.size,
                    ttfb_ms = self.ttfb.map(millis),
                    duration_ms = millis(self.duration),
                    basename = self.basename(),
                    ranges = ranges.as_deref(),
                    error = self.error.as_deref(),
                    "download"
                )
            };
        }
        match self.outcome {
            Outcome::Completed => event!(tracing::Level::INFO),
            Outcome::ClientGone => event!(tracing::Level::WARN),
            Outcome::SourceFailed => event!(tracing::Level::ERROR),
        }
    }
}

/// `d` in milliseconds, as a tracing field.
#[cfg(feature = "tracing")]
fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `0-99:100,200-249:7`: each range, and the bytes of it handed over.
fn write_ranges(line: &mut Line<'_>, ranges: &[RangeReport]) {
    for (i, r) in ranges.iter().enumerate() {
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

impl fmt::Display for DownloadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // This runs once per download, on the worker, and should cost
        // little: the line is put together as bytes in a buffer the
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
            write_ranges(line, &self.ranges);
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

/// The request path of a report: inline when it is short (no allocation per
/// report), on the heap otherwise.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum RequestPath {
    /// A path of at most [`INLINE_PATH`] bytes.
    Inline {
        len: u8,
        bytes: [u8; INLINE_PATH],
    },
    Heap(Box<str>),
}

/// Paths up to this long are kept inline: with the length byte and the tag,
/// the path takes 64 bytes of the report, no allocation, and covers every
/// path of the demo and the bench (the longest, `/slow/async-writer`, is 18
/// bytes); a longer one costs one allocation per report.
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

/// Hands `report` to `hook`, here and now; a panicking hook is caught and
/// logged, and the report is lost.
pub(crate) fn deliver(report: &DownloadReport, hook: Hook) {
    if catch_unwind(AssertUnwindSafe(|| hook(report))).is_err() {
        log::error!(
            "downloadview: the on_download hook panicked on the report of {} {}; serving goes on",
            report.method,
            value(report.path())
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_report_is_delivered_at_once_on_the_calling_thread() {
        let here = std::thread::current().id();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
        let seen_by_hook = std::sync::Arc::clone(&seen);
        let hook: Hook = Box::new(move |r: &DownloadReport| {
            *seen_by_hook.lock().unwrap() =
                Some((std::thread::current().id(), r.path().to_owned()));
        });
        deliver(&report(), hook);
        assert_eq!(*seen.lock().unwrap(), Some((here, "/big/".to_owned())));
    }

    #[test]
    fn a_panicking_hook_is_caught_and_the_next_report_delivered() {
        deliver(&report(), Box::new(|_| panic!("hook exploded")));
        let delivered = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&delivered);
        deliver(
            &report(),
            Box::new(move |_| flag.store(true, std::sync::atomic::Ordering::Relaxed)),
        );
        assert!(delivered.load(std::sync::atomic::Ordering::Relaxed));
    }
}
