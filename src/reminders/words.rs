//! What a queued reminder says, kept as facts: the scan writes a [`Payload`] on the reminder's
//! outbox row (a hundred bytes or so, not a rendered mail), and [`ReminderWords`] turns it into
//! the mail when the worker sends it or an admin opens it, with the catalog's titles of that
//! moment. A payload holds slugs, counts and the greeting name, nothing a learner wrote.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::content::{Catalog, CatalogStore};
use crate::db::models::outbox::OutboxMessage;
use crate::mail::reminders::{Recipient, ReminderMail, render_reminder};
use crate::mail::{DeferredMail, MailError, RenderedEmail};

use super::Mailing;
use super::compose::PREFERENCES_PATH;
use super::report::ReminderKind;

/// A reminder's facts, as stored in `outbox.payload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Payload {
    /// The greeting name when the reminder was decided.
    pub name: String,
    /// Whether the learner asked for discreet mail (their choice when it was decided).
    pub discreet: bool,
    pub mail: Facts,
}

/// Which reminder, and what it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum Facts {
    /// An inactivity nudge: the course's slug, and where to pick up.
    Nudge { course: String, tier: u32, inactive_days: u32, next_lesson: Option<String> },
    /// Lessons the drip opened.
    NewLessons { opened: Vec<LessonKey> },
    /// The weekly digest's counts and the next lesson.
    Digest { completed: u32, worksheets_saved: u32, next: Option<LessonKey> },
}

/// A lesson by course and lesson slug.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct LessonKey {
    pub course: String,
    pub lesson: String,
}

impl Facts {
    /// Which of the three reminders this is (its name is the outbox `kind`).
    pub fn kind(&self) -> ReminderKind {
        match self {
            Self::Nudge { .. } => ReminderKind::Nudge,
            Self::NewLessons { .. } => ReminderKind::NewLessons,
            Self::Digest { .. } => ReminderKind::Digest,
        }
    }

    /// The mail these facts describe in `catalog`. Lessons no longer in the content are left
    /// out; a nudge whose course is gone, or a new-lessons mail with no lesson left, cannot be
    /// written at all.
    fn resolve<'c>(&self, catalog: &'c Catalog) -> Result<ReminderMail<'c>, MailError> {
        let lesson = |key: &LessonKey| {
            let course = catalog.course(&key.course)?;
            Some((course, course.lesson(&key.lesson)?.lesson))
        };
        match self {
            Self::Nudge { course, tier, inactive_days, next_lesson } => {
                let course = catalog.course(course).ok_or_else(|| gone("its course"))?;
                Ok(ReminderMail::Nudge {
                    course,
                    tier: *tier,
                    inactive_days: *inactive_days,
                    next_lesson: next_lesson
                        .as_deref()
                        .and_then(|slug| Some(course.lesson(slug)?.lesson)),
                })
            }
            Self::NewLessons { opened } => {
                let opened: Vec<_> = opened.iter().filter_map(lesson).collect();
                if opened.is_empty() {
                    return Err(gone("every lesson it announced"));
                }
                Ok(ReminderMail::NewLessons { opened })
            }
            Self::Digest { completed, worksheets_saved, next } => Ok(ReminderMail::Digest {
                completed_this_week: *completed,
                worksheets_saved_this_week: *worksheets_saved,
                next: next.as_ref().and_then(lesson),
            }),
        }
    }
}

fn gone(what: &str) -> MailError {
    MailError::Deferred(format!("{what} is no longer in the content"))
}

/// Writes queued reminders into mail: the worker's and the admin console's [`DeferredMail`].
#[derive(Debug, Clone)]
pub struct ReminderWords {
    mailing: Mailing,
    catalog: Arc<CatalogStore>,
}

impl ReminderWords {
    /// Renders with `mailing`'s templates and links against the live catalog in `catalog`.
    pub fn new(mailing: Mailing, catalog: Arc<CatalogStore>) -> Self {
        Self { mailing, catalog }
    }
}

impl DeferredMail for ReminderWords {
    fn render(&self, message: &OutboxMessage, payload: &str) -> Result<RenderedEmail, MailError> {
        let payload: Payload = serde_json::from_str(payload)
            .map_err(|error| MailError::Deferred(format!("its facts do not parse: {error}")))?;
        let catalog = self
            .catalog
            .current()
            .ok_or_else(|| MailError::Deferred("no course catalog is loaded".to_owned()))?;
        let mail = payload.mail.resolve(&catalog)?;
        let base_url = &self.mailing.base_url;
        let preferences_url = format!("{base_url}{PREFERENCES_PATH}");
        let to = Recipient {
            display_name: &payload.name,
            discreet: payload.discreet,
            unsubscribe_url: message.list_unsubscribe.as_deref().unwrap_or(&preferences_url),
            preferences_url: &preferences_url,
            base_url,
        };
        render_reminder(&self.mailing.templates, &mail, &to)
    }
}
