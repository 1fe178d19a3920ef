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
//! | `/big/?size=N` | `/hw/big?size=N` | the demo's `/big/` (a sized offset-aware generator of 64 KiB pattern slices) vs the same chunks as a sized `HttpResponse::streaming` |
//! | `/dv/bigc?size=N` | `/hw/bigc?size=N` | the same chunks with no size (chunked): an iterator vs `HttpResponse::streaming` |
//! | `/dv/agen?size=N` | `/big/?size=N` | the same chunks from an async offset-aware source vs the sync generator |
//!
//! The server logs like the demo: one `download …` line per download on
//! stderr (`bench/run.sh` sends it to /dev/null), so `/dv/small` pays for the
//! whole default report, formatting and writing included.
//!
//! and the demo's `/big/`, `/stream/`, `/csv/` for the memory measurement.
//!
//! The slow-clients phase (1,000 clients that stop reading) uses one route
//! per source kind, each producing fresh buffers as a real source does
//! (rows from a database, reads from a socket), N bytes with `?size=N`:
//!
//! | route | source |
//! |---|---|
//! | `/slow/memory` | 64 MiB of `Bytes` made once and shared (`?size` ignored) |
//! | `/slow/reader` | `from_reader` (a reader filling its buffer) |
//! | `/slow/iter` | `from_iter` of fresh 4 KiB `Vec<u8>` |
//! | `/slow/generator` | `from_generator` of fresh 16 KiB `Vec<u8>` |
//! | `/slow/generator64` | the same with 64 KiB items (larger than a stalled client's window) |
//! | `/slow/writer` | `from_writer` writing CSV rows |
//! | `/slow/stream` | `from_stream` of fresh 64 KiB `Bytes` |
//! | `/slow/async-writer` | `from_async_writer` writing CSV rows |
//! | `/slow/zip` | a stored zip of 16 generator entries of 16 KiB and one with the rest, fresh 16 KiB `Vec<u8>` items |
//! | `/slow/files` | actix-files' `NamedFile` of `BENCH_FILE` (the reference) |
//! | `/slow/hw` | a hand-written `HttpResponse::streaming` of fresh 64 KiB `Bytes` |
//! | `/block` | `web::block`, as an application's database calls |
//!
//! The archive phase compares `/dv/zip?size=N` (a stored zip of 4 generator
//! entries, N bytes in all) and `/dv/tar?size=N` (the same entries as a tar)
//! with the demo's `/big/?size=N`. `/dv/zip-many?size=N` is a stored zip
//! of N generator entries of 13 bytes each (about 110 bytes of archive per
//! entry): the cost of an archive's pieces rather than its data; with
//! `&memory`, of N in-memory entries.

use std::{
    io::{BufWriter, Write as _},
    sync::{Mutex, OnceLock},
};

use actix_web::{http::header, web, App, HttpRequest, HttpResponse, HttpServer};
use bytes::Bytes;
use downloadview::{AsyncSink, DownloadError, GetFile, VirtualDownloadView, VirtualFile};

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

/// `len` fresh bytes of the pattern from `offset`, as a real source makes them.
fn fresh(offset: u64, len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| ((offset + i) % 251) as u8)
        .collect()
}

/// A reader of `left` pattern bytes.
struct PatternReader {
    offset: u64,
    left: u64,
}

impl std::io::Read for PatternReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = ((self.offset + i as u64) % 251) as u8;
        }
        self.offset += n as u64;
        self.left -= n as u64;
        Ok(n)
    }
}

/// One CSV row of the writers' exports (about 38 bytes).
fn row(i: u64) -> String {
    format!("{i},item {i},{}\n", u128::from(i) * u128::from(i))
}

