//! The downloadview demo: django-downloadview's `VirtualDownloadView` demo in
//! actix-web, and more.
//!
//! ```text
//! cargo run --example demo            # http://127.0.0.1:8000/
//! DEMO_ADDR=0.0.0.0:9000 cargo run --example demo
//! ```
//!
//! Every route is listed, with a line on what it shows, at `/`.

use std::{borrow::Cow, io::Cursor};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

const HELLO: &[u8] = b"Hello world!\n";

/// `/text/`: bytes in memory, like Django's `ContentFile` demo.
#[derive(VirtualDownloadView, Default)]
pub struct TextDownloadView;

impl GetFile for TextDownloadView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(HELLO).with_name("hello-world.txt"))
    }
}

/// `/stringio/`: a reader over a `String`, like Django's `StringIO` demo.
#[derive(VirtualDownloadView, Default)]
pub struct StringIODownloadView;

impl GetFile for StringIODownloadView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let text = String::from("Hello world!\n");
        Ok(VirtualFile::from_seekable_reader(Cursor::new(text))?.with_name("hello-world.txt"))
    }
}

/// `/generated/`: an iterator, like Django's `BytesIteratorIO(generator)` demo.
#[derive(VirtualDownloadView, Default)]
pub struct GeneratedDownloadView;

impl GetFile for GeneratedDownloadView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_iter(["Hello ", "world!", "\n"]).with_name("hello-world.txt"))
    }
}

/// `/inline/`: `/text/` displayed in the browser instead of downloaded.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "hello-world.txt", attachment = false)]
pub struct InlineDownloadView;

impl GetFile for InlineDownloadView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(HELLO))
    }
}

/// `/unicode/`: a non-ASCII basename, sent in both encodings.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "café résumé.txt")]
pub struct UnicodeDownloadView;

impl GetFile for UnicodeDownloadView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(HELLO))
    }
}

/// `/named/{name}`: the basename comes from the request (an overridden `get_basename`).
#[derive(VirtualDownloadView, Default)]
#[download(mimetype = "text/plain")]
pub struct NamedDownloadView;

impl GetFile for NamedDownloadView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(HELLO))
    }

    fn get_basename(&self, req: &HttpRequest) -> Option<Cow<'static, str>> {
        req.match_info()
            .get("name")
            .map(|name| Cow::Owned(name.to_owned()))
    }
}

/// `/missing/`: `get_file` answers `NotFound`, hence 404.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "missing.txt")]
pub struct MissingDownloadView;

impl GetFile for MissingDownloadView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Err(DownloadError::NotFound)
    }
}

/// The routes of the demo, with a line each for the index page.
pub const ROUTES: &[(&str, &str)] = &[
    (
        "/text/",
        "bytes in memory, like Django's ContentFile demo: Hello world!",
    ),
    (
        "/stringio/",
        "a Read source (a Cursor over a String), like the StringIO demo",
    ),
    (
        "/generated/",
        "an iterator yielding \"Hello \", \"world!\", \"\\n\": size unknown, sent chunked",
    ),
    (
        "/inline/",
        "/text/ with attachment = false: shown in the browser, named hello-world.txt",
    ),
    (
        "/unicode/",
        "/text/ served as café résumé.txt (ASCII fallback plus filename*)",
    ),
    (
        "/named/any%20name.txt",
        "/text/ served under the name taken from the path (get_basename overridden)",
    ),
    ("/missing/", "get_file answers NotFound: 404"),
];

async fn index() -> HttpResponse {
    let mut html = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>downloadview demo</title></head>\n<body>\n<h1>downloadview demo</h1>\n<p>Files that do not live on disk, served as downloads by <code>#[derive(VirtualDownloadView)]</code>.</p>\n<ul>\n",
    );
    for (path, what) in ROUTES {
        let what = what.replace('&', "&amp;").replace('<', "&lt;");
        html.push_str(&format!(
            "<li><a href=\"{path}\"><code>{path}</code></a>: {what}</li>\n"
        ));
    }
    html.push_str("</ul>\n</body></html>\n");
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html)
}

/// Registers every demo route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/text/", TextDownloadView::route())
        .route("/stringio/", StringIODownloadView::route())
        .route("/generated/", GeneratedDownloadView::route())
        .route("/inline/", InlineDownloadView::route())
        .route("/unicode/", UnicodeDownloadView::route())
        .route("/named/{name}", NamedDownloadView::route())
        .route("/missing/", MissingDownloadView::route());
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let server = HttpServer::new(|| App::new().configure(configure))
        .bind(&addr)
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
    for bound in server.addrs() {
        println!("downloadview demo: serving on http://{bound}/");
    }
    server.run().await
}
