//! Signed, expiring download links (feature `signed`): django-downloadview's
//! `signature_required`, with an expiry that is always checked, a signature
//! over the whole query, a constant-time comparison and key rotation.
//!
//! A link is the path and query it leads to, plus two parameters appended
//! last: [`EXPIRES_PARAM`] (the expiry, Unix seconds) and [`SIGNATURE_PARAM`]
//! (HMAC-SHA-256, URL-safe base64 without padding, 43 characters) over
//!
//! ```text
//! downloadview signed link v1 LF GET LF <path> LF <query before the signature>
//! ```
//!
//! where `<path>` and the query are the request target's bytes exactly as
//! sent (percent-encoding included), and `GET` stands for GET and HEAD: a
//! link signed for `/report?id=7` is refused for `/report?id=8`, for
//! `/report?id=7&id=8`, for its parameters in another order, and for
//! `/Report?id=7`. Nothing else of the request (headers, `Range`,
//! `If-Range`) is signed, so a download resumed before the link expires is
//! answered as any other.

use std::{
    fmt,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use actix_web::{
    dev::Payload, http::Method, FromRequest, HttpRequest, HttpResponse, ResponseError,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The query parameter that holds a link's expiry, in seconds since 1970.
pub const EXPIRES_PARAM: &str = "X-Expires";
/// The query parameter that holds a link's signature; always the last one.
pub const SIGNATURE_PARAM: &str = "X-Signature";
/// How long after its expiry a link is still accepted, for clocks that
/// disagree a little between the server that signs and the one that checks.
pub const CLOCK_SKEW: Duration = Duration::from_secs(30);
/// The longest a link may be valid: an expiry further ahead is refused when
/// signing and when checking (a link that never expires is a password that
/// cannot be changed).
pub const MAX_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);
/// The shortest key [`SigningKeys`] accepts, in bytes: HMAC-SHA-256's
/// output size, as RFC 2104 advises.
pub const MIN_KEY_LEN: usize = 32;

/// The domain of the signed message: a signature made for something else
/// with the same key never passes as a link's.
const CONTEXT: &str = "downloadview signed link v1";
/// A signature: 32 bytes, 43 characters of URL-safe base64.
const SIGNATURE_LEN: usize = 43;

type HmacSha256 = Hmac<Sha256>;

/// The keys that sign and check links: the first signs, every one checks, so
/// that a key can be rotated (add the new one first, and drop the old one
/// once the links it signed have expired).
///
/// Put it in the app's data; views with the `signed` option and the
/// [`SignedLink`] extractor find it there (as `SigningKeys` or
/// `web::Data<SigningKeys>`):
///
/// ```
/// use actix_web::App;
/// use downloadview::SigningKeys;
///
/// // In a real app, secrets from the environment or a vault, never the code.
/// let keys = SigningKeys::new(["a key of at least thirty-two bytes!"])?;
/// let app = App::new().app_data(keys);
/// # let _ = app;
/// assert!(SigningKeys::new(Vec::<&str>::new()).is_err()); // refused at start-up
/// # Ok::<(), downloadview::KeyError>(())
/// ```
#[derive(Clone)]
pub struct SigningKeys {
    keys: Vec<HmacSha256>,
}

impl fmt::Debug for SigningKeys {
    /// Never the keys themselves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKeys({} keys)", self.keys.len())
    }
}

/// Why [`SigningKeys::new`] refused its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// No key at all: nothing could sign or check a link.
    Empty,
    /// Key `index` is shorter than [`MIN_KEY_LEN`] bytes.
    TooShort {
        /// Its position in the list, from 0.
        index: usize,
        /// Its length in bytes.
        len: usize,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Empty => f.write_str("no signing key: give at least one"),
            KeyError::TooShort { index, len } => write!(
                f,
                "signing key {index} is {len} bytes long; at least {MIN_KEY_LEN} random bytes are needed"
            ),
        }
    }
}

impl std::error::Error for KeyError {}

