//! Encryption at rest for what learners write. Worksheet answers are sealed with
//! XChaCha20-Poly1305 (a random 192-bit nonce per message, so no counter has to be shared
//! between instances) under the newest key of a keyring, and each ciphertext is stored beside
//! the id of the key that sealed it. Rotation adds a key; older keys stay in the ring, readable,
//! until nothing is sealed under them any more.
//!
//! Keys come from `MEND_ENCRYPTION_KEY` (one or more 64-hex-character keys, comma separated,
//! newest last) or from `<data_dir>/encryption_keys` (one key per line, newest last), generated
//! on first start. A key's id is derived from the key itself, so every instance given the same
//! keys agrees on the ids without storing them anywhere.
//!
//! Every seal binds a *context* (e.g. `worksheet-revision:42`) as associated data: a ciphertext
//! copied onto another row does not open there.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::auth::keys::write_private;

/// File name of the generated keyring inside the data dir.
const KEYRING_FILE: &str = "encryption_keys";
/// Bytes in an XChaCha20 nonce.
const NONCE_LEN: usize = 24;

/// Why the keyring could not be loaded, or a ciphertext could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(
        "MEND_ENCRYPTION_KEY must be one or more 64-hex-character keys, comma separated, newest \
         last; generate one with `openssl rand -hex 32`"
    )]
    BadSetting,
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    #[error("MEND_ENCRYPTION_KEY is set, so new keys are added there, not to a file")]
    Configured,
    #[error("no key with id {0} in the keyring")]
    UnknownKey(String),
    /// Wrong key, wrong context or a damaged ciphertext: never says which.
    #[error("a ciphertext did not open")]
    Damaged,
}

/// A ciphertext with what it takes to open it again.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl Sealed {
    /// A stored ciphertext as the keyring opens it, from the three columns every sealed table
    /// keeps (`key_id`, `nonce`, `ciphertext`).
    pub fn of_columns(key_id: &str, nonce: &[u8], ciphertext: &[u8]) -> Self {
        Self { key_id: key_id.to_owned(), nonce: nonce.to_vec(), ciphertext: ciphertext.to_vec() }
    }
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed {{ key_id: {:?}, {} bytes }}", self.key_id, self.ciphertext.len())
    }
}

/// One key and the id it is known by.
struct RingKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

/// Where the keys came from, so the ring can be read again after a rotation.
#[derive(Debug, Clone)]
enum Source {
    Configured,
    File(PathBuf),
}

/// The encryption keys: the newest seals, all of them open. Cheap to share (`Arc` inside).
#[derive(Clone)]
pub struct Keyring {
    keys: Arc<ArcSwap<Vec<RingKey>>>,
    source: Source,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Keyring {{ primary: {:?}, keys: {} }}",
            self.primary_id(),
            self.keys.load().len()
        )
    }
}

impl Keyring {
    /// The configured keys, else those in `data_dir`, else a new key written there (0600).
    pub fn load(configured: Option<&str>, data_dir: &Path) -> Result<Self, KeyringError> {
        let (keys, source) = match configured {
            Some(text) => (parse_keys(text, ',')?, Source::Configured),
            None => {
                let path = data_dir.join(KEYRING_FILE);
                (read_or_create(&path)?, Source::File(path))
            }
        };
        Ok(Self { keys: Arc::new(ArcSwap::from_pointee(keys)), source })
    }

    /// The id of the key new ciphertexts are sealed under.
    pub fn primary_id(&self) -> String {
        self.keys.load().last().map(|key| key.id.clone()).unwrap_or_default()
    }

    /// Seals `plaintext` under the newest key, bound to `context`.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<Sealed, KeyringError> {
        let keys = self.keys.load();
        let key = keys.last().ok_or(KeyringError::Damaged)?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload { msg: plaintext, aad: context.as_bytes() };
        let ciphertext =
            key.cipher.encrypt(&XNonce::from(nonce), payload).map_err(|_| KeyringError::Damaged)?;
        Ok(Sealed { key_id: key.id.clone(), nonce: nonce.to_vec(), ciphertext })
    }

    /// Opens a ciphertext sealed under any key of the ring with the same `context`. A key id
    /// this instance has not seen yet (another process rotated) makes it read the ring again.
    pub fn open(&self, sealed: &Sealed, context: &str) -> Result<Vec<u8>, KeyringError> {
        if self.find(&sealed.key_id).is_none() {
            self.reload()?;
        }
        let keys = self.keys.load();
        let key = keys
            .iter()
            .find(|key| key.id == sealed.key_id)
            .ok_or_else(|| KeyringError::UnknownKey(sealed.key_id.clone()))?;
        let nonce: [u8; NONCE_LEN] =
            sealed.nonce.as_slice().try_into().map_err(|_| KeyringError::Damaged)?;
        let payload = Payload { msg: &sealed.ciphertext, aad: context.as_bytes() };
        key.cipher.decrypt(&XNonce::from(nonce), payload).map_err(|_| KeyringError::Damaged)
    }

    /// Adds a new random key to the keyring file and makes it the one that seals; returns its
    /// id. With configured keys there is no file to add to ([`KeyringError::Configured`]).
    pub fn add_key(&self) -> Result<String, KeyringError> {
        let Source::File(path) = &self.source else {
            return Err(KeyringError::Configured);
        };
        let mut text = read_file(path)?;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&hex::encode(random_key()));
        text.push('\n');
        replace_private(path, text.as_bytes()).map_err(|e| file_error(path, e))?;
        self.reload()?;
        Ok(self.primary_id())
    }

    /// The ids of every key in the ring, oldest first.
    pub fn key_ids(&self) -> Vec<String> {
        self.keys.load().iter().map(|key| key.id.clone()).collect()
    }

    fn find(&self, id: &str) -> Option<()> {
        self.keys.load().iter().any(|key| key.id == id).then_some(())
    }

    fn reload(&self) -> Result<(), KeyringError> {
        if let Source::File(path) = &self.source {
            self.keys.store(Arc::new(parse_keys(&read_file(path)?, '\n')?));
        }
        Ok(())
    }
}

