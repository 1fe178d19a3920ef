//! CSV records as a download (feature `csv`), over a real socket: the header
//! row, one row per record, a failing record aborting the response, from an
//! iterator and from a stream.

use actix_web::{web, HttpRequest};
use downloadview::{respond, DownloadError, GetFile, VirtualDownloadView, VirtualFile};
use serde::Serialize;

#[derive(Serialize, Clone)]
struct Row {
    id: u32,
    name: String,
}

fn rows(n: u32) -> impl Iterator<Item = Row> + Send {
    (1..=n).map(|id| Row {
        id,
        name: format!("row \"{id}\", with a comma"),
    })
}

#[derive(VirtualDownloadView)]
#[download(basename = "rows.csv")]
struct Rows(&'static str);

impl GetFile for Rows {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let failing = rows(3)
            .map(Ok)
            .chain([Err(std::io::Error::other("cursor failed"))]);
        Ok(match self.0 {
            "iter" => VirtualFile::from_csv(rows(20_000)),
            "stream" => VirtualFile::from_csv_stream(futures_util::stream::iter(
                rows(20_000).map(Ok::<_, std::io::Error>),
            )),
            "empty" => VirtualFile::from_csv(rows(0)),
            "failing-iter" => VirtualFile::from_try_csv(failing),
            _ => VirtualFile::from_csv_stream(futures_util::stream::iter(failing)),
        })
    }
}

fn configure(cfg: &mut web::ServiceConfig) {
    for kind in ["iter", "stream", "empty", "failing-iter", "failing-stream"] {
        cfg.route(
            &format!("/{kind}"),
            web::get().to(move |req: HttpRequest| async move { respond(Rows(kind), &req) }),
        );
    }
}

#[test]
fn records_become_rows_after_a_header_row() {
    let server = suite::serve(configure);
    for kind in ["/iter", "/stream"] {
        let res = server.get(kind);
        assert_eq!(res.status, 200, "{kind}");
        assert!(res.complete, "{kind}");
        assert!(res.chunked, "{kind}: the size of a CSV body is not known");
        assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
        let text = res.text();
        assert!(
            text.starts_with("id,name\n1,\"row \"\"1\"\", with a comma\"\n"),
            "{kind}: {}",
            &text[..60]
        );
        let mut reader = csv::Reader::from_reader(res.body.as_slice());
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 20_000, "{kind}");
        assert_eq!(&records[19_999][1], "row \"20000\", with a comma");
    }
    // No record, no header (the field names come from the first record).
    let empty = server.get("/empty");
    assert!(empty.complete);
    assert!(empty.body.is_empty());
}

#[test]
fn a_failing_record_aborts_the_response_after_the_rows_before_it() {
    let server = suite::serve(configure);
    for kind in ["/failing-iter", "/failing-stream"] {
        // A failure before actix has flushed the head closes the connection
        // with no response at all; after it, the body is cut short. Either
        // way the client cannot take it for a complete file.
        let Ok(res) = suite::try_request(server.addr, "GET", kind, &[]) else {
            continue;
        };
        assert_eq!(res.status, 200, "{kind}");
        assert!(
            !res.complete,
            "{kind}: a failure must not look like the end"
        );
        // What arrived is the start of the rows before the failure.
        let good = "id,name\n1,\"row \"\"1\"\", with a comma\"\n";
        let text = res.text();
        assert!(
            good.starts_with(&text[..text.len().min(good.len())]),
            "{kind}: {text}"
        );
    }
}
