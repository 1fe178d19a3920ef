//! `route::<V>()`: a GET + HEAD [`Route`] for views that are `Default`;
//! `get_or_head()`: the same route for a handler that builds its view.

use actix_web::{
    guard::{self, Guard, GuardContext},
    http::Method,
    web, HttpRequest, Route,
};

use crate::{respond, GetFile};

/// A [`Route`] that answers GET and HEAD with a default-constructed `V`.
///
/// The derive's `V::route()` calls this. Other methods do not match the route:
/// in a `web::resource(..)` actix-web answers 405 with `Allow: GET, HEAD`;
/// registered with `App::route`, 404 (actix-web's own behaviour).
///
/// ```
/// use actix_web::{App, HttpRequest};
/// use downloadview::{route, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
///
/// #[derive(VirtualDownloadView, Default)]
/// #[download(basename = "hello-world.txt")]
/// struct Hello;
/// impl GetFile for Hello {
///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
///         Ok(VirtualFile::from_static(b"Hello world!\n"))
///     }
/// }
///
/// let app = App::new()
///     .route("/hello/", route::<Hello>())
///     .route("/same/", Hello::route());
/// # let _ = app;
/// ```
pub fn route<V>() -> Route
where
    V: GetFile + Default + Send + 'static,
{
    get_or_head().to(|req: HttpRequest| async move { respond(V::default(), &req) })
}

/// A [`Route`] that matches GET and HEAD, for a handler that builds its view
/// from the request (a path parameter, a database row, the user): what
/// `web::get()` is for GET alone. A view answers HEAD with GET's headers
/// and runs no body source; registered with `web::get()`, HEAD would be a
/// 404.
///
/// ```
/// use actix_web::{web, App, HttpRequest};
/// use downloadview::{get_or_head, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
///
/// #[derive(VirtualDownloadView)]
/// #[download(mimetype = "text/csv")]
/// struct Report {
///     id: u32,
/// }
/// impl GetFile for Report {
///     fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
///         Ok(VirtualFile::from(format!("id\n{}\n", self.id)).with_name(format!("report-{}.csv", self.id)))
///     }
/// }
///
/// let app = App::new().route(
///     "/report/{id}",
///     get_or_head().to(|id: web::Path<u32>| async move { Report { id: *id } }),
/// );
/// # let _ = app;
/// ```
pub fn get_or_head() -> Route {
    web::route().guard(GetOrHead(guard::Any(guard::Get()).or(guard::Head())))
}

/// Matches GET and HEAD by comparing the method. Only when it is neither does
/// it ask actix-web's own method guards, which register GET and HEAD in the
/// request for the `Allow` header of a 405: they do that on every check, an
/// insert into the request's extension map that a download never needs.
struct GetOrHead(guard::AnyGuard);

impl Guard for GetOrHead {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        let method = &ctx.head().method;
        *method == Method::GET || *method == Method::HEAD || self.0.check(ctx)
    }
}
