//! Signed links over HTTP (feature `signed`): the demo's `/signed/` and
//! `/sign/`, a derived view with `signed = true`, a handler-built view behind
//! the `SignedLink` extractor; tampered, expired and far-future links; the
//! documented format reproduced by hand; percent-encoded paths; key
//! rotation; a resumed download; reports of refused links.

use std::{
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use actix_web::{web, HttpRequest};
use downloadview::{
    get_or_head, DownloadError, DownloadReport, GetFile, SignedLink, SigningKeys,
    VirtualDownloadView, VirtualFile, EXPIRES_PARAM, SIGNATURE_PARAM,
};
use hmac::{Hmac, Mac};

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/demo.rs"]
mod demo;

const KEY: &[u8] = b"the test key, thirty-two bytes or more";
const OLD_KEY: &[u8] = b"an older key, also thirty-two bytes long";

fn reports() -> &'static Mutex<Vec<DownloadReport>> {
    static REPORTS: Mutex<Vec<DownloadReport>> = Mutex::new(Vec::new());
    &REPORTS
}

/// A derived view that answers only signed links.
#[derive(VirtualDownloadView, Default)]
#[download(basename = "report.csv", signed = true)]
struct Report;

impl GetFile for Report {
    fn get_file(&self, req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        let id = req.match_info().get("id").unwrap_or("?");
        Ok(VirtualFile::from(format!(
            "id,total\n{id},{}\n",
            "9".repeat(1000)
        )))
    }

    fn on_download(&self, report: &DownloadReport) {
        reports().lock().unwrap().push(report.clone());
    }
}

/// A handler-built view, public unless a handler puts `SignedLink` first.
#[derive(VirtualDownloadView)]
#[download(basename = "invoice.txt")]
struct Invoice {
    id: u32,
}

impl GetFile for Invoice {
    fn get_file(&self, _req: &HttpRequest) -> Result<VirtualFile, DownloadError> {
        Ok(VirtualFile::from(format!("invoice {}\n", self.id)))
    }
}

fn server_with(keys: Option<SigningKeys>) -> suite::TestServer {
    suite::serve(move |cfg| {
        if let Some(keys) = keys.clone() {
            cfg.app_data(web::Data::new(keys));
        }
        cfg.route("/reports/{id}", Report::route())
            .route("/files/{name}", Report::route())
            .route(
                "/invoices/{id}",
                get_or_head()
                    .to(|_: SignedLink, id: web::Path<u32>| async move { Invoice { id: *id } }),
            );
    })
}

fn server() -> suite::TestServer {
    server_with(Some(SigningKeys::new([KEY]).unwrap()))
}

/// A link signed by hand with `key`, following the documented format:
/// `X-Expires` then `X-Signature` (HMAC-SHA-256, URL-safe base64 without
/// padding) over "downloadview signed link v1\nGET\n<path>\n<query>".
fn sign_by_hand(key: &[u8], path: &str, query: &str, expires: u64) -> String {
    let query = if query.is_empty() {
        format!("{EXPIRES_PARAM}={expires}")
    } else {
        format!("{query}&{EXPIRES_PARAM}={expires}")
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(format!("downloadview signed link v1\nGET\n{path}\n{query}").as_bytes());
    let signature = base64url(&mac.finalize().into_bytes());
    format!("{path}?{query}&{SIGNATURE_PARAM}={signature}")
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn assert_forbidden(res: &suite::Response, what: &str) {
    assert_eq!(res.status, 403, "{what}");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8"),
        "{what}"
    );
    assert_eq!(
        res.text(),
        "403 Forbidden: this download link is invalid or has expired.\n",
        "{what}"
    );
}

#[test]
fn the_demo_signs_a_link_that_opens_its_signed_route() {
    let server = suite::serve(demo::configure);
    assert_forbidden(&server.get("/signed/"), "no signature");
    let link = server.get("/sign/?path=/signed/");
    assert_eq!(link.status, 200);
    let link = link.text().trim().to_owned();
    assert!(link.starts_with("/signed/?X-Expires="), "{link}");
    let res = server.get(&link);
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), "Hello world!\n");
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"hello-world.txt\"")
    );
    assert_eq!(server.head(&link).status, 200);
    // The demo signs its own signed routes only.
    assert_eq!(server.get("/sign/?path=/text/").status, 400);
}

