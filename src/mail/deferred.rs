//! Mail whose words are written when it is sent. Bulk mail (the reminder scan's) is queued as
//! a few facts in `outbox.payload` and rendered here, by whoever owns those facts, when the
//! worker sends it or an admin opens it: a scan that queues fifty thousand reminders writes a
//! small row each instead of a rendered mail, and each mail uses the course's titles and
//! wording as they are when it goes out.

use crate::db::models::outbox::OutboxMessage;
use crate::mail::{MailError, RenderedEmail};

/// Renders the subject and bodies of a queued message from its `payload`.
pub trait DeferredMail: Send + Sync + std::fmt::Debug {
    /// The words of `message`, whose `payload` is set. An error means the mail cannot be
    /// written any more (say, its course left the content); it is recorded on the row.
    fn render(&self, message: &OutboxMessage, payload: &str) -> Result<RenderedEmail, MailError>;
}

/// `message` with its words: as stored, or rendered from its payload by `deferred`.
pub fn with_words(
    message: OutboxMessage,
    deferred: Option<&dyn DeferredMail>,
) -> Result<OutboxMessage, MailError> {
    let Some(payload) = message.payload.as_deref() else { return Ok(message) };
    let renderer = deferred.ok_or_else(|| {
        MailError::Deferred("this process has no renderer for queued reminders".to_owned())
    })?;
    let words = renderer.render(&message, payload)?;
    Ok(OutboxMessage {
        subject: words.subject,
        body_text: words.body_text,
        body_html: Some(words.body_html),
        ..message
    })
}
