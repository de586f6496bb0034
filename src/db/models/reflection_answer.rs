//! Learners' answers to lesson reflection prompts: one row per learner and prompt, the text
//! only sealed. Nothing here opens a ciphertext: that is the reflections service's job.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::reflection_answers;
use crate::domain::ids::UserId;
use crate::domain::reflections::ReflectionKey;

/// A stored answer: who, to which prompt, sealed, and whether they share it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reflection_answers)]
pub struct AnswerRow {
    pub id: i64,
    #[diesel(deserialize_as = i64)]
    pub user_id: UserId,
    pub course_slug: String,
    pub lesson_slug: String,
    pub reflection_id: String,
    pub key_id: String,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub share: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl AnswerRow {
    /// The prompt it answers.
    pub fn key(&self) -> ReflectionKey {
        ReflectionKey {
            course: self.course_slug.clone(),
            lesson: self.lesson_slug.clone(),
            reflection: self.reflection_id.clone(),
        }
    }
}

/// A first answer, already sealed.
#[derive(Debug, Clone, Copy, Insertable)]
#[diesel(table_name = reflection_answers)]
pub struct NewAnswer<'a> {
    #[diesel(serialize_as = i64)]
    pub user_id: UserId,
    pub course_slug: &'a str,
    pub lesson_slug: &'a str,
    pub reflection_id: &'a str,
    pub key_id: &'a str,
    pub nonce: &'a [u8],
    pub ciphertext: &'a [u8],
    pub share: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A changed answer or share choice, sealed again.
#[derive(Debug, Clone, Copy, AsChangeset)]
#[diesel(table_name = reflection_answers)]
pub struct AnswerUpdate<'a> {
    pub key_id: &'a str,
    pub nonce: &'a [u8],
    pub ciphertext: &'a [u8],
    pub share: bool,
    pub updated_at: NaiveDateTime,
}

/// One learner's answer to one prompt, if they wrote one.
pub fn find(
    conn: &mut DbConnection,
    user: UserId,
    key: &ReflectionKey,
) -> QueryResult<Option<AnswerRow>> {
    reflection_answers::table
        .filter(reflection_answers::user_id.eq(user.get()))
        .filter(reflection_answers::course_slug.eq(&key.course))
        .filter(reflection_answers::lesson_slug.eq(&key.lesson))
        .filter(reflection_answers::reflection_id.eq(&key.reflection))
        .select(AnswerRow::as_select())
        .first(conn)
        .optional()
}

/// These learners' answers to one lesson's prompts (a learner and their partner), in one query.
pub fn list_for_lesson(
    conn: &mut DbConnection,
    users: &[UserId],
    course: &str,
    lesson: &str,
) -> QueryResult<Vec<AnswerRow>> {
    let ids: Vec<i64> = users.iter().map(|user| user.get()).collect();
    reflection_answers::table
        .filter(reflection_answers::user_id.eq_any(ids))
        .filter(reflection_answers::course_slug.eq(course))
        .filter(reflection_answers::lesson_slug.eq(lesson))
        .order(reflection_answers::id)
        .select(AnswerRow::as_select())
        .load(conn)
}

/// Every answer of these learners (a learner and their partner), by course and lesson.
pub fn list_for_users(conn: &mut DbConnection, users: &[UserId]) -> QueryResult<Vec<AnswerRow>> {
    let ids: Vec<i64> = users.iter().map(|user| user.get()).collect();
    reflection_answers::table
        .filter(reflection_answers::user_id.eq_any(ids))
        .order((
            reflection_answers::course_slug,
            reflection_answers::lesson_slug,
            reflection_answers::id,
        ))
        .select(AnswerRow::as_select())
        .load(conn)
}

/// Stores a first answer unless the learner already has one (two first saves racing); `true`
/// when this call created it. DO NOTHING keeps a PostgreSQL transaction usable.
pub fn insert_if_absent(conn: &mut DbConnection, new: &NewAnswer<'_>) -> QueryResult<bool> {
    let inserted = crate::per_backend!(conn, |c| diesel::insert_into(reflection_answers::table)
        .values(*new)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Replaces a learner's answer and share choice.
pub fn update(
    conn: &mut DbConnection,
    user: UserId,
    key: &ReflectionKey,
    change: &AnswerUpdate<'_>,
) -> QueryResult<usize> {
    diesel::update(
        reflection_answers::table
            .filter(reflection_answers::user_id.eq(user.get()))
            .filter(reflection_answers::course_slug.eq(&key.course))
            .filter(reflection_answers::lesson_slug.eq(&key.lesson))
            .filter(reflection_answers::reflection_id.eq(&key.reflection)),
    )
    .set(*change)
    .execute(conn)
}

/// Up to `limit` answers sealed under a key other than `key_id`, after row id `after`, in id
/// order: one batch of a key rotation.
pub fn list_sealed_under_other_keys(
    conn: &mut DbConnection,
    key_id: &str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<AnswerRow>> {
    reflection_answers::table
        .filter(reflection_answers::key_id.ne(key_id))
        .filter(reflection_answers::id.gt(after))
        .order(reflection_answers::id)
        .limit(limit)
        .select(AnswerRow::as_select())
        .load(conn)
}

/// Replaces an answer's ciphertext with one sealed under `key_id`, only while it is still
/// sealed under `old_key_id` (a concurrent rotation already did it otherwise).
pub fn reseal(
    conn: &mut DbConnection,
    id: i64,
    old_key_id: &str,
    sealed: (&str, &[u8], &[u8]),
) -> QueryResult<usize> {
    let (key_id, nonce, ciphertext) = sealed;
    diesel::update(
        reflection_answers::table.find(id).filter(reflection_answers::key_id.eq(old_key_id)),
    )
    .set((
        reflection_answers::key_id.eq(key_id),
        reflection_answers::nonce.eq(nonce),
        reflection_answers::ciphertext.eq(ciphertext),
    ))
    .execute(conn)
}

/// Stops every answer of these learners being shared (their link ended), so a later link never
/// reveals what was meant for someone else.
pub fn unshare_all(conn: &mut DbConnection, users: &[UserId]) -> QueryResult<usize> {
    let ids: Vec<i64> = users.iter().map(|user| user.get()).collect();
    diesel::update(
        reflection_answers::table
            .filter(reflection_answers::user_id.eq_any(ids))
            .filter(reflection_answers::share.eq(true)),
    )
    .set(reflection_answers::share.eq(false))
    .execute(conn)
}
