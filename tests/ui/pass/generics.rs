// Type parameters, const generics and bounds written inline.
use std::fmt::Display;

use actix_web::{App, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView, Default)]
#[download(basename = "rows.txt")]
struct Rows<T: Display + Default, const N: usize> {
    row: T,
}

impl<T: Display + Default, const N: usize> GetFile for Rows<T, N> {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(format!("{}\n", self.row).repeat(N)))
    }
}

fn main() {
    let _ = App::new()
        .route("/u8/", Rows::<u8, 3>::route())
        .route("/string/", Rows::<String, 1>::route());
}
