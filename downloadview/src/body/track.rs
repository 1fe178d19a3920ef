//! Follows one response to its end and reports its [`Outcome`] exactly once.
//!
//! The body notes its first byte once and ends the tracker once (or is
//! dropped first): no work per chunk beyond the byte count the body keeps
//! anyway. At the end the tracker becomes a compact [`Job`] for the reporter
//! thread, where the report is put together.

use std::{borrow::Cow, time::Instant};

use actix_web::{
    http::{Method, StatusCode},
    HttpRequest,
};

pub(crate) use crate::report::Hook;
use crate::report::{self, Job, Outcome, RangeReport, Rare, Verb};

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
}

/// Everything of a [`Tracker`] but the request: `Send`.
pub(crate) struct Facts {
    pub(crate) started: Instant,
    pub(crate) status: StatusCode,
    pub(crate) basename: Option<Cow<'static, str>>,
    pub(crate) size: Option<u64>,
    pub(crate) ranges: Vec<RangeSpan>,
    pub(crate) first_byte: Option<Instant>,
    pub(crate) hook: Hook,
}

/// A tracker whose method and path were copied out of the request, so that
/// the report can be made on another thread (when `send_timeout` fires).
pub(crate) struct Detached {
    method: Method,
    path: Box<str>,
    facts: Facts,
}

impl Tracker {
    /// The tracker of a response with this status and these ranges.
    pub(crate) fn answering(mut self, status: StatusCode, ranges: Vec<RangeSpan>) -> Self {
        self.facts.status = status;
        self.facts.ranges = ranges;
        self
    }

    /// Ends the response with `outcome` after `bytes` body bytes and queues
    /// its report for the reporter thread. For a completed GET or HEAD this
    /// allocates nothing (the queue's storage is reused) and formats nothing.
    pub(crate) fn end(self, outcome: Outcome, bytes: u64, error: Option<String>) {
        let Tracker { request, facts } = self;
        facts.end(request.method(), request.path(), outcome, bytes, error);
    }

    /// The tracker, with the request's method and path copied out of it.
    pub(crate) fn detach(self) -> Detached {
        Detached {
            method: self.request.method().clone(),
            path: self.request.path().into(),
            facts: self.facts,
        }
    }
}

impl Detached {
    /// As [`Tracker::end`].
    pub(crate) fn end(self, outcome: Outcome, bytes: u64, error: Option<String>) {
        self.facts
            .end(&self.method, &self.path, outcome, bytes, error);
    }

    pub(crate) fn facts(&mut self) -> &mut Facts {
        &mut self.facts
    }
}

impl Facts {
    /// Notes the time of the first body byte.
    pub(crate) fn first_byte(&mut self) {
        if self.first_byte.is_none() {
            self.first_byte = Some(Instant::now());
        }
    }

    fn end(self, method: &Method, path: &str, outcome: Outcome, bytes: u64, error: Option<String>) {
        let duration = Instant::now().duration_since(self.started);
        let Facts {
            started,
            status,
            basename,
            size,
            ranges,
            first_byte,
            hook,
        } = self;
        let verb = match *method {
            Method::GET => Verb::Get,
            Method::HEAD => Verb::Head,
            _ => Verb::Other,
        };
        let rare = (verb == Verb::Other || !ranges.is_empty() || error.is_some()).then(|| {
            Box::new(Rare {
                method: (verb == Verb::Other).then(|| method.clone()),
                ranges: ranges
                    .iter()
                    .map(|r| RangeReport {
                        start: r.start,
                        len: r.len,
                        bytes: bytes.saturating_sub(r.body_offset).min(r.len),
                    })
                    .collect(),
                error,
            })
        });
        let job = Job {
            hook,
            basename,
            size,
            bytes,
            // Bytes handed over with no first-byte time noted went in one
            // piece, at the end.
            ttfb: first_byte
                .map(|t| t.duration_since(started))
                .or((bytes > 0).then_some(duration)),
            duration,
            path: (0, 0),
            status,
            outcome,
            verb,
            rare,
        };
        report::dispatch(job, path);
    }
}
