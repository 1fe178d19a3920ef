//! The only place that writes response headers: executes a [`Plan`].

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    time::Instant,
};

use actix_web::{
    body::{BodySize, MessageBody},
    http::{
        header::{self, HeaderValue},
        ConnectionType, StatusCode, Version,
    },
    HttpRequest, HttpResponse, ResponseError,
};

use bytes::Bytes;

use crate::{
    body::DownloadBody,
    file::Source,
    meter,
    multipart::Multipart,
    plan::{self, Plan, Reply},
    report::track::{Facts, Hook, RangeSpan, Tracker},
    trace::Scope,
    DownloadError, GetFile,
};

/// Answers a request with the download described by `view`: what the derived
/// `Responder` implementation calls.
///
/// Everything that runs user code (`get_file` and the option methods) runs
/// inside a panic guard: a panic is a logged 500 for this request only.
///
/// The view is kept until the response ends, then its
/// [`on_download`](GetFile::on_download) receives the report, on the worker
/// where the response ends.
///
/// An HTTP/1.0 request gets a body of unknown size close-delimited (no
/// `Transfer-Encoding`, which HTTP/1.0 lacks, no `Content-Length`, the
/// connection closed after the body): a source that fails half-way then
/// only closes the connection early, which the client cannot tell from the
/// end of the body. HTTP/1.1 and HTTP/2 clients always see the abort.
///
/// ```
/// use actix_web::{http::StatusCode, test::TestRequest, HttpRequest};
/// use downloadview::{respond, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
///
/// #[derive(VirtualDownloadView)]
/// #[download(basename = "hello-world.txt")]
/// struct Hello;
/// impl GetFile for Hello {
///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
///         Ok(VirtualFile::from_static(b"Hello world!\n"))
///     }
/// }
///
/// let req = TestRequest::get().to_http_request();
/// let res = respond(Hello, &req);
/// assert_eq!(res.status(), StatusCode::OK);
/// assert_eq!(res.headers().get("content-type").unwrap(), "text/plain; charset=utf-8");
/// ```
pub fn respond<V: GetFile + Send + 'static>(
    view: V,
    req: &HttpRequest,
) -> HttpResponse<DownloadBody> {
    let started = Instant::now();
    // The tracker of this request's report (a `Copy` closure); the status and
    // the ranges are set where the response is built.
    let scope = Scope::current();
    let seed = |basename, size, hook| Tracker {
        request: req.clone(),
        scope: scope.clone(),
        in_flight: meter::InFlight::start(),
        facts: Facts {
            started,
            status: StatusCode::OK,
            basename,
            size,
            ranges: Vec::new(),
            first_byte: None,
            hook,
        },
    };
    // Deciding and writing the headers happen in one go, inside the panic
    // guard: the plan and the response are built where they are used, and
    // the tracker goes into the body before the response exists.
    // The plan is used where it lies (a few hundred bytes: moving it, or the
    // file out of it, would copy them).
    let answered = catch_unwind(AssertUnwindSafe(move || {
        match &mut plan::decide(&view, req) {
            Ok(plan) => {
                let may_be_encoded = may_be_content_coded(req, plan);
                let (name, size) = (plan.name.take(), plan.file.size());
                let mut res = execute(plan, seed(name, size, hook_of(view)));
                transport_headers(&mut res, plan.buffering, may_be_encoded);
                framing(&mut res, req.version());
                res
            }
            Err(err) => error_response(err, req, seed(None, None, hook_of(view))),
        }
    }));
    answered.unwrap_or_else(|_| {
        log::error!(
            "downloadview: the view for {} {} panicked; answering 500",
            req.method(),
            req.path()
        );
        // The view is gone with the panic: its report goes to the default log.
        let log = Box::new(|report: &crate::DownloadReport| report.log());
        error_response(&DownloadError::other("panic"), req, seed(None, None, log))
    })
}

/// The view's `on_download`, as the hook its reports go to.
fn hook_of<V: GetFile + Send + 'static>(view: V) -> Hook {
    Box::new(move |report| view.on_download(report))
}

