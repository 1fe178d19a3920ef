// `send_timeout` in every form it accepts: a plain number, `u64`-suffixed,
// with separators, in hex, and `0` (never), which the method reports as `None`.
use std::time::Duration;

use actix_web::{test::TestRequest, HttpRequest};
use downloadview::{DownloadError, GetFile, ViewOptions, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView, Default)]
#[download(send_timeout = 300)]
struct Plain;

#[derive(VirtualDownloadView, Default)]
#[download(send_timeout = 90u64)]
struct Suffixed;

#[derive(VirtualDownloadView, Default)]
#[download(send_timeout = 86_400)]
struct Separated;

#[derive(VirtualDownloadView, Default)]
#[download(send_timeout = 0x3c)]
struct Hex;

#[derive(VirtualDownloadView, Default)]
#[download(send_timeout = 0)]
struct Never;

#[derive(VirtualDownloadView, Default)]
struct Unset;

#[derive(VirtualDownloadView, Default)]
#[download(send_timeout = 18446744073709551615)]
struct Largest;

macro_rules! impl_get_file {
    ($($view:ident),*) => {$(
        impl GetFile for $view {
            fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
                Ok(VirtualFile::from_static(b"Hello world!\n"))
            }
        }
    )*};
}
impl_get_file!(Plain, Suffixed, Separated, Hex, Never, Unset, Largest);

fn main() {
    let req = TestRequest::get().to_http_request();
    assert_eq!(Plain::OPTIONS.send_timeout, 300);
    assert_eq!(Plain.send_timeout(&req), Some(Duration::from_secs(300)));
    assert_eq!(Suffixed.send_timeout(&req), Some(Duration::from_secs(90)));
    assert_eq!(Separated.send_timeout(&req), Some(Duration::from_secs(86_400)));
    assert_eq!(Hex.send_timeout(&req), Some(Duration::from_secs(60)));
    assert_eq!(Never::OPTIONS.send_timeout, 0);
    assert_eq!(Never.send_timeout(&req), None);
    assert_eq!(Unset::OPTIONS.send_timeout, 60, "nginx's default");
    assert_eq!(Unset.send_timeout(&req), Some(Duration::from_secs(60)));
    assert_eq!(Largest.send_timeout(&req), Some(Duration::from_secs(u64::MAX)));
}
