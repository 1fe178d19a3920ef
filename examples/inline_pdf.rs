//! An inline document: `attachment = false` asks the browser to display the
//! file instead of saving it, and still names it.
//!
//! ```text
//! cargo run --example inline_pdf        # then open http://127.0.0.1:8000/invoice.pdf
//! ```
//!
//! The response carries `Content-Disposition: inline; filename="invoice.pdf"`
//! (Django sends no header at all for inline, so "Save as" loses the name),
//! and the MIME type is guessed from the basename: `application/pdf`, with no
//! charset (Django appends one to every type).

use actix_web::{web, App, HttpRequest, HttpServer};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

/// A minimal one-page PDF that says "Hello world!".
pub const PDF: &[u8] = b"%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 50] /Contents 4 0 R
  /Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 44 >> stream
BT /F1 18 Tf 20 20 Td (Hello world!) Tj ET
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
";

/// `GET /invoice.pdf`: shown in the browser, named `invoice.pdf`.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "invoice.pdf", attachment = false)]
pub struct InlinePdf;

impl GetFile for InlinePdf {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(PDF))
    }
}

/// Registers the example's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/invoice.pdf", InlinePdf::route());
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("EXAMPLE_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    println!("inline_pdf: http://{addr}/invoice.pdf");
    HttpServer::new(|| App::new().configure(configure))
        .bind(addr)?
        .run()
        .await
}
