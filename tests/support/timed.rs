//! Downloads with a 1-second `send_timeout` whose reports are kept: the view,
//! a server of such views on one worker with a small blocking pool, and the
//! reports it kept. The slow-client tests time stalled downloads out with it;
//! the async-writer tests read how their downloads ended from its reports.

use std::{
    sync::{Arc, Condvar, Mutex},
    time::Duration,
};

use actix_web::{web, HttpRequest, HttpResponse};
use downloadview::{DownloadError, DownloadReport, GetFile, VirtualDownloadView, VirtualFile};

use crate::server::{serve_connecting, TestServer};

/// The blocking pool of each server of [`timed_server`] (the slow-client
/// tests give their other servers the same).
pub const POOL: usize = 4;

/// Makes the file of one request to a route of [`timed_server`].
pub type Make = Arc<dyn Fn() -> VirtualFile + Send + Sync>;

/// Every report of this test binary's timed downloads.
fn reports() -> &'static Mutex<Vec<DownloadReport>> {
    static REPORTS: Mutex<Vec<DownloadReport>> = Mutex::new(Vec::new());
    &REPORTS
}

/// The reports of the downloads of `path`, in the order they came.
pub fn reports_for(path: &str) -> Vec<DownloadReport> {
    reports()
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.path() == path)
        .cloned()
        .collect()
}

/// A view with a 1-second `send_timeout` whose reports are kept.
#[derive(VirtualDownloadView)]
#[download(basename = "timed.bin", send_timeout = 1)]
struct Timed {
    make: Make,
}

impl GetFile for Timed {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok((self.make)())
    }

    fn on_download(&self, report: &DownloadReport) {
        reports().lock().unwrap().push(report.clone());
    }
}

/// What the application's own blocking work looks like (`/block` on every
/// server of [`timed_server`]).
pub async fn block() -> HttpResponse {
    let answer = web::block(|| 6 * 7).await.expect("web::block ran");
    HttpResponse::Ok().body(answer.to_string())
}

/// Whether every thread of the blocking pool is free: [`POOL`] blocking
/// calls that each wait (up to 2 s) until all of them run at once answer
/// `"free"`; a pool with a thread held elsewhere answers `"busy"` (`/pool` on
/// every server of [`timed_server`]).
pub async fn whole_pool() -> HttpResponse {
    let running = Arc::new((Mutex::new(0usize), Condvar::new()));
    let calls = (0..POOL).map(|_| {
        let running = Arc::clone(&running);
        web::block(move || {
            let (count, all) = &*running;
            let mut count = count.lock().unwrap();
            *count += 1;
            all.notify_all();
            let (count, _) = all
                .wait_timeout_while(count, Duration::from_secs(2), |n| *n < POOL)
                .unwrap();
            *count >= POOL
        })
    });
    let together = futures_util::future::join_all(calls).await;
    let free = together.into_iter().all(|call| call.unwrap_or(false));
    HttpResponse::Ok().body(if free { "free" } else { "busy" })
}

/// Serves each route's [`Make`] through the timed view (any method),
/// `/block` and `/pool`, on one worker with a blocking pool of [`POOL`] threads.
pub fn timed_server(routes: Vec<(&'static str, Make)>) -> TestServer {
    timed_server_connecting(|_, _| {}, routes)
}

/// As [`timed_server`], with `on_connect` run on each new connection.
pub fn timed_server_connecting(
    on_connect: fn(&dyn std::any::Any, &mut actix_web::dev::Extensions),
    routes: Vec<(&'static str, Make)>,
) -> TestServer {
    serve_connecting(1, Some(POOL), on_connect, move |cfg| {
        cfg.route("/block", web::get().to(block))
            .route("/pool", web::get().to(whole_pool));
        for (path, make) in routes.clone() {
            cfg.route(
                path,
                web::route().to(move || {
                    let make = Arc::clone(&make);
                    async move { Timed { make } }
                }),
            );
        }
    })
}
