//! CSRF defence in two layers: every state-changing request must come from our own origin
//! (`Sec-Fetch-Site`, else `Origin`), and every form carries a token bound to the session (or,
//! before sign-in, to a random pre-session cookie: a signed double submit).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::auth::keys::SecretKey;

/// Makes and checks CSRF tokens with a key derived from the server secret.
#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

impl CsrfKey {
    /// The CSRF key for this server.
    pub fn new(secret: &SecretKey) -> Self {
        Self(secret.derive("csrf"))
    }

    fn mac(&self, binding: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(binding.as_bytes());
        mac
    }

    /// The token forms bound to `binding` (a session id or pre-session nonce) must carry.
    pub fn token(&self, binding: &str) -> String {
        hex::encode(self.mac(binding).finalize().into_bytes())
    }

    /// Whether `token` was made for `binding`, compared in constant time.
    pub fn verify(&self, binding: &str, token: &str) -> bool {
        hex::decode(token).is_ok_and(|bytes| self.mac(binding).verify_slice(&bytes).is_ok())
    }
}

/// Whether a state-changing request came from another site. `Sec-Fetch-Site` is trusted when
/// the browser sends it; otherwise `Origin` must match ours. Neither header (curl, API clients)
/// passes: the form token still protects forms.
pub fn is_cross_site(sec_fetch_site: Option<&str>, origin: Option<&str>, ours: &str) -> bool {
    match (sec_fetch_site, origin) {
        (Some(site), _) => !matches!(site, "same-origin" | "none"),
        (None, Some(origin)) => origin.trim_end_matches('/') != ours.trim_end_matches('/'),
        (None, None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_their_binding() {
        let key = CsrfKey::new(&SecretKey::generate());
        let token = key.token("s:abc");
        assert!(key.verify("s:abc", &token));
        assert!(!key.verify("s:abd", &token));
        assert!(!key.verify("s:abc", "zz"));
        assert!(!CsrfKey::new(&SecretKey::generate()).verify("s:abc", &token));
    }

    #[test]
    fn only_our_origin_may_post() {
        let ours = "https://mend.test";
        assert!(!is_cross_site(Some("same-origin"), None, ours));
        assert!(!is_cross_site(Some("none"), None, ours));
        assert!(is_cross_site(Some("cross-site"), Some(ours), ours));
        assert!(is_cross_site(Some("same-site"), None, ours));
        assert!(!is_cross_site(None, Some("https://mend.test"), ours));
        assert!(is_cross_site(None, Some("https://evil.test"), ours));
        assert!(is_cross_site(None, Some("null"), ours));
        assert!(!is_cross_site(None, None, ours));
    }
}
