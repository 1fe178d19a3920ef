//! The decision: from the view's answers and the request head to a [`Reply`].
//! No I/O and no header writing happen here; `response` executes the plan.

use std::time::SystemTime;

use actix_web::{
    http::{header::HeaderValue, Method},
    HttpRequest,
};

use crate::{conditional, content_type, disposition, GetFile, VirtualFile};

/// What the response will be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// 200 with the body.
    Full,
    /// 200 with GET's headers and no body; the source never runs.
    Head,
    /// 304 with the validators only.
    NotModified,
}

/// A download, decided: the file, the headers that describe it, the reply.
pub(crate) struct Plan {
    pub(crate) file: VirtualFile,
    /// The name the file is served under, if any (for the report).
    pub(crate) name: Option<String>,
    pub(crate) reply: Reply,
    pub(crate) content_type: HeaderValue,
    pub(crate) disposition: Option<HeaderValue>,
    pub(crate) encoding: Option<HeaderValue>,
    pub(crate) cache_control: Option<HeaderValue>,
}

/// Asks the view everything (it may panic: the caller catches that) and decides.
pub(crate) fn decide<V: GetFile + ?Sized>(
    view: &V,
    req: &HttpRequest,
) -> Result<Plan, crate::DownloadError> {
    let file = view.get_file(req)?;
    let basename = view.get_basename(req);
    let name = disposition::served_name(basename.as_deref(), file.name());
    let mimetype = view.get_mimetype(req);
    let charset = view.get_charset(req);

    let content_type =
        content_type::content_type(file.content_type(), mimetype.as_deref(), name, &charset);
    let disposition = disposition::content_disposition(name, view.attachment(req));
    let encoding = view
        .get_encoding(req)
        .filter(|e| is_valid_token("encoding", e))
        .and_then(|e| content_type::valid("encoding", &e));
    let cache_control = view
        .cache_control(req)
        .and_then(|c| content_type::valid("cache_control", &c));

    let reply = match (req.method(), conditional::if_modified_since(req.headers())) {
        (&Method::GET | &Method::HEAD, Some(since)) if !view.was_modified_since(&file, since) => {
            Reply::NotModified
        }
        (&Method::HEAD, _) => Reply::Head,
        _ => Reply::Full,
    };

    let name = name.map(str::to_owned);
    Ok(Plan {
        file,
        name,
        reply,
        content_type,
        disposition,
        encoding,
        cache_control,
    })
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
