// An enum: one view type, several kinds of file.
use actix_web::{web, App, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView)]
#[download(attachment = true)]
enum Export {
    Csv(Vec<u32>),
    Text { line: String },
    Missing,
}

impl GetFile for Export {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        match self {
            Export::Csv(ids) => Ok(VirtualFile::from(
                ids.iter().map(|id| format!("{id}\n")).collect::<String>(),
            )
            .with_name("ids.csv")),
            Export::Text { line } => Ok(VirtualFile::from(line.clone()).with_name("line.txt")),
            Export::Missing => Err(DownloadError::NotFound),
        }
    }
}

async fn export(kind: web::Path<String>) -> Export {
    match kind.as_str() {
        "csv" => Export::Csv(vec![1, 2, 3]),
        "text" => Export::Text { line: "hello".into() },
        _ => Export::Missing,
    }
}

fn main() {
    let _ = App::new().route("/export/{kind}", web::get().to(export));
}
