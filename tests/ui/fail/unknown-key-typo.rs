// A key one or two letters (or an underscore) away from a valid one gets a
// suggestion; one far from all of them (`colour`) gets only the list.
use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView)]
#[download(attachement = false, basname = "a.txt", mime_type = "text/plain")]
#[download(cachecontrol = "no-store", sendtimeout = 60, colour = "red")]
struct View;

impl GetFile for View {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }
}

fn main() {}
