//! Download metrics through the `metrics` facade (feature `metrics`); without
//! the feature every function here is empty.
//!
//! The names, labels and units are listed on
//! `describe_metrics` (feature `metrics`).

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
///
/// The keys are built at compile time (`keys`): the `metrics` macros build
/// and hash a key with dynamic labels, and allocate its labels, at every
/// call, which callgrind counted at about 700 instructions per download
/// (3 % of a whole small download) with no recorder installed.
#[inline]
pub(crate) fn ended(report: &DownloadReport) {
    #[cfg(feature = "metrics")]
    {
        use keys::{DOWNLOADS_BY, DURATION_BY, FIRST_BYTE_KEY, SENT_BYTES_KEY};
        let outcome = keys::outcome_index(report.outcome);
        let status = keys::status_index(report.status);
        metrics::with_recorder(|recorder| {
            recorder
                .register_counter(&DOWNLOADS_BY[outcome][status], &keys::METADATA)
                .increment(1);
            recorder
                .register_counter(&SENT_BYTES_KEY, &keys::METADATA)
                .increment(report.bytes);
            recorder
                .register_histogram(&DURATION_BY[outcome], &keys::METADATA)
                .record(report.duration.as_secs_f64());
            if let Some(ttfb) = report.ttfb {
                recorder
                    .register_histogram(&FIRST_BYTE_KEY, &keys::METADATA)
                    .record(ttfb.as_secs_f64());
            }
        });
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

/// The keys of the per-download metrics, one per label combination, built
/// at compile time.
#[cfg(feature = "metrics")]
mod keys {
    use actix_web::http::StatusCode;
    use metrics::{Key, Label, Level, Metadata};

    use super::{DOWNLOADS, DURATION, FIRST_BYTE, SENT_BYTES};
    use crate::report::Outcome;

    /// What the macros would give: this module's path, at `INFO`.
    pub(super) static METADATA: Metadata<'static> =
        Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

    /// The index of an outcome in the tables below.
    pub(super) fn outcome_index(outcome: Outcome) -> usize {
        match outcome {
            Outcome::Completed => 0,
            Outcome::ClientGone => 1,
            Outcome::SourceFailed => 2,
        }
    }

    /// The index of a status in the tables below: the status for 200, 206,
    /// 304, 400, 404, 412, 416 and 500, `other` for the rest (a bounded
    /// label set).
    pub(super) fn status_index(status: StatusCode) -> usize {
        match status.as_u16() {
            200 => 0,
            206 => 1,
            304 => 2,
            400 => 3,
            404 => 4,
            412 => 5,
            416 => 6,
            500 => 7,
            _ => 8,
        }
    }

    macro_rules! by_status {
        ($outcome:literal) => {
            [
                by_status!($outcome, "200"),
                by_status!($outcome, "206"),
                by_status!($outcome, "304"),
                by_status!($outcome, "400"),
                by_status!($outcome, "404"),
                by_status!($outcome, "412"),
                by_status!($outcome, "416"),
                by_status!($outcome, "500"),
                by_status!($outcome, "other"),
            ]
        };
        ($outcome:literal, $status:literal) => {{
            static LABELS: [Label; 2] = [
                Label::from_static_parts("outcome", $outcome),
                Label::from_static_parts("status", $status),
            ];
            Key::from_static_parts(DOWNLOADS, &LABELS)
        }};
    }

    macro_rules! by_outcome {
        ($outcome:literal) => {{
            static LABELS: [Label; 1] = [Label::from_static_parts("outcome", $outcome)];
            Key::from_static_parts(DURATION, &LABELS)
        }};
    }

    /// `downloadview_downloads_total` by outcome, then status.
    pub(super) static DOWNLOADS_BY: [[Key; 9]; 3] = [
        by_status!("completed"),
        by_status!("client_gone"),
        by_status!("source_failed"),
    ];
    /// `downloadview_download_duration_seconds` by outcome.
    pub(super) static DURATION_BY: [Key; 3] = [
        by_outcome!("completed"),
        by_outcome!("client_gone"),
        by_outcome!("source_failed"),
    ];
    pub(super) static SENT_BYTES_KEY: Key = Key::from_static_name(SENT_BYTES);
    pub(super) static FIRST_BYTE_KEY: Key = Key::from_static_name(FIRST_BYTE);

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn each_table_entry_has_the_labels_of_its_indices() {
            let outcomes = [
                Outcome::Completed,
                Outcome::ClientGone,
                Outcome::SourceFailed,
            ];
            let statuses = [200, 206, 304, 400, 404, 412, 416, 500, 503];
            for outcome in outcomes {
                let o = outcome_index(outcome);
                let duration: Vec<_> = DURATION_BY[o]
                    .labels()
                    .map(|l| (l.key(), l.value()))
                    .collect();
                assert_eq!(duration, [("outcome", outcome.as_str())]);
                for code in statuses {
                    let status = StatusCode::from_u16(code).unwrap();
                    let key = &DOWNLOADS_BY[o][status_index(status)];
                    let expected = if code == 503 {
                        "other".to_owned()
                    } else {
                        code.to_string()
                    };
                    let labels: Vec<_> = key.labels().map(|l| (l.key(), l.value())).collect();
                    assert_eq!(key.name(), DOWNLOADS);
                    assert_eq!(
                        labels,
                        [("outcome", outcome.as_str()), ("status", expected.as_str())]
                    );
                }
            }
        }
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
