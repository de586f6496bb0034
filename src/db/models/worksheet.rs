//! Filled-in worksheets and their revisions. A row is one learner's private worksheet
//! (`partnership_id` NULL) or one couple's shared worksheet; each save adds a numbered revision
//! whose answers are stored only sealed. Nothing here opens a ciphertext: that is the
//! worksheets service's job, with the keyring.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{worksheet_revisions, worksheets};
use crate::domain::ids::{PartnershipId, UserId, WorksheetId};

/// A stored worksheet row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = worksheets)]
pub struct WorksheetRow {
    #[diesel(deserialize_as = i64)]
    pub id: WorksheetId,
    #[diesel(deserialize_as = i64)]
    pub owner_id: UserId,
    pub partnership_id: Option<i64>,
    pub course_slug: String,
    pub worksheet_slug: String,
    pub status: String,
    pub revision: i32,
    pub shared_with_partner: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A worksheet row before its first revision.
#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = worksheets)]
pub struct NewWorksheet<'a> {
    #[diesel(serialize_as = i64)]
    pub owner_id: UserId,
    pub partnership_id: Option<i64>,
    pub course_slug: &'a str,
    pub worksheet_slug: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A stored revision: its facts and the sealed answers.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = worksheet_revisions)]
pub struct RevisionRow {
    pub id: i64,
    #[diesel(deserialize_as = i64)]
    pub worksheet_id: WorksheetId,
    pub number: i32,
    pub author_id: Option<i64>,
    pub template_hash: String,
    pub content_hash: String,
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub created_at: NaiveDateTime,
}

/// A new revision, already sealed.
#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = worksheet_revisions)]
pub struct NewRevision<'a> {
    #[diesel(serialize_as = i64)]
    pub worksheet_id: WorksheetId,
    pub number: i32,
    pub author_id: Option<i64>,
    pub template_hash: &'a str,
    pub content_hash: &'a str,
    pub key_id: &'a str,
    pub nonce: &'a [u8],
    pub ciphertext: &'a [u8],
    pub created_at: NaiveDateTime,
}

/// The learner's private worksheet for one catalog worksheet, if it was ever saved.
pub fn find_private(
    conn: &mut DbConnection,
    owner: UserId,
    course: &str,
    worksheet: &str,
) -> QueryResult<Option<WorksheetRow>> {
    worksheets::table
        .filter(worksheets::owner_id.eq(owner.get()))
        .filter(worksheets::partnership_id.is_null())
        .filter(worksheets::course_slug.eq(course))
        .filter(worksheets::worksheet_slug.eq(worksheet))
        .select(WorksheetRow::as_select())
        .first(conn)
        .optional()
}

/// A couple's shared worksheet for one catalog worksheet, if either partner ever saved it.
pub fn find_couple(
    conn: &mut DbConnection,
    partnership: PartnershipId,
    course: &str,
    worksheet: &str,
) -> QueryResult<Option<WorksheetRow>> {
    worksheets::table
        .filter(worksheets::partnership_id.eq(partnership.get()))
        .filter(worksheets::course_slug.eq(course))
        .filter(worksheets::worksheet_slug.eq(worksheet))
        .select(WorksheetRow::as_select())
        .first(conn)
        .optional()
}

/// Every shared worksheet of a couple.
pub fn list_couple(
    conn: &mut DbConnection,
    partnership: PartnershipId,
) -> QueryResult<Vec<WorksheetRow>> {
    worksheets::table
        .filter(worksheets::partnership_id.eq(partnership.get()))
        .order(worksheets::id)
        .select(WorksheetRow::as_select())
        .load(conn)
}

/// Lets the partner read a private worksheet, or stops it.
pub fn set_shared_with_partner(
    conn: &mut DbConnection,
    id: WorksheetId,
    shared: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(worksheets::table.find(id.get()))
        .set((worksheets::shared_with_partner.eq(shared), worksheets::updated_at.eq(now)))
        .execute(conn)
}

/// Stops every private worksheet of `owner` being shared (their link ended).
pub fn unshare_all(conn: &mut DbConnection, owner: UserId) -> QueryResult<usize> {
    diesel::update(
        worksheets::table
            .filter(worksheets::owner_id.eq(owner.get()))
            .filter(worksheets::shared_with_partner.eq(true)),
    )
    .set(worksheets::shared_with_partner.eq(false))
    .execute(conn)
}

/// Deletes a worksheet with its revisions and signatures (cascade).
pub fn delete(conn: &mut DbConnection, id: WorksheetId) -> QueryResult<usize> {
    diesel::delete(worksheets::table.find(id.get())).execute(conn)
}

