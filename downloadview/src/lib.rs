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
