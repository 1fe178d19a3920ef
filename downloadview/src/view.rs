//! The view traits: [`GetFile`], the one method a user writes plus the
//! overridable options (Django's `DownloadMixin`), and [`ViewOptions`], the
//! attribute defaults the derive provides.

use std::{
    borrow::Cow,
    time::{Duration, SystemTime},
};

use actix_web::HttpRequest;

use crate::{report::DownloadReport, DownloadError, DownloadOptions, VirtualFile};

/// The attribute defaults of a view: what `#[download(...)]` says.
///
/// `#[derive(VirtualDownloadView)]` implements it; implement it by hand only
/// for a view without the derive.
///
/// ```
/// use downloadview::{DownloadOptions, ViewOptions};
///
/// struct Manual;
/// impl ViewOptions for Manual {
///     const OPTIONS: DownloadOptions = DownloadOptions::new().basename("manual.txt");
/// }
/// assert_eq!(Manual::OPTIONS.basename, Some("manual.txt"));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no download options",
    label = "add `#[derive(VirtualDownloadView)]` to this type",
    note = "`#[derive(downloadview::VirtualDownloadView)]` implements `downloadview::ViewOptions` from the `#[download(...)]` attribute"
)]
pub trait ViewOptions {
    /// The options set by `#[download(...)]`.
    const OPTIONS: DownloadOptions;
}

/// A download view: `get_file` describes the file, the other methods give the
/// options, per request, defaulting to the `#[download(...)]` attribute.
///
/// Override a provided method as a Django user overrides `get_basename()`:
///
/// ```
/// use std::borrow::Cow;
/// use actix_web::HttpRequest;
/// use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
///
/// #[derive(VirtualDownloadView, Default)]
/// #[download(mimetype = "text/plain")]
/// struct Named;
///
/// impl GetFile for Named {
///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
///         Ok(VirtualFile::from_static(b"Hello world!\n"))
///     }
///
///     fn get_basename(&self, req: &HttpRequest) -> Option<Cow<'static, str>> {
///         // `load` decodes the segment fully (as `web::Path` does);
///         // `match_info().get` keeps `%25` and `%2F` encoded.
///         req.match_info().load::<(String,)>().ok().map(|(name,)| Cow::Owned(name))
///     }
/// }
/// # let _ = actix_web::App::new().route("/named/{name}", Named::route());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `downloadview::GetFile`",
    label = "this download view has no `get_file`",
    note = "implement `downloadview::GetFile` for `{Self}`: `fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError>`"
)]
pub trait GetFile: ViewOptions {
    /// Describes the file to serve. Keep it cheap: slow or async work belongs
    /// in the handler that builds the view, or inside the body source, which
    /// only runs when the body is sent.
    ///
    /// # Errors
    /// [`DownloadError::NotFound`] answers 404; see [`DownloadError`].
    ///
    /// ```
    /// use actix_web::{http::StatusCode, test::TestRequest, HttpRequest};
    /// use downloadview::{respond, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    ///
    /// #[derive(VirtualDownloadView)]
    /// struct Page {
    ///     number: Option<u32>,
    /// }
    ///
    /// impl GetFile for Page {
    ///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    ///         let number = self.number.ok_or(DownloadError::NotFound)?;
    ///         Ok(VirtualFile::from(format!("page {number}\n")).with_name(format!("page-{number}.txt")))
    ///     }
    /// }
    ///
    /// let req = TestRequest::get().to_http_request();
    /// assert_eq!(respond(Page { number: Some(3) }, &req).status(), StatusCode::OK);
    /// assert_eq!(respond(Page { number: None }, &req).status(), StatusCode::NOT_FOUND);
    /// ```
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError>;

    /// The client-side file name. Default: the `basename` option; when `None`,
    /// the file's own name is used.
    ///
    /// ```
    /// # use std::borrow::Cow;
    /// # use actix_web::{test::TestRequest, HttpRequest};
    /// # use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    /// #[derive(VirtualDownloadView)]
    /// #[download(basename = "report.csv")]
    /// struct Report {
    ///     year: u16,
    /// }
    /// impl GetFile for Report {
    /// #     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    /// #         Ok(VirtualFile::from_static(b"Hello world!\n"))
    /// #     }
    ///     fn get_basename(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
    ///         Some(format!("report-{}.csv", self.year).into())
    ///     }
    /// }
    /// let req = TestRequest::get().to_http_request();
    /// assert_eq!(Report { year: 2024 }.get_basename(&req).as_deref(), Some("report-2024.csv"));
    /// ```
    fn get_basename(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
        Self::OPTIONS.basename.map(Cow::Borrowed)
    }

