//! Sessions on the web. One middleware reads the session cookie (or `Authorization: Bearer`) on
//! every request, checks it against the sessions table through
//! [`Accounts::authenticate`](crate::accounts::Accounts::authenticate),
//! refuses cross-site state changes, and sets the cookies that slide a session forward or bind
//! a signed-out visitor's forms (the pre-session CSRF nonce). Handlers then ask for
//! [`CurrentUser`] or a [`CsrfForm`], and pages get the shared bits of their
//! context from [`page_context`].

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite, time::OffsetDateTime};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use tera::Context;
use url::Url;

use crate::accounts::{AccountError, Accounts, Authenticated, ClaimedSession, Client, SignedIn};
use crate::auth::{csrf, tokens};
use crate::db::DbConnection;
use crate::domain::account::Role;
use crate::domain::drip::parse_zone;
use crate::domain::ids::UserId;
use crate::error::AppError;
use crate::web::account::local_path;
use crate::web::pages::returning;
use crate::web::state::AppState;

/// How the session token arrived: browsers use the cookie, API clients the bearer header
/// (which, unlike a cookie, a browser never attaches by itself, so it needs no CSRF token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Cookie,
    Bearer,
}

/// Who is making a request, built once by authentication and carried to every handler and page:
/// only what pages and permission checks need, never the stored row (no password hash).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub role: Role,
    pub email: String,
    pub display_name: String,
    /// The learner's own zone, for lesson dates.
    pub time_zone: Tz,
    /// Whether the address has been confirmed.
    pub confirmed: bool,
    /// Page titles say only "Mend" (the default; see [`page_context`]).
    pub discreet_titles: bool,
    pub session_id: String,
    pub via: Via,
}

impl CurrentUser {
    /// The identity behind an authenticated token. A role the database should never hold is
    /// read as the least privileged one.
    fn new(auth: &Authenticated, via: Via) -> Self {
        let user = &auth.user;
        let role = user.role.parse().unwrap_or_else(|_| {
            tracing::warn!(user_id = user.id, "unknown stored role; treated as a learner");
            Role::Learner
        });
        Self {
            id: UserId::from(user.id),
            role,
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            time_zone: parse_zone(&user.time_zone),
            confirmed: user.email_verified_at.is_some(),
            discreet_titles: user.discreet_titles,
            session_id: auth.session.id.clone(),
            via,
        }
    }

    /// The signed-in user of a request, for code that has the request rather than an extractor.
    pub fn of(req: &HttpRequest) -> Option<Self> {
        req.extensions().get::<Self>().cloned()
    }
}

/// What this request's CSRF tokens are bound to: the session, or a pre-session nonce.
#[derive(Debug, Clone)]
struct CsrfBinding {
    binding: String,
    /// A nonce minted for this request, to be set as a cookie on the response.
    new_nonce: Option<String>,
}

/// Cookie names and flags. `__Host-` names require `Secure`, which browsers refuse over plain
/// http, so on a plain-http localhost (development) the names drop the prefix.
#[derive(Debug, Clone)]
pub struct SessionCookies {
    session: &'static str,
    csrf: &'static str,
    secure: bool,
}

impl SessionCookies {
    /// Secure `__Host-` cookies unless `base_url` is plain http on localhost.
    pub fn for_base_url(base_url: &Url) -> Self {
        let local = matches!(base_url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if base_url.scheme() == "http" && local {
            Self { session: "mend", csrf: "mend-csrf", secure: false }
        } else {
            Self { session: "__Host-mend", csrf: "__Host-mend-csrf", secure: true }
        }
    }

    fn base(&self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .finish()
    }

    /// The session cookie; a browser-session cookie unless "remember me" was ticked.
    pub fn session(&self, signed: &SignedIn) -> Cookie<'static> {
        let mut cookie = self.base(self.session, signed.token.clone());
        if signed.remember {
            let expires = OffsetDateTime::from_unix_timestamp(signed.expires_at.timestamp())
                .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            cookie.set_expires(expires);
        }
        cookie
    }

    /// Deletes the session cookie.
    pub fn session_removal(&self) -> Cookie<'static> {
        let mut cookie = self.base(self.session, String::new());
        cookie.make_removal();
        cookie
    }
}

