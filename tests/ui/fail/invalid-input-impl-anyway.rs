use actix_web::{web, App, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

// The attribute is wrong, but the type still gets its impls: the only error
// is the attribute's, not "`View` is not a Responder" at every use.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "")]
struct View;

impl GetFile for View {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }
}

fn main() {
    let _ = App::new()
        .route("/", View::route())
        .route("/again/", web::get().to(|| async { View }));
}
