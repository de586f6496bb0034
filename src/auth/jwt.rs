//! Session tokens: HS256-signed JWTs (the algorithm is pinned, never taken from the header)
//! carrying `sub`, `sid`, `iat`, `nbf`, `exp`, `iss`, `aud` and `typ`. A valid signature is not
//! enough: callers also check `sid` against the sessions table, so revocation is immediate.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::auth::keys::SecretKey;

/// The `aud` and `typ` of browser and API sessions; tokens for other purposes (unsubscribe,
/// downloads) use their own and are refused here.
pub const SESSION_AUDIENCE: &str = "mend-session";
/// The `typ` claim of a session token.
pub const SESSION_TYPE: &str = "session";
/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: i64 = 30;

/// The claims of a session token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub typ: String,
}

/// Why a token was refused; all of them mean 401, the detail is for logs.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token rejected: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("token is not a session token")]
    WrongType,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
}

/// Issues and checks session tokens with a key derived from the server secret.
pub struct SessionTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    validation: Validation,
}

impl SessionTokens {
    /// `issuer` is the site's origin, so tokens from another Mend deployment are refused.
    pub fn new(secret: &SecretKey, issuer: &str) -> Self {
        let key = secret.derive("session-jwt");
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[SESSION_AUDIENCE]);
        // Time is checked below against the injected clock, not the library's system time.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            issuer: issuer.to_owned(),
            validation,
        }
    }

    /// A signed token for session `sid` of user `user_id`, valid from `now` until `expires`.
    pub fn issue(
        &self,
        user_id: i64,
        sid: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<String, TokenError> {
        let claims = Claims {
            sub: user_id.to_string(),
            sid: sid.to_owned(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: expires.timestamp(),
            iss: self.issuer.clone(),
            aud: SESSION_AUDIENCE.to_owned(),
            typ: SESSION_TYPE.to_owned(),
        };
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?)
    }

    /// The claims of a well-signed, current session token.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let claims =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?.claims;
        if claims.typ != SESSION_TYPE {
            return Err(TokenError::WrongType);
        }
        let now = now.timestamp();
        if claims.exp + LEEWAY_SECONDS <= now {
            return Err(TokenError::Expired);
        }
        if claims.nbf - LEEWAY_SECONDS > now {
            return Err(TokenError::NotYetValid);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn tokens() -> SessionTokens {
        SessionTokens::new(&SecretKey::from_hex(&"11".repeat(32)).unwrap(), "http://mend.test")
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let token = tokens().issue(7, "sid", now, now + Duration::hours(1)).unwrap();
        assert_eq!(tokens().verify(&token, now).unwrap().sid, "sid");
        assert!(tokens().verify(&token, now + Duration::seconds(3_610)).is_ok(), "leeway");
        assert!(matches!(
            tokens().verify(&token, now + Duration::hours(2)),
            Err(TokenError::Expired)
        ));
        assert!(matches!(
            tokens().verify(&token, now - Duration::minutes(5)),
            Err(TokenError::NotYetValid)
        ));
    }
}