/// A key's public name: the first 16 hex digits of SHA-256 over a label and the key.
fn key_id(key: &[u8; 32]) -> String {
    let digest =
        Sha256::new().chain_update(b"mend encryption key id\0").chain_update(key).finalize();
    hex::encode(&digest[..8])
}

fn ring_key(bytes: [u8; 32]) -> RingKey {
    RingKey { id: key_id(&bytes), cipher: XChaCha20Poly1305::new(&bytes.into()) }
}

fn parse_keys(text: &str, separator: char) -> Result<Vec<RingKey>, KeyringError> {
    let keys = text
        .split(separator)
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let bytes = hex::decode(part).map_err(|_| KeyringError::BadSetting)?;
            bytes.try_into().map(ring_key).map_err(|_| KeyringError::BadSetting)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if keys.is_empty() { Err(KeyringError::BadSetting) } else { Ok(keys) }
}

fn random_key() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

fn read_or_create(path: &Path) -> Result<Vec<RingKey>, KeyringError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_keys(&text, '\n').map_err(|e| file_error(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random_key();
            write_private(path, format!("{}\n", hex::encode(key)).as_bytes())
                .map_err(|e| file_error(path, e))?;
            Ok(vec![ring_key(key)])
        }
        Err(e) => Err(file_error(path, e)),
    }
}

fn read_file(path: &Path) -> Result<String, KeyringError> {
    std::fs::read_to_string(path).map_err(|e| file_error(path, e))
}

/// Writes the whole file anew through a private temporary file and a rename, so a crash
/// mid-write never leaves a keyring that lost a key.
fn replace_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension("new");
    let _ = std::fs::remove_file(&temporary);
    write_private(&temporary, contents)?;
    std::fs::rename(&temporary, path)
}

fn file_error(path: &Path, error: impl std::fmt::Display) -> KeyringError {
    KeyringError::File { path: path.display().to_string(), reason: error.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> (tempfile::TempDir, Keyring) {
        let dir = tempfile::tempdir().unwrap();
        let ring = Keyring::load(None, dir.path()).unwrap();
        (dir, ring)
    }

    #[test]
    fn sealed_text_opens_only_in_its_context() {
        let (_dir, ring) = ring();
        let sealed = ring.seal("we agreed to talk on Sundays".as_bytes(), "revision:1").unwrap();
        assert!(!sealed.ciphertext.windows(6).any(|w| w == b"Sunday"));
        assert_eq!(ring.open(&sealed, "revision:1").unwrap(), b"we agreed to talk on Sundays");
        assert!(matches!(ring.open(&sealed, "revision:2"), Err(KeyringError::Damaged)));
        let mut tampered = sealed.clone();
        tampered.ciphertext[0] ^= 1;
        assert!(matches!(ring.open(&tampered, "revision:1"), Err(KeyringError::Damaged)));
    }

    #[test]
    fn each_seal_has_its_own_nonce() {
        let (_dir, ring) = ring();
        let first = ring.seal(b"same", "c").unwrap();
        let second = ring.seal(b"same", "c").unwrap();
        assert_ne!(first.nonce, second.nonce);
        assert_ne!(first.ciphertext, second.ciphertext);
    }

    #[test]
    fn rotation_seals_under_the_new_key_and_still_opens_the_old() {
        let (dir, ring) = ring();
        let old = ring.seal(b"before", "c").unwrap();
        let new_id = ring.add_key().unwrap();
        assert_ne!(new_id, old.key_id);
        let new = ring.seal(b"after", "c").unwrap();
        assert_eq!(new.key_id, new_id);
        assert_eq!(ring.open(&old, "c").unwrap(), b"before");
        // Another instance that loaded the ring before the rotation reads the new key on demand.
        let stale = Keyring { keys: Arc::new(ArcSwap::from_pointee(Vec::new())), ..ring.clone() };
        assert_eq!(stale.open(&new, "c").unwrap(), b"after");
        assert_eq!(Keyring::load(None, dir.path()).unwrap().key_ids().len(), 2);
    }

    #[test]
    fn generated_keyring_is_private_and_stable() {
        let (dir, ring) = ring();
        let again = Keyring::load(None, dir.path()).unwrap();
        assert_eq!(ring.primary_id(), again.primary_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                std::fs::metadata(dir.path().join(KEYRING_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn configured_keys_are_checked_and_cannot_grow_from_here() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = ("ab".repeat(32), "cd".repeat(32));
        let ring = Keyring::load(Some(&format!("{a}, {b}")), dir.path()).unwrap();
        assert_eq!(ring.key_ids().len(), 2);
        assert_eq!(ring.primary_id(), key_id(&[0xcd; 32]));
        assert!(matches!(ring.add_key(), Err(KeyringError::Configured)));
        for bad in ["", "short", &"ab".repeat(16), &format!("{a},zz")] {
            assert!(Keyring::load(Some(bad), dir.path()).is_err(), "{bad:?}");
        }
    }
}