    /// `attachment` (true) or `inline` (false). Default: the `attachment` option.
    ///
    /// ```
    /// # use std::borrow::Cow;
    /// # use actix_web::{test::TestRequest, HttpRequest};
    /// # use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    /// #[derive(VirtualDownloadView)]
    /// #[download(basename = "page.html")]
    /// struct View;
    /// impl GetFile for View {
    /// #     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    /// #         Ok(VirtualFile::from_static(b"Hello world!\n"))
    /// #     }
    ///     // Shown in the browser when asked with `?view`, downloaded otherwise.
    ///     fn attachment(&self, req: &HttpRequest) -> bool {
    ///         req.query_string() != "view"
    ///     }
    /// }
    /// # let req = TestRequest::get().to_http_request();
    /// assert!(View.attachment(&req));
    /// let req = TestRequest::get().uri("/?view").to_http_request();
    /// assert!(!View.attachment(&req));
    /// ```
    fn attachment(&self, _req: &HttpRequest) -> bool {
        Self::OPTIONS.attachment
    }

    /// The MIME type. Default: the `mimetype` option; when `None`, the file's
    /// content type, else a guess from the name, else `application/octet-stream`.
    ///
    /// ```
    /// # use std::borrow::Cow;
    /// # use actix_web::{test::TestRequest, HttpRequest};
    /// # use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    /// #[derive(VirtualDownloadView)]
    /// struct View;
    /// impl GetFile for View {
    /// #     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    /// #         Ok(VirtualFile::from_static(b"Hello world!\n"))
    /// #     }
    ///     fn get_mimetype(&self, req: &HttpRequest) -> Option<Cow<'static, str>> {
    ///         let json = req.query_string() == "format=json";
    ///         Some(Cow::Borrowed(if json { "application/json" } else { "text/csv" }))
    ///     }
    /// }
    /// # let req = TestRequest::get().to_http_request();
    /// let res = downloadview::respond(View, &req);
    /// assert_eq!(res.headers().get("content-type").unwrap(), "text/csv; charset=utf-8");
    /// ```
    fn get_mimetype(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
        Self::OPTIONS.mimetype.map(Cow::Borrowed)
    }

    /// The `Content-Encoding`. Default: the `encoding` option (never guessed).
    ///
    /// ```
    /// # use std::borrow::Cow;
    /// # use actix_web::{test::TestRequest, HttpRequest};
    /// # use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    /// #[derive(VirtualDownloadView)]
    /// #[download(basename = "data.json.gz", mimetype = "application/json")]
    /// struct View;
    /// impl GetFile for View {
    /// #     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    /// #         Ok(VirtualFile::from_static(b"Hello world!\n"))
    /// #     }
    ///     // The content is stored gzipped: say so, and let the client decompress it.
    ///     fn get_encoding(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
    ///         Some(Cow::Borrowed("gzip"))
    ///     }
    /// }
    /// # let req = TestRequest::get().to_http_request();
    /// let res = downloadview::respond(View, &req);
    /// assert_eq!(res.headers().get("content-encoding").unwrap(), "gzip");
    /// ```
    fn get_encoding(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
        Self::OPTIONS.encoding.map(Cow::Borrowed)
    }

