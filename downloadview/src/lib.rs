//! django-downloadview's `VirtualDownloadView` for actix-web 4: serve content
//! that does not live on disk — text built in memory, a reader, generated or
//! streamed bytes — as a proper HTTP download.
//!
//! Derive [`VirtualDownloadView`] on a struct, set the options as attributes,
//! write [`GetFile::get_file`], and register the view:
//!
//! ```
//! use actix_web::{web, App, HttpRequest};
//! use downloadview::{get_or_head, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
//!
//! #[derive(VirtualDownloadView, Default)]
//! #[download(basename = "hello-world.txt")]
//! struct TextDownloadView;
//!
//! impl GetFile for TextDownloadView {
//!     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//!         Ok(VirtualFile::from_static(b"Hello world!\n"))
//!     }
//! }
//!
//! // A view with fields, built by a handler (from extractors or async work).
//! #[derive(VirtualDownloadView)]
//! #[download(mimetype = "text/csv")]
//! struct Report {
//!     id: u32,
//! }
//!
//! impl GetFile for Report {
//!     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//!         Ok(VirtualFile::from(format!("id\n{}\n", self.id)).with_name(format!("report-{}.csv", self.id)))
//!     }
//! }
//!
//! let app = App::new()
//!     .route("/text/", TextDownloadView::route()) // GET + HEAD
//!     .route("/report/{id}", get_or_head().to(|id: web::Path<u32>| async move { Report { id: *id } })); // GET + HEAD
//! # let _ = app;
//! ```
//!
//! `GET /text/` answers exactly what django-downloadview's demo answers:
//! `Hello world!\n`, `Content-Type: text/plain; charset=utf-8`,
//! `Content-Disposition: attachment; filename="hello-world.txt"` and
//! `Content-Length: 13`. HEAD gets the same headers and never runs the body
//! source; `If-Modified-Since` is answered with 304 through
//! [`GetFile::was_modified_since`].
//!
//! The rest of this page walks through the three uses on django-downloadview's
//! `VirtualDownloadView` page, then what Django cannot do (streaming, async
//! data), per-request options, errors, testing, and what the compiler checks.
//! Coming from Django? `docs/from-django.md` in the repository maps every
//! Django name to its equivalent here, and ports the three examples side by side.
//!
//! # Serve text or bytes (Django's `ContentFile`)
//!
//! Content built in memory — a `String`, a `Vec<u8>`, [`bytes::Bytes`], a
//! `&'static str` or `&'static [u8]` — converts into a [`VirtualFile`] whose
//! size is its length **in bytes** (Django counts characters for `str`):
//!
//! ```
//! use actix_web::{body::{BodySize, MessageBody}, test, App, HttpRequest};
//! use downloadview::{test::ExpectedDownload, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
//!
//! #[derive(VirtualDownloadView, Default)]
//! #[download(basename = "hello-world.txt")]
//! struct TextDownloadView;
//!
//! impl GetFile for TextDownloadView {
//!     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//!         Ok(VirtualFile::from(String::from("Hello world!\n")))
//!     }
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let app = test::init_service(App::new().route("/text/", TextDownloadView::route())).await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/text/").to_request()).await;
//! assert_eq!(res.response().body().size(), BodySize::Sized(13)); // Content-Length: 13
//! ExpectedDownload::new()
//!     .basename("hello-world.txt")
//!     .content_type("text/plain; charset=utf-8")
//!     .content("Hello world!\n")
//!     .assert_service_response(res)
//!     .await;
//! # });
//! ```
//!
//! # Serve a reader (Django's `VirtualFile(StringIO(...))`)
//!
//! A reader that can seek, such as a [`Cursor`](std::io::Cursor), is measured
//! up front (so the response has a `Content-Length` and can serve ranges) and
//! read a step at a time on the blocking thread pool, never on an actix
//! worker, and only while the client takes the bytes. A reader that
//! cannot seek is [`VirtualFile::from_reader`]: sent chunked unless its size is
//! declared with [`VirtualFile::with_size`].
//!
//! ```
//! use std::io::Cursor;
//! use actix_web::{body::{BodySize, MessageBody}, test, App, HttpRequest};
//! use downloadview::{test::ExpectedDownload, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
//!
//! #[derive(VirtualDownloadView, Default)]
//! struct StringIODownloadView;
//!
//! impl GetFile for StringIODownloadView {
//!     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//!         let text = Cursor::new(String::from("Hello world!\n"));
//!         // An io::Error converts into DownloadError (NotFound gives 404).
//!         Ok(VirtualFile::from_seekable_reader(text)?.with_name("hello-world.txt"))
//!     }
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let app = test::init_service(App::new().route("/", StringIODownloadView::route())).await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
//! assert_eq!(res.response().body().size(), BodySize::Sized(13)); // Content-Length: 13
//! ExpectedDownload::new()
//!     .basename("hello-world.txt")
//!     .mime_type("text/plain")
//!     .content("Hello world!\n")
//!     .assert_service_response(res)
//!     .await;
//! # });
//! ```
//!
//! # Stream generated content (Django's `BytesIteratorIO(generator)`)
//!
//! An iterator of chunks (`&str`, `String`, `Vec<u8>`, `Bytes`, …) is the
//! generator of Python. It is pulled lazily, a step at a time on the blocking
//! pool, when the body is sent — never for HEAD or 304 — and, its size being unknown, the response is
//! chunked (Django sends a wrong `Content-Length: 0` here):
//!
//! ```
//! use actix_web::{body::{BodySize, MessageBody}, test, App, HttpRequest};
//! use downloadview::{test::ExpectedDownload, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
//!
//! fn generate_hello() -> impl Iterator<Item = &'static str> {
//!     ["Hello ", "world!", "\n"].into_iter()
//! }
//!
//! #[derive(VirtualDownloadView, Default)]
//! #[download(basename = "hello-world.txt")]
//! struct GeneratedDownloadView;
//!
//! impl GetFile for GeneratedDownloadView {
//!     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//!         Ok(VirtualFile::from_iter(generate_hello()))
//!     }
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let app = test::init_service(App::new().route("/", GeneratedDownloadView::route())).await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
//! assert_eq!(res.response().body().size(), BodySize::Stream); // chunked
//! ExpectedDownload::new()
//!     .basename("hello-world.txt")
//!     .content("Hello world!\n")
//!     .assert_service_response(res)
//!     .await;
//! # });
//! ```
//!
//! # Streaming large content
//!
//! Every body is sent in bounded memory, whatever its size. Beyond Django:
//!
//! - [`VirtualFile::from_generator`]: a generator that can start at any offset.
//!   Its size is known, so `Content-Length` is sent and Range requests start it
//!   at the first byte wanted.
//! - [`VirtualFile::from_writer`]: a closure writing into `&mut dyn Write` —
//!   a CSV writer, a zip writer — run on a writer thread of its own (never on
//!   the blocking pool `web::block` uses); when the client goes away, its next
//!   `write` fails and it stops.
//! - [`VirtualFile::from_stream`]: an async `Stream` of `Result<Bytes, E>`,
//!   polled on the worker.
//! - [`VirtualFile::from_async_writer`]: a closure handed an [`AsyncSink`]
//!   (a tokio `AsyncWrite`) for async_zip, csv-async, async-compression and
//!   the like; its future runs on the worker, a write waiting while the
//!   client has not taken the bytes before it.
//!
//! ```
//! use std::io::Write;
//! use actix_web::HttpRequest;
//! use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
//!
//! #[derive(VirtualDownloadView, Default)]
//! #[download(basename = "squares.csv", mimetype = "text/csv")]
//! struct Squares;
//!
//! impl GetFile for Squares {
//!     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//!         // Nothing runs here: the closure runs when the body is sent.
//!         Ok(VirtualFile::from_writer(|out: &mut dyn Write| {
//!             writeln!(out, "n,square")?;
//!             for n in 0..1_000_000u64 {
//!                 writeln!(out, "{n},{}", n * n)?;
//!             }
//!             Ok(())
//!         }))
//!     }
//! }
//! # let _ = actix_web::App::new().route("/squares.csv", Squares::route());
//! ```
//!
//! A source that fails half-way — an `Err` item, a writer's error, a size
//! other than the one declared — aborts the connection (over HTTP/2, resets
//! its stream), so the client sees an incomplete transfer and never a short
//! file that looks complete.
//!
//! One exception: HTTP/1.0 has no chunked coding (RFC 9112 §6.1), so for an
//! HTTP/1.0 request a body of unknown size is close-delimited: no
//! `Transfer-Encoding`, no `Content-Length`, and the connection closes after
//! the body. A source failing half-way then just closes the connection
//! early, which such a client cannot tell from the end (the report still
//! says [`Outcome::SourceFailed`]). Declare the size with
//! [`VirtualFile::with_size`] when you know it: a sized body keeps its
//! `Content-Length`, and a short one is visible to every client.
//!
//! # Async data
//!
//! [`GetFile::get_file`] is synchronous and cheap: it *describes* the file.
//! Slow or async work (a database query, an HTTP call) happens in the handler,
//! which then returns the view, filled — every derived view is an
//! [`actix_web::Responder`]:
//!
//! ```
//! use actix_web::{test, web, App, HttpRequest};
//! use downloadview::{test::ExpectedDownload, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
//!
//! struct Db;
//! impl Db {
//!     async fn invoice(&self, id: u32) -> Option<String> {
//!         (id == 7).then(|| format!("invoice {id}: 42 EUR\n"))
//!     }
//! }
//!
//! #[derive(VirtualDownloadView)]
//! #[download(mimetype = "text/plain")]
//! struct Invoice {
//!     id: u32,
//!     text: Option<String>,
//! }
//!
//! impl GetFile for Invoice {
//!     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//!         let text = self.text.clone().ok_or(DownloadError::NotFound)?;
//!         Ok(VirtualFile::from(text).with_name(format!("invoice-{}.txt", self.id)))
//!     }
//! }
//!
//! async fn invoice(db: web::Data<Db>, id: web::Path<u32>) -> Invoice {
//!     let id = id.into_inner();
//!     Invoice { id, text: db.invoice(id).await }
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let app = App::new()
//!     .app_data(web::Data::new(Db))
//!     .route("/invoices/{id}", web::get().to(invoice));
//! let app = test::init_service(app).await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/invoices/7").to_request()).await;
//! ExpectedDownload::new()
//!     .basename("invoice-7.txt")
//!     .content("invoice 7: 42 EUR\n")
//!     .assert_service_response(res)
//!     .await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/invoices/8").to_request()).await;
//! assert_eq!(res.status(), 404);
//! # });
//! ```
//!
//! Async work that produces the *body* itself belongs in a
//! [`VirtualFile::from_stream`] source, which only runs when the body is sent.
//!
//! # Per-request options
//!
//! The attributes are defaults. Each has a provided method of [`GetFile`] to
//! override, as Django users override `get_basename()`; see [`GetFile`] for an
//! example taking the basename from the path.
//!
//! # Errors
//!
//! `get_file` returns a [`DownloadError`]: [`DownloadError::NotFound`]
//! (Django's `FileNotFound`) answers 404, an [`actix_web::Error`] keeps its own
//! status, anything else is a logged 500 whose body reveals nothing.
//!
//! # Testing
//!
//! [`test::ExpectedDownload`] is Django's `assert_download_response`: basename
//! (both encodings), content type, MIME type, attachment flag and body,
//! checked in one call that lists every mismatch.
//!
//! # Checked at compile time
//!
//! The derive checks the attribute and reports every mistake in one build,
//! each at the offending token: an unknown key (naming the valid key it is a
//! likely misspelling of, `attachement` → `attachment`, and listing them all), a
//! duplicate key, a value of the wrong kind, a `mimetype` that is not a MIME
//! type, a basename that is empty or holds `/`, `\` or a control character, a
//! `charset` or `encoding` that is not an HTTP token, a `cache_control` with a
//! control character, a `send_timeout` that is not a whole number of seconds
//! (no `"60"`, `1.5`, `60s` or `60u32`; at most `u64::MAX`). For example, a
//! basename is a file name, not a path:
//!
//! ```compile_fail
//! # use actix_web::HttpRequest;
//! # use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
//! #[derive(VirtualDownloadView, Default)]
//! #[download(basename = "reports/2024.csv")] // error: basename must not contain `/`
//! struct Report;
//! # impl GetFile for Report {
//! #     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//! #         Ok(VirtualFile::from_static(b""))
//! #     }
//! # }
//! ```
//!
//! A view must implement [`GetFile`]; the error names the trait, at the
//! type's name:
//!
//! ```compile_fail,E0277
//! use downloadview::VirtualDownloadView;
//!
//! #[derive(VirtualDownloadView, Default)] // error: `Hello` does not implement `downloadview::GetFile`
//! struct Hello;
//! ```
//!
//! `route()` builds the view with `Default::default()` for each request, so a
//! view without `Default` compiles but has no usable `route()`: return it from
//! a handler instead (see *Async data* above).
//!
//! ```compile_fail,E0277
//! # use actix_web::{App, HttpRequest};
//! # use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
//! #[derive(VirtualDownloadView)]
//! struct Report {
//!     id: u32,
//! }
//! # impl GetFile for Report {
//! #     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//! #         Ok(VirtualFile::from(self.id.to_string()))
//! #     }
//! # }
//! // error: `Report::route()` needs a view that is `Default + 'static`
//! let _ = App::new().route("/report/", Report::route());
//! ```
//!
//! The derive adds an inherent `route()` to the type, so a type that already
//! has its own inherent `route` cannot derive (rename yours):
//!
//! ```compile_fail,E0592
//! # use actix_web::HttpRequest;
//! # use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
//! #[derive(VirtualDownloadView, Default)]
//! struct Hello;
//!
//! impl Hello {
//!     fn route() -> &'static str { "/hello/" } // error: duplicate definitions with name `route`
//! }
//! # impl GetFile for Hello {
//! #     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//! #         Ok(VirtualFile::from_static(b""))
//! #     }
//! # }
//! ```
//!
//! # Examples
//!
//! The repository's `examples/` are small, runnable and tested over HTTP:
//! `demo.rs` (every source, `cargo run --example demo`), `csv_export.rs`
//! (the `csv` crate writing rows), `async_data.rs` (data fetched in the
//! handler from `web::Data`), `per_request_basename.rs` (`get_basename`
//! overridden), `inline_pdf.rs` (`attachment = false`),
//! `database_export.rs` (a SQLite table as CSV), `request_spans.rs`
//! (`tracing`) and `metrics.rs` (Prometheus).
//!
//! # Options
//!
//! | attribute | type | default | overridable method |
//! |---|---|---|---|
//! | `basename` | string | the file's name | [`GetFile::get_basename`] |
//! | `attachment` | bool | `true` | [`GetFile::attachment`] |
//! | `mimetype` | MIME string | the file's, else guessed | [`GetFile::get_mimetype`] |
//! | `encoding` | token | none | [`GetFile::get_encoding`] |
//! | `charset` | token | `utf-8` | [`GetFile::get_charset`] |
//! | `cache_control` | string | none | [`GetFile::cache_control`] |
//! | `buffering` | bool | `true` | [`GetFile::buffering`] |
//! | `send_timeout` | whole seconds | `60` (`0`: never) | [`GetFile::send_timeout`] |
//! | `max_ranges` | whole number | `16` (`0`: no Range) | [`GetFile::max_ranges`] |
//! | `signed` | bool | `false` | [`GetFile::signed`] |
//! | `limit_rate` | bytes a second | `0` (no limit) | [`GetFile::limit_rate`] |
//! | `limit_rate_after` | bytes | `0` | [`GetFile::limit_rate_after`] |
//!
//! `send_timeout` is nginx's, with its default: a download whose client has
//! taken no body byte for that long is abandoned, its producer stopped and
//! dropped, and reported [`Outcome::ClientGone`]. `limit_rate` and
//! `limit_rate_after` are nginx's too: the first `limit_rate_after` bytes
//! go at full speed, the rest at no more than `limit_rate` bytes a second
//! counted from the start of the response, paced on the worker's timer for
//! every source (no thread, no buffer of its own; a paced download is not a
//! stalled one).
//!
//! # Sources
//!
//! See [`VirtualFile`]: in-memory bytes and text, readers, iterators,
//! offset-aware generators, writer closures, async streams, `AsyncRead`s and
//! async writers. Blocking sources never run on an actix worker, and every
//! body is sent in bounded memory.
//!
//! # Archives
//!
//! [`VirtualFile::zip`] makes a zip of several virtual files, of any source
//! kind, itself a `VirtualFile` (django-downloadview's issue #15,
//! "ArchiveDownloadView"): stored, with an exact `Content-Length` when every
//! entry's size is known (HEAD costs nothing, even for 100 GiB), ZIP64 past
//! 4 GiB or 65,535 entries, Range and `curl -C -` resume when every entry can
//! serve ranges, and entry names that cannot unpack outside the archive's
//! folder, refused when it is built. See [`Archive`] for the details:
//! folders and Unix modes, CRCs in the local headers for streaming readers
//! such as Java's `ZipInputStream`, deflate.
//!
//! [`VirtualFile::tar`] (or [`Archive::tar`]) makes a tar of the same
//! entries, with the same guarantees: POSIX ustar with pax headers, an exact
//! length (every entry's size must be known), Range and resume, and a range
//! that runs only the entries it overlaps; `Archive::tar_gz` compresses it
//! (feature `deflate`).
//!
//! ```
//! use actix_web::HttpRequest;
//! use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
//!
//! #[derive(VirtualDownloadView, Default)]
//! #[download(basename = "photos.zip")]
//! struct Photos;
//!
//! impl GetFile for Photos {
//!     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//!         let photos = (1..=3).map(|i| {
//!             (format!("2024/photo-{i}.jpg"), VirtualFile::from(vec![0xFF_u8; 1000 * i]))
//!         });
//!         Ok(VirtualFile::zip(photos)?)
//!     }
//! }
//! # let _ = actix_web::App::new().route("/photos.zip", Photos::route());
//! ```
//!
//! # Slow and stalled clients
//!
//! A download costs about what its connection costs, whatever the client
//! does: a client that stops reading (a slow mobile network, a paused
//! browser download, an attacker) holds no thread of a pull source and never
//! a share of the blocking pool that `web::block` needs.
//!
//! - Readers, iterators and generators are *pulled*: a bounded step at a time
//!   on the blocking pool, only when the response wants bytes. A stalled
//!   client holds no thread, and one window of bytes: 32 KiB (or one item of
//!   up to 64 KiB) for a client that stalls early; the window grows to 2 MiB
//!   for a client that keeps up (after its first 4.5 MiB), so fast downloads
//!   cost few hand-overs. Few, not none: a step is a hand-over to a pool
//!   thread and back (two context switches), about 110 of them for 64 MiB
//!   of 64 KiB items, and one fast download over loopback on a core shared
//!   with the worker measured within a few percent of a hand-written
//!   `HttpResponse::streaming` of the same chunks (`bench/RESULTS.md`).
//!   Content that never blocks (computed, or held in memory) does not need
//!   the pool: given as an async source
//!   ([`VirtualFile::from_async_generator`], [`VirtualFile::from_stream`])
//!   it runs on the worker, measured at the hand-written stream's speed.
//! - Writer closures cannot be paused: each runs on a writer thread of
//!   downloadview's own (512 KiB stack, of which a writer touches a few KiB;
//!   up to 10,000 at once, more wait their turn) and waits while its window
//!   is full.
//! - Async sources run on the worker and need no thread.
//! - [`GetFile::send_timeout`] (60 s by default, as nginx's): a download
//!   whose client has taken no body byte for that long is abandoned: its
//!   producer is stopped and dropped (a writer's thread released), the
//!   report says [`Outcome::ClientGone`] with the reason, and the connection
//!   is aborted at the next chance (when actix-web next polls the body, or
//!   drops it). Time spent waiting for a slow *source* does not count.
//!
//! `bench/RESULTS.md` has what 1,000 stalled clients cost per source kind.
//!
//! # Knowing what happened to a download
//!
//! Every response reports how it ended, exactly once, when it is over: a
//! [`DownloadReport`] with its [`Outcome`] (`Completed`, `ClientGone`,
//! `SourceFailed`), the bytes handed over (per range for a 206), the declared
//! size, the time to first byte and the duration. It goes to
//! [`GetFile::on_download`], which by default logs one grep-able line
//! (target `downloadview::download`):
//!
//! ```text
//! download method=GET path=/big/ status=200 outcome=client_gone bytes=1048576 size=67108864 ttfb_ms=0.2 ms=12.5 basename=big.bin
//! ```
//!
//! The hook runs where the response ends, on the actix worker that served it
//! (no thread of downloadview's own, no queue), so it must be quick, as a
//! logger is: hand slow work on. A hook that panics is caught and logged.
//! Views are `Send + 'static`: they are kept until their response ends.
//! Override `on_download` to count, audit or alert (see its example).
//!
//! A failing source is reported once, by its report. actix-http, which
//! aborts the connection, also writes its own `Response payload stream
//! error` line at error level (target `actix_http::h1::dispatcher`, or
//! `actix_http::h2::dispatcher`), which downloadview cannot prevent: to
//! count each failure once, drop that target in your filter, e.g.
//! `RUST_LOG=info,actix_http::h1::dispatcher=off`.
//!
//! # Features
//!
//! All off by default; a default build adds no crate to an actix-web app
//! beyond downloadview's own few.
//!
//! - **`tracing`**: with a `tracing` subscriber installed, the default report
//!   is a structured event (target `downloadview::download`, message
//!   `download`, fields `outcome`, `status`, `method`, `path`, `bytes`,
//!   `size`, `ttfb_ms`, `duration_ms`, `basename`, `ranges`, `error`)
//!   emitted inside the span that was current when the response was
//!   created: with tracing-actix-web, the request's root span, so it carries
//!   the request id. That span is also entered around the view's code that
//!   runs elsewhere: pull steps, writer closures, async sources, archive
//!   entries and `on_download`. The repository's
//!   `examples/request_spans.rs` shows it with JSON output.
//! - **`metrics`**: downloads by outcome and status, bytes sent, duration and
//!   time-to-first-byte histograms, downloads in flight, abandoned stalled
//!   downloads and writer threads in use, through the `metrics` facade
//!   (`describe_metrics` lists them; `examples/metrics.rs` serves them to
//!   Prometheus).
//! - **`csv`**: `VirtualFile::from_csv`, `from_try_csv` and
//!   `from_csv_stream`, serde records as a `text/csv` body with a header
//!   row, serialized a bounded step at a time (`docs/databases.md` in the
//!   repository maps database drivers to them).
//! - **`deflate`**: compressed archive entries, and gzip-compressed tars
//!   (see [`Archive`]).
//! - **`signed`**: signed, expiring download links, django-downloadview's
//!   `signature_required`: `SigningKeys` signs a path and query
//!   (HMAC-SHA-256, key rotation), views with `#[download(signed = true)]`
//!   and handlers that take a `SignedLink` answer 403 to a missing, wrong or
//!   expired signature before any of the view's code runs
//!   (`docs/signed-links.md` in the repository: the format, the checks,
//!   and moving links from Django).
//!
//! # Conditional requests and ranges
//!
//! Give the file validators with [`VirtualFile::with_etag`] (strong or weak,
//! never invented) and [`VirtualFile::with_last_modified`]; they are sent as
//! `ETag` and `Last-Modified`. Preconditions are evaluated in the order of
//! RFC 9110 §13.2.2, before any body byte is produced:
//!
//! 1. `If-Match` (strong comparison, `*`, lists) fails → 412;
//! 2. else `If-Unmodified-Since` earlier than `Last-Modified` → 412;
//! 3. `If-None-Match` (weak comparison) matches → 304 for GET and HEAD, 412
//!    for other methods;
//! 4. else `If-Modified-Since` → 304 when [`GetFile::was_modified_since`] (Django's
//!    hook) says the file was not modified;
//! 5. then `Range`, if `If-Range` (a strong ETag or the exact `Last-Modified`
//!    date) allows it.
//!
//! Unparseable dates are ignored; malformed entity tags match nothing. A 304
//! carries `ETag`, `Last-Modified` and `Cache-Control` only; 412 and 416 have
//! an empty body. HEAD, 304, 412 and 416 never run the body source.
//!
//! Range requests (RFC 9110 §14) are served, for GET only, from in-memory
//! content, seekable readers and offset-aware generators
//! ([`VirtualFile::from_generator`]), which also advertise
//! `Accept-Ranges: bytes`. One range gives a 206 with `Content-Range`; several
//! give a `multipart/byteranges` 206 with an exact `Content-Length`, a random
//! boundary, and parts streamed from the source (seeking, or restarting the
//! generator, at each part). Overlapping and adjacent ranges are coalesced.
//! Abuse guards: more than [`GetFile::max_ranges`] ranges (default 16; `0`
//! turns ranges off), or ranges adding up to more than the file, get the full
//! 200; so do syntax errors, other units, HEAD and empty files. A range that
//! starts past the end, or `bytes=-0`, gives 416 with `Content-Range: bytes */N`.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use actix_web::{http::{header::EntityTag, StatusCode}, test::TestRequest, HttpRequest};
//! use downloadview::{respond, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
//!
//! #[derive(VirtualDownloadView)]
//! #[download(basename = "hello-world.txt")]
//! struct Versioned;
//!
//! impl GetFile for Versioned {
//!     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
//!         Ok(VirtualFile::from_static(b"Hello world!\n")
//!             .with_etag(EntityTag::new_strong("hello-v1".into()))
//!             .with_last_modified(UNIX_EPOCH + Duration::from_secs(1_700_000_000)))
//!     }
//! }
//!
//! let req = TestRequest::get().insert_header(("If-None-Match", "\"hello-v1\"")).to_http_request();
//! assert_eq!(respond(Versioned, &req).status(), StatusCode::NOT_MODIFIED);
//!
//! let req = TestRequest::get().insert_header(("Range", "bytes=0-4")).to_http_request();
//! let res = respond(Versioned, &req);
//! assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
//! assert_eq!(res.headers().get("content-range").unwrap(), "bytes 0-4/13");
//! ```
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

