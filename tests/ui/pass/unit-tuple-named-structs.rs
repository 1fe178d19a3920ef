// The three struct shapes.
use actix_web::{web, App, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView, Default)]
#[download(basename = "unit.txt")]
struct Unit;

#[derive(VirtualDownloadView, Default)]
#[download(basename = "tuple.txt")]
struct Tuple(String, u8);

#[derive(VirtualDownloadView, Default)]
#[download(basename = "named.txt")]
struct Named {
    text: String,
}

impl GetFile for Unit {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"unit\n"))
    }
}

impl GetFile for Tuple {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(format!("{} {}\n", self.0, self.1)))
    }
}

impl GetFile for Named {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(self.text.clone()))
    }
}

fn main() {
    let _ = App::new()
        .route("/unit/", Unit::route())
        .route("/tuple/", Tuple::route())
        .route("/named/", Named::route())
        .route("/built/", web::get().to(|| async { Named { text: "hi".into() } }));
}
