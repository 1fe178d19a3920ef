//! The benchmark server of `bench/run.sh`: downloadview views next to their
//! hand-written actix-web equivalents, plus the demo's routes.
//!
//! ```text
//! BENCH_ADDR=127.0.0.1:8099 BENCH_WORKERS=1 cargo run --release --example bench_server
//! ```
//!
//! | downloadview | hand-written | what |
//! |---|---|---|
//! | `/dv/small` | `/hw/small` | `Hello world!\n` with the same headers |
//! | `/dv/iter64` | `/hw/iter64` | 64 MiB as an iterator / stream of 64 KiB chunks |
//! | `/dv/mem64` | `/hw/mem64` | 64 MiB of `Bytes` in memory |
//! | `/dv/tiny` | `/dv/mem13` | 1,000,000 items of 13 bytes vs the same 13 MB in memory |
//! | `/dv/small` | `/dv/quiet` | the default report hook (one log line per download, logger on) vs a no-op hook |
//!
//! The server logs like the demo: one `download …` line per download on
//! stderr (`bench/run.sh` sends it to /dev/null), so `/dv/small` pays for the
//! whole default report, formatting and writing included.
//!
//! and the demo's `/big/`, `/stream/`, `/csv/` for the memory measurement.

use std::{
    io::{BufWriter, Write as _},
    sync::{Mutex, OnceLock},
};

use actix_web::{http::header, web, App, HttpRequest, HttpResponse, HttpServer};
use bytes::Bytes;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[allow(dead_code, unreachable_pub)]
#[path = "demo.rs"]
mod demo;

const HELLO: &[u8] = b"Hello world!\n";
const CHUNK: usize = 64 * 1024;
const BIG: usize = 64 << 20;

/// `len` bytes counting 0 to 250 over and over (not one repeated byte).
fn pattern(len: usize) -> Bytes {
    (0..len)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// One 64 KiB chunk; every chunk of the 64 MiB bodies is a cheap clone of it.
fn chunk() -> &'static Bytes {
    static CHUNK_BYTES: OnceLock<Bytes> = OnceLock::new();
    CHUNK_BYTES.get_or_init(|| pattern(CHUNK))
}

fn chunks() -> impl Iterator<Item = Bytes> + Send + 'static {
    std::iter::repeat_with(|| chunk().clone()).take(BIG / CHUNK)
}

/// 64 MiB in memory, made once.
fn big() -> &'static Bytes {
    static BIG_BYTES: OnceLock<Bytes> = OnceLock::new();
    BIG_BYTES.get_or_init(|| pattern(BIG))
}

/// The 13 MB that `/dv/tiny` produces, in memory, made once.
fn thirteen() -> &'static Bytes {
    static BYTES: OnceLock<Bytes> = OnceLock::new();
    BYTES.get_or_init(|| HELLO.repeat(1_000_000).into())
}

#[derive(VirtualDownloadView, Default)]
#[download(basename = "hello-world.txt")]
struct Small;

impl GetFile for Small {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(HELLO))
    }
}

async fn hw_small() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"hello-world.txt\"",
        ))
        .body(HELLO)
}

/// `Small` with the report hook off: the report is still tracked and
/// delivered, but `on_download` does nothing with it.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "hello-world.txt")]
struct Quiet;

impl GetFile for Quiet {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(HELLO))
    }

    fn on_download(&self, _report: &downloadview::DownloadReport) {}
}

#[derive(VirtualDownloadView, Default)]
#[download(basename = "big.bin")]
struct Iter64;

impl GetFile for Iter64 {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_iter(chunks()))
    }
}

async fn hw_iter64() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/octet-stream"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"big.bin\"",
        ))
        .streaming(futures_util::stream::iter(
            chunks().map(Ok::<_, std::io::Error>),
        ))
}

#[derive(VirtualDownloadView, Default)]
#[download(basename = "big.bin")]
struct Mem64;

impl GetFile for Mem64 {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_bytes(big().clone()))
    }
}

async fn hw_mem64() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/octet-stream"))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"big.bin\"",
        ))
        .body(big().clone())
}

#[derive(VirtualDownloadView, Default)]
#[download(basename = "tiny.txt")]
struct Tiny;

impl GetFile for Tiny {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_iter(std::iter::repeat_n(
            HELLO, 1_000_000,
        )))
    }
}

#[derive(VirtualDownloadView, Default)]
#[download(basename = "tiny.txt")]
struct Mem13;

impl GetFile for Mem13 {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_bytes(thirteen().clone()))
    }
}

/// The bench's logger: the download lines, formatted as the default
/// `on_download` makes them, written to stderr through a 64 KiB buffer (one
/// write per few hundred lines, as a production log pipeline batches; a
/// logger that writes and flushes every line would measure the kernel's
/// `write`, not downloadview).
struct BufferedLog(Mutex<BufWriter<std::io::Stderr>>);

impl log::Log for BufferedLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == "downloadview::download"
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let mut out = self.0.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(out, "{}", record.args());
        }
    }

    fn flush(&self) {
        let _ = self.0.lock().map(|mut out| out.flush());
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    static LOGGER: OnceLock<BufferedLog> = OnceLock::new();
    let logger = LOGGER.get_or_init(|| {
        BufferedLog(Mutex::new(BufWriter::with_capacity(
            1 << 16,
            std::io::stderr(),
        )))
    });
    if log::set_logger(logger).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
    let addr = std::env::var("BENCH_ADDR").unwrap_or_else(|_| "127.0.0.1:8099".to_owned());
    let workers = std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(1);
    let server = HttpServer::new(|| {
        App::new()
            .route("/dv/small", Small::route())
            .route("/dv/quiet", Quiet::route())
            .route("/hw/small", web::get().to(hw_small))
            .route("/dv/iter64", Iter64::route())
            .route("/hw/iter64", web::get().to(hw_iter64))
            .route("/dv/mem64", Mem64::route())
            .route("/hw/mem64", web::get().to(hw_mem64))
            .route("/dv/tiny", Tiny::route())
            .route("/dv/mem13", Mem13::route())
            .configure(demo::configure)
    })
    .workers(workers)
    .backlog(1024)
    .bind(&addr)?;
    println!("bench server: http://{addr}/ (pid {})", std::process::id());
    server.run().await
}
