//! The request's `tracing` span, carried with its download (feature
//! `tracing`).
//!
//! A download outlives the handler that created it: its report is delivered
//! when the body ends, its pull steps run on the blocking pool, its writer
//! closure on a writer thread, its async source wherever actix polls the
//! body. None of those is inside the request's span by itself, so the span
//! that was current when the response was created (with tracing-actix-web,
//! the request's root span) is kept in a [`Scope`] and entered around each
//! of them. Without the feature a `Scope` is empty and entering it is
//! calling the closure.

/// The span to run a download's code in.
#[derive(Clone)]
pub(crate) struct Scope {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl Scope {
    /// The span current on this thread now.
    #[inline]
    pub(crate) fn current() -> Self {
        Scope {
            #[cfg(feature = "tracing")]
            span: tracing::Span::current(),
        }
    }

    /// Runs `f` inside the span.
    #[inline]
    pub(crate) fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        #[cfg(feature = "tracing")]
        {
            self.span.in_scope(f)
        }
        #[cfg(not(feature = "tracing"))]
        {
            f()
        }
    }
}

/// Whether `tracing` events go anywhere on this thread: a subscriber is
/// installed (globally, or for this thread).
#[cfg(feature = "tracing")]
pub(crate) fn subscribed() -> bool {
    tracing::dispatcher::get_default(|dispatch| !dispatch.is::<tracing::subscriber::NoSubscriber>())
}
