// Every provided method overridden, for per-request values.
use std::{borrow::Cow, time::SystemTime};

use actix_web::{App, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView, Default)]
struct View;

impl GetFile for View {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }
    fn get_basename(&self, req: &HttpRequest) -> Option<Cow<'static, str>> {
        Some(Cow::Owned(format!("{}.txt", req.path().trim_matches('/'))))
    }
    fn attachment(&self, req: &HttpRequest) -> bool {
        req.query_string() != "inline"
    }
    fn get_mimetype(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
        Some(Cow::Borrowed("text/plain"))
    }
    fn get_encoding(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
        None
    }
    fn get_charset(&self, _req: &HttpRequest) -> Cow<'static, str> {
        Cow::Borrowed("utf-8")
    }
    fn cache_control(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
        Some(Cow::Borrowed("no-cache"))
    }
    fn was_modified_since(&self, _file: &VirtualFile, _since: SystemTime) -> bool {
        true
    }
}

fn main() {
    let _ = App::new().route("/{name}", View::route());
}
