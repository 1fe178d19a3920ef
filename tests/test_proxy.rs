//! Headers for reverse proxies, over real HTTP: `#[download(buffering = false)]`
//! and `GetFile::buffering` send `X-Accel-Buffering: no` (nginx then forwards
//! the body as it is produced); the default sends nothing.

use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
use suite::serve;

#[derive(VirtualDownloadView, Default)]
#[download(buffering = false)]
struct Live;

impl GetFile for Live {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_iter(["tick\n", "tock\n"]).with_name("live.txt"))
    }
}

#[derive(VirtualDownloadView, Default)]
struct Buffered;

impl GetFile for Buffered {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"all at once\n").with_name("buffered.txt"))
    }
}

/// Per request: `?live` turns buffering off.
#[derive(VirtualDownloadView, Default)]
struct PerRequest;

impl GetFile for PerRequest {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"either\n").with_name("either.txt"))
    }

    fn buffering(&self, req: &HttpRequest) -> bool {
        req.query_string() != "live"
    }
}

#[test]
fn buffering_false_sends_x_accel_buffering_no() {
    let server = serve(|cfg| {
        cfg.route("/live/", Live::route())
            .route("/buffered/", Buffered::route())
            .route("/either/", PerRequest::route());
    });
    let live = server.get("/live/");
    assert_eq!(live.status, 200);
    assert!(live.complete && live.chunked);
    assert_eq!(live.text(), "tick\ntock\n");
    assert_eq!(live.headers_named("x-accel-buffering"), vec!["no"]);
    let head = server.head("/live/");
    assert_eq!(head.header("x-accel-buffering"), Some("no"), "HEAD as GET");

    let buffered = server.get("/buffered/");
    assert_eq!(buffered.status, 200);
    assert_eq!(
        buffered.header("x-accel-buffering"),
        None,
        "default: no header"
    );

    assert_eq!(
        server.get("/either/?live").header("x-accel-buffering"),
        Some("no")
    );
    assert_eq!(server.get("/either/").header("x-accel-buffering"), None);
}
