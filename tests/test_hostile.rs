//! Hostile clients over real sockets on 127.0.0.1, bounded in count and time:
//! many at once, slow readers, clients that leave mid-stream, and malformed
//! values of every header downloadview reads.

#[allow(dead_code)]
#[path = "../examples/demo.rs"]
mod demo;

use std::{
    io::{Read, Write},
    net::TcpStream,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Barrier, OnceLock,
    },
    thread,
    time::{Duration, Instant},
};

use actix_web::{web, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
use suite::{connect, raw_request, read_response, serve_with, TestServer};

const CHUNK: usize = 64 * 1024;

static STARTED: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicUsize = AtomicUsize::new(0);

/// A producer that allocates every chunk afresh (so buffering it anywhere
/// would show in memory) and counts its starts and drops.
struct Producer {
    left: u64,
}

impl Producer {
    fn new(size: u64) -> Self {
        STARTED.fetch_add(1, Ordering::SeqCst);
        Producer { left: size }
    }
}

impl Iterator for Producer {
    type Item = Vec<u8>;
    fn next(&mut self) -> Option<Vec<u8>> {
        if self.left == 0 {
            return None;
        }
        let n = self.left.min(CHUNK as u64);
        self.left -= n;
        Some(vec![b'x'; n as usize])
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

/// `/alloc/?size=N`: N bytes from a `Producer` on the blocking pool.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "alloc.bin")]
struct Alloc;

fn size_param(req: &HttpRequest) -> u64 {
    req.query_string()
        .strip_prefix("size=")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1 << 30)
}

impl GetFile for Alloc {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let size = size_param(req);
        Ok(
            VirtualFile::from_iter(std::iter::once(()).flat_map(move |()| Producer::new(size)))
                .with_size(size),
        )
    }
}

/// `/astream/?size=N`: the same from an async stream.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "astream.bin")]
struct AStream;

impl GetFile for AStream {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let size = size_param(req);
        let stream = futures_util::stream::iter(
            std::iter::once(())
                .flat_map(move |()| Producer::new(size))
                .map(|chunk| Ok::<_, std::io::Error>(bytes::Bytes::from(chunk))),
        );
        Ok(VirtualFile::from_stream(stream))
    }
}

/// The tests measure the whole process (threads, memory, CPU): one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        serve_with(2, |cfg| {
            demo::configure(cfg);
            cfg.route("/alloc/", web::get().to(|| async { Alloc }))
                .route("/astream/", web::get().to(|| async { AStream }));
        })
    })
}

fn status_value(name: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Resident memory of this process (server and clients), in KiB.
fn rss_kib() -> u64 {
    status_value("VmRSS:")
}

/// CPU time of this process so far, in clock ticks.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0)
}

#[test]
fn five_hundred_concurrent_downloads_succeed() {
    let _serial = serial();
    let addr = server().addr;
    let n = 500;
    let barrier = Arc::new(Barrier::new(n));
    let clients: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let mut stream = connect(addr);
                    let path = match i % 3 {
                        0 => "/big/?size=100000",
                        1 => "/stream/?size=100000",
                        _ => "/csv/?rows=2000",
                    };
                    barrier.wait(); // all connected, then all ask at once
                    let req =
                        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                    stream.write_all(req.as_bytes()).expect("send");
                    let res = read_response(&mut stream, false);
                    (path, res.status, res.complete, res.body)
                })
                .expect("spawn client")
        })
        .collect();
    let expected: Vec<u8> = (0..100_000u64).map(|i| (i % 251) as u8).collect();
    for client in clients {
        let (path, status, complete, body) = client.join().expect("client");
        assert_eq!(status, 200, "{path}");
        assert!(complete, "{path}: cut short");
        if !path.starts_with("/csv/") {
            assert!(body == expected, "{path}: wrong bytes");
        }
    }
}

