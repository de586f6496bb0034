//! The reads of one scan batch: plain `SELECT`s, a fixed handful per batch whatever its size,
//! and none inside a write transaction (on SQLite a read never waits for the writer).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::QueryResult;

use crate::db::DbConnection;
use crate::db::models::enrollment::{self, Enrollment};
use crate::db::models::lesson_progress::{self, LessonProgress};
use crate::db::models::reminder_log::{self, LoggedReminder};
use crate::db::models::user::{self, MailRecipient};
use crate::db::models::{notification_preference, worksheet};
use crate::domain::drip::{self, LessonRecord};
use crate::domain::ids::UserId;
use crate::domain::notifications::Preferences;
use crate::domain::reminders::LearnerFacts;

/// What the digest counts: the past seven days.
pub(super) const DIGEST_PERIOD: Duration = Duration::days(7);

/// One learner with everything the rules look at.
#[derive(Debug)]
pub(super) struct Learner {
    pub recipient: MailRecipient,
    pub facts: LearnerFacts,
    pub enrollments: Vec<Enrollment>,
    /// Every reminder logged for the learner, oldest first.
    pub log: Vec<LoggedReminder>,
}

impl Learner {
    /// The learner's id.
    pub fn id(&self) -> UserId {
        self.facts.user
    }
}

/// Loads the learners `users` (ids in ascending order) in four queries.
pub(super) fn load(conn: &mut DbConnection, users: &[UserId]) -> QueryResult<Vec<Learner>> {
    let ids: Vec<i64> = users.iter().map(|u| u.get()).collect();
    let mut enrollments = group(enrollment::list_for_users(conn, users)?, |e| e.user_id);
    let mut preferences: HashMap<UserId, Preferences> =
        notification_preference::list_for(conn, users)?
            .into_iter()
            .map(|row| (row.user_id, row.preferences()))
            .collect();
    let since = DateTime::<Utc>::UNIX_EPOCH.naive_utc();
    let mut logs = group(reminder_log::list_for(conn, users, since)?, |l| l.user_id);
    let mut recipients = user::list_recipients(conn, &ids)?;
    recipients.sort_by_key(|r| r.id);
    Ok(recipients
        .into_iter()
        .map(|recipient| {
            let user = UserId::from(recipient.id);
            let facts = LearnerFacts {
                user,
                email_confirmed: recipient.email_verified_at.is_some(),
                deactivated: recipient.deactivated_at.is_some(),
                zone: drip::parse_zone(&recipient.time_zone),
                preferences: preferences.remove(&user).unwrap_or_default(),
            };
            Learner {
                recipient,
                facts,
                enrollments: enrollments.remove(&user).unwrap_or_default(),
                log: logs.remove(&user).unwrap_or_default(),
            }
        })
        .collect())
}

fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> UserId) -> HashMap<UserId, Vec<T>> {
    let mut grouped: HashMap<UserId, Vec<T>> = HashMap::new();
    for row in rows {
        grouped.entry(key(&row)).or_default().push(row);
    }
    grouped
}

/// What only learners with something due need: their progress (the next lesson, which
/// lessons were already open) and the digest's weekly counts.
#[derive(Debug, Default)]
pub(super) struct Extras {
    /// Progress records by learner, then course, then lesson slug.
    pub progress: HashMap<UserId, HashMap<String, HashMap<String, LessonRecord>>>,
    pub completed: HashMap<UserId, u32>,
    pub worksheets_saved: HashMap<UserId, u32>,
}

impl Extras {
    /// One learner's records in one course (empty when none).
    pub fn records(&self, user: UserId, course: &str) -> Option<&HashMap<String, LessonRecord>> {
        self.progress.get(&user)?.get(course)
    }
}

/// Loads progress for `progress_of` and the digest counts for `digest_of`: at most three
/// queries, none when both are empty.
pub(super) fn load_extras(
    conn: &mut DbConnection,
    progress_of: &[UserId],
    digest_of: &[UserId],
    now: DateTime<Utc>,
) -> QueryResult<Extras> {
    let mut extras = Extras::default();
    if !progress_of.is_empty() {
        for row in lesson_progress::list_for_users(conn, progress_of)? {
            add_record(&mut extras, row);
        }
    }
    if !digest_of.is_empty() {
        let since = (now - DIGEST_PERIOD).naive_utc();
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        extras.completed = lesson_progress::count_completed_since(conn, digest_of, since)?
            .into_iter()
            .map(|(user, n)| (user, count(n)))
            .collect();
        extras.worksheets_saved = worksheet::count_revisions_since(conn, digest_of, since)?
            .into_iter()
            .map(|(user, n)| (user, count(n)))
            .collect();
    }
    Ok(extras)
}

fn add_record(extras: &mut Extras, row: LessonProgress) {
    let record = LessonRecord {
        first_viewed_at: row.first_viewed_at.map(|at| at.and_utc()),
        unlocked_at: row.unlocked_at.map(|at| at.and_utc()),
        completed_at: row.completed_at.map(|at| at.and_utc()),
    };
    extras
        .progress
        .entry(row.user_id)
        .or_default()
        .entry(row.course_slug)
        .or_default()
        .insert(row.lesson_slug, record);
}
