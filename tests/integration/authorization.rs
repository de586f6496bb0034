//! Who may call what: every route the server registers, with every method it answers, has a
//! line in [`CASES`] giving the status each kind of caller gets (anonymous, learner, author,
//! admin). A route without a line fails the test, so a new route cannot ship unreviewed; a line
//! for a route that no longer exists fails it too.
//!
//! Each request is the plainest one that reaches the handler: path parameters get sample
//! values (`x` unless named below), forms carry only a valid CSRF token, JSON calls carry `{}`
//! and a bearer token (anonymous calls carry nothing). So a status here says "refused",
//! "accepted" or "accepted, then the empty input was refused (422)" — never a role leak.
//!
//! Adding a route: add its line here (run with `MEND_AUTHZ_PRINT=1` to print the statuses the
//! server gives today, then check each one is what you mean).

use mend::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::both_backends;
use crate::support::{Browser, PASSWORD, TestApp};

/// `(method, route pattern, [anonymous, learner, author, admin])`.
type Case = (&'static str, &'static str, [u16; 4]);

/// Every route and method, and what each caller gets. One line per route and method.
const CASES: &[Case] = &[
    // Public pages, courses and lessons.
    ("GET", "/healthz", [200, 200, 200, 200]),
    ("GET", "/readyz", [200, 200, 200, 200]),
    ("GET", "/static/{file}", [404, 404, 404, 404]),
    ("GET", "/", [200, 200, 200, 200]),
    // Support in a crisis: no sign-in, no enrolment.
    ("GET", "/support", [200, 200, 200, 200]),
    ("GET", "/courses/{course}", [200, 200, 200, 200]),
    ("GET", "/courses/{course}/support", [200, 200, 200, 200]),
    ("GET", "/courses/{course}/lessons/{lesson}", [403, 403, 200, 200]),
    ("GET", "/courses/{course}/worksheets/{worksheet}", [404, 404, 404, 404]),
    ("GET", "/courses/{course}/worksheets/{worksheet}/download", [404, 404, 404, 404]),
    ("GET", "/courses/{course}/files/{path:.+}", [404, 404, 404, 404]),
    ("GET", "/dashboard", [401, 200, 200, 200]),
    ("GET", "/courses/{course}/complete", [401, 403, 403, 403]),
    ("GET", "/courses/{course}/track", [401, 403, 403, 403]),
    ("POST", "/courses/{course}/track", [401, 422, 422, 422]),
    ("POST", "/courses/{course}/enroll", [303, 422, 422, 422]),
    ("POST", "/courses/{course}/{action:pause|resume}", [401, 403, 403, 403]),
    (
        "POST",
        "/courses/{course}/lessons/{lesson}/{action:complete|uncomplete}",
        [401, 403, 403, 403],
    ),
    ("POST", "/courses/{course}/lessons/{lesson}/reflections/{id}", [401, 403, 403, 403]),
    ("GET", "/reflections", [401, 200, 200, 200]),
    // Worksheets.
    ("GET", "/worksheets", [401, 200, 200, 200]),
    ("GET", "/worksheets/{id}", [401, 404, 404, 404]),
    ("GET", "/worksheets/{id}/history", [401, 404, 404, 404]),
    ("GET", "/worksheets/{id}/download", [401, 404, 404, 404]),
    ("GET", "/worksheets/{id}/agreement/download", [401, 404, 404, 404]),
    ("POST", "/worksheets/{id}", [401, 404, 404, 404]),
    ("POST", "/worksheets/{id}/restore", [401, 422, 422, 422]),
    ("POST", "/worksheets/{id}/sign", [401, 422, 422, 422]),
    ("POST", "/worksheets/{id}/share", [401, 422, 422, 422]),
    // Daily check-ins.
    ("GET", "/checkin", [401, 200, 200, 200]),
    ("POST", "/checkin", [401, 422, 422, 422]),
    ("GET", "/checkin/patterns", [401, 200, 200, 200]),
    ("GET", "/checkin/export", [401, 200, 200, 200]),
    ("POST", "/checkin/sharing", [401, 422, 422, 422]),
    // Accounts.
    ("GET", "/account", [401, 200, 200, 200]),
    ("GET", "/account/notifications", [401, 200, 200, 200]),
    ("POST", "/account/notifications", [401, 422, 422, 422]),
    ("GET", "/account/discretion", [401, 200, 200, 200]),
    ("POST", "/account/discretion", [401, 303, 303, 303]),
    // Signed links from mail, no sign-in by design: a link that does not verify is 404.
    ("GET", "/unsubscribe/{token}", [404, 404, 404, 404]),
    ("POST", "/unsubscribe/{token}", [404, 404, 404, 404]),
    ("GET", "/account/register", [200, 200, 200, 200]),
    ("GET", "/account/join", [200, 200, 200, 200]),
    ("POST", "/account/join", [422, 422, 422, 422]),
    ("GET", "/account/check-email", [200, 200, 200, 200]),
    ("GET", "/account/verify", [200, 200, 200, 200]),
    ("GET", "/account/sign-in", [200, 200, 200, 200]),
    ("GET", "/account/forgot", [200, 200, 200, 200]),
    ("GET", "/account/reset", [200, 200, 200, 200]),
    ("GET", "/account/profile", [401, 200, 200, 200]),
    ("GET", "/account/password", [401, 200, 200, 200]),
    ("GET", "/account/sessions", [401, 200, 200, 200]),
    ("GET", "/account/email", [401, 200, 200, 200]),
    ("GET", "/account/email/confirm", [200, 200, 200, 200]),
    ("GET", "/account/export", [401, 200, 200, 200]),
    ("GET", "/account/delete", [401, 200, 200, 200]),
    ("POST", "/account/register", [422, 422, 422, 422]),
    ("POST", "/account/verify", [400, 400, 400, 400]),
    ("POST", "/account/verify/resend", [401, 200, 200, 200]),
    ("POST", "/account/sign-in", [422, 422, 422, 422]),
    ("POST", "/account/sign-out", [401, 303, 303, 303]),
    ("POST", "/account/sign-out-everywhere", [401, 303, 303, 303]),
    ("POST", "/account/forgot", [422, 422, 422, 422]),
    ("POST", "/account/reset", [422, 422, 422, 422]),
    ("POST", "/account/profile", [401, 422, 422, 422]),
    ("POST", "/account/password", [401, 422, 422, 422]),
    ("POST", "/account/sessions/revoke", [401, 422, 422, 422]),
    ("POST", "/account/email", [401, 422, 422, 422]),
    ("POST", "/account/email/confirm", [400, 400, 400, 400]),
    ("POST", "/account/delete", [401, 422, 422, 422]),
    // Partners.
    ("GET", "/partner", [401, 200, 200, 200]),
    ("GET", "/partner/end", [401, 303, 303, 303]),
    ("GET", "/invitation", [200, 400, 400, 400]),
    ("POST", "/partner/invite", [401, 422, 422, 422]),
    ("POST", "/partner/withdraw", [401, 303, 303, 303]),
    ("POST", "/partner/end", [401, 303, 303, 303]),
    ("POST", "/partner/progress/{course}/{action:share|unshare}", [401, 404, 404, 404]),
    ("POST", "/invitation", [401, 422, 422, 422]),
    // JSON API.
    ("GET", "/api/v1/me", [401, 200, 200, 200]),
    ("GET", "/api/v1/me/notifications", [401, 200, 200, 200]),
    ("PUT", "/api/v1/me/notifications", [401, 422, 422, 422]),
    ("GET", "/api/v1/me/sessions", [401, 200, 200, 200]),
    ("GET", "/api/v1/me/export", [401, 200, 200, 200]),
    ("GET", "/api/v1/me/progress", [401, 200, 200, 200]),
    ("GET", "/api/v1/courses", [200, 200, 200, 200]),
    ("GET", "/api/v1/courses/{course}", [200, 200, 200, 200]),
    ("GET", "/api/v1/courses/{course}/lessons/{lesson}", [401, 403, 200, 200]),
    ("GET", "/api/v1/courses/{course}/track", [401, 404, 404, 404]),
    ("GET", "/api/v1/courses/{course}/worksheets/{worksheet}/download", [404, 404, 404, 404]),
    ("GET", "/api/v1/worksheets", [401, 200, 200, 200]),
    ("GET", "/api/v1/worksheets/{id}", [401, 404, 404, 404]),
    ("GET", "/api/v1/worksheets/{id}/revisions", [401, 404, 404, 404]),
    ("GET", "/api/v1/worksheets/{id}/download", [401, 404, 404, 404]),
    ("GET", "/api/v1/reflections", [401, 200, 200, 200]),
    ("GET", "/api/v1/reflections/{course}/{lesson}/{id}", [401, 404, 404, 404]),
    ("PUT", "/api/v1/reflections/{course}/{lesson}/{id}", [401, 422, 422, 422]),
    ("GET", "/api/v1/checkins", [401, 200, 200, 200]),
    ("PUT", "/api/v1/checkins/today", [401, 422, 422, 422]),
    ("GET", "/api/v1/checkins/patterns", [401, 200, 200, 200]),
    ("GET", "/api/v1/checkins/export", [401, 200, 200, 200]),
    ("GET", "/api/v1/partner", [401, 200, 200, 200]),
    ("GET", "/api/v1/partner/progress", [401, 404, 404, 404]),
    ("GET", "/api/openapi.json", [200, 200, 200, 200]),
    ("POST", "/api/v1/auth/register", [422, 422, 422, 422]),
    ("POST", "/api/v1/auth/login", [422, 422, 422, 422]),
    ("POST", "/api/v1/auth/logout", [401, 204, 204, 204]),
    ("POST", "/api/v1/auth/password-reset", [422, 422, 422, 422]),
    ("POST", "/api/v1/auth/password-reset/confirm", [422, 422, 422, 422]),
    ("POST", "/api/v1/auth/verify", [422, 422, 422, 422]),
    ("DELETE", "/api/v1/me", [401, 422, 422, 422]),
    ("DELETE", "/api/v1/me/sessions/{id}", [401, 204, 204, 204]),
    ("POST", "/api/v1/courses/{course}/enroll", [401, 422, 422, 422]),
    ("POST", "/api/v1/courses/{course}/pause", [401, 403, 403, 403]),
    ("POST", "/api/v1/courses/{course}/resume", [401, 403, 403, 403]),
    ("PUT", "/api/v1/courses/{course}/track", [401, 404, 404, 404]),
    ("PUT", "/api/v1/courses/{course}/lessons/{lesson}/complete", [401, 403, 403, 403]),
    ("DELETE", "/api/v1/courses/{course}/lessons/{lesson}/complete", [401, 403, 403, 403]),
    ("PUT", "/api/v1/worksheets/{id}", [401, 422, 422, 422]),
    ("POST", "/api/v1/worksheets/{id}/finish", [401, 422, 422, 422]),
    ("POST", "/api/v1/worksheets/{id}/restore", [401, 422, 422, 422]),
    ("POST", "/api/v1/worksheets/{id}/sign", [401, 422, 422, 422]),
    ("PUT", "/api/v1/shares/worksheets/{id}", [401, 404, 404, 404]),
    ("DELETE", "/api/v1/shares/worksheets/{id}", [401, 404, 404, 404]),
    ("POST", "/api/v1/partner", [401, 422, 422, 422]),
    ("DELETE", "/api/v1/partner", [401, 404, 404, 404]),
    ("POST", "/api/v1/partner/accept", [401, 422, 422, 422]),
    ("POST", "/api/v1/partner/decline", [401, 422, 422, 422]),
    ("PUT", "/api/v1/shares/progress/{course}", [401, 404, 404, 404]),
    ("DELETE", "/api/v1/shares/progress/{course}", [401, 404, 404, 404]),
    // Notification preferences and unsubscribing (issue 11, merged with main).
    // Author tools.
    ("GET", "/author", [401, 403, 200, 200]),
    ("GET", "/author/status", [401, 403, 200, 200]),
    // Admin console (people, enrolments, codes, reports, outbox, audit: one line per route).
    ("GET", "/admin/codes", [401, 403, 403, 200]),
    ("POST", "/admin/codes", [401, 403, 403, 422]),
    ("POST", "/admin/codes/{id}/{action:disable|enable}", [401, 403, 403, 404]),
    ("GET", "/admin/outbox", [401, 403, 403, 200]),
    ("GET", "/admin/outbox/{id}", [401, 403, 403, 404]),
    ("POST", "/admin/outbox/{id}/{action:retry|cancel}", [401, 403, 403, 404]),
    ("GET", "/admin", [401, 403, 403, 200]),
    // People (`{id}` is `x` here, so the admin's actions find no one: 404, or 422 for a
    // role form without a role).
    ("GET", "/admin/people", [401, 403, 403, 200]),
    ("GET", "/admin/people/{id}", [401, 403, 403, 404]),
    ("POST", "/admin/people/{id}/role", [401, 403, 403, 422]),
    ("POST", "/admin/people/{id}/deactivate", [401, 403, 403, 404]),
    ("POST", "/admin/people/{id}/reactivate", [401, 403, 403, 404]),
    ("POST", "/admin/people/{id}/confirmation", [401, 403, 403, 404]),
    ("POST", "/admin/people/{id}/password-reset", [401, 403, 403, 404]),
    ("POST", "/admin/people/{id}/delete", [401, 403, 403, 404]),
    ("GET", "/admin/audit", [401, 403, 403, 200]),
    ("GET", "/admin/audit/export", [401, 403, 403, 200]),
    // Admin API.
    ("GET", "/api/v1/admin/codes", [401, 403, 403, 200]),
    ("POST", "/api/v1/admin/codes", [401, 403, 403, 422]),
    ("POST", "/api/v1/admin/codes/{id}/disable", [401, 403, 403, 404]),
    ("POST", "/api/v1/admin/codes/{id}/enable", [401, 403, 403, 404]),
    ("GET", "/api/v1/admin/outbox", [401, 403, 403, 200]),
    ("GET", "/api/v1/admin/outbox/{id}", [401, 403, 403, 404]),
    ("POST", "/api/v1/admin/outbox/{id}/retry", [401, 403, 403, 404]),
    ("POST", "/api/v1/admin/outbox/{id}/cancel", [401, 403, 403, 404]),
    ("GET", "/api/v1/admin/users", [401, 403, 403, 200]),
    ("GET", "/api/v1/admin/users/{id}", [401, 403, 403, 404]),
    ("PATCH", "/api/v1/admin/users/{id}", [401, 403, 403, 404]),
    ("DELETE", "/api/v1/admin/users/{id}", [401, 403, 403, 404]),
    ("POST", "/api/v1/admin/users/{id}/confirmation", [401, 403, 403, 404]),
    ("POST", "/api/v1/admin/users/{id}/password-reset", [401, 403, 403, 404]),
    ("GET", "/api/v1/admin/audit", [401, 403, 403, 200]),
    ("GET", "/admin/enrolments", [401, 403, 403, 200]),
    ("POST", "/admin/enrolments/enrol", [401, 403, 403, 422]),
    ("POST", "/admin/enrolments/bulk", [401, 403, 403, 422]),
    ("GET", "/admin/enrolments/import", [401, 403, 403, 200]),
    ("POST", "/admin/enrolments/import", [401, 403, 403, 422]),
    ("GET", "/admin/enrolments/export", [401, 403, 403, 200]),
    // Admin API.
    ("GET", "/api/v1/admin/enrollments", [401, 403, 403, 200]),
    ("POST", "/api/v1/admin/enrollments", [401, 403, 403, 422]),
    ("POST", "/api/v1/admin/enrollments/import", [401, 403, 403, 400]),
    ("GET", "/api/v1/admin/enrollments/export", [401, 403, 403, 200]),
    ("GET", "/admin/reports", [401, 403, 403, 200]),
    ("GET", "/admin/reports/{course}", [401, 403, 403, 200]),
    ("GET", "/admin/reports/{course}/report.csv", [401, 403, 403, 200]),
    ("POST", "/admin/reports/{course}/nudges", [401, 403, 403, 422]),
    // Admin API.
    ("GET", "/api/v1/admin/reports/{course}", [401, 403, 403, 200]),
    ("POST", "/api/v1/admin/reports/{course}/nudges", [401, 403, 403, 422]),
];

