//! Each due reminder as its outbox row will hold it: the facts its mail is written from when it
//! is sent ([`super::words`]), its unsubscribe link for the one kind of mail it is, and the
//! fields that go with it. Nothing is rendered here: that is what keeps a scan's writes small.

use chrono::{DateTime, Utc};

use crate::auth::unsubscribe::UnsubscribeKey;
use crate::content::{Course, Lesson};
use crate::db::models::reminder_log::{KIND_DIGEST, KIND_NUDGE, KIND_UNLOCK};
use crate::domain::ids::{EnrollmentId, UserId};
use crate::domain::notifications::Topic;

use super::Mailing;
use super::batch::{Extras, Learner};
use super::decide::{self, Courses, Decided, Due, DueMail};
use super::words::{Facts, LessonKey, Payload};

/// Where the learner's notification choices are made (the `control` helper's page).
pub(super) const PREFERENCES_PATH: &str = "/account/notifications";

/// One reminder, ready to queue and log.
#[derive(Debug)]
pub(super) struct Outgoing {
    pub user: UserId,
    /// The `reminder_log.kind`.
    pub log_kind: &'static str,
    /// `""` for mail about no single course.
    pub course_slug: String,
    pub enrollment: Option<EnrollmentId>,
    pub tier: Option<i32>,
    pub key: String,
    pub recipient: String,
    /// The outbox `kind`: the template its words come from.
    pub mail_kind: &'static str,
    /// The [`Payload`], as JSON.
    pub payload: String,
    pub unsubscribe: String,
    /// The earliest the mail may go; `None`: at once (the scan decides only inside the send
    /// window, an admin's nudge may be asked for outside it).
    pub not_before: Option<DateTime<Utc>>,
}

/// Every due reminder of the batch, in order.
pub(super) fn compose_all(
    courses: &Courses<'_>,
    learners: &[Learner],
    extras: &Extras,
    mailing: &Mailing,
    decided: &Decided<'_>,
    now: DateTime<Utc>,
) -> Vec<Outgoing> {
    decided.due.iter().map(|due| compose(courses, learners, extras, mailing, due, now)).collect()
}

fn compose(
    courses: &Courses<'_>,
    learners: &[Learner],
    extras: &Extras,
    mailing: &Mailing,
    due: &Due<'_>,
    now: DateTime<Utc>,
) -> Outgoing {
    let learner = &learners[due.learner];
    let user = learner.id();
    let (topic, log_kind, course_slug, enrollment, tier) = match &due.mail {
        DueMail::Nudge { enrollment, course, nudge } => {
            let id = learner.enrollments.get(*enrollment).map(|e| e.id);
            let topic = id.map_or(Topic::NewLessons, Topic::Reminders);
            let tier = i32::try_from(nudge.tier).ok();
            (topic, KIND_NUDGE, course.course.slug.clone(), id, tier)
        }
        DueMail::NewLessons { .. } => (Topic::NewLessons, KIND_UNLOCK, String::new(), None, None),
        DueMail::Digest { .. } => (Topic::Digest, KIND_DIGEST, String::new(), None, None),
    };
    let unsubscribe = link(&mailing.unsubscribe, &mailing.base_url, user, topic);
    let facts = reminder_facts(courses, learner, extras, due, now);
    let mail_kind = facts.kind().as_str();
    let payload = Payload {
        name: learner.recipient.display_name.clone(),
        discreet: learner.facts.preferences.discreet,
        mail: facts,
    };
    Outgoing {
        user,
        log_kind,
        course_slug,
        enrollment,
        tier,
        key: due.key().to_owned(),
        recipient: learner.recipient.email.clone(),
        mail_kind,
        // Strings, numbers and enums only: serialising cannot fail.
        payload: serde_json::to_string(&payload).unwrap_or_default(),
        unsubscribe,
        not_before: None,
    }
}

fn link(key: &UnsubscribeKey, base_url: &str, user: UserId, topic: Topic) -> String {
    key.link(base_url, user, topic)
}

fn reminder_facts(
    courses: &Courses<'_>,
    learner: &Learner,
    extras: &Extras,
    due: &Due<'_>,
    now: DateTime<Utc>,
) -> Facts {
    let records = |slug: &str| extras.records(learner.id(), slug);
    match &due.mail {
        DueMail::Nudge { enrollment, course, nudge } => {
            let next_lesson = learner.enrollments.get(*enrollment).and_then(|e| {
                decide::next_lesson(course, learner, e, records(&course.course.slug), now)
            });
            Facts::Nudge {
                course: course.course.slug.clone(),
                tier: nudge.tier,
                inactive_days: nudge.inactive_days,
                next_lesson: next_lesson.map(|lesson| lesson.slug.clone()),
            }
        }
        DueMail::NewLessons { opened, .. } => Facts::NewLessons {
            opened: opened.iter().map(|(info, lesson)| lesson_key(info.course, lesson)).collect(),
        },
        DueMail::Digest { .. } => Facts::Digest {
            completed: extras.completed.get(&learner.id()).copied().unwrap_or(0),
            worksheets_saved: extras.worksheets_saved.get(&learner.id()).copied().unwrap_or(0),
            next: digest_next(courses, learner, extras, now)
                .map(|(course, lesson)| lesson_key(course, lesson)),
        },
    }
}

fn lesson_key(course: &Course, lesson: &Lesson) -> LessonKey {
    LessonKey { course: course.slug.clone(), lesson: lesson.slug.clone() }
}

/// The next lesson to read across the learner's live enrolments, in enrolment order.
fn digest_next<'c>(
    courses: &Courses<'c>,
    learner: &Learner,
    extras: &Extras,
    now: DateTime<Utc>,
) -> Option<(&'c Course, &'c Lesson)> {
    decide::drip_enrollments(courses, learner, now).find_map(|(e, info)| {
        let records = extras.records(learner.id(), &info.course.slug);
        decide::next_lesson(info, learner, e, records, now).map(|lesson| (info.course, lesson))
    })
}
