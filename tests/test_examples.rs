//! Every small example in `examples/`, served over a real socket: what the
//! docs promise about each is what goes over the wire.

use downloadview::test::ExpectedDownload;

#[allow(dead_code)]
#[path = "../examples/csv_export.rs"]
mod csv_export;

#[allow(dead_code)]
#[path = "../examples/async_data.rs"]
mod async_data;

#[allow(dead_code)]
#[path = "../examples/async_csv_export.rs"]
mod async_csv_export;

#[allow(dead_code)]
#[path = "../examples/per_request_basename.rs"]
mod per_request_basename;

#[allow(dead_code)]
#[path = "../examples/inline_pdf.rs"]
mod inline_pdf;

fn assert_download(res: &suite::Response, expected: &ExpectedDownload) {
    assert!(res.complete, "the body was cut short: {res:?}");
    expected.assert(res.status_code(), &res.header_map(), &res.body);
}

#[test]
fn csv_export_streams_the_rows() {
    let server = suite::serve(csv_export::configure);
    let res = server.get("/people.csv");
    assert_download(
        &res,
        &ExpectedDownload::new()
            .basename("people.csv")
            .content_type("text/csv; charset=utf-8")
            .attachment(true)
            .content("id,name,city\n1,Person 1,Zürich\n2,Person 2,São Paulo\n3,Person 3,Lyon\n"),
    );
    assert!(res.chunked, "a writer's size is unknown: sent chunked");

    let res = server.get("/people.csv?rows=20000");
    assert_eq!(res.status, 200);
    assert!(res.complete);
    let mut reader = csv::Reader::from_reader(res.body.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 20_000);
    assert_eq!(&rows[19_999][1], "Person 20000");

    assert_eq!(server.get("/people.csv?rows=lots").status, 400);
    let head = server.head("/people.csv");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[test]
fn async_csv_export_streams_the_rows_written_by_csv_async() {
    let server = suite::serve(async_csv_export::configure);
    let res = server.get("/orders.csv?rows=3");
    assert_download(
        &res,
        &ExpectedDownload::new()
            .basename("orders.csv")
            .content_type("text/csv; charset=utf-8")
            .attachment(true)
            .content(
                "id,customer,total\n1,Customer 1,1.37\n2,Customer 2,2.74\n3,Customer 3,4.11\n",
            ),
    );
    assert!(
        res.chunked,
        "an async writer's size is unknown: sent chunked"
    );

    // Many pages, each fetched when the client has taken the one before.
    let res = server.get("/orders.csv?rows=100000");
    assert!(res.complete);
    let mut reader = csv::Reader::from_reader(res.body.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 100_000);
    assert_eq!(&rows[99_999][0], "100000");
    assert_eq!(&rows[99_999][1], "Customer 90");

    assert_eq!(server.get("/orders.csv?rows=many").status, 400);
    let head = server.head("/orders.csv");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
}

#[test]
fn async_data_is_fetched_in_the_handler() {
    let server = suite::serve(async_data::configure);
    assert_download(
        &server.get("/invoices/7"),
        &ExpectedDownload::new()
            .basename("invoice-7.txt")
            .content_type("text/plain; charset=utf-8")
            .content("Invoice 7\nTotal: 42 EUR\n"),
    );
    assert_eq!(server.get("/invoices/8").status, 404);
    let head = server.head("/invoices/1");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("24"));
}

#[test]
fn per_request_basename_comes_from_the_request() {
    let server = suite::serve(per_request_basename::configure);
    assert_download(
        &server.get("/reports/2024-06"),
        &ExpectedDownload::new()
            .basename("report-2024-06.txt")
            .content("Report for 2024-06\n"),
    );
    let res = server.get("/reports/2024-06?lang=fr");
    assert_download(
        &res,
        &ExpectedDownload::new().basename("Rapport 2024-06 – été.txt"),
    );
    assert_eq!(
        res.header("content-disposition"),
        Some(
            "attachment; filename=\"Rapport_2024-06__ete.txt\"; \
             filename*=UTF-8''Rapport%202024-06%20%E2%80%93%20%C3%A9t%C3%A9.txt"
        )
    );
}

#[test]
fn inline_pdf_is_inline_and_named() {
    let server = suite::serve(inline_pdf::configure);
    let res = server.get("/invoice.pdf");
    assert_download(
        &res,
        &ExpectedDownload::new()
            .basename("invoice.pdf")
            .content_type("application/pdf")
            .attachment(false)
            .content(inline_pdf::PDF),
    );
    assert_eq!(
        res.header("content-disposition"),
        Some("inline; filename=\"invoice.pdf\"")
    );
}