/// A sample value for a path parameter; a parameter limited to alternatives takes the first.
fn sample(param: &str) -> String {
    let (name, pattern) = param.split_once(':').unwrap_or((param, ""));
    match name {
        "course" => "rebuilding-trust".to_owned(),
        "lesson" => "welcome".to_owned(),
        _ if pattern.contains('|') => pattern.split('|').next().unwrap().to_owned(),
        _ => "x".to_owned(),
    }
}

/// `pattern` with every `{param}` filled with its sample.
fn expand(pattern: &str) -> String {
    let (mut path, mut rest) = (String::new(), pattern);
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').unwrap() + start;
        path.push_str(&rest[..start]);
        path.push_str(&sample(&rest[start + 1..end]));
        rest = &rest[end + 1..];
    }
    path.push_str(rest);
    path
}

/// The methods a path answers, from its 405 `Allow` header (HEAD left out: GET covers it).
async fn methods_of(app: &TestApp, path: &str) -> Vec<Method> {
    let url = format!("{}{path}", app.address);
    let probe = app.client.request(Method::OPTIONS, url).send().await.unwrap();
    assert_eq!(probe.status(), 405, "OPTIONS {path}");
    let allow = probe.headers()["allow"].to_str().unwrap().to_owned();
    allow.split(", ").filter(|m| *m != "HEAD").map(|m| m.parse().unwrap()).collect()
}

