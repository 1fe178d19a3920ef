// A view without `Default` compiles (its `route()` is never called) and is
// returned from a handler that fills its fields.
use actix_web::{web, App, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView)]
#[download(mimetype = "text/csv")]
struct Report {
    id: u32,
}

impl GetFile for Report {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(format!("id\n{}\n", self.id)).with_name(format!("report-{}.csv", self.id)))
    }
}

async fn report(id: web::Path<u32>) -> Report {
    Report { id: *id }
}

fn main() {
    let _ = App::new()
        .route("/report/{id}", web::get().to(report))
        .route("/closure/{id}", web::get().to(|id: web::Path<u32>| async move { Report { id: *id } }));
}
