//! Listing enrolments with filters and keyset pages, with each learner's progress beside them;
//! the actions an admin takes on a selection; and the rows of an export.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Actor, EnrolmentAdmin, EnrolmentError};
use crate::content::{Audience, Catalog};
use crate::db::DbError;
use crate::db::models::enrollment_admin::{self, Cursor, ListFilter, Listed, Sort, State};
use crate::db::models::enrollment_invitation as invitation;
use crate::domain::enrollment::EnrollmentStatus;

/// The largest page a list or an export batch loads.
pub const MAX_PAGE: i64 = 1_000;

/// The filters of the list as typed (query string or form); empty means "any".
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(default)]
pub struct ListQuery {
    /// Course slug.
    pub course: String,
    /// `active`, `paused`, `completed`, `expired` or `revoked`.
    pub state: String,
    /// Progress at least this percentage (0–100; needs `course`).
    pub progress_min: String,
    /// Progress at most this percentage (0–100; needs `course`).
    pub progress_max: String,
    /// Last active on or after this day (`YYYY-MM-DD`, UTC).
    pub active_after: String,
    /// Last active before this day (`YYYY-MM-DD`, UTC): who is stuck.
    pub active_before: String,
    /// Enrolled on or after this day.
    pub enrolled_from: String,
    /// Enrolled on or before this day.
    pub enrolled_to: String,
    /// `newest` (default), `oldest` or `inactive`.
    pub sort: String,
    /// The `next` cursor of the previous page.
    pub after: String,
    /// Page size (default 50, at most 1000).
    pub limit: String,
}

/// One enrolment as the admin list, the API and the export show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListedEnrollment {
    pub id: i64,
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub course: String,
    pub course_title: String,
    /// `active`, `paused`, `completed`, `expired` or `revoked`.
    pub state: &'static str,
    pub enrolled_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub last_activity_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub lessons_done: usize,
    pub lessons_total: usize,
    pub percent: u32,
}

/// The export's rows are the list's rows.
pub type ExportRow = ListedEnrollment;

/// One page and where the next begins.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page {
    pub enrollments: Vec<ListedEnrollment>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

/// An invitation still waiting for its person to sign up.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PendingInvitation {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub course: String,
    pub invited_at: NaiveDateTime,
    pub link_expires_at: NaiveDateTime,
    /// The link has lapsed: resend to give them a new one.
    pub link_expired: bool,
}

/// What to do with a selection of enrolments (or, for the invitation actions, invitations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Revoke,
    /// Push the expiry back by this many days (from now if already past); enrolments that
    /// never expire are left alone.
    ExtendDays(u32),
    /// Access lasts until this instant.
    ExtendTo(NaiveDateTime),
    ResendInvitation,
    WithdrawInvitation,
}

/// What a bulk action changed.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct BulkOutcome {
    pub selected: usize,
    pub changed: usize,
}

fn invalid(field: &'static str, message: &str) -> EnrolmentError {
    EnrolmentError::Invalid { field, message: message.to_owned() }
}

fn day(field: &'static str, text: &str) -> Result<Option<NaiveDateTime>, EnrolmentError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|d| Some(d.and_time(NaiveTime::MIN)))
        .map_err(|_| invalid(field, "Use a date like 2026-12-31."))
}

fn percent(field: &'static str, text: &str) -> Result<Option<u32>, EnrolmentError> {
    match text.trim() {
        "" => Ok(None),
        typed => typed
            .parse::<u32>()
            .ok()
            .filter(|p| *p <= 100)
            .map(Some)
            .ok_or_else(|| invalid(field, "Use a whole number from 0 to 100.")),
    }
}

/// The learner-visible lessons of a course, in order.
fn lesson_slugs<'a>(catalog: &'a Catalog, course: &str) -> Vec<&'a str> {
    catalog
        .course(course)
        .map(|c| c.lessons_for(Audience::Learner).map(|(_, l)| l.slug.as_str()).collect())
        .unwrap_or_default()
}

