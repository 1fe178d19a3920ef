//! The streaming engine over a real socket (SPEC §6, §9): every source kind
//! streams, fails visibly (an incomplete transfer, logged once), stops and is
//! dropped when the client goes away, and blocking sources never hold up an
//! actix worker; an async writer waits for its client, stops when it leaves,
//! aborts on its own error, and is never started for HEAD or 304.

use std::{
    io::{self, Read, Write},
    net::{Shutdown, SocketAddr},
    pin::Pin,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        mpsc::{self, Receiver, Sender},
        Arc, Mutex,
    },
    task::{Context, Poll},
    thread,
    time::{Duration, Instant},
};

use bytes::Bytes;
use downloadview::{AsyncSink, Outcome, VirtualFile};
use suite::{
    eventually,
    kinds::{endless_async_writer, pattern, EndlessAsyncReader, EndlessReader, FailingReader},
    made::Views,
    timed::{reports_for, timed_server, Make},
};
use tokio::io::{AsyncRead, ReadBuf};

// ---------------------------------------------------------------------------
// A view built from any closure, and a server of such views.

type MakeFile = Arc<dyn Fn() -> VirtualFile + Send + Sync>;

fn make(f: impl Fn() -> VirtualFile + Send + Sync + 'static) -> MakeFile {
    Arc::new(f)
}

fn serve(workers: usize, routes: Vec<(&'static str, MakeFile)>) -> suite::TestServer {
    let routes = routes
        .into_iter()
        .map(|(path, f)| (path, suite::made::make(move || Ok(f()))))
        .collect();
    Views::named("data.bin").workers(workers).serve(routes)
}

// ---------------------------------------------------------------------------
// A logger that keeps every record, to check that failures are logged once.

/// How many error records mention `needle`.
fn errors_mentioning(needle: &str) -> usize {
    suite::captured_logs()
        .lock()
        .unwrap()
        .iter()
        .filter(|line| line.starts_with("ERROR") && line.contains(needle))
        .count()
}

// ---------------------------------------------------------------------------
// Sources used below.

/// The bytes `[0, n)` of the demo pattern (byte i is `i % 251`).
/// Sends `()` when dropped: proves that a source was dropped.
struct DropSignal(Sender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// `n` bytes then an error (or the end, when `fail` is false), as an `AsyncRead`.
struct FiniteAsyncReader {
    left: usize,
    fail: bool,
}

impl AsyncRead for FiniteAsyncReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.left == 0 {
            return Poll::Ready(if self.fail {
                Err(io::Error::other("boom-async-read"))
            } else {
                Ok(())
            });
        }
        let n = self.left.min(buf.remaining()).min(10_000);
        buf.put_slice(&vec![b'a'; n]);
        self.left -= n;
        Poll::Ready(Ok(()))
    }
}

/// An async writer that writes `data` in pieces of `piece` bytes, then
/// fails with `fail` when given.
fn async_writer(data: Vec<u8>, piece: usize, fail: Option<&'static str>) -> VirtualFile {
    VirtualFile::from_async_writer(move |mut sink: downloadview::AsyncSink| async move {
        use tokio::io::AsyncWriteExt as _;
        for part in data.chunks(piece) {
            sink.write_all(part).await?;
        }
        match fail {
            Some(why) => Err(io::Error::other(why)),
            None => Ok(()),
        }
    })
}

fn chunks_of(total: usize, chunk: usize, byte: u8) -> Vec<Bytes> {
    (0..total)
        .step_by(chunk)
        .map(|start| Bytes::from(vec![byte; chunk.min(total - start)]))
        .collect()
}

// ---------------------------------------------------------------------------
// Every source kind streams completely.

