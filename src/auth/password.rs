//! Passwords: argon2id at OWASP's minimum cost or above, common passwords refused, and hashing
//! on the blocking pool behind a semaphore sized to the cores, so a flood of sign-ins queues
//! instead of exhausting memory (each hash takes 19 MiB).

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::domain::account::{FieldError, NewPassword};

/// Memory cost in KiB, iterations and lanes: OWASP's argon2id floor (19 MiB, t=2, p=1).
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

/// Longest password accepted at sign-in (in bytes): more is refused before hashing.
pub const MAX_CANDIDATE_BYTES: usize = 1_024;

/// Why a hash could not be made or checked.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn hasher() -> Result<Argon2<'static>, HashError> {
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, LANES, None).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a new password into a PHC string (algorithm, parameters and salt travel with it).
/// CPU- and memory-heavy: call it on the blocking pool (see [`Passwords`]).
pub fn hash(password: &NewPassword) -> Result<String, HashError> {
    hash_str(password.expose())
}

fn hash_str(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// The bundled list of the most common passwords (8 characters or more).
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common_passwords.txt").lines().collect());

/// Refuses passwords from the common list, case-insensitively.
pub fn screen(password: NewPassword) -> Result<NewPassword, FieldError> {
    if COMMON.contains(password.expose().to_lowercase().as_str()) {
        return Err(FieldError {
            field: "password",
            message: "That password is one of the most common ones. Please choose another.",
        });
    }
    Ok(password)
}

/// What checking a password found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    /// Correct; `rehash` holds a new hash when the stored one used weaker parameters.
    Yes {
        rehash: Option<String>,
    },
    No,
}

/// Hashing and verifying on the blocking pool, at most one per core at a time.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Checked when an account does not exist, so unknown addresses take as long as known ones.
    dummy: Arc<str>,
}

impl Passwords {
    /// A hasher with one permit per available core.
    pub fn new() -> Result<Self, HashError> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let dummy = hash_str("not a real password, only spends the same time")?;
        Ok(Self { permits: Arc::new(Semaphore::new(cores)), dummy: dummy.into() })
    }

    /// Hashes a new password off the async workers.
    pub async fn hash(&self, password: NewPassword) -> Result<String, HashError> {
        self.blocking(move || hash(&password)).await
    }

    /// Checks `candidate` against `stored` (or the dummy hash when there is no account, which
    /// always answers `No`).
    pub async fn verify(
        &self,
        candidate: String,
        stored: Option<String>,
    ) -> Result<Verified, HashError> {
        let Some(stored) = stored else {
            let dummy = self.dummy.clone();
            self.blocking(move || check(&candidate, &dummy)).await?;
            return Ok(Verified::No);
        };
        self.blocking(move || check(&candidate, &stored)).await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit =
            self.permits.acquire().await.map_err(|_| HashError("hasher closed".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| HashError("hashing task stopped".into()))?
    }
}

fn check(candidate: &str, stored: &str) -> Result<Verified, HashError> {
    let parsed = PasswordHash::new(stored).map_err(|e| HashError(e.to_string()))?;
    if hasher()?.verify_password(candidate.as_bytes(), &parsed).is_err() {
        return Ok(Verified::No);
    }
    let rehash = if is_current(&parsed) { None } else { Some(hash_str(candidate)?) };
    Ok(Verified::Yes { rehash })
}

/// Whether a stored hash already uses argon2id at today's parameters or stronger.
fn is_current(parsed: &PasswordHash<'_>) -> bool {
    let Ok(params) = Params::try_from(parsed) else { return false };
    parsed.algorithm.as_str() == "argon2id"
        && params.m_cost() >= MEMORY_KIB
        && params.t_cost() >= ITERATIONS
        && params.p_cost() >= LANES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let password = NewPassword::parse("correct horse battery".into()).unwrap();
        let first = hash(&password).unwrap();
        let second = hash(&password).unwrap();
        assert_ne!(first, second, "each hash has its own salt");
        assert!(first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{first}");
        assert_eq!(check("correct horse battery", &first).unwrap(), Verified::Yes { rehash: None });
        assert_eq!(check("wrong horse battery", &first).unwrap(), Verified::No);
    }

    #[test]
    fn weaker_hashes_are_upgraded_on_sign_in() {
        let weak =
            Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8, 1, 1, None).unwrap())
                .hash_password(b"correct horse battery", &SaltString::generate(&mut OsRng))
                .unwrap()
                .to_string();
        let Verified::Yes { rehash: Some(new) } = check("correct horse battery", &weak).unwrap()
        else {
            panic!("expected a rehash")
        };
        assert!(new.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        assert!(screen(NewPassword::parse("PassWord123".into()).unwrap()).is_err());
        assert!(screen(NewPassword::parse("a quiet morning walk".into()).unwrap()).is_ok());
    }
}
