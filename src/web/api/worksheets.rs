//! Worksheets over JSON: the same [`crate::worksheets`] calls the pages make, one database hop
//! per request. A worksheet's `id` is `course.worksheet` and always means the signed-in
//! learner's own copy (see [`WorksheetKey`]); one never saved reads as empty at revision 0.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::content::{Field, FieldKind, Worksheet};
use crate::domain::worksheet::{Answers, WorksheetKey};
use crate::error::{AppError, Problem};
use crate::web::session::CurrentUser;
use crate::web::state::AppState;
use crate::worksheets::{self, Actor, HistoryEntry, Opened, Saved, Summary, WorksheetError};

/// Largest worksheet body accepted: several long answers.
pub const BODY_LIMIT: usize = 256 * 1024;

/// A worksheet in the learner's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorksheetItem {
    /// `course.worksheet`: the path segment of this worksheet's routes.
    id: String,
    course: String,
    slug: String,
    title: String,
    /// Partners fill in one copy together.
    shared: bool,
    /// Partners sign it.
    signatures: bool,
    /// The newest revision; 0 when never saved.
    revision: u32,
    /// `draft` or `finished`.
    status: &'static str,
    /// The partner's private worksheet, shared with me to read (writes answer 404).
    read_only: bool,
    /// My private worksheet, shared with my partner to read.
    shared_with_partner: bool,
}

impl WorksheetItem {
    fn of(summary: Summary) -> Self {
        Self {
            id: summary.key.to_string(),
            course: summary.key.course,
            slug: summary.key.worksheet,
            title: summary.title,
            shared: summary.shared,
            signatures: summary.signatures,
            revision: summary.revision,
            status: summary.status.as_str(),
            read_only: summary.read_only,
            shared_with_partner: summary.shared_with_partner,
        }
    }
}

/// A question of the worksheet.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldOut {
    /// The key of its answer in `answers`.
    id: String,
    /// `short`, `long`, `list`, `checkbox`, `date` or `choice`.
    #[serde(rename = "type")]
    kind: &'static str,
    label: String,
    help: String,
    /// Must be answered before the worksheet can be finished (not for a draft save).
    required: bool,
    /// The options of a `choice`.
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<Vec<String>>,
}

impl FieldOut {
    fn of(field: &Field) -> Self {
        let (kind, options) = match &field.kind {
            FieldKind::Short => ("short", None),
            FieldKind::Long => ("long", None),
            FieldKind::List => ("list", None),
            FieldKind::Checkbox => ("checkbox", None),
            FieldKind::Date => ("date", None),
            FieldKind::Choice { options } => ("choice", Some(options.clone())),
        };
        Self {
            id: field.id.clone(),
            kind,
            label: field.label.clone(),
            help: field.help.clone(),
            required: field.required,
            options,
        }
    }
}

/// A worksheet with its questions and the newest answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorksheetOut {
    #[serde(flatten)]
    item: WorksheetItem,
    fields: Vec<FieldOut>,
    /// Answers keyed by field id: a string (`short`, `long`, `date`, `choice`), an array of
    /// strings (`list`) or `true` (`checkbox`); unanswered questions are absent.
    #[schema(value_type = Object)]
    answers: Answers,
    /// Answers to questions the author has since removed, keyed by their old field id.
    #[schema(value_type = Object)]
    orphaned: Answers,
    saved_at: Option<DateTime<Utc>>,
    /// The worksheet's questions changed since the newest revision was written.
    template_changed: bool,
    /// Signatures on the newest revision (agreements only).
    signatures: Vec<SignatureOut>,
    /// The newest revision both partners signed: the agreement in force, still downloadable
    /// while a later edit waits for both signatures.
    in_force: Option<u32>,
}

/// A partner's signature on a revision.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureOut {
    revision: u32,
    full_name: String,
    signed_at: DateTime<Utc>,
    /// Signed by the signed-in learner.
    by_you: bool,
    /// Content hash of the revision signed.
    content_hash: String,
}

/// `POST …/sign`: the revision being signed (the newest) and the signer's full name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignRequest {
    revision: u32,
    full_name: String,
}

/// What signing did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedOut {
    revision: u32,
    /// Both partners have signed this revision.
    in_force: bool,
}

/// `PUT /api/v1/worksheets/{id}`: the answers, and the revision they were based on.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SaveRequest {
    /// The revision the learner was editing (0 for a worksheet never saved).
    revision: u32,
    /// Answers keyed by field id; `null` or empty clears one.
    #[schema(value_type = Object)]
    answers: Answers,
}

/// What a save, finish or restore did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedOut {
    /// The newest revision now.
    revision: u32,
    /// `false` when nothing differed, so nothing was written.
    changed: bool,
    /// `draft` or `finished`.
    status: &'static str,
    saved_at: Option<DateTime<Utc>>,
}

impl SavedOut {
    fn of(saved: Saved) -> Self {
        Self {
            revision: saved.revision,
            changed: saved.changed,
            status: saved.status.as_str(),
            saved_at: saved.saved_at,
        }
    }
}

