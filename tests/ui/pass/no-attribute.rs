// No `#[download]` at all: every option keeps its default.
use actix_web::HttpRequest;
use downloadview::{DownloadError, DownloadOptions, GetFile, ViewOptions, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView, Default)]
struct View;

impl GetFile for View {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n").with_name("hello-world.txt"))
    }
}

fn main() {
    assert_eq!(View::OPTIONS, DownloadOptions::new());
}