/// Every `(method, pattern)` the route table registers.
async fn registered(app: &TestApp) -> Vec<(String, &'static str)> {
    let mut routes = Vec::new();
    for pattern in mend::web::route_table().paths() {
        for method in methods_of(app, &expand(pattern)).await {
            routes.push((method.to_string(), pattern));
        }
    }
    routes
}

/// One kind of caller: a browser with its cookie session (none for anonymous), the CSRF token
/// its forms carry, and a bearer token for the API.
struct Caller<'a> {
    email: Option<&'static str>,
    browser: Browser<'a>,
    csrf: String,
    bearer: Option<String>,
}

impl<'a> Caller<'a> {
    async fn anonymous(app: &'a TestApp) -> Self {
        let browser = Browser::new(app);
        let csrf = browser.csrf().await;
        Self { email: None, browser, csrf, bearer: None }
    }

    async fn with_role(app: &'a TestApp, email: &'static str, role: Role) -> Self {
        let browser = app.signed_in_as(email, role).await;
        let mut caller = Self { email: Some(email), browser, csrf: String::new(), bearer: None };
        caller.csrf = caller.browser.csrf().await;
        caller.bearer = Some(api_login(app, email).await);
        caller
    }

    /// Signs in again (cookie and bearer) when a case ended this caller's sessions.
    async fn keep_signed_in(&mut self) {
        let Some(email) = self.email else { return };
        let app = self.browser.app;
        let bearer = self.bearer.clone().unwrap_or_default();
        let me = app.client.get(format!("{}/api/v1/me", app.address)).bearer_auth(bearer);
        if me.send().await.unwrap().status() != StatusCode::OK {
            self.bearer = Some(api_login(app, email).await);
        }
        if self.browser.get("/account").await.status() != StatusCode::OK {
            let response = self.browser.sign_in(email, PASSWORD).await;
            assert!(response.status().is_redirection(), "signing in again: {}", response.status());
            self.csrf = self.browser.csrf().await;
        }
    }