/// Why a link could not be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The target does not start with `/`, or holds a `#`, a space, a
    /// control character or a non-ASCII character: it must be the request
    /// target exactly as a client will send it (percent-encode first).
    NotATarget,
    /// The target already has an `X-Expires` or `X-Signature` parameter.
    ReservedParameter,
    /// The expiry is not in the future, or further than [`MAX_LIFETIME`].
    Expiry,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignError::NotATarget => {
                "not a request target: give the path and query as a client sends them, \
                 starting with '/', percent-encoded, without '#'"
            }
            SignError::ReservedParameter => {
                "the target already has an X-Expires or X-Signature parameter"
            }
            SignError::Expiry => "the expiry must be in the future, and at most 366 days ahead",
        })
    }
}

impl std::error::Error for SignError {}

/// Why a link is refused: answered with 403 and a short plain body, the
/// reason only logged (at debug level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkError {
    /// No signature, or no expiry.
    Missing,
    /// The signature or the expiry is not well-formed, is given twice, or
    /// the signature is not the last parameter.
    Malformed,
    /// The signature does not match the link (tampered, or signed by a key
    /// that is not in the list).
    Invalid,
    /// The link has expired.
    Expired,
    /// The expiry is further ahead than [`MAX_LIFETIME`].
    TooFarAhead,
    /// Not a GET or HEAD request.
    Method,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkError::Missing => "the link has no signature or no expiry",
            LinkError::Malformed => "the link's signature or expiry is malformed",
            LinkError::Invalid => "the link's signature does not match",
            LinkError::Expired => "the link has expired",
            LinkError::TooFarAhead => "the link's expiry is too far ahead",
            LinkError::Method => "signed links are for GET and HEAD",
        })
    }
}

impl std::error::Error for LinkError {}

impl ResponseError for LinkError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::FORBIDDEN
    }

    /// The same short body whatever the reason: a client learns nothing
    /// about the keys or the format from it.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body("403 Forbidden: this download link is invalid or has expired.\n")
    }
}

