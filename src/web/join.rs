//! `/account/join?token=…`: the sign-up page an admin's invitation links to. The address is
//! fixed (the link proved it); a used, withdrawn or expired link says so kindly.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::{AccountError, Client, JoinLink, Joining};
use crate::domain::account::{DisplayName, FieldError, NewPassword, TimeZone};
use crate::error::AppError;
use crate::web::forms::{self, FormFeedback};
use crate::web::session::{CsrfForm, page_context};
use crate::web::state::AppState;
use crate::web::views::time_zone_groups;

/// The token in the invitation's link.
#[derive(Debug, Deserialize)]
pub struct JoinQuery {
    #[serde(default)]
    token: String,
}

/// The sign-up form of an invitation.
#[derive(Debug, Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    token: String,
    display_name: String,
    password: String,
    #[serde(default)]
    time_zone: String,
}

fn values(token: &str, email: &str, name: &str, zone: &str) -> Value {
    json!({
        "token": token, "email": email, "display_name": name,
        "zones": time_zone_groups(zone), "zone_detect": "preselect",
    })
}

fn form_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    values: Value,
    errors: &[FieldError],
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(req);
    FormFeedback::with_errors(values, forms::problems(errors)).insert_into(&mut context);
    state.page_with_status("pages/account/join.html", status, &context)
}

/// The kind page for a link that cannot be used, with the one useful next step.
fn link_page(
    req: &HttpRequest,
    state: &AppState,
    link: &JoinLink,
) -> Result<HttpResponse, AppError> {
    let (title, text, label, url) = match link {
        JoinLink::Expired => (
            "This invitation has expired",
            "Invitation links work for a while only. Please ask the person who invited you to send a new one; nothing is lost.",
            "Go to the home page",
            "/",
        ),
        JoinLink::Used => (
            "This invitation was already used",
            "If you created your account with it, sign in with your email address and password.",
            "Sign in",
            "/account/sign-in",
        ),
        _ => (
            "We couldn't find that invitation",
            "The link may be incomplete. Try opening it again from the email, or ask for a new one.",
            "Go to the home page",
            "/",
        ),
    };
    let mut context = page_context(req);
    context.insert("title", title);
    context.insert("text", text);
    context.insert("next_step", &json!({ "label": label, "url": url }));
    state.page_with_status("pages/account/message.html", StatusCode::OK, &context)
}

/// `GET /account/join?token=…`
pub async fn show_join(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<JoinQuery>,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token;
    match state.accounts.join_link(token.clone()).await? {
        JoinLink::Open { email, display_name } => {
            let values = values(&token, &email, &display_name, TimeZone::UTC.name());
            form_page(&req, &state, StatusCode::OK, values, &[])
        }
        other => link_page(&req, &state, &other),
    }
}

/// `POST /account/join`: creates the account, starts the waiting enrolments, signs in and goes
/// to the dashboard.
pub async fn join(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    CsrfForm(form): CsrfForm<JoinForm>,
) -> Result<HttpResponse, AppError> {
    let JoinLink::Open { email, .. } = state.accounts.join_link(form.token.clone()).await? else {
        let link = state.accounts.join_link(form.token.clone()).await?;
        return link_page(&req, &state, &link);
    };
    let zone = if form.time_zone.is_empty() { TimeZone::UTC.name() } else { &form.time_zone };
    let shown = values(&form.token, &email, &form.display_name, zone);
    let parsed = (
        DisplayName::parse(&form.display_name),
        NewPassword::parse(form.password),
        TimeZone::parse(zone),
    );
    let joining = match parsed {
        (Ok(display_name), Ok(password), Ok(time_zone)) => {
            Joining { display_name, password, time_zone }
        }
        (name, password, zone) => {
            let errors: Vec<FieldError> =
                [name.err(), password.err(), zone.err()].into_iter().flatten().collect();
            return form_page(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, shown, &errors);
        }
    };
    match state.accounts.join(form.token.clone(), joining, &client).await {
        Ok(signed) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/dashboard"))
            .cookie(state.cookies.session(&signed))
            .finish()),
        Err(AccountError::AccountExists) => link_page(&req, &state, &JoinLink::Used),
        Err(AccountError::BadLink) => link_page(&req, &state, &JoinLink::Expired),
        Err(AccountError::Field(field)) => {
            form_page(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, shown, &[field])
        }
        Err(other) => Err(other.into()),
    }
}
