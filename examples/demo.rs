//! The downloadview demo: django-downloadview's `VirtualDownloadView` demo in
//! actix-web, and more.
//!
//! ```text
//! cargo run --example demo            # http://127.0.0.1:8000/
//! DEMO_ADDR=0.0.0.0:9000 cargo run --example demo
//! curl --http2-prior-knowledge -i http://127.0.0.1:8000/text/   # HTTP/2 (h2c)
//! ```
//!
//! Every route is listed, with a line on what it shows, at `/`.

use std::{
    borrow::Cow,
    io::{Cursor, Write},
    sync::OnceLock,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use actix_web::{
    error::ErrorBadRequest, guard, http::header::EntityTag, web, App, HttpRequest, HttpResponse,
    HttpServer,
};
use bytes::Bytes;
use downloadview::{DownloadError, GetFile, SigningKeys, VirtualDownloadView, VirtualFile};

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

/// `/named/{name}`: the basename comes from the request (an overridden
/// `get_basename`); like `/text/`, the MIME type is guessed from that name
/// (`/named/report.pdf` is `application/pdf`).
#[derive(VirtualDownloadView, Default)]
pub struct NamedDownloadView;

impl GetFile for NamedDownloadView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(HELLO))
    }

    fn get_basename(&self, req: &HttpRequest) -> Option<Cow<'static, str>> {
        // `load` decodes fully, as the `web::Path` extractor does;
        // `match_info().get` would keep `%25` and `%2F` encoded.
        req.match_info()
            .load::<(String,)>()
            .ok()
            .map(|(name,)| Cow::Owned(name))
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

/// Size of the chunks `/big/` and `/stream/` produce.
const CHUNK: u64 = 64 * 1024;

/// `CHUNK + 251` bytes where byte i is `i % 251`: any chunk of the pattern,
/// from any offset, is a zero-copy slice of it.
fn pattern() -> &'static Bytes {
    static PATTERN: OnceLock<Bytes> = OnceLock::new();
    PATTERN.get_or_init(|| {
        (0..CHUNK + 251)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>()
            .into()
    })
}

/// The bytes `[offset, offset + len)` of the pattern; `len` at most `CHUNK`.
fn pattern_chunk(offset: u64, len: u64) -> Bytes {
    let start = (offset % 251) as usize;
    pattern().slice(start..start + len as usize)
}

/// The CRC-32 of the pattern's first `size` bytes, without hashing them all:
/// the pattern repeats every 251 bytes and the CRCs of consecutive blocks
/// combine, so `2^k` periods are one combine away from `2^(k-1)`, and any
/// size takes about 64 combines (microseconds, even for 100 GiB).
pub fn pattern_crc(size: u64) -> u32 {
    let period = &pattern()[..251];
    let mut periods = crc32fast::Hasher::new();
    periods.update(period);
    let mut whole = crc32fast::Hasher::new();
    let mut n = size / 251;
    while n > 0 {
        if n & 1 == 1 {
            whole.combine(&periods);
        }
        let same = periods.clone();
        periods.combine(&same);
        n >>= 1;
    }
    // Every block so far is whole periods: the rest starts at phase 0.
    whole.update(&period[..(size % 251) as usize]);
    whole.finalize()
}

/// The chunks of the pattern from `offset` to `size`.
pub fn pattern_chunks(offset: u64, size: u64) -> impl Iterator<Item = Bytes> + Send + 'static {
    (offset..size)
        .step_by(CHUNK as usize)
        .map(move |start| pattern_chunk(start, CHUNK.min(size - start)))
}

/// A query parameter as a number, `default` when absent, 400 when malformed.
fn number_param(req: &HttpRequest, name: &str, default: u64) -> Result<u64, DownloadError> {
    let query = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| ErrorBadRequest(format!("bad query string: {e}")))?;
    match query.iter().rev().find(|(k, _)| k == name) {
        None => Ok(default),
        Some((_, value)) => value.parse().map_err(|_| {
            ErrorBadRequest(format!(
                "{name} must be a whole number from 0 to {}, not {value:?}",
                u64::MAX
            ))
            .into()
        }),
    }
}

