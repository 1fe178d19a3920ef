//! Slow and stalled clients (SPEC §9) over real sockets: a client that stops
//! reading holds no thread of a pull source, a stalled writer never starves
//! the blocking pool that `web::block` shares, `send_timeout` abandons a
//! stalled download (its producer dropped exactly once, reported once), and
//! stalled async writers hold no thread. What an async writer does for its
//! own client (back-pressure, leaving, errors) is in test_streaming.rs.
//!
//! Each server here has a blocking pool of 4 threads per worker, and each
//! test stalls several times that many clients: with a thread held per
//! stalled client, the pool would be exhausted and `web::block` would never
//! answer.

use std::{
    io::{self, Read, Seek, SeekFrom},
    net::TcpStream,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    thread,
    time::{Duration, Instant},
};

use actix_web::{web, HttpRequest};
use downloadview::{AsyncSink, DownloadError, GetFile, Outcome, VirtualDownloadView, VirtualFile};
use suite::{
    eventually,
    kinds::endless_async_writer,
    threads_named,
    timed::{block, reports_for, timed_server, timed_server_connecting, whole_pool, Make, POOL},
    Live,
};

/// The tests of this file count the process's threads: one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Stalled clients per source kind: several pools' worth.
const STALLED: usize = 24;

// ---------------------------------------------------------------------------
// Sources.

/// `len` bytes of a pattern, as a seekable reader (offset 0 is byte 0).
struct PatternFile {
    len: u64,
    pos: u64,
}

impl Read for PatternFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (self.len - self.pos).min(buf.len() as u64) as usize;
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = ((self.pos + i as u64) % 251) as u8;
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PatternFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.pos = match pos {
            SeekFrom::Start(n) => n,
            SeekFrom::End(n) => self.len.saturating_add_signed(n),
            SeekFrom::Current(n) => self.pos.saturating_add_signed(n),
        }
        .min(self.len);
        Ok(self.pos)
    }
}

/// A fresh 4 KiB buffer, as a source that reads rows from a database makes.
fn fresh_chunk(i: u64) -> Vec<u8> {
    vec![(i % 251) as u8; 4096]
}

/// `size` bytes of the source kind `kind`, as the view below serves them.
fn source(kind: &str, size: u64) -> VirtualFile {
    match kind {
        "reader" => VirtualFile::from_reader(PatternFile { len: size, pos: 0 }).with_size(size),
        "seekable" => VirtualFile::from_seekable_reader(PatternFile { len: size, pos: 0 })
            .expect("a pattern file seeks"),
        "iter" => VirtualFile::from_iter((0..size / 4096).map(fresh_chunk)).with_size(size),
        "generator" => VirtualFile::from_generator(size, move |offset| {
            (offset / 4096..size / 4096).map(fresh_chunk)
        }),
        "writer" => VirtualFile::from_writer(move |out| {
            for i in 0..size / 4096 {
                out.write_all(&fresh_chunk(i))?;
            }
            Ok(())
        })
        .with_size(size),
        "async-writer" => VirtualFile::from_async_writer(move |mut sink: AsyncSink| async move {
            use tokio::io::AsyncWriteExt as _;
            for i in 0..size / 4096 {
                sink.write_all(&fresh_chunk(i)).await?;
            }
            Ok::<_, io::Error>(())
        })
        .with_size(size),
        other => panic!("no source kind {other}"),
    }
}

const KINDS: [&str; 6] = [
    "reader",
    "seekable",
    "iter",
    "generator",
    "writer",
    "async-writer",
];

/// `/{kind}?size=N`: N bytes (a multiple of 4096) of a source kind.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "data.bin")]
struct Kind;

impl GetFile for Kind {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let kind = req.match_info().get("kind").unwrap_or_default().to_owned();
        let size = req
            .query_string()
            .strip_prefix("size=")
            .and_then(|n| n.parse().ok())
            .unwrap_or(4096);
        Ok(source(&kind, size))
    }
}

fn server() -> suite::TestServer {
    suite::serve_tuned(1, Some(POOL), |cfg| {
        cfg.route("/block", web::get().to(block))
            .route("/pool", web::get().to(whole_pool))
            .route("/kind/{kind}", Kind::route());
    })
}

/// Starts `n` clients that ask for 1 GiB of `path` and read nothing, and
/// waits until the server has filled their connections.
fn stall_many(server: &suite::TestServer, path: &str, n: usize) -> Vec<TcpStream> {
    let clients = (0..n).map(|_| suite::stall(server.addr, path)).collect();
    thread::sleep(Duration::from_millis(500));
    clients
}

/// The time `/block` takes to answer; it must answer.
fn time_block(server: &suite::TestServer) -> Duration {
    let start = Instant::now();
    let res = server.get("/block");
    assert_eq!(res.text(), "42");
    start.elapsed()
}