/// Every private worksheet the learner owns, by course and slug.
pub fn list_private(conn: &mut DbConnection, owner: UserId) -> QueryResult<Vec<WorksheetRow>> {
    worksheets::table
        .filter(worksheets::owner_id.eq(owner.get()))
        .filter(worksheets::partnership_id.is_null())
        .order((worksheets::course_slug, worksheets::worksheet_slug))
        .select(WorksheetRow::as_select())
        .load(conn)
}

/// Inserts the row unless the same worksheet already has one (two first saves racing);
/// `true` when this call created it. DO NOTHING keeps a PostgreSQL transaction usable.
pub fn insert_if_absent(conn: &mut DbConnection, new: &NewWorksheet<'_>) -> QueryResult<bool> {
    let inserted = crate::per_backend!(conn, |c| diesel::insert_into(worksheets::table)
        .values(*new)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Moves the worksheet from revision `from` to `to` with `status`, only if it is still at
/// `from`: 0 rows means someone saved first (the caller answers with a conflict). The check
/// and the write are one statement, so two saves from the same base cannot both succeed.
pub fn advance(
    conn: &mut DbConnection,
    id: WorksheetId,
    from: i32,
    to: i32,
    status: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(worksheets::table.find(id.get()).filter(worksheets::revision.eq(from)))
        .set((
            worksheets::revision.eq(to),
            worksheets::status.eq(status),
            worksheets::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Sets the status while the worksheet is still at `revision` (0 rows: a newer save came).
pub fn set_status(
    conn: &mut DbConnection,
    id: WorksheetId,
    revision: i32,
    status: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(worksheets::table.find(id.get()).filter(worksheets::revision.eq(revision)))
        .set((worksheets::status.eq(status), worksheets::updated_at.eq(now)))
        .execute(conn)
}

/// Stores a sealed revision.
pub fn insert_revision(conn: &mut DbConnection, new: &NewRevision<'_>) -> QueryResult<()> {
    diesel::insert_into(worksheet_revisions::table).values(*new).execute(conn).map(drop)
}

/// One revision of a worksheet by number.
pub fn find_revision(
    conn: &mut DbConnection,
    id: WorksheetId,
    number: i32,
) -> QueryResult<Option<RevisionRow>> {
    worksheet_revisions::table
        .filter(worksheet_revisions::worksheet_id.eq(id.get()))
        .filter(worksheet_revisions::number.eq(number))
        .select(RevisionRow::as_select())
        .first(conn)
        .optional()
}

/// Every revision of a worksheet, oldest first.
pub fn list_revisions(conn: &mut DbConnection, id: WorksheetId) -> QueryResult<Vec<RevisionRow>> {
    worksheet_revisions::table
        .filter(worksheet_revisions::worksheet_id.eq(id.get()))
        .order(worksheet_revisions::number)
        .select(RevisionRow::as_select())
        .load(conn)
}

/// Up to `limit` revisions sealed under a key other than `key_id`, after row id `after`, in
/// id order: one batch of a key rotation.
pub fn list_sealed_under_other_keys(
    conn: &mut DbConnection,
    key_id: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<RevisionRow>> {
    worksheet_revisions::table
        .filter(worksheet_revisions::key_id.ne(key_id))
        .filter(worksheet_revisions::id.gt(after))
        .order(worksheet_revisions::id)
        .limit(limit)
        .select(RevisionRow::as_select())
        .load(conn)
}

/// Replaces a revision's ciphertext with one sealed under `key_id`, only while it is still
/// sealed under `old_key_id` (a concurrent rotation already did it otherwise).
pub fn reseal(
    conn: &mut DbConnection,
    revision_id: i64,
    old_key_id: &str,
    sealed: (&str, &[u8], &[u8]),
) -> QueryResult<usize> {
    let (key_id, nonce, ciphertext) = sealed;
    diesel::update(
        worksheet_revisions::table
            .find(revision_id)
            .filter(worksheet_revisions::key_id.eq(old_key_id)),
    )
    .set((
        worksheet_revisions::key_id.eq(key_id),
        worksheet_revisions::nonce.eq(nonce),
        worksheet_revisions::ciphertext.eq(ciphertext),
    ))
    .execute(conn)
}

/// How many worksheet revisions each of these learners saved since `since`, in one grouped
/// query (the weekly digest); learners with none are absent. Counts only: no answer is read.
pub fn count_revisions_since(
    conn: &mut DbConnection,
    authors: &[UserId],
    since: NaiveDateTime,
) -> QueryResult<Vec<(UserId, i64)>> {
    let ids: Vec<i64> = authors.iter().map(|user| user.get()).collect();
    let counts: Vec<(Option<i64>, i64)> = worksheet_revisions::table
        .filter(worksheet_revisions::author_id.eq_any(ids))
        .filter(worksheet_revisions::created_at.gt(since))
        .group_by(worksheet_revisions::author_id)
        .select((worksheet_revisions::author_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(counts.into_iter().filter_map(|(user, n)| Some((user?.into(), n))).collect())
}
