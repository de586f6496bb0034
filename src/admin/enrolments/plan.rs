//! What each row of an import (or one enrol-by-email) will do, and doing it: a dry run reads
//! and reports; a commit applies every valid row in batches of one transaction each. A row is
//! classified again inside its batch's transaction, so a second run of the same file (or a
//! concurrent one) finds everything done and changes nothing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use super::csv_import::{self, RawRow};
use super::{Actor, BATCH_ROWS, EnrolmentAdmin, EnrolmentError, INVITATION_VALID};
use crate::auth::tokens;
use crate::content::Catalog;
use crate::db::models::enrollment::Enrollment;
use crate::db::models::enrollment_admin::{self, Account, AdminEnrollment};
use crate::db::models::enrollment_invitation::{self as invitation, Invitation, NewInvitation};
use crate::db::models::outbox;
use crate::db::{DbConnection, DbError};
use crate::domain::account::{DisplayName, Email};
use crate::domain::enrollment::EnrollmentStatus;
use crate::mail::RenderedEmail;

/// What a row does (dry run) or did (commit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// No account yet: an invitation with a sign-up link; the enrolment waits for them.
    Invite,
    /// Has an account: enrolled at once (or a lapsed enrolment restored) and told neutrally.
    Enrol,
    /// Already has access to the course; nothing changes.
    AlreadyEnrolled,
    /// Already has an open invitation to the course; nothing changes.
    AlreadyInvited,
    /// Not applied: see the row's problem.
    Invalid,
}

/// One row's fate, for the preview table and the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowReport {
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
    pub email: String,
    pub course: String,
    pub fate: Fate,
    /// Why an invalid row was not applied ("invalid email", "duplicate of line 3").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// How many rows had each fate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub invited: usize,
    pub enrolled: usize,
    pub already_enrolled: usize,
    pub already_invited: usize,
    pub invalid: usize,
}

impl Counts {
    fn add(&mut self, fate: Fate) {
        match fate {
            Fate::Invite => self.invited += 1,
            Fate::Enrol => self.enrolled += 1,
            Fate::AlreadyEnrolled => self.already_enrolled += 1,
            Fate::AlreadyInvited => self.already_invited += 1,
            Fate::Invalid => self.invalid += 1,
        }
    }

    /// Rows that change something (zero on a second run of the same file).
    pub fn changes(&self) -> usize {
        self.invited + self.enrolled
    }
}

/// The whole import: each row's fate and the counts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// `true` when nothing was written.
    pub dry_run: bool,
    pub counts: Counts,
    pub rows: Vec<RowReport>,
}

/// What enrolling one person by email did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Single {
    /// They have an account and are enrolled now.
    Enrolled,
    /// They were already enrolled.
    AlreadyEnrolled,
    /// They have no account: an invitation was sent (or sent again).
    Invited,
}

/// A row that passed every check that needs no database.
#[derive(Debug, Clone)]
pub(super) struct Valid {
    pub email: Email,
    pub name: String,
    pub course: String,
    pub expires_at: Option<NaiveDateTime>,
}

/// A valid row with what the database says about it.
#[derive(Debug, Clone)]
struct Planned {
    row: Valid,
    fate: Fate,
    account: Option<Account>,
    enrollment: Option<Enrollment>,
}

/// Checks each raw row against the catalog and the rows before it; the report has a line for
/// every row, the valid ones waiting for their fate.
fn validate(
    raw: Vec<RawRow>,
    catalog: &Catalog,
    now: DateTime<Utc>,
) -> (Vec<RowReport>, Vec<(usize, Valid)>) {
    let mut reports = Vec::with_capacity(raw.len());
    let mut valid = Vec::with_capacity(raw.len());
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    for row in raw {
        let checked = check_row(&row, catalog, now).and_then(|ok| {
            let key = (ok.email.as_str().to_owned(), ok.course.clone());
            match seen.get(&key) {
                Some(first) => Err(format!("duplicate of line {first}")),
                None => {
                    seen.insert(key, row.line);
                    Ok(ok)
                }
            }
        });
        let (fate, problem) = match &checked {
            Ok(_) => (Fate::Invalid, None),
            Err(problem) => (Fate::Invalid, Some(problem.clone())),
        };
        if let Ok(ok) = checked {
            valid.push((reports.len(), ok));
        }
        reports.push(RowReport {
            line: row.line,
            email: row.email,
            course: row.course,
            fate,
            problem,
        });
    }
    (reports, valid)
}

