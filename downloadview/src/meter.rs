//! Download metrics through the `metrics` facade (feature `metrics`); without
//! the feature every function here is empty.
//!
//! The names, labels and units are listed on
//! [`describe_metrics`](crate::describe_metrics).

use crate::report::DownloadReport;

/// Counts one download in flight from its start until it is dropped.
#[derive(Debug)]
pub(crate) struct InFlight(());

impl InFlight {
    /// A download starts.
    #[inline]
    pub(crate) fn start() -> Self {
        #[cfg(feature = "metrics")]
        metrics::gauge!(IN_FLIGHT).increment(1.0);
        InFlight(())
    }

    /// The download ended (as dropping it would say).
    #[inline]
    pub(crate) fn end(self) {}
}

#[cfg(feature = "metrics")]
impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(IN_FLIGHT).decrement(1.0);
    }
}

/// A download ended as `report` says.
#[inline]
pub(crate) fn ended(report: &DownloadReport) {
    #[cfg(feature = "metrics")]
    {
        let outcome = report.outcome.as_str();
        metrics::counter!(DOWNLOADS, "outcome" => outcome, "status" => status_label(report.status))
            .increment(1);
        metrics::counter!(SENT_BYTES).increment(report.bytes);
        metrics::histogram!(DURATION, "outcome" => outcome).record(report.duration.as_secs_f64());
        if let Some(ttfb) = report.ttfb {
            metrics::histogram!(FIRST_BYTE).record(ttfb.as_secs_f64());
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = report;
}

/// A stalled download was abandoned, for `reason`: `send_timeout` or
/// `writer_pool_full`.
#[inline]
pub(crate) fn abandoned(reason: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!(ABANDONED, "reason" => reason).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = reason;
}

/// `running` writer threads now run a writer closure.
#[inline]
pub(crate) fn writer_threads(running: usize) {
    #[cfg(feature = "metrics")]
    metrics::gauge!(WRITER_THREADS).set(running as f64);
    #[cfg(not(feature = "metrics"))]
    let _ = running;
}

#[cfg(feature = "metrics")]
const DOWNLOADS: &str = "downloadview_downloads_total";
#[cfg(feature = "metrics")]
const SENT_BYTES: &str = "downloadview_sent_bytes_total";
#[cfg(feature = "metrics")]
const DURATION: &str = "downloadview_download_duration_seconds";
#[cfg(feature = "metrics")]
const FIRST_BYTE: &str = "downloadview_first_byte_seconds";
#[cfg(feature = "metrics")]
const IN_FLIGHT: &str = "downloadview_downloads_in_flight";
#[cfg(feature = "metrics")]
const ABANDONED: &str = "downloadview_abandoned_total";
#[cfg(feature = "metrics")]
const WRITER_THREADS: &str = "downloadview_writer_threads";

/// The status as a label value without an allocation for the common ones.
#[cfg(feature = "metrics")]
fn status_label(status: actix_web::http::StatusCode) -> &'static str {
    match status.as_u16() {
        200 => "200",
        206 => "206",
        304 => "304",
        400 => "400",
        404 => "404",
        412 => "412",
        416 => "416",
        500 => "500",
        _ => "other",
    }
}

/// Gives every downloadview metric its unit and help text in the installed
/// recorder (feature `metrics`): call it once, after installing the
/// exporter, so that `/metrics` describes them.
///
/// | metric | kind | labels | what |
/// |---|---|---|---|
/// | `downloadview_downloads_total` | counter | `outcome`, `status` | responses ended |
/// | `downloadview_sent_bytes_total` | counter | | body bytes handed to connections |
/// | `downloadview_download_duration_seconds` | histogram | `outcome` | response start to end |
/// | `downloadview_first_byte_seconds` | histogram | | response start to first body byte |
/// | `downloadview_downloads_in_flight` | gauge | | responses not yet ended |
/// | `downloadview_abandoned_total` | counter | `reason` | stalled downloads abandoned: `send_timeout`, `writer_pool_full` |
/// | `downloadview_writer_threads` | gauge | | writer threads running a writer closure |
///
/// The `status` label is the response status for 200, 206, 304, 400, 404,
/// 412, 416 and 500, and `other` for the rest (a bounded label set).
///
/// ```
/// // With no recorder installed the descriptions go nowhere, harmlessly.
/// downloadview::describe_metrics();
/// ```
#[cfg(feature = "metrics")]
pub fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(DOWNLOADS, "Download responses ended, by outcome and status");
    describe_counter!(
        SENT_BYTES,
        Unit::Bytes,
        "Body bytes of downloads handed to connections"
    );
    describe_histogram!(
        DURATION,
        Unit::Seconds,
        "Time from the start of a download response to its end"
    );
    describe_histogram!(
        FIRST_BYTE,
        Unit::Seconds,
        "Time from the start of a download response to its first body byte"
    );
    describe_gauge!(IN_FLIGHT, "Download responses not yet ended");
    describe_counter!(
        ABANDONED,
        "Stalled downloads abandoned, by reason (send_timeout, writer_pool_full)"
    );
    describe_gauge!(WRITER_THREADS, "Writer threads running a writer closure");
}