#[test]
fn every_source_kind_streams_its_bytes_completely() {
    const N: usize = 3 * 1024 * 1024 + 17;
    let server = serve(
        2,
        vec![
            ("/bytes", make(|| VirtualFile::from_bytes(pattern(N)))),
            (
                "/reader",
                make(|| VirtualFile::from_reader(io::Cursor::new(pattern(N)))),
            ),
            (
                "/iter",
                make(|| {
                    VirtualFile::from_iter(
                        pattern(N)
                            .chunks(1000)
                            .map(<[u8]>::to_vec)
                            .collect::<Vec<_>>(),
                    )
                }),
            ),
            (
                "/writer",
                make(|| {
                    VirtualFile::from_writer(|out| Ok(out.write_all(&pattern(N))?))
                        .with_size(N as u64)
                }),
            ),
            (
                "/stream",
                make(|| {
                    let chunks: Vec<io::Result<Bytes>> = pattern(N)
                        .chunks(7000)
                        .map(|c| Ok(Bytes::copy_from_slice(c)))
                        .collect();
                    VirtualFile::from_stream(futures_util::stream::iter(chunks))
                }),
            ),
            (
                "/async-read",
                make(|| VirtualFile::from_async_read(io::Cursor::new(pattern(N)))),
            ),
            (
                "/async-writer",
                make(|| async_writer(pattern(N), 1000, None).with_size(N as u64)),
            ),
            (
                "/generator",
                make(|| {
                    VirtualFile::from_generator(N as u64, |offset| {
                        let data = pattern(N);
                        (offset as usize..N)
                            .step_by(4096)
                            .map(move |s| data[s..(s + 4096).min(N)].to_vec())
                            .collect::<Vec<_>>()
                    })
                }),
            ),
        ],
    );
    let expected = pattern(N);
    for path in [
        "/bytes",
        "/reader",
        "/iter",
        "/writer",
        "/stream",
        "/async-read",
        "/async-writer",
        "/generator",
    ] {
        let res = server.get(path);
        assert_eq!(res.status, 200, "{path}");
        assert!(res.complete, "{path}: the transfer must end cleanly");
        assert_eq!(res.body.len(), N, "{path}");
        assert!(res.body == expected, "{path}: wrong bytes");
    }
}

#[test]
fn a_million_tiny_items_arrive_whole_and_in_order() {
    let server = serve(
        2,
        vec![(
            "/tiny",
            make(|| VirtualFile::from_iter((0..1_000_000u32).map(|i| format!("{:012}\n", i)))),
        )],
    );
    let res = server.get("/tiny");
    assert!(res.complete && res.chunked);
    assert_eq!(res.body.len(), 13_000_000);
    let text = res.text();
    assert!(text.starts_with("000000000000\n000000000001\n"));
    assert!(text.ends_with("000000999999\n"));
}

// ---------------------------------------------------------------------------
// Failures after the headers abort the connection, and are logged once.

/// Fetches `path` and checks the transfer was cut short and logged once.
fn assert_aborted(server: &suite::TestServer, path: &str, needle: &str) {
    let _ = suite::captured_logs();
    let res = server.get(path);
    assert_eq!(
        res.status, 200,
        "{path}: the failure comes after the headers"
    );
    assert!(
        !res.complete,
        "{path}: the client must see an incomplete transfer, got {} bytes",
        res.body.len()
    );
    // The record is written before the body's error reaches actix, so before
    // the connection is cut; allow the server thread a moment anyway.
    let deadline = Instant::now() + Duration::from_secs(2);
    while errors_mentioning(needle) == 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        errors_mentioning(needle),
        1,
        "{path}: logged once ({needle})"
    );
}

