//! The server's secret: 256 bits from `MEND_SECRET_KEY`, or generated once into the data dir
//! (mode 0600) so sessions survive restarts. Each use gets its own derived key, so a CSRF
//! token can never double as a session signature.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;

/// File name of the generated key inside the data dir.
const KEY_FILE: &str = "secret_key";

/// Why the secret key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "MEND_SECRET_KEY must be 64 hex characters (256 bits); generate one with `openssl rand -hex 32`"
    )]
    BadSetting,
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
}

/// The 256-bit master secret; never printed.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl SecretKey {
    /// Parses 64 hex characters.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::BadSetting)?;
        bytes.try_into().map(Self).map_err(|_| KeyError::BadSetting)
    }

    /// The configured key, else the one in `data_dir`, else a new one written there (0600).
    pub fn load(configured: Option<&str>, data_dir: &Path) -> Result<Self, KeyError> {
        if let Some(text) = configured {
            return Self::from_hex(text);
        }
        let path = data_dir.join(KEY_FILE);
        let fail = |reason: String| KeyError::File { path: path.display().to_string(), reason };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_hex(&text).map_err(|e| fail(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                write_private(&path, hex::encode(key.0).as_bytes())
                    .map_err(|e| fail(e.to_string()))?;
                Ok(key)
            }
            Err(e) => Err(fail(e.to_string())),
        }
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A key for one purpose (`"session-jwt"`, `"csrf"`): HMAC-SHA256(master, purpose).
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(unix)]
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(contents)
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let first = SecretKey::load(None, dir.path()).unwrap();
        let second = SecretKey::load(None, dir.path()).unwrap();
        assert_eq!(first.derive("x"), second.derive("x"));
        assert_ne!(first.derive("x"), first.derive("y"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn configured_key_must_be_256_bits_of_hex() {
        assert!(SecretKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(SecretKey::from_hex("short").is_err());
        assert!(SecretKey::from_hex(&"ab".repeat(16)).is_err());
    }
}
