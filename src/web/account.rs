//! Account pages (HTML forms that work without JavaScript): register, confirm the address, sign
//! in and out, passwords, sessions. Each handler parses the form, calls [`Accounts`] once and
//! shapes the answer; problems re-render the form with each message linked to its field.
//!
//! [`Accounts`]: crate::accounts::Accounts

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::accounts::{AccountError, Client, Credentials, Registration};
use crate::domain::account::{DisplayName, Email, FieldError, NewPassword, TimeZone};
use crate::domain::device;
use crate::domain::return_path::ReturnPath;
use crate::error::AppError;
use crate::web::forms::{self, FormFeedback, SavedQuery};
use crate::web::pages::{returning, see_other};
use crate::web::session::{CsrfForm, CurrentUser, page_context};
use crate::web::state::AppState;
use crate::web::views::time_zone_groups;

/// A form with nothing but its CSRF token (sign out, resend).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// The registration form.
#[derive(Debug, Deserialize)]
pub struct RegisterForm {
    email: String,
    display_name: String,
    password: String,
    /// Chosen from the list, or picked from the browser's own setting by `time-zone.js`.
    #[serde(default)]
    time_zone: String,
    /// Where to go once registered (a local path), e.g. back to the course being joined.
    #[serde(default)]
    next: String,
}

/// The sign-in form; `remember` is the "keep me signed in" checkbox.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    remember: Option<String>,
    /// Where to go after signing in (a local path), e.g. back to a course to enrol.
    #[serde(default)]
    next: String,
}

/// Where the sign-in page was asked to return to.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// The sign-in page.
const SIGN_IN: &str = "/account/sign-in";
/// The registration page.
const REGISTER: &str = "/account/register";

/// Only local paths are followed after sign-in, so the link cannot send people elsewhere.
pub(crate) fn local_path(next: &str) -> String {
    ReturnPath::parse(next).map_or_else(|| "/dashboard".to_owned(), ReturnPath::into_string)
}

/// The forgotten-password form.
#[derive(Debug, Deserialize)]
pub struct EmailForm {
    email: String,
}

/// A token from an email link, in the query or a hidden field, and where the link returns to.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

/// The form on a reset link's page.
#[derive(Debug, Deserialize)]
pub struct ResetForm {
    token: String,
    password: String,
}

/// The change-password form.
#[derive(Debug, Deserialize)]
pub struct ChangePasswordForm {
    current_password: String,
    password: String,
}

/// Which session to sign out on the sessions page.
#[derive(Debug, Deserialize)]
pub struct SessionForm {
    session_id: String,
}

/// Renders a form page with what was typed (never passwords) and each problem by field.
fn form_page(
    req: &HttpRequest,
    state: &AppState,
    template: &str,
    status: StatusCode,
    values: Value,
    errors: &[FieldError],
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(req);
    FormFeedback::with_errors(values, forms::problems(errors)).insert_into(&mut context);
    state.page_with_status(template, status, &context)
}

/// The button on a message page: the one useful next step.
#[derive(Debug, Serialize)]
struct NextStep<'a> {
    label: &'a str,
    url: &'a str,
}

/// Most message pages lead back to the courses.
const COURSE_LIST: NextStep<'static> = NextStep { label: "Go to the course list", url: "/" };

/// A short page that says what happened and offers what to do next.
fn message_page(
    req: &HttpRequest,
    state: &AppState,
    title: &str,
    text: &str,
    next: &NextStep<'_>,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(req);
    context.insert("title", title);
    context.insert("text", text);
    context.insert("next_step", next);
    state.page("pages/account/message.html", &context)
}

/// A field problem from the accounts service goes back to its form; anything else is an error.
fn field_problem(error: AccountError) -> Result<FieldError, AppError> {
    match error {
        AccountError::Field(field) => Ok(field),
        other => Err(other.into()),
    }
}

/// How `time-zone.js` treats the select: on a fresh registration form it picks the browser's
/// zone; once the learner has chosen (a re-shown form, the profile) it only offers it.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
enum ZoneDetect {
    Preselect,
    Offer,
}

