//! Names the derive's expansion uses. Not public API: no semver guarantees.

pub use actix_web::{HttpRequest, HttpResponse, Responder, Route};

pub use crate::{route, DownloadBody, DownloadOptions, GetFile, ViewOptions};

/// What the derived `Responder` calls. A wrapper of [`crate::respond`] so that
/// the note of a missing-`GetFile` error points here, at a signature that only
/// changes with the derive, and not at the runtime's `respond`.
pub fn respond<V: GetFile + Send + 'static>(
    view: V,
    req: &HttpRequest,
) -> HttpResponse<DownloadBody> {
    crate::respond(view, req)
}

/// What the derived `route()` needs: a view it can build for every request.
/// Its only purpose is the message when a view is not `Default`.
#[diagnostic::on_unimplemented(
    message = "`{Self}::route()` needs a view that is `Default + Send + 'static`",
    label = "`route()` builds `{Self}` with `Default::default()` for every request",
    note = "derive or implement `Default` for `{Self}`, or, for a view with fields, register a handler that builds it: `web::get().to(|id: web::Path<u32>| async move {{ View {{ id: *id }} }})`"
)]
pub trait DefaultView: Default + GetFile + Send + 'static {}

impl<T: Default + GetFile + Send + 'static> DefaultView for T {}
