//! The response body: runs the source only when bytes are sent, in bounded
//! memory, and aborts the connection when the source fails.
//!
//! `file.rs` describes the sources; this module runs them:
//!
//! - in memory: zero-copy slices, on the worker ([`Slices`]);
//! - pull sources (readers, iterators, generators, and the ranges of the
//!   seekable ones): a step at a time on the blocking pool, only when the
//!   response wants bytes (`channel.rs`);
//! - writer closures: on writer threads of their own (`writer_pool.rs`),
//!   through the same channel;
//! - async sources: on the worker (an async writer's future through its
//!   sink, `sink.rs`);
//! - archives: their entries one after the other, each run as above,
//!   through their format's assembler (`archive/body.rs`);
//! - `send_timeout`: on the worker's own timer (`timeout.rs`), which holds
//!   the source of a streaming body that has one.

mod channel;
mod range;

use std::{
    collections::VecDeque,
    fmt, io,
    panic::{catch_unwind, AssertUnwindSafe},
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
    time::Duration,
};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use bytes::Bytes;

use crate::{
    archive::{ArchiveBody, Entry},
    async_read::AsyncReadStream,
    chunk::{window_for, BoxError, Reader, Regenerated, CHUNK},
    file::Source,
    rate::{Pacer, Rate},
    report::{track::Tracker, Outcome},
    sink::AsyncWriter,
    timeout::{Abandoned, Watch, Watched},
    trace::Scope,
};

use self::channel::Receiver;

/// The body of every response a download view gives.
///
/// It enforces the declared size: a source that yields more or fewer bytes
/// than its `Content-Length`, or that fails, ends the body with an error,
/// which makes actix-web abort the connection: an HTTP/1.1 client sees an
/// incomplete transfer (never a clean end), an HTTP/2 client a reset
/// stream. (A body of unknown size sent to an HTTP/1.0 client is
/// close-delimited, so there the abort only closes the connection early.)
/// The failure is reported once, as `Outcome::SourceFailed`, which the
/// default `on_download` logs at error level.
///
/// It is the body type of the derived `Responder` and of [`respond`](crate::respond);
/// read it as any actix [`MessageBody`]:
///
/// ```
/// use actix_web::{body::{self, BodySize, MessageBody}, test::TestRequest, HttpRequest};
/// use downloadview::{respond, DownloadBody, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
///
/// #[derive(VirtualDownloadView)]
/// struct Generated;
/// impl GetFile for Generated {
///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
///         Ok(VirtualFile::from_iter(["Hello ", "world!", "\n"]))
///     }
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let res = respond(Generated, &TestRequest::get().to_http_request());
/// let body: DownloadBody = res.into_body();
/// assert_eq!(body.size(), BodySize::Stream); // size unknown: chunked
/// assert_eq!(body::to_bytes(body).await.unwrap(), "Hello world!\n");
/// # });
/// ```
pub struct DownloadBody(Box<Body>);

/// The state of a [`DownloadBody`], boxed: actix-web moves a response several
/// times between the handler and the connection, and a response whose body is
/// one pointer moves as cheaply as one with a plain `BoxBody`.
struct Body {
    kind: Kind,
    /// The size announced in the headers, when known.
    declared: Option<u64>,
    /// Bytes handed to actix so far.
    sent: u64,
    /// The chunk that completes the declared size, until the source ends.
    held: Option<Bytes>,
    finished: bool,
    /// Reports the outcome when the response ends; `None` once reported, or
    /// once handed to the watch.
    tracker: Option<Tracker>,
    /// The view's `send_timeout`, until the body starts streaming.
    send_timeout: Option<Duration>,
    /// The `send_timeout` watch of a streaming body: it holds the source
    /// (`kind` is then `Watched`) and the tracker.
    watch: Option<Rc<Watch<Kind>>>,
    /// The span the response was created in, entered while the source is
    /// polled (an async source runs the user's code there).
    scope: Scope,
    /// The view's rate limit, when it has one.
    pacer: Option<Box<Pacer>>,
}

