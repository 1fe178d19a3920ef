//! What is emitted for invalid input: the errors, plus the impls with default
//! options, so the user sees the attribute errors and not a cascade of
//! "`Responder` is not implemented" at every use of the type.

use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn expand(input: &syn::DeriveInput, err: syn::Error) -> TokenStream {
    let errors = err.into_compile_error();
    if matches!(input.data, syn::Data::Union(_)) {
        return errors;
    }
    let impls = crate::expand::impls(
        input,
        &quote!(::downloadview::__private::DownloadOptions::new()),
    );
    quote! {
        #errors
        #impls
    }
}
