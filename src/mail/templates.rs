//! Email templates are data: `templates/emails/<name>/{subject.txt, body.txt, body.html}`, all
//! rendered from one context by the mail environment, [`EmailTemplates`] (HTML is escaped, text
//! is not). Anything in a subject or body can be read over a shoulder or on a lock screen, so
//! templates say nothing about courses, partners or what a learner is working through.

use tera::Context;

use crate::db::models::outbox::NewMessage;
use crate::mail::MailError;
use crate::templates::EmailTemplates;

/// One email rendered from its templates, ready to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// The template's name, stored as the outbox `kind`.
    pub kind: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

impl RenderedEmail {
    /// The outbox row for sending this email to `recipient`.
    pub fn to_message<'a>(
        &'a self,
        recipient: &'a str,
        dedupe_key: Option<&'a str>,
    ) -> NewMessage<'a> {
        NewMessage {
            kind: &self.kind,
            recipient,
            subject: &self.subject,
            body_text: &self.body_text,
            body_html: Some(&self.body_html),
            dedupe_key,
            list_unsubscribe: None,
            auto_submitted: false,
            not_before: None,
            payload: None,
        }
    }
}

/// Renders `emails/<name>/` with `context`. The subject is folded onto one line.
pub fn render(
    templates: &EmailTemplates,
    name: &str,
    context: &Context,
) -> Result<RenderedEmail, MailError> {
    let part = |file: &str| {
        let template = format!("emails/{name}/{file}");
        templates
            .render(&template, context)
            .map_err(|source| MailError::Template { name: template, source })
    };
    let subject = part("subject.txt")?;
    Ok(RenderedEmail {
        kind: name.to_owned(),
        subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
        body_text: part("body.txt")?,
        body_html: part("body.html")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verify_email(link: &str) -> RenderedEmail {
        let templates = EmailTemplates::load().unwrap();
        let mut context = Context::new();
        context.insert("link", link);
        context.insert("valid_hours", &24);
        render(&templates, "verify_email", &context).unwrap()
    }

    #[test]
    fn verify_email_renders_every_part_with_the_link() {
        let email = verify_email("https://mend.test/verify?t=abc&x=1");
        assert_eq!(email.subject, "Confirm your email for Mend");
        assert!(email.body_text.contains("https://mend.test/verify?t=abc&x=1"));
        assert!(email.body_html.contains("https://mend.test/verify?t=abc&amp;x=1"));
        assert!(email.body_text.contains("ignore this email"));
    }

    #[test]
    fn account_emails_say_nothing_sensitive() {
        let templates = EmailTemplates::load().unwrap();
        let mut context = Context::new();
        context.insert("link", "https://mend.test/v");
        context.insert("valid_hours", &24);
        context.insert("valid_minutes", &30);
        context.insert("valid_days", &7);
        context.insert("preferences_url", "https://mend.test/account/notifications");
        context.insert("unsubscribe_url", "https://mend.test/unsubscribe/7.p.x");
        for name in [
            "verify_email",
            "account_exists",
            "reset_password",
            "password_changed",
            "confirm_new_email",
            "email_changed",
            "partner_invited",
            "partner_accepted",
            "partner_ended",
            "worksheet_waiting",
            "worksheet_signed",
            "enrollment_invited",
            "enrollment_added",
        ] {
            let email = render(&templates, name, &context).unwrap();
            let all = format!("{} {} {}", email.subject, email.body_text, email.body_html);
            let all = all.to_lowercase();
            for word in [
                "recover", "betray", "therap", "affair", "course", "lesson", "partner", "couple",
                "trust", "heal",
            ] {
                assert!(!all.contains(word), "{name} mentions {word:?}");
            }
        }
    }

    #[test]
    fn partner_updates_end_with_links_to_manage_and_stop_them() {
        let templates = EmailTemplates::load().unwrap();
        let mut context = Context::new();
        context.insert("link", "https://mend.test/account");
        context.insert("preferences_url", "https://mend.test/account/notifications");
        context.insert("unsubscribe_url", "https://mend.test/unsubscribe/7.p.x");
        for name in ["partner_accepted", "partner_ended", "worksheet_waiting", "worksheet_signed"] {
            let email = render(&templates, name, &context).unwrap();
            for part in [&email.body_text, &email.body_html] {
                assert!(part.contains("https://mend.test/account/notifications"), "{name}");
                assert!(part.contains("https://mend.test/unsubscribe/7.p.x"), "{name}");
                assert!(part.contains("Manage notifications"), "{name}");
            }
        }
        let mut invitation = Context::new();
        invitation.insert("link", "https://mend.test/invitation?token=t");
        invitation.insert("valid_days", &7);
        let email = render(&templates, "partner_invited", &invitation).unwrap();
        assert!(!email.body_text.contains("unsubscribe"), "the invitation has no footer");
    }

    #[test]
    fn missing_templates_name_the_file() {
        let templates = EmailTemplates::load().unwrap();
        let error = render(&templates, "no_such_email", &Context::new()).unwrap_err();
        assert!(error.to_string().contains("emails/no_such_email/subject.txt"));
    }
}