#[derive(Default)]
enum Kind {
    /// No body by design (304); the empty source, left where one was.
    #[default]
    None,
    /// A HEAD answer: announces GET's size, yields nothing, runs nothing.
    Head,
    /// In memory: zero-copy slices.
    Slices(Slices),
    /// A blocking source: pull steps on the blocking pool, or a writer thread.
    Channel(Receiver),
    /// An async stream.
    Stream(Pin<Box<dyn futures_core::Stream<Item = Result<Bytes, BoxError>>>>),
    /// An async writer's future.
    AsyncWriter(AsyncWriter),
    /// An archive (zip or tar) of other sources.
    Archive(Box<ArchiveBody<Kind>>),
    /// The source is in the body's `send_timeout` watch.
    Watched,
    /// Any other actix body (error pages).
    Other(BoxBody),
}

/// In-memory segments, handed over as zero-copy slices whose size grows with
/// what the client has taken (from 16 KiB to 64 KiB, as the chunks of
/// blocking sources: a client that stalls early then leaves actix-web's
/// write buffer at 48 KiB, not 96 KiB).
struct Slices {
    /// The segment being sliced (empty once all are sent).
    current: Bytes,
    /// The segments after it (none for a plain in-memory body: no allocation).
    rest: VecDeque<Bytes>,
    taken: u64,
}

impl Slices {
    fn new(segments: impl IntoIterator<Item = Bytes>) -> Self {
        let mut rest: VecDeque<Bytes> = segments.into_iter().filter(|s| !s.is_empty()).collect();
        Slices {
            current: rest.pop_front().unwrap_or_default(),
            rest,
            taken: 0,
        }
    }

    fn one(bytes: Bytes) -> Self {
        Slices {
            current: bytes,
            rest: VecDeque::new(),
            taken: 0,
        }
    }

    fn next(&mut self) -> Option<Bytes> {
        if self.current.is_empty() {
            self.current = self.rest.pop_front()?;
        }
        let (_, chunk) = window_for(self.taken);
        let slice = if self.current.len() <= chunk {
            std::mem::take(&mut self.current)
        } else {
            self.current.split_to(chunk)
        };
        self.taken += slice.len() as u64;
        Some(slice)
    }

    /// The whole content, when it is one slice not yet started.
    fn whole(&self) -> Option<&Bytes> {
        (self.taken == 0 && self.rest.is_empty() && self.current.len() <= CHUNK)
            .then_some(&self.current)
    }
}

/// How the body runs a source; an archive runs each of its entries so.
impl Entry for Kind {
    fn of(source: Source) -> Kind {
        match source {
            Source::Bytes(bytes) => Kind::Slices(Slices::one(bytes)),
            Source::Read(reader) => Kind::Channel(Receiver::pull(Box::new(Reader(reader)))),
            Source::Seek(reader) => Kind::Channel(Receiver::pull(Box::new(Reader(reader)))),
            Source::Iter(pull) => Kind::Channel(Receiver::pull(pull)),
            Source::Generator(generate) => {
                Kind::Channel(Receiver::pull(Box::new(Regenerated::new(move |offset| {
                    generate(offset)
                }))))
            }
            Source::Writer(write) => Kind::Channel(Receiver::writer(write)),
            Source::Stream(stream) => Kind::Stream(stream),
            Source::AsyncGenerator(open) => Kind::Stream(open(0)),
            Source::AsyncRead(reader) => {
                use futures_util::StreamExt as _;
                let stream = AsyncReadStream::new(reader).map(|r| r.map_err(BoxError::from));
                Kind::Stream(Box::pin(stream))
            }
            Source::AsyncWriter(write) => Kind::AsyncWriter(AsyncWriter::new(write)),
            Source::Archive(packed) => Kind::Archive(Box::new(ArchiveBody::new(*packed))),
        }
    }

