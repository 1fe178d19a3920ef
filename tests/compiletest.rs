//! The derive's compile-time contract: every mistake in `ui/fail/` is rejected
//! with the diagnostic pinned in its `.stderr`, every shape in `ui/pass/`
//! compiles (and runs). Runs on stable in `cargo test --workspace`.
//!
//! After a deliberate change of a message, refresh with
//! `TRYBUILD=overwrite cargo test --test compiletest` and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
