//! A raw HTTP/1.x client that reports exactly what went over the wire,
//! including whether the body ended cleanly (a complete chunked terminator or
//! the full `Content-Length`) or was cut off, and how the connection ended.

use std::{
    io::{self, Read, Write},
    net::{SocketAddr, TcpStream},
    time::Duration,
};

/// A response as it went over the wire.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names lowercased, values as sent, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body ended as its framing says (full Content-Length, or a chunked
    /// terminator); false when the connection was cut short.
    pub complete: bool,
    pub chunked: bool,
    /// The raw head (status line and headers), for exactness checks.
    pub raw_head: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The headers, sorted, but those named in `skip` (lowercase): what two
    /// answers that must agree are compared on (`date` differs by the second).
    pub fn headers_but(&self, skip: &[&str]) -> Vec<(String, String)> {
        let mut headers: Vec<_> = self
            .headers
            .iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .cloned()
            .collect();
        headers.sort();
        headers
    }

    /// The headers as an actix `HeaderMap` (for `downloadview::test`).
    pub fn header_map(&self) -> actix_web::http::header::HeaderMap {
        use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
        let mut map = HeaderMap::new();
        for (k, v) in &self.headers {
            if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(v)) {
                map.append(k, v);
            }
        }
        map
    }

    pub fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status).expect("valid status")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request with `Connection: close` and reads the whole response.
pub fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    try_request(addr, method, path, headers).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// As [`request`], but a connection closed before any response head is an
/// `Err` (what a client sees when a download aborts before its first flush).
pub fn try_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Response, String> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut stream = connect(addr);
    stream.write_all(req.as_bytes()).expect("send request");
    try_read_response(&mut stream, method == "HEAD")
}

/// Sends raw bytes as the request and reads the response.
pub fn raw_request(addr: SocketAddr, raw: &[u8], head_request: bool) -> Response {
    let mut stream = connect(addr);
    stream.write_all(raw).expect("send request");
    read_response(&mut stream, head_request)
}

/// How a connection ended once a response had been sent on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The server closed it cleanly (end of stream).
    Closed,
    /// The server reset it.
    Reset,
    /// It was still open when the reader gave up waiting.
    Open,
}

/// Everything the server sent on one connection in answer to `raw`, read
/// until the server ended the connection or `wait` passed without a byte.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Every byte received, framing included, exactly as sent.
    pub raw: Vec<u8>,
    pub ending: Ending,
}

impl Exchange {
    /// The raw bytes parsed as one response (the body by its framing, or
    /// everything after the head when it has none).
    pub fn response(&self, head_request: bool) -> Response {
        parse_response(&mut self.raw.as_slice(), head_request).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The bytes after the head, exactly as sent (no framing removed).
    pub fn raw_body(&self) -> &[u8] {
        let end = self
            .raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(self.raw.len(), |i| i + 4);
        &self.raw[end..]
    }
}

/// Sends `raw` on a new connection and keeps reading until the server ends
/// the connection, or until `wait` passes without a byte.
pub fn exchange(addr: SocketAddr, raw: &[u8], wait: Duration) -> Exchange {
    let mut stream = connect(addr);
    stream.set_read_timeout(Some(wait)).expect("timeout");
    stream.write_all(raw).expect("send request");
    let mut received = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    let ending = loop {
        match stream.read(&mut chunk) {
            Ok(0) => break Ending::Closed,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break Ending::Reset,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break Ending::Open
            }
            Err(e) => panic!("reading the response: {e}"),
        }
    };
    Exchange {
        raw: received,
        ending,
    }
}

/// A client that sends `GET path` and then reads nothing: the server fills
/// the connection's kernel buffers and stalls. Dropped, it closes.
pub fn stall(addr: SocketAddr, path: &str) -> TcpStream {
    let mut stream = connect(addr);
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("send request");
    stream
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream
}

/// Reads one response from `stream` (the head, then the body by its framing).
pub fn read_response(stream: &mut TcpStream, head_request: bool) -> Response {
    try_read_response(stream, head_request).unwrap_or_else(|e| panic!("{e}"))
}

/// As [`read_response`]; `Err` when the connection closes before a response head.
pub fn try_read_response(stream: &mut TcpStream, head_request: bool) -> Result<Response, String> {
    parse_response(stream, head_request)
}

/// Reads one response from any byte source: a socket, or bytes already read.
pub fn parse_response(stream: &mut dyn Read, head_request: bool) -> Result<Response, String> {
    let mut reader = Buffered {
        stream,
        buf: Vec::new(),
        pos: 0,
    };
    let head = reader
        .read_until(b"\r\n\r\n")
        .ok_or("the connection closed before a response head")?;
    let raw_head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = raw_head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let chunked = find("transfer-encoding").is_some_and(|te| te.eq_ignore_ascii_case("chunked"));
    let no_body = head_request || status == 304 || status == 204 || (100..200).contains(&status);
    let (body, complete) = if no_body {
        (Vec::new(), true)
    } else if chunked {
        reader.read_chunked()
    } else if let Some(len) = find("content-length").and_then(|l| l.parse::<usize>().ok()) {
        let body = reader.read_exact_or_eof(len);
        let complete = body.len() == len;
        (body, complete)
    } else {
        (reader.read_to_end(), true)
    };
    Ok(Response {
        status,
        headers,
        body,
        complete,
        chunked,
        raw_head,
    })
}

struct Buffered<'a> {
    stream: &'a mut dyn Read,
    buf: Vec<u8>,
    pos: usize,
}

impl Buffered<'_> {
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 64 * 1024];
        let n = loop {
            match self.stream.read(&mut chunk) {
                // A signal (a child process of another test ending) is not
                // the end of the connection: read again.
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    fn read_until(&mut self, delim: &[u8]) -> Option<Vec<u8>> {
        loop {
            if let Some(i) = self.buf[self.pos..]
                .windows(delim.len())
                .position(|w| w == delim)
            {
                let out = self.buf[self.pos..self.pos + i].to_vec();
                self.pos += i + delim.len();
                return Some(out);
            }
            match self.fill() {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    fn read_exact_or_eof(&mut self, len: usize) -> Vec<u8> {
        while self.buf.len() - self.pos < len {
            match self.fill() {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let end = (self.pos + len).min(self.buf.len());
        let out = self.buf[self.pos..end].to_vec();
        self.pos = end;
        out
    }

    fn read_to_end(&mut self) -> Vec<u8> {
        while let Ok(n) = self.fill() {
            if n == 0 {
                break;
            }
        }
        let out = self.buf[self.pos..].to_vec();
        self.pos = self.buf.len();
        out
    }

    /// The decoded body and whether the terminating chunk arrived.
    fn read_chunked(&mut self) -> (Vec<u8>, bool) {
        let mut body = Vec::new();
        loop {
            let Some(size_line) = self.read_until(b"\r\n") else {
                return (body, false);
            };
            let size_text = String::from_utf8_lossy(&size_line);
            let size_text = size_text.split(';').next().unwrap_or("").trim();
            let Ok(size) = usize::from_str_radix(size_text, 16) else {
                return (body, false);
            };
            if size == 0 {
                // Trailers (none expected), then the final CRLF.
                return (body, self.read_until(b"\r\n").is_some());
            }
            let data = self.read_exact_or_eof(size);
            let got = data.len();
            body.extend_from_slice(&data);
            if got < size || self.read_until(b"\r\n").is_none() {
                return (body, false);
            }
        }
    }
}
