//! The learner's control over the mail Mend sends them: reading and saving their choices (the
//! Notifications page and its API) and one-click unsubscribing from a signed link. Like the
//! other services it knows nothing of HTTP; it owns these writes and their audit entries,
//! which name ids and kinds of mail only, never an address, a name or a course title.
//!
//! Every write first reads whether anything would change, so a save of the same choices or a
//! repeated unsubscribe (mail clients retry) writes nothing and never waits for SQLite's lock.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use crate::clock::SharedClock;
use crate::db::models::audit::{self, NewEntry};
use crate::db::models::enrollment::{self, Enrollment};
use crate::db::models::{notification_preference, reminder_log, user};
use crate::db::{Database, DbConnection, DbError, write_transaction};
use crate::domain::ids::{EnrollmentId, UserId};
use crate::domain::notifications::{Preferences, Topic};

/// Why a notification action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// A per-course switch for a course the learner is not enrolled in.
    #[error("you are not enrolled in a course called {0:?}")]
    UnknownCourse(String),
    /// An unsubscribe link for an account or enrolment that is not there (or not theirs).
    #[error("nothing to unsubscribe from")]
    NotFound,
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for NotificationError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(DbError::Query(error))
    }
}

/// One enrolment's reminder switch, as the Notifications page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseReminders {
    /// The enrolment the switch belongs to (unsubscribe links name it).
    pub enrollment: EnrollmentId,
    /// The course, for its title from the catalog.
    pub course_slug: String,
    /// Inactivity nudges for this course.
    pub enabled: bool,
}

/// Everything the learner controls about their mail, read in one unit of work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSettings {
    /// The learner's choices, or the defaults when they never changed any.
    pub preferences: Preferences,
    /// Every enrolment, oldest first.
    pub courses: Vec<CourseReminders>,
}

/// What the learner chose: all of their preferences, and the reminder switch of each course
/// named (by slug); courses left out keep their switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choices {
    /// Every preference, replacing the stored ones.
    pub preferences: Preferences,
    /// Reminders on or off by course slug.
    pub reminders: BTreeMap<String, bool>,
}

/// What an unsubscribe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsubscribed {
    /// That mail is stopped from now on.
    Stopped,
    /// It was already stopped (a repeat, or turned off on the Notifications page); nothing
    /// was written.
    AlreadyStopped,
}

/// The notification service shared by the HTML and JSON handlers.
pub struct Notifications {
    db: Database,
    clock: SharedClock,
}

/// The changes a save would make: the new preferences if they differ, and each enrolment
/// whose switch flips.
#[derive(Debug, Default)]
struct Changes {
    preferences: Option<Preferences>,
    changed_fields: Vec<&'static str>,
    /// The kinds of mail the new preferences turn off, whose queued mail is withdrawn.
    stopped: Vec<Topic>,
    switches: Vec<(EnrollmentId, bool)>,
}

impl Changes {
    fn is_empty(&self) -> bool {
        self.preferences.is_none() && self.switches.is_empty()
    }
}