/// One row's own checks: the address, the course, the name and the expiry.
fn check_row(row: &RawRow, catalog: &Catalog, now: DateTime<Utc>) -> Result<Valid, String> {
    let email = Email::parse(&row.email).map_err(|_| "invalid email".to_owned())?;
    if row.course.is_empty() {
        return Err("no course".to_owned());
    }
    if catalog.course(&row.course).is_none() {
        return Err(format!("unknown course \"{}\"", row.course));
    }
    let name = match row.name.as_str() {
        "" => String::new(),
        typed => DisplayName::parse(typed)
            .map_err(|e| format!("name: {}", e.message))?
            .as_str()
            .to_owned(),
    };
    let expires_at = csv_import::parse_expiry(&row.expires_at)
        .ok_or_else(|| "bad expiry (use YYYY-MM-DD)".to_owned())?;
    if expires_at.is_some_and(|at| at <= now.naive_utc()) {
        return Err("bad expiry (already past)".to_owned());
    }
    Ok(Valid { email, name, course: row.course.clone(), expires_at })
}

/// What the database says each row will do; `resend` invites again where an invitation is
/// already open (the enrol-one form and the resend action), where an import leaves it.
fn classify(
    conn: &mut DbConnection,
    rows: &[Valid],
    now: NaiveDateTime,
    resend: bool,
) -> Result<Vec<Planned>, DbError> {
    let emails: Vec<&str> = rows.iter().map(|r| r.email.as_str()).collect();
    let accounts: HashMap<String, Account> = enrollment_admin::accounts_by_email(conn, &emails)?
        .into_iter()
        .map(|a| (a.email.clone(), a))
        .collect();
    let ids: Vec<i64> = accounts.values().map(|a| a.id).collect();
    let enrollments: HashMap<(i64, String), Enrollment> = enrollment_admin::for_users(conn, &ids)?
        .into_iter()
        .map(|e| ((e.user_id.get(), e.course_slug.clone()), e))
        .collect();
    let open: HashSet<(String, String)> = invitation::list_for_emails(conn, &emails)?
        .into_iter()
        .filter(|i| i.is_open() && i.link_expires_at > now)
        .map(|i| (i.email, i.course_slug))
        .collect();
    let at = DateTime::from_naive_utc_and_offset(now, Utc);
    Ok(rows
        .iter()
        .map(|row| {
            let account = accounts.get(row.email.as_str()).cloned();
            let enrollment = account
                .as_ref()
                .and_then(|a| enrollments.get(&(a.id, row.course.clone())))
                .cloned();
            let fate = match (&account, &enrollment) {
                (Some(_), Some(e)) if grants(e, at) => Fate::AlreadyEnrolled,
                (Some(_), _) => Fate::Enrol,
                (None, _)
                    if !resend
                        && open.contains(&(row.email.as_str().to_owned(), row.course.clone())) =>
                {
                    Fate::AlreadyInvited
                }
                (None, _) => Fate::Invite,
            };
            Planned { row: row.clone(), fate, account, enrollment }
        })
        .collect())
}

fn grants(enrollment: &Enrollment, now: DateTime<Utc>) -> bool {
    let expires = enrollment.expires_at.map(|at| DateTime::from_naive_utc_and_offset(at, Utc));
    EnrollmentStatus::parse(&enrollment.status).as_of(expires, now).grants_access()
}

/// The two mails a batch may send, rendered once.
struct Mails {
    invitation: RenderedEmail,
    enrolled: RenderedEmail,
}

/// Applies a batch in the caller's transaction: enrolments, invitations, their mail and the
/// audit entries. `via` says where the action came from (`import`, `form`, `api`, `resend`).
fn apply(
    conn: &mut DbConnection,
    planned: &[Planned],
    mails: &Mails,
    actor: &Actor,
    via: &str,
    now: NaiveDateTime,
) -> Result<(), EnrolmentError> {
    enrol_existing(conn, planned, mails, actor, via, now)?;
    invite_new(conn, planned, mails, actor, via, now)?;
    Ok(())
}

