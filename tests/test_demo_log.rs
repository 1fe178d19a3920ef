//! The demo's log: one grep-able `download …` line per download, as a user
//! sees it running `cargo run --example demo` (the real binary, over real HTTP).

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::SocketAddr,
    process::{Child, ChildStderr, Command, Stdio},
    time::Duration,
};

fn start_demo(rust_log: Option<&str>) -> (Child, SocketAddr, BufReader<ChildStderr>) {
    let exe = std::env::current_exe().expect("test exe");
    let demo = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| {
            dir.join("examples")
                .join(format!("demo{}", std::env::consts::EXE_SUFFIX))
        })
        .expect("target dir");
    let mut cmd = Command::new(&demo);
    cmd.env("DEMO_ADDR", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match rust_log {
        Some(filter) => cmd.env("RUST_LOG", filter),
        None => cmd.env_remove("RUST_LOG"),
    };
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", demo.display()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("demo URL line");
    let addr = line
        .trim()
        .rsplit(' ')
        .next()
        .and_then(|url| url.strip_prefix("http://"))
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .parse()
        .expect("socket address");
    let stderr = BufReader::new(child.stderr.take().unwrap());
    (child, addr, stderr)
}

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
    let (mut child, addr, stderr) = start_demo(None);
    three_requests(addr);
    let mut lines = Vec::new();
    for line in stderr.lines() {
        let line = line.expect("stderr");
        if line.starts_with("download ") {
            lines.push(line);
            if lines.len() == 3 {
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
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
    let (mut child, addr, stderr) = start_demo(Some("downloadview::download=off,info"));
    three_requests(addr);
    std::thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    let lines: Vec<String> = stderr.lines().map_while(Result::ok).collect();
    assert!(
        lines.iter().any(|l| l.contains("starting")),
        "other logs still flow: {lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("download ")),
        "{lines:#?}"
    );
}
