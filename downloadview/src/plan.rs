//! The decision: from the view's answers and the request head to a [`Reply`].
//! No I/O and no header writing happen here; `response` executes the plan.

use std::{
    borrow::Cow,
    cell::RefCell,
    time::{Duration, SystemTime},
};

use actix_web::{
    http::{
        header::{
            HeaderMap, HeaderValue, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE,
            IF_UNMODIFIED_SINCE, RANGE,
        },
        Method,
    },
    HttpRequest,
};

use crate::{
    conditional::{self, Precondition, Validators},
    content_type, disposition,
    memo::{self, Last},
    range::{self, ByteRange, RangePlan},
    GetFile, VirtualFile,
};

/// What the response will be. Only `Full`, `Partial` and `Multipart` run the
/// body source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// 200 with the body.
    Full,
    /// 200 with GET's headers and no body; the source never runs.
    Head,
    /// 304 with the validators only.
    NotModified,
    /// 412, empty.
    PreconditionFailed,
    /// 206 with one range of a file of `size` bytes.
    Partial { range: ByteRange, size: u64 },
    /// 206 `multipart/byteranges` with these ranges of a file of `size` bytes.
    Multipart { ranges: Vec<ByteRange>, size: u64 },
    /// 416 with `Content-Range: bytes */size`, empty.
    RangeNotSatisfiable { size: u64 },
}

/// A download, decided: the file, the headers that describe it, the reply.
pub(crate) struct Plan {
    pub(crate) file: VirtualFile,
    /// The name the file is served under, if any (for the report).
    pub(crate) name: Option<Cow<'static, str>>,
    pub(crate) reply: Reply,
    pub(crate) content_type: HeaderValue,
    pub(crate) disposition: Option<HeaderValue>,
    pub(crate) encoding: Option<HeaderValue>,
    pub(crate) cache_control: Option<HeaderValue>,
    /// `Accept-Ranges: bytes` goes on the 200/206 answers.
    pub(crate) accept_ranges: bool,
    /// The view's `buffering`: `false` sends `X-Accel-Buffering: no`.
    pub(crate) buffering: bool,
    /// The view's `send_timeout`.
    pub(crate) send_timeout: Option<Duration>,
    /// The view's `limit_rate` and `limit_rate_after`.
    pub(crate) rate: Option<crate::rate::Rate>,
}

/// Asks the view everything (it may panic: the caller catches that) and decides.
pub(crate) fn decide<V: GetFile + ?Sized>(
    view: &V,
    req: &HttpRequest,
) -> Result<Plan, crate::DownloadError> {
    if view.signed(req) {
        require_signed_link(req)?;
    }
    let file = view.get_file(req)?;
    let name = disposition::served_name(view.get_basename(req), file.name_cow());
    let mimetype = view.get_mimetype(req);
    let charset = view.get_charset(req);

    let content_type = remembered_content_type(
        file.content_type(),
        mimetype.as_deref(),
        name.as_deref(),
        &charset,
    );
    let disposition = remembered_disposition(name.as_deref(), view.attachment(req));
    let encoding = view
        .get_encoding(req)
        .filter(|e| is_valid_token("encoding", e))
        .and_then(|e| content_type::valid("encoding", &e));
    let cache_control = view
        .cache_control(req)
        .and_then(|c| content_type::valid("cache_control", &c));

    let method = req.method();
    let get_or_head = method == Method::GET || method == Method::HEAD;
    let validators = Validators {
        etag: file.etag(),
        last_modified: file.last_modified(),
    };
    // RFC 9110 §13.2.2: preconditions first, then Range (step 5). Most
    // requests carry none of those headers: one pass over the names tells.
    let asks = Asks::of(req.headers());
    let precondition = if asks.precondition {
        conditional::evaluate(method, req.headers(), validators, |since| {
            view.was_modified_since(&file, since)
        })
    } else {
        Precondition::Proceed
    };
    let max_ranges = view.max_ranges(req);
    let range_size = (max_ranges > 0).then(|| range_size(&file)).flatten();
    let reply = match (precondition, range_size) {
        (Precondition::NotModified, _) => Reply::NotModified,
        (Precondition::Failed, _) => Reply::PreconditionFailed,
        (Precondition::Proceed, _) if method == Method::HEAD => Reply::Head,
        (Precondition::Proceed, Some(size)) if method == Method::GET && asks.range => {
            let mut reply = range_reply(req.headers(), validators, size, max_ranges);
            if let Reply::Multipart { ranges, .. } = &mut reply {
                if !file.parts_in_any_order() {
                    ranges.sort_unstable_by_key(|range| range.first);
                }
            }
            reply
        }
        (Precondition::Proceed, _) => Reply::Full,
    };

    Ok(Plan {
        file,
        name,
        reply,
        content_type,
        disposition,
        encoding,
        cache_control,
        accept_ranges: get_or_head && range_size.is_some(),
        buffering: view.buffering(req),
        send_timeout: view.send_timeout(req),
        rate: crate::rate::Rate::new(view.limit_rate(req), view.limit_rate_after(req)),
    })
}