#[test]
fn a_source_error_after_the_headers_aborts_the_transfer_for_every_source_kind() {
    let server = serve(
        2,
        vec![
            (
                "/iter",
                make(|| {
                    VirtualFile::from_try_iter(vec![
                        Ok(Bytes::from(vec![b'i'; 100_000])),
                        Err(io::Error::other("boom-iter")),
                    ])
                }),
            ),
            (
                "/reader",
                make(|| {
                    VirtualFile::from_reader(FailingReader {
                        left: 100_000,
                        byte: b'r',
                        message: "boom-reader",
                    })
                }),
            ),
            (
                "/writer",
                make(|| {
                    VirtualFile::from_writer(|out| {
                        out.write_all(&[b'w'; 100_000])?;
                        Err(io::Error::other("boom-writer").into())
                    })
                }),
            ),
            (
                "/stream",
                make(|| {
                    VirtualFile::from_stream(futures_util::stream::iter(vec![
                        Ok(Bytes::from(vec![b's'; 100_000])),
                        Err(io::Error::other("boom-stream")),
                    ]))
                }),
            ),
            (
                "/async-read",
                make(|| {
                    VirtualFile::from_async_read(FiniteAsyncReader {
                        left: 100_000,
                        fail: true,
                    })
                }),
            ),
            (
                "/async-writer",
                make(|| async_writer(vec![b'a'; 100_000], 4096, Some("boom-async-writer"))),
            ),
            (
                // A generator cannot fail; its panic is its error.
                "/generator",
                make(|| {
                    // 100,000 bytes, then a panic where the next 100,000
                    // would start; offset-aware, as the engine may start it
                    // again where the client's window filled.
                    VirtualFile::from_generator(200_000, |offset| {
                        let first = 100_000usize.saturating_sub(offset as usize);
                        (0..2).map(move |i| {
                            if i == 1 || first == 0 {
                                panic!("boom-generator");
                            }
                            vec![b'g'; first]
                        })
                    })
                }),
            ),
        ],
    );
    assert_aborted(&server, "/iter", "boom-iter");
    assert_aborted(&server, "/reader", "boom-reader");
    assert_aborted(&server, "/writer", "boom-writer");
    assert_aborted(&server, "/stream", "boom-stream");
    assert_aborted(&server, "/async-read", "boom-async-read");
    assert_aborted(&server, "/async-writer", "boom-async-writer");
    assert_aborted(&server, "/generator", "the body source panicked");
}

#[test]
fn a_source_shorter_than_its_declared_size_aborts_for_every_source_kind() {
    // Each route declares a size of its own, so each log line is told apart.
    let server = serve(
        2,
        vec![
            (
                "/iter",
                make(|| VirtualFile::from_iter(chunks_of(100_000, 4096, b'i')).with_size(100_001)),
            ),
            (
                "/reader",
                make(|| {
                    VirtualFile::from_reader(io::Cursor::new(vec![b'r'; 100_000]))
                        .with_size(100_002)
                }),
            ),
            (
                "/writer",
                make(|| {
                    VirtualFile::from_writer(|out| Ok(out.write_all(&[b'w'; 100_000])?))
                        .with_size(100_003)
                }),
            ),
            (
                "/stream",
                make(|| {
                    let items: Vec<io::Result<Bytes>> =
                        chunks_of(100_000, 4096, b's').into_iter().map(Ok).collect();
                    VirtualFile::from_stream(futures_util::stream::iter(items)).with_size(100_004)
                }),
            ),
            (
                "/async-read",
                make(|| {
                    VirtualFile::from_async_read(FiniteAsyncReader {
                        left: 100_000,
                        fail: false,
                    })
                    .with_size(100_005)
                }),
            ),
            (
                "/generator",
                make(|| VirtualFile::from_generator(100_006, |_| chunks_of(100_000, 4096, b'g'))),
            ),
            (
                "/async-writer",
                make(|| async_writer(vec![b'a'; 100_000], 4096, None).with_size(100_007)),
            ),
        ],
    );
    for (path, declared) in [
        ("/iter", 100_001),
        ("/reader", 100_002),
        ("/writer", 100_003),
        ("/stream", 100_004),
        ("/async-read", 100_005),
        ("/generator", 100_006),
        ("/async-writer", 100_007),
    ] {
        assert_aborted(&server, path, &format!("of its declared {declared} bytes"));
    }
}