/// `POST …/finish`: the revision being marked finished.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FinishRequest {
    revision: u32,
}

/// `POST …/restore`: copy revision `restore` as the revision after `revision`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RestoreRequest {
    /// The newest revision the learner saw.
    revision: u32,
    /// The earlier revision to bring back.
    restore: u32,
}

/// One revision in the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionOut {
    number: u32,
    saved_at: DateTime<Utc>,
    /// Saved by the signed-in learner (otherwise by their partner, or a removed account).
    by_you: bool,
    /// Ids of the questions whose answers changed in this revision.
    changed: Vec<String>,
    /// Content hash of the worksheet version it was written against.
    template_hash: String,
}

impl RevisionOut {
    fn of(entry: HistoryEntry, user: &CurrentUser) -> Self {
        Self {
            number: entry.number,
            saved_at: entry.saved_at,
            by_you: entry.author == Some(user.id),
            changed: entry.changed,
            template_hash: entry.template_hash,
        }
    }
}

/// The signed-in learner acting on worksheets now; worksheet pages build theirs here too.
pub(crate) fn actor(state: &AppState, user: &CurrentUser) -> Result<Actor, AppError> {
    Ok(Actor {
        catalog: state.catalog()?,
        keyring: state.keyring.clone(),
        notices: state.notices.clone(),
        user: user.id,
        now: state.clock.now(),
    })
}

/// The key in the path; anything that is not one names no worksheet.
pub(crate) fn key(path: &str) -> Result<WorksheetKey, AppError> {
    WorksheetKey::parse(path).ok_or(AppError::NotFound)
}

/// Runs one worksheet unit of work on the blocking pool.
pub(crate) async fn run<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&mut crate::db::DbConnection) -> Result<T, WorksheetError> + Send + 'static,
) -> Result<T, AppError> {
    Ok(state.db.run(work).await?)
}

fn worksheet_out(worksheet: &Worksheet, opened: Opened, user: &CurrentUser) -> WorksheetOut {
    let summary = Summary {
        key: opened.key,
        title: worksheet.title.clone(),
        shared: worksheet.shared,
        signatures: worksheet.signatures,
        revision: opened.revision,
        status: opened.status,
        read_only: opened.read_only,
        shared_with_partner: opened.shared_with_partner,
    };
    WorksheetOut {
        item: WorksheetItem::of(summary),
        fields: worksheet.fields.iter().map(FieldOut::of).collect(),
        answers: opened.answers,
        orphaned: opened.orphaned,
        saved_at: opened.saved_at,
        template_changed: opened.template_changed,
        signatures: opened
            .signatures
            .into_iter()
            .map(|s| SignatureOut {
                revision: s.revision,
                full_name: s.full_name,
                signed_at: s.signed_at,
                by_you: s.signer == Some(user.id),
                content_hash: s.content_hash,
            })
            .collect(),
        in_force: opened.in_force,
    }
}

/// The worksheets of every course the learner is enrolled in.
#[utoipa::path(get, path = "/api/v1/worksheets", tag = "worksheets", security(("bearer" = [])),
    responses((status = 200, description = "One entry per worksheet", body = [WorksheetItem]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let actor = actor(&state, &user)?;
    let summaries = run(&state, move |conn| worksheets::list(conn, &actor)).await?;
    Ok(HttpResponse::Ok().json(summaries.into_iter().map(WorksheetItem::of).collect::<Vec<_>>()))
}

/// A worksheet's questions and newest answers.
#[utoipa::path(get, path = "/api/v1/worksheets/{id}", tag = "worksheets", security(("bearer" = [])),
    params(("id" = String, Path, description = "`course.worksheet`")),
    responses((status = 200, description = "The worksheet", body = WorksheetOut),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such worksheet, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The path holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(&state, &user)?, key(&path)?);
    let catalog = actor.catalog.clone();
    let opened = run(&state, move |conn| worksheets::open(conn, &actor, &key)).await?;
    let worksheet = catalog.worksheet(&opened.key.course, &opened.key.worksheet);
    let worksheet = worksheet.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(worksheet_out(worksheet, opened, &user)))
}

/// Saves the answers as a new revision (a draft may be incomplete).
#[utoipa::path(put, path = "/api/v1/worksheets/{id}", tag = "worksheets", security(("bearer" = [])),
    params(("id" = String, Path, description = "`course.worksheet`")),
    request_body = SaveRequest,
    responses((status = 200, description = "Saved (or unchanged: nothing written)", body = SavedOut),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such worksheet, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Based on an old revision; `current` holds the newest", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An answer is not valid; `errors` names each as `answers.<field>`", body = Problem, content_type = "application/problem+json")))]
pub async fn save(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<SaveRequest>,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(&state, &user)?, key(&path)?);
    let SaveRequest { revision, answers } = body.into_inner();
    let saved =
        run(&state, move |conn| worksheets::save(conn, &actor, &key, revision, &answers)).await?;
    Ok(HttpResponse::Ok().json(SavedOut::of(saved)))
}

