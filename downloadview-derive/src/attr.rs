//! `#[download(key = value, ...)]`: parsed into [`Attrs`], one slot per key.
//!
//! Parse errors (unknown key, duplicate key, wrong literal type) are reported
//! here, each pointing at the offending token; the rules on the values live in
//! `valid.rs`.

use syn::{meta::ParseNestedMeta, spanned::Spanned, Attribute, Lit, Token};

use crate::{ctxt::Ctxt, suggest};

/// The keys, in the order the error for an unknown key lists them.
pub(crate) const KEYS: &[&str] = &[
    "basename",
    "attachment",
    "mimetype",
    "encoding",
    "charset",
    "cache_control",
    "buffering",
    "send_timeout",
    "max_ranges",
    "signed",
    "limit_rate",
    "limit_rate_after",
];

/// One option as written: its literal (for value errors) and its value. A
/// duplicate is reported at the second key while parsing, so the key itself
/// need not be kept.
pub(crate) struct Opt<T> {
    pub(crate) lit: Lit,
    pub(crate) value: T,
}

/// The options of `#[download(...)]`; `None` where the attribute is silent.
#[derive(Default)]
pub(crate) struct Attrs {
    pub(crate) basename: Option<Opt<String>>,
    pub(crate) attachment: Option<Opt<bool>>,
    pub(crate) mimetype: Option<Opt<String>>,
    pub(crate) encoding: Option<Opt<String>>,
    pub(crate) charset: Option<Opt<String>>,
    pub(crate) cache_control: Option<Opt<String>>,
    pub(crate) buffering: Option<Opt<bool>>,
    /// Seconds; `0` = never.
    pub(crate) send_timeout: Option<Opt<u64>>,
    /// Ranges per request; `0` = no Range support.
    pub(crate) max_ranges: Option<Opt<u64>>,
    /// Only signed, unexpired links are answered.
    pub(crate) signed: Option<Opt<bool>>,
    /// Bytes a second; `0` = no limit.
    pub(crate) limit_rate: Option<Opt<u64>>,
    /// Bytes sent at full speed before the limit applies.
    pub(crate) limit_rate_after: Option<Opt<u64>>,
}