fn error_response(
    err: &DownloadError,
    req: &HttpRequest,
    tracker: Tracker,
) -> HttpResponse<DownloadBody> {
    match err {
        DownloadError::Other(inner) => {
            log::error!("downloadview: {} {}: {inner}", req.method(), req.path());
        }
        _ => log::debug!("downloadview: {} {}: {err}", req.method(), req.path()),
    }
    err.error_response().map_body(|head, body| {
        DownloadBody::other(body).track(tracker.answering(head.status, Vec::new()))
    })
}

/// The response for `plan`, its body tracked for the report. Takes the body
/// source and the header values out of the plan.
fn execute(plan: &mut Plan, tracker: Tracker) -> HttpResponse<DownloadBody> {
    let Plan {
        file,
        name: _,
        reply,
        content_type,
        disposition,
        encoding,
        cache_control,
        accept_ranges,
        buffering: _,
        send_timeout,
        rate,
    } = plan;
    let content_type = std::mem::replace(content_type, HeaderValue::from_static(""));
    let reply = std::mem::replace(reply, Reply::NotModified);
    let source = file.take_source();

    let etag = file.etag().map(|tag| tag.to_string());
    let last_modified = file.last_modified();
    let size = file.size();
    // What each reply sends: status, body, the Content-Type of the body (none
    // for the bodiless answers), Content-Range.
    let mut spans = Vec::new();
    let (status, body, content_type, content_range) = match reply {
        Reply::NotModified => (StatusCode::NOT_MODIFIED, DownloadBody::none(), None, None),
        Reply::PreconditionFailed => (StatusCode::PRECONDITION_FAILED, empty(), None, None),
        Reply::RangeNotSatisfiable { size } => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            empty(),
            None,
            Some(format!("bytes */{size}")),
        ),
        Reply::Head => (
            StatusCode::OK,
            DownloadBody::head(size),
            Some(content_type),
            None,
        ),
        Reply::Full => (
            StatusCode::OK,
            DownloadBody::new(source, size),
            Some(content_type),
            None,
        ),
        Reply::Partial { range, size } => {
            spans.push(RangeSpan {
                start: range.first,
                len: range.len(),
                body_offset: 0,
            });
            (
                StatusCode::PARTIAL_CONTENT,
                DownloadBody::single_range(source, range),
                Some(content_type),
                Some(format!("bytes {}-{}/{size}", range.first, range.last)),
            )
        }
        Reply::Multipart { ranges, size } => {
            let layout = Multipart::new(&content_type, &ranges, size);
            let multipart_type = layout.content_type();
            spans = layout.spans();
            (
                StatusCode::PARTIAL_CONTENT,
                DownloadBody::multipart(source, layout),
                Some(multipart_type),
                None,
            )
        }
    };
    let body = body
        .track(tracker.answering(status, spans))
        .send_timeout(*send_timeout)
        .limit_rate(*rate);
    let mut res = HttpResponse::with_body(status, body);
    let headers = res.headers_mut();
    // The representation headers go with a representation (200, 206, HEAD).
    if let Some(content_type) = content_type {
        headers.insert(header::CONTENT_TYPE, content_type);
        if let Some(value) = disposition.take() {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        if let Some(value) = encoding.take() {
            headers.insert(header::CONTENT_ENCODING, value);
        }
        if *accept_ranges {
            headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        }
    }
    if let Some(value) = content_range.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::CONTENT_RANGE, value);
    }
    // The validators and Cache-Control go on every answer, 304 included
    // (RFC 9110 §15.4.5).
    if let Some(value) = etag.and_then(|tag| HeaderValue::from_str(&tag).ok()) {
        headers.insert(header::ETAG, value);
    }
    if let Some(time) = last_modified {
        headers.insert(header::LAST_MODIFIED, plan::http_date(time));
    }
    if let Some(value) = cache_control.take() {
        headers.insert(header::CACHE_CONTROL, value);
    }
    res
}

