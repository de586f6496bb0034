//! Access codes in the admin console: making one (random or chosen), listing them with their
//! uses, and disabling or re-enabling one. Each change writes its audit entry in its own
//! transaction; uses are still spent only by [`access_code::redeem`]'s single UPDATE.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::Serialize;

use crate::admin::audit::{self, Actor, Target};
use crate::admin::{Console, ConsoleError};
use crate::content::{Catalog, Enrollment as Policy};
use crate::db::models::access_code::{self, AccessCodeRow, NewAccessCode};
use crate::db::{DbConnection, write_transaction};
use crate::domain::access_code::AccessCode;
use crate::domain::ids::AccessCodeId;

/// Longest note kept on a code.
pub const MAX_NOTE_CHARS: usize = 500;

/// Codes per page of the listing.
pub const PAGE_SIZE: i64 = 50;

/// What an admin asks for when making a code; fields are checked by [`Console::create_code`].
#[derive(Debug, Clone, Default)]
pub struct CodeRequest {
    /// A chosen code (case, spaces and dashes do not matter), or `None` for a random one.
    pub code: Option<String>,
    /// The slug of a course whose enrolment is by code.
    pub course: String,
    /// How many learners may use it; `None` for no limit.
    pub max_uses: Option<i64>,
    /// The last UTC day it works; `None` for no expiry.
    pub expires_on: Option<NaiveDate>,
    /// Who or what the code is for (only admins see it).
    pub note: String,
}

/// A code as the console shows it: its limits, how much of it is used, and whether it works.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeView {
    pub id: i64,
    /// The canonical form, `ABCD-EFGH-JK`.
    pub code: String,
    pub course: String,
    pub max_uses: Option<i32>,
    pub uses: i32,
    /// Uses left; `None` when there is no limit.
    pub remaining: Option<i32>,
    /// The first instant it no longer works (UTC, RFC 3339 in JSON, like the others).
    pub expires_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    /// `active`, `disabled`, `expired` or `used_up`: whether a learner can enrol with it now.
    pub state: &'static str,
}

impl CodeView {
    fn new(row: AccessCodeRow, now: NaiveDateTime) -> Self {
        let remaining = row.max_uses.map(|max| (max - row.uses).max(0));
        let state = if row.revoked_at.is_some() {
            "disabled"
        } else if row.expires_at.is_some_and(|at| at <= now) {
            "expired"
        } else if remaining == Some(0) {
            "used_up"
        } else {
            "active"
        };
        Self {
            id: row.id.get(),
            code: row.code,
            course: row.course_slug,
            max_uses: row.max_uses,
            uses: row.uses,
            remaining,
            expires_at: row.expires_at.map(|at| at.and_utc()),
            disabled_at: row.revoked_at.map(|at| at.and_utc()),
            note: row.note,
            created_at: row.created_at.and_utc(),
            state,
        }
    }
}

/// One page of codes and where the next one starts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodePage {
    pub codes: Vec<CodeView>,
    /// Pass as `before` for the next page; `None` on the last one.
    pub next_before: Option<i64>,
}

/// A new code's checked fields.
struct Checked {
    code: AccessCode,
    chosen: bool,
    max_uses: Option<i32>,
    expires_at: Option<NaiveDateTime>,
    note: String,
}

fn invalid(field: &'static str, message: &str) -> ConsoleError {
    ConsoleError::Invalid { field, message: message.to_owned() }
}

/// Checks a request against the content and today's date, naming the first wrong field.
fn check(
    request: &CodeRequest,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> Result<Checked, ConsoleError> {
    let typed = request.code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let (code, chosen) = match typed {
        Some(typed) => (
            AccessCode::parse(typed).ok_or_else(|| {
                invalid(
                    "code",
                    "A code is 10 letters and digits without 0, O, 1, I or L, like ABCD-EFGH-JK.",
                )
            })?,
            true,
        ),
        None => (AccessCode::generate(&mut rand::rng()), false),
    };
    let course = catalog
        .course(request.course.trim())
        .ok_or_else(|| invalid("course", "Choose a course."))?;
    if course.enrollment != Policy::Code {
        return Err(invalid("course", "That course does not use access codes."));
    }
    let max_uses = request
        .max_uses
        .map(|n| i32::try_from(n).ok().filter(|n| *n > 0))
        .map(|n| {
            n.ok_or_else(|| {
                invalid(
                    "max_uses",
                    "Enter a whole number of uses from 1, or leave it empty for no limit.",
                )
            })
        })
        .transpose()?;
    let expires_at = match request.expires_on {
        Some(day) if day < now.date_naive() => {
            return Err(invalid("expires_on", "The last day must be today or later."));
        }
        Some(day) => Some(
            day.succ_opt()
                .ok_or_else(|| invalid("expires_on", "Enter a real date."))?
                .and_time(NaiveTime::MIN),
        ),
        None => None,
    };
    let note = request.note.trim().to_owned();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(invalid("note", "Keep the note under 500 characters."));
    }
    Ok(Checked { code, chosen, max_uses, expires_at, note })
}