/// `/big/?size=N`: N bytes (default 64 MiB) from an offset-aware generator;
/// the size is known and Range requests start the generator where needed.
/// `rate=R` limits the download to R bytes a second (nginx's `limit_rate`,
/// chosen per request).
#[derive(VirtualDownloadView, Default)]
#[download(basename = "big.bin")]
pub struct BigDownloadView;

impl GetFile for BigDownloadView {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let size = number_param(req, "size", 64 << 20)?;
        number_param(req, "rate", 0)?; // a malformed rate is a 400, here
        Ok(VirtualFile::from_generator(size, move |offset| {
            pattern_chunks(offset, size)
        }))
    }

    fn limit_rate(&self, req: &HttpRequest) -> u64 {
        number_param(req, "rate", 0).unwrap_or(0)
    }
}

/// `/remote/?size=N`: `/big/`'s bytes from an async offset-aware source that
/// stands for an object store (each opening waits a millisecond, as a
/// network call would): size known, strong ETag, Range and multipart served
/// by opening the source at each part's first byte, on the worker.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "remote.bin")]
pub struct RemoteDownloadView;

impl GetFile for RemoteDownloadView {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let size = number_param(req, "size", 64 << 20)?;
        Ok(
            VirtualFile::from_async_generator(size, move |offset| async move {
                tokio::time::sleep(Duration::from_millis(1)).await;
                let chunks = pattern_chunks(offset, size).map(Ok::<_, std::io::Error>);
                Ok::<_, std::io::Error>(futures_util::stream::iter(chunks))
            })
            .with_etag(EntityTag::new_strong(format!("remote-{size}"))),
        )
    }
}

/// `/stream/?size=N`: N bytes from an async `Stream`, size unknown (chunked).
///
/// For proxy experiments (`tests/interop/`, `docs/deployment.md`):
/// `chunk=C` (bytes per chunk, default and at most 64 KiB) and `interval_ms=T`
/// (a pause before each chunk) make a slow drip; `buffering=no` sends
/// `X-Accel-Buffering: no`, so nginx forwards each chunk as it comes.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "stream.bin")]
pub struct StreamDownloadView;

impl GetFile for StreamDownloadView {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let size = number_param(req, "size", 64 << 20)?;
        let chunk = number_param(req, "chunk", CHUNK)?.clamp(1, CHUNK);
        let interval = Duration::from_millis(number_param(req, "interval_ms", 0)?);
        let chunks = futures_util::stream::unfold(0u64, move |offset| async move {
            if offset >= size {
                return None;
            }
            if !interval.is_zero() {
                actix_web::rt::time::sleep(interval).await;
            }
            let len = chunk.min(size - offset);
            Some((
                Ok::<_, std::io::Error>(pattern_chunk(offset, len)),
                offset + len,
            ))
        });
        Ok(VirtualFile::from_stream(chunks))
    }

    fn buffering(&self, req: &HttpRequest) -> bool {
        !req.query_string().split('&').any(|kv| kv == "buffering=no")
    }
}

/// `/csv/?rows=N`: a CSV export written row by row by a writer closure.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "export.csv", mimetype = "text/csv")]
pub struct CsvDownloadView;

impl GetFile for CsvDownloadView {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let rows = number_param(req, "rows", 1000)?;
        Ok(VirtualFile::from_writer(move |out: &mut dyn Write| {
            writeln!(out, "id,name,square")?;
            for i in 0..rows {
                writeln!(out, "{i},item {i},{}", u128::from(i) * u128::from(i))?;
            }
            Ok(())
        }))
    }
}

/// `/versioned/`: `/text/` with an `ETag` and a `Last-Modified`, for
/// conditional requests.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "hello-world.txt")]
pub struct VersionedDownloadView;

/// When `/versioned/`'s content last changed.
pub fn versioned_last_modified() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

impl GetFile for VersionedDownloadView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(HELLO)
            .with_etag(EntityTag::new_strong("hello-v1".to_owned()))
            .with_last_modified(versioned_last_modified()))
    }
}

