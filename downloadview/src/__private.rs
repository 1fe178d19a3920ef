//! Names the derive's expansion uses. Not public API: no semver guarantees.

pub use actix_web::{HttpRequest, HttpResponse, Responder, Route};

pub use crate::{respond, route, DownloadBody, DownloadOptions, GetFile, ViewOptions};

/// What the derived `route()` needs: a view it can build for every request.
/// Its only purpose is the message when a view is not `Default`.
#[diagnostic::on_unimplemented(
    message = "`{Self}::route()` needs a view that is `Default + 'static`",
    label = "`route()` builds `{Self}` with `Default::default()` for every request",
    note = "derive or implement `Default` for `{Self}`, or, for a view with fields, register a handler that builds it: `web::get().to(|id: web::Path<u32>| async move {{ View {{ id: *id }} }})`"
)]
pub trait DefaultView: Default + GetFile + 'static {}

impl<T: Default + GetFile + 'static> DefaultView for T {}
