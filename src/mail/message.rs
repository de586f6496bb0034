//! Turning a stored outbox row into a MIME message.

use lettre::Message;
use lettre::message::{Mailbox, MultiPart, SinglePart};

use crate::config::Settings;
use crate::db::models::outbox::OutboxMessage;
use crate::mail::MailError;

/// The `From:` mailbox, parsed once from `MEND_MAIL_FROM` so a typo fails at start-up.
pub fn sender(settings: &Settings) -> Result<Mailbox, MailError> {
    settings
        .mail_from
        .parse()
        .map_err(|source| MailError::Sender { value: settings.mail_from.clone(), source })
}

/// Builds the message: plain text alone, or text and HTML as alternatives.
pub fn compose(from: &Mailbox, row: &OutboxMessage) -> Result<Message, MailError> {
    let to: Mailbox = row.recipient.parse().map_err(MailError::Recipient)?;
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&row.subject)
        .message_id(Some(message_id(from, row)));
    let text = row.body_text.clone();
    let built = match &row.body_html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(text, html.clone())),
        None => builder.singlepart(SinglePart::plain(text)),
    };
    built.map_err(MailError::Build)
}

/// Stable across retries, so a receiver can drop the copy a crashed worker may send again;
/// public so the admin console shows the header exactly as sent.
pub fn message_id(from: &Mailbox, row: &OutboxMessage) -> String {
    format!("<outbox.{}.{}@{}>", row.id, row.created_at.and_utc().timestamp(), from.email.domain())
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    fn row(html: Option<&str>) -> OutboxMessage {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap().naive_utc();
        OutboxMessage {
            id: 7,
            kind: "verify_email".into(),
            recipient: "Sam <sam@example.test>".into(),
            subject: "Hello".into(),
            body_text: "Plain words".into(),
            body_html: html.map(str::to_owned),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: at,
            locked_until: None,
            last_error: None,
            dedupe_key: None,
            created_at: at,
            sent_at: None,
            list_unsubscribe: None,
            auto_submitted: false,
        }
    }

    #[test]
    fn text_and_html_become_alternatives_with_a_stable_id() {
        let from: Mailbox = "Mend <no-reply@mend.test>".parse().unwrap();
        let raw = String::from_utf8(compose(&from, &row(Some("<p>Rich</p>"))).unwrap().formatted())
            .unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("Plain words") && raw.contains("<p>Rich</p>"), "{raw}");
        assert!(raw.contains("Message-ID: <outbox.7.1800000000@mend.test>"), "{raw}");
    }

    #[test]
    fn bad_recipient_is_an_error_not_a_panic() {
        let from: Mailbox = "no-reply@mend.test".parse().unwrap();
        let mut bad = row(None);
        bad.recipient = "not an address".into();
        assert!(matches!(compose(&from, &bad), Err(MailError::Recipient(_))));
    }
}
