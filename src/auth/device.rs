//! Device cookies (OWASP's answer to account lockout): after a successful sign-in
//! the browser gets a cookie naming the account and a random nonce, sealed with the
//! data keys (AEAD, so it cannot be forged or moved to another account). Attempts
//! from a browser holding one count against that browser's own throttle bucket,
//! so failures from anywhere else never delay the owner's known browsers.

use actix_web::cookie::{Cookie, SameSite, time};

use crate::crypto::KeyRing;

/// The additional data binding a device cookie's envelope to its purpose.
const AAD: &str = "lauf/v1|device";

/// How long a browser stays known without signing in again.
pub const LIFETIME_DAYS: i64 = 365;

pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-lauf_device"
    } else {
        "lauf_device"
    }
}

/// A new device cookie for `email_lower`, with a fresh nonce.
pub fn issue(keys: &KeyRing, email_lower: &str, secure: bool) -> Option<Cookie<'static>> {
    let nonce = crate::auth::session::random_token();
    let sealed = keys.encrypt(&format!("{email_lower}\n{nonce}"), AAD).ok()?;
    Some(
        Cookie::build(cookie_name(secure), sealed)
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::days(LIFETIME_DAYS))
            .finish(),
    )
}

/// The nonce of `cookie` when it was issued for `email_lower` (and only then).
pub fn nonce_for(keys: &KeyRing, cookie: Option<&str>, email_lower: &str) -> Option<String> {
    let opened = keys.decrypt(cookie?, AAD).ok()?;
    let (account, nonce) = opened.split_once('\n')?;
    (account == email_lower && !nonce.is_empty()).then(|| nonce.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_speaks_only_for_its_own_account() {
        let keys = KeyRing::generate("k1");
        let cookie = issue(&keys, "ana@example.com", false).unwrap();
        let value = cookie.value();
        let nonce = nonce_for(&keys, Some(value), "ana@example.com").unwrap();
        assert_eq!(nonce.len(), 43);
        assert_eq!(nonce_for(&keys, Some(value), "bob@example.com"), None);
        assert_eq!(nonce_for(&keys, Some("forged"), "ana@example.com"), None);
        assert_eq!(nonce_for(&keys, None, "ana@example.com"), None);
        let other_keys = KeyRing::generate("k1");
        assert_eq!(nonce_for(&other_keys, Some(value), "ana@example.com"), None);
    }
}