fn enrol_existing(
    conn: &mut DbConnection,
    planned: &[Planned],
    mails: &Mails,
    actor: &Actor,
    via: &str,
    now: NaiveDateTime,
) -> Result<(), EnrolmentError> {
    let mut fresh = Vec::new();
    let mut told = Vec::new();
    let mut audited = Vec::new();
    for plan in planned.iter().filter(|p| p.fate == Fate::Enrol) {
        let Some(account) = &plan.account else { continue };
        match &plan.enrollment {
            Some(lapsed) => {
                enrollment_admin::restore(conn, lapsed.id.get(), plan.row.expires_at, now)?;
            }
            None => fresh.push(AdminEnrollment {
                user_id: account.id,
                course_slug: &plan.row.course,
                enrolled_at: now,
                expires_at: plan.row.expires_at,
                updated_at: now,
            }),
        }
        told.push(account.email.as_str());
        let detail = serde_json::json!({ "course": plan.row.course, "via": via });
        audited.push(("user", account.id.to_string(), detail));
    }
    enrollment_admin::insert_many(conn, &fresh)?;
    let messages: Vec<_> = told.iter().map(|to| mails.enrolled.to_message(to, None)).collect();
    outbox::enqueue_all(conn, &messages, now)?;
    super::audit_entries(conn, actor, "enrollment.created", &audited, now)?;
    Ok(())
}

fn invite_new(
    conn: &mut DbConnection,
    planned: &[Planned],
    mails: &Mails,
    actor: &Actor,
    via: &str,
    now: NaiveDateTime,
) -> Result<(), EnrolmentError> {
    let invites: Vec<&Planned> = planned.iter().filter(|p| p.fate == Fate::Invite).collect();
    if invites.is_empty() {
        return Ok(());
    }
    let tokens: Vec<String> = invites.iter().map(|_| tokens::generate()).collect();
    let hashes: Vec<String> = tokens.iter().map(|t| tokens::hash(t)).collect();
    let rows: Vec<NewInvitation<'_>> = invites
        .iter()
        .zip(&hashes)
        .map(|(plan, hash)| NewInvitation {
            email: plan.row.email.as_str(),
            display_name: &plan.row.name,
            course_slug: &plan.row.course,
            enrollment_expires_at: plan.row.expires_at,
            token_hash: hash,
            invited_by: actor.user_id.map(crate::domain::ids::UserId::get),
            created_at: now,
            link_expires_at: now + INVITATION_VALID,
        })
        .collect();
    invitation::upsert_many(conn, &rows)?;
    let rendered: Vec<RenderedEmail> =
        tokens.iter().map(|t| super::with_token(&mails.invitation, t)).collect();
    let messages: Vec<_> = invites
        .iter()
        .zip(&rendered)
        .map(|(plan, mail)| mail.to_message(plan.row.email.as_str(), None))
        .collect();
    outbox::enqueue_all(conn, &messages, now)?;
    let ids = invitation::ids_by_hash(conn, &hashes)?;
    let audited: Vec<_> = invites
        .iter()
        .zip(&hashes)
        .filter_map(|(plan, hash)| {
            let id = ids.get(hash)?;
            let detail = serde_json::json!({ "course": plan.row.course, "via": via });
            Some(("enrollment_invitation", id.to_string(), detail))
        })
        .collect();
    super::audit_entries(conn, actor, "enrollment.invited", &audited, now)?;
    Ok(())
}

impl EnrolmentAdmin {
    fn mails(&self) -> Result<Mails, EnrolmentError> {
        Ok(Mails { invitation: self.invitation_mail()?, enrolled: self.enrolled_mail()? })
    }

