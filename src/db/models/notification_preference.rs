//! A learner's notification choices (`notification_preferences`): one row per learner who
//! changed anything; no row means [`Preferences::default`].

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::notification_preferences;
use crate::domain::ids::UserId;
use crate::domain::notifications::{Preferences, SendWindow};

/// A stored row, as read.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notification_preferences)]
pub struct PreferenceRow {
    #[diesel(deserialize_as = i64)]
    pub user_id: UserId,
    pub new_lessons: bool,
    pub partner_updates: bool,
    pub digest: bool,
    pub discreet: bool,
    pub window_start_minute: i32,
    pub window_end_minute: i32,
    pub updated_at: NaiveDateTime,
}

impl PreferenceRow {
    /// The domain value; a window the CHECK constraints allowed but the domain refuses (none
    /// should exist) falls back to the default window rather than failing a scan.
    pub fn preferences(&self) -> Preferences {
        let minute = |m: i32| u16::try_from(m).unwrap_or(u16::MAX);
        let window =
            SendWindow::new(minute(self.window_start_minute), minute(self.window_end_minute))
                .unwrap_or_default();
        Preferences {
            new_lessons: self.new_lessons,
            partner_updates: self.partner_updates,
            digest: self.digest,
            discreet: self.discreet,
            window,
        }
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = notification_preferences)]
struct Row {
    user_id: i64,
    new_lessons: bool,
    partner_updates: bool,
    digest: bool,
    discreet: bool,
    window_start_minute: i32,
    window_end_minute: i32,
    updated_at: NaiveDateTime,
}

/// The learner's choices (the defaults when they never changed any).
pub fn find(conn: &mut DbConnection, user: UserId) -> QueryResult<Preferences> {
    let row = notification_preferences::table
        .find(user.get())
        .select(PreferenceRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map_or_else(Preferences::default, |row| row.preferences()))
}

/// The stored rows of several learners at once (the reminder scan); learners without a row
/// are absent and take the defaults.
pub fn list_for(conn: &mut DbConnection, users: &[UserId]) -> QueryResult<Vec<PreferenceRow>> {
    let ids: Vec<i64> = users.iter().map(|user| user.get()).collect();
    notification_preferences::table
        .filter(notification_preferences::user_id.eq_any(ids))
        .select(PreferenceRow::as_select())
        .load(conn)
}

/// Stores the learner's choices, replacing any earlier ones.
pub fn save(
    conn: &mut DbConnection,
    user: UserId,
    preferences: &Preferences,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = Row {
        user_id: user.get(),
        new_lessons: preferences.new_lessons,
        partner_updates: preferences.partner_updates,
        digest: preferences.digest,
        discreet: preferences.discreet,
        window_start_minute: i32::from(preferences.window.start()),
        window_end_minute: i32::from(preferences.window.end()),
        updated_at: now,
    };
    crate::per_backend!(conn, |c| diesel::insert_into(notification_preferences::table)
        .values(&row)
        .on_conflict(notification_preferences::user_id)
        .do_update()
        .set(&row)
        .execute(c))
    .map(drop)
}
