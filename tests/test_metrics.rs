//! Download metrics (feature `metrics`), scraped over HTTP from the app of
//! `examples/metrics.rs` with the Prometheus exporter installed. One test:
//! the recorder is global to this test binary.

#[allow(dead_code)]
#[path = "../examples/metrics.rs"]
mod metrics_example;

/// The value of the sample `name{labels}` (labels in any order), if any.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
        let ok = metric == name && labels.iter().all(|l| rest.contains(l));
        ok.then(|| value.parse().unwrap())
    })
}

#[test]
fn metrics_count_downloads_by_outcome_with_bytes_and_durations() {
    let handle = metrics_example::install();
    let server = suite::serve(metrics_example::configure(handle));
    for _ in 0..3 {
        assert_eq!(server.get("/hello.txt").text(), "Hello world!\n");
    }
    let rows = server.get("/rows.csv");
    assert!(rows.complete);
    assert_eq!(server.head("/hello.txt").status, 200);
    assert_eq!(
        server
            .request("GET", "/hello.txt", &[("If-None-Match", "*")])
            .status,
        304
    );
    // A report is delivered when the response ends, which may come just
    // after the client has read its last byte.
    let mut text = String::new();
    assert!(
        suite::eventually(std::time::Duration::from_secs(5), || {
            text = server.get("/metrics").text();
            sample(&text, "downloadview_downloads_in_flight", &[]) == Some(0.0)
                && sample(
                    &text,
                    "downloadview_downloads_total",
                    &["outcome=\"completed\"", "status=\"304\""],
                ) == Some(1.0)
        }),
        "{text}"
    );
    // Three GETs and the HEAD of hello.txt, and the rows.
    assert_eq!(
        sample(
            &text,
            "downloadview_downloads_total",
            &["outcome=\"completed\"", "status=\"200\""]
        ),
        Some(5.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "downloadview_sent_bytes_total", &[]),
        Some((3 * 13 + rows.body.len()) as f64),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "downloadview_download_duration_seconds_count",
            &["outcome=\"completed\""]
        ),
        Some(6.0),
        "{text}"
    );
    // A first byte was sent by the four downloads with a body.
    assert_eq!(
        sample(&text, "downloadview_first_byte_seconds_count", &[]),
        Some(4.0),
        "{text}"
    );
    assert!(
        text.contains("# HELP downloadview_downloads_total"),
        "{text}"
    );
    assert!(
        text.contains("downloadview_download_duration_seconds_bucket"),
        "{text}"
    );
    assert_eq!(
        sample(&text, "downloadview_writer_threads", &[]),
        Some(0.0),
        "{text}"
    );
}
