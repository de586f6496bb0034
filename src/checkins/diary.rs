//! The learner's own check-ins: today's, saving today's, a range, the patterns, the export
//! and key rotation.

use chrono::NaiveDate;
use serde::Serialize;

use crate::auth::keyring::Keyring;
use crate::db::models::checkin::{self as rows, NewCheckin};
use crate::db::{Batched, DbConnection, in_batches, write_transaction};
use crate::domain::checkins::{self as rules, Checkin, Entry, Patterns, Weeks};
use crate::domain::ids::UserId;

use super::{Actor, CheckinError, Record, Saved, open, record, seal};

/// How many recent check-ins lend their tags to the suggestions.
const RECENT: i64 = 60;

/// Today's check-in (the learner's local day), if they made one. Reads only.
pub fn today(conn: &mut DbConnection, actor: &Actor) -> Result<Option<Record>, CheckinError> {
    let day = rules::local_day(actor.now, actor.zone);
    rows::find(conn, actor.user, day)?
        .map(|row| record(&actor.keyring, &row, actor.now, actor.zone))
        .transpose()
}

/// Saves today's check-in (already checked, at the edge: a refused form costs no database
/// work): the first of the day, or a change to it. Identical to what is stored, nothing is
/// written. Earlier days cannot be reached: they are no longer editable.
pub fn save_today(
    conn: &mut DbConnection,
    actor: &Actor,
    checkin: Checkin,
) -> Result<Saved, CheckinError> {
    let day = rules::local_day(actor.now, actor.zone);
    let existing = rows::find(conn, actor.user, day)?;
    if let Some(row) = &existing
        && open(&actor.keyring, row)? == checkin
    {
        let record = record(&actor.keyring, row, actor.now, actor.zone)?;
        return Ok(Saved { record, changed: false });
    }
    write_transaction(conn, |conn| {
        // Read again under the write lock: another tab may have saved the first one meanwhile.
        let existing = rows::find(conn, actor.user, day)?;
        let sealed = seal(&actor.keyring, actor.user, day, &checkin)?;
        let now = actor.now.naive_utc();
        let parts = (sealed.key_id.as_str(), &sealed.nonce[..], &sealed.ciphertext[..]);
        match &existing {
            Some(row) => rows::update_sealed(conn, row.id, parts, now)?,
            None => rows::insert(conn, &new_row(actor, day, &sealed, now))?,
        };
        let row = rows::find(conn, actor.user, day)?.ok_or(diesel::result::Error::NotFound)?;
        let record = record(&actor.keyring, &row, actor.now, actor.zone)?;
        Ok(Saved { record, changed: true })
    })
}

fn new_row<'a>(
    actor: &'a Actor,
    day: NaiveDate,
    sealed: &'a crate::auth::keyring::Sealed,
    now: chrono::NaiveDateTime,
) -> NewCheckin<'a> {
    NewCheckin {
        user_id: actor.user,
        local_date: day,
        time_zone: actor.zone.name(),
        key_id: &sealed.key_id,
        nonce: &sealed.nonce,
        ciphertext: &sealed.ciphertext,
        created_at: now,
        updated_at: now,
    }
}

/// The learner's check-ins from `from` to `to`, oldest first.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Record>, CheckinError> {
    rows::list_between(conn, actor.user, from, to)?
        .iter()
        .map(|row| record(&actor.keyring, row, actor.now, actor.zone))
        .collect()
}

/// The pattern figures of the last `weeks`, ending today.
pub fn patterns(
    conn: &mut DbConnection,
    actor: &Actor,
    weeks: Weeks,
) -> Result<Patterns, CheckinError> {
    let (from, to) = weeks.window(rules::local_day(actor.now, actor.zone));
    let entries: Vec<Entry> = list(conn, actor, from, to)?
        .into_iter()
        .map(|r| Entry { day: r.day, time_of_day: r.time_of_day, checkin: r.checkin })
        .collect();
    Ok(rules::patterns(&entries, from, to))
}