fn assert_fresh_download_completes(server: &suite::TestServer, kind: &str) {
    let start = Instant::now();
    let res = server.get(&format!("/kind/{kind}?size=1048576"));
    assert!(res.complete, "{kind}: a fresh download was cut short");
    assert_eq!(res.body.len(), 1 << 20, "{kind}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{kind}: a fresh download took {:?} beside the stalled ones",
        start.elapsed()
    );
}

#[test]
fn pull_sources_hold_no_thread_while_their_clients_stall() {
    let _serial = serial();
    let server = server();
    // Warm up: the worker and its blocking pool.
    assert_fresh_download_completes(&server, "iter");
    let mut clients = Vec::new();
    for kind in ["reader", "seekable", "iter", "generator"] {
        clients.extend(stall_many(
            &server,
            &format!("/kind/{kind}?size=1073741824"),
            STALLED,
        ));
    }
    // 96 stalled pull downloads hold no thread: every thread of the
    // blocking pool (4) is free at once, and everything else still answers.
    assert_eq!(
        server.get("/pool").text(),
        "free",
        "a blocking thread is held with {} stalled pull downloads",
        clients.len()
    );
    let took = time_block(&server);
    assert!(took < Duration::from_secs(1), "web::block took {took:?}");
    for kind in ["reader", "seekable", "iter", "generator"] {
        assert_fresh_download_completes(&server, kind);
    }
    drop(clients);
}

#[test]
fn stalled_writers_leave_web_block_answering() {
    let _serial = serial();
    let server = server();
    assert_fresh_download_completes(&server, "writer");
    let clients = stall_many(&server, "/kind/writer?size=1073741824", STALLED);
    // Each stalled writer keeps a writer thread of its own: none of the
    // blocking pool's.
    let writers = threads_named("downloadview-wr");
    assert!(
        writers >= STALLED,
        "{writers} writer threads for {STALLED} stalled writers"
    );
    let took = time_block(&server);
    assert!(took < Duration::from_secs(1), "web::block took {took:?}");
    assert_fresh_download_completes(&server, "writer");
    assert_fresh_download_completes(&server, "iter");
    drop(clients);
}

#[test]
fn stalled_async_writers_hold_no_thread_and_wait_for_their_client() {
    let _serial = serial();
    let server = server();
    assert_fresh_download_completes(&server, "async-writer");
    let writers_before = threads_named("downloadview-wr");
    let clients = stall_many(&server, "/kind/async-writer?size=1073741824", STALLED);
    // No thread of their own, none of the blocking pool's.
    assert_eq!(server.get("/pool").text(), "free");
    assert!(threads_named("downloadview-wr") <= writers_before);
    let took = time_block(&server);
    assert!(took < Duration::from_secs(1), "web::block took {took:?}");
    assert_fresh_download_completes(&server, "async-writer");
    drop(clients);
}

#[test]
fn every_kind_resumes_after_a_stall_and_delivers_every_byte() {
    let _serial = serial();
    // A client that pauses and then reads on gets the whole body, exactly.
    let server = server();
    for kind in KINDS {
        let size = 8u64 << 20;
        let mut stream = suite::stall(server.addr, &format!("/kind/{kind}?size={size}"));
        thread::sleep(Duration::from_millis(300));
        let res = suite::read_response(&mut stream, false);
        assert!(res.complete, "{kind}: cut short after a pause");
        assert_eq!(res.body.len() as u64, size, "{kind}");
        let expected: Vec<u8> = match kind {
            "reader" | "seekable" => (0..size).map(|i| (i % 251) as u8).collect(),
            _ => (0..size / 4096).flat_map(fresh_chunk).collect(),
        };
        assert!(
            res.body == expected,
            "{kind}: the bytes differ after a pause"
        );
    }
}

// ---------------------------------------------------------------------------
// send_timeout (the timed view, its server and its reports: suite::timed)

/// An async stream of fresh chunks that never ends, counted in `live`
/// while it exists.
fn endless_stream(live: &Arc<AtomicUsize>) -> VirtualFile {
    let guard = Live::new(live);
    VirtualFile::from_stream(futures_util::stream::repeat_with(move || {
        let _ = &guard;
        Ok::<_, io::Error>(bytes::Bytes::from(fresh_chunk(3)))
    }))
}

/// Asserts the one report of `path`: the client timed out.
fn assert_timed_out(path: &str) {
    assert!(
        eventually(Duration::from_secs(3), || !reports_for(path).is_empty()),
        "{path}: no report"
    );
    thread::sleep(Duration::from_millis(300));
    let reports = reports_for(path);
    assert_eq!(reports.len(), 1, "{path}: reported {} times", reports.len());
    let report = &reports[0];
    suite::assert_timed_out(report, path);
    assert!(report.bytes > 0, "{path}: it had started: {report}");
}

