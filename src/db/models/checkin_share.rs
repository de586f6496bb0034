//! Check-in sharing: a learner lets their partner see whether they checked in today and their
//! weekly mood average, within one partner link. No row, nothing visible; a new link starts
//! unshared because the row names the link it was given in.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::checkin_shares;
use crate::domain::ids::{PartnershipId, UserId};

/// Whether `owner` shares their check-in glance within `partnership`.
pub fn is_shared(
    conn: &mut DbConnection,
    owner: UserId,
    partnership: PartnershipId,
) -> QueryResult<bool> {
    let found: Option<i64> = checkin_shares::table
        .find(owner.get())
        .filter(checkin_shares::partnership_id.eq(partnership.get()))
        .select(checkin_shares::user_id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Shares within `partnership` (replacing a share from an earlier link).
pub fn share(
    conn: &mut DbConnection,
    owner: UserId,
    partnership: PartnershipId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    unshare(conn, owner)?;
    diesel::insert_into(checkin_shares::table)
        .values((
            checkin_shares::user_id.eq(owner.get()),
            checkin_shares::partnership_id.eq(partnership.get()),
            checkin_shares::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stops sharing; `true` when something was shared.
pub fn unshare(conn: &mut DbConnection, owner: UserId) -> QueryResult<bool> {
    let deleted = diesel::delete(checkin_shares::table.find(owner.get())).execute(conn)?;
    Ok(deleted > 0)
}

/// Removes every share made within `partnership` when the link ends, so no stale row outlives
/// the link it was given in.
pub fn delete_for_partnership(
    conn: &mut DbConnection,
    partnership: PartnershipId,
) -> QueryResult<usize> {
    diesel::delete(
        checkin_shares::table.filter(checkin_shares::partnership_id.eq(partnership.get())),
    )
    .execute(conn)
}