    /// The status this caller gets for `method` on the route `pattern`.
    async fn status_of(&self, method: &str, pattern: &str) -> u16 {
        let app = self.browser.app;
        let method: Method = method.parse().unwrap();
        let url = format!("{}{}", app.address, expand(pattern));
        let request = if pattern.starts_with("/api/") {
            let request = app.client.request(method.clone(), url);
            let request = match &self.bearer {
                Some(token) => request.bearer_auth(token),
                None => request,
            };
            if method == Method::GET { request } else { request.json(&serde_json::json!({})) }
        } else {
            let request = self.browser.client.request(method.clone(), url);
            if method == Method::GET {
                request
            } else {
                request.form(&[("csrf_token", self.csrf.as_str())])
            }
        };
        request.send().await.unwrap().status().as_u16()
    }
}

async fn api_login(app: &TestApp, email: &str) -> String {
    let body = serde_json::json!({ "email": email, "password": PASSWORD });
    let url = format!("{}/api/v1/auth/login", app.address);
    let login = TestApp::browser().post(url).json(&body).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK, "API sign-in for {email}");
    let body: Value = login.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// The case table's line for a route, as it would be written.
fn line(method: &str, pattern: &str, statuses: [u16; 4]) -> String {
    format!("    (\"{method}\", \"{pattern}\", {statuses:?}),")
}

