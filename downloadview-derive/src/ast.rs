//! A typed, borrowed view of the derive input.

use crate::{attr::Attrs, ctxt::Ctxt};

/// The type the derive is on, with its parsed `#[download(...)]` options.
pub(crate) struct Input<'a> {
    pub(crate) original: &'a syn::DeriveInput,
    pub(crate) attrs: Attrs,
}

impl<'a> Input<'a> {
    pub(crate) fn from_syn(cx: &Ctxt, original: &'a syn::DeriveInput) -> Self {
        if let syn::Data::Union(data) = &original.data {
            cx.error_spanned_by(
                data.union_token,
                "#[derive(VirtualDownloadView)] is not supported on unions; use a struct or an enum",
            );
        }
        Input {
            original,
            attrs: Attrs::from_syn(cx, &original.attrs),
        }
    }
}
