//! Dropping an async source on its own worker when `send_timeout` fires
//! (SPEC §9: "the producer is stopped and dropped").
//!
//! Async sources (streams, `AsyncRead`s, async writers, and archives, whose
//! entries may be any of them) run on the actix worker that polls the body
//! and need not be `Send`, so the `send_timeout` reaper cannot drop them
//! from its own thread. Nor can the body drop them itself: actix-web stops
//! polling a body while the connection's write buffer is full, which for a
//! stalled client is until the client reads again or goes away. A user's
//! stream that holds a database connection would hold it for as long.
//!
//! So a watched async source is [held](hold) in a slot that its worker's
//! thread can find by number, and the reaper hands the worker's runtime a
//! task ([`Abandon::now`]) that empties the slot there. The body, polled
//! again, finds its source gone and its watch fired, and aborts.
//!
//! This needs the body to be polled on a current-thread tokio runtime, which
//! is what every actix-web worker is (with or without an actix `System`).
//! Elsewhere (a body polled by hand on a multi-thread runtime) the source is
//! dropped at the body's next poll, or with the response.

use std::{
    cell::{Cell, RefCell},
    collections::HashMap,
    rc::{Rc, Weak},
};

use tokio::runtime::{Handle, RuntimeFlavor};

use super::Kind;

thread_local! {
    /// The watched async sources of this thread's bodies, by number.
    static HELD: RefCell<HashMap<u64, Weak<RefCell<Kind>>>> = RefCell::new(HashMap::new());
    static NEXT: Cell<u64> = const { Cell::new(0) };
}

/// A source in a slot that [`Abandon::now`] can empty from another thread.
pub(crate) struct Held {
    slot: Rc<RefCell<Kind>>,
    id: u64,
}

impl Held {
    /// The source (`Kind::None` once abandoned).
    pub(crate) fn kind(&self) -> std::cell::RefMut<'_, Kind> {
        self.slot.borrow_mut()
    }

    /// What the source is, for `Debug`.
    pub(crate) fn name(&self) -> &'static str {
        self.slot.try_borrow().map_or("async", |kind| kind.name())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // `try_with`: a body dropped while its thread exits has nothing to
        // take out of a map that is already gone.
        let _ = HELD.try_with(|held| held.borrow_mut().remove(&self.id));
    }
}

/// How the reaper reaches a held source: `Send`, unlike the source.
pub(crate) struct Abandon {
    runtime: Handle,
    id: u64,
}

impl Abandon {
    /// Drops the source on its worker, as soon as the worker runs the task.
    pub(crate) fn now(self) {
        let id = self.id;
        // A runtime that has shut down drops the task unrun: its bodies,
        // and their sources, are gone with it.
        drop(self.runtime.spawn(async move { drop_source(id) }));
    }
}

/// Runs on the source's worker thread.
fn drop_source(id: u64) {
    let slot = HELD
        .try_with(|held| held.borrow_mut().remove(&id))
        .ok()
        .flatten()
        .and_then(|slot| slot.upgrade());
    if let Some(slot) = slot {
        // The slot is never borrowed across an await point, and this task
        // is not the body's: the borrow is free. The source is dropped after
        // the borrow ends, so its `Drop` may do anything.
        let source = std::mem::replace(&mut *slot.borrow_mut(), Kind::None);
        drop(source);
    }
}

/// Holds `kind` so that the reaper can have it dropped, when this thread
/// runs a current-thread runtime; otherwise gives it back.
pub(crate) fn hold(kind: Kind) -> Result<(Held, Abandon), Kind> {
    let runtime = match Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == RuntimeFlavor::CurrentThread => runtime,
        _ => return Err(kind),
    };
    let id = NEXT.with(|next| {
        let id = next.get();
        next.set(id + 1);
        id
    });
    let slot = Rc::new(RefCell::new(kind));
    HELD.with(|held| held.borrow_mut().insert(id, Rc::downgrade(&slot)));
    Ok((Held { slot, id }, Abandon { runtime, id }))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Flag(Rc<Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }

    fn flagged_stream(dropped: &Rc<Cell<bool>>) -> Kind {
        let flag = Flag(Rc::clone(dropped));
        let stream = futures_util::stream::poll_fn(move |_| {
            let _ = &flag;
            std::task::Poll::<Option<Result<bytes::Bytes, crate::chunk::BoxError>>>::Pending
        });
        Kind::Stream(Box::pin(stream))
    }

    #[test]
    fn abandon_drops_the_source_on_its_runtime_thread() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async {
            let dropped = Rc::new(Cell::new(false));
            let Ok((held, abandon)) = hold(flagged_stream(&dropped)) else {
                panic!("a current-thread runtime holds");
            };
            // From another thread, as the reaper does.
            std::thread::spawn(move || abandon.now()).join().unwrap();
            assert!(!dropped.get(), "not before the worker runs the task");
            tokio::task::yield_now().await;
            for _ in 0..10 {
                if dropped.get() {
                    break;
                }
                tokio::task::yield_now().await;
            }
            assert!(dropped.get(), "dropped on the worker");
            assert!(matches!(*held.kind(), Kind::None));
            drop(held);
            assert!(HELD.with(|h| h.borrow().is_empty()));
        });
    }

    #[test]
    fn a_body_that_ended_leaves_nothing_to_abandon() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let dropped = Rc::new(Cell::new(false));
            let Ok((held, abandon)) = hold(flagged_stream(&dropped)) else {
                panic!("a current-thread runtime holds");
            };
            drop(held);
            assert!(dropped.get());
            assert!(HELD.with(|h| h.borrow().is_empty()));
            abandon.now(); // a no-op now
            tokio::task::yield_now().await;
        });
    }

    #[test]
    fn without_a_current_thread_runtime_the_source_is_given_back() {
        let dropped = Rc::new(Cell::new(false));
        assert!(hold(flagged_stream(&dropped)).is_err());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let _in = rt.enter();
        assert!(hold(flagged_stream(&dropped)).is_err());
    }
}