fn size_param(req: &HttpRequest) -> u64 {
    req.query_string()
        .split('&')
        .find_map(|kv| kv.strip_prefix("size="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1 << 30)
}

/// The item size of `/slow/generator`.
const GENERATED: usize = 16 * 1024;

/// `/slow/{kind}?size=N`.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "slow.bin")]
struct Slow;

impl GetFile for Slow {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let size = size_param(req);
        let rows = size / 38;
        let file = match req.match_info().get("kind").unwrap_or_default() {
            // Shared, made once: what a stalled client costs beyond its bytes.
            "memory" => VirtualFile::from_bytes(big().clone()),
            "reader" => VirtualFile::from_reader(PatternReader {
                offset: 0,
                left: size,
            }),
            "iter" => VirtualFile::from_iter(
                (0..size.div_ceil(4096))
                    .map(move |i| fresh(i * 4096, 4096.min(size - i * 4096) as usize)),
            ),
            "generator" => VirtualFile::from_generator(size, move |offset| {
                (offset..size)
                    .step_by(GENERATED)
                    .map(move |start| fresh(start, GENERATED.min((size - start) as usize)))
            }),
            // The same with 64 KiB items: a stalled download holds the item
            // it is in the middle of.
            "generator64" => VirtualFile::from_generator(size, move |offset| {
                (offset..size)
                    .step_by(CHUNK)
                    .map(move |start| fresh(start, CHUNK.min((size - start) as usize)))
            }),
            "writer" => VirtualFile::from_writer(move |out| {
                for i in 0..rows {
                    out.write_all(row(i).as_bytes())?;
                }
                Ok(())
            }),
            "stream" => VirtualFile::from_stream(futures_util::stream::iter(
                (0..size).step_by(CHUNK).map(move |start| {
                    Ok::<_, std::io::Error>(Bytes::from(fresh(
                        start,
                        CHUNK.min((size - start) as usize),
                    )))
                }),
            )),
            "async-generator" => {
                VirtualFile::from_async_generator(size, move |offset| async move {
                    Ok::<_, std::io::Error>(futures_util::stream::iter(
                        (offset..size).step_by(CHUNK).map(move |start| {
                            Ok::<_, std::io::Error>(Bytes::from(fresh(
                                start,
                                CHUNK.min((size - start) as usize),
                            )))
                        }),
                    ))
                })
            }
            "async-writer" => {
                VirtualFile::from_async_writer(move |mut sink: AsyncSink| async move {
                    use tokio::io::AsyncWriteExt as _;
                    for i in 0..rows {
                        sink.write_all(row(i).as_bytes()).await?;
                    }
                    Ok::<_, std::io::Error>(())
                })
            }
            // A stored zip: 16 entries of 16 KiB (which the archive body
            // starts ahead of their turn), then one generator entry of fresh
            // 16 KiB items with the rest. Few entries: the archive's plan
            // (about 0.65 KiB per entry, held for the whole download) stays
            // out of what a stall costs.
            "zip" => {
                let small = GENERATED as u64;
                let fresh_from = |base: u64, len: u64| {
                    move |offset: u64| {
                        (offset..len).step_by(GENERATED).map(move |start| {
                            fresh(base + start, GENERATED.min((len - start) as usize))
                        })
                    }
                };
                let mut entries: Vec<(String, VirtualFile)> = (0..16)
                    .map(|i| {
                        let file = VirtualFile::from_generator(small, fresh_from(i * small, small));
                        (format!("part/{i:02}.bin"), file)
                    })
                    .collect();
                let rest = size.saturating_sub(16 * small);
                let file = VirtualFile::from_generator(rest, fresh_from(16 * small, rest));
                entries.push(("rest.bin".to_owned(), file));
                VirtualFile::zip(entries)?
            }
            _ => return Err(DownloadError::NotFound),
        };
        Ok(file)
    }
}

/// `/slow/hw?size=N`: the hand-written reference, a stream of fresh chunks.
async fn hw_stream(req: HttpRequest) -> HttpResponse {
    let size = size_param(&req);
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/octet-stream"))
        .streaming(futures_util::stream::iter((0..size).step_by(CHUNK).map(
            move |start| {
                Ok::<_, std::io::Error>(Bytes::from(fresh(
                    start,
                    CHUNK.min((size - start) as usize),
                )))
            },
        )))
}

/// `/slow/files`: actix-files serving `BENCH_FILE`.
async fn named_file(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let path = std::env::var("BENCH_FILE").unwrap_or_else(|_| "/tmp/bench-1g.bin".to_owned());
    Ok(actix_files::NamedFile::open_async(path)
        .await?
        .into_response(&req))
}

/// `/dv/zip?size=N`: a stored zip of 4 offset-aware generator entries of
/// N/4 bytes each (N a multiple of 256 KiB), every chunk a zero-copy clone of
/// one 64 KiB pattern chunk, as `/big/`'s are slices of its pattern.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "bench.zip")]
struct Zip;

impl GetFile for Zip {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::zip(archive_entries(req))?)
    }
}

