// `signed` is `true` or `false`, written as a literal.
use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView)]
#[download(signed = "yes")]
struct Quoted;

#[derive(VirtualDownloadView)]
#[download(signed = 1)]
struct Number;

impl GetFile for Quoted {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }
}

impl GetFile for Number {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }
}

fn main() {}
