// Bounds in a where-clause are carried to every generated impl.
use actix_web::{App, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

trait Source {
    fn content() -> &'static [u8];
}

#[derive(Default)]
struct Hello;
impl Source for Hello {
    fn content() -> &'static [u8] {
        b"Hello world!\n"
    }
}

#[derive(VirtualDownloadView)]
#[download(basename = "hello-world.txt")]
struct View<S>
where
    S: Source,
{
    source: std::marker::PhantomData<S>,
}

impl<S> Default for View<S>
where
    S: Source,
{
    fn default() -> Self {
        View { source: std::marker::PhantomData }
    }
}

impl<S> GetFile for View<S>
where
    S: Source,
{
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from_static(S::content()))
    }
}

fn main() {
    let _ = App::new().route("/", View::<Hello>::route());
}
