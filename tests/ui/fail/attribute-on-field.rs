use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView)]
struct Report {
    #[download(basename = "report.csv")]
    id: u32,
}

#[derive(VirtualDownloadView)]
enum Export {
    #[download(mimetype = "text/csv")]
    Csv,
}

impl GetFile for Report {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(self.id.to_string()))
    }
}

impl GetFile for Export {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"a,b\n"))
    }
}

fn main() {}
