//! TEMPORARY STAND-IN for `crate::mail::reminders` (the `rules` branch), so the scan builds and
//! its tests run before that lands. Replaced by the real module when `rules` is merged.
#![expect(dead_code, reason = "a stand-in: the real renderer reads every field")]

use crate::content::{Course, Lesson};
use crate::mail::{MailError, RenderedEmail};
use crate::templates::EmailTemplates;

pub struct Recipient<'a> {
    pub display_name: &'a str,
    pub discreet: bool,
    pub unsubscribe_url: &'a str,
    pub preferences_url: &'a str,
    pub base_url: &'a str,
}

pub enum ReminderMail<'a> {
    Nudge {
        course: &'a Course,
        tier: u32,
        inactive_days: u32,
        next_lesson: Option<&'a Lesson>,
    },
    NewLessons {
        opened: Vec<(&'a Course, &'a Lesson)>,
    },
    Digest {
        completed_this_week: u32,
        worksheets_saved_this_week: u32,
        next: Option<(&'a Course, &'a Lesson)>,
    },
}

pub fn render_reminder(
    _templates: &EmailTemplates,
    mail: &ReminderMail<'_>,
    to: &Recipient<'_>,
) -> Result<RenderedEmail, MailError> {
    let kind = match mail {
        ReminderMail::Nudge { .. } => "nudge",
        ReminderMail::NewLessons { .. } => "new_lessons",
        ReminderMail::Digest { .. } => "digest",
    };
    Ok(RenderedEmail {
        kind: kind.into(),
        subject: "A note from Mend".into(),
        body_text: format!(
            "{}/dashboard\n{}\n{}",
            to.base_url, to.preferences_url, to.unsubscribe_url
        ),
        body_html: "<p>stand-in</p>".into(),
    })
}