/// Marks the worksheet finished, once every required question is answered.
#[utoipa::path(post, path = "/api/v1/worksheets/{id}/finish", tag = "worksheets", security(("bearer" = [])),
    params(("id" = String, Path, description = "`course.worksheet`")),
    request_body = FinishRequest,
    responses((status = 200, description = "Finished (also when it already was)", body = SavedOut),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such worksheet, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A newer revision was saved; `current` holds it", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Required questions unanswered, each named as `answers.<field>`", body = Problem, content_type = "application/problem+json")))]
pub async fn finish(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<FinishRequest>,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(&state, &user)?, key(&path)?);
    let base = body.revision;
    let saved = run(&state, move |conn| worksheets::finish(conn, &actor, &key, base)).await?;
    Ok(HttpResponse::Ok().json(SavedOut::of(saved)))
}

/// Every revision, newest first: when, by whom and which questions changed (no answer text).
#[utoipa::path(get, path = "/api/v1/worksheets/{id}/revisions", tag = "worksheets", security(("bearer" = [])),
    params(("id" = String, Path, description = "`course.worksheet`")),
    responses((status = 200, description = "The history; empty when never saved", body = [RevisionOut]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such worksheet, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The path holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn revisions(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(&state, &user)?, key(&path)?);
    let entries = run(&state, move |conn| worksheets::history(conn, &actor, &key)).await?;
    let out: Vec<RevisionOut> = entries.into_iter().map(|e| RevisionOut::of(e, &user)).collect();
    Ok(HttpResponse::Ok().json(out))
}

/// Brings an earlier revision back as a new revision; nothing in the history is lost.
#[utoipa::path(post, path = "/api/v1/worksheets/{id}/restore", tag = "worksheets", security(("bearer" = [])),
    params(("id" = String, Path, description = "`course.worksheet`")),
    request_body = RestoreRequest,
    responses((status = 200, description = "Restored as the newest revision (or unchanged)", body = SavedOut),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such worksheet, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A newer revision was saved; `current` holds it", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such revision to restore (`restore`), or a field has the wrong type", body = Problem, content_type = "application/problem+json")))]
pub async fn restore(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<RestoreRequest>,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(&state, &user)?, key(&path)?);
    let RestoreRequest { revision, restore } = body.into_inner();
    let saved =
        run(&state, move |conn| worksheets::restore(conn, &actor, &key, revision, restore)).await?;
    Ok(HttpResponse::Ok().json(SavedOut::of(saved)))
}

/// Signs the newest revision of a couple's agreement; when both partners have signed the same
/// revision it is in force. Both are told by mail, in neutral words.
#[utoipa::path(post, path = "/api/v1/worksheets/{id}/sign", tag = "worksheets", security(("bearer" = [])),
    params(("id" = String, Path, description = "`course.worksheet`")),
    request_body = SignRequest,
    responses((status = 200, description = "Signed (also when already signed by you)", body = SignedOut),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such worksheet, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A newer revision was saved; `current` holds it", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No full name (`full_name`), nothing saved yet or not a couple's agreement (`revision`), or required questions unanswered (`answers.<field>`)", body = Problem, content_type = "application/problem+json")))]
pub async fn sign(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<SignRequest>,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(&state, &user)?, key(&path)?);
    let SignRequest { revision, full_name } = body.into_inner();
    let signed =
        run(&state, move |conn| worksheets::sign(conn, &actor, &key, revision, &full_name)).await?;
    Ok(HttpResponse::Ok().json(SignedOut { revision: signed.revision, in_force: signed.in_force }))
}

/// Lets my partner read one of my private worksheets (idempotent).
#[utoipa::path(put, path = "/api/v1/shares/worksheets/{id}", tag = "worksheets", security(("bearer" = [])),
    params(("id" = String, Path, description = "`course.worksheet` (a private worksheet)")),
    responses((status = 204, description = "Shared: my partner can read it as `course.worksheet.partner`"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such private worksheet of mine, or no partner link", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The path holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn share(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_shared(&state, &user, &path, true).await
}

/// Stops sharing one of my private worksheets with my partner (idempotent).
#[utoipa::path(delete, path = "/api/v1/shares/worksheets/{id}", tag = "worksheets", security(("bearer" = [])),
    params(("id" = String, Path, description = "`course.worksheet` (a private worksheet)")),
    responses((status = 204, description = "No longer shared"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such private worksheet of mine, or no partner link", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The path holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn unshare(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_shared(&state, &user, &path, false).await
}

async fn set_shared(
    state: &AppState,
    user: &CurrentUser,
    path: &str,
    shared: bool,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(state, user)?, key(path)?);
    run(state, move |conn| worksheets::share_with_partner(conn, &actor, &key, shared)).await?;
    Ok(HttpResponse::NoContent().finish())
}
