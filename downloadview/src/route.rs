//! `route::<V>()`: a GET + HEAD [`Route`] for views that are `Default`.

use actix_web::{guard, web, HttpRequest, Route};

use crate::{respond, GetFile};

/// A [`Route`] that answers GET and HEAD with a default-constructed `V`.
///
/// The derive's `V::route()` calls this. Other methods do not match the route
/// (actix-web answers 405 or 404).
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
    web::route()
        .guard(guard::Any(guard::Get()).or(guard::Head()))
        .to(|req: HttpRequest| async move { respond(V::default(), &req) })
}