/// `/archive/?size=N`: a stored zip of `hello-world.txt`, `café résumé.txt`
/// (the same 13 bytes) and `data.bin` (N bytes, default 1 MiB, the `/big/`
/// pattern from an offset-aware generator). Every size is known, so is the
/// archive's (`Content-Length`), and every entry can serve ranges, so can
/// the archive: `curl -C -` resumes it byte-exactly. Each entry has a strong
/// ETag, so the archive has one. Every entry's CRC-32 is known before its
/// data (the two texts are in memory; `data.bin`'s is stated with
/// `with_crc32`), so every local header holds its CRC and sizes and no data
/// descriptor follows: streaming readers such as Java's `ZipInputStream`
/// read it entry by entry. (A generator whose CRC is stored nowhere gets the
/// same with `.with_crc32_first_pass()`, at the cost of reading it twice:
/// `data.bin`'s is computed from its pattern, so that a 100 GiB archive is
/// not generated twice.)
#[derive(VirtualDownloadView, Default)]
#[download(basename = "archive.zip")]
pub struct ArchiveDownloadView;

impl GetFile for ArchiveDownloadView {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let [hello, cafe, (name, data)] = archive_entries(req)?;
        let crc = pattern_crc(data.size().unwrap_or(0));
        Ok(VirtualFile::zip([
            hello,
            cafe,
            (name, data.with_crc32(crc)),
        ])?)
    }
}

/// The entries of `/archive/` and `/tar/`: two texts and `data.bin`, the
/// `/big/` pattern of `?size=N` bytes from an offset-aware generator, each
/// with a strong ETag and a modification time.
fn archive_entries(req: &HttpRequest) -> Result<[(&'static str, VirtualFile); 3], DownloadError> {
    let size = number_param(req, "size", 1 << 20)?;
    let hello = || {
        VirtualFile::from_static(HELLO)
            .with_etag(EntityTag::new_strong("hello-v1".to_owned()))
            .with_last_modified(versioned_last_modified())
    };
    let data = VirtualFile::from_generator(size, move |offset| pattern_chunks(offset, size))
        .with_etag(EntityTag::new_strong(format!("pattern-{size}")))
        .with_last_modified(versioned_last_modified());
    Ok([
        ("hello-world.txt", hello()),
        ("café résumé.txt", hello()),
        ("data.bin", data),
    ])
}

/// `/tar/?size=N`: the same three entries as `/archive/`, as `archive.tar`
/// (POSIX ustar; the accented name gets a pax header). Its size is exact
/// before any byte, HEAD costs nothing, Range and `curl -C -` are
/// byte-exact, and a range needs only the entries it overlaps.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "archive.tar")]
pub struct TarDownloadView;

impl GetFile for TarDownloadView {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::tar(archive_entries(req)?)?)
    }
}

/// `/signed/`: `/text/` behind a signed link (403 without one); get a link
/// valid for 60 seconds from `/sign/?path=/signed/`.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "hello-world.txt", signed = true)]
pub struct SignedDownloadView;

impl GetFile for SignedDownloadView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(HELLO))
    }
}

/// The demo's signing keys: `DEMO_SIGNING_KEY` (at least 32 bytes) when
/// set, else a random key made when the process starts (its links die with
/// it). A real app reads its keys from its secrets, never from the code.
pub fn demo_keys() -> &'static SigningKeys {
    static KEYS: OnceLock<SigningKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = std::env::var("DEMO_SIGNING_KEY")
            .map(String::into_bytes)
            .unwrap_or_else(|_| {
                // std's hashers are seeded from the operating system's random
                // source: four of them give 32 random bytes without a crate.
                use std::hash::{BuildHasher, Hasher};
                (0..4)
                    .flat_map(|_| {
                        let mut hasher =
                            std::collections::hash_map::RandomState::new().build_hasher();
                        hasher.write_u8(0);
                        hasher.finish().to_le_bytes()
                    })
                    .collect()
            });
        SigningKeys::new([key]).expect("DEMO_SIGNING_KEY: at least 32 bytes")
    })
}