    fn start(&self) {
        if let Kind::Channel(receiver) = self {
            receiver.start();
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        match self {
            Kind::None | Kind::Head | Kind::Watched => Poll::Ready(None),
            Kind::Slices(slices) => Poll::Ready(slices.next().map(Ok)),
            Kind::Channel(receiver) => receiver.poll_next(cx),
            Kind::Stream(stream) => {
                match catch_unwind(AssertUnwindSafe(|| stream.as_mut().poll_next(cx))) {
                    Ok(poll) => poll.map(|item| item.map(|r| r.map_err(io::Error::other))),
                    Err(_) => Poll::Ready(Some(Err(io::Error::other("the body stream panicked")))),
                }
            }
            Kind::AsyncWriter(writer) => writer.poll_next(cx),
            Kind::Archive(archive) => archive.poll_next(cx),
            Kind::Other(body) => Pin::new(body)
                .poll_next(cx)
                .map(|item| item.map(|r| r.map_err(|e| io::Error::other(e.to_string())))),
        }
    }
}

impl Watched for Kind {
    /// Whether its writer closure was abandoned by the writer pool at its
    /// limit (for an archive, the writer of the entry being produced).
    fn evicted(&self) -> bool {
        match self {
            Kind::Channel(receiver) => receiver.evicted(),
            Kind::Archive(archive) => archive.current().is_some_and(Kind::evicted),
            _ => false,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Kind::None => "none",
            Kind::Head => "head",
            Kind::Slices(_) => "in-memory",
            Kind::Channel(_) => "blocking",
            Kind::Stream(_) => "stream",
            Kind::AsyncWriter(_) => "async writer",
            Kind::Archive(_) => "archive",
            Kind::Watched => "watched",
            Kind::Other(_) => "other",
        }
    }
}

impl DownloadBody {
    /// The body of a full response from `source`, announcing `declared` bytes.
    pub(crate) fn new(source: Source, declared: Option<u64>) -> Self {
        Self::of_kind(Kind::of(source), declared)
    }

    fn of_kind(kind: Kind, declared: Option<u64>) -> Self {
        DownloadBody::of(Body {
            kind,
            declared,
            sent: 0,
            held: None,
            finished: false,
            tracker: None,
            send_timeout: None,
            watch: None,
            scope: Scope::current(),
            pacer: None,
        })
    }

    /// The body of a HEAD answer: GET's size, no bytes, the source never runs.
    pub(crate) fn head(declared: Option<u64>) -> Self {
        let mut body = Self::of_kind(Kind::Head, declared);
        body.0.finished = true;
        body
    }

    /// No body at all (304).
    pub(crate) fn none() -> Self {
        let mut body = Self::of_kind(Kind::None, None);
        body.0.finished = true;
        body
    }

    /// Wraps another body (error pages).
    pub(crate) fn other(body: BoxBody) -> Self {
        Self::of_kind(Kind::Other(body), None)
    }

    fn of(body: Body) -> Self {
        DownloadBody(Box::new(body))
    }

    /// Follows this response to its end and reports it.
    pub(crate) fn track(mut self, tracker: Tracker) -> Self {
        self.0.tracker = Some(tracker);
        self
    }

    /// Paces the body at `rate` (`None`: no limit).
    pub(crate) fn limit_rate(mut self, rate: Option<Rate>) -> Self {
        self.0.pacer = rate.map(|rate| Box::new(Pacer::new(rate)));
        self
    }

    /// Abandons the download when its client takes no byte for `timeout`
    /// (`None`: never).
    pub(crate) fn send_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.0.send_timeout = timeout;
        self
    }
}

impl Body {
    /// Drops the source now (its `Drop` runs, a producer's thread is
    /// released), not when actix drops the body.
    fn drop_source(&mut self) {
        self.kind = Kind::None;
        if let Some(watch) = &self.watch {
            watch.drop_source();
        }
    }

    /// Reports the outcome, once.
    fn report(&mut self, outcome: Outcome, error: Option<String>) {
        if let Some(watch) = &self.watch {
            watch.end(outcome, self.sent, error);
        } else if let Some(tracker) = self.tracker.take() {
            tracker.end(outcome, self.sent, error);
        }
    }

