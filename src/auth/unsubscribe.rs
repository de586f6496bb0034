//! Unsubscribe links that work without signing in (RFC 8058 one-click): each token is an HMAC
//! under a server key of one learner and one [`Topic`], so it cannot be forged or turned to
//! another learner or topic. Tokens never expire: an old mail's link must still stop the mail.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::auth::keys::SecretKey;
use crate::domain::ids::UserId;
use crate::domain::notifications::Topic;

/// Bytes of the MAC kept in a token: 128 bits, plenty against guessing, short in a URL.
const MAC_BYTES: usize = 16;

/// Where unsubscribe links point: `{UNSUBSCRIBE_PATH}/{token}`.
pub const UNSUBSCRIBE_PATH: &str = "/unsubscribe";

/// Signs and checks unsubscribe tokens (`{user}.{topic}.{mac}`, URL-safe).
#[derive(Clone)]
pub struct UnsubscribeKey([u8; 32]);

impl std::fmt::Debug for UnsubscribeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnsubscribeKey(..)")
    }
}

impl UnsubscribeKey {
    /// The unsubscribe key for this server, derived from its secret.
    pub fn new(secret: &SecretKey) -> Self {
        Self(secret.derive("unsubscribe-v1"))
    }

    /// The token for `user` and `topic`; the same inputs always give the same token.
    pub fn token(&self, user: UserId, topic: Topic) -> String {
        let claim = format!("{user}.{}", topic.code());
        let mac = URL_SAFE_NO_PAD.encode(self.mac(&claim));
        format!("{claim}.{mac}")
    }

    /// The unsubscribe page for `user` and `topic` under `base_url`: the `List-Unsubscribe`
    /// URL (POST unsubscribes at once) and the footer link (GET asks to confirm).
    pub fn link(&self, base_url: &str, user: UserId, topic: Topic) -> String {
        format!("{}{UNSUBSCRIBE_PATH}/{}", base_url.trim_end_matches('/'), self.token(user, topic))
    }

    /// Whose and which topic a token is for, or `None` for anything not signed by this key.
    pub fn verify(&self, token: &str) -> Option<(UserId, Topic)> {
        let (claim, mac) = token.rsplit_once('.')?;
        let given = URL_SAFE_NO_PAD.decode(mac).ok()?;
        let (user, code) = claim.split_once('.')?;
        if user.is_empty() || !user.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Constant-time comparison of the kept prefix; the length check stops a 1-byte guess.
        if given.len() != MAC_BYTES || self.hmac(claim).verify_truncated_left(&given).is_err() {
            return None;
        }
        let user = user.parse::<i64>().ok()?.into();
        Topic::from_code(code).map(|topic| (user, topic))
    }

    fn hmac(&self, claim: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(claim.as_bytes());
        mac
    }

    fn mac(&self, claim: &str) -> [u8; MAC_BYTES] {
        let full = self.hmac(claim).finalize().into_bytes();
        let mut short = [0u8; MAC_BYTES];
        short.copy_from_slice(&full[..MAC_BYTES]);
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_learner_and_topic_and_nothing_else_verifies() {
        let key = UnsubscribeKey::new(&SecretKey::generate());
        let token = key.token(7.into(), Topic::Reminders(42.into()));
        assert_eq!(key.verify(&token), Some((7.into(), Topic::Reminders(42.into()))));
        assert_eq!(key.token(7.into(), Topic::Digest), key.token(7.into(), Topic::Digest));

        let (claim, mac) = token.rsplit_once('.').unwrap();
        let other_user = format!("8{}", &claim[1..]);
        assert_eq!(key.verify(&format!("{other_user}.{mac}")), None);
        assert_eq!(key.verify(&format!("7.d.{mac}")), None);
        assert_eq!(key.verify(&token[..token.len() - 1]), None);
        assert_eq!(key.verify(""), None);
        assert_eq!(key.verify("..."), None);
        assert_eq!(UnsubscribeKey::new(&SecretKey::generate()).verify(&token), None);
    }

    #[test]
    fn tokens_are_url_safe_and_name_no_course() {
        let key = UnsubscribeKey::new(&SecretKey::generate());
        let token = key.token(123.into(), Topic::PartnerUpdates);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        assert!(token.starts_with("123.p."));
        let link = key.link("https://mend.test/", 123.into(), Topic::PartnerUpdates);
        assert_eq!(link, format!("https://mend.test/unsubscribe/{token}"));
    }
}
