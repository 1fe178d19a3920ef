// `send_timeout` is a whole number of seconds: not a string, a float, a
// bool, a negative number or a `const`.
use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

const TIMEOUT: u64 = 60;

#[derive(VirtualDownloadView)]
#[download(send_timeout = "60")]
struct Quoted;

#[derive(VirtualDownloadView)]
#[download(send_timeout = 1.5)]
struct Fractional;

#[derive(VirtualDownloadView)]
#[download(send_timeout = true)]
struct Boolean;

#[derive(VirtualDownloadView)]
#[download(send_timeout = -1)]
struct Negative;

#[derive(VirtualDownloadView)]
#[download(send_timeout = TIMEOUT)]
struct Constant;

macro_rules! impl_get_file {
    ($($view:ident),*) => {$(
        impl GetFile for $view {
            fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
                Ok(VirtualFile::from_static(b"Hello world!\n"))
            }
        }
    )*};
}
impl_get_file!(Quoted, Fractional, Boolean, Negative, Constant);

fn main() {}
