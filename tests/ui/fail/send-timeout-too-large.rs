// One more than `u64::MAX` seconds.
use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView)]
#[download(send_timeout = 18446744073709551616)]
struct View;

impl GetFile for View {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }
}

fn main() {}
