//! An async CSV export: rows fetched from an async data source, written by
//! `csv-async` straight into the response, with back-pressure.
//!
//! ```text
//! cargo run --example async_csv_export   # then GET http://127.0.0.1:8000/orders.csv?rows=100000
//! ```
//!
//! [`VirtualFile::from_async_writer`] hands the closure an [`AsyncSink`], a
//! tokio `AsyncWrite`; `csv_async::AsyncWriter` (the crate's `tokio`
//! feature) wraps it. The future runs on the actix worker, only when the
//! body is sent (never for HEAD): each page is fetched when the client has
//! taken the rows before it, so a slow client slows the export down instead
//! of filling memory, and a client that leaves drops the future, the
//! database cursor with it.

use actix_web::{error::ErrorBadRequest, web, App, HttpRequest, HttpServer};
use downloadview::{AsyncSink, DownloadError, GetFile, VirtualDownloadView, VirtualFile};

/// One order, as a database row.
pub struct Order {
    pub id: u64,
    pub customer: String,
    pub total_cents: u64,
}

/// A page of orders from the database (here made up, after an await as a
/// real query would be).
pub async fn fetch_page(after: u64, limit: u64, until: u64) -> Vec<Order> {
    actix_web::rt::task::yield_now().await;
    (after + 1..=until.min(after + limit))
        .map(|id| Order {
            id,
            customer: format!("Customer {}", id % 97),
            total_cents: id * 137 % 100_000,
        })
        .collect()
}

/// `GET /orders.csv?rows=N`: N orders as CSV (default 10).
#[derive(VirtualDownloadView, Default)]
#[download(basename = "orders.csv", mimetype = "text/csv")]
pub struct OrdersCsv;

impl GetFile for OrdersCsv {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let query =
            web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
                .map_err(|e| ErrorBadRequest(e.to_string()))?;
        let rows: u64 = match query.get("rows") {
            None => 10,
            Some(rows) => rows
                .parse()
                .map_err(|_| ErrorBadRequest("rows must be a whole number"))?,
        };
        // Nothing runs here: the closure runs when the body is sent.
        Ok(VirtualFile::from_async_writer(
            move |sink: AsyncSink| async move {
                let mut csv = csv_async::AsyncWriter::from_writer(sink);
                csv.write_record(["id", "customer", "total"]).await?;
                let mut after = 0;
                loop {
                    let page = fetch_page(after, 500, rows).await;
                    let Some(last) = page.last() else { break };
                    after = last.id;
                    for order in &page {
                        let total =
                            format!("{}.{:02}", order.total_cents / 100, order.total_cents % 100);
                        csv.write_record([order.id.to_string().as_str(), &order.customer, &total])
                            .await?;
                    }
                }
                // csv-async buffers: what it holds goes out with the flush.
                csv.flush().await?;
                Ok::<_, csv_async::Error>(())
            },
        ))
    }
}

/// Registers the example's route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/orders.csv", OrdersCsv::route());
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("EXAMPLE_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    println!("async_csv_export: http://{addr}/orders.csv?rows=100000");
    HttpServer::new(|| App::new().configure(configure))
        .bind(addr)?
        .run()
        .await
}
