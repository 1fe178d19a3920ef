//! Real-socket test servers: an actix-web `HttpServer` on 127.0.0.1 with an
//! ephemeral port, on a thread of its own, stopped when the [`TestServer`]
//! is dropped.

use std::{
    net::{SocketAddr, TcpListener},
    thread,
};

use actix_web::{dev::ServerHandle, web::ServiceConfig, App, HttpServer};

use crate::client::{request, Response};

/// A server on 127.0.0.1 with an ephemeral port, stopped on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<thread::JoinHandle<()>>,
}

/// Serves `configure` with 2 workers.
pub fn serve<F>(configure: F) -> TestServer
where
    F: Fn(&mut ServiceConfig) + Send + Clone + 'static,
{
    serve_with(2, configure)
}

/// Serves `configure` with `workers` workers.
pub fn serve_with<F>(workers: usize, configure: F) -> TestServer
where
    F: Fn(&mut ServiceConfig) + Send + Clone + 'static,
{
    serve_tuned(workers, None, configure)
}

/// Serves `configure` with `workers` workers, each with a blocking pool of
/// at most `max_blocking` threads when given (actix-web's default: 512
/// divided by the number of cores).
pub fn serve_tuned<F>(workers: usize, max_blocking: Option<usize>, configure: F) -> TestServer
where
    F: Fn(&mut ServiceConfig) + Send + Clone + 'static,
{
    serve_connecting(workers, max_blocking, |_, _| {}, configure)
}

/// As [`serve_tuned`], with `on_connect` run on every new connection
/// (`HttpServer::on_connect`: socket options, for instance).
pub fn serve_connecting<F>(
    workers: usize,
    max_blocking: Option<usize>,
    on_connect: fn(&dyn std::any::Any, &mut actix_web::dev::Extensions),
    configure: F,
) -> TestServer
where
    F: Fn(&mut ServiceConfig) + Send + Clone + 'static,
{
    start(
        Setup {
            workers,
            max_blocking,
            on_connect,
            h2c: false,
        },
        configure,
    )
}

/// Serves `configure` with `workers` workers over HTTP/1.x and, on the same
/// port, HTTP/2 with prior knowledge (h2c).
pub fn serve_h2c<F>(workers: usize, configure: F) -> TestServer
where
    F: Fn(&mut ServiceConfig) + Send + Clone + 'static,
{
    start(
        Setup {
            workers,
            max_blocking: None,
            on_connect: |_, _| {},
            h2c: true,
        },
        configure,
    )
}

/// How a test server is set up, beyond its routes.
struct Setup {
    workers: usize,
    max_blocking: Option<usize>,
    on_connect: fn(&dyn std::any::Any, &mut actix_web::dev::Extensions),
    h2c: bool,
}

fn start<F>(setup: Setup, configure: F) -> TestServer
where
    F: Fn(&mut ServiceConfig) + Send + Clone + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let mut server = HttpServer::new(move || App::new().configure(configure.clone()))
                .workers(setup.workers)
                .on_connect(setup.on_connect)
                .disable_signals()
                .shutdown_timeout(1);
            if let Some(max) = setup.max_blocking {
                server = server.worker_max_blocking_threads(max);
            }
            let server = if setup.h2c {
                server.listen_auto_h2c(listener)
            } else {
                server.listen(listener)
            };
            let server = server.expect("listen").run();
            tx.send(server.handle()).expect("send handle");
            server.await.expect("server");
        });
    });
    let handle = rx.recv().expect("server started");
    TestServer {
        addr,
        handle,
        thread: Some(thread),
    }
}

impl TestServer {
    pub fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path, &[])
    }

    pub fn head(&self, path: &str) -> Response {
        request(self.addr, "HEAD", path, &[])
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
        request(self.addr, method, path, headers)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