/// Whether something between us and the client (actix-web's `Compress`
/// middleware, nginx's `gzip`, a CDN) may content-code the 200 we send: the
/// view set no `Content-Encoding`, the type is one compressors compress (not
/// raster images nor video, as actix-web's `Compress` decides) and the request
/// admits a content coding.
fn may_be_content_coded(req: &HttpRequest, plan: &Plan) -> bool {
    // Cheapest test first: most requests of most clients settle it.
    plan.encoding.is_none()
        && crate::encoding::admits_content_coding(req.headers())
        && compressible(&plan.content_type)
}

fn compressible(content_type: &HeaderValue) -> bool {
    let Ok(mime) = content_type.to_str().unwrap_or("").parse::<mime::Mime>() else {
        return true;
    };
    match mime.type_() {
        mime::IMAGE => mime.subtype() == mime::SVG,
        mime::VIDEO => false,
        _ => true,
    }
}

/// The headers for what sits between us and the client, written last:
/// `X-Accel-Buffering: no` when the view forbids buffering, and the ETag of a
/// 200 (or of the 304 standing for it) weakened when that 200 may be
/// content-coded on its way.
///
/// A strong ETag promises byte-for-byte identity; once a compressor gzips the
/// body those bytes are different, and a client resuming with
/// `If-Range: "tag"` would be sent identity bytes to append to a gzip prefix
/// (compressors never encode a 206). Weakening, as nginx's `gzip` does, keeps
/// `If-None-Match` revalidation working (weak comparison) and makes `If-Range`
/// and `If-Match` fail safely. 206 answers keep the strong tag: they are never
/// content-coded. See `docs/deployment.md`.
fn transport_headers(res: &mut HttpResponse<DownloadBody>, buffering: bool, may_be_encoded: bool) {
    let weaken =
        may_be_encoded && matches!(res.status(), StatusCode::OK | StatusCode::NOT_MODIFIED);
    let headers = res.headers_mut();
    if !buffering {
        headers.insert(
            header::HeaderName::from_static("x-accel-buffering"),
            HeaderValue::from_static("no"),
        );
    }
    if weaken {
        let weak = headers
            .get(header::ETAG)
            .filter(|tag| tag.as_bytes().starts_with(b"\""))
            .and_then(|tag| {
                let mut value = b"W/".to_vec();
                value.extend_from_slice(tag.as_bytes());
                HeaderValue::from_bytes(&value).ok()
            });
        if let Some(weak) = weak {
            headers.insert(header::ETAG, weak);
        }
    }
}

/// How the body is delimited, for clients that cannot take chunked coding.
///
/// RFC 9112 §6.1: "A server MUST NOT send a response containing
/// Transfer-Encoding unless the corresponding request indicates HTTP/1.1 (or
/// later minor revisions)". actix-web chunks every body of unknown size
/// whatever the request's version, and a strict HTTP/1.0 client saves the
/// chunk framing into the file. So for HTTP/1.0 such a body is sent as
/// HTTP/1.0 sends it, close-delimited (§6.3, rule 8): no `Transfer-Encoding`,
/// no `Content-Length`, and the connection closes after the body, even when
/// the client asked to keep it alive. HEAD gets the same headers as GET.
///
/// actix-web writes no `Connection: close` on an HTTP/1.0 response (it drops
/// a `Connection` header set by hand and writes `close` only for HTTP/1.1);
/// for HTTP/1.0 a response without `Connection: keep-alive` says the same
/// (§9.3). The price: a source that fails half-way cannot be told from a
/// complete body, since either way the connection just closes (the report
/// still says `SourceFailed`). Bodies of known size keep their
/// `Content-Length` and keep-alive.
fn framing(res: &mut HttpResponse<DownloadBody>, version: Version) {
    if version < Version::HTTP_11 && res.body().size() == BodySize::Stream {
        let head = res.head_mut();
        head.no_chunking(true);
        head.set_connection_type(ConnectionType::Close);
    }
}

/// An empty body with `Content-Length: 0` (412, 416).
fn empty() -> DownloadBody {
    DownloadBody::new(Source::Bytes(Bytes::new()), Some(0))
}

#[cfg(test)]
mod tests;
