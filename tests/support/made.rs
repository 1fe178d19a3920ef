//! A download view made from any closure, and a test server of such views
//! at fixed paths: what the archive and streaming tests serve.

use std::{borrow::Cow, sync::Arc};

use actix_web::{web, HttpRequest};
use downloadview::{DownloadError, DownloadReport, GetFile, VirtualDownloadView, VirtualFile};

use crate::server::{serve_with, TestServer};

/// What a view's `get_file` returns, made afresh per request.
pub type Make = Arc<dyn Fn() -> Result<VirtualFile, DownloadError> + Send + Sync>;

/// What a view's `on_download` does with its report.
pub type Hook = Arc<dyn Fn(&DownloadReport) + Send + Sync>;

/// A [`Make`] from a closure.
pub fn make(f: impl Fn() -> Result<VirtualFile, DownloadError> + Send + Sync + 'static) -> Make {
    Arc::new(f)
}

/// A view whose file `make` makes, served as `basename`; its reports go to
/// `hook`, or are logged as by default.
#[derive(VirtualDownloadView)]
#[download(basename = "made.bin")]
pub struct Made {
    make: Make,
    basename: &'static str,
    hook: Option<Hook>,
}

impl GetFile for Made {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        (self.make)()
    }

    fn get_basename(&self, _req: &HttpRequest) -> Option<Cow<'static, str>> {
        Some(Cow::Borrowed(self.basename))
    }

    fn on_download(&self, report: &DownloadReport) {
        match &self.hook {
            Some(hook) => hook(report),
            None => report.log(),
        }
    }
}

/// Views of what to serve: their basename, hook and the server's workers.
#[derive(Clone)]
pub struct Views {
    basename: &'static str,
    hook: Option<Hook>,
    workers: usize,
}

impl Views {
    /// Views served as `basename`, on a server of 2 workers.
    pub fn named(basename: &'static str) -> Views {
        Views {
            basename,
            hook: None,
            workers: 2,
        }
    }

    /// Their reports go to `hook` instead of the log.
    pub fn reporting_to(mut self, hook: impl Fn(&DownloadReport) + Send + Sync + 'static) -> Views {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// On a server of `workers` workers.
    pub fn workers(mut self, workers: usize) -> Views {
        self.workers = workers;
        self
    }

    /// A server with a view at each path, for every method (the view
    /// answers HEAD, and refuses what it does not serve).
    pub fn serve(self, routes: Vec<(&'static str, Make)>) -> TestServer {
        let Views {
            basename,
            hook,
            workers,
        } = self;
        serve_with(workers, move |cfg| {
            for (path, make) in routes.clone() {
                let hook = hook.clone();
                cfg.route(
                    path,
                    web::route().to(move || {
                        let make = Arc::clone(&make);
                        let hook = hook.clone();
                        async move {
                            Made {
                                make,
                                basename,
                                hook,
                            }
                        }
                    }),
                );
            }
        })
    }
}
