//! Partner events about a worksheet, through the outbox. The wording is neutral: it names no
//! worksheet and nothing written in it, so a mail read over a shoulder reveals nothing.

use std::sync::Arc;

use tera::Context;
use url::Url;

use crate::db::DbConnection;
use crate::db::models::{outbox, user};
use crate::domain::ids::UserId;
use crate::templates::EmailTemplates;

use super::{Actor, WorksheetError};

/// "Something changed and waits for your signature."
pub(super) const WAITING: &str = "worksheet_waiting";
/// "Both of you have signed."
pub(super) const SIGNED: &str = "worksheet_signed";

/// What partner mail needs: the templates, and where its link points.
#[derive(Clone)]
pub struct Notices {
    emails: Arc<EmailTemplates>,
    base_url: Url,
}

impl std::fmt::Debug for Notices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notices").field("base_url", &self.base_url.as_str()).finish()
    }
}

impl Notices {
    /// Partner mail rendered from `emails`, linking to the dashboard at `base_url`.
    pub fn new(emails: Arc<EmailTemplates>, base_url: Url) -> Self {
        Self { emails, base_url }
    }
}

/// Queues mail `name` to `to` (once per `dedupe` key), inside the caller's transaction.
pub(super) fn send(
    conn: &mut DbConnection,
    actor: &Actor,
    to: UserId,
    name: &str,
    dedupe: &str,
) -> Result<(), WorksheetError> {
    let Some(recipient) = user::find(conn, to.get())? else { return Ok(()) };
    let mut link = actor.notices.base_url.clone();
    link.set_path("/dashboard");
    let mut context = Context::new();
    context.insert("link", link.as_str());
    let rendered = crate::mail::render(&actor.notices.emails, name, &context)?;
    outbox::enqueue(
        conn,
        &rendered.to_message(&recipient.email, Some(dedupe)),
        actor.now.naive_utc(),
    )?;
    Ok(())
}
