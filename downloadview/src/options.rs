//! The DownloadMixin options of a view, as a `const`-buildable value.
//!
//! `#[derive(VirtualDownloadView)]` turns the `#[download(...)]` attribute into a
//! `DownloadOptions` constant; the provided methods of [`GetFile`](crate::GetFile)
//! read their defaults from it.

/// The options of a download view: the defaults of the overridable methods of
/// [`GetFile`](crate::GetFile).
///
/// Built with `const` setters, so it can be written in a `const` item. The derive
/// writes it for you from `#[download(...)]`; write it by hand only when
/// implementing [`ViewOptions`](crate::ViewOptions) without the derive.
///
/// ```
/// use downloadview::DownloadOptions;
///
/// const OPTIONS: DownloadOptions = DownloadOptions::new()
///     .basename("report.csv")
///     .attachment(false)
///     .cache_control("no-store");
///
/// assert_eq!(OPTIONS.basename, Some("report.csv"));
/// assert!(!OPTIONS.attachment);
/// assert_eq!(OPTIONS.charset, "utf-8");
/// assert_eq!(DownloadOptions::new().mimetype, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadOptions {
    /// Client-side file name; falls back to the file's own name. Default: none.
    pub basename: Option<&'static str>,
    /// `attachment` (true) or `inline` (false) disposition. Default: `true`.
    pub attachment: bool,
    /// MIME type. Default: none (the file's, else guessed from the name).
    pub mimetype: Option<&'static str>,
    /// Sent as `Content-Encoding` when set. Default: none (never guessed).
    pub encoding: Option<&'static str>,
    /// Charset appended to `text/*` types. Default: `"utf-8"`.
    pub charset: &'static str,
    /// Sent verbatim as `Cache-Control` when set. Default: none.
    pub cache_control: Option<&'static str>,
    /// The most ranges one `Range` request may ask for; more are answered
    /// with the full 200, as a defence against requests for thousands of
    /// tiny ranges. `0` turns Range support off (and
    /// `Accept-Ranges` with it). Default: 16.
    pub max_ranges: usize,
    /// Whether a reverse proxy may buffer the response. `false` sends
    /// `X-Accel-Buffering: no`, which makes nginx pass the body on as it
    /// arrives instead of buffering it (for slow, progressive streams).
    /// Default: `true` (no header).
    pub buffering: bool,
    /// Seconds a download may wait for its client to take a body byte: a
    /// client that takes none for this long is abandoned (its producer
    /// stopped and dropped, the connection aborted). `0` waits forever.
    /// Default: 60, nginx's `send_timeout`.
    pub send_timeout: u64,
    /// Whether the view answers only signed, unexpired links (403
    /// otherwise, before `get_file` runs); needs the `signed` feature and
    /// `SigningKeys` in the app's data. Default: `false`.
    pub signed: bool,
    /// The most bytes a second one download is sent at, once
    /// `limit_rate_after` bytes have gone (nginx's `limit_rate`); `0`: no
    /// limit. Default: 0.
    pub limit_rate: u64,
    /// Bytes sent at full speed before `limit_rate` applies (nginx's
    /// `limit_rate_after`). Default: 0.
    pub limit_rate_after: u64,
}

impl DownloadOptions {
    /// The defaults: no basename, `attachment`, no MIME type or encoding,
    /// charset `utf-8`, no `Cache-Control`, 16 ranges at most, buffering
    /// allowed, a `send_timeout` of 60 seconds.
    ///
    /// ```
    /// # use downloadview::DownloadOptions;
    /// const OPTIONS: DownloadOptions = DownloadOptions::new();
    /// assert_eq!(OPTIONS, DownloadOptions::default());
    /// assert!(OPTIONS.attachment);
    /// ```
    pub const fn new() -> Self {
        DownloadOptions {
            basename: None,
            attachment: true,
            mimetype: None,
            encoding: None,
            charset: "utf-8",
            cache_control: None,
            max_ranges: 16,
            buffering: true,
            send_timeout: 60,
            signed: false,
            limit_rate: 0,
            limit_rate_after: 0,
        }
    }

    /// Sets the client-side file name.
    ///
    /// ```
    /// # use downloadview::DownloadOptions;
    /// const OPTIONS: DownloadOptions = DownloadOptions::new().basename("report.csv");
    /// assert_eq!(OPTIONS.basename, Some("report.csv"));
    /// ```
    pub const fn basename(mut self, basename: &'static str) -> Self {
        self.basename = Some(basename);
        self
    }

    /// Chooses `attachment` (true) or `inline` (false).
    ///
    /// ```
    /// # use downloadview::DownloadOptions;
    /// const OPTIONS: DownloadOptions = DownloadOptions::new().attachment(false);
    /// assert!(!OPTIONS.attachment);
    /// ```
    pub const fn attachment(mut self, attachment: bool) -> Self {
        self.attachment = attachment;
        self
    }

    /// Sets the MIME type, e.g. `"text/csv"`.
    ///
    /// ```
    /// # use downloadview::DownloadOptions;
    /// const OPTIONS: DownloadOptions = DownloadOptions::new().mimetype("text/csv");
    /// assert_eq!(OPTIONS.mimetype, Some("text/csv"));
    /// ```
    pub const fn mimetype(mut self, mimetype: &'static str) -> Self {
        self.mimetype = Some(mimetype);
        self
    }