impl Notifications {
    /// Builds the service.
    pub fn new(db: Database, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    fn now(&self) -> NaiveDateTime {
        self.clock.now().naive_utc()
    }

    /// The learner's preferences (the defaults if they never chose) and every enrolment's
    /// reminder switch. A read: it takes no write lock.
    pub async fn settings(&self, user: UserId) -> Result<NotificationSettings, NotificationError> {
        self.db.run(move |conn| read_settings(conn, user)).await
    }

    /// Stores the learner's choices; `true` when anything changed (the same choices again
    /// write nothing). One audit entry names which kinds of choice changed and which
    /// enrolments' switches flipped.
    /// `ip` is the client address, for the audit entry.
    pub async fn save(
        &self,
        user: UserId,
        choices: Choices,
        ip: Option<String>,
    ) -> Result<bool, NotificationError> {
        let now = self.now();
        self.db
            .run(move |conn| {
                if changes(conn, user, &choices)?.is_empty() {
                    return Ok(false);
                }
                write_transaction(conn, |conn| {
                    // Read again under the lock: another tab may have saved meanwhile.
                    let changes = changes(conn, user, &choices)?;
                    apply(conn, user, &changes, ip.as_deref(), now)?;
                    Ok(!changes.is_empty())
                })
            })
            .await
    }

    /// Whether the mail an unsubscribe link names still goes out (a read, for the page that
    /// asks to confirm); [`NotificationError::NotFound`] when the account or the enrolment is
    /// gone or not the learner's, so the link does not work.
    pub async fn still_sent(&self, user: UserId, topic: Topic) -> Result<bool, NotificationError> {
        self.db.run(move |conn| still_sent(conn, user, topic)).await
    }

    /// Stops one kind of mail for the learner a verified unsubscribe link names. Idempotent:
    /// a repeat changes and records nothing. A reminders link turns off only its own
    /// enrolment, and only if that enrolment is the learner's.
    /// `ip` is the client address, for the audit entry.
    pub async fn unsubscribe(
        &self,
        user: UserId,
        topic: Topic,
        ip: Option<String>,
    ) -> Result<Unsubscribed, NotificationError> {
        let now = self.now();
        self.db
            .run(move |conn| {
                if !still_sent(conn, user, topic)? {
                    return Ok(Unsubscribed::AlreadyStopped);
                }
                write_transaction(conn, |conn| stop(conn, user, topic, ip.as_deref(), now))
            })
            .await
    }
}

fn read_settings(
    conn: &mut DbConnection,
    user: UserId,
) -> Result<NotificationSettings, NotificationError> {
    let preferences = notification_preference::find(conn, user)?;
    let courses = enrollment::list_for_user(conn, user)?
        .into_iter()
        .map(|e: Enrollment| CourseReminders {
            enrollment: e.id,
            course_slug: e.course_slug,
            enabled: e.reminders_enabled,
        })
        .collect();
    Ok(NotificationSettings { preferences, courses })
}

/// What saving `choices` would change; a course the learner is not enrolled in is refused.
fn changes(
    conn: &mut DbConnection,
    user: UserId,
    choices: &Choices,
) -> Result<Changes, NotificationError> {
    let current = read_settings(conn, user)?;
    let mut changes = Changes::default();
    if current.preferences != choices.preferences {
        changes.changed_fields = choices.preferences.changed_fields(&current.preferences);
        changes.stopped = choices.preferences.topics_stopped(&current.preferences);
        changes.preferences = Some(choices.preferences);
    }
    for (slug, &enabled) in &choices.reminders {
        let course = current
            .courses
            .iter()
            .find(|c| &c.course_slug == slug)
            .ok_or_else(|| NotificationError::UnknownCourse(slug.clone()))?;
        if course.enabled != enabled {
            changes.switches.push((course.enrollment, enabled));
        }
    }
    Ok(changes)
}

fn apply(
    conn: &mut DbConnection,
    user: UserId,
    changes: &Changes,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), NotificationError> {
    if changes.is_empty() {
        return Ok(());
    }
    if let Some(preferences) = &changes.preferences {
        notification_preference::save(conn, user, preferences, now)?;
    }
    for &topic in &changes.stopped {
        reminder_log::withdraw_queued(conn, user, topic, now)?;
    }
    for &(enrollment, enabled) in &changes.switches {
        enrollment::set_reminders_enabled(conn, enrollment, enabled, now)?;
        if !enabled {
            reminder_log::withdraw_queued(conn, user, Topic::Reminders(enrollment), now)?;
        }
    }
    let reminders: BTreeMap<String, bool> =
        changes.switches.iter().map(|(id, on)| (id.to_string(), *on)).collect();
    let detail = serde_json::json!({ "changed": changes.changed_fields, "reminders": reminders });
    record(conn, Some(user), "notifications.updated", user, &detail, ip, now)
}

/// The learner's enrolment `id`, or [`NotificationError::NotFound`] when it is someone else's
/// or gone.
fn own_enrollment(
    conn: &mut DbConnection,
    user: UserId,
    id: EnrollmentId,
) -> Result<Enrollment, NotificationError> {
    enrollment::find_by_id(conn, id)?
        .filter(|e| e.user_id == user)
        .ok_or(NotificationError::NotFound)
}

/// Whether the mail `topic` names still goes to the learner (a read, no lock).
fn still_sent(
    conn: &mut DbConnection,
    user: UserId,
    topic: Topic,
) -> Result<bool, NotificationError> {
    if let Topic::Reminders(id) = topic {
        return Ok(own_enrollment(conn, user, id)?.reminders_enabled);
    }
    if user::find(conn, user.get())?.is_none() {
        return Err(NotificationError::NotFound);
    }
    let preferences = notification_preference::find(conn, user)?;
    Ok(preferences.stopping(topic) != preferences)
}

/// Stops `topic` inside the write transaction and records it when it changed anything.
fn stop(
    conn: &mut DbConnection,
    user: UserId,
    topic: Topic,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<Unsubscribed, NotificationError> {
    let changed = match topic {
        Topic::Reminders(id) => {
            own_enrollment(conn, user, id)?;
            enrollment::set_reminders_enabled(conn, id, false, now)?
        }
        other => {
            let preferences = notification_preference::find(conn, user)?;
            let stopped = preferences.stopping(other);
            if stopped != preferences {
                notification_preference::save(conn, user, &stopped, now)?;
            }
            stopped != preferences
        }
    };
    if !changed {
        return Ok(Unsubscribed::AlreadyStopped);
    }
    reminder_log::withdraw_queued(conn, user, topic, now)?;
    // The link holder is not known to be the learner (a forwarded mail), so no actor.
    let detail = serde_json::json!({ "topic": topic.code() });
    record(conn, None, "notifications.unsubscribe", user, &detail, ip, now)?;
    Ok(Unsubscribed::Stopped)
}

fn record(
    conn: &mut DbConnection,
    actor: Option<UserId>,
    action: &str,
    user: UserId,
    detail: &serde_json::Value,
    ip: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), NotificationError> {
    let target_id = user.to_string();
    let entry = NewEntry {
        actor_id: actor.map(UserId::get),
        action,
        target_type: "user",
        target_id: &target_id,
        detail: &detail.to_string(),
        created_at: now,
        ip,
    };
    Ok(audit::record(conn, &entry)?)
}
