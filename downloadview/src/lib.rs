//! django-downloadview's `VirtualDownloadView` for actix-web 4: serve content
//! that does not live on disk — text built in memory, a reader, generated or
//! streamed bytes — as a proper HTTP download.
//!
//! Derive [`VirtualDownloadView`] on a struct, set the options as attributes,
//! write [`GetFile::get_file`], and register the view:
//!
//! ```
//! use actix_web::{web, App, HttpRequest};
//! use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
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
//!     .route("/report/{id}", web::get().to(|id: web::Path<u32>| async move { Report { id: *id } }));
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
//!
//! # Sources
//!
//! See [`VirtualFile`]: in-memory bytes and text, readers, iterators, writer
//! closures and async streams. Blocking sources run on the blocking pool, never
//! on an actix worker, and every body is sent in bounded memory.
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

mod body;
mod conditional;
mod content_type;
mod disposition;
mod encoding;
mod error;
mod file;
mod multipart;
mod options;
mod plan;
#[cfg(test)]
mod proptests;
mod range;
mod response;
mod route;
pub mod test;
mod view;

#[doc(hidden)]
pub mod __private;

pub use downloadview_derive::VirtualDownloadView;

pub use crate::{
    body::DownloadBody,
    disposition::content_disposition,
    error::DownloadError,
    file::VirtualFile,
    options::DownloadOptions,
    response::respond,
    route::route,
    view::{GetFile, ViewOptions},
};
