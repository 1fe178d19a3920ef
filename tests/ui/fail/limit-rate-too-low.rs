// A rate under 1 KiB/s is refused (0 means no limit); rates are whole
// numbers of bytes a second.
use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView)]
#[download(limit_rate = 100)]
struct Crawl;

#[derive(VirtualDownloadView)]
#[download(limit_rate = "1M", limit_rate_after = -1)]
struct Written;

impl GetFile for Crawl {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }
}

impl GetFile for Written {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }
}

fn main() {}