    /// Passes a chunk to actix, counting it (one add per chunk; the time of
    /// the first one for the report). A paced body passes a slice of it and
    /// keeps the rest for the next polls.
    fn hand_over(&mut self, mut chunk: Bytes) -> Poll<Option<io::Result<Bytes>>> {
        if let Some(pacer) = &mut self.pacer {
            chunk = pacer.take(chunk);
        }
        if self.sent == 0 {
            match (&self.watch, &mut self.tracker) {
                (Some(watch), _) => watch.first_byte(),
                (None, Some(tracker)) => tracker.facts.first_byte(),
                (None, None) => {}
            }
        }
        self.sent += chunk.len() as u64;
        if let Some(watch) = &self.watch {
            watch.progress(self.sent);
        }
        Poll::Ready(Some(Ok(chunk)))
    }

    fn fail(&mut self, err: io::Error) -> Poll<Option<io::Result<Bytes>>> {
        self.finished = true;
        self.drop_source();
        self.held = None;
        // The failure is logged once, by the download report (the default
        // `on_download` logs `outcome=source_failed error=…` at error level);
        // this line only helps when debugging the engine itself.
        log::debug!(
            "downloadview: aborting the response after {} bytes: {err}",
            self.sent
        );
        let outcome = if Abandoned::is(&err) {
            Outcome::ClientGone // a writer abandoned at the pool's limit
        } else {
            Outcome::SourceFailed
        };
        self.report(outcome, Some(err.to_string()));
        Poll::Ready(Some(Err(err)))
    }

    /// Starts the `send_timeout` watch of a body that is about to stream:
    /// the source and the tracker move into it.
    fn watch(&mut self) {
        let Some(timeout) = self.send_timeout.take() else {
            return;
        };
        if matches!(self.kind, Kind::None | Kind::Head | Kind::Other(_)) {
            return;
        }
        let kind = std::mem::replace(&mut self.kind, Kind::Watched);
        self.watch = Some(Watch::start(timeout, kind, self.tracker.take()));
    }

    fn poll_source(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        let Body {
            watch, kind, scope, ..
        } = self;
        scope.enter(|| match watch {
            Some(watch) => watch.kind().poll(cx),
            None => kind.poll(cx),
        })
    }

    fn size(&self) -> BodySize {
        match &self.kind {
            Kind::None => BodySize::None,
            Kind::Other(body) => body.size(),
            _ => match self.declared {
                Some(n) => BodySize::Sized(n),
                None => BodySize::Stream,
            },
        }
    }

    /// The whole content, when it is one in-memory slice of the declared
    /// size not yet started: the body is then complete.
    fn take_whole(&mut self) -> Option<Bytes> {
        let Kind::Slices(slices) = &self.kind else {
            return None;
        };
        if self.pacer.is_some() {
            return None; // paced: in slices, on its schedule
        }
        let bytes = slices.whole()?;
        if self.declared != Some(bytes.len() as u64) || self.sent != 0 || self.finished {
            return None;
        }
        let bytes = bytes.clone();
        self.kind = Kind::None;
        // Handed over whole: the first byte goes with the last, so the
        // report's one clock read (at its end) serves for both.
        self.sent = bytes.len() as u64;
        self.finished = true;
        Some(bytes)
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        if self.send_timeout.is_some() {
            self.watch();
        }
        if let Some(why) = self.watch.as_ref().and_then(|watch| watch.abandoned()) {
            // Reported, and its source dropped, when it was abandoned: abort
            // the connection.
            self.finished = true;
            self.drop_source();
            self.held = None;
            return Poll::Ready(Some(Err(why.error())));
        }
        if let Some(pacer) = &mut self.pacer {
            if pacer.poll_ready(self.sent, cx).is_pending() {
                // Waiting on its own schedule, not on the client.
                if let Some(watch) = &self.watch {
                    watch.source_turn();
                }
                return Poll::Pending;
            }
            if let Some(rest) = pacer.rest.take() {
                return self.hand_over(rest);
            }
        }
        loop {
            return match self.poll_source(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    if chunk.is_empty() {
                        continue;
                    }
                    let total = self.sent + chunk.len() as u64;
                    match self.declared {
                        Some(declared) if total > declared || self.held.is_some() => {
                            self.fail(io::Error::other(format!(
                                "the source yielded more than its declared size of {declared} bytes"
                            )))
                        }
                        // The chunk that completes the declared size is held
                        // back until the source confirms that it has ended:
                        // were it sent first, a source yielding *more* would
                        // look like a complete response to the client.
                        Some(declared) if total == declared => {
                            self.held = Some(chunk);
                            continue;
                        }
                        _ => self.hand_over(chunk),
                    }
                }
                Poll::Ready(None) => {
                    self.drop_source();
                    if let Some(chunk) = self.held.take() {
                        return self.hand_over(chunk);
                    }
                    match self.declared {
                        Some(declared) if self.sent < declared => self.fail(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "the source ended after {} of its declared {declared} bytes",
                                self.sent
                            ),
                        )),
                        _ => {
                            self.finished = true;
                            self.report(Outcome::Completed, None);
                            Poll::Ready(None)
                        }
                    }
                }
                Poll::Ready(Some(Err(err))) => self.fail(err),
                Poll::Pending => {
                    if let Some(watch) = &self.watch {
                        watch.source_turn();
                    }
                    Poll::Pending
                }
            };
        }
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        if self.tracker.is_some() || self.watch.is_some() {
            // actix never polls a body it knows to be empty: that is complete
            // by design, as is a body that ended; anything else was cut off.
            let empty = match &self.kind {
                Kind::Other(body) => matches!(body.size(), BodySize::None | BodySize::Sized(0)),
                _ => self.sent == 0 && self.held.is_none() && matches!(self.declared, Some(0)),
            };
            let outcome = if self.finished || empty {
                Outcome::Completed
            } else {
                Outcome::ClientGone
            };
            self.report(outcome, None);
        }
    }
}

