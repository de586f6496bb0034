//! Everything stored about one person, gathered in one place for "download my data" and
//! "delete my account", so a table added later is added here once and never forgotten.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConnection;
use crate::db::schema::{
    enrollments, lesson_progress, outbox, partnerships, progress_shares, sessions, users,
};

/// A course enrolment, as exported.
#[derive(Debug, Queryable, Serialize)]
pub struct EnrollmentRecord {
    pub course: String,
    pub status: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub enrolled_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    pub expires_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    pub completed_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    pub last_activity_at: Option<NaiveDateTime>,
    /// Inactivity reminders for this course (the Notifications page's switch).
    pub reminders_enabled: bool,
}

/// The learner's mail choices, as exported (the defaults when they never changed any); the
/// window is in their time zone.
#[derive(Debug, Serialize)]
pub struct NotificationRecord {
    pub new_lessons: bool,
    pub partner_updates: bool,
    pub digest: bool,
    pub discreet: bool,
    pub window_start: String,
    pub window_end: String,
}

/// Progress through one lesson, as exported.
#[derive(Debug, Queryable, Serialize)]
pub struct ProgressRecord {
    pub course: String,
    pub lesson: String,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    pub first_viewed_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    pub completed_at: Option<NaiveDateTime>,
}

/// A sign-in session, as exported (without its id, which is a credential).
#[derive(Debug, Queryable, Serialize)]
pub struct SessionRecord {
    pub user_agent: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub last_seen_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub expires_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    pub revoked_at: Option<NaiveDateTime>,
}

/// An invitation the person sent or a link they accepted, as exported (the partner's own
/// account is theirs, not part of this export).
#[derive(Debug, Serialize)]
pub struct PartnershipRecord {
    /// `inviter` or `invitee`.
    pub role: &'static str,
    /// The address the invitation went to.
    pub invite_email: Option<String>,
    pub status: String,
    pub ended_reason: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    pub accepted_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    pub ended_at: Option<NaiveDateTime>,
}

/// A course whose progress the person shows their partner, as exported.
#[derive(Debug, Queryable, Serialize)]
pub struct ProgressShareRecord {
    pub course: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub shared_at: NaiveDateTime,
}

/// The stored columns of a partnership row that an export shows.
type PartnershipRow = (
    i64,
    Option<String>,
    String,
    Option<String>,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// The invitations `user_id` sent and the links they accepted, oldest first.
pub fn partnerships_of(
    conn: &mut DbConnection,
    user_id: i64,
) -> QueryResult<Vec<PartnershipRecord>> {
    let rows: Vec<PartnershipRow> = partnerships::table
        .filter(partnerships::inviter_id.eq(user_id).or(partnerships::invitee_id.eq(user_id)))
        .order(partnerships::created_at)
        .select((
            partnerships::inviter_id,
            partnerships::invite_email,
            partnerships::status,
            partnerships::ended_reason,
            partnerships::created_at,
            partnerships::accepted_at,
            partnerships::ended_at,
        ))
        .load(conn)?;
    let record =
        |(inviter, invite_email, status, ended_reason, created_at, accepted_at, ended_at)| {
            let role = if inviter == user_id { "inviter" } else { "invitee" };
            PartnershipRecord {
                role,
                invite_email,
                status,
                ended_reason,
                created_at,
                accepted_at,
                ended_at,
            }
        };
    Ok(rows.into_iter().map(record).collect())
}

/// The courses whose progress `user_id` shows their partner now.
pub fn progress_shares_of(
    conn: &mut DbConnection,
    user_id: i64,
) -> QueryResult<Vec<ProgressShareRecord>> {
    progress_shares::table
        .filter(progress_shares::owner_id.eq(user_id))
        .order(progress_shares::course_slug)
        .select((progress_shares::course_slug, progress_shares::created_at))
        .load(conn)
}

/// The enrolments of `user_id`.
pub fn enrollments_of(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<EnrollmentRecord>> {
    enrollments::table
        .filter(enrollments::user_id.eq(user_id))
        .order(enrollments::enrolled_at)
        .select((
            enrollments::course_slug,
            enrollments::status,
            enrollments::enrolled_at,
            enrollments::expires_at,
            enrollments::completed_at,
            enrollments::last_activity_at,
            enrollments::reminders_enabled,
        ))
        .load(conn)
}

/// The mail choices of `user_id`.
pub fn notifications_of(conn: &mut DbConnection, user_id: i64) -> QueryResult<NotificationRecord> {
    use crate::domain::notifications::format_local_time;
    let p = crate::db::models::notification_preference::find(conn, user_id.into())?;
    Ok(NotificationRecord {
        new_lessons: p.new_lessons,
        partner_updates: p.partner_updates,
        digest: p.digest,
        discreet: p.discreet,
        window_start: format_local_time(p.window.start()),
        window_end: format_local_time(p.window.end()),
    })
}

/// The lesson progress of `user_id`.
pub fn progress_of(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<ProgressRecord>> {
    lesson_progress::table
        .filter(lesson_progress::user_id.eq(user_id))
        .order((lesson_progress::course_slug, lesson_progress::lesson_slug))
        .select((
            lesson_progress::course_slug,
            lesson_progress::lesson_slug,
            lesson_progress::first_viewed_at,
            lesson_progress::completed_at,
        ))
        .load(conn)
}

/// Every session `user_id` ever had, newest first.
pub fn sessions_of(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<SessionRecord>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .order(sessions::created_at.desc())
        .select((
            sessions::user_agent,
            sessions::created_at,
            sessions::last_seen_at,
            sessions::expires_at,
            sessions::revoked_at,
        ))
        .load(conn)
}

/// Erases the account: the row goes, and with it (by `ON DELETE CASCADE`) its sessions, tokens,
/// enrolments, progress and own worksheets; mail addressed to it leaves the outbox too.
pub fn erase(conn: &mut DbConnection, user_id: i64, email: &str) -> QueryResult<()> {
    diesel::delete(outbox::table.filter(outbox::recipient.eq(email))).execute(conn)?;
    diesel::delete(users::table.find(user_id)).execute(conn)?;
    Ok(())
}