impl Console {
    /// Makes a code for a `code` course and records who made it, in one transaction. A chosen
    /// code that already exists is refused on the `code` field.
    pub async fn create_code(
        &self,
        actor: Actor,
        catalog: &Catalog,
        request: CodeRequest,
    ) -> Result<CodeView, ConsoleError> {
        let now = self.now();
        let checked = check(&request, catalog, now)?;
        let course = request.course.trim().to_owned();
        self.db()
            .run(move |conn| {
                write_transaction(conn, |conn| insert_code(conn, &actor, &course, &checked, now))
            })
            .await
    }

    /// One page of codes, newest first, optionally for one course (reads only).
    pub async fn list_codes(
        &self,
        course: Option<String>,
        before: Option<i64>,
    ) -> Result<CodePage, ConsoleError> {
        let now = self.now().naive_utc();
        self.db()
            .run(move |conn| {
                let rows = access_code::list(conn, course.as_deref(), before, PAGE_SIZE + 1)?;
                Ok(page(rows, now))
            })
            .await
    }

    /// Disables (`enabled = false`) or re-enables a code, audited with the change; doing what
    /// is already so changes nothing and records nothing.
    pub async fn set_code_enabled(
        &self,
        actor: Actor,
        id: i64,
        enabled: bool,
    ) -> Result<CodeView, ConsoleError> {
        let now = self.now();
        self.db()
            .run(move |conn| {
                write_transaction(conn, |conn| toggle_code(conn, &actor, id, enabled, now))
            })
            .await
    }
}

fn page(mut rows: Vec<AccessCodeRow>, now: NaiveDateTime) -> CodePage {
    let more = rows.len() > usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    let next_before = more.then(|| rows.last().map(|r| r.id.get())).flatten();
    CodePage { codes: rows.into_iter().map(|r| CodeView::new(r, now)).collect(), next_before }
}

fn insert_code(
    conn: &mut DbConnection,
    actor: &Actor,
    course: &str,
    checked: &Checked,
    now: DateTime<Utc>,
) -> Result<CodeView, ConsoleError> {
    if access_code::find_by_code(conn, checked.code.as_str())?.is_some() {
        return Err(invalid(
            "code",
            "That code is already in use; choose another or leave it empty.",
        ));
    }
    let new = NewAccessCode {
        code: checked.code.as_str(),
        course_slug: course,
        max_uses: checked.max_uses,
        expires_at: checked.expires_at,
        created_by: actor.user_id.map(crate::domain::ids::UserId::get),
        created_at: now.naive_utc(),
        note: &checked.note,
    };
    let row = access_code::insert(conn, &new)?;
    let id = row.id.to_string();
    let detail = serde_json::json!({
        "course": course,
        "max_uses": checked.max_uses,
        "expires_at": checked.expires_at,
        "chosen": checked.chosen,
    });
    let target = Target { kind: "access_code", id: &id };
    audit::record(conn, actor, "access_code.created", target, &detail, now)?;
    Ok(CodeView::new(row, now.naive_utc()))
}

fn toggle_code(
    conn: &mut DbConnection,
    actor: &Actor,
    id: i64,
    enabled: bool,
    now: DateTime<Utc>,
) -> Result<CodeView, ConsoleError> {
    let id = AccessCodeId::from(id);
    access_code::find(conn, id)?.ok_or(ConsoleError::NotFound)?;
    let revoked_at = (!enabled).then_some(now.naive_utc());
    if access_code::set_revoked(conn, id, revoked_at)? > 0 {
        let action = if enabled { "access_code.enabled" } else { "access_code.disabled" };
        let target_id = id.to_string();
        let target = Target { kind: "access_code", id: &target_id };
        audit::record(conn, actor, action, target, &serde_json::json!({}), now)?;
    }
    let row = access_code::find(conn, id)?.ok_or(ConsoleError::NotFound)?;
    Ok(CodeView::new(row, now.naive_utc()))
}
