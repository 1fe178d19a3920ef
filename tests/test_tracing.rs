//! Downloads traced in their request's span (feature `tracing`): the app of
//! `examples/request_spans.rs`, with `tracing-subscriber`'s JSON output and
//! `tracing-actix-web`, over a real socket. Each download's outcome is one
//! event inside its request's root span (its request id and `http.target`),
//! and so is an event logged inside a writer closure, on a writer thread.
//!
//! One test: the subscriber is global to this test binary.

use std::{
    io::Read,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::Value;
use tracing_subscriber::fmt::MakeWriter;

#[allow(dead_code)]
#[path = "../examples/request_spans.rs"]
mod request_spans;

/// The JSON lines the subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn events(&self) -> Vec<Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    /// The `download` events of requests to `target`.
    fn downloads(&self, target: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| {
                e["target"] == "downloadview::download" && e["span"]["http.target"] == target
            })
            .collect()
    }
}

#[test]
fn each_outcome_is_one_event_in_its_request_span() {
    let captured = Captured::default();
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_thread_names(true)
        .with_writer(captured.clone())
        .init();
    let server = suite::serve(request_spans::configure);

    // Completed, with an event logged inside the writer closure.
    let res = server.get("/report.csv");
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), "1,1\n2,4\n3,9\n");
    // Source failed.
    let res = server.get("/broken.csv");
    assert!(!res.complete, "a failing source aborts the response");
    // Client gone: read a little of the endless body, then hang up.
    let mut gone = suite::stall(server.addr, "/endless.bin");
    let mut some = [0u8; 64 * 1024];
    gone.read_exact(&mut some).unwrap();
    drop(gone);
    assert!(suite::eventually(Duration::from_secs(5), || {
        captured.downloads("/endless.bin").len() == 1
    }));
    // Timed out: a client that stops reading, past the 1 s send_timeout.
    let stalled = suite::stall(server.addr, "/endless.bin");
    assert!(suite::eventually(Duration::from_secs(10), || {
        captured.downloads("/endless.bin").len() == 2
    }));
    drop(stalled);
    assert!(suite::eventually(Duration::from_secs(5), || {
        captured.downloads("/broken.csv").len() == 1
    }));

    let completed = &captured.downloads("/report.csv")[..];
    let failed = &captured.downloads("/broken.csv")[..];
    let endless = captured.downloads("/endless.bin");
    let [completed] = completed else {
        panic!("{completed:?}")
    };
    let [failed] = failed else {
        panic!("{failed:?}")
    };
    let [gone, timed_out] = &endless[..] else {
        panic!("{endless:?}")
    };

    let expect = |event: &Value, level: &str, outcome: &str| {
        assert_eq!(event["level"], level, "{event}");
        assert_eq!(event["fields"]["message"], "download", "{event}");
        assert_eq!(event["fields"]["outcome"], outcome, "{event}");
        assert_eq!(event["fields"]["method"], "GET", "{event}");
        assert_eq!(
            event["fields"]["path"], event["span"]["http.target"],
            "{event}"
        );
        assert_eq!(event["span"]["name"], "HTTP request", "{event}");
        assert!(event["span"]["request_id"].is_string(), "{event}");
        assert!(event["fields"]["duration_ms"].is_f64(), "{event}");
    };
    expect(completed, "INFO", "completed");
    assert_eq!(completed["fields"]["status"], 200);
    assert_eq!(completed["fields"]["bytes"], 12);
    assert_eq!(completed["fields"]["basename"], "report.csv");
    assert!(completed["fields"]["ttfb_ms"].is_f64());
    expect(failed, "ERROR", "source_failed");
    assert!(failed["fields"]["error"]
        .as_str()
        .unwrap()
        .contains("the database went away"));
    expect(gone, "WARN", "client_gone");
    assert!(gone["fields"]["error"].is_null(), "{gone}");
    assert!(gone["fields"]["bytes"].as_u64().unwrap() >= 64 * 1024);
    expect(timed_out, "WARN", "client_gone");
    assert!(
        timed_out["fields"]["error"]
            .as_str()
            .unwrap()
            .contains("send_timeout"),
        "{timed_out}"
    );

    // Four requests, four request ids.
    let mut ids: Vec<&Value> = [completed, failed, gone, timed_out]
        .iter()
        .map(|e| &e["span"]["request_id"])
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 4);

    // The writer closure's own event: on a writer thread, in its request's span.
    let events = captured.events();
    let exporting: Vec<&Value> = events
        .iter()
        .filter(|e| e["fields"]["message"] == "exporting")
        .collect();
    let [exporting] = &exporting[..] else {
        panic!("{exporting:?}")
    };
    assert_eq!(
        exporting["threadName"], "downloadview-writer",
        "{exporting}"
    );
    assert_eq!(
        exporting["span"]["request_id"],
        completed["span"]["request_id"]
    );
    assert_eq!(exporting["span"]["http.target"], "/report.csv");
    assert_eq!(exporting["fields"]["rows"], 3);
}
