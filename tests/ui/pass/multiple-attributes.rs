// Several `#[download]` attributes add up, as if written in one.
use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, ViewOptions, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView, Default)]
#[download(basename = "report.csv")]
#[download(mimetype = "text/csv")]
#[download(attachment = true, cache_control = "no-store")]
struct View;

impl GetFile for View {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"id\n1\n"))
    }
}

fn main() {
    assert_eq!(View::OPTIONS.basename, Some("report.csv"));
    assert_eq!(View::OPTIONS.mimetype, Some("text/csv"));
    assert!(View::OPTIONS.attachment);
    assert_eq!(View::OPTIONS.cache_control, Some("no-store"));
}