#[test]
fn a_source_longer_than_its_declared_size_aborts_for_every_source_kind() {
    // Exactly the declared size and then more: the client must not get the
    // declared bytes and a clean end.
    let server = serve(
        2,
        vec![
            (
                "/iter",
                make(|| VirtualFile::from_iter(chunks_of(100_001, 4096, b'i')).with_size(99_001)),
            ),
            (
                "/reader",
                make(|| {
                    VirtualFile::from_reader(io::Cursor::new(vec![b'r'; 99_003])).with_size(99_002)
                }),
            ),
            (
                "/writer",
                make(|| {
                    VirtualFile::from_writer(|out| Ok(out.write_all(&[b'w'; 99_004])?))
                        .with_size(99_003)
                }),
            ),
            (
                "/stream",
                make(|| {
                    // The head and 50,000 bytes go out; the chunk completing
                    // the declared size never does.
                    let items: Vec<io::Result<Bytes>> = vec![
                        Ok(Bytes::from(vec![b's'; 50_000])),
                        Ok(Bytes::from(vec![b's'; 49_004])),
                        Ok(Bytes::from_static(b"!")),
                    ];
                    VirtualFile::from_stream(futures_util::stream::iter(items)).with_size(99_004)
                }),
            ),
            (
                "/async-read",
                make(|| {
                    VirtualFile::from_async_read(FiniteAsyncReader {
                        left: 99_006,
                        fail: false,
                    })
                    .with_size(99_005)
                }),
            ),
            (
                "/generator",
                make(|| VirtualFile::from_generator(99_006, |_| chunks_of(99_007, 4096, b'g'))),
            ),
            (
                "/async-writer",
                make(|| async_writer(vec![b'a'; 99_008], 4096, None).with_size(99_007)),
            ),
        ],
    );
    for (path, declared) in [
        ("/iter", 99_001),
        ("/reader", 99_002),
        ("/writer", 99_003),
        ("/stream", 99_004),
        ("/async-read", 99_005),
        ("/generator", 99_006),
        ("/async-writer", 99_007),
    ] {
        assert_aborted(
            &server,
            path,
            &format!("more than its declared size of {declared} bytes"),
        );
    }
}

// ---------------------------------------------------------------------------
// Cancellation: the client goes away, the producer stops and is dropped.

/// Starts a GET of `path`, reads about `bytes` bytes of the response, then
/// closes the socket; returns when it is closed.
fn read_some_then_close(addr: SocketAddr, path: &str, bytes: usize) {
    let mut stream = suite::connect(addr);
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0;
    while got < bytes {
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "{path}: the server closed first");
        got += n;
    }
    let _ = stream.shutdown(Shutdown::Both);
}

fn assert_dropped_within_a_second(rx: &Receiver<()>, what: &str) {
    let start = Instant::now();
    rx.recv_timeout(Duration::from_secs(1)).unwrap_or_else(|_| {
        panic!("{what}: the source was not dropped within 1 s of the client leaving")
    });
    eprintln!(
        "{what}: dropped {:?} after the client left",
        start.elapsed()
    );
}

