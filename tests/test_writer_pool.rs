//! The writer pool at its limit (SPEC §9), over real sockets: with the limit
//! set to 2 writer threads, clients that stall on writer closures cannot stop
//! the server from starting new ones. The writer that has waited longest for
//! its client is abandoned (reported `ClientGone`, "writer pool full") and
//! its thread runs the new writer; a writer busy with its own work is never
//! abandoned; the pool never holds more threads than its limit.
//!
//! The limit is process-wide, so this file is a test binary of its own, with
//! one test.

use std::{io, net::TcpStream, sync::Mutex, thread, time::Duration};

use actix_web::{web, HttpRequest, HttpResponse};
use downloadview::{
    DownloadError, DownloadReport, GetFile, Outcome, VirtualDownloadView, VirtualFile,
};
use suite::eventually;

const LIMIT: usize = 2;

fn reports() -> &'static Mutex<Vec<DownloadReport>> {
    static REPORTS: Mutex<Vec<DownloadReport>> = Mutex::new(Vec::new());
    &REPORTS
}

fn reports_for(path: &str) -> Vec<DownloadReport> {
    let reports = reports().lock().unwrap();
    reports
        .iter()
        .filter(|r| r.path() == path)
        .cloned()
        .collect()
}

/// The writer threads of this process.
fn writer_threads() -> usize {
    suite::threads_named("downloadview-wr")
}

/// `/endless/{n}`: CSV rows forever, from a writer closure.
/// `/rows/{n}`: 10,000 CSV rows.
/// `/busy/{n}`: a writer that works (sleeps, as on a slow database cursor)
/// for 5 s in all, a row a second, never waiting for its client.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "rows.csv", send_timeout = 60)]
struct Rows;

fn row(out: &mut dyn io::Write, i: u64) -> io::Result<()> {
    writeln!(out, "{i},row number {i},{}", i * 7)
}

impl GetFile for Rows {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let file = match req.path().split('/').nth(1) {
            Some("endless") => {
                VirtualFile::from_writer(|out| Ok((0..).try_for_each(|i| row(out, i))?))
            }
            Some("rows") => {
                VirtualFile::from_writer(|out| Ok((0..10_000).try_for_each(|i| row(out, i))?))
            }
            Some("busy") => VirtualFile::from_writer(|out| {
                for i in 0..5 {
                    thread::sleep(Duration::from_secs(1));
                    row(out, i)?;
                }
                Ok(())
            }),
            _ => return Err(DownloadError::NotFound),
        };
        Ok(file)
    }

    fn on_download(&self, report: &DownloadReport) {
        reports().lock().unwrap().push(report.clone());
    }
}

fn expected_rows(n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        row(&mut out, i).unwrap();
    }
    out
}

/// A client that asks for `path` and reads nothing; returns once the writer
/// waits for room (the server has filled the connection).
fn stall(server: &suite::TestServer, path: &str) -> TcpStream {
    let client = suite::stall(server.addr, path);
    thread::sleep(Duration::from_millis(400));
    client
}

fn assert_abandoned(path: &str) {
    assert!(
        eventually(Duration::from_secs(3), || !reports_for(path).is_empty()),
        "{path}: not abandoned"
    );
    let reports = reports_for(path);
    assert_eq!(reports.len(), 1, "{path}: {reports:?}");
    let report = &reports[0];
    suite::assert_abandoned(report, "writer pool full", path);
    assert!(report.bytes > 0, "{report}");
}

#[test]
fn at_its_limit_the_pool_abandons_the_longest_stalled_writer_for_a_new_one() {
    downloadview::set_max_writer_threads(LIMIT);
    let server = suite::serve_with(2, |cfg| {
        cfg.route("/{kind}/{n}", Rows::route()).route(
            "/text/",
            web::get().to(|| async { HttpResponse::Ok().body("ok") }),
        );
    });

    // A busy writer, and a client stalled on an endless one: the pool is full.
    let busy = {
        let addr = server.addr;
        thread::spawn(move || suite::request(addr, "GET", "/busy/1", &[]))
    };
    let _first = stall(&server, "/endless/1");
    assert_eq!(writer_threads(), LIMIT);

    // A new writer: the stalled one makes room, the busy one is left alone.
    let res = server.get("/rows/1");
    assert!(res.complete);
    assert_eq!(res.body, expected_rows(10_000));
    assert_abandoned("/endless/1");

    // Two more stalled writers, then another new one: the one that has
    // waited longest goes, the other stays.
    let _second = stall(&server, "/endless/2");
    thread::sleep(Duration::from_millis(300));
    let _third = stall(&server, "/endless/3");
    assert_abandoned("/endless/2");
    assert!(reports_for("/endless/3").is_empty());
    let res = server.get("/rows/2");
    assert_eq!(res.body, expected_rows(10_000));
    assert_abandoned("/endless/3");

    // The busy writer was never abandoned, and finished whole.
    let busy = busy.join().unwrap();
    assert!(busy.complete);
    assert_eq!(busy.body, expected_rows(5));
    let reports = reports_for("/busy/1");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].outcome, Outcome::Completed, "{}", reports[0]);

    // Never more threads than the limit; the other routes kept answering.
    assert!(writer_threads() <= LIMIT);
    assert_eq!(server.get("/text/").text(), "ok");
}
