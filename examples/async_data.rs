//! Data fetched asynchronously, in the handler, before the view is built.
//!
//! ```text
//! cargo run --example async_data        # then GET http://127.0.0.1:8000/invoices/7
//! ```
//!
//! `get_file` is synchronous and cheap: it only describes the file. Async work
//! (a database, another service) happens in an ordinary actix handler, which
//! returns the view filled with what it fetched — a derived view is a
//! `Responder`. Shared state comes in through `web::Data`, as usual.

use std::collections::HashMap;

use actix_web::{web, App, HttpRequest, HttpServer};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

/// An async store, standing in for a database pool.
#[derive(Debug)]
pub struct InvoiceStore {
    invoices: HashMap<u32, String>,
}

impl InvoiceStore {
    /// A store with invoices 1 and 7.
    pub fn sample() -> Self {
        let invoices = [
            (1, "Invoice 1\nTotal: 10 EUR\n"),
            (7, "Invoice 7\nTotal: 42 EUR\n"),
        ];
        InvoiceStore {
            invoices: invoices
                .into_iter()
                .map(|(id, text)| (id, text.to_owned()))
                .collect(),
        }
    }

    /// The invoice's text, after a (simulated) round trip to the database.
    pub async fn fetch(&self, id: u32) -> Option<String> {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
        self.invoices.get(&id).cloned()
    }
}

/// An invoice as fetched: `None` when there is no such invoice.
#[derive(VirtualDownloadView)]
#[download(mimetype = "text/plain")]
pub struct InvoiceDownload {
    id: u32,
    text: Option<String>,
}

impl GetFile for InvoiceDownload {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        // Django's FileNotFound: a 404.
        let text = self.text.clone().ok_or(DownloadError::NotFound)?;
        Ok(VirtualFile::from(text).with_name(format!("invoice-{}.txt", self.id)))
    }
}

/// `GET /invoices/{id}`: the async part, then the view.
pub async fn invoice(store: web::Data<InvoiceStore>, id: web::Path<u32>) -> InvoiceDownload {
    let id = id.into_inner();
    InvoiceDownload {
        id,
        text: store.fetch(id).await,
    }
}

/// Registers the example's routes and its store.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::Data::new(InvoiceStore::sample()))
        .route("/invoices/{id}", downloadview::get_or_head().to(invoice));
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("EXAMPLE_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    println!("async_data: http://{addr}/invoices/7");
    HttpServer::new(|| App::new().configure(configure))
        .bind(addr)?
        .run()
        .await
}