    /// Reads a cohort file and reports each row's fate; with `dry_run` nothing is written,
    /// otherwise every valid row is applied, [`BATCH_ROWS`] per transaction. A file that is
    /// too large, not UTF-8 or has no usable header is refused whole.
    pub async fn import(
        &self,
        catalog: Arc<Catalog>,
        file: Vec<u8>,
        dry_run: bool,
        actor: Actor,
    ) -> Result<ImportReport, EnrolmentError> {
        let now = self.now();
        let (mut reports, valid) = tokio::task::spawn_blocking(move || {
            csv_import::parse(&file).map(|raw| validate(raw, &catalog, now))
        })
        .await
        .map_err(|_| DbError::TaskFailed)??;
        let mails = Arc::new(self.mails()?);
        let actor = Arc::new(actor);
        for batch in valid.chunks(BATCH_ROWS) {
            let rows: Vec<Valid> = batch.iter().map(|(_, v)| v.clone()).collect();
            let fates = if dry_run {
                self.db
                    .run(move |conn| {
                        classify(conn, &rows, now.naive_utc(), false).map_err(EnrolmentError::from)
                    })
                    .await?
            } else {
                let (mails, actor) = (Arc::clone(&mails), Arc::clone(&actor));
                self.db
                    .transaction(move |conn| {
                        let planned = classify(conn, &rows, now.naive_utc(), false)?;
                        apply(conn, &planned, &mails, &actor, "import", now.naive_utc())?;
                        Ok::<_, EnrolmentError>(planned)
                    })
                    .await?
            };
            for ((index, _), plan) in batch.iter().zip(fates) {
                if let Some(report) = reports.get_mut(*index) {
                    report.fate = plan.fate;
                }
            }
        }
        let mut counts = Counts::default();
        reports.iter().for_each(|r| counts.add(r.fate));
        tracing::info!(
            dry_run,
            rows = reports.len(),
            changes = counts.changes(),
            "enrolment import"
        );
        Ok(ImportReport { dry_run, counts, rows: reports })
    }

    /// Enrols one person by email: with an account at once (told neutrally by mail), without
    /// one by an invitation whose link lets them sign up; entering them again re-sends it.
    pub async fn enrol_by_email(
        &self,
        catalog: &Catalog,
        raw: RawRow,
        via: &'static str,
        actor: Actor,
    ) -> Result<Single, EnrolmentError> {
        let now = self.now();
        let row = check_row(&raw, catalog, now).map_err(|message| field_of(&message))?;
        let mails = self.mails()?;
        self.db
            .transaction(move |conn| {
                let planned = classify(conn, &[row], now.naive_utc(), true)?;
                apply(conn, &planned, &mails, &actor, via, now.naive_utc())?;
                Ok(match planned.first().map(|p| p.fate) {
                    Some(Fate::Enrol) => Single::Enrolled,
                    Some(Fate::Invite | Fate::AlreadyInvited) => Single::Invited,
                    _ => Single::AlreadyEnrolled,
                })
            })
            .await
    }

    /// Sends a fresh link (the old one stops working) for each open invitation among `ids`;
    /// accepted or withdrawn ones are skipped. Returns how many were sent.
    pub async fn resend_invitations(
        &self,
        ids: Vec<i64>,
        actor: Actor,
    ) -> Result<usize, EnrolmentError> {
        let now = self.now();
        let mails = self.mails()?;
        self.db
            .transaction(move |conn| {
                let rows = open_invitations(conn, &ids)?;
                let planned = classify(conn, &rows, now.naive_utc(), true)?;
                apply(conn, &planned, &mails, &actor, "resend", now.naive_utc())?;
                Ok(planned.iter().filter(|p| p.fate == Fate::Invite).count())
            })
            .await
    }
}

/// The open invitations among `ids`, as rows to invite again.
fn open_invitations(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Valid>, EnrolmentError> {
    let mut rows = Vec::new();
    for id in ids {
        let Some(found) = invitation::find(conn, *id)? else { continue };
        if let Some(row) = as_row(found) {
            rows.push(row);
        }
    }
    Ok(rows)
}

fn as_row(found: Invitation) -> Option<Valid> {
    if !found.is_open() {
        return None;
    }
    Some(Valid {
        email: Email::parse(&found.email).ok()?,
        name: found.display_name,
        course: found.course_slug,
        expires_at: found.enrollment_expires_at,
    })
}

/// A single row's problem as a field error for the form or the API.
fn field_of(message: &str) -> EnrolmentError {
    let field = if message.contains("email") {
        "email"
    } else if message.contains("course") {
        "course"
    } else if message.starts_with("name") {
        "name"
    } else {
        "expires_at"
    };
    EnrolmentError::Invalid { field, message: message.to_owned() }
}