/// `/sign/?path=/signed/`: a link to `path` (under `/signed/`) valid for 60
/// seconds, as text. A real app signs only what the user may download.
async fn sign(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    let query = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| ErrorBadRequest(format!("bad query string: {e}")))?;
    let path = query
        .iter()
        .rev()
        .find(|(k, _)| k == "path")
        .map_or("/signed/", |(_, v)| v.as_str());
    if !path.starts_with("/signed/") {
        return Err(ErrorBadRequest("the demo signs links under /signed/ only"));
    }
    let link = demo_keys()
        .sign(path, Duration::from_secs(60))
        .map_err(|e| ErrorBadRequest(format!("cannot sign {path:?}: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!("{link}\n")))
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
        "/text/ served under the name taken from the path (get_basename overridden), its MIME type guessed from that name, as /named/report.pdf is application/pdf",
    ),
    ("/missing/", "get_file answers NotFound: 404"),
    (
        "/big/?size=1048576",
        "N bytes (default 64 MiB) from an offset-aware generator: size known, byte i is i % 251; Range and multipart/byteranges work (try curl -r 0-99,-100)",
    ),
    (
        "/big/?size=4194304&rate=1048576",
        "/big/ limited to R bytes a second (nginx's limit_rate, chosen per request): 4 MiB in about 4 s",
    ),
    (
        "/remote/?size=1048576",
        "/big/'s bytes from an async offset-aware source standing for an object store: size known, strong ETag, Range and multipart open it at each part",
    ),
    (
        "/stream/?size=1048576",
        "N bytes from an async Stream: size unknown, sent chunked",
    ),
    (
        "/csv/?rows=1000",
        "a CSV export of N rows written by a writer closure, streamed",
    ),
    (
        "/archive/?size=1048576",
        "a stored zip of hello-world.txt, café résumé.txt and data.bin (N bytes from a generator): exact Content-Length, Range and curl -C - work, opens in unzip, bsdtar, Python and Java's ZipInputStream",
    ),
    (
        "/tar/?size=1048576",
        "the same three entries as a tar (POSIX ustar, pax headers): exact Content-Length, Range and curl -C - work, unpacked by GNU tar, bsdtar and Python's tarfile",
    ),
    (
        "/sign/?path=/signed/",
        "a signed link to /signed/ (/text/ behind a signature, 403 without one), valid for 60 seconds",
    ),
    (
        "/versioned/",
        "/text/ with an ETag (\"hello-v1\") and a Last-Modified, for conditional requests: If-None-Match gives 304, If-Match \"other\" gives 412",
    ),
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
    // HEAD like GET, as every download route answers it (actix-web sends
    // GET's headers, Content-Length included, and no body).
    let get_or_head = guard::Any(guard::Get()).or(guard::Head());
    cfg.route("/", web::route().guard(get_or_head).to(index))
        .route("/text/", TextDownloadView::route())
        .route("/stringio/", StringIODownloadView::route())
        .route("/generated/", GeneratedDownloadView::route())
        .route("/inline/", InlineDownloadView::route())
        .route("/unicode/", UnicodeDownloadView::route())
        .route("/named/{name}", NamedDownloadView::route())
        .route("/missing/", MissingDownloadView::route())
        .route("/big/", BigDownloadView::route())
        .route("/stream/", StreamDownloadView::route())
        .route("/remote/", RemoteDownloadView::route())
        .route("/csv/", CsvDownloadView::route())
        .route("/versioned/", VersionedDownloadView::route())
        .route("/archive/", ArchiveDownloadView::route())
        .route("/tar/", TarDownloadView::route())
        .route("/signed/", SignedDownloadView::route())
        .route("/sign/", downloadview::get_or_head().to(sign))
        .app_data(demo_keys().clone());
}

/// Logs to stderr: one `download …` line per download (the report's own
/// format), `[LEVEL target] message` for everything else. `RUST_LOG` filters
/// as usual (default `info`; `RUST_LOG=downloadview::download=off` silences
/// the download lines).
fn init_logging() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| {
            if record.target() == "downloadview::download" {
                writeln!(out, "{}", record.args())
            } else {
                writeln!(
                    out,
                    "[{} {}] {}",
                    record.level(),
                    record.target(),
                    record.args()
                )
            }
        })
        .init();
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    init_logging();
    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    // HTTP/1.x, and HTTP/2 for clients that know it is spoken here (h2c with
    // prior knowledge: `curl --http2-prior-knowledge`), on the one port.
    let server = HttpServer::new(|| App::new().configure(configure))
        .bind_auto_h2c(&addr)
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
    for bound in server.addrs() {
        println!("downloadview demo: serving on http://{bound}/");
    }
    server.run().await
}