/// What was typed into the registration form, with the zones and the choice marked.
struct RegisterValues<'a> {
    email: &'a str,
    display_name: &'a str,
    zone: &'a str,
    detect: ZoneDetect,
    next: &'a str,
}

impl RegisterValues<'_> {
    /// The form's template values.
    fn to_json(&self) -> Value {
        json!({
            "email": self.email, "display_name": self.display_name,
            "zones": time_zone_groups(self.zone), "zone_detect": self.detect,
            "next": self.next, "sign_in_url": returning(SIGN_IN, self.next),
        })
    }
}

/// `GET /account/register?next=…`
pub async fn show_register(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = local_path(&query.next);
    let zone = TimeZone::UTC.name();
    let detect = ZoneDetect::Preselect;
    let values =
        RegisterValues { email: "", display_name: "", zone, detect, next: &next }.to_json();
    form_page(&req, &state, "pages/account/register.html", StatusCode::OK, values, &[])
}

/// `POST /account/register`: a new learner is signed in and sent on to `next`; a taken
/// address gets the "check your email" page (its owner is mailed a note).
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    let zone = if form.time_zone.is_empty() { TimeZone::UTC.name() } else { &form.time_zone };
    let next = local_path(&form.next);
    let values = RegisterValues {
        email: &form.email,
        display_name: &form.display_name,
        zone,
        detect: ZoneDetect::Offer,
        next: &next,
    }
    .to_json();
    let page = |errors: &[FieldError]| {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        form_page(&req, &state, "pages/account/register.html", status, values.clone(), errors)
    };
    let parsed = (
        Registration::parse(&form.email, &form.display_name, form.password),
        TimeZone::parse(zone),
    );
    let registration = match parsed {
        (Ok(registration), Ok(zone)) => registration.in_zone(zone),
        (registration, zone) => {
            let errors = registration.err().unwrap_or_default().into_iter().chain(zone.err());
            return page(&errors.collect::<Vec<_>>());
        }
    };
    match state.accounts.register_and_sign_in(registration, &client, &next).await {
        Ok(Some(signed)) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, next))
            .cookie(state.cookies.session(&signed))
            .finish()),
        Ok(None) => Ok(see_other("/account/check-email")),
        Err(error) => page(&[field_problem(error)?]),
    }
}

/// `GET /account/check-email`: after registering or asking for a reset link.
pub async fn check_email(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let text = "If that address can receive mail from us, a message with a link is on its way. \
                It can take a few minutes; please also look in your spam folder.";
    message_page(&req, &state, "Please check your email", text, &COURSE_LIST)
}

/// `GET /account/sign-in`
pub async fn show_sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = local_path(&query.next);
    let values = json!({
        "email": "", "remember": false, "next": next, "register_url": returning(REGISTER, &next),
    });
    form_page(&req, &state, "pages/account/sign_in.html", StatusCode::OK, values, &[])
}