#[test]
fn a_client_that_goes_away_stops_and_drops_every_kind_of_endless_source() {
    let (tx, rx) = mpsc::channel::<()>();
    let (write_err_tx, write_err_rx) = mpsc::channel::<io::ErrorKind>();
    let tx = Mutex::new(tx);
    let signal = Arc::new(move || DropSignal(tx.lock().unwrap().clone()));
    let write_err_tx = Mutex::new(write_err_tx);

    let s = Arc::clone(&signal);
    let iter = make(move || {
        let guard = s();
        VirtualFile::from_iter(std::iter::repeat_with(move || {
            let _ = &guard;
            Bytes::from_static(&[b'i'; 4096])
        }))
    });
    let s = Arc::clone(&signal);
    let reader = make(move || VirtualFile::from_reader(EndlessReader(s())));
    let s = Arc::clone(&signal);
    let writer = make(move || {
        let guard = s();
        let errors = write_err_tx.lock().unwrap().clone();
        VirtualFile::from_writer(move |out| {
            let _guard = guard;
            loop {
                if let Err(err) = out.write_all(b"id,name\n") {
                    let _ = errors.send(err.kind());
                    return Err(err.into());
                }
            }
        })
    });
    let s = Arc::clone(&signal);
    let stream = make(move || {
        let guard = s();
        VirtualFile::from_stream(futures_util::stream::repeat_with(move || {
            let _ = &guard;
            Ok::<_, io::Error>(Bytes::from_static(&[b's'; 4096]))
        }))
    });
    let s = Arc::clone(&signal);
    let async_read = make(move || VirtualFile::from_async_read(EndlessAsyncReader(s())));
    let s = Arc::clone(&signal);
    let async_writer = make(move || {
        let guard = s();
        VirtualFile::from_async_writer(move |mut sink: downloadview::AsyncSink| async move {
            use tokio::io::AsyncWriteExt as _;
            let _guard = guard;
            loop {
                sink.write_all(&[b'a'; 4096]).await?;
            }
            #[allow(unreachable_code)]
            Ok::<_, io::Error>(())
        })
    });
    let s = Arc::clone(&signal);
    let generator = make(move || {
        let guard = Arc::new(s());
        VirtualFile::from_generator(u64::MAX / 2, move |_| {
            let guard = Arc::clone(&guard);
            std::iter::repeat_with(move || {
                let _ = &guard;
                Bytes::from_static(&[b'g'; 4096])
            })
        })
    });

    let server = serve(
        2,
        vec![
            ("/iter", iter),
            ("/reader", reader),
            ("/writer", writer),
            ("/stream", stream),
            ("/async-read", async_read),
            ("/async-writer", async_writer),
            ("/generator", generator),
        ],
    );
    for path in [
        "/iter",
        "/reader",
        "/writer",
        "/stream",
        "/async-read",
        "/async-writer",
        "/generator",
    ] {
        read_some_then_close(server.addr, path, 512 * 1024);
        assert_dropped_within_a_second(&rx, path);
        if path == "/writer" {
            let kind = write_err_rx
                .recv_timeout(Duration::from_secs(1))
                .expect("the writer's next write fails");
            assert_eq!(kind, io::ErrorKind::BrokenPipe);
        }
    }
}

// ---------------------------------------------------------------------------
// Blocking sources never run on an actix worker.

#[test]
fn slow_blocking_sources_do_not_hold_up_a_single_worker() {
    const SLOW: Duration = Duration::from_millis(1500);
    let server = serve(
        1,
        vec![
            (
                "/text",
                make(|| VirtualFile::from_static(b"Hello world!\n")),
            ),
            (
                "/slow-iter",
                make(|| {
                    VirtualFile::from_iter((0..30).map(|_| {
                        thread::sleep(SLOW / 30);
                        "slow\n"
                    }))
                }),
            ),
            (
                "/slow-writer",
                make(|| {
                    VirtualFile::from_writer(|out| {
                        for _ in 0..30 {
                            thread::sleep(SLOW / 30);
                            out.write_all(b"slow\n")?;
                        }
                        Ok(())
                    })
                }),
            ),
            (
                "/slow-generator",
                make(|| {
                    VirtualFile::from_generator(150, |offset| {
                        (offset..150).step_by(5).map(|_| {
                            thread::sleep(SLOW / 30);
                            "slow\n"
                        })
                    })
                }),
            ),
        ],
    );
    let addr = server.addr;
    let started = Instant::now();
    let slow: Vec<_> = ["/slow-iter", "/slow-writer", "/slow-generator"]
        .into_iter()
        .map(|path| thread::spawn(move || suite::request(addr, "GET", path, &[])))
        .collect();
    thread::sleep(Duration::from_millis(200));
    for _ in 0..5 {
        let t = Instant::now();
        let res = server.get("/text");
        assert_eq!(res.body, b"Hello world!\n");
        assert!(
            t.elapsed() < Duration::from_millis(300),
            "/text took {:?} while slow sources streamed on the only worker",
            t.elapsed()
        );
    }
    assert!(
        started.elapsed() < SLOW,
        "the checks ran while the slow sources streamed"
    );
    for handle in slow {
        let res = handle.join().unwrap();
        assert!(res.complete);
        assert_eq!(res.body, "slow\n".repeat(30).as_bytes());
    }
}

// ---------------------------------------------------------------------------
// A slow source's items are not held back in the producer's buffer.

