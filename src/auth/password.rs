//! Password hashing with argon2id at OWASP's recommended minimum cost.

use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::domain::account::NewPassword;

/// Memory cost in KiB, iterations and lanes: OWASP's argon2id floor (19 MiB, t=2, p=1).
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

/// Why a hash could not be made.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn hasher() -> Result<Argon2<'static>, HashError> {
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, LANES, None).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a new password into a PHC string (algorithm, parameters and salt travel with it).
/// CPU- and memory-heavy: call it on the blocking pool.
pub fn hash(password: &NewPassword) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHash, PasswordVerifier};

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let password = NewPassword::parse("correct horse battery".into()).unwrap();
        let first = hash(&password).unwrap();
        let second = hash(&password).unwrap();
        assert_ne!(first, second, "each hash has its own salt");
        assert!(first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{first}");
        let parsed = PasswordHash::new(&first).unwrap();
        assert!(hasher().unwrap().verify_password(b"correct horse battery", &parsed).is_ok());
        assert!(hasher().unwrap().verify_password(b"wrong horse battery", &parsed).is_err());
    }
}