impl ListQuery {
    /// The filled-in fields as `name=value` pairs (for page and export links).
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("course", &self.course),
            ("state", &self.state),
            ("progress_min", &self.progress_min),
            ("progress_max", &self.progress_max),
            ("active_after", &self.active_after),
            ("active_before", &self.active_before),
            ("enrolled_from", &self.enrolled_from),
            ("enrolled_to", &self.enrolled_to),
            ("sort", &self.sort),
            ("after", &self.after),
            ("limit", &self.limit),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.as_str()))
        .collect()
    }

    /// The typed filter, sort, cursor and page size; a bad field is named.
    fn parse(
        &self,
        catalog: &Catalog,
        now: NaiveDateTime,
    ) -> Result<(ListFilter, Sort, Option<Cursor>, i64), EnrolmentError> {
        let course = Some(self.course.trim()).filter(|c| !c.is_empty()).map(str::to_owned);
        if let Some(slug) = &course {
            catalog.course(slug).ok_or_else(|| invalid("course", "There is no such course."))?;
        }
        let state = match self.state.trim() {
            "" => None,
            typed => Some(
                serde_json::from_value::<State>(serde_json::Value::String(typed.to_owned()))
                    .map_err(|_| {
                        invalid("state", "Choose active, paused, completed, expired or revoked.")
                    })?,
            ),
        };
        let (min, max) = (
            percent("progress_min", &self.progress_min)?,
            percent("progress_max", &self.progress_max)?,
        );
        let total = course.as_deref().map_or(0, |c| lesson_slugs(catalog, c).len()) as i64;
        if (min.is_some() || max.is_some()) && course.is_none() {
            return Err(invalid("progress_min", "Choose a course to filter by progress."));
        }
        let filter = ListFilter {
            course,
            state,
            done_at_least: min.map(|p| (i64::from(p) * total + 99) / 100),
            done_at_most: max.map(|p| i64::from(p) * total / 100),
            active_after: day("active_after", &self.active_after)?,
            active_before: day("active_before", &self.active_before)?,
            enrolled_from: day("enrolled_from", &self.enrolled_from)?,
            enrolled_until: day("enrolled_to", &self.enrolled_to)?.map(|d| d + Duration::days(1)),
            ids: None,
            now,
        };
        let sort = match self.sort.trim() {
            "" | "newest" => Sort::Newest,
            "oldest" => Sort::Oldest,
            "inactive" => Sort::Inactive,
            _ => return Err(invalid("sort", "Choose newest, oldest or inactive.")),
        };
        let limit = match self.limit.trim() {
            "" => 50,
            typed => typed
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or_else(|| invalid("limit", "Use a number from 1 to 1000."))?,
        };
        Ok((filter, sort, parse_cursor(&self.after)?, limit))
    }
}

/// `after` is `<key in microseconds since 1970>_<id>`: opaque to clients, no personal data.
fn parse_cursor(text: &str) -> Result<Option<Cursor>, EnrolmentError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let bad = || invalid("after", "That page link is not valid; start from the first page.");
    let (key, id) = text.trim().split_once('_').ok_or_else(bad)?;
    let micros: i64 = key.parse().map_err(|_| bad())?;
    let key = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?.naive_utc();
    Ok(Some(Cursor { key, id: id.parse().map_err(|_| bad())? }))
}

fn cursor_of(row: &Listed, sort: Sort) -> Cursor {
    let e = &row.enrollment;
    let key = match sort {
        Sort::Newest | Sort::Oldest => e.enrolled_at,
        Sort::Inactive => e.last_activity_at.unwrap_or(e.enrolled_at),
    };
    Cursor { key, id: e.id.get() }
}

/// Filters parsed once, for reading an export batch by batch.
#[derive(Debug, Clone)]
pub struct ExportPlan {
    catalog: std::sync::Arc<Catalog>,
    filter: ListFilter,
    sort: Sort,
    now: DateTime<Utc>,
}

impl ExportPlan {
    /// Up to `limit` rows after `cursor`, with progress, and the cursor of the next batch.
    fn rows(
        &self,
        conn: &mut crate::db::DbConnection,
        cursor: Option<Cursor>,
        limit: i64,
    ) -> Result<(Vec<ListedEnrollment>, Option<Cursor>), DbError> {
        let mut rows = enrollment_admin::list(conn, &self.filter, self.sort, cursor, limit + 1)?;
        let more = rows.len() as i64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        let next = if more { rows.last().map(|r| cursor_of(r, self.sort)) } else { None };
        Ok((with_progress(conn, rows, &self.catalog, self.now)?, next))
    }