    /// The charset of `text/*` types. Default: the `charset` option (`utf-8`).
    ///
    /// ```
    /// # use std::borrow::Cow;
    /// # use actix_web::{test::TestRequest, HttpRequest};
    /// # use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    /// #[derive(VirtualDownloadView)]
    /// #[download(basename = "legacy.txt")]
    /// struct View;
    /// impl GetFile for View {
    /// #     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    /// #         Ok(VirtualFile::from_static(b"Hello world!\n"))
    /// #     }
    ///     fn get_charset(&self, _req: &HttpRequest) -> Cow<'static, str> {
    ///         Cow::Borrowed("iso-8859-1")
    ///     }
    /// }
    /// # let req = TestRequest::get().to_http_request();
    /// let res = downloadview::respond(View, &req);
    /// assert_eq!(res.headers().get("content-type").unwrap(), "text/plain; charset=iso-8859-1");
    /// ```
    fn get_charset(&self, _req: &HttpRequest) -> Cow<'static, str> {
        Cow::Borrowed(Self::OPTIONS.charset)
    }

    /// The `Cache-Control` value. Default: the `cache_control` option.
    ///
    /// ```
    /// # use std::borrow::Cow;
    /// # use actix_web::{test::TestRequest, HttpRequest};
    /// # use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    /// #[derive(VirtualDownloadView)]
    /// #[download(basename = "hello.txt", cache_control = "public, max-age=3600")]
    /// struct View;
    /// impl GetFile for View {
    /// #     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    /// #         Ok(VirtualFile::from_static(b"Hello world!\n"))
    /// #     }
    ///     // Logged-in users get a private copy.
    ///     fn cache_control(&self, req: &HttpRequest) -> Option<Cow<'static, str>> {
    ///         let private = req.headers().contains_key("authorization");
    ///         Some(Cow::Borrowed(if private { "private, no-store" } else { "public, max-age=3600" }))
    ///     }
    /// }
    /// # let req = TestRequest::get().to_http_request();
    /// assert_eq!(View.cache_control(&req).as_deref(), Some("public, max-age=3600"));
    /// let req = TestRequest::get().insert_header(("authorization", "Bearer x")).to_http_request();
    /// assert_eq!(View.cache_control(&req).as_deref(), Some("private, no-store"));
    /// ```
    fn cache_control(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
        Self::OPTIONS.cache_control.map(Cow::Borrowed)
    }

    /// The most ranges one `Range` request may ask for: more are answered with
    /// the full 200, as are ranges whose lengths add up to more than the file.
    /// `0` turns Range support off (no `Accept-Ranges` either). Default: the
    /// `max_ranges` option (16).
    ///
    /// ```
    /// use actix_web::HttpRequest;
    /// use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    ///
    /// #[derive(VirtualDownloadView, Default)]
    /// struct Video;
    ///
    /// impl GetFile for Video {
    ///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    ///         Ok(VirtualFile::from_static(b"frames"))
    ///     }
    ///
    ///     fn max_ranges(&self, _req: &HttpRequest) -> usize {
    ///         2 // players ask for one range at a time; allow a little more
    ///     }
    /// }
    /// # let _ = actix_web::App::new().route("/video/", Video::route());
    /// ```
    fn max_ranges(&self, _req: &HttpRequest) -> usize {
        Self::OPTIONS.max_ranges
    }

    /// Whether a reverse proxy may buffer the response. `false` sends
    /// `X-Accel-Buffering: no`, so nginx forwards each chunk as it is produced
    /// (progress for slow generators and live streams) instead of filling its
    /// proxy buffers first. Default: the `buffering` option (`true`: no header).
    ///
    /// ```
    /// use actix_web::HttpRequest;
    /// use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    ///
    /// #[derive(VirtualDownloadView, Default)]
    /// #[download(buffering = false)]
    /// struct Live;
    ///
    /// impl GetFile for Live {
    ///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    ///         Ok(VirtualFile::from_iter(["tick\n"; 3]))
    ///     }
    /// }
    /// # let _ = actix_web::App::new().route("/live/", Live::route());
    /// ```
    fn buffering(&self, _req: &HttpRequest) -> bool {
        Self::OPTIONS.buffering
    }

    /// How long a download waits for a client that takes no body byte: a
    /// download whose client has taken no body byte for this long is
    /// abandoned: its producer is stopped and dropped, the connection
    /// aborted at the next chance, and the report says
    /// [`ClientGone`](crate::Outcome::ClientGone) (timed out). `None` waits
    /// forever. Default: the `send_timeout` option (60 seconds, nginx's
    /// default; `send_timeout = 0` gives `None`).
    ///
    /// The timer runs on the worker that serves the download (one ticker
    /// task per worker, looking every quarter second), so the source is
    /// dropped there when the timeout fires, whatever its kind: a writer's
    /// next `write` fails and frees its thread, an async source (a stream, an
    /// async writer) is dropped in place. The connection is
    /// aborted when actix-web next polls the response: it polls none while
    /// the connection's write buffer is full and has no write timeout, so
    /// until the client reads again or leaves, its socket and actix's write
    /// buffer stay. Set the kernel's `TCP_USER_TIMEOUT` on accepted
    /// connections (`HttpServer::on_connect`; the repository's
    /// `docs/deployment.md` shows how) to have those closed too.
    ///
    /// ```
    /// use std::time::Duration;
    /// use actix_web::{test::TestRequest, HttpRequest};
    /// use downloadview::{DownloadError, GetFile, ViewOptions, VirtualDownloadView, VirtualFile};
    ///
    /// #[derive(VirtualDownloadView, Default)]
    /// #[download(send_timeout = 30)]
    /// struct Files;
    ///
    /// impl GetFile for Files {
    ///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    ///         Ok(VirtualFile::from_static(b"Hello world!\n"))
    ///     }
    ///
    ///     // Exports are fetched by scripts that may pause between reads:
    ///     // give them ten minutes, everything else the attribute's 30 s.
    ///     fn send_timeout(&self, req: &HttpRequest) -> Option<Duration> {
    ///         if req.path().starts_with("/exports/") {
    ///             Some(Duration::from_secs(600))
    ///         } else {
    ///             Some(Duration::from_secs(Self::OPTIONS.send_timeout))
    ///         }
    ///     }
    /// }
    ///
    /// let export = TestRequest::get().uri("/exports/all.csv").to_http_request();
    /// assert_eq!(Files.send_timeout(&export), Some(Duration::from_secs(600)));
    /// let page = TestRequest::get().uri("/files/a.txt").to_http_request();
    /// assert_eq!(Files.send_timeout(&page), Some(Duration::from_secs(30)));
    /// # let _ = actix_web::App::new().route("/exports/{name}", Files::route());
    /// ```
    fn send_timeout(&self, _req: &HttpRequest) -> Option<Duration> {
        match Self::OPTIONS.send_timeout {
            0 => None,
            secs => Some(Duration::from_secs(secs)),
        }
    }

    /// Whether this request must carry a valid, unexpired signed link
    /// (feature `signed`): when `true`, a missing, wrong or expired
    /// signature is answered 403 before [`get_file`](Self::get_file) runs.
    /// The keys come from the app's data (`SigningKeys`); without them, or
    /// without the `signed` feature, the answer is a logged 500, never the
    /// file. Default: the `signed` option (`false`).
    ///
    /// ```
    /// use actix_web::HttpRequest;
    /// use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    ///
    /// #[derive(VirtualDownloadView)]
    /// struct Reports;
    ///
    /// impl GetFile for Reports {
    ///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    ///         Ok(VirtualFile::from_static(b"report"))
    ///     }
    ///
    ///     // Shared reports need a signed link; the rest are public.
    ///     fn signed(&self, req: &HttpRequest) -> bool {
    ///         req.path().starts_with("/shared/")
    ///     }
    /// }
    /// # let req = actix_web::test::TestRequest::get().uri("/shared/a").to_http_request();
    /// # assert!(Reports.signed(&req));
    /// ```
    fn signed(&self, _req: &HttpRequest) -> bool {
        Self::OPTIONS.signed
    }

    /// The most bytes a second this download is sent at, once
    /// [`limit_rate_after`](Self::limit_rate_after) bytes have gone
    /// (nginx's `limit_rate` and its `X-Accel-Limit-Rate`: the rate can
    /// depend on the request, a user's plan say). `0`: no limit; a rate
    /// under 1024 is raised to it (logged once per process). Paced on the worker's
    /// timer, for every source and protocol, with no thread and no buffer
    /// of its own; a paced download is not a stalled one for `send_timeout`.
    /// Default: the `limit_rate` option (0).
    ///
    /// ```
    /// use actix_web::HttpRequest;
    /// use downloadview::{DownloadError, GetFile, ViewOptions, VirtualDownloadView, VirtualFile};
    ///
    /// #[derive(VirtualDownloadView)]
    /// #[download(limit_rate = 1048576)] // 1 MiB/s for everyone...
    /// struct Downloads;
    ///
    /// impl GetFile for Downloads {
    ///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    ///         Ok(VirtualFile::from_static(b"data"))
    ///     }
    ///
    ///     // ...and no limit for paying users.
    ///     fn limit_rate(&self, req: &HttpRequest) -> u64 {
    ///         if req.headers().contains_key("x-premium") { 0 } else { Self::OPTIONS.limit_rate }
    ///     }
    /// }
    /// # let req = actix_web::test::TestRequest::get().to_http_request();
    /// # assert_eq!(Downloads.limit_rate(&req), 1 << 20);
    /// ```
    fn limit_rate(&self, _req: &HttpRequest) -> u64 {
        Self::OPTIONS.limit_rate
    }

    /// Bytes sent at full speed before [`limit_rate`](Self::limit_rate)
    /// applies (nginx's `limit_rate_after`): a download's start (a video's
    /// first minutes) goes fast, the rest at the rate. Default: the
    /// `limit_rate_after` option (0).
    ///
    /// ```
    /// # use actix_web::HttpRequest;
    /// # use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    /// #[derive(VirtualDownloadView)]
    /// #[download(limit_rate = 524288, limit_rate_after = 10485760)]
    /// struct Video;
    /// # impl GetFile for Video {
    /// #     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    /// #         Ok(VirtualFile::from_static(b""))
    /// #     }
    /// # }
    /// # let req = actix_web::test::TestRequest::get().to_http_request();
    /// assert_eq!(Video.limit_rate_after(&req), 10 << 20);
    /// ```
    fn limit_rate_after(&self, _req: &HttpRequest) -> u64 {
        Self::OPTIONS.limit_rate_after
    }

    /// Django's rule for `If-Modified-Since`: `false` answers 304 Not Modified.
    ///
    /// Default: modified when the file has no `last_modified`, else when its
    /// `last_modified`, in whole seconds, is later than `since`.
    ///
    /// ```
    /// # use std::borrow::Cow;
    /// # use actix_web::{test::TestRequest, HttpRequest};
    /// # use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    /// # use std::time::SystemTime;
    /// #[derive(VirtualDownloadView)]
    /// #[download(basename = "hello.txt")]
    /// struct View;
    /// impl GetFile for View {
    /// #     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    /// #         Ok(VirtualFile::from_static(b"Hello world!\n"))
    /// #     }
    ///     // Never answer 304: the content changes on every request.
    ///     fn was_modified_since(&self, _file: &VirtualFile, _since: SystemTime) -> bool {
    ///         true
    ///     }
    /// }
    /// # let req = TestRequest::get().to_http_request();
    /// let file = View.get_file(&req).unwrap();
    /// assert!(View.was_modified_since(&file, SystemTime::now()));
    /// ```
    fn was_modified_since(&self, file: &VirtualFile, since: SystemTime) -> bool {
        crate::conditional::modified_since(file.last_modified(), since)
    }

    /// Receives the report of each response once it is over: completed, cut
    /// off by the client, or aborted by a failing source (see
    /// [`DownloadReport`]). Called exactly once per response, where the
    /// response ends: on the actix worker that served it, as actix-web's
    /// `Logger` writes its line. So it must be quick, as a logger is: hand
    /// slow work (a database write, a request to another service) on to a
    /// channel, a runtime or a pool. A panic here is caught and logged and
    /// affects nothing else.
    ///
    /// Default: [`DownloadReport::log`], one `download …` line per response
    /// through the `log` facade.
    ///
    /// ```
    /// use std::{collections::HashMap, sync::{Arc, Mutex}};
    /// use actix_web::HttpRequest;
    /// use downloadview::{report::{DownloadReport, Outcome}, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
    ///
    /// /// Completed downloads per basename.
    /// #[derive(VirtualDownloadView, Clone, Default)]
    /// #[download(basename = "hello.txt")]
    /// struct Counted {
    ///     counts: Arc<Mutex<HashMap<String, u64>>>,
    /// }
    ///
    /// impl GetFile for Counted {
    ///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
    ///         Ok(VirtualFile::from_static(b"Hello world!\n"))
    ///     }
    ///
    ///     fn on_download(&self, report: &DownloadReport) {
    ///         if report.outcome == Outcome::Completed && report.method == "GET" {
    ///             let name = report.basename().unwrap_or_default().to_owned();
    ///             *self.counts.lock().unwrap().entry(name).or_default() += 1;
    ///         }
    ///         report.log();
    ///     }
    /// }
    /// ```
    fn on_download(&self, report: &DownloadReport) {
        report.log();
    }
}
