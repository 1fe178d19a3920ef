//! Names the derive's expansion uses. Not public API: no semver guarantees.

pub use actix_web::{HttpRequest, HttpResponse, Responder, Route};

pub use crate::{respond, route, DownloadBody, DownloadOptions, GetFile, ViewOptions};
