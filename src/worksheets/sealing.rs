//! Answers in and out of the database: sealed with the keyring, bound to their worksheet and
//! revision number, so a ciphertext copied onto another row does not open there.

use sha2::{Digest, Sha256};

use crate::auth::keyring::KeyringError::Damaged;
use crate::auth::keyring::{Keyring, Sealed};
use crate::db::models::worksheet::RevisionRow;
use crate::domain::ids::WorksheetId;
use crate::domain::worksheet::Answers;

use super::WorksheetError;

/// The associated data of a revision's ciphertext.
fn context(worksheet: WorksheetId, number: i32) -> String {
    format!("worksheet-revision:{worksheet}:{number}")
}

/// The canonical bytes of a set of answers: JSON with keys in order (a `BTreeMap`).
fn canonical(answers: &Answers) -> Result<Vec<u8>, WorksheetError> {
    // Serialising a map of JSON values cannot fail; map it anyway rather than unwrap.
    serde_json::to_vec(answers).map_err(|_| WorksheetError::Sealing(Damaged))
}

/// Seals a revision's answers under the keyring's newest key.
pub(super) fn seal(
    keyring: &Keyring,
    worksheet: WorksheetId,
    number: i32,
    answers: &Answers,
) -> Result<Sealed, WorksheetError> {
    Ok(keyring.seal(&canonical(answers)?, &context(worksheet, number))?)
}

/// Opens a stored revision's answers.
pub(super) fn open(keyring: &Keyring, row: &RevisionRow) -> Result<Answers, WorksheetError> {
    let plain = keyring.open(
        &Sealed::of_columns(&row.key_id, &row.nonce, &row.ciphertext),
        &context(row.worksheet_id, row.number),
    )?;
    serde_json::from_slice(&plain).map_err(|_| WorksheetError::Sealing(Damaged))
}

/// Re-seals a stored revision under the newest key (key rotation).
pub(super) fn reseal(keyring: &Keyring, row: &RevisionRow) -> Result<Sealed, WorksheetError> {
    let context = context(row.worksheet_id, row.number);
    let plain =
        keyring.open(&Sealed::of_columns(&row.key_id, &row.nonce, &row.ciphertext), &context)?;
    Ok(keyring.seal(&plain, &context)?)
}

/// What a signature signs: SHA-256 (hex) over the worksheet version and the canonical answers.
pub(super) fn content_hash(
    template_hash: &str,
    answers: &Answers,
) -> Result<String, WorksheetError> {
    let digest = Sha256::new()
        .chain_update(b"mend worksheet revision\0")
        .chain_update(template_hash.as_bytes())
        .chain_update(b"\0")
        .chain_update(canonical(answers)?)
        .finalize();
    Ok(hex::encode(digest))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_revision_opens_only_on_its_own_row() {
        let dir = tempfile::tempdir().unwrap();
        let keyring = Keyring::load(None, dir.path()).unwrap();
        let answers: Answers = serde_json::from_value(json!({"a": "private words"})).unwrap();
        let sealed = seal(&keyring, WorksheetId::from(7), 2, &answers).unwrap();
        let row = |worksheet: i64, number| RevisionRow {
            id: 1,
            worksheet_id: WorksheetId::from(worksheet),
            number,
            author_id: None,
            template_hash: String::new(),
            content_hash: String::new(),
            key_id: sealed.key_id.clone(),
            nonce: sealed.nonce.clone(),
            ciphertext: sealed.ciphertext.clone(),
            created_at: chrono::NaiveDateTime::default(),
        };
        assert_eq!(open(&keyring, &row(7, 2)).unwrap(), answers);
        assert!(open(&keyring, &row(8, 2)).is_err());
        assert!(open(&keyring, &row(7, 3)).is_err());
        let hash = content_hash("t", &answers).unwrap();
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, content_hash("u", &answers).unwrap());
    }
}
