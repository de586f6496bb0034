//! Partners over JSON: the learner's partner state, inviting, answering, ending, and sharing
//! progress in a course. The same [`crate::partners`] calls as the partner pages.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::account::Email;
use crate::error::{AppError, Problem};
use crate::partners::{InvitationKey, PartnerState, SharedProgress};
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// An invitation the learner sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentInvitation {
    email: String,
    sent_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    /// Nobody answered in time; withdraw it to invite again.
    expired: bool,
}

/// An open invitation sent to the learner's own address.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedInvitationOut {
    /// The inviter's display name.
    from: String,
    expires_at: DateTime<Utc>,
}

/// The learner's partner and what each of them shares.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerOut {
    name: String,
    since: DateTime<Utc>,
    /// Courses whose progress the learner shows their partner.
    shared_by_me: Vec<String>,
    /// Courses whose progress the partner shows the learner.
    shared_with_me: Vec<String>,
}

/// `GET /api/v1/partner`: exactly one of `invitation` (state `invited`) or `partner` (state
/// `linked`) is set; `received` only in state `none`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerStateOut {
    /// `none`, `invited` or `linked`.
    state: &'static str,
    invitation: Option<SentInvitation>,
    received: Option<ReceivedInvitationOut>,
    partner: Option<PartnerOut>,
}

impl From<PartnerState> for PartnerStateOut {
    fn from(state: PartnerState) -> Self {
        let none = Self { state: "none", invitation: None, received: None, partner: None };
        match state {
            PartnerState::Unlinked { received } => Self {
                received: received
                    .map(|r| ReceivedInvitationOut { from: r.from, expires_at: r.expires_at }),
                ..none
            },
            PartnerState::Invited(sent) => Self {
                state: "invited",
                invitation: Some(SentInvitation {
                    email: sent.email,
                    sent_at: sent.sent_at,
                    expires_at: sent.expires_at,
                    expired: sent.expired,
                }),
                ..none
            },
            PartnerState::Linked(link) => Self {
                state: "linked",
                partner: Some(PartnerOut {
                    name: link.partner_name,
                    since: link.since,
                    shared_by_me: link.shared_by_me,
                    shared_with_me: link.shared_with_me,
                }),
                ..none
            },
        }
    }
}

/// One course's progress the partner shares.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedProgressOut {
    course: String,
    title: String,
    done: usize,
    total: usize,
}

impl From<SharedProgress> for SharedProgressOut {
    fn from(shared: SharedProgress) -> Self {
        Self {
            course: shared.course_slug,
            title: shared.course_title,
            done: shared.done,
            total: shared.total,
        }
    }
}

/// `POST /api/v1/partner` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteRequest {
    /// The address to send the invitation to.
    email: String,
}

/// `POST /api/v1/partner/accept` and `/decline` body: the token from the invitation email.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerRequest {
    token: String,
}

/// The learner's partner state: none (perhaps an invitation received), invited, or linked.
#[utoipa::path(get, path = "/api/v1/partner", tag = "partner", security(("bearer" = [])),
    responses((status = 200, description = "The partner state", body = PartnerStateOut),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn show(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let partner = state.partners.state(user.id).await?;
    Ok(HttpResponse::Ok().json(PartnerStateOut::from(partner)))
}

/// Invites a partner by email; the invitation is mailed and expires after 7 days.
#[utoipa::path(post, path = "/api/v1/partner", tag = "partner", security(("bearer" = [])),
    request_body = InviteRequest,
    responses((status = 201, description = "Invited: the state now shows the invitation", body = PartnerStateOut),
        (status = 400, description = "The body is not JSON, is malformed, or was sent without Content-Type: application/json", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The learner already has a link or an open invitation, or the person invited already has a partner", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`email` is not an address, is the learner's own, or is missing", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invitations today; `Retry-After` says when to try again", body = Problem, content_type = "application/problem+json")))]
pub async fn invite(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: web::Json<InviteRequest>,
) -> Result<HttpResponse, AppError> {
    let email = Email::parse(&body.email).map_err(AppError::from)?;
    state.partners.invite(user.id, email).await?;
    let partner = state.partners.state(user.id).await?;
    Ok(HttpResponse::Created().json(PartnerStateOut::from(partner)))
}

/// Withdraws the learner's open invitation, or ends their link (the former partner is told
/// neutrally; each keeps their copies of what was shared).
#[utoipa::path(delete, path = "/api/v1/partner", tag = "partner", security(("bearer" = [])),
    responses((status = 204, description = "Withdrawn or ended"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No link and no open invitation", body = Problem, content_type = "application/problem+json")))]
pub async fn end(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    state.partners.end(user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Accepts an invitation with the token from its email: the two learners are linked.
#[utoipa::path(post, path = "/api/v1/partner/accept", tag = "partner", security(("bearer" = [])),
    request_body = AnswerRequest,
    responses((status = 200, description = "Linked", body = PartnerStateOut),
        (status = 400, description = "The invitation is not valid, was answered or withdrawn, or expired; or the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The learner already has a link or an open invitation of their own", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`token` is missing, or is the learner's own invitation", body = Problem, content_type = "application/problem+json")))]
pub async fn accept(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: web::Json<AnswerRequest>,
) -> Result<HttpResponse, AppError> {
    let key = InvitationKey::Token(body.into_inner().token);
    state.partners.accept(user.id, key).await?;
    let partner = state.partners.state(user.id).await?;
    Ok(HttpResponse::Ok().json(PartnerStateOut::from(partner)))
}

/// Declines an invitation with the token from its email.
#[utoipa::path(post, path = "/api/v1/partner/decline", tag = "partner", security(("bearer" = [])),
    request_body = AnswerRequest,
    responses((status = 204, description = "Declined"),
        (status = 400, description = "The invitation is not valid, was answered or withdrawn, or expired; or the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`token` is missing, or is the learner's own invitation", body = Problem, content_type = "application/problem+json")))]
pub async fn decline(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: web::Json<AnswerRequest>,
) -> Result<HttpResponse, AppError> {
    let key = InvitationKey::Token(body.into_inner().token);
    state.partners.decline(user.id, key).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The progress the learner's partner shares with them, course by course.
#[utoipa::path(get, path = "/api/v1/partner/progress", tag = "partner", security(("bearer" = [])),
    responses((status = 200, description = "Shared progress (empty when nothing is shared)", body = [SharedProgressOut]),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The learner has no partner", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The course content is not ready", body = Problem, content_type = "application/problem+json")))]
pub async fn partner_progress(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let shared = state.partners.partner_progress(user.id, &catalog).await?;
    let out: Vec<SharedProgressOut> = shared.into_iter().map(SharedProgressOut::from).collect();
    Ok(HttpResponse::Ok().json(out))
}

/// Shows the learner's progress in a course they are enrolled in to their partner.
#[utoipa::path(put, path = "/api/v1/shares/progress/{course}", tag = "partner", security(("bearer" = [])),
    params(("course" = String, Path, description = "The course slug")),
    responses((status = 204, description = "Shared (also when it already was)"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No partner, or not enrolled in such a course", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path parameter holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn share_progress(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    state.partners.share_progress(user.id, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Stops showing the learner's progress in a course to their partner.
#[utoipa::path(delete, path = "/api/v1/shares/progress/{course}", tag = "partner", security(("bearer" = [])),
    params(("course" = String, Path, description = "The course slug")),
    responses((status = 204, description = "Not shared any more (also when it never was)"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The learner has no partner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path parameter holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn unshare_progress(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    state.partners.unshare_progress(user.id, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
