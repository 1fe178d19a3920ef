use actix_web::{App, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

// Fields filled by a handler: no `Default`, so no `route()`.
#[derive(VirtualDownloadView)]
#[download(mimetype = "text/csv")]
struct Report {
    id: u32,
}

impl GetFile for Report {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(format!("id\n{}\n", self.id)))
    }
}

fn main() {
    let _ = App::new().route("/report/", Report::route());
}