impl Attrs {
    pub(crate) fn from_syn(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = Attrs::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("download")) {
            if !matches!(attr.meta, syn::Meta::List(_)) {
                cx.error_spanned_by(
                    attr,
                    "expected `#[download(key = value, ...)]`, e.g. `#[download(basename = \"report.csv\")]`",
                );
                continue;
            }
            let result = attr.parse_nested_meta(|meta| {
                out.parse_one(cx, &meta);
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }
        out
    }

    /// Parses `key = literal`, reporting (not returning) every mistake so the
    /// remaining keys are still read.
    fn parse_one(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>) {
        let path = &meta.path;
        let key = path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let known = KEYS.contains(&key.as_str());
        if !known {
            let hint = suggest::closest(&key, KEYS)
                .map(|k| format!("did you mean `{k}`? "))
                .unwrap_or_default();
            cx.error_spanned_by(
                path,
                format_args!(
                    "unknown download option `{}`; {hint}expected one of: {}",
                    quote::ToTokens::to_token_stream(path)
                        .to_string()
                        .replace(' ', ""),
                    KEYS.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if !meta.input.peek(Token![=]) {
            if known {
                cx.error_spanned_by(
                    path,
                    format_args!(
                        "download option `{key}` needs a value: `{key} = {}`",
                        example(&key)
                    ),
                );
            }
            // Skip whatever follows (e.g. `key(...)`) up to the next comma.
            let _ = meta.input.step(|cursor| {
                let mut rest = *cursor;
                while let Some((tt, next)) = rest.token_tree() {
                    if let proc_macro2::TokenTree::Punct(p) = &tt {
                        if p.as_char() == ',' {
                            break;
                        }
                    }
                    rest = next;
                }
                Ok(((), rest))
            });
            return;
        }
        let value = match meta.value().and_then(|v| v.parse::<syn::Expr>()) {
            Ok(value) => value,
            Err(err) => return cx.syn_error(err),
        };
        if !known {
            return;
        }
        let lit = match &value {
            syn::Expr::Lit(syn::ExprLit { lit, .. }) => Some(lit.clone()),
            _ => None,
        };
        match key.as_str() {
            "attachment" => set(
                cx,
                path,
                &mut self.attachment,
                lit_bool(cx, &key, lit, &value),
            ),
            "basename" => set(cx, path, &mut self.basename, lit_str(cx, &key, lit, &value)),
            "mimetype" => set(cx, path, &mut self.mimetype, lit_str(cx, &key, lit, &value)),
            "encoding" => set(cx, path, &mut self.encoding, lit_str(cx, &key, lit, &value)),
            "charset" => set(cx, path, &mut self.charset, lit_str(cx, &key, lit, &value)),
            "cache_control" => set(
                cx,
                path,
                &mut self.cache_control,
                lit_str(cx, &key, lit, &value),
            ),
            "buffering" => set(
                cx,
                path,
                &mut self.buffering,
                lit_bool(cx, &key, lit, &value),
            ),
            "send_timeout" => set(
                cx,
                path,
                &mut self.send_timeout,
                lit_whole(cx, &key, lit, &value, &SECONDS),
            ),
            "max_ranges" => set(
                cx,
                path,
                &mut self.max_ranges,
                lit_whole(cx, &key, lit, &value, &RANGES),
            ),
            "signed" => set(cx, path, &mut self.signed, lit_bool(cx, &key, lit, &value)),
            "limit_rate" => set(
                cx,
                path,
                &mut self.limit_rate,
                lit_whole(cx, &key, lit, &value, &BYTES_PER_SECOND),
            ),
            "limit_rate_after" => set(
                cx,
                path,
                &mut self.limit_rate_after,
                lit_whole(cx, &key, lit, &value, &BYTES),
            ),
            _ => unreachable!("every key of KEYS has an arm"),
        }
    }
}

/// The expected form of a key's value, for error messages.
fn example(key: &str) -> &'static str {
    match key {
        "attachment" | "buffering" | "signed" => "true",
        "basename" => "\"report.csv\"",
        "mimetype" => "\"text/csv\"",
        "encoding" => "\"gzip\"",
        "charset" => "\"utf-8\"",
        "send_timeout" => "60",
        "max_ranges" => "16",
        "limit_rate" => "1048576",
        "limit_rate_after" => "10485760",
        _ => "\"no-store\"",
    }
}

fn set<T>(cx: &Ctxt, path: &syn::Path, slot: &mut Option<Opt<T>>, opt: Option<Opt<T>>) {
    let Some(opt) = opt else { return };
    if slot.is_some() {
        cx.error_spanned_by(
            path,
            format_args!(
                "duplicate download option `{}`",
                path.get_ident()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ),
        );
    } else {
        *slot = Some(opt);
    }
}

fn lit_str(cx: &Ctxt, key: &str, lit: Option<Lit>, expr: &syn::Expr) -> Option<Opt<String>> {
    match lit {
        Some(Lit::Str(s)) if s.suffix().is_empty() => Some(Opt {
            value: s.value(),
            lit: Lit::Str(s),
        }),
        _ => {
            cx.syn_error(syn::Error::new(
                expr.span(),
                format_args!("expected a string literal: `{key} = {}`", example(key)),
            ));
            None
        }
    }
}

fn lit_bool(cx: &Ctxt, key: &str, lit: Option<Lit>, expr: &syn::Expr) -> Option<Opt<bool>> {
    match lit {
        Some(Lit::Bool(b)) => Some(Opt {
            value: b.value,
            lit: Lit::Bool(b),
        }),
        _ => {
            cx.syn_error(syn::Error::new(
                expr.span(),
                format_args!("expected `{key} = true` or `{key} = false`"),
            ));
            None
        }
    }
}

/// What a whole-number option counts, for its literal's checks and errors.
struct Whole {
    /// What the number counts, as in "a whole number of seconds".
    of: &'static str,
    /// Its unit after a number, as in "60 seconds".
    unit: &'static str,
    /// The one suffix accepted besides none.
    suffix: &'static str,
    max: u64,
    /// What `0` means.
    zero: &'static str,
}

const SECONDS: Whole = Whole {
    of: " of seconds",
    unit: " seconds",
    suffix: "u64",
    max: u64::MAX,
    zero: "never times out",
};

/// At most `u32::MAX`, so that the value fits the target's `usize`.
const RANGES: Whole = Whole {
    of: "",
    unit: "",
    suffix: "usize",
    max: u32::MAX as u64,
    zero: "turns Range support off",
};

const BYTES_PER_SECOND: Whole = Whole {
    of: " of bytes a second",
    unit: " bytes a second",
    suffix: "u64",
    max: u64::MAX,
    zero: "means no limit",
};

const BYTES: Whole = Whole {
    of: " of bytes",
    unit: " bytes",
    suffix: "u64",
    max: u64::MAX,
    zero: "limits from the first byte",
};

/// A whole number: an integer literal without a suffix, or with the one
/// `whole` allows, that is at most its maximum.
fn lit_whole(
    cx: &Ctxt,
    key: &str,
    lit: Option<Lit>,
    expr: &syn::Expr,
    whole: &Whole,
) -> Option<Opt<u64>> {
    let Whole {
        of,
        unit,
        suffix,
        max,
        zero,
    } = whole;
    let Some(Lit::Int(int)) = lit else {
        cx.syn_error(syn::Error::new(
            expr.span(),
            format_args!(
                "expected `{key}` to be a whole number{of}: `{key} = {}`",
                example(key)
            ),
        ));
        return None;
    };
    if !(int.suffix().is_empty() || int.suffix() == *suffix) {
        let noun = if of.is_empty() { " whole" } else { "" };
        cx.error_spanned_by(
            &int,
            format_args!(
                "`{key}` is a{noun} number{of}, written without a suffix (or with `{suffix}`): `{key} = {}`",
                int.base10_digits()
            ),
        );
        return None;
    }
    match int.base10_parse::<u64>().ok().filter(|n| n <= max) {
        Some(value) => Some(Opt {
            value,
            lit: Lit::Int(int),
        }),
        None => {
            cx.error_spanned_by(
                &int,
                format_args!("`{key}` is too large: at most {max}{unit} (`{key} = 0` {zero})"),
            );
            None
        }
    }
}
