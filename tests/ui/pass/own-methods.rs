// The user's type already has methods, one even named `get_file`: the
// generated code calls nothing by method syntax, so nothing is ambiguous.
use actix_web::{App, HttpRequest};
use downloadview::{DownloadError, GetFile, VirtualDownloadView, VirtualFile};

#[derive(VirtualDownloadView, Default)]
#[download(basename = "greeting.txt")]
pub struct Greeting {
    name: String,
}

impl Greeting {
    pub fn new(name: &str) -> Self {
        Greeting { name: name.to_owned() }
    }

    /// An inherent method with the trait method's name.
    pub fn get_file(&self) -> String {
        format!("Hello {}!\n", self.name)
    }

    pub fn routes() -> &'static [&'static str] {
        &["/greeting/"]
    }

    pub fn respond_to(&self) -> usize {
        self.name.len()
    }
}

impl GetFile for Greeting {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(Greeting::get_file(self)))
    }
}

fn main() {
    assert_eq!(Greeting::new("world").get_file(), "Hello world!\n");
    assert_eq!(Greeting::new("x").respond_to(), 1);
    let _ = App::new().route(Greeting::routes()[0], Greeting::route());
}