/// The triggers and the things that helped the learner noted lately, most recent first, for
/// the form to offer again.
pub fn recent_tags(
    conn: &mut DbConnection,
    actor: &Actor,
) -> Result<(Vec<String>, Vec<String>), CheckinError> {
    let to = rules::local_day(actor.now, actor.zone);
    let from = to - chrono::Duration::days(RECENT);
    let mut records = list(conn, actor, from, to)?;
    records.reverse();
    let triggers = records.iter().flat_map(|r| r.checkin.triggers.iter().cloned()).collect();
    let helped = records.iter().flat_map(|r| r.checkin.helped.iter().cloned()).collect();
    Ok((triggers, helped))
}

/// The learner's first enrolment still open to them (`None` when they have none): its support
/// page is where a hard day's confirmation points, and its track names the 0–10 scale.
/// Reads only.
pub fn home_course(
    conn: &mut DbConnection,
    user: UserId,
) -> Result<Option<HomeCourse>, CheckinError> {
    let enrolments = crate::db::models::enrollment::list_for_user(conn, user)?;
    let open = enrolments.into_iter().find(|e| matches!(e.status.as_str(), "active" | "completed"));
    Ok(open.map(|e| HomeCourse { slug: e.course_slug, track: e.track }))
}

/// See [`home_course`].
#[derive(Debug, Clone)]
pub struct HomeCourse {
    pub slug: String,
    /// The track the learner chose there, if any.
    pub track: Option<String>,
}

/// One check-in in "download my data", opened.
#[derive(Debug, Serialize)]
pub struct CheckinRecord {
    pub day: NaiveDate,
    #[serde(flatten)]
    pub checkin: Checkin,
    pub time_zone: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub checked_in_at: chrono::NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub updated_at: chrono::NaiveDateTime,
}

/// Every check-in of the learner, opened, for their data export.
pub fn export_of(
    conn: &mut DbConnection,
    keyring: &Keyring,
    user: UserId,
) -> Result<Vec<CheckinRecord>, CheckinError> {
    rows::list_for_user(conn, user)?
        .into_iter()
        .map(|row| {
            Ok(CheckinRecord {
                day: row.local_date,
                checkin: open(keyring, &row)?,
                time_zone: row.time_zone.clone(),
                checked_in_at: row.created_at,
                updated_at: row.updated_at,
            })
        })
        .collect()
}

/// Seals every check-in not under the keyring's newest key again under it, `batch` at a time
/// (`mend keys rotate`, after the worksheets).
pub fn rotate(
    conn: &mut DbConnection,
    keyring: &Keyring,
    batch: i64,
) -> Result<Batched, CheckinError> {
    let primary = keyring.primary_id();
    in_batches(conn, |conn, after| {
        let found = rows::list_sealed_under_other_keys(conn, &primary, after, batch)?;
        let mut count = 0;
        for row in &found {
            let sealed = seal(keyring, row.user_id, row.local_date, &open(keyring, row)?)?;
            let new = (sealed.key_id.as_str(), &sealed.nonce[..], &sealed.ciphertext[..]);
            count += rows::reseal(conn, row.id, &row.key_id, new)?;
        }
        Ok::<_, CheckinError>((found.last().map(|row| row.id), count))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_record_reads_as_flat_json() {
        let record = CheckinRecord {
            day: "2026-12-03".parse().unwrap(),
            checkin: Checkin {
                mood: rules::Mood::new(3).unwrap(),
                intensity: rules::Intensity::new(4).unwrap(),
                triggers: vec!["Tired".into()],
                helped: vec!["Rest".into()],
                note: "n".into(),
            },
            time_zone: "UTC".into(),
            checked_in_at: chrono::NaiveDateTime::default(),
            updated_at: chrono::NaiveDateTime::default(),
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["mood"], 3);
        assert_eq!(json["day"], "2026-12-03");
        assert_eq!(json["checked_in_at"], "1970-01-01T00:00:00Z");
    }
}
