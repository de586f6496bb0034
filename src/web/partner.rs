//! The partner pages, over HTML forms that work without JavaScript: the learner's partner
//! state and what each partner can see (`/partner`), the invitation a mail links to
//! (`/invitation`), and the confirmation before a link ends (`/partner/end`). Handlers call
//! [`crate::partners`]; wording stays warm and always says who can see what.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::account::Email;
use crate::error::{AppError, FieldProblem};
use crate::learning;
use crate::partners::{InvitationKey, PartnerError, PartnerState};
use crate::web::account::{NoFields, local_path};
use crate::web::forms::FormFeedback;
use crate::web::pages::{returning, see_other};
use crate::web::session::{CsrfForm, CurrentUser, page_context};
use crate::web::state::AppState;
use crate::web::views;

/// Where the partner page lives.
const PARTNER: &str = "/partner";

/// The invite form.
#[derive(Debug, Deserialize)]
pub struct InviteForm {
    email: String,
}

/// An answer to an invitation: from the mail's link (`token`) or, without a token, to the
/// newest invitation sent to the learner's own address.
#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    token: String,
    answer: String,
}

/// `?token=…` on the invitation link.
#[derive(Debug, Deserialize)]
pub struct InvitationQuery {
    #[serde(default)]
    token: String,
}

/// One of the learner's courses, and whether its progress is shown to the partner.
#[derive(Debug, Serialize)]
struct MyCourse {
    slug: String,
    title: String,
    shared: bool,
}

/// One course's progress the partner shows the learner.
#[derive(Debug, Serialize)]
struct TheirCourse {
    title: String,
    done: usize,
    total: usize,
}

/// `GET /partner`
pub async fn show_partner(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let form = FormFeedback::fresh(json!({ "email": "" }));
    partner_page(&req, &state, &user, StatusCode::OK, &form).await
}

/// The partner page in the learner's current state, with the invite form as given.
async fn partner_page(
    req: &HttpRequest,
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    form: &FormFeedback,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(req);
    form.insert_into(&mut context);
    let now = state.clock.now();
    let when = |at| views::when(at, now, user.time_zone);
    match state.partners.state(user.id).await? {
        PartnerState::Unlinked { received } => {
            let received =
                received.map(|r| json!({ "from": r.from, "expires": when(r.expires_at) }));
            context.insert("received", &received);
        }
        PartnerState::Invited(sent) => {
            let invited = json!({
                "email": sent.email, "sent": when(sent.sent_at),
                "expires": when(sent.expires_at), "expired": sent.expired,
            });
            context.insert("invited", &invited);
        }
        PartnerState::Linked(link) => {
            let catalog = state.catalog()?;
            let entries = learning::dashboard(&state.db, &*state.clock, &catalog, user.id).await?;
            let mine: Vec<MyCourse> = entries
                .into_iter()
                .filter_map(|entry| {
                    let course = catalog.course(&entry.course_slug)?;
                    let shared = link.shared_by_me.contains(&entry.course_slug);
                    Some(MyCourse { slug: entry.course_slug, title: course.title.clone(), shared })
                })
                .collect();
            let theirs: Vec<TheirCourse> = state
                .partners
                .partner_progress(user.id, &catalog)
                .await?
                .into_iter()
                .map(|p| TheirCourse { title: p.course_title, done: p.done, total: p.total })
                .collect();
            let (glance, my_checkins) = crate::web::checkins::partner_glance(state, user).await?;
            let linked = json!({
                "name": link.partner_name, "since": when(link.since),
                "mine": mine, "theirs": theirs,
                "sharing": mine.iter().filter(|c| c.shared).map(|c| &c.title).collect::<Vec<_>>(),
                "checkins": glance.map(|g| crate::web::checkins::glance_view(&g)),
                "my_checkins_shared": my_checkins == crate::checkins::Sharing::Shared,
            });
            context.insert("linked", &linked);
        }
    }
    state.page_with_status("pages/partner/partner.html", status, &context)
}

