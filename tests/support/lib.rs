//! Test support for downloadview's black-box tests (the `suite` crate), one
//! module per concern: real-socket test servers ([`server`]), a raw HTTP/1.x
//! client that reports exactly what went over the wire ([`client`]), the demo
//! binary as a child process ([`demo`]), captured log records ([`logs`]),
//! download views made from closures and their servers ([`made`]), what
//! tests watch besides the wire ([`watch`]), the source kinds tests serve
//! ([`kinds`]), a strict `multipart/byteranges` parser ([`multipart`]),
//! downloads with a `send_timeout` whose reports are kept ([`timed`]) and
//! the real tools the archive tests drive ([`tools`]).
//!
//! What tests name directly is re-exported here: `suite::serve`,
//! `suite::request`, `suite::eventually` and so on.
#![allow(missing_docs, unreachable_pub)]

pub mod client;
pub mod demo;
pub mod kinds;
pub mod logs;
pub mod made;
pub mod multipart;
pub mod server;
pub mod timed;
pub mod tools;
pub mod watch;

pub use client::{
    connect, exchange, parse_response, raw_request, read_response, request, stall,
    try_read_response, try_request, Ending, Exchange, Response,
};
pub use demo::DemoProcess;
pub use logs::captured_logs;
pub use server::{serve, serve_connecting, serve_h2c, serve_tuned, serve_with, TestServer};
pub use watch::{assert_abandoned, assert_timed_out, eventually, threads_named, Live};