mod archive;
mod assemble;
mod async_read;
mod async_seek;
mod body;
mod chunk;
mod conditional;
mod content_type;
#[cfg(feature = "csv")]
mod csv_body;
mod disposition;
mod encoding;
mod error;
mod file;
mod memo;
mod meter;
mod multipart;
mod options;
mod parts;
mod plan;
#[cfg(test)]
mod proptests;
mod range;
mod rate;
pub mod report;
mod reread;
mod response;
mod route;
#[cfg(feature = "signed")]
mod signed;
mod sink;
mod tar;
pub mod test;
mod timeout;
mod trace;
mod view;
mod writer_pool;
mod zip;

#[doc(hidden)]
pub mod __private;

/// The example the README (the crate's registry page) opens with, run as a
/// doctest so that it keeps compiling.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Derives a download view: [`ViewOptions`] from `#[download(...)]`,
/// [`actix_web::Responder`], and an inherent `route()` serving GET and HEAD
/// for views that are `Default` (see [`route()`]).
///
/// The type — a struct of any shape or an enum, with any generics, lifetimes
/// and where-clauses — must also implement [`GetFile`]. Every key of
/// `#[download(...)]` is optional, and several attributes add up:
///
/// ```
/// use actix_web::{App, HttpRequest};
/// use downloadview::{DownloadError, GetFile, ViewOptions, VirtualDownloadView, VirtualFile};
///
/// #[derive(VirtualDownloadView, Default)]
/// #[download(
///     basename = "report.csv",       // the client-side file name
///     attachment = true,             // `false` for `inline`
///     mimetype = "text/csv",         // a MIME type
///     charset = "utf-8",             // appended to text/* types only
///     cache_control = "no-store",    // sent verbatim
///     buffering = false,             // `X-Accel-Buffering: no`
///     send_timeout = 300,            // seconds a stalled client is waited for
///     max_ranges = 4,                // ranges per request; `0` turns Range off
///     signed = false,                // `true`: signed links only (feature `signed`)
///     limit_rate = 0,                // bytes a second; `0`: no limit
///     limit_rate_after = 0,          // bytes at full speed first
/// )]
/// #[download(encoding = "identity")] // `Content-Encoding`, when the content is encoded
/// struct Report;
///
/// impl GetFile for Report {
///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
///         Ok(VirtualFile::from_static(b"id,total\n1,42\n"))
///     }
/// }
///
/// assert_eq!(Report::OPTIONS.basename, Some("report.csv"));
/// assert_eq!(Report::OPTIONS.send_timeout, 300);
/// assert_eq!(Report::OPTIONS.max_ranges, 4);
/// let app = App::new().route("/report.csv", Report::route());
/// # let _ = app;
/// ```
///
/// Mistakes are compile errors at the offending token, all reported in one
/// build; here, an unknown key and a value of the wrong kind:
///
/// ```compile_fail
/// # use actix_web::HttpRequest;
/// # use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
/// #[derive(VirtualDownloadView, Default)]
/// #[download(filename = "report.csv", attachment = "yes")]
/// struct Report;
/// # impl GetFile for Report {
/// #     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
/// #         Ok(VirtualFile::from_static(b""))
/// #     }
/// # }
/// ```
///
/// Unions are rejected, and the values must be literals (not `const`s).
pub use downloadview_derive::VirtualDownloadView;

pub use crate::{
    archive::{Archive, ArchiveError},
    body::DownloadBody,
    disposition::content_disposition,
    error::DownloadError,
    file::VirtualFile,
    options::DownloadOptions,
    report::{DownloadReport, Outcome},
    response::respond,
    route::{get_or_head, route},
    sink::AsyncSink,
    view::{GetFile, ViewOptions},
    writer_pool::{set_max_writer_threads, DEFAULT_MAX_WRITER_THREADS},
};

#[cfg(feature = "metrics")]
pub use crate::meter::describe_metrics;
#[cfg(feature = "signed")]
pub use crate::signed::{
    KeyError, LinkError, SignError, SignedLink, SigningKeys, CLOCK_SKEW, EXPIRES_PARAM,
    MAX_LIFETIME, MIN_KEY_LEN, SIGNATURE_PARAM,
};
