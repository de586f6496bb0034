//! Signatures on worksheet revisions: who signed which revision, under what name, and the
//! revision's content hash at the time, so a signature can never be moved onto other words.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::signatures;
use crate::domain::ids::WorksheetId;

/// A stored signature.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = signatures)]
pub struct SignatureRow {
    pub revision: i32,
    pub user_id: Option<i64>,
    pub full_name: String,
    pub content_hash: String,
    pub signed_at: NaiveDateTime,
}

/// A new signature.
#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = signatures)]
pub struct NewSignature<'a> {
    #[diesel(serialize_as = i64)]
    pub worksheet_id: WorksheetId,
    pub revision: i32,
    pub user_id: Option<i64>,
    pub full_name: &'a str,
    pub content_hash: &'a str,
    pub signed_at: NaiveDateTime,
}

/// Stores the signature unless this signer already signed this revision (signing twice is a
/// no-op); `true` when this call stored it.
pub fn insert_if_absent(conn: &mut DbConnection, new: &NewSignature<'_>) -> QueryResult<bool> {
    let inserted = crate::per_backend!(conn, |c| diesel::insert_into(signatures::table)
        .values(*new)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Every signature on a worksheet, newest revision first.
pub fn list_for_worksheet(
    conn: &mut DbConnection,
    id: WorksheetId,
) -> QueryResult<Vec<SignatureRow>> {
    signatures::table
        .filter(signatures::worksheet_id.eq(id.get()))
        .order((signatures::revision.desc(), signatures::signed_at))
        .select(SignatureRow::as_select())
        .load(conn)
}
