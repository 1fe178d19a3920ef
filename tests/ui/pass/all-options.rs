// Every key, each with a value of the right kind.
use actix_web::HttpRequest;
use downloadview::{DownloadError, DownloadOptions, GetFile, ViewOptions, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView, Default)]
#[download(
    basename = "café résumé.txt",
    attachment = false,
    mimetype = "text/plain",
    encoding = "gzip",
    charset = "iso-8859-1",
    cache_control = "private, max-age=60",
    buffering = false,
    send_timeout = 300,
)]
struct View;

impl GetFile for View {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }
}

fn main() {
    const EXPECTED: DownloadOptions = DownloadOptions::new()
        .basename("café résumé.txt")
        .attachment(false)
        .mimetype("text/plain")
        .encoding("gzip")
        .charset("iso-8859-1")
        .cache_control("private, max-age=60")
        .buffering(false)
        .send_timeout(300);
    assert_eq!(View::OPTIONS, EXPECTED);
    let _ = View::route();
}