#[test]
fn a_derived_view_and_a_handler_built_one_answer_only_valid_links() {
    let server = server();
    let keys = SigningKeys::new([KEY]).unwrap();
    let hour = Duration::from_secs(3600);
    for path in ["/reports/7", "/invoices/7"] {
        let link = keys.sign(path, hour).unwrap();
        let res = server.get(&link);
        assert_eq!(res.status, 200, "{link}");
        assert!(res.text().contains('7'));
        assert_forbidden(&server.get(path), path);
        // The format is the documented one: a link signed by hand passes.
        let by_hand = sign_by_hand(KEY, path, "", now_secs() + 60);
        assert_eq!(server.get(&by_hand).status, 200, "{by_hand}");
    }
}

#[test]
fn every_tampered_link_is_refused() {
    let server = server();
    let keys = SigningKeys::new([KEY]).unwrap();
    let link = keys
        .sign("/reports/7?format=csv&lang=fr", Duration::from_secs(3600))
        .unwrap();
    let (head, signature) = link.rsplit_once("&X-Signature=").unwrap();
    let mut flipped = signature.as_bytes().to_vec();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let other_path = keys.sign("/reports/8", Duration::from_secs(3600)).unwrap();
    let other_signature = other_path.rsplit_once("&X-Signature=").unwrap().1;
    for (tampered, what) in [
        (link.replace("/reports/7", "/reports/8"), "another path"),
        (
            link.replace("format=csv", "format=xls"),
            "a changed parameter",
        ),
        (
            link.replace("format=csv&lang=fr", "lang=fr&format=csv"),
            "reordered parameters",
        ),
        (
            link.replace("lang=fr", "lang=fr&lang=de"),
            "a duplicated parameter",
        ),
        (link.replace("&lang=fr", ""), "a removed parameter"),
        (
            format!("{head}&X-Signature={}", &signature[..40]),
            "a truncated signature",
        ),
        (
            format!("{head}&X-Signature={signature}=="),
            "a padded signature",
        ),
        (
            format!("{head}&X-Signature={flipped}"),
            "a changed signature",
        ),
        (
            format!("{head}&X-Signature={other_signature}"),
            "another path's signature",
        ),
        (
            format!("{head}&X-Signature={signature}&x=1"),
            "a parameter after the signature",
        ),
        (head.to_owned(), "no signature"),
        (format!("{link}&X-Signature={signature}"), "two signatures"),
    ] {
        assert_forbidden(&server.get(&tampered), what);
    }
    assert_eq!(server.get(&link).status, 200);
}

#[test]
fn expired_and_far_future_links_are_refused() {
    let server = server();
    // Expired beyond the 30 s of clock skew, and just within it.
    let expired = sign_by_hand(KEY, "/reports/7", "", now_secs() - 31 - 5);
    assert_forbidden(&server.get(&expired), "expired");
    let within_skew = sign_by_hand(KEY, "/reports/7", "", now_secs() - 10);
    assert_eq!(server.get(&within_skew).status, 200);
    // Two years ahead: no link lives that long.
    let far = sign_by_hand(KEY, "/reports/7", "", now_secs() + 2 * 366 * 24 * 3600);
    assert_forbidden(&server.get(&far), "far future");
    // Not a number, or a signed number with a sign.
    let signed_plus =
        sign_by_hand(KEY, "/reports/7", "", now_secs() + 60).replace("X-Expires=", "X-Expires=+");
    assert_forbidden(&server.get(&signed_plus), "a '+' in the expiry");
}

