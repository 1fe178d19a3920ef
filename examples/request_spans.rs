//! Downloads traced in their request's span: `tracing`, `tracing-subscriber`'s
//! JSON output and `tracing-actix-web`, as most actix-web apps are
//! instrumented (feature `tracing`).
//!
//! ```text
//! cargo run --example request_spans    # then GET http://127.0.0.1:8000/report.csv
//! ```
//!
//! Every download ends with one `download` event (target
//! `downloadview::download`) carrying `outcome`, `status`, `bytes`,
//! `duration_ms`, … as fields, inside the request's root span: the JSON line
//! has the span's `request_id` and `http.target`. The writer closure below
//! runs on a writer thread, yet its `exporting` event is in the same span:
//! downloadview enters the request's span around every call into the view's
//! code that runs elsewhere (pull steps, writer closures, async sources,
//! archive entries, `on_download`).

use actix_web::{web, App, HttpRequest, HttpServer};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
use tracing_actix_web::TracingLogger;

/// `GET /report.csv`: rows written by a closure that logs as it goes.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "report.csv", mimetype = "text/csv")]
pub struct Report;

impl GetFile for Report {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_writer(|out| {
            tracing::info!(rows = 3, "exporting");
            for i in 1..=3 {
                writeln!(out, "{i},{}", i * i)?;
            }
            Ok(())
        }))
    }
}

/// `GET /broken.csv`: the database goes away after the first row.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "broken.csv", mimetype = "text/csv")]
pub struct Broken;

impl GetFile for Broken {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let rows = [
            Ok("1,1\n"),
            Err(std::io::Error::other("the database went away")),
        ];
        Ok(VirtualFile::from_try_iter(rows))
    }
}

/// `GET /endless.bin`: never ends; a client that stops reading for a
/// second is abandoned (`send_timeout`).
#[derive(VirtualDownloadView, Default)]
#[download(basename = "endless.bin", send_timeout = 1)]
pub struct Endless;

impl GetFile for Endless {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_iter(std::iter::repeat_with(|| {
            vec![b'x'; 16 * 1024]
        })))
    }
}

/// Registers the example's routes, each request in a `tracing-actix-web`
/// root span (as `App::wrap(TracingLogger::default())` would).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .wrap(TracingLogger::default())
            .route("/report.csv", Report::route())
            .route("/broken.csv", Broken::route())
            .route("/endless.bin", Endless::route()),
    );
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .init();
    let addr = std::env::var("EXAMPLE_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    println!("request_spans: http://{addr}/report.csv");
    HttpServer::new(|| App::new().configure(configure))
        .bind(addr)?
        .run()
        .await
}