/// `POST /partner/invite`: mails the invitation; a problem re-shows the page with the address
/// as typed and the message beside the field.
pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> Result<HttpResponse, AppError> {
    let outcome = match Email::parse(&form.email) {
        Ok(email) => state.partners.invite(user.id, email).await.map_err(AppError::from),
        Err(field) => Err(field.into()),
    };
    let message = match outcome {
        Ok(()) => return Ok(see_other(PARTNER)),
        Err(AppError::InvalidField { message, .. }) => message,
        Err(AppError::PartnerLinkExists { detail }) => detail.to_owned(),
        Err(other) => return Err(other),
    };
    let problem = FieldProblem { field: "email".to_owned(), message };
    let feedback = FormFeedback::with_errors(json!({ "email": form.email }), vec![problem]);
    partner_page(&req, &state, &user, StatusCode::UNPROCESSABLE_ENTITY, &feedback).await
}

/// `POST /partner/withdraw` and `POST /partner/end`: takes back the learner's invitation or
/// ends their link (the end page asked first), then back to the partner page.
pub async fn end(
    state: web::Data<AppState>,
    user: CurrentUser,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    match state.partners.end(user.id).await {
        Ok(_) | Err(PartnerError::NoLink) => Ok(see_other(PARTNER)),
        Err(error) => Err(error.into()),
    }
}

/// `GET /partner/end`: what ending the link means, before the learner confirms.
pub async fn show_end(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let PartnerState::Linked(link) = state.partners.state(user.id).await? else {
        return Ok(see_other(PARTNER));
    };
    let mut context = page_context(&req);
    context.insert("partner_name", &link.partner_name);
    state.page("pages/partner/end.html", &context)
}

/// `GET /invitation?token=…`: who invited the learner and what accepting means, with Accept
/// and Decline. Visitors are asked to sign in or create an account, then come back here.
/// Opening the link changes nothing: only the buttons answer.
pub async fn show_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Option<CurrentUser>,
    query: web::Query<InvitationQuery>,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(&req);
    context.insert("token", &query.token);
    let Some(user) = user else {
        let here = local_path(&format!("/invitation?token={}", encoded(&query.token)));
        context.insert("sign_in", &returning("/account/sign-in", &here));
        context.insert("register", &returning("/account/register", &here));
        return state.page("pages/partner/invitation.html", &context);
    };
    match state.partners.invitation_from(user.id, query.token.clone()).await {
        Ok(Some(from)) => context.insert("from", &from),
        Ok(None) => return invitation_closed(&state, &context),
        Err(PartnerError::OwnInvitation) => context.insert("own", &true),
        Err(error) => return Err(error.into()),
    }
    state.page("pages/partner/invitation.html", &context)
}

/// `POST /invitation`: accepts or declines, then the partner page shows the new state.
pub async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let key = if form.token.is_empty() {
        InvitationKey::ToMyAddress
    } else {
        InvitationKey::Token(form.token)
    };
    let answered = match form.answer.as_str() {
        "accept" => state.partners.accept(user.id, key).await,
        "decline" => state.partners.decline(user.id, key).await,
        _ => {
            let message = "Choose whether to accept or decline.".to_owned();
            return Err(AppError::BadInput { field: Some("answer".to_owned()), message });
        }
    };
    match answered {
        Ok(()) => Ok(see_other(PARTNER)),
        Err(PartnerError::BadInvitation) => invitation_closed(&state, &page_context(&req)),
        Err(error) => Err(error.into()),
    }
}

/// `POST /partner/progress/{course}/{action:share|unshare}`
pub async fn share_progress(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (course, action) = path.into_inner();
    if action == "share" {
        state.partners.share_progress(user.id, course).await?;
    } else {
        state.partners.unshare_progress(user.id, course).await?;
    }
    Ok(see_other(PARTNER))
}

/// The kind page for an invitation that was answered, withdrawn or has expired.
fn invitation_closed(state: &AppState, context: &tera::Context) -> Result<HttpResponse, AppError> {
    let status = StatusCode::BAD_REQUEST;
    state.page_with_status("pages/partner/invitation_closed.html", status, context)
}

fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
