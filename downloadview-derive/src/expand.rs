//! Code generation: `ViewOptions`, `Responder` and `route()` for the type.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::{ast::Input, attr::Attrs, ctxt::Ctxt, fallback};

/// parse → validate → expand; on any error, the errors plus [`fallback`] impls.
pub(crate) fn derive(input: &syn::DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let parsed = Input::from_syn(&cx, input);
    parsed.attrs.validate(&cx);
    match cx.check() {
        Ok(()) => impls(parsed.original, &options(&parsed.attrs)),
        Err(err) => fallback::expand(input, err),
    }
}

/// The `DownloadOptions` constant expression for the attributes.
fn options(attrs: &Attrs) -> TokenStream {
    // Destructured in full: a new option cannot be forgotten here.
    let Attrs {
        basename,
        attachment,
        mimetype,
        encoding,
        charset,
        cache_control,
        buffering,
        send_timeout,
        max_ranges,
        signed,
        limit_rate,
        limit_rate_after,
    } = attrs;
    let mut options = quote!(::downloadview::__private::DownloadOptions::new());
    let strings = [
        (quote!(basename), basename),
        (quote!(mimetype), mimetype),
        (quote!(encoding), encoding),
        (quote!(charset), charset),
        (quote!(cache_control), cache_control),
    ];
    for (setter, opt) in strings {
        if let Some(opt) = opt {
            let value = &opt.value;
            options = quote!(#options.#setter(#value));
        }
    }
    for (setter, opt) in [
        (quote!(attachment), attachment),
        (quote!(buffering), buffering),
        (quote!(signed), signed),
    ] {
        if let Some(opt) = opt {
            let value = opt.value;
            options = quote!(#options.#setter(#value));
        }
    }
    for (setter, opt) in [
        (quote!(send_timeout), send_timeout),
        (quote!(limit_rate), limit_rate),
        (quote!(limit_rate_after), limit_rate_after),
    ] {
        if let Some(opt) = opt {
            let value = opt.value;
            options = quote!(#options.#setter(#value));
        }
    }
    if let Some(opt) = max_ranges {
        // Unsuffixed: a `usize` on the target, whatever the host's is.
        let max = proc_macro2::Literal::u64_unsuffixed(opt.value);
        options = quote!(#options.max_ranges(#max));
    }
    options
}

/// The impls, given the options expression.
pub(crate) fn impls(input: &syn::DeriveInput, options: &TokenStream) -> TokenStream {
    let ident = &input.ident;
    // `route()` is as visible as the type: `pub` on a private type would trip
    // the user's `unreachable_pub`, and a private `route()` on a `pub` type
    // would be useless to other modules.
    let vis = &input.vis;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // The report hook keeps the view until its response ends, on the reporter
    // thread: views are `Send + 'static`. For a generic view that is a bound
    // of the impl (so `View<String>` responds and `View<Rc<str>>` does not);
    // for a plain type it is left to `respond`, whose error then points at the
    // type instead of a use site that "does not implement Responder".
    let mut responder_generics = input.generics.clone();
    if !responder_generics.params.is_empty() {
        responder_generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(Self: ::core::marker::Send + 'static));
    }
    let (_, _, responder_where) = responder_generics.split_for_impl();
    // Spanned at the type's name, so a missing `GetFile` impl is reported there.
    let respond = quote_spanned! {ident.span()=>
        ::downloadview::__private::respond::<Self>(self, req)
    };
    quote! {
        #[doc(hidden)]
        #[allow(non_local_definitions, unused_qualifications, clippy::all, clippy::pedantic)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::downloadview::__private::ViewOptions for #ident #ty_generics #where_clause {
                const OPTIONS: ::downloadview::__private::DownloadOptions = #options;
            }

            #[automatically_derived]
            impl #impl_generics ::downloadview::__private::Responder for #ident #ty_generics #responder_where {
                type Body = ::downloadview::__private::DownloadBody;

                fn respond_to(
                    self,
                    req: &::downloadview::__private::HttpRequest,
                ) -> ::downloadview::__private::HttpResponse<Self::Body> {
                    #respond
                }
            }

            #[automatically_derived]
            impl #impl_generics #ident #ty_generics #where_clause {
                /// A route that answers GET and HEAD with `Self::default()`
                /// (see `downloadview::route`).
                // The bound is higher-ranked so that it is checked where
                // `route()` is called, not here: a view without `Default` (one
                // built by a handler) still compiles, and calling its `route()`
                // reports `DefaultView`'s message.
                #[allow(dead_code)]
                #vis fn route() -> ::downloadview::__private::Route
                where
                    for<'__downloadview> Self: ::downloadview::__private::DefaultView,
                {
                    ::downloadview::__private::route::<Self>()
                }
            }
        };
    }
}