#[test]
fn percent_encoded_and_non_ascii_paths_are_signed_as_sent() {
    let server = server();
    let keys = SigningKeys::new([KEY]).unwrap();
    let hour = Duration::from_secs(3600);
    let link = keys.sign("/files/caf%C3%A9.csv", hour).unwrap();
    assert_eq!(server.get(&link).status, 200);
    // The same file as the router sees it, another target as signed.
    assert_forbidden(
        &server.get(&link.replace("%C3%A9", "%c3%a9")),
        "lower-case hex",
    );
    let slash = keys.sign("/files/a%2Fb", hour).unwrap();
    assert_eq!(server.get(&slash).status, 200);
    assert_forbidden(
        &server.get(&slash.replace("%2F", "%252F")),
        "double-encoded",
    );
    assert_forbidden(&server.get(&slash.replace("%2F", "%2f")), "mixed-case hex");
    // A raw non-ASCII target cannot be signed: encode it first. Sent raw,
    // with the encoded target's signature, it is refused, never served.
    assert!(keys.sign("/files/café.csv", hour).is_err());
    let query = link.split_once('?').unwrap().1;
    let raw =
        format!("GET /files/café.csv?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let res = suite::raw_request(server.addr, raw.as_bytes(), false);
    assert!(
        res.status == 403 || res.status == 400,
        "a raw non-ASCII target answered {}",
        res.status
    );
}

#[test]
fn keys_rotate_and_an_app_without_keys_answers_500() {
    let old_link = SigningKeys::new([OLD_KEY])
        .unwrap()
        .sign("/reports/1", Duration::from_secs(600))
        .unwrap();
    // During the rotation: the new key signs, the old one still checks.
    let rotating = server_with(Some(SigningKeys::new([KEY, OLD_KEY]).unwrap()));
    assert_eq!(rotating.get(&old_link).status, 200);
    // After it: the old key's links are refused.
    let rotated = server();
    assert_forbidden(&rotated.get(&old_link), "a retired key's link");
    // No keys at all: the file is never served, and no key is refused at
    // start-up silently: SigningKeys::new refuses an empty list.
    let keyless = server_with(None);
    assert_eq!(keyless.get(&old_link).status, 500);
    assert_eq!(keyless.get("/invoices/1").status, 500);
    assert!(SigningKeys::new(Vec::<&[u8]>::new()).is_err());
    assert!(SigningKeys::new([b"short".as_slice()]).is_err());
}

#[test]
fn a_download_resumes_while_its_link_is_valid() {
    let server = server();
    let link = SigningKeys::new([KEY])
        .unwrap()
        .sign("/reports/42", Duration::from_secs(600))
        .unwrap();
    let full = server.get(&link);
    assert_eq!(full.status, 200);
    let etag = full.header("etag").map(str::to_owned);
    let res = server.request("GET", &link, &[("Range", "bytes=10-")]);
    assert_eq!(res.status, 206);
    assert_eq!(res.body, full.body[10..]);
    if let Some(etag) = etag {
        let res = server.request("GET", &link, &[("Range", "bytes=10-"), ("If-Range", &etag)]);
        assert_eq!(res.status, 206);
    }
    // The same range on an expired link: refused, the app hands out a new one.
    let expired = sign_by_hand(KEY, "/reports/42", "", now_secs() - 3600);
    let res = server.request("GET", &expired, &[("Range", "bytes=10-")]);
    assert_forbidden(&res, "a resume after expiry");
}

#[test]
fn refused_links_are_reported_like_any_response() {
    let server = server();
    reports().lock().unwrap().clear();
    assert_eq!(server.get("/reports/99").status, 403);
    assert!(suite::eventually(Duration::from_secs(2), || {
        reports()
            .lock()
            .unwrap()
            .iter()
            .any(|r| r.path() == "/reports/99" && r.status == 403 && r.bytes > 0)
    }));
}
