//! `DownloadError`: what `get_file` can fail with, and the status each failure gets.

use std::{error::Error as StdError, fmt, io};

use actix_web::{body::BoxBody, http::StatusCode, HttpResponse, ResponseError};

/// Why a view could not describe its file.
///
/// - [`NotFound`](Self::NotFound) (Django's `FileNotFound`) answers 404; an
///   [`io::Error`] of kind [`NotFound`](io::ErrorKind::NotFound) converts to it.
/// - [`Http`](Self::Http) passes an [`actix_web::Error`] through with its own status.
/// - [`Other`](Self::Other) is a 500 whose body reveals nothing; the error is logged.
///
/// ```
/// use std::io;
/// use actix_web::{error::ErrorForbidden, http::StatusCode, ResponseError};
/// use downloadview::DownloadError;
///
/// let missing: DownloadError = io::Error::new(io::ErrorKind::NotFound, "gone").into();
/// assert_eq!(missing.status_code(), StatusCode::NOT_FOUND);
///
/// let denied: DownloadError = ErrorForbidden("no").into();
/// assert_eq!(denied.status_code(), StatusCode::FORBIDDEN);
///
/// let broken = DownloadError::other("database is down");
/// assert_eq!(broken.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum DownloadError {
    /// The file does not exist: 404.
    NotFound,
    /// An actix-web error, answered with its own status and body.
    Http(actix_web::Error),
    /// Anything else: a logged 500 with a generic body.
    Other(Box<dyn StdError + Send + Sync + 'static>),
}

impl DownloadError {
    /// Wraps any error (or message) as [`DownloadError::Other`].
    ///
    /// ```
    /// # use downloadview::DownloadError;
    /// let err = DownloadError::other("the export service timed out");
    /// assert_eq!(err.to_string(), "the export service timed out"); // logged, never sent
    /// let err = DownloadError::other(std::fmt::Error);
    /// assert!(matches!(err, DownloadError::Other(_)));
    /// ```
    pub fn other(error: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        DownloadError::Other(error.into())
    }
}

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownloadError::NotFound => f.write_str("file not found"),
            DownloadError::Http(err) => write!(f, "{err}"),
            DownloadError::Other(err) => write!(f, "{err}"),
        }
    }
}

impl StdError for DownloadError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            DownloadError::Other(err) => Some(&**err),
            _ => None,
        }
    }
}

impl From<io::Error> for DownloadError {
    fn from(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::NotFound {
            DownloadError::NotFound
        } else {
            DownloadError::Other(Box::new(err))
        }
    }
}

impl From<actix_web::Error> for DownloadError {
    fn from(err: actix_web::Error) -> Self {
        DownloadError::Http(err)
    }
}

impl ResponseError for DownloadError {
    fn status_code(&self) -> StatusCode {
        match self {
            DownloadError::NotFound => StatusCode::NOT_FOUND,
            DownloadError::Http(err) => err.as_response_error().status_code(),
            DownloadError::Other(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        match self {
            DownloadError::Http(err) => err.error_response(),
            // The body names the status only: an internal error's text may hold
            // paths, queries or secrets, so it goes to the log, not the client.
            _ => {
                let status = self.status_code();
                HttpResponse::build(status)
                    .content_type("text/plain; charset=utf-8")
                    .body(status.canonical_reason().unwrap_or("Error"))
            }
        }
    }
}
