//! Partner events about a worksheet, through the outbox. The wording is neutral: it names no
//! worksheet and nothing written in it, so a mail read over a shoulder reveals nothing. These
//! are partner updates: sent only while the recipient has them on, in their send window, with
//! a one-click unsubscribe ([`PartnerUpdates`]).

use crate::db::DbConnection;
use crate::domain::ids::UserId;
use crate::mail::{PartnerUpdates, Update};

use super::{Actor, WorksheetError};

/// "Something changed and waits for your signature."
pub(super) const WAITING: &str = "worksheet_waiting";
/// "Both of you have signed."
pub(super) const SIGNED: &str = "worksheet_signed";

/// Where worksheet mail's link points.
const LINK_PATH: &str = "/dashboard";

/// What partner mail needs: the templates, where its links point, and the unsubscribe key.
#[derive(Debug, Clone)]
pub struct Notices {
    updates: PartnerUpdates,
}

impl Notices {
    /// Worksheet mail sent through `updates`, linking to the dashboard.
    pub fn new(updates: PartnerUpdates) -> Self {
        Self { updates }
    }
}

/// Queues mail `name` to `to` (once per `dedupe` key), inside the caller's transaction; nothing
/// when `to` turned partner updates off.
pub(super) fn send(
    conn: &mut DbConnection,
    actor: &Actor,
    to: UserId,
    name: &str,
    dedupe: &str,
) -> Result<(), WorksheetError> {
    let update = Update { name, path: LINK_PATH, dedupe_key: Some(dedupe) };
    actor.notices.updates.queue(conn, to, update, actor.now)?;
    Ok(())
}