impl MessageBody for DownloadBody {
    type Error = io::Error;

    fn size(&self) -> BodySize {
        self.0.size()
    }

    /// Small in-memory content (one slice) is handed to actix as plain
    /// `Bytes`: no boxing, no polling through this type.
    /// Handing the bytes over this way completes the body: it is reported
    /// as such when `self` is dropped here.
    fn try_into_bytes(mut self) -> Result<Bytes, Self> {
        self.0.take_whole().ok_or(self)
    }

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        self.get_mut().0.poll_next(cx)
    }
}

impl fmt::Debug for DownloadBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = &*self.0;
        f.debug_struct("DownloadBody")
            .field(
                "kind",
                &body.watch.as_ref().map_or(body.kind.name(), |w| w.name()),
            )
            .field("declared", &body.declared)
            .field("sent", &body.sent)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;
    use crate::VirtualFile;

    #[test]
    fn a_download_response_is_no_larger_than_a_plain_one() {
        // actix-web moves the response several times on its way to the
        // connection: the body's state is boxed so that those moves are no
        // dearer than for a hand-written handler's `HttpResponse`.
        use std::mem::size_of;
        assert_eq!(size_of::<DownloadBody>(), size_of::<usize>());
        assert!(
            size_of::<actix_web::HttpResponse<DownloadBody>>()
                <= size_of::<actix_web::HttpResponse>()
        );
    }

    /// Polls `body` to its end: the chunks, then the error if it failed.
    fn drain_now(body: &mut DownloadBody) -> (Vec<Bytes>, Option<io::Error>) {
        let mut cx = Context::from_waker(Waker::noop());
        let mut chunks = Vec::new();
        loop {
            match Pin::new(&mut *body).poll_next(&mut cx) {
                Poll::Ready(Some(Ok(chunk))) => chunks.push(chunk),
                Poll::Ready(Some(Err(err))) => return (chunks, Some(err)),
                Poll::Ready(None) => return (chunks, None),
                Poll::Pending => panic!("these sources are never pending"),
            }
        }
    }

    fn stream_of(chunks: &[&'static [u8]]) -> Source {
        let items: Vec<Result<Bytes, io::Error>> =
            chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect();
        VirtualFile::from_stream(futures_util::stream::iter(items)).source
    }

    #[test]
    fn in_memory_content_is_sent_as_zero_copy_slices_of_at_most_64_kib() {
        let content = Bytes::from((0..10_000_000u32).map(|i| i as u8).collect::<Vec<u8>>());
        let range = content.as_ptr_range();
        let mut body = DownloadBody::new(Source::Bytes(content.clone()), Some(10_000_000));
        assert_eq!(body.size(), BodySize::Sized(10_000_000));
        let (chunks, err) = drain_now(&mut body);
        assert!(err.is_none());
        // Small slices first (a client that stalls early leaves little in
        // actix's write buffer), 64 KiB ones once the client has taken 4.5 MiB.
        assert_eq!(chunks[0].len(), crate::chunk::MIN_CHUNK);
        let mut offset = 0;
        for chunk in &chunks[..chunks.len() - 1] {
            if offset >= 5 << 20 {
                assert_eq!(chunk.len(), CHUNK, "at {offset}");
            }
            offset += chunk.len();
        }
        let mut expected_start = range.start;
        for chunk in &chunks {
            assert!(chunk.len() <= CHUNK);
            // Each chunk points into the original buffer, right after the
            // previous one: nothing was copied.
            assert_eq!(chunk.as_ptr(), expected_start);
            assert!(chunk.as_ptr_range().end <= range.end);
            expected_start = chunk.as_ptr_range().end;
        }
        assert_eq!(expected_start, range.end);
    }

    #[test]
    fn small_in_memory_content_is_plain_bytes_to_actix_and_large_is_not() {
        let small = DownloadBody::new(
            Source::Bytes(Bytes::from_static(b"Hello world!\n")),
            Some(13),
        );
        assert_eq!(small.try_into_bytes().unwrap(), "Hello world!\n");
        let large = Bytes::from(vec![0u8; CHUNK + 1]);
        let large = DownloadBody::new(Source::Bytes(large), Some(CHUNK as u64 + 1));
        assert!(large.try_into_bytes().is_err(), "sent as slices");
        // A wrong declared size must still fail the body, so it is not bypassed.
        let wrong = DownloadBody::new(Source::Bytes(Bytes::from_static(b"abc")), Some(4));
        let mut wrong = wrong.try_into_bytes().unwrap_err();
        assert!(drain_now(&mut wrong).1.is_some());
    }

    #[test]
    fn a_source_of_exactly_its_declared_size_is_sent_whole() {
        let mut body = DownloadBody::new(stream_of(&[b"abc", b"def"]), Some(6));
        let (chunks, err) = drain_now(&mut body);
        assert!(err.is_none());
        assert_eq!(chunks.concat(), b"abcdef");
    }

    #[test]
    fn a_source_longer_than_declared_never_delivers_the_declared_size() {
        // The chunk completing the 6 declared bytes must not be released
        // before the source is known to end: here it does not.
        let mut body = DownloadBody::new(stream_of(&[b"abc", b"def", b"g"]), Some(6));
        let (chunks, err) = drain_now(&mut body);
        assert_eq!(chunks.concat(), b"abc");
        assert!(err
            .unwrap()
            .to_string()
            .contains("more than its declared size"));
        // One chunk straddling the declared size.
        let mut body = DownloadBody::new(stream_of(&[b"abc", b"defg"]), Some(6));
        let (chunks, err) = drain_now(&mut body);
        assert_eq!(chunks.concat(), b"abc");
        assert!(err.is_some());
    }

    #[test]
    fn a_source_shorter_than_declared_fails_after_its_bytes() {
        let mut body = DownloadBody::new(stream_of(&[b"abc"]), Some(6));
        let (chunks, err) = drain_now(&mut body);
        assert_eq!(chunks.concat(), b"abc");
        assert_eq!(err.unwrap().kind(), io::ErrorKind::UnexpectedEof);
        // After a failure the body is over.
        assert!(drain_now(&mut body).0.is_empty());
    }

    #[test]
    fn a_stream_error_fails_the_body() {
        let items = vec![
            Ok(Bytes::from_static(b"abc")),
            Err(io::Error::other("boom")),
        ];
        let file = VirtualFile::from_stream(futures_util::stream::iter(items));
        let mut body = DownloadBody::new(file.source, None);
        let (chunks, err) = drain_now(&mut body);
        assert_eq!(chunks.concat(), b"abc");
        assert_eq!(err.unwrap().to_string(), "boom");
    }
}
