//! Daily check-ins: the learner's one-minute note of mood, strength of urges or distress,
//! triggers, what helped and a private line, once per local day and editable that day only;
//! their patterns over weeks; the glance a partner may be shown; export and key rotation.
//! What the learner wrote exists in plain text only inside these functions: the database holds
//! it sealed with the same keyring as worksheet answers, bound to the learner and the day.
//!
//! Each function takes a `&mut DbConnection`, so a handler does its whole unit of work in one
//! [`crate::db::Database::run`]; functions that write open their own write transaction, and
//! only when something changed. The rules live in [`crate::domain::checkins`].

mod diary;
mod sharing;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::auth::keyring::{Keyring, KeyringError, Sealed};
use crate::db::DbError;
use crate::db::models::checkin::CheckinRow;
use crate::domain::checkins::{Checkin, CheckinProblem, TimeOfDay};
use crate::domain::drip::parse_zone;
use crate::domain::ids::UserId;

pub use diary::{
    CheckinRecord, HomeCourse, export_of, home_course, list, patterns, recent_tags, rotate,
    save_today, today,
};
pub use sharing::{Sharing, partner_glance, set_sharing, sharing};

/// Who is checking in, in which zone, and when; owned, so it moves onto the blocking pool.
#[derive(Debug, Clone)]
pub struct Actor {
    pub keyring: Keyring,
    pub user: UserId,
    /// The learner's stored zone: their days start at its midnight.
    pub zone: Tz,
    pub now: DateTime<Utc>,
}

/// Why a check-in action did not happen; messages are safe to show and hold nothing written.
#[derive(Debug, thiserror::Error)]
pub enum CheckinError {
    /// Fields that cannot be saved, each named.
    #[error("some fields cannot be saved")]
    Invalid(Vec<CheckinProblem>),
    /// Sharing asked for without a partner link.
    #[error("no partner link")]
    NoLink,
    /// A ciphertext did not open or could not be made (the cause says which key, never text).
    #[error("a check-in could not be sealed or opened: {0}")]
    Sealing(#[from] KeyringError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for CheckinError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

/// One stored check-in, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The learner's local day it belongs to.
    pub day: NaiveDate,
    pub checkin: Checkin,
    /// When in that day the learner first checked in (in the zone they were in).
    pub time_of_day: TimeOfDay,
    pub checked_in_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Still today for the learner, so it can be changed.
    pub editable: bool,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub record: Record,
    /// `false` when it was identical to what was stored, so nothing was written.
    pub changed: bool,
}

/// The associated data of a check-in's ciphertext: the learner and the day.
fn context(user: UserId, day: NaiveDate) -> String {
    format!("checkin:{user}:{day}")
}

fn seal(
    keyring: &Keyring,
    user: UserId,
    day: NaiveDate,
    checkin: &Checkin,
) -> Result<Sealed, CheckinError> {
    // Serialising plain numbers and strings cannot fail; map it anyway rather than unwrap.
    let plain = serde_json::to_vec(checkin).map_err(|_| KeyringError::Damaged)?;
    Ok(keyring.seal(&plain, &context(user, day))?)
}

/// Opens a stored check-in into what the learner wrote.
fn open(keyring: &Keyring, row: &CheckinRow) -> Result<Checkin, CheckinError> {
    let plain = keyring.open(
        &Sealed::of_columns(&row.key_id, &row.nonce, &row.ciphertext),
        &context(row.user_id, row.local_date),
    )?;
    Ok(serde_json::from_slice(&plain).map_err(|_| KeyringError::Damaged)?)
}

/// A stored row as the learner sees it at `now` in `zone`.
fn record(
    keyring: &Keyring,
    row: &CheckinRow,
    now: DateTime<Utc>,
    zone: Tz,
) -> Result<Record, CheckinError> {
    let checked_in_at = row.created_at.and_utc();
    Ok(Record {
        day: row.local_date,
        checkin: open(keyring, row)?,
        time_of_day: TimeOfDay::of(checked_in_at, parse_zone(&row.time_zone)),
        checked_in_at,
        updated_at: row.updated_at.and_utc(),
        editable: crate::domain::checkins::editable(row.local_date, now, zone),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checkins::{Intensity, Mood};

    #[test]
    fn a_check_in_opens_only_on_its_own_learner_and_day() {
        let dir = tempfile::tempdir().unwrap();
        let keyring = Keyring::load(None, dir.path()).unwrap();
        let checkin = Checkin {
            mood: Mood::new(2).unwrap(),
            intensity: Intensity::new(9).unwrap(),
            triggers: vec!["Lonely".into()],
            helped: vec![],
            note: "private words".into(),
        };
        let day: NaiveDate = "2026-12-03".parse().unwrap();
        let sealed = seal(&keyring, UserId::from(7), day, &checkin).unwrap();
        let row = |user: i64, day: NaiveDate| CheckinRow {
            id: 1,
            user_id: UserId::from(user),
            local_date: day,
            time_zone: "UTC".into(),
            key_id: sealed.key_id.clone(),
            nonce: sealed.nonce.clone(),
            ciphertext: sealed.ciphertext.clone(),
            created_at: chrono::NaiveDateTime::default(),
            updated_at: chrono::NaiveDateTime::default(),
        };
        assert_eq!(open(&keyring, &row(7, day)).unwrap(), checkin);
        assert!(open(&keyring, &row(8, day)).is_err());
        assert!(open(&keyring, &row(7, day.succ_opt().unwrap())).is_err());
        assert!(!sealed.ciphertext.windows(7).any(|w| w == b"private"));
    }
}