/// Resolves the session, checks the origin of state changes and keeps the cookies fresh.
/// Refusals become responses here, so the error pages and security headers still apply.
/// On paths that check the session in their own unit of work ([`crate::web::checks_session_itself`])
/// only the token's signature is checked here, and the handler confirms it with
/// [`with_session`].
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    // Assets and health checks need no session: spare them the database lookup.
    let Some(state) = state.filter(|_| !is_sessionless(req.path())) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let claim = claim_of(&state, req.request());
    let deferred = req.method().is_safe() && crate::web::checks_session_itself(req.path());
    let user = match (&claim, deferred) {
        (Claim::Genuine(claimed), false) => match confirm(&state, claimed.clone()).await {
            Ok(checked) => settle(req.request(), checked),
            Err(error) => return Ok(req.error_response(error).map_into_right_body()),
        },
        (Claim::Genuine(claimed), true) => {
            req.extensions_mut().insert(claimed.clone());
            None
        }
        (Claim::Refused, _) => {
            req.extensions_mut().insert(SessionOutcome { renewed: None, stale_cookie: true });
            None
        }
        (Claim::Absent | Claim::RefusedBearer, _) => None,
    };
    if let Err(error) = check_request(&state, req.request(), user.as_ref()) {
        return Ok(req.error_response(error).map_into_right_body());
    }
    let binding = csrf_binding(&state, req.request(), cookie_session(&claim, user.as_ref()));
    req.extensions_mut().insert(binding.clone());
    let mut res = next.call(req).await?;
    let outcome = res.request().extensions().get::<SessionOutcome>().cloned();
    let cookies = &state.cookies;
    let handled = res.response().cookies().any(|c| c.name() == cookies.session);
    if let Some(outcome) = outcome.filter(|_| !handled) {
        if let Some(renewed) = &outcome.renewed {
            res.response_mut().add_cookie(&cookies.session(renewed))?;
        } else if outcome.stale_cookie {
            res.response_mut().add_cookie(&cookies.session_removal())?;
        }
    }
    if let Some(nonce) = binding.new_nonce {
        res.response_mut().add_cookie(&cookies.base(cookies.csrf, nonce))?;
    }
    Ok(res.map_into_left_body())
}

/// Paths that neither read a session nor check where a state change came from: assets and
/// health checks (nothing to protect), and unsubscribe links, whose signed token is the only
/// authority and which mail clients post to cross-site (RFC 8058). Nothing else.
fn is_sessionless(path: &str) -> bool {
    path.starts_with("/static/")
        || path == "/healthz"
        || path == "/readyz"
        || crate::web::is_unsubscribe_link(path)
}

/// What the request's token claims, checked without the database.
enum Claim {
    Absent,
    /// A cookie that is forged, expired or from an old key: removed on the response.
    Refused,
    RefusedBearer,
    Genuine(PendingSession),
}

/// A genuine token whose session the database has not confirmed yet (see [`with_session`]).
#[derive(Debug, Clone)]
pub struct PendingSession {
    claimed: ClaimedSession,
    via: Via,
}

/// What the session check means for the response's cookies.
#[derive(Debug, Clone)]
struct SessionOutcome {
    renewed: Option<SignedIn>,
    stale_cookie: bool,
}

fn claim_of(state: &AppState, req: &HttpRequest) -> Claim {
    let (token, via) = match bearer(req) {
        Some(token) => (token, Via::Bearer),
        None => match req.cookie(state.cookies.session) {
            Some(cookie) => (cookie.value().to_owned(), Via::Cookie),
            None => return Claim::Absent,
        },
    };
    match (state.accounts.verify_token(&token), via) {
        (Ok(claimed), via) => Claim::Genuine(PendingSession { claimed, via }),
        (Err(_), Via::Cookie) => Claim::Refused,
        (Err(_), Via::Bearer) => Claim::RefusedBearer,
    }
}

/// The session check's result: the user when the session is live, and the cookie change.
struct Checked {
    user: Option<CurrentUser>,
    outcome: SessionOutcome,
}

/// Confirms a pending session on the caller's connection (a session that is gone is simply
/// signed out; only a database failure is an error).
fn check(
    accounts: &Accounts,
    conn: &mut DbConnection,
    pending: &PendingSession,
) -> Result<Checked, AppError> {
    let via = pending.via;
    match accounts.check_session(conn, &pending.claimed) {
        Ok(auth) => Ok(Checked {
            user: Some(CurrentUser::new(&auth, via)),
            outcome: SessionOutcome {
                renewed: auth.renewed.filter(|_| via == Via::Cookie),
                stale_cookie: false,
            },
        }),
        Err(AccountError::NotSignedIn) => Ok(Checked {
            user: None,
            outcome: SessionOutcome { renewed: None, stale_cookie: via == Via::Cookie },
        }),
        Err(other) => Err(other.into()),
    }
}

/// The session check in a blocking-pool hop of its own, for every path that does not fold it
/// into its own unit of work.
async fn confirm(state: &AppState, pending: PendingSession) -> Result<Checked, AppError> {
    let accounts = Arc::clone(&state.accounts);
    state.db.run(move |conn| check(&accounts, conn, &pending)).await
}

