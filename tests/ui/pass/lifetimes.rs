// A view borrowing data: it is a `Responder` (returned from a handler with
// `'static` data), even though `route()` needs `'static`.
use actix_web::{web, App, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView)]
#[download(mimetype = "text/plain")]
struct Borrowed<'a> {
    text: &'a str,
}

impl GetFile for Borrowed<'_> {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(self.text.to_owned()).with_name("borrowed.txt"))
    }
}

static GREETING: &str = "Hello world!\n";

fn main() {
    let _ = App::new().route("/", web::get().to(|| async { Borrowed { text: GREETING } }));
}
