//! `mend keys rotate`: every revision sealed under an older key is sealed again under the
//! newest, in small batches, each its own short transaction, so serving continues meanwhile
//! and the old keys stay readable until the last batch is done. [`in_batches`] is the loop,
//! shared with every other table that holds sealed text (check-ins).

use crate::auth::keyring::Keyring;
use crate::db::models::worksheet as rows;
use crate::db::{DbConnection, DbError, write_transaction};

use super::{WorksheetError, sealing};

/// What a rotation did: counts only, nothing secret.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Revisions sealed again under the newest key.
    pub resealed: usize,
    /// Batches (transactions) it took.
    pub batches: usize,
}

/// Seals every revision not under the keyring's newest key again under it, `batch` at a
/// time. Call after [`Keyring::add_key`]; running it again finds nothing left to do.
pub fn rotate(
    conn: &mut DbConnection,
    keyring: &Keyring,
    batch: i64,
) -> Result<Rotation, WorksheetError> {
    let primary = keyring.primary_id();
    in_batches(conn, |conn, after| {
        let found = rows::list_sealed_under_other_keys(conn, &primary, after, batch)?;
        let mut count = 0;
        for row in &found {
            let sealed = sealing::reseal(keyring, row)?;
            let new = (sealed.key_id.as_str(), &sealed.nonce[..], &sealed.ciphertext[..]);
            count += rows::reseal(conn, row.id, &row.key_id, new)?;
        }
        Ok((found.last().map(|row| row.id), count))
    })
}

/// Runs `step` in one write transaction per batch, each starting after the last id the one
/// before returned, until a batch finds nothing. `step` returns the last id it looked at and
/// how many rows it sealed again.
pub fn in_batches<E, F>(conn: &mut DbConnection, mut step: F) -> Result<Rotation, E>
where
    E: From<DbError>,
    F: FnMut(&mut DbConnection, i64) -> Result<(Option<i64>, usize), E>,
{
    let mut done = Rotation::default();
    let mut after = 0;
    loop {
        match write_transaction(conn, |conn| step(conn, after))? {
            (Some(last), count) => {
                after = last;
                done.resealed += count;
                done.batches += 1;
            }
            (None, _) => return Ok(done),
        }
    }
}
