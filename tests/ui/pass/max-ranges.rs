// `max_ranges` in every form it accepts: a plain number, `usize`-suffixed,
// `0` (Range support off) and the largest, `u32::MAX`; the option reaches
// the `GetFile` method and the response.
use actix_web::{http::StatusCode, test::TestRequest, HttpRequest};
use downloadview::{respond, DownloadError, GetFile, ViewOptions, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView, Default)]
#[download(max_ranges = 2)]
struct Two;

#[derive(VirtualDownloadView, Default)]
#[download(max_ranges = 8usize)]
struct Suffixed;

#[derive(VirtualDownloadView, Default)]
#[download(max_ranges = 0)]
struct Off;

#[derive(VirtualDownloadView, Default)]
struct Unset;

#[derive(VirtualDownloadView, Default)]
#[download(max_ranges = 4294967295)]
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
impl_get_file!(Two, Suffixed, Off, Unset, Largest);

fn main() {
    let req = TestRequest::get().to_http_request();
    assert_eq!(Two::OPTIONS.max_ranges, 2);
    assert_eq!(Two.max_ranges(&req), 2);
    assert_eq!(Suffixed.max_ranges(&req), 8);
    assert_eq!(Off.max_ranges(&req), 0);
    assert_eq!(Unset::OPTIONS.max_ranges, 16, "the default");
    assert_eq!(Largest.max_ranges(&req), 4_294_967_295);

    let ranged = |ranges: &str| {
        TestRequest::get()
            .insert_header(("Range", ranges))
            .to_http_request()
    };
    // Two ranges are served by `Two`; three get the full 200.
    let res = respond(Two, &ranged("bytes=0-1,4-5"));
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    let res = respond(Two, &ranged("bytes=0-1,4-5,8-9"));
    assert_eq!(res.status(), StatusCode::OK);
    // `0`: no Range support, and none advertised.
    let res = respond(Off, &ranged("bytes=0-1"));
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("accept-ranges").is_none());
    let res = respond(Unset, &ranged("bytes=0-1"));
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.headers().get("accept-ranges").unwrap(), "bytes");
}
