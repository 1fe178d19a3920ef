//! A CSV export: rows written by the `csv` crate straight into the response.
//!
//! ```text
//! cargo run --example csv_export        # then GET http://127.0.0.1:8000/people.csv?rows=1000
//! ```
//!
//! `csv::Writer` wraps any `io::Write`; [`VirtualFile::from_writer`] hands it
//! one that feeds the response. The closure runs on a writer thread of
//! downloadview's own when the body is sent (never for HEAD), the rows go out
//! as they are written, in bounded memory (a write waits while the client has
//! not taken the rows before it), and if the client goes away or stalls past
//! `send_timeout`, the next write fails and the export stops.

use std::io::Write;

use actix_web::{error::ErrorBadRequest, web, App, HttpRequest, HttpServer};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

/// The rows to export; a database cursor in a real application.
pub fn people(count: u32) -> impl Iterator<Item = (u32, String, &'static str)> {
    const CITIES: [&str; 3] = ["Lyon", "Zürich", "São Paulo"];
    (1..=count).map(|id| (id, format!("Person {id}"), CITIES[id as usize % 3]))
}

/// `GET /people.csv?rows=N`: N people as CSV (default 3).
#[derive(VirtualDownloadView, Default)]
#[download(basename = "people.csv", mimetype = "text/csv")]
pub struct PeopleCsv;

impl GetFile for PeopleCsv {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        // Cheap work only: read the request, then describe the file.
        let query =
            web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
                .map_err(|e| ErrorBadRequest(e.to_string()))?;
        let rows: u32 = match query.get("rows") {
            None => 3,
            Some(rows) => rows
                .parse()
                .map_err(|_| ErrorBadRequest("rows must be a whole number"))?,
        };
        Ok(VirtualFile::from_writer(move |out: &mut dyn Write| {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(["id", "name", "city"])?;
            for (id, name, city) in people(rows) {
                csv.write_record([id.to_string().as_str(), &name, city])?;
            }
            Ok(csv.flush()?)
        }))
    }
}

/// Registers the example's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/people.csv", PeopleCsv::route());
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("EXAMPLE_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    println!("csv_export: http://{addr}/people.csv?rows=1000");
    HttpServer::new(|| App::new().configure(configure))
        .bind(addr)?
        .run()
        .await
}
