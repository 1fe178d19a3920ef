//! The rules on option values, each reported at the offending literal.

use std::str::FromStr;

use crate::{
    attr::{Attrs, Opt},
    ctxt::Ctxt,
};

impl Attrs {
    pub(crate) fn validate(&self, cx: &Ctxt) {
        let Attrs {
            basename,
            attachment: _,
            mimetype,
            encoding,
            charset,
            cache_control,
            buffering: _,
            send_timeout: _,
            max_ranges: _,
            signed: _,
            limit_rate,
            limit_rate_after: _,
        } = self;
        if let Some(opt) = limit_rate
            .as_ref()
            .filter(|opt| (1..1024).contains(&opt.value))
        {
            cx.error_spanned_by(
                &opt.lit,
                format_args!(
                    "`limit_rate` is {} bytes a second, under the lowest rate of 1024 (1 KiB/s); \
                     `limit_rate = 0` means no limit",
                    opt.value
                ),
            );
        }
        if let Some(opt) = basename {
            check_basename(cx, opt);
        }
        if let Some(opt) = mimetype {
            if mime::Mime::from_str(&opt.value).is_err() || !opt.value.is_ascii() {
                cx.error_spanned_by(
                    &opt.lit,
                    format_args!(
                        "`{}` is not a valid MIME type; expected `type/subtype`, e.g. `text/csv`",
                        opt.value
                    ),
                );
            }
        }
        for (key, opt) in [("encoding", encoding), ("charset", charset)] {
            if let Some(opt) = opt {
                if !is_token(&opt.value) {
                    cx.error_spanned_by(
                        &opt.lit,
                        format_args!(
                            "{key} must be an HTTP token (letters, digits and !#$%&'*+-.^_`|~), e.g. `{}`",
                            if key == "charset" { "utf-8" } else { "gzip" }
                        ),
                    );
                }
            }
        }
        if let Some(opt) = cache_control {
            if opt.value.is_empty()
                || !opt
                    .value
                    .bytes()
                    .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
            {
                cx.error_spanned_by(
                    &opt.lit,
                    "cache_control must be a non-empty header value: printable ASCII, no control characters",
                );
            }
        }
    }
}

fn check_basename(cx: &Ctxt, opt: &Opt<String>) {
    let name = &opt.value;
    let problem = if name.is_empty() {
        Some("basename must not be empty; leave it out to use the file's own name")
    } else if name.contains('/') {
        Some("basename must not contain `/`: it is a file name, not a path")
    } else if name.contains('\\') {
        Some("basename must not contain `\\`: it is a file name, not a path")
    } else if name.chars().any(char::is_control) {
        Some("basename must not contain control characters")
    } else {
        None
    };
    if let Some(message) = problem {
        cx.error_spanned_by(&opt.lit, message);
    }
}

/// An HTTP token (RFC 9110 §5.6.2).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}