/// Records the checked session on the request, for extractors, pages and the response's
/// cookies; returns the user.
fn settle(req: &HttpRequest, checked: Checked) -> Option<CurrentUser> {
    let mut extensions = req.extensions_mut();
    extensions.insert(checked.outcome);
    if let Some(user) = &checked.user {
        extensions.insert(user.clone());
    }
    checked.user
}

/// Runs `work` in one blocking-pool hop together with the session check the middleware left
/// to this handler, so a hot page costs one hop; `work` sees who is signed in. The request
/// knows the user afterwards (also when `work` fails, so error pages show the right header).
pub async fn with_session<T, F>(req: &HttpRequest, state: &AppState, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, Option<&CurrentUser>) -> Result<T, AppError> + Send + 'static,
{
    let pending = req.extensions().get::<PendingSession>().cloned();
    let known = CurrentUser::of(req);
    let accounts = Arc::clone(&state.accounts);
    let (checked, result) = state
        .db
        .run(move |conn| {
            let checked = pending.map(|p| check(&accounts, conn, &p)).transpose()?;
            let user = checked.as_ref().map_or(known, |c| c.user.clone());
            Ok::<_, AppError>((checked, work(conn, user.as_ref())))
        })
        .await?;
    if let Some(checked) = checked {
        settle(req, checked);
    }
    result
}

/// The cookie session this request's forms bind to, when it claims one.
fn cookie_session<'a>(claim: &'a Claim, user: Option<&'a CurrentUser>) -> Option<&'a str> {
    match (claim, user) {
        (_, Some(user)) => (user.via == Via::Cookie).then_some(user.session_id.as_str()),
        (Claim::Genuine(pending), None) if pending.via == Via::Cookie => {
            Some(pending.claimed.session_id.as_str())
        }
        _ => None,
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    // Auth scheme names are case-insensitive (RFC 7235).
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// State changes must come from our own origin unless they carry a bearer token; cookie-based
/// JSON calls must also send the CSRF token in `X-CSRF-Token` (forms send it in the body, see
/// [`CsrfForm`]).
fn check_request(
    state: &AppState,
    req: &HttpRequest,
    user: Option<&CurrentUser>,
) -> Result<(), AppError> {
    if req.method().is_safe() || user.is_some_and(|u| u.via == Via::Bearer) {
        return Ok(());
    }
    let ours = state.settings.base_url.origin().ascii_serialization();
    if csrf::is_cross_site(header(req, "sec-fetch-site"), header(req, "origin"), &ours) {
        return Err(AppError::Forbidden("cross-site request"));
    }
    if let Some(user) = user.filter(|_| req.path().starts_with("/api/")) {
        let token = header(req, "x-csrf-token").unwrap_or_default();
        if !state.csrf.verify(&session_binding(&user.session_id), token) {
            return Err(AppError::Forbidden("missing CSRF token"));
        }
    }
    Ok(())
}

fn session_binding(session_id: &str) -> String {
    format!("s:{session_id}")
}

fn csrf_binding(state: &AppState, req: &HttpRequest, session_id: Option<&str>) -> CsrfBinding {
    if let Some(session_id) = session_id {
        return CsrfBinding { binding: session_binding(session_id), new_nonce: None };
    }
    match req.cookie(state.cookies.csrf).filter(|c| c.value().len() == 43) {
        Some(cookie) => CsrfBinding { binding: format!("p:{}", cookie.value()), new_nonce: None },
        None => {
            let nonce = tokens::generate();
            CsrfBinding { binding: format!("p:{nonce}"), new_nonce: Some(nonce) }
        }
    }
}

/// A signed-in author or admin: 401 for visitors, 403 for learners.
#[derive(Debug, Clone)]
pub struct Author(pub CurrentUser);

impl FromRequest for Author {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let author = match CurrentUser::of(req) {
            None => Err(AppError::Unauthorized),
            Some(user) if user.role.can_author() => Ok(Self(user)),
            Some(_) => Err(AppError::AuthorsOnly),
        };
        ready(author)
    }
}

/// A signed-in admin: 401 for visitors, 403 ([`AppError::AdminsOnly`]) for learners and
/// authors. The same extractor guards admin pages and the admin API: whether the refusal is a
/// page or `application/problem+json` is decided by the path, in [`crate::web::errors`].
#[derive(Debug, Clone)]
pub struct Admin(pub CurrentUser);

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let admin = match CurrentUser::of(req) {
            None => Err(AppError::Unauthorized),
            Some(user) if user.role == Role::Admin => Ok(Self(user)),
            Some(_) => Err(AppError::AdminsOnly),
        };
        ready(admin)
    }
}

