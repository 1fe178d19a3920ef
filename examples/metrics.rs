//! Download metrics for Prometheus (feature `metrics`): downloadview records
//! through the `metrics` facade, `metrics-exporter-prometheus` renders them at
//! `/metrics`.
//!
//! ```text
//! cargo run --example metrics    # GET /hello.txt and /rows.csv a few times, then GET /metrics
//! ```
//!
//! Any exporter of the `metrics` facade works the same way (StatsD,
//! OpenTelemetry, …): install it, call [`downloadview::describe_metrics`]
//! for the help texts, and the counters appear as downloads end.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// `GET /hello.txt`: 13 bytes from memory.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "hello.txt")]
pub struct Hello;

impl GetFile for Hello {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }
}

/// `GET /rows.csv`: rows from a writer closure (it counts in
/// `downloadview_writer_threads` while it runs).
#[derive(VirtualDownloadView, Default)]
#[download(basename = "rows.csv", mimetype = "text/csv")]
pub struct Rows;

impl GetFile for Rows {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_writer(|out| {
            for i in 0..1000 {
                writeln!(out, "{i},{}", i * i)?;
            }
            Ok(())
        }))
    }
}

/// Installs the Prometheus recorder for the whole process (once), with
/// histogram buckets for the download durations, and describes the metrics.
pub fn install() -> PrometheusHandle {
    let handle = PrometheusBuilder::new()
        .set_buckets(&[0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10.0, 60.0, 600.0])
        .expect("buckets are not empty")
        .install_recorder()
        .expect("no other metrics recorder is installed");
    downloadview::describe_metrics();
    handle
}

/// The example's routes, `/metrics` rendered by `handle`.
pub fn configure(handle: PrometheusHandle) -> impl Fn(&mut web::ServiceConfig) + Clone + Send {
    move |cfg| {
        cfg.app_data(web::Data::new(handle.clone()))
            .route("/hello.txt", Hello::route())
            .route("/rows.csv", Rows::route())
            .route("/metrics", web::get().to(render));
    }
}

async fn render(handle: web::Data<PrometheusHandle>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let handle = install();
    let addr = std::env::var("EXAMPLE_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    println!("metrics: http://{addr}/hello.txt, then http://{addr}/metrics");
    HttpServer::new(move || App::new().configure(configure(handle.clone())))
        .bind(addr)?
        .run()
        .await
}