#[allow(dead_code)]
#[path = "../examples/database_export.rs"]
mod database_export;

#[test]
fn database_export_streams_a_real_sqlite_table_as_csv() {
    let dir = std::env::temp_dir().join(format!("downloadview-db-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = dir.join("people.sqlite3");
    // 1,234 rows: three pages of 500, the last one short.
    database_export::create_database(&database, 1_234).unwrap();
    let server = suite::serve(database_export::configure(database.clone()));

    let res = server.get("/people.csv");
    assert_eq!(res.status, 200);
    assert!(res.complete, "{res:?}");
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"people.csv\"")
    );
    let mut reader = csv::Reader::from_reader(res.body.as_slice());
    assert_eq!(reader.headers().unwrap(), vec!["id", "name", "city"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1_234);
    assert_eq!(&rows[0], vec!["1", "Person 1", "Zürich"]);
    assert_eq!(&rows[1_233], vec!["1234", "Person 1234", "Zürich"]);

    let head = server.head("/people.csv");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());

    // The table gone: the export fails on its first query, and the client
    // sees an aborted response, not an empty success.
    std::fs::remove_file(&database).unwrap();
    rusqlite::Connection::open(&database).unwrap();
    let res = server.get("/people.csv");
    assert!(!res.complete, "{res:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[allow(dead_code)]
#[path = "../examples/object_store.rs"]
mod object_store_example;

#[test]
fn object_store_objects_are_served_with_ranges_and_validators() {
    use std::sync::Arc;

    use object_store::{local::LocalFileSystem, ObjectStore};

    let dir = std::env::temp_dir().join(format!("downloadview-objects-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.join("video.bin"), &data).unwrap();
    let store: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new_with_prefix(&dir).unwrap());
    let server = suite::serve(object_store_example::configure(store));

    let full = server.get("/objects/video.bin");
    assert_eq!(full.status, 200);
    assert!(full.complete && full.body == data);
    assert_eq!(full.header("content-length"), Some("3000000"));
    assert_eq!(
        full.header("content-disposition"),
        Some("attachment; filename=\"video.bin\"")
    );
    let etag = full.header("etag").expect("the object's ETag").to_owned();
    assert!(full.header("last-modified").is_some());
    assert_eq!(full.header("accept-ranges"), Some("bytes"));

    let head = server.head("/objects/video.bin");
    assert_eq!(head.header("content-length"), Some("3000000"));
    assert!(head.body.is_empty());

    // Scrubbing: a range; resuming: If-Range with the object's ETag.
    let res = server.request(
        "GET",
        "/objects/video.bin",
        &[("Range", "bytes=2000000-"), ("If-Range", &etag)],
    );
    assert_eq!(res.status, 206);
    assert!(res.body == data[2_000_000..]);
    let res = server.request("GET", "/objects/video.bin", &[("Range", "bytes=0-9,-10")]);
    let parts = suite::multipart::byteranges(res.header("content-type").unwrap(), &res.body);
    assert!(parts[0].body == data[..10] && parts[1].body == data[data.len() - 10..]);
    // Conditional: the same ETag is a 304.
    let res = server.request("GET", "/objects/video.bin", &[("If-None-Match", &etag)]);
    assert_eq!(res.status, 304);

    // A download cut half way, resumed by curl against the store.
    let partial = dir.join("partial.bin");
    std::fs::write(&partial, &data[..1_500_000]).unwrap();
    let status = std::process::Command::new("curl")
        .args(["-sS", "-f", "-C", "-", "-o"])
        .arg(&partial)
        .arg(format!("http://{}/objects/video.bin", server.addr))
        .status()
        .expect("curl");
    assert!(status.success());
    assert!(
        std::fs::read(&partial).unwrap() == data,
        "the resumed object differs"
    );

    // Changed in the store: a new ETag, and the old one no longer resumes.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(dir.join("video.bin"), &data[..1000]).unwrap();
    let res = server.request(
        "GET",
        "/objects/video.bin",
        &[("Range", "bytes=10-"), ("If-Range", &etag)],
    );
    assert_eq!(res.status, 200, "a changed object is sent whole");
    assert_eq!(res.body.len(), 1000);

    assert_eq!(server.get("/objects/missing.bin").status, 404);
    std::fs::remove_dir_all(&dir).unwrap();
}
