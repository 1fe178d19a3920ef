// Seconds are a plain number (or a `u64`): other suffixes, units
// included, are refused.
use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView)]
#[download(send_timeout = 60u32)]
struct Narrow;

#[derive(VirtualDownloadView)]
#[download(send_timeout = 60i64)]
struct Signed;

#[derive(VirtualDownloadView)]
#[download(send_timeout = 60s)]
struct Unit;

macro_rules! impl_get_file {
    ($($view:ident),*) => {$(
        impl GetFile for $view {
            fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
                Ok(VirtualFile::from_static(b"Hello world!\n"))
            }
        }
    )*};
}
impl_get_file!(Narrow, Signed, Unit);

fn main() {}