#[test]
fn send_timeout_abandons_a_stalled_download_of_every_blocking_kind() {
    let _serial = serial();
    let live = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let (l, e) = (Arc::clone(&live), Arc::clone(&errors));
    let writer: Make = Arc::new(move || {
        let guard = Live::new(&l);
        let errors = Arc::clone(&e);
        VirtualFile::from_writer(move |out| {
            let _guard = guard;
            loop {
                if let Err(err) = out.write_all(&[b'w'; 1000]) {
                    errors.lock().unwrap().push(err.kind());
                    return Err(err.into());
                }
            }
        })
    });
    let l = Arc::clone(&live);
    let iter: Make = Arc::new(move || {
        let guard = Live::new(&l);
        VirtualFile::from_iter(std::iter::repeat_with(move || {
            let _ = &guard;
            fresh_chunk(7)
        }))
    });
    let l = Arc::clone(&live);
    let reader: Make = Arc::new(move || {
        struct Endless(#[allow(dead_code)] Live);
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                buf.fill(b'r');
                Ok(buf.len())
            }
        }
        VirtualFile::from_reader(Endless(Live::new(&l)))
    });
    let server = timed_server(vec![
        ("/timed/writer", writer),
        ("/timed/iter", iter),
        ("/timed/reader", reader),
    ]);
    let writers_before = threads_named("downloadview-wr");
    let mut clients = Vec::new();
    for path in ["/timed/writer", "/timed/iter", "/timed/reader"] {
        clients.push(suite::stall(server.addr, path));
    }
    assert!(eventually(Duration::from_secs(1), || live
        .load(Ordering::SeqCst)
        == 3));
    // Within the timeout plus the reaper's quarter second, every producer
    // is dropped (the writer's thread released) and each is reported once.
    assert!(
        eventually(Duration::from_secs(3), || live.load(Ordering::SeqCst) == 0),
        "{} sources still alive 3 s after their clients stalled",
        live.load(Ordering::SeqCst)
    );
    for path in ["/timed/writer", "/timed/iter", "/timed/reader"] {
        assert_timed_out(path);
    }
    assert_eq!(*errors.lock().unwrap(), [io::ErrorKind::BrokenPipe]);
    // Every thread of the blocking pool is free again (no step holds one),
    // and the writer thread went back to its pool (idle, it ends after 10 s):
    // no writer thread was added for good. (Counted by name: the process's
    // other threads come and go with the binary's other tests.)
    assert_eq!(server.get("/pool").text(), "free");
    let writers = threads_named("downloadview-wr");
    assert!(
        writers <= writers_before + 1,
        "{writers} writer threads after the timeouts, {writers_before} before"
    );
    assert!(time_block(&server) < Duration::from_secs(1));
    // The clients read on: the connection is aborted, never a clean end.
    for (mut client, path) in
        clients
            .into_iter()
            .zip(["/timed/writer", "/timed/iter", "/timed/reader"])
    {
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let res = suite::read_response(&mut client, false);
        assert!(!res.complete, "{path}: a timed-out download ended cleanly");
    }
}

#[test]
fn send_timeout_fires_while_the_producer_is_inside_the_source() {
    let _serial = serial();
    // The source first fills the connection, then takes 300 ms per item:
    // the timeout fires while a pull step is inside `next()`. The step's
    // next hand-over fails; the source is dropped once, reported once.
    let live = Arc::new(AtomicUsize::new(0));
    let pulled = Arc::new(AtomicU64::new(0));
    let (l, p) = (Arc::clone(&live), Arc::clone(&pulled));
    let slow: Make = Arc::new(move || {
        let guard = Live::new(&l);
        let pulled = Arc::clone(&p);
        VirtualFile::from_iter((0u64..).map(move |i| {
            let _ = &guard;
            pulled.fetch_add(1, Ordering::SeqCst);
            if i < 4096 {
                vec![b'f'; 4096] // 16 MiB at once: the client's buffers fill
            } else {
                thread::sleep(Duration::from_millis(300));
                vec![b's'; 10]
            }
        }))
    });
    let server = timed_server(vec![("/timed/slow", slow)]);
    let client = suite::stall(server.addr, "/timed/slow");
    assert!(
        eventually(Duration::from_secs(5), || live.load(Ordering::SeqCst) == 0),
        "the source was not dropped"
    );
    assert_timed_out("/timed/slow");
    let after = pulled.load(Ordering::SeqCst);
    thread::sleep(Duration::from_millis(700));
    assert_eq!(
        pulled.load(Ordering::SeqCst),
        after,
        "pulled after the drop"
    );
    drop(client);
}

