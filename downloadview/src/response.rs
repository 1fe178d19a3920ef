//! The only place that writes response headers: executes a [`Plan`].

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    time::Instant,
};

use actix_web::{
    http::{
        header::{self, HeaderValue},
        StatusCode,
    },
    HttpRequest, HttpResponse, ResponseError,
};

use crate::{
    body::{track::Tracker, DownloadBody},
    plan::{self, Plan, Reply},
    DownloadError, GetFile,
};

/// Answers a request with the download described by `view`: what the derived
/// `Responder` implementation calls.
///
/// Everything that runs user code (`get_file` and the option methods) runs
/// inside a panic guard: a panic is a logged 500 for this request only.
///
/// The view is kept until the response ends, then its
/// [`on_download`](GetFile::on_download) receives the report on the reporter
/// thread: hence `Send + 'static`.
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
    let (res, basename, size) = match catch_unwind(AssertUnwindSafe(|| plan::decide(&view, req))) {
        Ok(Ok(plan)) => {
            let (name, size) = (plan.name.clone(), plan.file.size());
            (execute(plan), name, size)
        }
        Ok(Err(err)) => (error_response(&err, req), None, None),
        Err(_) => {
            log::error!(
                "downloadview: the view for {} {} panicked; answering 500",
                req.method(),
                req.path()
            );
            (
                error_response(&DownloadError::other("panic"), req),
                None,
                None,
            )
        }
    };
    let method = req.method().clone();
    let path = req.path().to_owned();
    res.map_body(move |head, body| {
        body.track(Tracker {
            started,
            method,
            path,
            status: head.status,
            basename,
            size,
            ranges: Vec::new(),
            first_byte: None,
            hook: Box::new(move |report| view.on_download(report)),
        })
    })
}

fn error_response(err: &DownloadError, req: &HttpRequest) -> HttpResponse<DownloadBody> {
    match err {
        DownloadError::Other(inner) => {
            log::error!("downloadview: {} {}: {inner}", req.method(), req.path());
        }
        _ => log::debug!("downloadview: {} {}: {err}", req.method(), req.path()),
    }
    err.error_response()
        .map_body(|_, body| DownloadBody::other(body))
}

fn execute(plan: Plan) -> HttpResponse<DownloadBody> {
    let Plan {
        file,
        name: _,
        reply,
        content_type,
        disposition,
        encoding,
        cache_control,
    } = plan;

    let etag = file.etag().map(|tag| tag.to_string());
    let last_modified = file.last_modified();
    let size = file.size();
    let (status, body) = match reply {
        Reply::NotModified => (StatusCode::NOT_MODIFIED, DownloadBody::none()),
        Reply::Head => (StatusCode::OK, DownloadBody::head(size)),
        Reply::Full => (StatusCode::OK, DownloadBody::new(file.source, size)),
    };
    let mut res = HttpResponse::with_body(status, body);
    let headers = res.headers_mut();
    if reply != Reply::NotModified {
        headers.insert(header::CONTENT_TYPE, content_type);
        if let Some(value) = disposition {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        if let Some(value) = encoding {
            headers.insert(header::CONTENT_ENCODING, value);
        }
    }
    if let Some(value) = etag.and_then(|tag| HeaderValue::from_str(&tag).ok()) {
        headers.insert(header::ETAG, value);
    }
    if let Some(time) = last_modified {
        headers.insert(header::LAST_MODIFIED, plan::http_date(time));
    }
    if let Some(value) = cache_control {
        headers.insert(header::CACHE_CONTROL, value);
    }
    res
}
