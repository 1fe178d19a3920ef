// `route()` is as visible as the type: a `pub(crate)` view in a module is
// routable from the crate root.
mod views {
    use actix_web::HttpRequest;
    use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

    #[derive(VirtualDownloadView, Default)]
    #[download(basename = "hello-world.txt")]
    pub(crate) struct Hello;

    impl GetFile for Hello {
        fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
            Ok(VirtualFile::from_static(b"Hello world!\n"))
        }
    }
}

fn main() {
    let _ = actix_web::App::new().route("/", views::Hello::route());
}
