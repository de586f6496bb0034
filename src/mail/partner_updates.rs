//! Partner updates: the mail a learner gets because of something their partner did (accepted
//! the invitation, ended the link, changed or signed a shared worksheet). Unlike security mail,
//! these follow the learner's choices: sent only while `partner_updates` is on, held until
//! their send window opens, and carrying a one-click unsubscribe link (`List-Unsubscribe`)
//! and a footer to manage or stop them. The invitation itself is not one of these: the invitee
//! has chosen nothing yet, so it stays one neutral mail with no list headers.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tera::Context;
use url::Url;

use crate::auth::unsubscribe::UnsubscribeKey;
use crate::db::DbConnection;
use crate::db::models::{notification_preference, outbox, user};
use crate::domain::drip::parse_zone;
use crate::domain::ids::UserId;
use crate::domain::notifications::Topic;
use crate::mail::MailError;
use crate::templates::EmailTemplates;

/// Where the footer's "Manage notifications" link points.
pub const NOTIFICATIONS_PATH: &str = "/account/notifications";

/// What partner-update mail needs: the templates, the site's address and the key that signs
/// unsubscribe links. Cheap to clone (it moves onto the blocking pool with each unit of work).
#[derive(Clone)]
pub struct PartnerUpdates {
    emails: Arc<EmailTemplates>,
    base_url: Url,
    unsubscribe: UnsubscribeKey,
}

impl std::fmt::Debug for PartnerUpdates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartnerUpdates").field("base_url", &self.base_url.as_str()).finish()
    }
}

/// One partner update to queue: which template, where its link points, and its idempotency key.
#[derive(Debug, Clone, Copy)]
pub struct Update<'a> {
    /// The template under `templates/emails/` (`partner_accepted`, `worksheet_signed`, …).
    pub name: &'a str,
    /// The path the mail's main link opens.
    pub path: &'a str,
    /// Makes queueing idempotent (see [`outbox::NewMessage::dedupe_key`]).
    pub dedupe_key: Option<&'a str>,
}

/// What became of one update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    /// Queued as outbox row `id` (due when the learner's send window is open).
    Row(i64),
    /// Already queued under the same dedupe key.
    Duplicate,
    /// The learner turned partner updates off.
    TurnedOff,
    /// No such account (deleted in the meantime).
    NoRecipient,
}

impl PartnerUpdates {
    /// Partner updates rendered from `emails`, linking under `base_url`, with unsubscribe links
    /// signed by `unsubscribe`.
    pub fn new(emails: Arc<EmailTemplates>, base_url: Url, unsubscribe: UnsubscribeKey) -> Self {
        Self { emails, base_url, unsubscribe }
    }

    /// Queues `update` for `to` inside the caller's transaction, so the mail exists if and only
    /// if the event does, and the preference read is the one in force when it happened.
    pub fn queue(
        &self,
        conn: &mut DbConnection,
        to: UserId,
        update: Update<'_>,
        now: DateTime<Utc>,
    ) -> Result<Queued, MailError> {
        let Some(recipient) = user::find(conn, to.get())? else {
            return Ok(Queued::NoRecipient);
        };
        let preferences = notification_preference::find(conn, to)?;
        if !preferences.partner_updates {
            tracing::info!(user = %to, kind = update.name, "partner update not queued: turned off");
            return Ok(Queued::TurnedOff);
        }
        let unsubscribe = self.unsubscribe.link(self.base_url.as_str(), to, Topic::PartnerUpdates);
        let rendered =
            crate::mail::render(&self.emails, update.name, &self.context(update, &unsubscribe))?;
        let opens = preferences.window.next_open(parse_zone(&recipient.time_zone), now);
        let message = outbox::NewMessage {
            list_unsubscribe: Some(&unsubscribe),
            not_before: Some(opens.naive_utc()),
            payload: None,
            ..rendered.to_message(&recipient.email, update.dedupe_key)
        };
        Ok(match outbox::enqueue(conn, &message, now.naive_utc())? {
            Some(id) => Queued::Row(id),
            None => Queued::Duplicate,
        })
    }

    /// The template context: the main link, and the footer's two links.
    fn context(&self, update: Update<'_>, unsubscribe: &str) -> Context {
        let mut context = Context::new();
        context.insert("link", self.url(update.path).as_str());
        context.insert("preferences_url", self.url(NOTIFICATIONS_PATH).as_str());
        context.insert("unsubscribe_url", unsubscribe);
        context
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.base_url.clone();
        url.set_path(path);
        url.set_query(None);
        url
    }
}
