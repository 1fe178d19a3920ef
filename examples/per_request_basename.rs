//! A per-request file name: `get_basename` overridden, as Django users
//! override `DownloadMixin.get_basename()`.
//!
//! ```text
//! cargo run --example per_request_basename   # then GET http://127.0.0.1:8000/reports/2024-06?lang=fr
//! ```
//!
//! The `basename` attribute is only the default. Any option can be decided per
//! request by overriding its method of `GetFile`: here the name comes from the
//! path and the query string, and is sent in both encodings of
//! `Content-Disposition` (an ASCII fallback plus `filename*` for the accents).

use std::borrow::Cow;

use actix_web::{web, App, HttpRequest, HttpServer};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

/// `GET /reports/{month}?lang=fr|en`: a monthly report named after its month.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "report.txt", mimetype = "text/plain")]
pub struct MonthlyReport;

impl MonthlyReport {
    fn french(req: &HttpRequest) -> bool {
        req.query_string().split('&').any(|pair| pair == "lang=fr")
    }
}

impl GetFile for MonthlyReport {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let month = req.match_info().get("month").unwrap_or("unknown");
        Ok(VirtualFile::from(format!("Report for {month}\n")))
    }

    fn get_basename(&self, req: &HttpRequest) -> Option<Cow<'static, str>> {
        let month = req.match_info().get("month")?;
        // The basename is a file name: keep path separators out of it.
        let month: String = month.chars().filter(|c| !matches!(c, '/' | '\\')).collect();
        let name = if Self::french(req) {
            format!("Rapport {month} – été.txt")
        } else {
            format!("report-{month}.txt")
        };
        Some(Cow::Owned(name))
    }
}

/// Registers the example's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports/{month}", MonthlyReport::route());
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("EXAMPLE_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    println!("per_request_basename: http://{addr}/reports/2024-06?lang=fr");
    HttpServer::new(|| App::new().configure(configure))
        .bind(addr)?
        .run()
        .await
}
