//! Progress shares: a learner shows their progress in one course to their partner, for as long
//! as the link lasts or until they take it back. No row, nothing visible.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::progress_shares;
use crate::domain::ids::{PartnershipId, UserId};

/// Who shares which course, within which link.
#[derive(Debug, Clone, Copy)]
pub struct Share<'a> {
    pub partnership: PartnershipId,
    pub owner: UserId,
    pub course_slug: &'a str,
}

/// Shares the course; sharing it again changes nothing. `true` when this call shared it.
pub fn insert_if_absent(
    conn: &mut DbConnection,
    share: Share<'_>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let row = (
        progress_shares::partnership_id.eq(share.partnership.get()),
        progress_shares::owner_id.eq(share.owner.get()),
        progress_shares::course_slug.eq(share.course_slug),
        progress_shares::created_at.eq(now),
    );
    let inserted = crate::per_backend!(conn, |c| diesel::insert_into(progress_shares::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Stops sharing the course; `true` when it was shared.
pub fn delete(conn: &mut DbConnection, share: Share<'_>) -> QueryResult<bool> {
    let deleted = diesel::delete(
        progress_shares::table
            .filter(progress_shares::partnership_id.eq(share.partnership.get()))
            .filter(progress_shares::owner_id.eq(share.owner.get()))
            .filter(progress_shares::course_slug.eq(share.course_slug)),
    )
    .execute(conn)?;
    Ok(deleted > 0)
}

/// The courses `owner` shares within the link, alphabetically.
pub fn courses_shared_by(
    conn: &mut DbConnection,
    partnership: PartnershipId,
    owner: UserId,
) -> QueryResult<Vec<String>> {
    progress_shares::table
        .filter(progress_shares::partnership_id.eq(partnership.get()))
        .filter(progress_shares::owner_id.eq(owner.get()))
        .order(progress_shares::course_slug)
        .select(progress_shares::course_slug)
        .load(conn)
}

/// Drops every share of a link when it ends: nothing stays visible to a former partner.
pub fn delete_for_partnership(
    conn: &mut DbConnection,
    partnership: PartnershipId,
) -> QueryResult<usize> {
    diesel::delete(
        progress_shares::table.filter(progress_shares::partnership_id.eq(partnership.get())),
    )
    .execute(conn)
}