/// `POST /account/sign-in`: sets the session cookie; a wrong email or password is one message.
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    CsrfForm(form): CsrfForm<SignInForm>,
) -> Result<HttpResponse, AppError> {
    let next = local_path(&form.next);
    let values = json!({
        "email": form.email, "remember": form.remember.is_some(), "next": next,
        "register_url": returning(REGISTER, &next),
    });
    let credentials = Credentials {
        email: form.email,
        password: form.password,
        remember: form.remember.is_some(),
    };
    match state.accounts.sign_in(credentials, &client).await {
        Ok(signed) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, next))
            .cookie(state.cookies.session(&signed))
            .finish()),
        Err(AccountError::BadCredentials) => {
            let message = "That email and password don't match an account. Please check both.";
            let errors = [FieldError { field: "email", message }];
            let status = StatusCode::UNAUTHORIZED;
            form_page(&req, &state, "pages/account/sign_in.html", status, values, &errors)
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /account/sign-out`: ends this session.
pub async fn sign_out(
    state: web::Data<AppState>,
    user: CurrentUser,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    state.accounts.sign_out(user.id, user.session_id).await?;
    Ok(signed_out(&state))
}

/// `POST /account/sign-out-everywhere`: ends every session on every device.
pub async fn sign_out_everywhere(
    state: web::Data<AppState>,
    user: CurrentUser,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    state.accounts.sign_out_everywhere(user.id).await?;
    Ok(signed_out(&state))
}

fn signed_out(state: &AppState) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .cookie(state.cookies.session_removal())
        .finish()
}

/// `GET /account`: who you are, whether your address is confirmed, and what you can change.
pub async fn show_account(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let history = state.accounts.history(user.id).await?;
    let now = state.clock.now();
    let history: Vec<HistoryView> =
        history.into_iter().map(|entry| HistoryView::new(entry, now, user.time_zone)).collect();
    let mut context = page_context(&req);
    context.insert("history", &history);
    state.page("pages/account/account.html", &context)
}

/// One line of "Account history" as the learner reads it.
#[derive(Debug, Serialize)]
struct HistoryView {
    what: &'static str,
    when: String,
    iso: String,
    by: crate::accounts::ActedBy,
    ip: Option<String>,
}

impl HistoryView {
    fn new(entry: crate::accounts::HistoryEntry, now: DateTime<Utc>, zone: chrono_tz::Tz) -> Self {
        Self {
            what: crate::admin::audit::describe_for_owner(&entry.action),
            when: crate::web::views::when(entry.at, now, zone),
            iso: entry.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            by: entry.by,
            ip: entry.ip,
        }
    }
}

/// A page whose only job is a button that uses an email link's token. Opening the link does
/// nothing by itself, so mail scanners that follow links cannot use the token up.
fn confirm_link_page(
    req: &HttpRequest,
    state: &AppState,
    link: &TokenForm,
    action: &str,
    heading: &str,
    button: &str,
) -> Result<HttpResponse, AppError> {
    let values = json!({
        "token": link.token, "next": local_path(&link.next),
        "action": action, "heading": heading, "button": button,
    });
    form_page(req, state, "pages/account/confirm_link.html", StatusCode::OK, values, &[])
}

/// Which kind of email link was used up, so its page offers the right way to get a new one.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
enum LinkKind {
    /// Confirming the address of a new account: a new link is one button away.
    Verify,
    /// Confirming a new address: asking again means filling in the change form again.
    ChangeEmail,
}

/// A used or expired link: says so, and offers a new one on the same page.
fn used_link_page(
    req: &HttpRequest,
    state: &AppState,
    kind: LinkKind,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(req);
    context.insert("kind", &kind);
    state.page_with_status("pages/account/link_used.html", StatusCode::BAD_REQUEST, &context)
}

/// `GET /account/verify?token=…&next=…`
pub async fn show_verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let (heading, button) = ("Confirm your email", "Confirm my email address");
    confirm_link_page(&req, &state, &query, "/account/verify", heading, button)
}

/// `POST /account/verify`: confirms the address and offers the way back to where the learner
/// was. A session this browser already has simply stays; the link never signs anyone in by
/// itself, because a link in a mail only shows that someone could read that mail (a
/// forwarded message, a shared inbox), not that they hold the account.
pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: Option<CurrentUser>,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let next = local_path(&form.next).to_owned();
    match state.accounts.verify_email(form.token).await {
        Ok(()) => {}
        Err(AccountError::BadLink) => return used_link_page(&req, &state, LinkKind::Verify),
        Err(error) => return Err(error.into()),
    }
    let title = "Thank you: your email is confirmed";
    if user.is_some() {
        let step = NextStep { label: "Carry on where you were", url: &next };
        return message_page(&req, &state, title, "You're all set.", &step);
    }
    let sign_in = returning(SIGN_IN, &next);
    let step = NextStep { label: "Sign in", url: &sign_in };
    let text = "You're all set. Sign in to carry on where you were.";
    message_page(&req, &state, title, text, &step)
}

/// `POST /account/verify/resend`
pub async fn resend_verification(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    user: CurrentUser,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    state.accounts.resend_verification(user.id, &client).await?;
    let text = "We've sent a new link to your address. Links from earlier emails no longer work.";
    message_page(&req, &state, "A new link is on its way", text, &COURSE_LIST)
}

/// `GET /account/forgot`
pub async fn show_forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let values = json!({ "email": "" });
    form_page(&req, &state, "pages/account/forgot.html", StatusCode::OK, values, &[])
}

/// `POST /account/forgot`: the same answer whether or not the address has an account.
pub async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<HttpResponse, AppError> {
    match Email::parse(&form.email) {
        Ok(email) => {
            state.accounts.request_reset(email, &client).await?;
            Ok(see_other("/account/check-email"))
        }
        Err(error) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            let values = json!({ "email": form.email });
            form_page(&req, &state, "pages/account/forgot.html", status, values, &[error])
        }
    }
}

/// `GET /account/reset?token=…`
pub async fn show_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let values = json!({ "token": query.token });
    form_page(&req, &state, "pages/account/reset.html", StatusCode::OK, values, &[])
}

/// A reset link that was used or has expired; the page offers a new one.
const USED_RESET_LINK: FieldError = FieldError {
    field: "token",
    message: "This link has expired or was already used. You can ask for a new one.",
};

/// `POST /account/reset`: sets the new password and signs out every device.
pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let values = json!({ "token": form.token });
    let page = |status: StatusCode, errors: &[FieldError]| {
        form_page(&req, &state, "pages/account/reset.html", status, values.clone(), errors)
    };
    let invalid = StatusCode::UNPROCESSABLE_ENTITY;
    let password = match NewPassword::parse(form.password) {
        Ok(password) => password,
        Err(error) => return page(invalid, &[error]),
    };
    match state.accounts.reset_password(form.token, password).await {
        Ok(()) => {
            let text = "Your new password is set, and every device was signed out. \
                        You can sign in again now.";
            let step = NextStep { label: "Sign in", url: "/account/sign-in" };
            message_page(&req, &state, "Your password is changed", text, &step)
        }
        Err(AccountError::BadLink) => page(StatusCode::BAD_REQUEST, &[USED_RESET_LINK]),
        Err(error) => page(invalid, &[field_problem(error)?]),
    }
}

/// `GET /account/password`
pub async fn show_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    _user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    form_page(&req, &state, "pages/account/password.html", StatusCode::OK, json!({}), &[])
}

/// `POST /account/password`: every other device is signed out; this one stays signed in.
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let page = |errors: &[FieldError]| {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        form_page(&req, &state, "pages/account/password.html", status, json!({}), errors)
    };
    let password = match NewPassword::parse(form.password) {
        Ok(password) => password,
        Err(error) => return page(&[error]),
    };
    let changed =
        state.accounts.change_password(user.id, form.current_password, password, &client).await;
    match changed {
        Ok(signed) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/account"))
            .cookie(state.cookies.session(&signed))
            .finish()),
        Err(error) => page(&[field_problem(error)?]),
    }
}

/// A session as the sessions page lists it.
#[derive(Debug, Serialize)]
struct SessionView {
    id: String,
    device: String,
    last_seen: String,
    current: bool,
}

/// `GET /account/sessions`: every device signed in, each with a button to sign it out.
pub async fn show_sessions(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let sessions: Vec<SessionView> = state
        .accounts
        .sessions(user.id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.id == user.session_id,
            device: device::describe(&s.user_agent),
            last_seen: s.last_seen_at.format("%-d %B %Y, %H:%M UTC").to_string(),
            id: s.id,
        })
        .collect();
    let mut context = page_context(&req);
    context.insert("sessions", &sessions);
    state.page("pages/account/sessions.html", &context)
}

/// `POST /account/sessions/revoke`: signs one of your devices out.
pub async fn revoke_session(
    state: web::Data<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<SessionForm>,
) -> Result<HttpResponse, AppError> {
    let current = form.session_id == user.session_id;
    state.accounts.sign_out(user.id, form.session_id).await?;
    Ok(if current { signed_out(&state) } else { see_other("/account/sessions") })
}

/// The delete-account form: the password confirms it is really the owner.
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    password: String,
}

/// `GET /account/delete`: what deleting means, and the form to do it.
pub async fn show_delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    _user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    form_page(&req, &state, "pages/account/delete.html", StatusCode::OK, json!({}), &[])
}

/// `POST /account/delete`: erases the account and signs every device out.
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    client: Client,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    if let Err(error) = state.accounts.delete_account(user.id, form.password, &client).await {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        let errors = [field_problem(error)?];
        return form_page(&req, &state, "pages/account/delete.html", status, json!({}), &errors);
    }
    let text = "Your account and everything in it are gone, and every device was signed out. \
                Thank you for the time you spent here.";
    let mut response = message_page(&req, &state, "Your account is deleted", text, &COURSE_LIST)?;
    response
        .add_cookie(&state.cookies.session_removal())
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(response)
}

/// The change-email form: the new address, and the current password.
#[derive(Debug, Deserialize)]
pub struct ChangeEmailForm {
    email: String,
    current_password: String,
}

/// `GET /account/email`
pub async fn show_change_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    _user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let values = json!({ "email": "" });
    form_page(&req, &state, "pages/account/email.html", StatusCode::OK, values, &[])
}

/// `POST /account/email`: mails a confirmation link to the new address.
pub async fn change_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: Client,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<ChangeEmailForm>,
) -> Result<HttpResponse, AppError> {
    let values = json!({ "email": form.email });
    let page = |errors: &[FieldError]| {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        form_page(&req, &state, "pages/account/email.html", status, values.clone(), errors)
    };
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(error) => return page(&[error]),
    };
    let requested =
        state.accounts.request_email_change(user.id, form.current_password, email, &client).await;
    match requested {
        Ok(()) => Ok(see_other("/account/check-email")),
        Err(error) => page(&[field_problem(error)?]),
    }
}

/// `GET /account/email/confirm?token=…`
pub async fn show_confirm_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let (heading, button) = ("Confirm your new email address", "Use this address");
    confirm_link_page(&req, &state, &query, "/account/email/confirm", heading, button)
}

/// `POST /account/email/confirm`
pub async fn confirm_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<HttpResponse, AppError> {
    match state.accounts.confirm_email_change(form.token).await {
        Ok(()) => {}
        Err(AccountError::BadLink) => return used_link_page(&req, &state, LinkKind::ChangeEmail),
        Err(error) => return Err(error.into()),
    }
    let text = "From now on, sign in and get messages with your new address.";
    let step = NextStep { label: "Go to your account", url: "/account" };
    message_page(&req, &state, "Your new email address is confirmed", text, &step)
}

/// The profile form: what to call the learner and their time zone.
#[derive(Debug, Deserialize)]
pub struct ProfileForm {
    display_name: String,
    time_zone: String,
}

/// Renders the profile form with the list of zones to choose from.
fn profile_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    values: Value,
    errors: &[FieldError],
) -> Result<HttpResponse, AppError> {
    let zones = time_zone_groups(values["time_zone"].as_str().unwrap_or_default());
    let values = json!({ "form": values, "zones": zones, "zone_detect": ZoneDetect::Offer });
    form_page(req, state, "pages/account/profile.html", status, values, errors)
}

/// `GET /account/profile`: display name and time zone.
pub async fn show_profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    let values = json!({
        "display_name": user.display_name, "time_zone": user.time_zone.name(),
        "saved": query.saved.is_some(),
    });
    profile_page(&req, &state, StatusCode::OK, values, &[])
}

/// `POST /account/profile`: both fields are checked before either is stored.
pub async fn update_profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let parsed = (DisplayName::parse(&form.display_name), TimeZone::parse(&form.time_zone));
    let (name, zone) = match parsed {
        (Ok(name), Ok(zone)) => (name, zone),
        (name, zone) => {
            let errors: Vec<FieldError> = [name.err(), zone.err()].into_iter().flatten().collect();
            let values = json!({ "display_name": form.display_name, "time_zone": form.time_zone });
            return profile_page(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, values, &errors);
        }
    };
    state.accounts.update_profile(user.id, name, zone).await?;
    // Back to the form (not a re-render) so a reload does not post again.
    Ok(see_other("/account/profile?saved=1"))
}
