//! What a partner may see of the learner's check-ins, only when the learner opts in: whether
//! they checked in today and their mood averaged over the last seven days. Never notes,
//! triggers, what helped or the strength of urges or distress. Sharing belongs to the current
//! link: when it ends, nothing stays visible, and a new link starts unshared.

use crate::db::models::checkin as rows;
use crate::db::models::{checkin_share, partnership, user};
use crate::db::{DbConnection, write_transaction};
use crate::domain::checkins::{self as rules, Mood, PartnerGlance};
use crate::domain::drip::parse_zone;
use crate::domain::ids::UserId;

use super::{Actor, CheckinError, open};

/// The learner's sharing choice, when they have a partner link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// No partner link: nothing to share with.
    NoPartner,
    Shared,
    NotShared,
}

/// Whether the learner shares their check-in glance with their partner now. Reads only.
pub fn sharing(conn: &mut DbConnection, user: UserId) -> Result<Sharing, CheckinError> {
    let Some(link) = partnership::active_for_user(conn, user)? else {
        return Ok(Sharing::NoPartner);
    };
    Ok(if checkin_share::is_shared(conn, user, link.id)? {
        Sharing::Shared
    } else {
        Sharing::NotShared
    })
}

/// Starts or stops sharing; asking for what is already so writes nothing. Starting needs a
/// partner link ([`CheckinError::NoLink`]); stopping always works.
pub fn set_sharing(
    conn: &mut DbConnection,
    actor: &Actor,
    share: bool,
) -> Result<Sharing, CheckinError> {
    let current = sharing(conn, actor.user)?;
    match (current, share) {
        (Sharing::NoPartner, true) => Err(CheckinError::NoLink),
        (Sharing::Shared, true) | (Sharing::NotShared | Sharing::NoPartner, false) => Ok(current),
        (Sharing::NotShared, true) => write_transaction(conn, |conn| {
            let link =
                partnership::active_for_user(conn, actor.user)?.ok_or(CheckinError::NoLink)?;
            checkin_share::share(conn, actor.user, link.id, actor.now.naive_utc())?;
            Ok(Sharing::Shared)
        }),
        (Sharing::Shared, false) => write_transaction(conn, |conn| {
            checkin_share::unshare(conn, actor.user)?;
            Ok(Sharing::NotShared)
        }),
    }
}

/// What the learner's partner shows them, when the partner shares it; `None` otherwise. The
/// partner's days are counted in the partner's own zone. Reads only.
pub fn partner_glance(
    conn: &mut DbConnection,
    actor: &Actor,
) -> Result<Option<PartnerGlance>, CheckinError> {
    let Some(link) = partnership::active_for_user(conn, actor.user)? else { return Ok(None) };
    if !checkin_share::is_shared(conn, link.partner, link.id)? {
        return Ok(None);
    }
    let Some(partner) = user::find(conn, link.partner.get())? else { return Ok(None) };
    let today = rules::local_day(actor.now, parse_zone(&partner.time_zone));
    let since = today - chrono::Duration::days(6);
    let days: Vec<(chrono::NaiveDate, Mood)> =
        rows::list_between(conn, link.partner, since, today)?
            .iter()
            .map(|row| Ok((row.local_date, open(&actor.keyring, row)?.mood)))
            .collect::<Result<_, CheckinError>>()?;
    Ok(Some(rules::partner_glance(&days, today)))
}