/// Reads the response to `path` until `want` body bytes arrived (chunk
/// framing included in the count is fine: we only look for `marker`).
fn time_until_seen(addr: SocketAddr, path: &str, marker: &[u8]) -> Duration {
    let mut stream = suite::connect(addr);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let start = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "{path}: ended before {marker:?} arrived");
        seen.extend_from_slice(&buf[..n]);
        if seen.windows(marker.len()).any(|w| w == marker) {
            return start.elapsed();
        }
    }
}

#[test]
fn items_before_a_pause_are_sent_before_the_pause_ends() {
    let server = serve(
        2,
        vec![
            (
                "/pause-iter",
                make(|| {
                    VirtualFile::from_iter((0..4).map(|i| {
                        if i == 3 {
                            thread::sleep(Duration::from_secs(3));
                        }
                        ["first\n", "second\n", "third\n", "last\n"][i]
                    }))
                }),
            ),
            (
                "/pause-writer",
                make(|| {
                    VirtualFile::from_writer(|out| {
                        out.write_all(b"first\n")?;
                        out.write_all(b"second\n")?;
                        out.write_all(b"third\n")?;
                        thread::sleep(Duration::from_secs(3));
                        Ok(out.write_all(b"last\n")?)
                    })
                }),
            ),
            (
                "/pause-async-writer",
                make(|| {
                    VirtualFile::from_async_writer(|mut out: downloadview::AsyncSink| async move {
                        use tokio::io::AsyncWriteExt as _;
                        out.write_all(b"first\n").await?;
                        out.write_all(b"second\n").await?;
                        out.write_all(b"third\n").await?;
                        actix_web::rt::time::sleep(Duration::from_secs(3)).await;
                        out.write_all(b"last\n").await
                    })
                }),
            ),
        ],
    );
    for path in ["/pause-iter", "/pause-writer", "/pause-async-writer"] {
        let took = time_until_seen(server.addr, path, b"third\n");
        assert!(
            took < Duration::from_secs(1),
            "{path}: the items before the pause took {took:?} to arrive"
        );
    }
}

// ---------------------------------------------------------------------------
// Async writers: back-pressure, a client that leaves, an error, and answers
// that never start the writer. Served by suite::timed, whose reports say how
// each download ended.

#[test]
fn an_async_writer_waits_for_its_client() {
    // Back-pressure: the writer writes as fast as it may; while the client
    // reads nothing, the bytes written stop growing at the connection's
    // buffers plus one window.
    let written = Arc::new(AtomicU64::new(0));
    let w = Arc::clone(&written);
    let endless: Make = Arc::new(move || {
        let written = Arc::clone(&w);
        VirtualFile::from_async_writer(move |mut sink: AsyncSink| async move {
            use tokio::io::AsyncWriteExt as _;
            loop {
                sink.write_all(&[b'a'; 1000]).await?;
                written.fetch_add(1000, Ordering::SeqCst);
            }
            #[allow(unreachable_code)]
            Ok::<_, io::Error>(())
        })
    });
    let server = timed_server(vec![("/async/endless", endless)]);
    let mut client = suite::stall(server.addr, "/async/endless");
    thread::sleep(Duration::from_millis(500));
    let first = written.load(Ordering::SeqCst);
    thread::sleep(Duration::from_millis(300));
    let second = written.load(Ordering::SeqCst);
    assert_eq!(
        first, second,
        "the writer went on while the client read nothing"
    );
    assert!(
        second < 16 << 20,
        "{second} bytes written for a client that read nothing"
    );
    // It resumes when the client reads.
    let mut buf = vec![0u8; 1 << 20];
    let mut read = 0;
    while read < 4 * second as usize {
        read += client.read(&mut buf).unwrap();
    }
    assert!(written.load(Ordering::SeqCst) > second);
}