#[test]
fn send_timeout_drops_a_stalled_async_source_on_its_worker() {
    let _serial = serial();
    // actix-web polls no body while the connection's write buffer is full,
    // so a stalled client's async source (a user's stream holding, say, a
    // database connection) would live as long as the connection. The
    // timeout drops it on its worker while the clients stay stalled.
    let live = Arc::new(AtomicUsize::new(0));
    let l = Arc::clone(&live);
    let stream: Make = Arc::new(move || endless_stream(&l));
    let l = Arc::clone(&live);
    let writer: Make = Arc::new(move || endless_async_writer(&l));
    let l = Arc::clone(&live);
    let archive: Make = Arc::new(move || {
        VirtualFile::zip([
            ("first.txt", VirtualFile::from_static(b"first\n")),
            ("endless.bin", endless_stream(&l)),
        ])
        .unwrap()
    });
    let paths = ["/timed/stream", "/timed/async-writer", "/timed/archive"];
    let server = timed_server(paths.into_iter().zip([stream, writer, archive]).collect());
    let clients: Vec<TcpStream> = paths
        .iter()
        .map(|path| suite::stall(server.addr, path))
        .collect();
    assert!(eventually(Duration::from_secs(1), || live
        .load(Ordering::SeqCst)
        == 3));
    assert!(
        eventually(Duration::from_secs(3), || live.load(Ordering::SeqCst) == 0),
        "{} async sources still alive 3 s after their clients stalled",
        live.load(Ordering::SeqCst)
    );
    for path in paths {
        assert_timed_out(path);
    }
    // The worker is not blocked by any of it.
    assert_eq!(server.get("/timed/stream-probe").status, 404);
    // The clients read on: the connection is aborted, never a clean end.
    for (mut client, path) in clients.into_iter().zip(paths) {
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let res = suite::read_response(&mut client, false);
        assert!(!res.complete, "{path}: a timed-out download ended cleanly");
    }
}

/// docs/deployment.md's `on_connect`, with a 1-second timeout.
fn tcp_user_timeout(conn: &dyn std::any::Any, _: &mut actix_web::dev::Extensions) {
    if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
        socket2::SockRef::from(tcp)
            .set_tcp_user_timeout(Some(Duration::from_secs(1)))
            .expect("TCP_USER_TIMEOUT");
    }
}

/// The server's established connections on `port` (its side only), from
/// /proc/net/tcp.
fn established_on(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.len() > 3 && fields[3] == "01" && fields[1].ends_with(&format!(":{port:04X}"))
        })
        .count()
}

#[test]
fn a_tcp_user_timeout_closes_a_stalled_connection() {
    let _serial = serial();
    // actix-web has no write timeout: after `send_timeout` the connection
    // of a client that stays stalled stays open until the client reads or
    // leaves. The kernel's TCP_USER_TIMEOUT, set in `on_connect` as
    // docs/deployment.md shows, closes it: its zero-window probes time out.
    let live = Arc::new(AtomicUsize::new(0));
    let l = Arc::clone(&live);
    let endless: Make = Arc::new(move || endless_stream(&l));
    let server = timed_server_connecting(tcp_user_timeout, vec![("/timed/closed", endless)]);
    let port = server.addr.port();
    let client = suite::stall(server.addr, "/timed/closed");
    assert!(eventually(Duration::from_secs(2), || established_on(port) == 1));
    assert!(
        eventually(Duration::from_secs(10), || established_on(port) == 0),
        "the server still holds the stalled connection 10 s on"
    );
    assert!(eventually(Duration::from_secs(2), || live
        .load(Ordering::SeqCst)
        == 0));
    // Reported once, by whichever came first: the 1-second send_timeout or
    // the connection's end.
    assert!(eventually(Duration::from_secs(2), || !reports_for(
        "/timed/closed"
    )
    .is_empty()));
    thread::sleep(Duration::from_millis(300));
    let reports = reports_for("/timed/closed");
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].outcome, Outcome::ClientGone);
    drop(client);
}

#[test]
fn a_slow_source_is_not_timed_out() {
    let _serial = serial();
    // send_timeout times the client, not the source: a source that takes
    // longer than the timeout between items, for a client that reads
    // everything, completes.
    let slow: Make = Arc::new(|| {
        VirtualFile::from_iter((0..3).map(|i| {
            if i > 0 {
                thread::sleep(Duration::from_millis(1600));
            }
            "tick\n"
        }))
    });
    let server = timed_server(vec![("/timed/ticks", slow)]);
    let res = server.get("/timed/ticks");
    assert!(res.complete);
    assert_eq!(res.text(), "tick\ntick\ntick\n");
    assert!(eventually(Duration::from_secs(2), || {
        reports_for("/timed/ticks")
            .iter()
            .any(|r| r.outcome == Outcome::Completed)
    }));
}
