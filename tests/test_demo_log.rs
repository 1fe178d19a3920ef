//! The demo's log: one grep-able `download …` line per download, as a user
//! sees it running `cargo run --example demo` (the real binary, over real HTTP).

use std::{
    io::{BufRead, Read, Write},
    net::SocketAddr,
    time::Duration,
};

use suite::DemoProcess;

/// The three requests of the issue: a full download, a client that stops
/// after 1 MiB of `/big/`, and a HEAD.
fn three_requests(addr: SocketAddr) {
    let res = suite::request(addr, "GET", "/text/", &[]);
    assert_eq!(res.body, b"Hello world!\n");

    let mut stream = suite::connect(addr);
    write!(stream, "GET /big/ HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut got = 0;
    let mut buf = [0u8; 65536];
    while got < 1 << 20 {
        got += stream.read(&mut buf).unwrap();
    }
    drop(stream);
    // The HEAD goes after the disconnect has been noticed, for a stable order.
    std::thread::sleep(Duration::from_millis(300));
    let res = suite::request(addr, "HEAD", "/text/", &[]);
    assert_eq!(res.status, 200);
}

#[test]
fn one_download_line_per_download() {
    let mut demo = DemoProcess::start(&[]);
    three_requests(demo.addr);
    let mut lines = Vec::new();
    for line in demo.stderr.as_mut().expect("stderr").lines() {
        let line = line.expect("stderr");
        if line.starts_with("download ") {
            lines.push(line);
            if lines.len() == 3 {
                break;
            }
        }
    }
    drop(demo);
    assert_eq!(lines.len(), 3, "{lines:#?}");
    let field = |line: &str, key: &str| {
        line.split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no {key} in {line}"))
    };
    let keys: Vec<&str> = lines[0]
        .split(' ')
        .skip(1)
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    assert_eq!(
        &keys[..8],
        ["method", "path", "status", "outcome", "bytes", "size", "ttfb_ms", "ms"],
        "{}",
        lines[0]
    );

    assert_eq!(field(&lines[0], "path"), "/text/");
    assert_eq!(field(&lines[0], "outcome"), "completed");
    assert_eq!(field(&lines[0], "bytes"), "13");

    assert_eq!(field(&lines[1], "path"), "/big/");
    assert_eq!(field(&lines[1], "outcome"), "client_gone");
    let bytes: u64 = field(&lines[1], "bytes").parse().unwrap();
    assert!((1 << 20..64 << 20).contains(&bytes), "{}", lines[1]);
    assert_eq!(field(&lines[1], "size"), (64u64 << 20).to_string());

    assert_eq!(field(&lines[2], "method"), "HEAD");
    assert_eq!(field(&lines[2], "outcome"), "completed");
    assert_eq!(field(&lines[2], "bytes"), "0");
}

#[test]
fn rust_log_silences_the_download_lines() {
    let demo = DemoProcess::start(&[("RUST_LOG", "downloadview::download=off,info")]);
    three_requests(demo.addr);
    std::thread::sleep(Duration::from_millis(300));
    let lines = demo.stop();
    assert!(
        lines.iter().any(|l| l.contains("starting")),
        "other logs still flow: {lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("download ")),
        "{lines:#?}"
    );
}