/// The 4 entries of `/dv/zip` and `/dv/tar`: offset-aware generators of a
/// quarter of `?size=N` each.
fn archive_entries(req: &HttpRequest) -> [(&'static str, VirtualFile); 4] {
    let quarter = size_param(req) / 4;
    let entry = move || {
        VirtualFile::from_generator(quarter, move |offset| {
            let chunks = (quarter - offset).div_ceil(CHUNK as u64);
            std::iter::repeat_with(|| chunk().clone()).take(chunks as usize)
        })
    };
    [
        ("part-1.bin", entry()),
        ("part-2.bin", entry()),
        ("part-3.bin", entry()),
        ("part-4.bin", entry()),
    ]
}

/// `/dv/zip-many?size=N`: a stored zip of N offset-aware generator entries
/// of 13 bytes each (`&memory`: in-memory entries).
#[derive(VirtualDownloadView, Default)]
#[download(basename = "many.zip")]
struct ZipMany;

impl GetFile for ZipMany {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let memory = req.query_string().split('&').any(|kv| kv == "memory");
        let entries = (0..size_param(req)).map(move |i| {
            let file = if memory {
                VirtualFile::from_static(HELLO)
            } else {
                VirtualFile::from_generator(HELLO.len() as u64, |offset| {
                    std::iter::once(Bytes::from_static(HELLO).slice(offset as usize..))
                })
            };
            (format!("many/{i:06}.txt"), file)
        });
        Ok(VirtualFile::zip(entries)?)
    }
}

/// `/dv/tar?size=N`: the same 4 entries as `/dv/zip`, as a tar.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "bench.tar")]
struct Tar;

impl GetFile for Tar {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::tar(archive_entries(req))?)
    }
}

/// `/hw/big?size=N`: the demo's `/big/` written by hand, the same chunks as
/// a stream with `Content-Length` (`no_chunking`); `/hw/bigc?size=N`, the
/// same without a size (chunked).
async fn hw_big(req: HttpRequest) -> HttpResponse {
    let size = size_param(&req);
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, "application/octet-stream"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"big.bin\"",
        ));
    if req.path() == "/hw/big" {
        res.no_chunking(size);
    }
    res.streaming(futures_util::stream::iter(
        demo::pattern_chunks(0, size).map(Ok::<_, std::io::Error>),
    ))
}

/// `/dv/bigc?size=N`: `/big/`'s chunks as an iterator of unknown size.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "big.bin")]
struct BigChunked;

impl GetFile for BigChunked {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_iter(demo::pattern_chunks(
            0,
            size_param(req),
        )))
    }
}

/// `/dv/agen?size=N`: `/big/`'s chunks from an async offset-aware source
/// (`from_async_generator`), with nothing else to wait for: the same bytes
/// as the sync generator of `/big/`, so the two compare the source kinds.
/// (The demo's `/remote/` adds a millisecond per opening, as a store's
/// network round trip would.)
#[derive(VirtualDownloadView, Default)]
#[download(basename = "big.bin")]
struct AsyncGenerated;

impl GetFile for AsyncGenerated {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let size = size_param(req);
        Ok(VirtualFile::from_async_generator(
            size,
            move |offset| async move {
                let chunks = demo::pattern_chunks(offset, size).map(Ok::<_, std::io::Error>);
                Ok::<_, std::io::Error>(futures_util::stream::iter(chunks))
            },
        ))
    }
}

/// `/block`: what an application's database call looks like.
async fn block() -> HttpResponse {
    match web::block(|| 6 * 7).await {
        Ok(answer) => HttpResponse::Ok().body(answer.to_string()),
        Err(_) => HttpResponse::InternalServerError().finish(),
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
            .route("/slow/hw", web::get().to(hw_stream))
            .route("/slow/files", web::get().to(named_file))
            .route("/slow/{kind}", Slow::route())
            .route("/block", web::get().to(block))
            .route("/dv/zip", Zip::route())
            .route("/dv/tar", Tar::route())
            .route("/dv/zip-many", ZipMany::route())
            .route("/hw/big", web::get().to(hw_big))
            .route("/hw/bigc", web::get().to(hw_big))
            .route("/dv/bigc", BigChunked::route())
            .route("/dv/agen", AsyncGenerated::route())
            .configure(demo::configure)
    })
    .workers(workers)
    .backlog(1024)
    .bind(&addr)?;
    println!("bench server: http://{addr}/ (pid {})", std::process::id());
    server.run().await
}
