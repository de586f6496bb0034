//! People: finding accounts, reading what a person's page shows, and the actions an admin takes
//! on an account (role, deactivation, confirmation and reset mail, erasure). Every action is
//! audited, with the actor and their address, in the transaction of the change itself.
//!
//! A person's page shows counts and dates, never worksheet answers: nothing here reads the
//! worksheet tables.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::accounts::{AccountError, Accounts};
use crate::admin::Console;
use crate::admin::audit::{self, Actor, Target};
use crate::content::{Audience, Catalog};
use crate::db::models::audit::{self as audit_log, Entry};
use crate::db::models::enrollment::{self, Enrollment};
use crate::db::models::lesson_progress::{self, LessonProgress};
use crate::db::models::people::{self, MailSummary, PeopleFilter};
use crate::db::models::session::{self, Session};
use crate::db::models::user::{self, User};
use crate::db::{DbConnection, DbError};
use crate::domain::account::Role;
use crate::domain::drip::LessonRecord;
use crate::domain::ids::UserId;
use crate::domain::progress;

/// People listed per page (also the API's default and largest page).
pub const PAGE_SIZE: i64 = 50;
/// Sessions, messages and audit entries shown on a person's page.
const DETAIL_ROWS: i64 = 20;

/// Why a People action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("no such person")]
    NotFound,
    /// An admin acting on their own account in a way that could lock them (or everyone) out.
    #[error("{0}")]
    OwnAccount(&'static str),
    /// The action makes no sense for the account as it is (the message says why).
    #[error("{0}")]
    NotApplicable(&'static str),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for PeopleError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(DbError::Query(error))
    }
}

/// One account as listings show it: no password hash, no token, nothing written by the person.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub confirmed: bool,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deactivated_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// The latest use of any of their sessions; `None` when they never signed in.
    #[serde(serialize_with = "crate::domain::utc::optional")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen_at: Option<NaiveDateTime>,
    pub time_zone: String,
}

impl Person {
    fn new(user: User, last_seen_at: Option<NaiveDateTime>) -> Self {
        Self {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            role: user.role,
            confirmed: user.email_verified_at.is_some(),
            deactivated_at: user.deactivated_at,
            created_at: user.created_at,
            last_seen_at,
            time_zone: user.time_zone,
        }
    }
}

/// One page of a People search; `next_before` continues it (keyset cursor: the last id shown).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PeoplePage {
    pub people: Vec<Person>,
    pub next_before: Option<i64>,
}

/// One enrolment on a person's page, with progress counted over the course as compiled now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnrollmentSummary {
    pub course_slug: String,
    /// The course's title, or its slug when the course is no longer in the catalog.
    pub course_title: String,
    pub status: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub enrolled_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_activity_at: Option<NaiveDateTime>,
    pub lessons_done: usize,
    pub lessons_total: usize,
    pub percent: u8,
}

/// One session on a person's page: the device, not the raw user agent or the session id.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionSummary {
    pub device: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub last_seen_at: NaiveDateTime,
    /// Neither signed out, revoked nor expired.
    pub live: bool,
}

/// One message on a person's page: kind, state and dates, never the body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MailLine {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::optional")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<NaiveDateTime>,
}

/// One audit entry about the person.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditLine {
    pub action: String,
    pub actor_id: Option<i64>,
    pub detail: String,
    pub ip: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

/// Everything a person's page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonDetail {
    pub person: Person,
    pub enrollments: Vec<EnrollmentSummary>,
    pub sessions: Vec<SessionSummary>,
    pub mail: Vec<MailLine>,
    pub audit: Vec<AuditLine>,
}

/// What an action did: changed something, or found it already so (said, not an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    AlreadySo,
}