#[test]
fn an_async_writer_is_dropped_when_its_client_leaves() {
    let live = Arc::new(AtomicUsize::new(0));
    let l = Arc::clone(&live);
    let endless: Make = Arc::new(move || endless_async_writer(&l));
    let server = timed_server(vec![("/async/leave", endless)]);
    let mut client = suite::stall(server.addr, "/async/leave");
    let mut buf = vec![0u8; 64 * 1024];
    let mut read = 0;
    while read < 1 << 20 {
        read += client.read(&mut buf).unwrap();
    }
    assert_eq!(live.load(Ordering::SeqCst), 1);
    drop(client);
    assert!(
        eventually(Duration::from_secs(1), || live.load(Ordering::SeqCst) == 0),
        "the future outlived its client"
    );
    assert!(eventually(Duration::from_secs(2), || {
        reports_for("/async/leave")
            .iter()
            .any(|r| r.outcome == Outcome::ClientGone)
    }));
}

#[test]
fn an_async_writer_error_aborts_the_transfer() {
    let failing: Make = Arc::new(|| {
        VirtualFile::from_async_writer(|mut sink: AsyncSink| async move {
            use tokio::io::AsyncWriteExt as _;
            sink.write_all(&[b'a'; 100_000]).await?;
            Err::<(), _>(io::Error::other("the archive broke"))
        })
    });
    let server = timed_server(vec![("/async/fail", failing)]);
    let res = server.get("/async/fail");
    assert!(!res.complete, "an async writer error ended cleanly");
    assert!(eventually(Duration::from_secs(2), || {
        reports_for("/async/fail").iter().any(|r| {
            r.outcome == Outcome::SourceFailed && r.error.as_deref() == Some("the archive broke")
        })
    }));
}

#[test]
fn a_sink_moved_into_another_task_fails_once_the_client_is_gone() {
    // The closure hands the sink to a task of its own and returns a future
    // that waits for it; when the client leaves, the task's next write fails.
    let errors = Arc::new(Mutex::new(Vec::new()));
    let e = Arc::clone(&errors);
    let spawned: Make = Arc::new(move || {
        let errors = Arc::clone(&e);
        VirtualFile::from_async_writer(move |mut sink: AsyncSink| {
            let task = actix_web::rt::spawn(async move {
                use tokio::io::AsyncWriteExt as _;
                loop {
                    if let Err(err) = sink.write_all(&[b'x'; 4096]).await {
                        errors.lock().unwrap().push(err.kind());
                        return;
                    }
                }
            });
            async move {
                let _ = task.await;
                Ok::<_, io::Error>(())
            }
        })
    });
    let server = timed_server(vec![("/async/spawned", spawned)]);
    let mut client = suite::stall(server.addr, "/async/spawned");
    let mut buf = vec![0u8; 64 * 1024];
    let mut read = 0;
    while read < 1 << 20 {
        read += client.read(&mut buf).unwrap();
    }
    drop(client);
    assert!(
        eventually(Duration::from_secs(2), || !errors
            .lock()
            .unwrap()
            .is_empty()),
        "the spawned writer never saw the client go"
    );
    assert_eq!(*errors.lock().unwrap(), [io::ErrorKind::BrokenPipe]);
}

#[test]
fn head_and_not_modified_never_start_an_async_writer() {
    let started = Arc::new(AtomicUsize::new(0));
    let s = Arc::clone(&started);
    let counted: Make = Arc::new(move || {
        let started = Arc::clone(&s);
        VirtualFile::from_async_writer(move |mut sink: AsyncSink| {
            started.fetch_add(1, Ordering::SeqCst);
            async move {
                use tokio::io::AsyncWriteExt as _;
                sink.write_all(b"hello\n").await
            }
        })
        .with_etag(actix_web::http::header::EntityTag::new_strong("v1".into()))
    });
    let server = timed_server(vec![("/async/counted", counted)]);
    assert_eq!(server.head("/async/counted").status, 200);
    let res = server.request("GET", "/async/counted", &[("If-None-Match", "\"v1\"")]);
    assert_eq!(res.status, 304);
    assert_eq!(started.load(Ordering::SeqCst), 0);
    assert_eq!(server.get("/async/counted").body, b"hello\n");
    assert_eq!(started.load(Ordering::SeqCst), 1);
}