/// Which of the headers the decision reads a request carries, found in one
/// pass over its header names rather than a lookup each.
#[derive(Debug, Default, Clone, Copy)]
struct Asks {
    /// `If-Match`, `If-None-Match`, `If-Modified-Since` or `If-Unmodified-Since`.
    precondition: bool,
    /// `Range`.
    range: bool,
}

impl Asks {
    fn of(headers: &HeaderMap) -> Self {
        let mut asks = Asks::default();
        for name in headers.keys() {
            if name == IF_MATCH
                || name == IF_NONE_MATCH
                || name == IF_MODIFIED_SINCE
                || name == IF_UNMODIFIED_SINCE
            {
                asks.precondition = true;
            } else if name == RANGE {
                asks.range = true;
            }
        }
        asks
    }
}

/// The size to plan ranges against, for the sources that can serve ranges:
/// in-memory content (whose declared size is its length), seekable
/// readers, offset-aware generators, and archives of those.
fn range_size(file: &VirtualFile) -> Option<u64> {
    file.can_range().then(|| file.size()).flatten()
}

/// RFC 9110 §13.2.2 step 5 and §14.2: `If-Range`, then `Range`.
fn range_reply(
    headers: &HeaderMap,
    validators: Validators<'_>,
    size: u64,
    max_ranges: usize,
) -> Reply {
    let mut values = headers.get_all(RANGE);
    let (Some(value), None) = (values.next(), values.next()) else {
        return Reply::Full; // no Range, or several Range fields: ignored
    };
    // "A server MUST ignore an If-Range header field received in a request
    // that does not contain a Range header field" — and when the validator
    // does not match, "the server SHOULD send a 200 (OK) response with the
    // complete representation".
    if let Some(if_range) = headers.get(IF_RANGE) {
        if !conditional::if_range_passes(if_range, validators) {
            return Reply::Full;
        }
    }
    match range::plan(value.as_bytes(), size, max_ranges) {
        RangePlan::Full => Reply::Full,
        RangePlan::Single(range) => Reply::Partial { range, size },
        RangePlan::Multi(ranges) => Reply::Multipart { ranges, size },
        RangePlan::Unsatisfiable => Reply::RangeNotSatisfiable { size },
    }
}

fn is_valid_token(what: &str, value: &str) -> bool {
    let ok = content_type::is_token(value);
    if !ok {
        log::warn!("downloadview: ignoring {what} {value:?}: not an HTTP token");
    }
    ok
}

/// `Last-Modified` as an HTTP-date.
pub(crate) fn http_date(t: SystemTime) -> HeaderValue {
    // `fmt_http_date` yields IMF-fixdate: ASCII letters, digits, spaces, `,:`.
    HeaderValue::from_str(&httpdate::fmt_http_date(t))
        .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// The inputs of a `Content-Type` value: the file's type, the view's
/// mimetype, the served name, the charset.
type TypeInputs = (Option<String>, Option<String>, Option<String>, String);

/// [`content_type::content_type`], remembered per thread (see `memo`).
fn remembered_content_type(
    file_type: Option<&str>,
    mimetype: Option<&str>,
    name: Option<&str>,
    charset: &str,
) -> HeaderValue {
    thread_local! {
        static LAST: RefCell<Option<Last<TypeInputs>>> = const { RefCell::new(None) };
    }
    memo::recall(
        &LAST,
        |(f, m, n, c)| {
            f.as_deref() == file_type
                && m.as_deref() == mimetype
                && n.as_deref() == name
                && c == charset
        },
        || {
            let inputs = (
                file_type.map(str::to_owned),
                mimetype.map(str::to_owned),
                name.map(str::to_owned),
                charset.to_owned(),
            );
            let value = content_type::content_type(file_type, mimetype, name, charset);
            (inputs, value)
        },
    )
}

/// [`disposition::content_disposition`], remembered per thread when there is
/// a name to encode (see `memo`).
fn remembered_disposition(name: Option<&str>, attachment: bool) -> Option<HeaderValue> {
    thread_local! {
        static LAST: RefCell<Option<Last<(String, bool)>>> = const { RefCell::new(None) };
    }
    let name = name.filter(|n| !n.is_empty());
    let Some(name) = name else {
        return disposition::content_disposition(None, attachment);
    };
    let value = memo::recall(
        &LAST,
        |(n, a)| n == name && *a == attachment,
        || {
            let value = disposition::content_disposition(Some(name), attachment)
                .unwrap_or(HeaderValue::from_static("attachment"));
            ((name.to_owned(), attachment), value)
        },
    );
    Some(value)
}

/// A view that asks for signed links: the link is checked (403 when
/// refused), before anything else of the view runs.
#[cfg(feature = "signed")]
fn require_signed_link(req: &HttpRequest) -> Result<(), crate::DownloadError> {
    crate::signed::require(req)
}

/// Without the `signed` feature nothing can check a link: the view's file is
/// never served (a logged 500 says why).
#[cfg(not(feature = "signed"))]
fn require_signed_link(_req: &HttpRequest) -> Result<(), crate::DownloadError> {
    Err(crate::DownloadError::other(
        "the view asks for signed links, but downloadview was built without its `signed` feature",
    ))
}
