//! The outbox in the admin console: what mail is queued, sent, failed or cancelled, each
//! message as it was (or will be) sent, and the two things an admin may do about one: retry a
//! failed message or cancel a queued one. Both are audited in the transaction of the change.

use chrono::{DateTime, NaiveDateTime, Utc};
use lettre::message::Mailbox;
use serde::Serialize;

use crate::admin::audit::{self, Actor, Target};
use crate::admin::{Console, ConsoleError};
use crate::db::models::outbox::{self, Filter, OutboxMessage};
use crate::db::{DbConnection, write_transaction};
use crate::mail::DeferredMail;
use crate::mail::deferred::with_words;

/// Messages per page of the listing.
pub const PAGE_SIZE: i64 = 50;

/// A message in the listing: enough to find it, never its bodies.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageSummary {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    /// `pending`, `sent`, `failed` or `cancelled`.
    pub status: String,
    pub attempts: i32,
    /// UTC, RFC 3339 in JSON (like every instant below).
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A message as sent (or as it will be sent): headers, delivery state and both bodies.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageDetail {
    #[serde(flatten)]
    pub summary: MessageSummary,
    /// The `From` address mail is sent from (the server's setting; the same for every message).
    pub from: String,
    /// The `Message-ID` header the worker sends, derived from the message id.
    pub message_id: String,
    pub list_unsubscribe: Option<String>,
    /// `auto-generated` for scheduled mail, `None` for mail someone's action caused.
    pub auto_submitted: Option<String>,
    /// Until when a worker holds it; in the future while it is being sent.
    pub locked_until: Option<DateTime<Utc>>,
    /// The last SMTP response or error, when an attempt failed.
    pub last_error: Option<String>,
    pub body_text: String,
    /// The HTML body as source text: shown escaped, never rendered in the admin's origin.
    pub body_html: Option<String>,
    /// Whether the admin can retry it (it failed) or cancel it (queued, no worker holds it).
    pub can_retry: bool,
    pub can_cancel: bool,
}

/// One page of messages and where the next one starts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessagePage {
    pub messages: Vec<MessageSummary>,
    /// Pass as `before` for the next page; `None` on the last one.
    pub next_before: Option<i64>,
}

impl From<&OutboxMessage> for MessageSummary {
    fn from(m: &OutboxMessage) -> Self {
        Self {
            id: m.id,
            kind: m.kind.clone(),
            recipient: m.recipient.clone(),
            subject: m.subject.clone(),
            status: m.status.clone(),
            attempts: m.attempts,
            created_at: m.created_at.and_utc(),
            next_attempt_at: m.next_attempt_at.and_utc(),
            sent_at: m.sent_at.map(|at| at.and_utc()),
        }
    }
}

/// `m` with its words: stored, or written now from its facts (a queued reminder). One that can
/// no longer be written says why in place of its subject, so the admin sees what the worker
/// will record.
fn words_of(m: OutboxMessage, deferred: &dyn DeferredMail) -> OutboxMessage {
    if m.payload.is_none() {
        return m;
    }
    match with_words(m.clone(), Some(deferred)) {
        Ok(written) => written,
        Err(error) => OutboxMessage { subject: format!("({error})"), ..m },
    }
}

fn claimed(m: &OutboxMessage, now: NaiveDateTime) -> bool {
    m.locked_until.is_some_and(|until| until > now)
}

impl Console {
    /// One page of messages matching `filter`, newest first (reads only).
    pub async fn list_outbox(
        &self,
        filter: Filter,
        before: Option<i64>,
    ) -> Result<MessagePage, ConsoleError> {
        let deferred = self.deferred.clone();
        self.db()
            .run(move |conn| {
                let mut rows = outbox::list(conn, &filter, before, PAGE_SIZE + 1)?;
                let limit = usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
                let more = rows.len() > limit;
                rows.truncate(limit);
                let next_before = more.then(|| rows.last().map(|m| m.id)).flatten();
                Ok(MessagePage {
                    messages: rows
                        .into_iter()
                        .map(|m| MessageSummary::from(&words_of(m, deferred.as_ref())))
                        .collect(),
                    next_before,
                })
            })
            .await
    }

    /// One message with its headers and bodies; `from` is the configured sender.
    pub async fn outbox_message(
        &self,
        id: i64,
        from: Mailbox,
    ) -> Result<MessageDetail, ConsoleError> {
        let now = self.now().naive_utc();
        let deferred = self.deferred.clone();
        let message = self
            .db()
            .run(move |conn| {
                let found = outbox::find_optional(conn, id)?;
                Ok::<_, ConsoleError>(found.map(|m| words_of(m, deferred.as_ref())))
            })
            .await?
            .ok_or(ConsoleError::NotFound)?;
        Ok(detail(&message, &from, now))
    }

    /// Puts a failed message back in the queue, due now, with its attempts reset (see
    /// [`outbox::retry`]); 409 unless it failed.
    pub async fn retry_message(&self, actor: Actor, id: i64) -> Result<(), ConsoleError> {
        let now = self.now();
        self.db()
            .run(move |conn| write_transaction(conn, |conn| retry(conn, &actor, id, now)))
            .await
    }

    /// Cancels a queued message so the worker never sends it; 409 when it is not queued or a
    /// worker is sending it right now.
    pub async fn cancel_message(&self, actor: Actor, id: i64) -> Result<(), ConsoleError> {
        let now = self.now();
        self.db()
            .run(move |conn| write_transaction(conn, |conn| cancel(conn, &actor, id, now)))
            .await
    }
}

fn detail(m: &OutboxMessage, from: &Mailbox, now: NaiveDateTime) -> MessageDetail {
    MessageDetail {
        summary: MessageSummary::from(m),
        from: from.to_string(),
        message_id: crate::mail::message::message_id(from, m),
        list_unsubscribe: m.list_unsubscribe.clone(),
        auto_submitted: m.auto_submitted.then(|| "auto-generated".to_owned()),
        locked_until: m.locked_until.map(|at| at.and_utc()),
        last_error: m.last_error.clone(),
        body_text: m.body_text.clone(),
        body_html: m.body_html.clone(),
        can_retry: m.status == outbox::STATUS_FAILED,
        can_cancel: m.status == outbox::STATUS_PENDING && !claimed(m, now),
    }
}

fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    before: &OutboxMessage,
    now: DateTime<Utc>,
) -> Result<(), ConsoleError> {
    let id = before.id.to_string();
    let detail = serde_json::json!({
        "kind": before.kind,
        "status_before": before.status,
        "attempts_before": before.attempts,
    });
    audit::record(conn, actor, action, Target { kind: "outbox", id: &id }, &detail, now)?;
    Ok(())
}

fn retry(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), ConsoleError> {
    let before = outbox::find_optional(conn, id)?.ok_or(ConsoleError::NotFound)?;
    if outbox::retry(conn, id, now.naive_utc())? == 0 {
        return Err(ConsoleError::Refused("Only a failed message can be retried."));
    }
    record(conn, actor, "outbox.retried", &before, now)
}

fn cancel(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), ConsoleError> {
    let before = outbox::find_optional(conn, id)?.ok_or(ConsoleError::NotFound)?;
    if outbox::cancel_all(conn, &[id], now.naive_utc())? == 0 {
        let reason = if before.status == outbox::STATUS_PENDING {
            "A worker is sending this message right now, so it cannot be cancelled. Look again in a minute."
        } else {
            "Only a queued message can be cancelled."
        };
        return Err(ConsoleError::Refused(reason));
    }
    record(conn, actor, "outbox.cancelled", &before, now)
}
