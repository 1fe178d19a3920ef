//! The header values a view answers with request after request, remembered
//! instead of computed again.
//!
//! `Content-Type` and `Content-Disposition` depend only on a view's options
//! and the served name, which rarely change between two requests: each worker
//! thread keeps its last answer of each, as a [`Memo`]. An answer that keeps
//! being served is then made `'static` (see [`lasting`]): cloning it into a
//! response and dropping it with the response no longer touch a shared
//! reference count (two atomic operations per header per response).

use std::{
    collections::HashSet,
    sync::{Mutex, PoisonError},
};

use actix_web::http::header::HeaderValue;
use bytes::Bytes;

/// A remembered answer: the inputs it was computed from, and the value.
pub(crate) struct Memo<K> {
    key: K,
    value: HeaderValue,
    /// How many times the value was served from memory, up to [`REPEATS`].
    served: u8,
}

/// Served this many times in a row, a value is made lasting.
const REPEATS: u8 = 8;

impl<K> Memo<K> {
    /// The answer remembered in `last` when `same` says it was computed from
    /// the same inputs; else the inputs and answer `make` gives, remembered
    /// in its place.
    pub(crate) fn recall(
        last: &mut Option<Memo<K>>,
        same: impl FnOnce(&K) -> bool,
        make: impl FnOnce() -> (K, HeaderValue),
    ) -> HeaderValue {
        if let Some(memo) = last {
            if same(&memo.key) {
                return memo.serve();
            }
        }
        let (key, value) = make();
        *last = Some(Memo::new(key, value.clone()));
        value
    }

    fn new(key: K, value: HeaderValue) -> Self {
        Memo {
            key,
            value,
            served: 0,
        }
    }

    /// The remembered value, made lasting once it keeps being served.
    fn serve(&mut self) -> HeaderValue {
        if self.served < REPEATS {
            self.served += 1;
            if self.served == REPEATS {
                if let Some(value) = lasting(&self.value) {
                    self.value = value;
                }
            }
        }
        self.value.clone()
    }
}

/// At most this many bytes of header values are ever made `'static` (a few
/// hundred values); past it, values stay reference counted.
const LASTING_BYTES: usize = 16 << 10;

/// `value` as a `'static` header value, one copy of each text for the whole
/// process, while [`LASTING_BYTES`] allow; `None` past that budget.
fn lasting(value: &HeaderValue) -> Option<HeaderValue> {
    static KEPT: Mutex<Option<(usize, HashSet<&'static str>)>> = Mutex::new(None);
    // Every value made here is visible ASCII (`content_type::valid`).
    let text = value.to_str().ok()?;
    let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    let (bytes, texts) = kept.get_or_insert_with(Default::default);
    let text: &'static str = match texts.get(text) {
        Some(&text) => text,
        None if *bytes + text.len() <= LASTING_BYTES => {
            *bytes += text.len();
            let text: &'static str = Box::leak(text.into());
            texts.insert(text);
            text
        }
        None => return None,
    };
    HeaderValue::from_maybe_shared(Bytes::from_static(text.as_bytes())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(memo: &mut Memo<()>, times: usize) -> HeaderValue {
        (0..times).map(|_| memo.serve()).last().unwrap()
    }

    #[test]
    fn a_value_served_again_and_again_is_one_static_copy_for_the_process() {
        let text = "text/x-memo-test; charset=utf-8";
        let make = || Memo::new((), HeaderValue::from_str(text).unwrap());
        let (mut a, mut b) = (make(), make());
        // Until then each memo serves its own reference-counted value.
        let (early_a, early_b) = (served(&mut a, 1), served(&mut b, 1));
        assert_ne!(early_a.as_bytes().as_ptr(), early_b.as_bytes().as_ptr());
        // Then both serve the one kept copy (as two threads' memos would).
        let (late_a, late_b) = (served(&mut a, 20), served(&mut b, 20));
        assert_eq!(late_a, text);
        assert_eq!(late_a.as_bytes().as_ptr(), late_b.as_bytes().as_ptr());
        assert_eq!(
            late_a.as_bytes().as_ptr(),
            lasting(&early_a).unwrap().as_bytes().as_ptr()
        );
    }

    #[test]
    fn no_more_than_the_budget_is_ever_kept() {
        let long = "x".repeat(LASTING_BYTES + 1);
        assert!(lasting(&HeaderValue::from_str(&long).unwrap()).is_none());
        let mut memo = Memo::new((), HeaderValue::from_str(&long).unwrap());
        // Still served, reference counted.
        assert_eq!(served(&mut memo, 20), long.as_str());
    }
}