impl Console {
    /// One page of people matching `filter`, newest account first, before the id `before`.
    pub async fn search_people(
        &self,
        filter: PeopleFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<PeoplePage, DbError> {
        let limit = limit.clamp(1, PAGE_SIZE);
        self.db()
            .run(move |conn| {
                let mut found = people::search(conn, &filter, before, limit + 1)?;
                let more = found.len() > usize::try_from(limit).unwrap_or(usize::MAX);
                found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
                let ids: Vec<i64> = found.iter().map(|u| u.id).collect();
                let seen: HashMap<i64, Option<NaiveDateTime>> =
                    people::last_seen(conn, &ids)?.into_iter().collect();
                let next_before = if more { ids.last().copied() } else { None };
                let people = found
                    .into_iter()
                    .map(|u| {
                        let at = seen.get(&u.id).copied().flatten();
                        Person::new(u, at)
                    })
                    .collect();
                Ok(PeoplePage { people, next_before })
            })
            .await
    }

    /// What a person's page shows, or `None` for an unknown id. Reads only. Progress is
    /// counted over `catalog` (none while the content has never compiled: totals read 0).
    pub async fn person(
        &self,
        id: UserId,
        catalog: Option<std::sync::Arc<Catalog>>,
    ) -> Result<Option<PersonDetail>, DbError> {
        let now = self.now().naive_utc();
        self.db().run(move |conn| read_person(conn, catalog.as_deref(), id, now)).await
    }

    /// Gives the account `role`. An admin cannot take the admin role from themselves.
    pub async fn change_role(
        &self,
        actor: Actor,
        target: UserId,
        role: Role,
    ) -> Result<Outcome, PeopleError> {
        if actor.user_id == Some(target) && role != Role::Admin {
            return Err(PeopleError::OwnAccount(
                "You cannot remove your own admin role. Ask another admin to do it.",
            ));
        }
        let now = self.now();
        self.db()
            .transaction(move |conn| {
                let found = existing(conn, target)?;
                if found.role == role.as_str() {
                    return Ok(Outcome::AlreadySo);
                }
                user::set_role(conn, found.id, role.as_str(), now.naive_utc())?;
                let detail = serde_json::json!({ "from": found.role, "to": role.as_str() });
                record(conn, &actor, "user.role_changed", found.id, &detail, now)?;
                Ok(Outcome::Done)
            })
            .await
    }

    /// Deactivates the account: every session ends at once, sign-in is refused and no mail
    /// is queued for it from now on. An admin cannot deactivate themselves.
    pub async fn deactivate(&self, actor: Actor, target: UserId) -> Result<Outcome, PeopleError> {
        if actor.user_id == Some(target) {
            return Err(PeopleError::OwnAccount("You cannot deactivate your own account."));
        }
        let now = self.now();
        self.db()
            .transaction(move |conn| {
                let found = existing(conn, target)?;
                let at = now.naive_utc();
                if user::set_deactivated(conn, found.id, Some(at), at)? == 0 {
                    return Ok(Outcome::AlreadySo);
                }
                let revoked = session::revoke_all(conn, found.id, at)?;
                let detail = serde_json::json!({ "sessions_revoked": revoked });
                record(conn, &actor, "user.deactivated", found.id, &detail, now)?;
                Ok(Outcome::Done)
            })
            .await
    }

    /// Lets a deactivated account sign in (and receive mail) again.
    pub async fn reactivate(&self, actor: Actor, target: UserId) -> Result<Outcome, PeopleError> {
        let now = self.now();
        self.db()
            .transaction(move |conn| {
                let found = existing(conn, target)?;
                if user::set_deactivated(conn, found.id, None, now.naive_utc())? == 0 {
                    return Ok(Outcome::AlreadySo);
                }
                let detail = serde_json::json!({});
                record(conn, &actor, "user.reactivated", found.id, &detail, now)?;
                Ok(Outcome::Done)
            })
            .await
    }

    /// Mails a fresh confirmation link (the same mail as "resend" on the account page).
    pub async fn resend_confirmation(
        &self,
        accounts: &Accounts,
        actor: Actor,
        target: UserId,
    ) -> Result<(), PeopleError> {
        let link = accounts.confirmation_link()?;
        let now = self.now();
        self.db()
            .transaction(move |conn| {
                let found = mailable(conn, target)?;
                if found.email_verified_at.is_some() {
                    return Err(PeopleError::NotApplicable("This address is already confirmed."));
                }
                link.store(conn, found.id, &found.email, now.naive_utc())?;
                let detail = serde_json::json!({});
                record(conn, &actor, "user.confirmation_sent", found.id, &detail, now)
            })
            .await
    }

    /// Mails a password-reset link (the same mail as "forgot password"); the current password
    /// keeps working until the link is used.
    pub async fn send_reset_link(
        &self,
        accounts: &Accounts,
        actor: Actor,
        target: UserId,
    ) -> Result<(), PeopleError> {
        let link = accounts.reset_link()?;
        let now = self.now();
        self.db()
            .transaction(move |conn| {
                let found = mailable(conn, target)?;
                link.store(conn, found.id, &found.email, now.naive_utc())?;
                let detail = serde_json::json!({});
                record(conn, &actor, "user.reset_link_sent", found.id, &detail, now)
            })
            .await
    }

    /// Erases the account exactly as self-service deletion does (partner link ended, data and
    /// mail deleted); the audit entry keeps only the former id. Not one's own account.
    pub async fn delete_person(
        &self,
        accounts: &Accounts,
        actor: Actor,
        target: UserId,
    ) -> Result<(), PeopleError> {
        if actor.user_id == Some(target) {
            return Err(PeopleError::OwnAccount(
                "You cannot delete your own account from the admin console.",
            ));
        }
        let erasure = accounts.erasure()?;
        let now = self.now();
        self.db()
            .transaction(move |conn| {
                let found = existing(conn, target)?;
                erasure.run(conn, found.id, &found.email, now.naive_utc())?;
                let detail = serde_json::json!({ "by": "admin" });
                record(conn, &actor, "account.deleted", found.id, &detail, now)
            })
            .await
    }
}

/// The account `id`, or [`PeopleError::NotFound`].
fn existing(conn: &mut DbConnection, id: UserId) -> Result<User, PeopleError> {
    user::find(conn, id.get())?.ok_or(PeopleError::NotFound)
}

/// The account `id` if it may be mailed (deactivated accounts get no mail).
fn mailable(conn: &mut DbConnection, id: UserId) -> Result<User, PeopleError> {
    let found = existing(conn, id)?;
    if found.deactivated_at.is_some() {
        return Err(PeopleError::NotApplicable(
            "This account is deactivated and gets no mail. Reactivate it first.",
        ));
    }
    Ok(found)
}

fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    user_id: i64,
    detail: &serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), PeopleError> {
    let id = user_id.to_string();
    audit::record(conn, actor, action, Target { kind: "user", id: &id }, detail, now)?;
    Ok(())
}

