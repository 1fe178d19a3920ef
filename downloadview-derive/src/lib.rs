//! The `#[derive(VirtualDownloadView)]` macro of the [`downloadview`] crate.
//! Use it through `downloadview`, which re-exports it and documents it.
//!
//! The pipeline has one stage per file: `ast` (a typed view of the input),
//! `attr` (the `#[download(...)]` attribute), `valid` (the rules on its
//! values), `expand` (the generated impls) and `fallback` (what is emitted
//! when the input is invalid). Errors are collected in a `ctxt::Ctxt`, so a
//! user sees every mistake in one build.
//!
//! [`downloadview`]: https://docs.rs/downloadview
#![deny(missing_docs)]

mod ast;
mod attr;
mod ctxt;
mod expand;
mod fallback;
mod valid;

use proc_macro::TokenStream;

/// Derives a download view: `actix_web::Responder`, `downloadview::ViewOptions`
/// from `#[download(...)]`, and a `route()` for `Default` views.
/// See the `downloadview` crate for the documentation.
#[proc_macro_derive(VirtualDownloadView, attributes(download))]
pub fn derive_virtual_download_view(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
