// A view is kept until its response ends and its report hook runs on the
// reporter thread, so it must be `Send`: the error points at the type.
use std::rc::Rc;

use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView)]
struct View {
    shared: Rc<str>,
}

impl GetFile for View {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(self.shared.to_string()))
    }
}

fn main() {}