/// The signed-in user, or 401; `Option<CurrentUser>` for pages that visitors see too.
impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::of(req).ok_or(AppError::Unauthorized))
    }
}

impl FromRequest for Client {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    /// The client's address (see [`client_address`]) and user agent.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ip = client_address(req);
        let user_agent = header(req, "user-agent").unwrap_or_default().to_owned();
        ready(Ok(Self { ip, user_agent }))
    }
}

/// The client's address: the TCP peer, unless the peer is one of `MEND_TRUSTED_PROXIES`, in
/// which case the proxy's `X-Forwarded-For` is read (see [`crate::auth::client_addr`]), so a
/// client that is not behind a trusted proxy cannot choose the address it is recorded under.
pub fn client_address(req: &HttpRequest) -> std::net::IpAddr {
    let peer = req
        .peer_addr()
        .map_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |addr| addr.ip());
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.trusted_proxies.as_slice())
        .unwrap_or_default();
    let forwarded = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok());
    crate::auth::client_addr::resolve(peer, forwarded, trusted)
}

/// A submitted form with its CSRF token checked (403 when missing or wrong).
#[derive(serde::Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    csrf_token: String,
    #[serde(flatten)]
    fields: T,
}

/// A form body whose `csrf_token` field matched this session (or pre-session nonce).
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = web::Form::<Envelope<T>>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let envelope = form.await?.into_inner();
            let valid = match (
                req.extensions().get::<CsrfBinding>(),
                req.app_data::<web::Data<AppState>>(),
            ) {
                (Some(binding), Some(state)) => {
                    state.csrf.verify(&binding.binding, &envelope.csrf_token)
                }
                _ => false,
            };
            if !valid {
                return Err(AppError::Forbidden("missing or wrong CSRF token").into());
            }
            Ok(Self(envelope.fields))
        })
    }
}

/// The signed-in user as pages show them.
#[derive(Debug, serde::Serialize)]
struct UserView<'a> {
    display_name: &'a str,
    email: &'a str,
    verified: bool,
    role: &'a str,
}

/// The context every page starts from: the signed-in user (for the header), the CSRF token
/// its forms carry, and `full_titles` only when a signed-in learner chose page titles that
/// name what they read: neutral titles are what a page gets without it (see `base.html`).
pub fn page_context(req: &HttpRequest) -> Context {
    let mut context = Context::new();
    let state = req.app_data::<web::Data<AppState>>();
    if let Some(user) = CurrentUser::of(req) {
        if !user.discreet_titles {
            context.insert("full_titles", &true);
        }
        let view = UserView {
            display_name: &user.display_name,
            email: &user.email,
            verified: user.confirmed,
            role: user.role.as_str(),
        };
        context.insert("current_user", &view);
        if let Some(state) = state.filter(|_| user.role.can_author()) {
            insert_content_errors(&mut context, state);
        }
    } else {
        context.insert("sign_in_url", &sign_in_href(req));
    }
    if let (Some(binding), Some(state)) = (req.extensions().get::<CsrfBinding>(), state) {
        context.insert("csrf_token", &state.csrf.token(&binding.binding));
    }
    context
}

/// The sign-in page, returning to this page afterwards when it is a page to come back to (a
/// GET, not a form post, and not the sign-in or registration page itself).
pub(crate) fn sign_in_href(req: &HttpRequest) -> String {
    let comes_back = matches!(*req.method(), Method::GET | Method::HEAD)
        && !matches!(req.path(), "/account/sign-in" | "/account/register");
    if !comes_back {
        return "/account/sign-in".to_owned();
    }
    let here = req.uri().path_and_query().map_or("/", |p| p.as_str());
    returning("/account/sign-in", &local_path(here))
}

/// Tells authors on every page when their last edit did not go live, and why (how many errors).
fn insert_content_errors(context: &mut Context, state: &AppState) {
    let Some(status) = state.catalog.status() else { return };
    if !status.published {
        let errors = crate::content::error_count(&status.diagnostics);
        context.insert("content_errors", &errors);
    }
}

/// The CSRF token for a signed-in session, for API clients using the cookie.
pub fn api_csrf_token(state: &AppState, user: &CurrentUser) -> String {
    state.csrf.token(&session_binding(&user.session_id))
}

/// Whether `token` is this request's CSRF token, for a form [`CsrfForm`] cannot read (the
/// multipart upload of the CSV import).
pub fn verify_csrf(req: &HttpRequest, token: &str) -> bool {
    match (req.extensions().get::<CsrfBinding>(), req.app_data::<web::Data<AppState>>()) {
        (Some(binding), Some(state)) => state.csrf.verify(&binding.binding, token),
        _ => false,
    }
}
