//! Objects served from an object store (`object_store`: one API over S3,
//! GCS, Azure, HTTP and the local filesystem), behind the app's own routes:
//! each download opens a ranged `get` per part, so downloads resume and
//! videos scrub; the object's ETag and last-modified time are the
//! download's validators.
//!
//! ```text
//! cargo run --example object_store    # serves ./objects/ (created with a sample)
//! curl -O -C - http://127.0.0.1:8000/objects/sample.bin
//! ```
//!
//! Swapping the store is the only change to serve S3 instead (with
//! object_store's `aws` feature):
//!
//! ```text
//! let store = AmazonS3Builder::from_env().with_bucket_name("exports").build()?;
//! ```

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, UNIX_EPOCH},
};

use actix_web::{http::header::EntityTag, web, App, HttpRequest, HttpServer};
use downloadview::{get_or_head, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
use object_store::{
    local::LocalFileSystem, path::Path as ObjectPath, GetOptions, GetRange, ObjectMeta, ObjectStore,
};

/// One object, described by its metadata (fetched by the handler, an async
/// `head` call); its bytes are fetched only when a body is sent.
#[derive(VirtualDownloadView)]
pub struct StoredObject {
    store: Arc<dyn ObjectStore>,
    meta: ObjectMeta,
}

impl GetFile for StoredObject {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let store = Arc::clone(&self.store);
        let location = self.meta.location.clone();
        let etag = self.meta.e_tag.clone();
        let file = VirtualFile::from_async_generator(self.meta.size, move |offset| {
            let (store, location) = (Arc::clone(&store), location.clone());
            let options = GetOptions {
                range: Some(GetRange::Offset(offset)),
                // The object must still be the one whose size and ETag the
                // headers announced: a changed object fails the get, and the
                // download is aborted rather than mixing two versions.
                if_match: etag.clone(),
                ..GetOptions::default()
            };
            async move {
                Ok::<_, object_store::Error>(
                    store.get_opts(&location, options).await?.into_stream(),
                )
            }
        })
        .with_name(self.meta.location.filename().unwrap_or("object").to_owned())
        .with_last_modified(
            UNIX_EPOCH
                + Duration::from_millis(self.meta.last_modified.timestamp_millis().max(0) as u64),
        );
        Ok(match &self.meta.e_tag {
            // ETags with a quote cannot go in the header as they are.
            Some(tag) if !tag.contains('"') => file.with_etag(EntityTag::new_strong(tag.clone())),
            _ => file,
        })
    }
}

/// `GET /objects/{name}`: the object's metadata from the store, then the
/// download; a missing object is a 404.
async fn object(
    store: web::Data<Arc<dyn ObjectStore>>,
    name: web::Path<String>,
) -> Result<StoredObject, DownloadError> {
    let location = ObjectPath::parse(name.as_str()).map_err(|_| DownloadError::NotFound)?;
    let store = Arc::clone(store.get_ref());
    let meta = match store.head(&location).await {
        Ok(meta) => meta,
        Err(object_store::Error::NotFound { .. }) => return Err(DownloadError::NotFound),
        Err(err) => return Err(DownloadError::other(err)),
    };
    Ok(StoredObject { store, meta })
}

/// The app's routes, serving `store`.
pub fn configure(store: Arc<dyn ObjectStore>) -> impl Fn(&mut web::ServiceConfig) + Clone + Send {
    move |cfg| {
        cfg.app_data(web::Data::new(Arc::clone(&store)))
            .route("/objects/{name}", get_or_head().to(object));
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let dir = PathBuf::from("objects");
    std::fs::create_dir_all(&dir)?;
    let sample = dir.join("sample.bin");
    if !sample.exists() {
        std::fs::write(
            &sample,
            (0..10_000_000u32)
                .map(|i| (i % 251) as u8)
                .collect::<Vec<u8>>(),
        )?;
    }
    let store: Arc<dyn ObjectStore> =
        Arc::new(LocalFileSystem::new_with_prefix(&dir).map_err(std::io::Error::other)?);
    println!(
        "serving {}/ on http://127.0.0.1:8000/objects/sample.bin",
        dir.display()
    );
    HttpServer::new(move || App::new().configure(configure(Arc::clone(&store))))
        .bind("127.0.0.1:8000")?
        .run()
        .await
}