both_backends! {
    async fn every_route_has_an_authorisation_case_and_answers_each_caller_as_it_says(app: TestApp) {
        let routes = registered(&app).await;
        let has_case = |method: &str, pattern: &str| CASES.iter().any(|(m, p, _)| *m == method && *p == pattern);
        let missing: Vec<&(String, &str)> = routes.iter().filter(|(m, p)| !has_case(m, p)).collect();
        let stale: Vec<&Case> = CASES
            .iter()
            .filter(|(m, p, _)| !routes.iter().any(|(rm, rp)| rm == m && rp == p))
            .collect();
        let print = std::env::var_os("MEND_AUTHZ_PRINT").is_some();
        let mut callers = [
            Caller::anonymous(&app).await,
            Caller::with_role(&app, "learner@example.com", Role::Learner).await,
            Caller::with_role(&app, "author@example.com", Role::Author).await,
            Caller::with_role(&app, "admin@example.com", Role::Admin).await,
        ];
        // Safe methods first: a state change (signing out) must not colour the reads.
        let mut ordered: Vec<(String, &str)> = routes.clone();
        ordered.sort_by_key(|(m, _)| m != "GET");
        let mut wrong = Vec::new();
        let mut printed = Vec::new();
        for (method, pattern) in &ordered {
            let mut got = [0u16; 4];
            for (i, caller) in callers.iter_mut().enumerate() {
                got[i] = caller.status_of(method, pattern).await;
                if method != "GET" {
                    caller.keep_signed_in().await;
                }
            }
            printed.push(line(method, pattern, got));
            let expected = CASES.iter().find(|(m, p, _)| m == method && p == pattern).map(|c| c.2);
            if let Some(expected) = expected.filter(|e| *e != got) {
                wrong.push(format!("{method} {pattern}: expected {expected:?}, got {got:?}"));
            }
        }
        app.read_all_mail().await;
        if print {
            eprintln!("{}", printed.join("\n"));
        }
        let missing: Vec<String> = missing.iter().map(|(m, p)| format!("{m} {p}")).collect();
        assert!(missing.is_empty(), "routes without an authorisation case:\n{}", missing.join("\n"));
        assert!(stale.is_empty(), "cases for routes that do not exist: {stale:?}");
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