    /// Sets the `Content-Encoding`, e.g. `"gzip"` for content that is already compressed.
    ///
    /// ```
    /// # use downloadview::DownloadOptions;
    /// const OPTIONS: DownloadOptions = DownloadOptions::new().encoding("gzip");
    /// assert_eq!(OPTIONS.encoding, Some("gzip"));
    /// ```
    pub const fn encoding(mut self, encoding: &'static str) -> Self {
        self.encoding = Some(encoding);
        self
    }

    /// Sets the charset appended to `text/*` types.
    ///
    /// ```
    /// # use downloadview::DownloadOptions;
    /// const OPTIONS: DownloadOptions = DownloadOptions::new().charset("iso-8859-1");
    /// assert_eq!(OPTIONS.charset, "iso-8859-1");
    /// ```
    pub const fn charset(mut self, charset: &'static str) -> Self {
        self.charset = charset;
        self
    }

    /// Sets the `Cache-Control` value.
    ///
    /// ```
    /// # use downloadview::DownloadOptions;
    /// const OPTIONS: DownloadOptions = DownloadOptions::new().cache_control("no-store");
    /// assert_eq!(OPTIONS.cache_control, Some("no-store"));
    /// ```
    pub const fn cache_control(mut self, cache_control: &'static str) -> Self {
        self.cache_control = Some(cache_control);
        self
    }

    /// Sets the most ranges a `Range` request may ask for (`0`: no ranges).
    ///
    /// ```
    /// use downloadview::DownloadOptions;
    ///
    /// const OPTIONS: DownloadOptions = DownloadOptions::new().max_ranges(4);
    /// assert_eq!(OPTIONS.max_ranges, 4);
    /// assert_eq!(DownloadOptions::new().max_ranges, 16);
    /// ```
    pub const fn max_ranges(mut self, max_ranges: usize) -> Self {
        self.max_ranges = max_ranges;
        self
    }
}

impl DownloadOptions {
    /// Lets (true, the default) or forbids (false) reverse proxies to buffer
    /// the response: `false` sends `X-Accel-Buffering: no`.
    ///
    /// ```
    /// use downloadview::DownloadOptions;
    ///
    /// const OPTIONS: DownloadOptions = DownloadOptions::new().buffering(false);
    /// assert!(!OPTIONS.buffering);
    /// assert!(DownloadOptions::new().buffering);
    /// ```
    pub const fn buffering(mut self, buffering: bool) -> Self {
        self.buffering = buffering;
        self
    }

    /// Sets, in seconds, how long a download waits for a client that takes
    /// no body byte before abandoning it (`0`: never). nginx's
    /// `send_timeout`, with the same default of 60 seconds.
    ///
    /// ```
    /// use downloadview::DownloadOptions;
    ///
    /// const OPTIONS: DownloadOptions = DownloadOptions::new().send_timeout(300);
    /// assert_eq!(OPTIONS.send_timeout, 300);
    /// assert_eq!(DownloadOptions::new().send_timeout, 60);
    /// assert_eq!(DownloadOptions::new().send_timeout(0).send_timeout, 0); // never
    /// ```
    pub const fn send_timeout(mut self, secs: u64) -> Self {
        self.send_timeout = secs;
        self
    }

    /// Sets whether the view answers only signed, unexpired links (feature
    /// `signed`; see `SigningKeys`).
    ///
    /// ```
    /// use downloadview::DownloadOptions;
    ///
    /// const OPTIONS: DownloadOptions = DownloadOptions::new().signed(true);
    /// assert!(OPTIONS.signed);
    /// assert!(!DownloadOptions::new().signed);
    /// ```
    pub const fn signed(mut self, signed: bool) -> Self {
        self.signed = signed;
        self
    }

    /// Sets the most bytes a second a download is sent at (`0`: no limit),
    /// nginx's `limit_rate`.
    ///
    /// ```
    /// use downloadview::DownloadOptions;
    ///
    /// const OPTIONS: DownloadOptions = DownloadOptions::new()
    ///     .limit_rate(4 << 20) // 4 MiB/s
    ///     .limit_rate_after(16 << 20); // after the first 16 MiB
    /// assert_eq!(OPTIONS.limit_rate, 4 << 20);
    /// assert_eq!(DownloadOptions::new().limit_rate, 0);
    /// ```
    pub const fn limit_rate(mut self, bytes_per_second: u64) -> Self {
        self.limit_rate = bytes_per_second;
        self
    }

    /// Sets how many bytes go at full speed before `limit_rate` applies,
    /// nginx's `limit_rate_after`.
    ///
    /// ```
    /// use downloadview::DownloadOptions;
    ///
    /// const OPTIONS: DownloadOptions = DownloadOptions::new().limit_rate(1 << 20).limit_rate_after(1 << 20);
    /// assert_eq!(OPTIONS.limit_rate_after, 1 << 20);
    /// ```
    pub const fn limit_rate_after(mut self, bytes: u64) -> Self {
        self.limit_rate_after = bytes;
        self
    }
}

impl Default for DownloadOptions {
    fn default() -> Self {
        Self::new()
    }
}
