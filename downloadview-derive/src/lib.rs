//! The `#[derive(VirtualDownloadView)]` macro of the [`downloadview`] crate.
//! Use it through `downloadview`, which re-exports it and documents it.
//!
//! The pipeline has one stage per file: `ast.rs` (a typed view of the input),
//! `attr.rs` (the `#[download(...)]` attribute), `valid.rs` (the rules on its
//! values), `expand.rs` (the generated impls) and `fallback.rs` (what is emitted
//! when the input is invalid). Errors are collected in a `Ctxt` (`ctxt.rs`), so a
//! user sees every mistake in one build; `suggest.rs` finds the key a misspelt
//! one was meant to be.
//!
//! [`downloadview`]: https://docs.rs/downloadview
#![deny(missing_docs)]

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod suggest;
mod valid;

use proc_macro::TokenStream;

// `downloadview` documents this derive on its re-export, where doctests can
// use the runtime; the line below is appended there.
/// (The macro is implemented in the `downloadview-derive` crate.)
#[proc_macro_derive(VirtualDownloadView, attributes(download))]
pub fn derive_virtual_download_view(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
