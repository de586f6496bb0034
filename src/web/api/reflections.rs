//! Reflections over JSON: the same [`crate::reflections`] calls the lesson page and the
//! "Reflections" page make, one database hop per request. A path always names the signed-in
//! learner's own answer; nobody else's can be addressed.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, Problem};
use crate::reflections::{self, Entry};
use crate::web::reflections::{actor, key, save};
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// Largest reflection body accepted: one long answer.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The partner's answer, once both answered and both share.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerAnswerOut {
    /// What the partner calls themselves.
    name: String,
    answer: String,
    updated_at: DateTime<Utc>,
}

/// One of the learner's reflection answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReflectionOut {
    course: String,
    lesson: String,
    /// The prompt's id within the lesson.
    id: String,
    /// The question.
    label: String,
    answer: String,
    /// Shared with the partner once they have answered and share too.
    share: bool,
    updated_at: DateTime<Utc>,
    /// `journal` (no partner link), `private`, `waiting` (shared, the partner's answer not
    /// revealed yet) or `revealed`.
    status: &'static str,
    /// Present only when `status` is `revealed`.
    partner: Option<PartnerAnswerOut>,
}

impl ReflectionOut {
    /// `None` for a prompt the learner has not answered (never listed).
    fn of(entry: Entry) -> Option<Self> {
        let mine = entry.mine?;
        Some(Self {
            course: entry.key.course,
            lesson: entry.key.lesson,
            id: entry.key.reflection,
            label: entry.label,
            answer: mine.answer,
            share: mine.share,
            updated_at: mine.updated_at,
            status: entry.reveal.as_str(),
            partner: entry.partner.map(|p| PartnerAnswerOut {
                name: p.name,
                answer: p.answer,
                updated_at: p.updated_at,
            }),
        })
    }
}

/// `PUT /api/v1/reflections/{course}/{lesson}/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerRequest {
    /// 1 to 10,000 characters once trimmed; tabs and line breaks are kept.
    answer: String,
    /// Share with the partner once they have answered and share too; `false` withdraws
    /// (hiding both answers again). Ignored without a partner link.
    #[serde(default)]
    share: bool,
}

/// What a save did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedReflectionOut {
    /// `false` when answer and share were as stored, so nothing was written.
    changed: bool,
    reflection: ReflectionOut,
}

/// Every reflection the learner answered, by course and lesson.
#[utoipa::path(get, path = "/api/v1/reflections", tag = "reflections", security(("bearer" = [])),
    responses((status = 200, description = "The learner's answers, the revealed ones with the partner's", body = [ReflectionOut]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let actor = actor(&state, &user)?;
    let entries = state.db.run(move |conn| reflections::list(conn, &actor)).await?;
    let out: Vec<ReflectionOut> = entries.into_iter().filter_map(ReflectionOut::of).collect();
    Ok(HttpResponse::Ok().json(out))
}

/// One of the learner's answers.
#[utoipa::path(get, path = "/api/v1/reflections/{course}/{lesson}/{id}", tag = "reflections",
    security(("bearer" = [])),
    params(("course" = String, Path, description = "Course slug"),
        ("lesson" = String, Path, description = "Lesson slug"),
        ("id" = String, Path, description = "The prompt's id in the lesson")),
    responses((status = 200, description = "The answer", body = ReflectionOut),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such prompt, or not answered by you", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path parameter holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, AppError> {
    let (course, lesson, id) = path.into_inner();
    let (actor, key) = (actor(&state, &user)?, key(&course, &lesson, &id)?);
    let entry = state.db.run(move |conn| reflections::find(conn, &actor, &key)).await?;
    Ok(HttpResponse::Ok().json(ReflectionOut::of(entry).ok_or(AppError::NotFound)?))
}

/// Writes (or rewrites) the learner's answer and share choice.
#[utoipa::path(put, path = "/api/v1/reflections/{course}/{lesson}/{id}", tag = "reflections",
    security(("bearer" = [])),
    params(("course" = String, Path, description = "Course slug"),
        ("lesson" = String, Path, description = "Lesson slug"),
        ("id" = String, Path, description = "The prompt's id in the lesson")),
    request_body = AnswerRequest,
    responses((status = 200, description = "Saved (or unchanged)", body = SavedReflectionOut),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not enrolled, access ended, or the lesson is locked", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course, lesson or prompt", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`answer` is empty, too long or holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn answer(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String, String)>,
    body: web::Json<AnswerRequest>,
) -> Result<HttpResponse, AppError> {
    let (course, lesson, id) = path.into_inner();
    let key = key(&course, &lesson, &id)?;
    let AnswerRequest { answer, share } = body.into_inner();
    let saved = save(&state, &user, key, answer, share).await?;
    let reflection = ReflectionOut::of(saved.entry).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(SavedReflectionOut { changed: saved.changed, reflection }))
}