    /// One export batch ([`MAX_PAGE`] rows) after `cursor`, and where the next one starts.
    pub fn batch(
        &self,
        conn: &mut crate::db::DbConnection,
        cursor: Option<Cursor>,
    ) -> Result<(Vec<ListedEnrollment>, Option<Cursor>), DbError> {
        self.rows(conn, cursor, MAX_PAGE)
    }
}

fn state_of(row: &Listed, now: DateTime<Utc>) -> &'static str {
    let e = &row.enrollment;
    let expires = e.expires_at.map(|at| at.and_utc());
    match EnrollmentStatus::parse(&e.status).as_of(expires, now) {
        EnrollmentStatus::Active if e.paused_at.is_some() => "paused",
        other => other.as_str(),
    }
}

/// Adds progress to each listed row (one query for the whole page).
fn with_progress(
    conn: &mut crate::db::DbConnection,
    rows: Vec<Listed>,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> Result<Vec<ListedEnrollment>, DbError> {
    let users: Vec<i64> = rows.iter().map(|r| r.enrollment.user_id.get()).collect();
    let mut done: HashMap<(i64, String), HashSet<String>> = HashMap::new();
    for (user, course, lesson) in enrollment_admin::completed_counts(conn, &users)? {
        done.entry((user, course)).or_default().insert(lesson);
    }
    let mut plans: HashMap<String, Vec<&str>> = HashMap::new();
    Ok(rows
        .into_iter()
        .map(|row| {
            let e = &row.enrollment;
            let slugs = plans
                .entry(e.course_slug.clone())
                .or_insert_with(|| lesson_slugs(catalog, &e.course_slug));
            let finished = done.get(&(e.user_id.get(), e.course_slug.clone()));
            let lessons_done =
                finished.map_or(0, |set| slugs.iter().filter(|s| set.contains(**s)).count());
            let lessons_total = slugs.len();
            let percent = (lessons_done * 100).checked_div(lessons_total).unwrap_or(0) as u32;
            ListedEnrollment {
                id: e.id.get(),
                user_id: e.user_id.get(),
                state: state_of(&row, now),
                course_title: catalog
                    .course(&e.course_slug)
                    .map_or_else(|| e.course_slug.clone(), |c| c.title.clone()),
                course: e.course_slug.clone(),
                enrolled_at: e.enrolled_at,
                expires_at: e.expires_at,
                last_activity_at: e.last_activity_at,
                completed_at: e.completed_at,
                lessons_done,
                lessons_total,
                percent,
                email: row.email,
                display_name: row.display_name,
            }
        })
        .collect())
}

impl EnrolmentAdmin {
    /// One page of the list; a read, so it never writes.
    pub async fn list(
        &self,
        catalog: std::sync::Arc<Catalog>,
        query: &ListQuery,
    ) -> Result<Page, EnrolmentError> {
        let now = self.now();
        let (filter, sort, cursor, limit) = query.parse(&catalog, now.naive_utc())?;
        self.page(catalog, filter, sort, cursor, limit).await
    }

    /// The export of the enrolments `query` (and, for a selection, `ids`) matches, in
    /// batches of [`MAX_PAGE`] read by [`ExportPlan::batch`] on the caller's connection.
    pub fn export_plan(
        &self,
        catalog: std::sync::Arc<Catalog>,
        query: &ListQuery,
        ids: Option<Vec<i64>>,
    ) -> Result<ExportPlan, EnrolmentError> {
        let now = self.now();
        let (mut filter, sort, _, _) = query.parse(&catalog, now.naive_utc())?;
        filter.ids = ids;
        Ok(ExportPlan { catalog, filter, sort, now })
    }

    async fn page(
        &self,
        catalog: std::sync::Arc<Catalog>,
        filter: ListFilter,
        sort: Sort,
        cursor: Option<Cursor>,
        limit: i64,
    ) -> Result<Page, EnrolmentError> {
        let plan = ExportPlan { catalog, filter, sort, now: self.now() };
        self.db
            .run(move |conn| {
                let (enrollments, next) = plan.rows(conn, cursor, limit)?;
                let next = next.map(|c| format!("{}_{}", c.key.and_utc().timestamp_micros(), c.id));
                Ok(Page { enrollments, next })
            })
            .await
    }

    /// Open invitations (newest first, at most 200), for the "waiting to sign up" table.
    pub async fn pending_invitations(
        &self,
        course: Option<String>,
    ) -> Result<Vec<PendingInvitation>, EnrolmentError> {
        let now = self.now().naive_utc();
        let found = self
            .db
            .run(move |conn| {
                invitation::list_open_for_course(conn, course.as_deref(), 200)
                    .map_err(DbError::from)
            })
            .await?;
        Ok(found
            .into_iter()
            .map(|i| PendingInvitation {
                id: i.id,
                link_expired: i.link_expires_at <= now,
                email: i.email,
                display_name: i.display_name,
                course: i.course_slug,
                invited_at: i.created_at,
                link_expires_at: i.link_expires_at,
            })
            .collect())
    }

    /// Applies `action` to the selected ids, each change audited in the same transaction.
    pub async fn bulk(
        &self,
        action: BulkAction,
        ids: Vec<i64>,
        actor: Actor,
    ) -> Result<BulkOutcome, EnrolmentError> {
        let selected = ids.len();
        if selected == 0 {
            return Err(invalid("selection", "Select at least one row first."));
        }
        let now = self.now().naive_utc();
        let changed = match action {
            BulkAction::ResendInvitation => {
                return self
                    .resend_invitations(ids, actor)
                    .await
                    .map(|changed| BulkOutcome { selected, changed });
            }
            BulkAction::Revoke => {
                self.db
                    .transaction(move |conn| {
                        let changed = enrollment_admin::revoke(conn, &ids, now)?;
                        audit_each(
                            conn,
                            &actor,
                            "enrollment.revoked",
                            "enrollment",
                            &changed,
                            &serde_json::json!({}),
                            now,
                        )?;
                        Ok::<_, EnrolmentError>(changed.len())
                    })
                    .await?
            }
            BulkAction::WithdrawInvitation => {
                self.db
                    .transaction(move |conn| {
                        let changed = invitation::revoke(conn, &ids, now)?;
                        audit_each(
                            conn,
                            &actor,
                            "enrollment.invitation_withdrawn",
                            "enrollment_invitation",
                            &changed,
                            &serde_json::json!({}),
                            now,
                        )?;
                        Ok::<_, EnrolmentError>(changed.len())
                    })
                    .await?
            }
            BulkAction::ExtendDays(days) => self.extend(ids, Extension::Days(days), actor).await?,
            BulkAction::ExtendTo(at) => {
                if at <= now {
                    return Err(invalid("expires_on", "Choose a day after today."));
                }
                self.extend(ids, Extension::To(at), actor).await?
            }
        };
        Ok(BulkOutcome { selected, changed })
    }

    async fn extend(
        &self,
        ids: Vec<i64>,
        how: Extension,
        actor: Actor,
    ) -> Result<usize, EnrolmentError> {
        let now = self.now().naive_utc();
        self.db
            .transaction(move |conn| {
                let mut changed = 0;
                for e in enrollment_admin::by_ids(conn, &ids)? {
                    let Some(until) = how.apply(e.expires_at, now) else { continue };
                    if e.status == "revoked" {
                        continue;
                    }
                    if e.status == "expired" {
                        enrollment_admin::restore(conn, e.id.get(), Some(until), now)?;
                    } else {
                        enrollment_admin::set_expiry(conn, e.id.get(), until, now)?;
                    }
                    let detail =
                        serde_json::json!({ "course": e.course_slug, "expires_at": until });
                    super::audit_entry(
                        conn,
                        &actor,
                        "enrollment.extended",
                        ("enrollment", &e.id.to_string()),
                        &detail,
                        now,
                    )?;
                    changed += 1;
                }
                Ok::<_, EnrolmentError>(changed)
            })
            .await
    }
}

/// How an expiry moves.
#[derive(Debug, Clone, Copy)]
enum Extension {
    Days(u32),
    To(NaiveDateTime),
}

impl Extension {
    /// The new expiry, or `None` to leave the enrolment alone (it never expires).
    fn apply(self, current: Option<NaiveDateTime>, now: NaiveDateTime) -> Option<NaiveDateTime> {
        match self {
            Self::Days(days) => current.map(|at| at.max(now) + Duration::days(i64::from(days))),
            Self::To(at) => Some(at),
        }
    }
}

fn audit_each(
    conn: &mut crate::db::DbConnection,
    actor: &Actor,
    action: &str,
    kind: &str,
    ids: &[i64],
    detail: &serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let targets: Vec<_> = ids.iter().map(|id| (kind, id.to_string(), detail.clone())).collect();
    super::audit_entries(conn, actor, action, &targets, now)
}
