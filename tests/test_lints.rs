//! The expansion is clean under a strict user's lints: deriving on public,
//! private, generic and non-`Default` views warns about nothing, under rustc's
//! `deny(warnings)` family and, with `cargo clippy --all-targets`, clippy's
//! pedantic and a few restriction and nursery lints. (All of nursery is not
//! denied: its `redundant_pub_crate` contradicts rustc's `unreachable_pub`.)
#![deny(
    warnings,
    missing_docs,
    missing_debug_implementations,
    unused_qualifications,
    unreachable_pub,
    unused_results,
    unused_import_braces,
    trivial_casts,
    trivial_numeric_casts,
    non_local_definitions,
    single_use_lifetimes,
    clippy::all,
    clippy::pedantic,
    clippy::allow_attributes_without_reason,
    clippy::missing_docs_in_private_items,
    clippy::use_self
)]

use actix_web::HttpRequest;
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

/// A public view: its generated `route()` is `pub` and documented.
#[derive(Debug, Default, VirtualDownloadView)]
#[download(
    basename = "hello-world.txt",
    attachment = false,
    mimetype = "text/plain",
    encoding = "identity",
    charset = "utf-8",
    cache_control = "no-cache"
)]
pub struct PublicView;

impl GetFile for PublicView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(b"Hello world!\n"))
    }
}

/// A generic public view with a where-clause.
#[derive(Debug, Default, VirtualDownloadView)]
#[download(basename = "rows.csv")]
pub struct GenericView<T>
where
    T: ToString + Default,
{
    /// The one row.
    row: T,
}

impl<T> GetFile for GenericView<T>
where
    T: ToString + Default,
{
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(self.row.to_string()))
    }
}

/// Views private to this crate: their `route()` must not be `pub`.
mod private {
    use actix_web::HttpRequest;
    use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

    /// Never registered: `route()` must not be reported as dead code.
    #[derive(Debug, Default, VirtualDownloadView)]
    pub(super) struct PrivateView;

    impl GetFile for PrivateView {
        fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
            Ok(VirtualFile::from_static(b"private\n"))
        }
    }

    /// Not `Default`: built by a handler, never through `route()`.
    #[derive(Debug, VirtualDownloadView)]
    pub(super) struct Report<'a> {
        /// The report's text.
        pub(super) text: &'a str,
    }

    impl GetFile for Report<'_> {
        fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
            Ok(VirtualFile::from(self.text.to_owned()))
        }
    }
}

/// An enum view.
#[derive(Debug, VirtualDownloadView)]
pub enum EnumView {
    /// Found.
    Found(String),
    /// Missing.
    Missing,
}

impl GetFile for EnumView {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        match self {
            Self::Found(text) => Ok(VirtualFile::from(text.clone())),
            Self::Missing => Err(DownloadError::NotFound),
        }
    }
}

#[test]
fn the_views_serve() {
    let app = actix_web::App::new()
        .route("/public/", PublicView::route())
        .route("/generic/", GenericView::<u8>::route());
    drop(app);
    let req = actix_web::test::TestRequest::get().to_http_request();
    let res = downloadview::respond(
        private::Report {
            text: "Hello world!\n",
        },
        &req,
    );
    assert_eq!(res.status(), actix_web::http::StatusCode::OK);
    let res = downloadview::respond(EnumView::Missing, &req);
    assert_eq!(res.status(), actix_web::http::StatusCode::NOT_FOUND);
    let _found = EnumView::Found(String::new());
}