impl SigningKeys {
    /// The keys, the first of which signs. Each must be at least
    /// [`MIN_KEY_LEN`] random bytes (for instance 32 bytes from the
    /// operating system's generator, kept as a secret of the deployment).
    ///
    /// # Errors
    /// No key, or a key shorter than [`MIN_KEY_LEN`].
    pub fn new<I, K>(keys: I) -> Result<SigningKeys, KeyError>
    where
        I: IntoIterator<Item = K>,
        K: AsRef<[u8]>,
    {
        let keys = keys
            .into_iter()
            .enumerate()
            .map(|(index, key)| {
                let key = key.as_ref();
                if key.len() < MIN_KEY_LEN {
                    return Err(KeyError::TooShort {
                        index,
                        len: key.len(),
                    });
                }
                // HMAC takes keys of any length: this cannot fail.
                HmacSha256::new_from_slice(key).map_err(|_| KeyError::Empty)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(SigningKeys { keys })
    }

    /// A link to `target` (a path and query, as a client will send them)
    /// valid for `valid_for` from now.
    ///
    /// ```
    /// use std::time::Duration;
    /// use downloadview::SigningKeys;
    ///
    /// let keys = SigningKeys::new(["a key of at least thirty-two bytes!"])?;
    /// let link = keys.sign("/reports/7?format=csv", Duration::from_secs(3600))?;
    /// assert!(link.starts_with("/reports/7?format=csv&X-Expires="));
    /// assert!(link.contains("&X-Signature="));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// See [`sign_until`](Self::sign_until).
    pub fn sign(&self, target: &str, valid_for: Duration) -> Result<String, SignError> {
        let expires = SystemTime::now()
            .checked_add(valid_for)
            .ok_or(SignError::Expiry)?;
        self.sign_until(target, expires)
    }

    /// A link to `target` valid until `expires` (to the second, rounded
    /// down).
    ///
    /// # Errors
    /// A `target` that is not a request target as a client sends it (see
    /// [`SignError::NotATarget`]), one that already has the link's
    /// parameters, or an expiry that is past or more than [`MAX_LIFETIME`]
    /// ahead.
    pub fn sign_until(&self, target: &str, expires: SystemTime) -> Result<String, SignError> {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let is_target_byte = |b: u8| b.is_ascii_graphic() && b != b'#';
        if !path.starts_with('/') || !target.bytes().all(is_target_byte) {
            return Err(SignError::NotATarget);
        }
        if pairs(query).any(|(key, _)| key == EXPIRES_PARAM || key == SIGNATURE_PARAM) {
            return Err(SignError::ReservedParameter);
        }
        let now = SystemTime::now();
        if expires <= now || expires.duration_since(now).unwrap_or_default() > MAX_LIFETIME {
            return Err(SignError::Expiry);
        }
        let secs = expires
            .duration_since(UNIX_EPOCH)
            .map_err(|_| SignError::Expiry)?
            .as_secs();
        let separator = match target.split_once('?') {
            None => "?",
            Some((_, "")) => "",
            Some(_) => "&",
        };
        let mut link = format!("{target}{separator}{EXPIRES_PARAM}={secs}");
        let signed_query = &link[path.len() + 1..];
        let signature = self.keys[0]
            .clone()
            .chain_update(message(path, signed_query));
        link.push_str(&format!(
            "&{SIGNATURE_PARAM}={}",
            base64url(&signature.finalize().into_bytes())
        ));
        Ok(link)
    }

    /// Checks the link `req` was made with: its method, signature and
    /// expiry.
    ///
    /// # Errors
    /// Why the link is refused; as an actix error it answers 403.
    pub fn verify(&self, req: &HttpRequest) -> Result<(), LinkError> {
        self.verify_at(
            req.method(),
            req.uri().path(),
            req.uri().query().unwrap_or(""),
            SystemTime::now(),
        )
    }

    /// [`verify`](Self::verify) on the parts of a request, at `now`.
    fn verify_at(
        &self,
        method: &Method,
        path: &str,
        query: &str,
        now: SystemTime,
    ) -> Result<(), LinkError> {
        if method != Method::GET && method != Method::HEAD {
            return Err(LinkError::Method);
        }
        // The signature is the last parameter, once.
        let marker = format!("{SIGNATURE_PARAM}=");
        let (signed_query, signature) = match query.rsplit_once('&') {
            Some((before, last)) => (before, last),
            None => ("", query),
        };
        let Some(signature) = signature.strip_prefix(marker.as_str()) else {
            return Err(if query.contains(marker.as_str()) {
                LinkError::Malformed
            } else {
                LinkError::Missing
            });
        };
        if pairs(signed_query).any(|(key, _)| key == SIGNATURE_PARAM) {
            return Err(LinkError::Malformed);
        }
        let mut expiries = pairs(signed_query).filter(|(key, _)| *key == EXPIRES_PARAM);
        let (Some((_, expires)), None) = (expiries.next(), expiries.next()) else {
            return Err(
                if pairs(signed_query).any(|(key, _)| key == EXPIRES_PARAM) {
                    LinkError::Malformed
                } else {
                    LinkError::Missing
                },
            );
        };
        let signature = unbase64url(signature).ok_or(LinkError::Malformed)?;
        let expires = whole_seconds(expires).ok_or(LinkError::Malformed)?;
        let message = message(path, signed_query);
        let matches = self.keys.iter().any(|key| {
            // `verify_slice` compares in constant time.
            key.clone()
                .chain_update(&message)
                .verify_slice(&signature)
                .is_ok()
        });
        if !matches {
            return Err(LinkError::Invalid);
        }
        let expires = UNIX_EPOCH
            .checked_add(Duration::from_secs(expires))
            .ok_or(LinkError::Malformed)?;
        if now > expires + CLOCK_SKEW {
            return Err(LinkError::Expired);
        }
        if expires.duration_since(now).unwrap_or_default() > MAX_LIFETIME + CLOCK_SKEW {
            return Err(LinkError::TooFarAhead);
        }
        Ok(())
    }
}

/// What a link's signature covers.
fn message(path: &str, signed_query: &str) -> Vec<u8> {
    format!("{CONTEXT}\nGET\n{path}\n{signed_query}").into_bytes()
}

/// The `key=value` pairs of a query, as sent (no decoding).
fn pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// A decimal number of seconds: digits only, at most 12 (year 33658).
fn whole_seconds(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// URL-safe base64 without padding (RFC 4648 §5).
fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// The 32 bytes of a signature in URL-safe base64 without padding: exactly
/// 43 characters of the alphabet, in the one canonical form (the unused low
/// bits of the last character zero), so no two strings pass for one
/// signature.
fn unbase64url(text: &str) -> Option<[u8; 32]> {
    if text.len() != SIGNATURE_LEN {
        return None;
    }
    let mut bits = 0u32;
    let mut held = 0;
    let mut out = [0u8; 32];
    let mut at = 0;
    for &c in text.as_bytes() {
        let value = ALPHABET.iter().position(|&a| a == c)? as u32;
        bits = bits << 6 | value;
        held += 6;
        if held >= 8 {
            held -= 8;
            *out.get_mut(at)? = (bits >> held) as u8;
            at += 1;
            bits &= (1 << held) - 1;
        }
    }
    (at == 32 && bits == 0).then_some(out)
}

/// The app's [`SigningKeys`], as `SigningKeys` or `web::Data<SigningKeys>`.
fn keys_of(req: &HttpRequest) -> Option<&SigningKeys> {
    req.app_data::<SigningKeys>().or_else(|| {
        req.app_data::<actix_web::web::Data<SigningKeys>>()
            .map(|data| data.get_ref())
    })
}

/// Checks the link of a request to a view with the `signed` option, before
/// its `get_file` runs: a refused link is a 403, no keys in the app's data a
/// logged 500.
pub(crate) fn require(req: &HttpRequest) -> Result<(), crate::DownloadError> {
    let Some(keys) = keys_of(req) else {
        return Err(crate::DownloadError::other(
            "the view asks for signed links, but the app has no SigningKeys in its data \
             (App::app_data(SigningKeys::new(..)?))",
        ));
    };
    keys.verify(req).map_err(|why| refused(req, why))
}

/// The 403 of a refused link; why, at debug level only.
fn refused(req: &HttpRequest, why: LinkError) -> crate::DownloadError {
    log::debug!(
        "downloadview: {} {}: signed link refused: {why}",
        req.method(),
        req.path()
    );
    crate::DownloadError::Http(why.into())
}

/// An extractor that lets a handler run only for a valid signed link: the
/// request is answered 403 otherwise, before the handler runs. For views
/// built by handlers; a derived view can say `#[download(signed = true)]`
/// instead.
///
/// ```
/// use actix_web::{web, App};
/// use downloadview::{get_or_head, SignedLink, SigningKeys, VirtualDownloadView, VirtualFile};
///
/// #[derive(VirtualDownloadView)]
/// struct Invoice {
///     id: u32,
/// }
/// # impl downloadview::GetFile for Invoice {
/// #     fn get_file(&self, _: &actix_web::HttpRequest) -> Result<VirtualFile, downloadview::DownloadError> {
/// #         Ok(VirtualFile::from(format!("invoice {}\n", self.id)))
/// #     }
/// # }
///
/// let keys = SigningKeys::new(["a key of at least thirty-two bytes!"])?;
/// let app = App::new().app_data(keys).route(
///     "/invoices/{id}",
///     get_or_head().to(|_: SignedLink, id: web::Path<u32>| async move { Invoice { id: *id } }),
/// );
/// # let _ = app;
/// # Ok::<(), downloadview::KeyError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SignedLink;

impl FromRequest for SignedLink {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<SignedLink, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(match require(req) {
            Ok(()) => Ok(SignedLink),
            Err(crate::DownloadError::Http(err)) => Err(err),
            Err(err) => {
                log::error!("downloadview: {} {}: {err}", req.method(), req.path());
                Err(actix_web::error::ErrorInternalServerError(
                    "Internal Server Error",
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn keys() -> SigningKeys {
        SigningKeys::new([b"0123456789abcdef0123456789abcdef".as_slice()]).unwrap()
    }

    /// `link` split as a request would carry it, checked at `now`.
    fn check(keys: &SigningKeys, link: &str, now: SystemTime) -> Result<(), LinkError> {
        let (path, query) = link.split_once('?').unwrap_or((link, ""));
        keys.verify_at(&Method::GET, path, query, now)
    }

    #[test]
    fn base64url_round_trips_and_is_canonical() {
        let bytes: Vec<u8> = (0u8..32).map(|i| i.wrapping_mul(37)).collect();
        let text = base64url(&bytes);
        assert_eq!(text.len(), 43);
        assert_eq!(unbase64url(&text).unwrap().to_vec(), bytes);
        // RFC 4648 test vectors, in the URL-safe alphabet.
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        // The last character holds 2 unused bits: only one form passes.
        let last = text.as_bytes()[42];
        let pos = ALPHABET.iter().position(|&a| a == last).unwrap();
        let other = char::from(ALPHABET[pos ^ 1]);
        let twin = format!("{}{other}", &text[..42]);
        assert_eq!(unbase64url(&twin), None);
        assert_eq!(unbase64url(&format!("{text}=")), None);
        assert_eq!(unbase64url(&text[..42]), None);
        // '+' and '/' are the other alphabet's.
        assert_eq!(unbase64url(&format!("+{}", &text[1..])), None);
        assert_eq!(unbase64url(&format!("/{}", &text[1..])), None);
    }

    #[test]
    fn a_signed_link_passes_until_it_expires() {
        let keys = keys();
        let link = keys
            .sign("/r/7?format=csv", Duration::from_secs(60))
            .unwrap();
        let now = SystemTime::now();
        assert_eq!(check(&keys, &link, now), Ok(()));
        let (path, query) = link.split_once('?').unwrap();
        assert_eq!(keys.verify_at(&Method::HEAD, path, query, now), Ok(()));
        assert_eq!(
            keys.verify_at(&Method::POST, path, query, now),
            Err(LinkError::Method)
        );
        let later = now + Duration::from_secs(61) + CLOCK_SKEW;
        assert_eq!(check(&keys, &link, later), Err(LinkError::Expired));
        // Within the clock skew: still accepted.
        assert_eq!(
            check(
                &keys,
                &link,
                now + Duration::from_secs(60) + CLOCK_SKEW - Duration::from_secs(2)
            ),
            Ok(())
        );
    }

    #[test]
    fn links_without_a_query_and_with_an_empty_one() {
        let keys = keys();
        for target in ["/a", "/a?"] {
            let link = keys.sign(target, Duration::from_secs(60)).unwrap();
            assert!(link.starts_with("/a?X-Expires="), "{link}");
            assert_eq!(check(&keys, &link, SystemTime::now()), Ok(()));
        }
    }

    #[test]
    fn what_cannot_be_signed() {
        let keys = keys();
        let hour = Duration::from_secs(3600);
        for target in ["a/b", "/a b", "/café", "/a#frag", "/a\n"] {
            assert_eq!(
                keys.sign(target, hour),
                Err(SignError::NotATarget),
                "{target:?}"
            );
        }
        assert_eq!(
            keys.sign("/a?X-Expires=1", hour),
            Err(SignError::ReservedParameter)
        );
        assert_eq!(
            keys.sign("/a?x=1&X-Signature=z", hour),
            Err(SignError::ReservedParameter)
        );
        assert_eq!(
            keys.sign_until("/a", SystemTime::now() - hour),
            Err(SignError::Expiry)
        );
        assert_eq!(keys.sign("/a", MAX_LIFETIME + hour), Err(SignError::Expiry));
    }

    #[test]
    fn rotation_signs_with_the_first_key_and_accepts_every_one() {
        let old = SigningKeys::new([[1u8; 32]]).unwrap();
        let new = SigningKeys::new([[2u8; 32]]).unwrap();
        let both = SigningKeys::new([[2u8; 32], [1u8; 32]]).unwrap();
        let now = SystemTime::now();
        let by_old = old.sign("/f", Duration::from_secs(60)).unwrap();
        let by_new = new.sign("/f", Duration::from_secs(60)).unwrap();
        assert_eq!(check(&both, &by_old, now), Ok(()));
        assert_eq!(check(&both, &by_new, now), Ok(()));
        assert_eq!(check(&new, &by_old, now), Err(LinkError::Invalid));
        let by_both = both.sign("/f", Duration::from_secs(60)).unwrap();
        assert_eq!(check(&new, &by_both, now), Ok(()), "the first key signs");
    }

    #[test]
    fn keys_too_few_or_too_short_are_refused() {
        assert_eq!(
            SigningKeys::new(Vec::<Vec<u8>>::new()).unwrap_err(),
            KeyError::Empty
        );
        assert_eq!(
            SigningKeys::new([vec![0u8; 32], vec![0u8; 31]]).unwrap_err(),
            KeyError::TooShort { index: 1, len: 31 }
        );
        assert_eq!(format!("{:?}", keys()), "SigningKeys(1 keys)");
    }

    #[test]
    fn an_expiry_too_far_ahead_is_refused_even_when_signed() {
        // Signed by hand, as a signer without the limit would.
        let keys = keys();
        let far = SystemTime::now() + MAX_LIFETIME + Duration::from_secs(3600);
        let secs = far.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let query = format!("{EXPIRES_PARAM}={secs}");
        let mac = keys.keys[0]
            .clone()
            .chain_update(message("/f", &query))
            .finalize();
        let link = format!(
            "/f?{query}&{SIGNATURE_PARAM}={}",
            base64url(&mac.into_bytes())
        );
        assert_eq!(
            check(&keys, &link, SystemTime::now()),
            Err(LinkError::TooFarAhead)
        );
    }

    #[test]
    fn tampered_links_are_refused_each_for_its_reason() {
        let keys = keys();
        let now = SystemTime::now();
        let link = keys
            .sign("/r/7?id=7&format=csv", Duration::from_secs(60))
            .unwrap();
        let (head, signature) = link.rsplit_once("&X-Signature=").unwrap();
        let expires = head.rsplit_once("X-Expires=").unwrap().1;
        let cases = [
            (link.replace("/r/7", "/r/8"), LinkError::Invalid),
            (link.replace("/r/7", "/R/7"), LinkError::Invalid),
            (link.replace("id=7", "id=8"), LinkError::Invalid),
            (
                link.replace("id=7&format=csv", "format=csv&id=7"),
                LinkError::Invalid,
            ),
            (link.replace("id=7", "id=7&id=7"), LinkError::Invalid),
            (link.replace("?id=7&", "?"), LinkError::Invalid),
            (
                format!("{head}&X-Signature={}", &signature[..42]),
                LinkError::Malformed,
            ),
            (
                format!("{head}&X-Signature={signature}="),
                LinkError::Malformed,
            ),
            (
                format!("{head}&X-Signature={signature}A"),
                LinkError::Malformed,
            ),
            (
                format!("{head}&X-Signature={signature}&x=1"),
                LinkError::Malformed,
            ),
            (
                format!("{head}&X-Signature={signature}&X-Signature={signature}"),
                LinkError::Malformed,
            ),
            (head.to_owned(), LinkError::Missing),
            (
                link.replace(
                    &format!("X-Expires={expires}"),
                    &format!("X-Expires={}", expires.parse::<u64>().unwrap() + 1),
                ),
                LinkError::Invalid,
            ),
            (
                link.replace(&format!("X-Expires={expires}&"), ""),
                LinkError::Missing,
            ),
            (
                link.replace(
                    &format!("X-Expires={expires}"),
                    &format!("X-Expires=+{expires}"),
                ),
                LinkError::Malformed,
            ),
            (
                link.replace(
                    &format!("X-Expires={expires}"),
                    &format!("X-Expires={expires}&X-Expires={expires}"),
                ),
                LinkError::Malformed,
            ),
        ];
        for (tampered, why) in cases {
            assert_eq!(check(&keys, &tampered, now), Err(why), "{tampered}");
        }
        assert_eq!(check(&keys, &link, now), Ok(()));
    }

    proptest! {
        /// Any change of one byte of a signed link makes it fail.
        #[test]
        fn any_single_byte_change_fails(
            target in "/[a-z0-9/%._-]{0,20}(\\?[a-z0-9=&%]{0,20})?",
            at in any::<prop::sample::Index>(),
            byte in 0x21u8..0x7f,
        ) {
            let keys = keys();
            let link = keys.sign(&target, Duration::from_secs(600)).unwrap();
            let mut bytes = link.clone().into_bytes();
            let i = at.index(bytes.len());
            prop_assume!(bytes[i] != byte);
            bytes[i] = byte;
            let tampered = String::from_utf8(bytes).unwrap();
            // Splitting the tampered link as a server would: at the first '?'.
            let (path, query) = tampered.split_once('?').unwrap_or((&tampered, ""));
            prop_assert!(
                keys.verify_at(&Method::GET, path, query, SystemTime::now()).is_err(),
                "{} passed", tampered
            );
        }
    }
}