fn read_person(
    conn: &mut DbConnection,
    catalog: Option<&Catalog>,
    id: UserId,
    now: NaiveDateTime,
) -> Result<Option<PersonDetail>, DbError> {
    let Some(found) = user::find(conn, id.get())? else { return Ok(None) };
    let last_seen = people::last_seen(conn, &[found.id])?.into_iter().next().and_then(|(_, at)| at);
    let enrollments: Vec<Enrollment> =
        enrollment::list_with_time_zone(conn, id)?.into_iter().map(|(e, _)| e).collect();
    let rows = lesson_progress::load_user_progress(conn, id)?;
    let sessions = people::sessions_of(conn, found.id, DETAIL_ROWS)?;
    let mail = people::mail_to(conn, &found.email, DETAIL_ROWS)?;
    let filter = audit_log::Filter {
        target_type: Some("user".to_owned()),
        target_id: Some(found.id.to_string()),
        ..audit_log::Filter::default()
    };
    let audit = audit_log::list(conn, &filter, None, DETAIL_ROWS)?;
    Ok(Some(PersonDetail {
        person: Person::new(found, last_seen),
        enrollments: enrollments.into_iter().map(|e| summarise(catalog, e, &rows)).collect(),
        sessions: sessions.into_iter().map(|s| session_line(s, now)).collect(),
        mail: mail.into_iter().map(mail_line).collect(),
        audit: audit.into_iter().map(audit_line).collect(),
    }))
}

/// Counts the learner-visible lessons of the enrolment's course that `rows` mark done.
fn summarise(
    catalog: Option<&Catalog>,
    e: Enrollment,
    rows: &[LessonProgress],
) -> EnrollmentSummary {
    let course = catalog.and_then(|c| c.course(&e.course_slug));
    let lessons: Vec<&str> = course
        .map(|c| c.lessons_for(Audience::Learner).map(|(_, l)| l.slug.as_str()).collect())
        .unwrap_or_default();
    let records: HashMap<String, LessonRecord> = rows
        .iter()
        .filter(|r| r.course_slug == e.course_slug)
        .map(|r| {
            let record = LessonRecord {
                completed_at: r.completed_at.map(|at| at.and_utc()),
                ..LessonRecord::default()
            };
            (r.lesson_slug.clone(), record)
        })
        .collect();
    let counted = progress::course_progress(&[("", lessons)], &records);
    EnrollmentSummary {
        course_title: course.map_or_else(|| e.course_slug.clone(), |c| c.title.clone()),
        course_slug: e.course_slug,
        status: e.status,
        enrolled_at: e.enrolled_at,
        expires_at: e.expires_at,
        completed_at: e.completed_at,
        last_activity_at: e.last_activity_at,
        lessons_done: counted.done,
        lessons_total: counted.total,
        percent: counted.percent,
    }
}

fn session_line(s: Session, now: NaiveDateTime) -> SessionSummary {
    SessionSummary {
        device: crate::domain::device::describe(&s.user_agent),
        created_at: s.created_at,
        last_seen_at: s.last_seen_at,
        live: s.revoked_at.is_none() && s.expires_at > now,
    }
}

fn mail_line(m: MailSummary) -> MailLine {
    MailLine {
        id: m.id,
        kind: m.kind,
        status: m.status,
        attempts: m.attempts,
        created_at: m.created_at,
        sent_at: m.sent_at,
    }
}

fn audit_line(e: Entry) -> AuditLine {
    AuditLine {
        action: e.action,
        actor_id: e.actor_id,
        detail: e.detail,
        ip: e.ip,
        created_at: e.created_at,
    }
}
