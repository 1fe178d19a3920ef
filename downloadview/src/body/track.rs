//! Follows one response to its end and reports its [`Outcome`] exactly once.
//!
//! The body calls [`Tracker::first_byte`] once and [`Tracker::end`] once (or
//! is dropped first): no work per chunk beyond the byte count the body keeps
//! anyway. The report is built and handed to the reporter thread at the end.

use std::{borrow::Cow, time::Instant};

use actix_web::http::{Method, StatusCode};

pub(crate) use crate::report::Hook;
use crate::report::{self, Outcome, RequestPath};

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
    pub(crate) path: RequestPath,
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
        self.status = status;
        self.ranges = ranges;
        self
    }

    /// Notes the time of the first body byte.
    pub(crate) fn first_byte(&mut self) {
        if self.first_byte.is_none() {
            self.first_byte = Some(Instant::now());
        }
    }

    /// Ends the response with `outcome` after `bytes` body bytes and hands
    /// the tracker itself to the reporter thread, where the report is put
    /// together: ending a response allocates nothing (the queue's storage is
    /// reused) and formats nothing.
    pub(crate) fn end(self, outcome: Outcome, bytes: u64, error: Option<String>) {
        let duration = Instant::now().duration_since(self.started);
        report::dispatch(
            self,
            Ending {
                outcome,
                bytes,
                error,
                duration,
            },
        );
    }
}

/// How a tracked response ended.
pub(crate) struct Ending {
    pub(crate) outcome: Outcome,
    pub(crate) bytes: u64,
    pub(crate) error: Option<String>,
    pub(crate) duration: std::time::Duration,
}
