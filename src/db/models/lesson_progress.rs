//! Per-lesson progress: one row per learner, course and lesson slug (unique), created on first
//! touch. Each timestamp is written once, so repeating an action (two tabs, a retry) is harmless.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::lesson_progress;
use crate::domain::ids::UserId;

/// A stored progress row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = lesson_progress)]
pub struct LessonProgress {
    pub id: i64,
    #[diesel(deserialize_as = i64)]
    pub user_id: UserId,
    pub course_slug: String,
    pub lesson_slug: String,
    pub first_viewed_at: Option<NaiveDateTime>,
    pub unlocked_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub content_hash: Option<String>,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = lesson_progress)]
struct NewRow<'a> {
    user_id: i64,
    course_slug: &'a str,
    lesson_slug: &'a str,
    updated_at: NaiveDateTime,
}

/// Which learner's progress in which course.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub user_id: UserId,
    pub course_slug: &'a str,
}

/// Every progress row of a learner in a course, in one query (pages never load per lesson).
pub fn load_course_progress(
    conn: &mut DbConnection,
    owner: Owner<'_>,
) -> QueryResult<Vec<LessonProgress>> {
    lesson_progress::table
        .filter(lesson_progress::user_id.eq(owner.user_id.get()))
        .filter(lesson_progress::course_slug.eq(owner.course_slug))
        .select(LessonProgress::as_select())
        .load(conn)
}

/// Every progress row of a learner in every course, in one query (the dashboard).
pub fn load_user_progress(
    conn: &mut DbConnection,
    user_id: UserId,
) -> QueryResult<Vec<LessonProgress>> {
    lesson_progress::table
        .filter(lesson_progress::user_id.eq(user_id.get()))
        .select(LessonProgress::as_select())
        .load(conn)
}

/// Creates the missing rows for `lessons`; existing rows are left alone (ON CONFLICT DO
/// NOTHING, so concurrent callers never duplicate nor abort a transaction). One statement on
/// PostgreSQL; one per new row on SQLite, where diesel has no batch upsert (a local write).
fn ensure_rows(
    conn: &mut DbConnection,
    owner: Owner<'_>,
    lessons: &[&str],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let rows: Vec<NewRow<'_>> = lessons
        .iter()
        .map(|lesson_slug| NewRow {
            user_id: owner.user_id.get(),
            course_slug: owner.course_slug,
            lesson_slug,
            updated_at: now,
        })
        .collect();
    let target =
        (lesson_progress::user_id, lesson_progress::course_slug, lesson_progress::lesson_slug);
    match conn {
        DbConnection::Sqlite(c) => {
            for row in &rows {
                diesel::insert_into(lesson_progress::table)
                    .values(row)
                    .on_conflict(target)
                    .do_nothing()
                    .execute(c)?;
            }
        }
        DbConnection::Postgres(c) => {
            diesel::insert_into(lesson_progress::table)
                .values(&rows)
                .on_conflict(target)
                .do_nothing()
                .execute(c)?;
        }
    }
    Ok(())
}

/// The rows of `owner` for `lessons`, as an update target (a macro: the filtered table's type
/// is long and changes with every filter).
macro_rules! rows_of {
    ($owner:expr, $lessons:expr) => {
        lesson_progress::table
            .filter(lesson_progress::user_id.eq($owner.user_id.get()))
            .filter(lesson_progress::course_slug.eq($owner.course_slug))
            .filter(lesson_progress::lesson_slug.eq_any($lessons.iter().copied()))
    };
}

/// Records the first time the learner opened a lesson; later views keep the first time.
pub fn mark_viewed(
    conn: &mut DbConnection,
    owner: Owner<'_>,
    lesson: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let lessons = [lesson];
    ensure_rows(conn, owner, &lessons, now)?;
    diesel::update(rows_of!(owner, lessons).filter(lesson_progress::first_viewed_at.is_null()))
        .set((lesson_progress::first_viewed_at.eq(now), lesson_progress::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Records that `lessons` were seen unlocked, so they never lock again, keeping the first
/// time for lessons recorded before: two statements on PostgreSQL whatever their number, and on
/// SQLite one more per lesson never touched before (each lesson pays that once).
pub fn mark_unlocked(
    conn: &mut DbConnection,
    owner: Owner<'_>,
    lessons: &[&str],
    now: NaiveDateTime,
) -> QueryResult<()> {
    if lessons.is_empty() {
        return Ok(());
    }
    ensure_rows(conn, owner, lessons, now)?;
    diesel::update(rows_of!(owner, lessons).filter(lesson_progress::unlocked_at.is_null()))
        .set((lesson_progress::unlocked_at.eq(now), lesson_progress::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Marks a lesson done (and unlocked); completing it again keeps the first completion time.
/// `content_hash` records which version of the lesson was completed.
pub fn complete(
    conn: &mut DbConnection,
    owner: Owner<'_>,
    lesson: &str,
    content_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let lessons = [lesson];
    ensure_rows(conn, owner, &lessons, now)?;
    diesel::update(rows_of!(owner, lessons).filter(lesson_progress::completed_at.is_null()))
        .set((
            lesson_progress::completed_at.eq(now),
            lesson_progress::content_hash.eq(content_hash),
            lesson_progress::updated_at.eq(now),
        ))
        .execute(conn)?;
    mark_unlocked(conn, owner, &lessons, now)
}

/// Marks a lesson not done again (it stays unlocked and viewed).
pub fn uncomplete(
    conn: &mut DbConnection,
    owner: Owner<'_>,
    lesson: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let lessons = [lesson];
    diesel::update(rows_of!(owner, lessons).filter(lesson_progress::completed_at.is_not_null()))
        .set((
            lesson_progress::completed_at.eq(None::<NaiveDateTime>),
            lesson_progress::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Every progress row of several learners, in one query (the reminder scan's batches).
pub fn list_for_users(
    conn: &mut DbConnection,
    users: &[UserId],
) -> QueryResult<Vec<LessonProgress>> {
    let ids: Vec<i64> = users.iter().map(|user| user.get()).collect();
    lesson_progress::table
        .filter(lesson_progress::user_id.eq_any(ids))
        .select(LessonProgress::as_select())
        .load(conn)
}

/// How many lessons each of these learners completed since `since`, in one grouped query;
/// learners with none are absent.
pub fn count_completed_since(
    conn: &mut DbConnection,
    users: &[UserId],
    since: NaiveDateTime,
) -> QueryResult<Vec<(UserId, i64)>> {
    let ids: Vec<i64> = users.iter().map(|user| user.get()).collect();
    let counts: Vec<(i64, i64)> = lesson_progress::table
        .filter(lesson_progress::user_id.eq_any(ids))
        .filter(lesson_progress::completed_at.gt(since))
        .group_by(lesson_progress::user_id)
        .select((lesson_progress::user_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(counts.into_iter().map(|(user, n)| (user.into(), n)).collect())
}
