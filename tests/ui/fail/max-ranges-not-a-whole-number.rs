use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView)]
#[download(max_ranges = "4")]
struct Quoted;

#[derive(VirtualDownloadView)]
#[download(max_ranges = -1)]
struct Negative;

#[derive(VirtualDownloadView)]
#[download(max_ranges = 1.5)]
struct Fraction;

macro_rules! file {
    ($($view:ident),*) => {$(
        impl GetFile for $view {
            fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
                Ok(VirtualFile::from_static(b"Hello world!\n"))
            }
        }
    )*};
}
file!(Quoted, Negative, Fraction);

fn main() {}
