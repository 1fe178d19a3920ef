//! Follows one response to its end and reports its [`Outcome`] exactly once.
//!
//! The body notes its first byte once and ends the tracker once (or is
//! dropped first): no work per chunk beyond the byte count the body keeps
//! anyway. At the end the report is put together and delivered, there, on
//! the worker that ends the response.

use std::{borrow::Cow, time::Instant};

use actix_web::{http::StatusCode, HttpRequest};

pub(crate) use super::Hook;
use super::{DownloadReport, Outcome, RangeReport, RequestPath};
use crate::{meter, report, trace::Scope};

/// One range of a 206 answer: where its payload sits in the body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RangeSpan {
    pub(crate) start: u64,
    pub(crate) len: u64,
    /// Offset of the range's first payload byte in the response body.
    pub(crate) body_offset: u64,
}

/// What a report needs that the body does not know by itself.
///
/// It travels inside the response, which actix-web moves several times
/// before the first byte is written, so it is kept small: the request is
/// held (a reference count) rather than its method and path copied, and
/// those are read once, at the end.
pub(crate) struct Tracker {
    pub(crate) request: HttpRequest,
    pub(crate) facts: Facts,
    /// The span the response was created in: the report is delivered in it.
    pub(crate) scope: Scope,
    /// Counts the download in flight until it ends (feature `metrics`).
    pub(crate) in_flight: meter::InFlight,
}

/// What the report will say, gathered as the response goes.
pub(crate) struct Facts {
    pub(crate) started: Instant,
    pub(crate) status: StatusCode,
    pub(crate) basename: Option<Cow<'static, str>>,
    pub(crate) size: Option<u64>,
    pub(crate) ranges: Vec<RangeSpan>,
    pub(crate) first_byte: Option<Instant>,
    pub(crate) hook: Hook,
}

impl Tracker {
    /// The tracker of a response with this status and these ranges.
    pub(crate) fn answering(mut self, status: StatusCode, ranges: Vec<RangeSpan>) -> Self {
        self.facts.status = status;
        self.facts.ranges = ranges;
        self
    }

    /// Ends the response with `outcome` after `bytes` body bytes and
    /// delivers its report to the hook, here.
    pub(crate) fn end(self, outcome: Outcome, bytes: u64, error: Option<String>) {
        let Tracker {
            request,
            facts,
            scope,
            in_flight,
        } = self;
        let duration = Instant::now().duration_since(facts.started);
        let Facts {
            started,
            status,
            basename,
            size,
            ranges,
            first_byte,
            hook,
        } = facts;
        let ranges = ranges
            .iter()
            .map(|r| RangeReport {
                start: r.start,
                len: r.len,
                bytes: bytes.saturating_sub(r.body_offset).min(r.len),
            })
            .collect();
        // Bytes handed over with no first-byte time noted went in one piece,
        // at the end.
        let ttfb = first_byte
            .map(|t| t.duration_since(started))
            .or((bytes > 0).then_some(duration));
        let report = DownloadReport {
            outcome,
            method: request.method().clone(),
            path: RequestPath::new(request.path()),
            status,
            basename,
            bytes,
            size,
            ranges,
            ttfb,
            duration,
            error,
        };
        drop(request);
        in_flight.end();
        meter::ended(&report);
        scope.enter(|| report::deliver(&report, hook));
    }
}

impl Facts {
    /// Notes the time of the first body byte.
    pub(crate) fn first_byte(&mut self) {
        if self.first_byte.is_none() {
            self.first_byte = Some(Instant::now());
        }
    }
}
