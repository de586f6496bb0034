//! Who is asking: password hashing, signed session tokens, CSRF tokens, one-time email tokens
//! and rate limits, and the keyring that seals what learners write. Nothing here knows about
//! HTTP; `web::session` wires it into requests.

pub mod client_addr;
pub mod csrf;
pub mod jwt;
pub mod keyring;
pub mod keys;
pub mod password;
pub mod rate_limit;
pub mod tokens;
pub mod unsubscribe;