#[test]
fn slow_readers_hold_bounded_memory() {
    let _serial = serial();
    let addr = server().addr;
    let before = rss_kib();
    let readers: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(move || {
                let mut stream = connect(addr);
                stream
                    .write_all(b"GET /alloc/?size=1073741824 HTTP/1.1\r\nHost: x\r\n\r\n")
                    .expect("send");
                // 1 KiB/s for 3 s.
                let mut buf = [0u8; 1024];
                let mut got = 0;
                let start = Instant::now();
                while start.elapsed() < Duration::from_secs(3) {
                    got += stream.read(&mut buf).expect("read");
                    thread::sleep(Duration::from_secs(1));
                }
                got
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(2500));
    let during = rss_kib();
    for reader in readers {
        assert!(reader.join().expect("reader") > 0);
    }
    let grown = during.saturating_sub(before);
    eprintln!("slow readers: VmRSS {before} KiB before, {during} KiB during (+{grown} KiB)");
    // Four producers of 1 GiB each, unthrottled, would hold gigabytes; the
    // bounded channel and the socket buffers hold a few MiB per reader.
    assert!(
        grown < 64 * 1024,
        "VmRSS grew by {grown} KiB with 4 slow readers"
    );
}

#[test]
fn clients_leaving_mid_stream_leave_nothing_running() {
    let _serial = serial();
    let addr = server().addr;
    // Warm up the pools so that what remains afterwards is comparable.
    for path in ["/alloc/?size=1000", "/astream/?size=1000"] {
        assert_eq!(server().get(path).status, 200);
    }
    let threads_before = std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0);
    let started_before = STARTED.load(Ordering::SeqCst);
    for i in 0..60 {
        let path = if i % 2 == 0 { "/alloc/" } else { "/astream/" };
        let mut stream = connect(addr);
        let req = format!("GET {path}?size=1073741824 HTTP/1.1\r\nHost: x\r\n\r\n");
        stream.write_all(req.as_bytes()).expect("send");
        let mut buf = vec![0u8; 100 * 1024];
        let mut got = 0;
        while got < buf.len() {
            match stream.read(&mut buf[got..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        assert!(got > 0, "no bytes before leaving");
        drop(stream); // leave mid-stream: 1 GiB announced, 100 KiB read
    }
    let started = STARTED.load(Ordering::SeqCst) - started_before;
    assert!(started >= 60, "{started} producers started");
    // Every producer stops at its next chunk and is dropped.
    let deadline = Instant::now() + Duration::from_secs(10);
    while DROPPED.load(Ordering::SeqCst) < STARTED.load(Ordering::SeqCst)
        && Instant::now() < deadline
    {
        thread::sleep(Duration::from_millis(50));
    }
    let (started, dropped) = (
        STARTED.load(Ordering::SeqCst),
        DROPPED.load(Ordering::SeqCst),
    );
    assert_eq!(
        dropped, started,
        "producers still alive after their clients left"
    );
    // And nothing keeps generating into the void: the process is idle.
    let ticks = cpu_ticks();
    thread::sleep(Duration::from_secs(1));
    let busy = cpu_ticks() - ticks;
    assert!(
        busy < 30,
        "{busy} ticks of CPU in 1 s after the clients left"
    );
    // No thread per abandoned download: at most the blocking pool's idle
    // threads remain (they expire after 10 s), far fewer than 60.
    let threads_after = std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0);
    eprintln!("threads: {threads_before} before, {threads_after} after 60 abandoned downloads");
    assert!(
        threads_after < threads_before + 30,
        "{threads_before} -> {threads_after} threads"
    );
}

/// Sends raw bytes and returns the status, or `None` when the server closed
/// without answering (acceptable for garbage).
fn raw_status(raw: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(server().addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let _ = stream.write_all(raw);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let line = String::from_utf8_lossy(&buf);
    line.split(' ').nth(1).and_then(|s| s.parse().ok())
}

#[test]
fn malformed_headers_never_give_5xx() {
    let _serial = serial();
    let huge = "9".repeat(6000);
    let many_ranges = format!("bytes={}", vec!["0-0"; 1500].join(","));
    let values: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"garbage".to_vec(),
        b"\xff\xfe\xfd".to_vec(),
        "caf\u{e9} \u{1f600}".as_bytes().to_vec(),
        b"*".to_vec(),
        b"W/".to_vec(),
        b"\"".to_vec(),
        b"W/\"unterminated".to_vec(),
        b"\"a\", , ,W/\"b\",*".to_vec(),
        b"bytes=-0".to_vec(),
        b"bytes=5-1".to_vec(),
        b"bytes=0-0,-1,5-".to_vec(),
        b"bytes=99999999999999999999999999-".to_vec(),
        b"bytes=-99999999999999999999999999".to_vec(),
        b"items=0-1".to_vec(),
        b"bytes==--,,".to_vec(),
        many_ranges.into_bytes(),
        b"Sun, 06 Nov 1994 08:49:37 GMT".to_vec(),
        b"Sun, 99 Nov 99999 99:99:99 GMT".to_vec(),
        b"-1".to_vec(),
        b"gzip;q=NaN, br;q=-1, *;q=1e999".to_vec(),
        huge.into_bytes(),
    ];
    let headers = [
        "Range",
        "If-Match",
        "If-None-Match",
        "If-Modified-Since",
        "If-Unmodified-Since",
        "If-Range",
        "Accept-Encoding",
    ];
    let paths = [
        "/versioned/",
        "/big/?size=1000",
        "/stream/?size=1000",
        "/text/",
    ];
    let mut sent = 0;
    for path in paths {
        for method in ["GET", "HEAD"] {
            for header in headers {
                for value in &values {
                    let mut raw = format!(
                        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{header}: "
                    )
                    .into_bytes();
                    raw.extend_from_slice(value);
                    raw.extend_from_slice(b"\r\n\r\n");
                    let status = raw_status(&raw);
                    assert!(
                        status.is_none_or(|s| s < 500),
                        "{method} {path} {header}: {:?} -> {status:?}",
                        String::from_utf8_lossy(&value[..value.len().min(60)])
                    );
                    sent += 1;
                }
            }
        }
    }
    // All the headers at once, twice each.
    let mut raw = b"GET /versioned/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".to_vec();
    for header in headers {
        for value in [&b"\xff garbage"[..], b"bytes=0-1"] {
            raw.extend_from_slice(header.as_bytes());
            raw.extend_from_slice(b": ");
            raw.extend_from_slice(value);
            raw.extend_from_slice(b"\r\n");
        }
    }
    raw.extend_from_slice(b"\r\n");
    assert!(raw_status(&raw).is_none_or(|s| s < 500));
    // Garbage instead of a request, and a well-formed request after it still works.
    for garbage in [
        &b"\x00\x01\x02\xff\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"\r\n\r\n\r\n",
    ] {
        assert!(raw_status(garbage).is_none_or(|s| s < 500));
    }
    let res = raw_request(
        server().addr,
        b"GET /text/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        false,
    );
    assert_eq!(res.status, 200);
    eprintln!("malformed: {sent} requests, none answered 5xx");
}
