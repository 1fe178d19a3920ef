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
        reject_misplaced_attrs(cx, &original.data);
        Input {
            original,
            attrs: Attrs::from_syn(cx, &original.attrs),
        }
    }
}

/// `#[download(...)]` on a field or a variant would otherwise be silently
/// ignored (the derive declares the attribute, so rustc accepts it anywhere
/// inside the type).
fn reject_misplaced_attrs(cx: &Ctxt, data: &syn::Data) {
    let mut fields: Vec<&syn::Field> = Vec::new();
    let mut variants: Vec<&syn::Variant> = Vec::new();
    match data {
        syn::Data::Struct(data) => fields.extend(&data.fields),
        syn::Data::Enum(data) => {
            for variant in &data.variants {
                variants.push(variant);
                fields.extend(&variant.fields);
            }
        }
        syn::Data::Union(data) => fields.extend(&data.fields.named),
    }
    let misplaced = fields
        .iter()
        .flat_map(|f| &f.attrs)
        .chain(variants.iter().flat_map(|v| &v.attrs))
        .filter(|attr| attr.path().is_ident("download"));
    for attr in misplaced {
        cx.error_spanned_by(
            attr,
            "#[download(...)] belongs on the type, not on a field or a variant",
        );
    }
}
