//! Follows one response to its end and reports its [`Outcome`] exactly once.
//!
//! The body calls [`Tracker::first_byte`] once and [`Tracker::end`] once (or
//! is dropped first): no work per chunk beyond the byte count the body keeps
//! anyway. The report is built and handed to the reporter thread at the end.

use std::time::Instant;

use actix_web::http::{Method, StatusCode};

use crate::report::{self, DownloadReport, Outcome, RangeReport};

/// The hook that receives the report (the view's `on_download`).
pub(crate) type Hook = Box<dyn FnOnce(&DownloadReport) + Send + 'static>;

/// One range of a 206 answer: where its payload sits in the body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RangeSpan {
    pub(crate) start: u64,
    pub(crate) len: u64,
    /// Offset of the range's first payload byte in the response body.
    pub(crate) body_offset: u64,
}

/// What a report needs that the body does not know by itself.
pub(crate) struct Tracker {
    pub(crate) started: Instant,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) status: StatusCode,
    pub(crate) basename: Option<String>,
    pub(crate) size: Option<u64>,
    pub(crate) ranges: Vec<RangeSpan>,
    pub(crate) first_byte: Option<Instant>,
    pub(crate) hook: Hook,
}

impl Tracker {
    /// Notes the time of the first body byte.
    pub(crate) fn first_byte(&mut self) {
        if self.first_byte.is_none() {
            self.first_byte = Some(Instant::now());
        }
    }

    /// Ends the response with `outcome` after `bytes` body bytes, and hands the
    /// report to the reporter thread.
    pub(crate) fn end(self, outcome: Outcome, bytes: u64, error: Option<String>) {
        let now = Instant::now();
        let Tracker {
            started,
            method,
            path,
            status,
            basename,
            size,
            ranges,
            first_byte,
            hook,
        } = self;
        let ranges = ranges
            .iter()
            .map(|r| RangeReport {
                start: r.start,
                len: r.len,
                bytes: bytes.saturating_sub(r.body_offset).min(r.len),
            })
            .collect();
        let report = DownloadReport {
            outcome,
            method,
            path,
            status,
            basename,
            bytes,
            size,
            ranges,
            ttfb: first_byte.map(|t| t.duration_since(started)),
            duration: now.duration_since(started),
            error,
        };
        report::dispatch(Box::new(move || hook(&report)));
    }
}
