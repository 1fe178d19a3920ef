//! The demo's streaming routes (SPEC §11): `/big/`, `/stream/` and `/csv/`
//! stream what they promise, and a bad `size` or `rows` is a 400 that says why.

use suite::kinds::pattern;

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/demo.rs"]
mod demo;

fn server() -> suite::TestServer {
    suite::serve(demo::configure)
}

#[test]
fn big_is_a_sized_download_of_the_pattern() {
    let server = server();
    let res = server.get("/big/?size=1000003");
    assert_eq!(res.status, 200);
    assert!(res.complete && !res.chunked);
    assert_eq!(res.header("content-length"), Some("1000003"));
    assert!(res.body == pattern(1_000_003));
    let empty = server.get("/big/?size=0");
    assert_eq!((empty.status, empty.body.len()), (200, 0));
}

#[test]
fn stream_is_a_chunked_download_of_the_pattern() {
    let res = server().get("/stream/?size=1000003");
    assert_eq!(res.status, 200);
    assert!(res.complete && res.chunked);
    assert_eq!(res.header("content-length"), None);
    assert!(res.body == pattern(1_000_003));
}

#[test]
fn csv_writes_a_header_and_n_rows() {
    let res = server().get("/csv/?rows=3");
    assert_eq!(res.status, 200);
    assert!(res.complete && res.chunked);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        res.text(),
        "id,name,square\n0,item 0,0\n1,item 1,1\n2,item 2,4\n"
    );
    let many = server().get("/csv/?rows=100000");
    assert!(many.complete);
    assert_eq!(many.text().lines().count(), 100_001);
    assert!(many.text().ends_with("99999,item 99999,9999800001\n"));
}

#[test]
fn bad_sizes_and_row_counts_are_400_with_a_clear_message() {
    let server = server();
    for (path, param, value) in [
        ("/big/?size=abc", "size", "abc"),
        ("/big/?size=-1", "size", "-1"),
        ("/big/?size=1.5", "size", "1.5"),
        ("/big/?size=", "size", ""),
        (
            "/big/?size=99999999999999999999",
            "size",
            "99999999999999999999",
        ),
        ("/stream/?size=lots", "size", "lots"),
        ("/csv/?rows=ten", "rows", "ten"),
        ("/csv/?rows=-5", "rows", "-5"),
    ] {
        let res = server.get(path);
        assert_eq!(res.status, 400, "{path}");
        assert!(res.complete, "{path}");
        let text = res.text();
        assert!(
            text.contains(&format!("{param} must be a whole number"))
                && text.contains(&format!("{value:?}")),
            "{path}: unclear message {text:?}"
        );
        assert_eq!(
            res.header("content-disposition"),
            None,
            "{path}: not a download"
        );
    }
    // HEAD answers the same status, and never runs the source.
    assert_eq!(server.head("/big/?size=abc").status, 400);
    assert_eq!(
        server.head("/big/?size=5").header("content-length"),
        Some("5")
    );
}
