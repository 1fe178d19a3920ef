//! The view traits: [`GetFile`], the one method a user writes plus the
//! overridable options (Django's `DownloadMixin`), and [`ViewOptions`], the
//! attribute defaults the derive provides.

use std::{borrow::Cow, time::SystemTime};

use actix_web::HttpRequest;

use crate::{DownloadError, DownloadOptions, VirtualFile};

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
///         req.match_info().get("name").map(|name| Cow::Owned(name.to_owned()))
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
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError>;

    /// The client-side file name. Default: the `basename` option; when `None`,
    /// the file's own name is used.
    fn get_basename(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
        Self::OPTIONS.basename.map(Cow::Borrowed)
    }

    /// `attachment` (true) or `inline` (false). Default: the `attachment` option.
    fn attachment(&self, _req: &HttpRequest) -> bool {
        Self::OPTIONS.attachment
    }

    /// The MIME type. Default: the `mimetype` option; when `None`, the file's
    /// content type, else a guess from the name, else `application/octet-stream`.
    fn get_mimetype(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
        Self::OPTIONS.mimetype.map(Cow::Borrowed)
    }

    /// The `Content-Encoding`. Default: the `encoding` option (never guessed).
    fn get_encoding(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
        Self::OPTIONS.encoding.map(Cow::Borrowed)
    }

    /// The charset of `text/*` types. Default: the `charset` option (`utf-8`).
    fn get_charset(&self, _req: &HttpRequest) -> Cow<'static, str> {
        Cow::Borrowed(Self::OPTIONS.charset)
    }

    /// The `Cache-Control` value. Default: the `cache_control` option.
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

    /// Django's rule for `If-Modified-Since`: `false` answers 304 Not Modified.
    ///
    /// Default: modified when the file has no `last_modified`, else when its
    /// `last_modified`, in whole seconds, is later than `since`.
    fn was_modified_since(&self, file: &VirtualFile, since: SystemTime) -> bool {
        crate::conditional::modified_since(file.last_modified(), since)
    }
}
