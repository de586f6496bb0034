//! Accounts end to end on both databases: register, confirm, sign in and out, sessions, resets,
//! the session-token refusal matrix, CSRF, enumeration safety, rate limits and headers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mend::auth::keys::SecretKey;
use mend::clock::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Browser, PASSWORD, TEST_SECRET_HEX, TestApp};
use crate::test_case;

/// Registers through the API and confirms the address from the mail.
async fn registered(app: &TestApp, email: &str) {
    let body = json!({ "email": email, "display_name": "Robin", "password": PASSWORD });
    let response = app.client.post(format!("{}/api/v1/auth/register", app.address)).json(&body);
    assert_eq!(response.send().await.unwrap().status(), StatusCode::CREATED);
    let link = app.link_to(email, 1, "/account/verify").await;
    let browser = Browser::new(app);
    assert_eq!(browser.get(&link).await.status(), StatusCode::OK);
    let token = link.split("token=").nth(1).unwrap();
    let confirmed = browser.submit("/account/verify", &[("token", token)]).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
}

async fn api_login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    let body = json!({ "email": email, "password": password });
    let client = TestApp::browser();
    client.post(format!("{}/api/v1/auth/login", app.address)).json(&body).send().await.unwrap()
}

async fn bearer_token(app: &TestApp, email: &str) -> String {
    let response = api_login(app, email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

async fn me(app: &TestApp, token: &str) -> StatusCode {
    let request = app.client.get(format!("{}/api/v1/me", app.address)).bearer_auth(token);
    request.send().await.unwrap().status()
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, algorithm: Algorithm, key: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(key)).unwrap()
}

fn session_key() -> [u8; 32] {
    SecretKey::from_hex(TEST_SECRET_HEX).unwrap().derive("session-jwt")
}

fn with(claims: &Value, key: &str, value: Value) -> Value {
    let mut changed = claims.clone();
    changed[key] = value;
    changed
}

both_backends! {
    async fn a_learner_registers_confirms_signs_in_and_out(app: TestApp) {
        let browser = Browser::new(&app);
        let registered = browser.register("robin@example.test").await;
        assert_eq!(registered.status(), StatusCode::SEE_OTHER);
        assert_eq!(registered.headers()["location"], "/dashboard", "signed in, nowhere else to go");

        let signed_in = browser.sign_in("Robin@Example.test", PASSWORD).await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        let page = browser.get("/account").await.text().await.unwrap();
        assert!(page.contains("Please confirm your email address"), "{page}");
        assert!(page.contains("Robin"));
        let home = browser.get("/").await.text().await.unwrap();
        assert!(home.contains("Please confirm your email address"), "every page asks");

        let link = app.link_to("robin@example.test", 1, "/account/verify").await;
        let mail = &app.mail_to("robin@example.test", 1).await[0];
        assert_eq!(mail.parsed().subject(), Some("Confirm your email for Mend"));
        let token = link.split("token=").nth(1).unwrap();
        let confirmed = browser.submit("/account/verify", &[("token", token)]).await;
        assert_eq!(confirmed.status(), StatusCode::OK);
        let page = browser.get("/account").await.text().await.unwrap();
        assert!(!page.contains("Please confirm your email address"));
        let again = browser.submit("/account/verify", &[("token", token)]).await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST, "a link works once");

        let signed_out = browser.submit("/account/sign-out", &[]).await;
        assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
        assert_eq!(browser.account_status().await, StatusCode::UNAUTHORIZED);
    }

    async fn the_refusal_matrix_answers_401_to_every_bad_token(app: TestApp) {
        registered(&app, "sam@example.test").await;
        let token = bearer_token(&app, "sam@example.test").await;
        assert_eq!(me(&app, &token).await, StatusCode::OK);
        let claims = claims_of(&token);
        let key = session_key();
        let now = app.clock.now().timestamp();
        let (header, payload, signature) = {
            let parts: Vec<&str> = token.split('.').collect();
            (parts[0].to_owned(), parts[1].to_owned(), parts[2].to_owned())
        };
        let tampered_payload = URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&with(&claims, "sub", json!("999"))).unwrap());
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let flipped = if signature.ends_with('A') { "B" } else { "A" };
        let mut missing_exp = claims.clone();
        missing_exp.as_object_mut().unwrap().remove("exp");
        let cases: Vec<(&str, String)> = vec![
            ("tampered payload", format!("{header}.{tampered_payload}.{signature}")),
            ("bad signature", format!("{header}.{payload}.{}{flipped}", &signature[..signature.len() - 1])),
            ("alg none", format!("{none_header}.{payload}.")),
            ("algorithm swapped", sign(&claims, Algorithm::HS512, &key)),
            ("expired", sign(&with(&claims, "exp", json!(now - 3600)), Algorithm::HS256, &key)),
            ("not yet valid", sign(&with(&claims, "nbf", json!(now + 3600)), Algorithm::HS256, &key)),
            ("missing exp", sign(&missing_exp, Algorithm::HS256, &key)),
            ("wrong iss", sign(&with(&claims, "iss", json!("https://other.test")), Algorithm::HS256, &key)),
            ("wrong aud", sign(&with(&claims, "aud", json!("mend-unsubscribe")), Algorithm::HS256, &key)),
            ("wrong typ", sign(&with(&claims, "typ", json!("download")), Algorithm::HS256, &key)),
            ("unknown key", sign(&claims, Algorithm::HS256, &[7u8; 32])),
            ("unknown session", sign(&with(&claims, "sid", json!("nope")), Algorithm::HS256, &key)),
            ("garbage", "not-a-token".to_owned()),
        ];
        for (case, forged) in cases {
            assert_eq!(me(&app, &forged).await, StatusCode::UNAUTHORIZED, "{case}");
        }
        assert_eq!(me(&app, &sign(&claims, Algorithm::HS256, &key)).await, StatusCode::OK, "control");
    }

    async fn tokens_die_with_sign_out_password_changes_resets_deactivation_and_deletion(app: TestApp) {
        registered(&app, "kim@example.test").await;
        let api = |token: String| {
            let request = app.client.post(format!("{}/api/v1/auth/logout", app.address));
            request.bearer_auth(token).send()
        };
        // Sign-out.
        let token = bearer_token(&app, "kim@example.test").await;
        assert_eq!(api(token.clone()).await.unwrap().status(), StatusCode::NO_CONTENT);
        assert_eq!(me(&app, &token).await, StatusCode::UNAUTHORIZED, "after sign-out");

        // Sign out everywhere.
        let token = bearer_token(&app, "kim@example.test").await;
        let browser = Browser::new(&app);
        browser.sign_in("kim@example.test", PASSWORD).await;
        assert_eq!(browser.submit("/account/sign-out-everywhere", &[]).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(me(&app, &token).await, StatusCode::UNAUTHORIZED, "after sign-out everywhere");

        // Password change: other sessions end, this browser stays signed in.
        let token = bearer_token(&app, "kim@example.test").await;
        browser.sign_in("kim@example.test", PASSWORD).await;
        let new_password = "another long calm sentence";
        let fields = [("current_password", PASSWORD), ("password", new_password)];
        assert_eq!(browser.submit("/account/password", &fields).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(me(&app, &token).await, StatusCode::UNAUTHORIZED, "after password change");
        assert_eq!(browser.account_status().await, StatusCode::OK);
        assert_eq!(api_login(&app, "kim@example.test", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);

        // Reset.
        let token = bearer_token_with(&app, "kim@example.test", new_password).await;
        let reset = json!({ "email": "kim@example.test" });
        let asked = app.client.post(format!("{}/api/v1/auth/password-reset", app.address)).json(&reset);
        assert_eq!(asked.send().await.unwrap().status(), StatusCode::ACCEPTED);
        let link = app.link_to("kim@example.test", 3, "/account/reset").await;
        let reset_token = link.split("token=").nth(1).unwrap().to_owned();
        let confirm = json!({ "token": reset_token, "password": PASSWORD });
        let confirmed = app.client.post(format!("{}/api/v1/auth/password-reset/confirm", app.address));
        assert_eq!(confirmed.json(&confirm).send().await.unwrap().status(), StatusCode::NO_CONTENT);
        assert_eq!(me(&app, &token).await, StatusCode::UNAUTHORIZED, "after reset");
        assert_eq!(browser.account_status().await, StatusCode::UNAUTHORIZED, "reset ends every session");

        // Deactivation and deletion.
        let token = bearer_token(&app, "kim@example.test").await;
        set_deactivated(&app, "kim@example.test");
        assert_eq!(me(&app, &token).await, StatusCode::UNAUTHORIZED, "after deactivation");
        clear_deactivated(&app, "kim@example.test");
        assert_eq!(me(&app, &token).await, StatusCode::OK);
        delete_user(&app, "kim@example.test");
        assert_eq!(me(&app, &token).await, StatusCode::UNAUTHORIZED, "after deletion");
        app.read_all_mail().await;
    }

    async fn reset_links_work_once_expire_and_are_voided_by_newer_ones(app: TestApp) {
        registered(&app, "ari@example.test").await;
        let browser = Browser::new(&app);
        let words = "brand new calm words";
        assert_eq!(browser.forgot("ari@example.test").await.status(), StatusCode::SEE_OTHER);
        let first = app.link_to("ari@example.test", 2, "/account/reset").await;
        let mail = &app.mail_to("ari@example.test", 2).await[1];
        assert_eq!(mail.parsed().subject(), Some("Choose a new password for Mend"));
        assert_eq!(browser.get(&first).await.status(), StatusCode::OK);
        browser.forgot("ari@example.test").await;
        let second = app.link_to("ari@example.test", 3, "/account/reset").await;
        let refused = StatusCode::BAD_REQUEST;
        assert_eq!(browser.reset(&first, words).await.status(), refused, "voided");
        assert_eq!(browser.reset(&second, words).await.status(), StatusCode::OK);
        assert_eq!(browser.reset(&second, words).await.status(), refused, "reused");
        let notice = &app.mail_to("ari@example.test", 4).await[3];
        assert_eq!(notice.parsed().subject(), Some("Your Mend password was changed"));

        browser.forgot("ari@example.test").await;
        let third = app.link_to("ari@example.test", 5, "/account/reset").await;
        app.clock.advance(Duration::minutes(31));
        assert_eq!(browser.reset(&third, words).await.status(), refused, "expired");
        assert_eq!(browser.sign_in("ari@example.test", words).await.status(), StatusCode::SEE_OTHER);
    }

    async fn cross_site_posts_are_refused_and_same_site_ones_pass(app: TestApp) {
        registered(&app, "jo@example.test").await;
        let browser = Browser::new(&app);
        let token = browser.csrf().await;
        let fields = [("email", "jo@example.test"), ("password", PASSWORD), ("csrf_token", token.as_str())];
        let post = |site: Option<&'static str>, origin: Option<String>| {
            let mut request = browser.client.post(format!("{}/account/sign-in", app.address)).form(&fields);
            if let Some(site) = site {
                request = request.header("Sec-Fetch-Site", site);
            }
            if let Some(origin) = origin {
                request = request.header("Origin", origin);
            }
            request.send()
        };
        assert_eq!(post(Some("cross-site"), None).await.unwrap().status(), StatusCode::FORBIDDEN);
        assert_eq!(post(None, Some("https://evil.test".into())).await.unwrap().status(), StatusCode::FORBIDDEN);
        let missing = browser.client.post(format!("{}/account/sign-in", app.address))
            .form(&[("email", "jo@example.test"), ("password", PASSWORD)]).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::FORBIDDEN, "no token");
        let wrong = browser.client.post(format!("{}/account/sign-in", app.address))
            .form(&[("email", "jo@example.test"), ("password", PASSWORD), ("csrf_token", "00")]).send().await.unwrap();
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN, "wrong token");
        let same = post(Some("same-origin"), Some(app.address.clone())).await.unwrap();
        assert_eq!(same.status(), StatusCode::SEE_OTHER, "same origin passes");

        // The JSON API: cookies need the CSRF header, bearer tokens do not.
        let me_body: Value = browser.get("/api/v1/me").await.json().await.unwrap();
        let logout = || browser.client.post(format!("{}/api/v1/auth/logout", app.address));
        assert_eq!(logout().send().await.unwrap().status(), StatusCode::FORBIDDEN);
        let header = me_body["csrf_token"].as_str().unwrap();
        assert_eq!(logout().header("X-CSRF-Token", header).send().await.unwrap().status(), StatusCode::NO_CONTENT);
        let token = bearer_token(&app, "jo@example.test").await;
        let with_bearer = app.client.post(format!("{}/api/v1/auth/logout", app.address))
            .header("Sec-Fetch-Site", "cross-site").bearer_auth(token);
        assert_eq!(with_bearer.send().await.unwrap().status(), StatusCode::NO_CONTENT);
    }

    async fn known_and_unknown_addresses_get_identical_answers(app: TestApp) {
        registered(&app, "known@example.test").await;
        let browser = Browser::new(&app);
        let same = |a: reqwest::Response, b: reqwest::Response, what: &'static str| async move {
            let (status_a, status_b) = (a.status(), b.status());
            let (text_a, text_b) = (a.text().await.unwrap(), b.text().await.unwrap());
            assert_eq!(status_a, status_b, "{what}");
            assert_eq!(text_a.replace("known@", "x@"), text_b.replace("unknown@", "x@"), "{what}");
        };
        // The web registration form signs a new learner in, so by design it tells a free address
        // from a taken one (bounded by its rate limit); the API and the other forms do not.
        same(browser.sign_in("known@example.test", "wrong password here").await,
             browser.sign_in("unknown@example.test", "wrong password here").await, "sign in").await;
        same(browser.forgot("known@example.test").await, browser.forgot("unknown@example.test").await, "forgot").await;
        let api = |path: &'static str, body: Value| app.client.post(format!("{}{path}", app.address)).json(&body).send();
        let register = |email: &str| json!({ "email": email, "display_name": "X", "password": PASSWORD });
        same(api("/api/v1/auth/register", register("known@example.test")).await.unwrap(),
             api("/api/v1/auth/register", register("unknown@example.test")).await.unwrap(), "api register").await;
        let login = |email: &str| json!({ "email": email, "password": "wrong password here" });
        same(api("/api/v1/auth/login", login("known@example.test")).await.unwrap(),
             api("/api/v1/auth/login", login("unknown@example.test")).await.unwrap(), "api login").await;

        let mail = app.mail_to("known@example.test", 3).await;
        let told = mail.iter().any(|m| m.parsed().subject() == Some("About your Mend account"));
        assert!(told, "the owner is told");
        app.read_all_mail().await;
    }

    async fn rate_limits_bite_and_recover_as_the_clock_moves(app: TestApp) {
        registered(&app, "lee@example.test").await;
        let browser = Browser::new(&app);
        for _ in 0..5 {
            assert_eq!(browser.sign_in("lee@example.test", "not my password").await.status(), StatusCode::UNAUTHORIZED);
        }
        let slowed = browser.sign_in("lee@example.test", PASSWORD).await;
        assert_eq!(slowed.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(slowed.headers()["retry-after"], "2");
        app.clock.advance(Duration::seconds(2));
        assert_eq!(browser.sign_in("lee@example.test", PASSWORD).await.status(), StatusCode::SEE_OTHER);

        for _ in 0..5 {
            assert_eq!(browser.forgot("lee@example.test").await.status(), StatusCode::SEE_OTHER);
        }
        let limited = browser.forgot("lee@example.test").await;
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(limited.headers().contains_key("retry-after"));
        app.clock.advance(Duration::hours(1));
        assert_eq!(browser.forgot("lee@example.test").await.status(), StatusCode::SEE_OTHER);

        for n in 0..10 {
            let email = format!("new{n}@example.test");
            assert_eq!(browser.register(&email).await.status(), StatusCode::SEE_OTHER);
        }
        let limited = browser.register("new10@example.test").await;
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(limited.headers().contains_key("retry-after"));
        app.clock.advance(Duration::hours(1));
        assert_eq!(browser.register("new10@example.test").await.status(), StatusCode::SEE_OTHER);

        browser.sign_in("new10@example.test", PASSWORD).await;
        for _ in 0..3 {
            let resent = browser.submit("/account/verify/resend", &[]).await;
            assert_eq!(resent.status(), StatusCode::OK);
        }
        let limited = browser.submit("/account/verify/resend", &[]).await;
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        app.clock.advance(Duration::hours(1));
        assert_eq!(browser.submit("/account/verify/resend", &[]).await.status(), StatusCode::OK);
        app.read_all_mail().await;
    }

    async fn cookies_and_headers_are_strict(app: TestApp) {
        registered(&app, "mo@example.test").await;
        let response = api_login(&app, "mo@example.test", PASSWORD).await;
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("mend="), "plain-http localhost drops __Host-: {cookie}");
        for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(flag), "{flag} in {cookie}");
        }
        assert!(!cookie.contains("Secure"));
        assert!(!cookie.contains("Expires"), "a browser-session cookie without remember me");
        let remembered = json!({ "email": "mo@example.test", "password": PASSWORD, "remember": true });
        let response = app.client.post(format!("{}/api/v1/auth/login", app.address)).json(&remembered);
        let response = response.send().await.unwrap();
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        assert!(cookie.contains("Expires=") && cookie.contains("2026"), "remember me: {cookie}");
        for path in ["/", "/account/sign-in", "/no/such/page", "/api/v1/me"] {
            let response = app.get(path).await;
            let headers = response.headers();
            let csp = headers["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}");
            assert!(!csp.contains("unsafe-inline"), "{path}");
            assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
            assert!(headers.contains_key("permissions-policy"), "{path}");
            assert!(!headers.contains_key("strict-transport-security"), "plain http: {path}");
        }
    }

    async fn active_sessions_slide_and_can_be_revoked_one_by_one(app: TestApp) {
        registered(&app, "val@example.test").await;
        let laptop = Browser::new(&app);
        let phone = Browser::new(&app);
        laptop.sign_in("val@example.test", PASSWORD).await;
        phone.sign_in("val@example.test", PASSWORD).await;
        for _ in 0..3 {
            app.clock.advance(Duration::hours(7));
            assert_eq!(laptop.account_status().await, StatusCode::OK, "sliding renewal");
        }
        assert_eq!(phone.account_status().await, StatusCode::UNAUTHORIZED, "idle sessions end");
        phone.sign_in("val@example.test", PASSWORD).await;
        let page = laptop.get("/account/sessions").await.text().await.unwrap();
        assert_eq!(page.matches("Sign out this device").count(), 2, "{page}");
        assert!(page.contains("(this device)"));
        let marker = "name=\"session_id\" value=\"";
        let other = page
            .split("<li class=\"sessions__item\">")
            .skip(1)
            .find(|item| !item.contains("(this device)"))
            .and_then(|item| item.split(marker).nth(1))
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        let revoked = laptop.submit("/account/sessions/revoke", &[("session_id", &other)]).await;
        assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
        assert_eq!(laptop.account_status().await, StatusCode::OK);
        assert_eq!(phone.account_status().await, StatusCode::UNAUTHORIZED);
    }

    async fn bad_input_is_a_clear_4xx_never_a_500(app: TestApp) {
        let url = format!("{}/api/v1/auth/login", app.address);
        let missing = app.client.post(&url).json(&json!({ "email": "a@b.test" })).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = missing.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "password", "{problem}");
        let malformed = app.client.post(&url).header("content-type", "application/json").body("{nope").send().await.unwrap();
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
        let huge = app.client.post(&url).header("content-type", "application/json")
            .body(format!("{{\"email\":\"{}\"}}", "a".repeat(100_000))).send().await.unwrap();
        assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let short = json!({ "email": "a@b.test", "display_name": "A", "password": "short" });
        let refused = app.client.post(format!("{}/api/v1/auth/register", app.address)).json(&short).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let common = json!({ "email": "a@b.test", "display_name": "A", "password": "Password123" });
        let refused = app.client.post(format!("{}/api/v1/auth/register", app.address)).json(&common).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn logs_never_contain_passwords_tokens_links_or_addresses(app: TestApp) {
        let email = "secretive.person@example.test";
        registered(&app, email).await;
        let token = bearer_token(&app, email).await;
        me(&app, &token).await;
        me(&app, "forged.token.value").await;
        let browser = Browser::new(&app);
        browser.submit("/account/forgot", &[("email", email)]).await;
        let link = app.link_to(email, 2, "/account/reset").await;
        browser.get(&link).await;
        let reset_token = link.split("token=").nth(1).unwrap();
        let logs = app.logs();
        assert!(logs.contains("request{") && logs.contains("email sent"), "{logs}");
        for secret in [PASSWORD, &token, reset_token, email, "secretive.person"] {
            assert!(!logs.contains(secret), "the logs contain a secret");
        }
    }
}

async fn bearer_token_with(app: &TestApp, email: &str, password: &str) -> String {
    let response = api_login(app, email, password).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

fn set_deactivated(app: &TestApp, email: &str) {
    use mend::db::schema::users;
    let now = app.clock.now().naive_utc();
    let mut conn = app.db.connection().unwrap();
    diesel::update(users::table.filter(users::email.eq(email)))
        .set(users::deactivated_at.eq(Some(now)))
        .execute(&mut *conn)
        .unwrap();
}

fn clear_deactivated(app: &TestApp, email: &str) {
    use mend::db::schema::users;
    let mut conn = app.db.connection().unwrap();
    diesel::update(users::table.filter(users::email.eq(email)))
        .set(users::deactivated_at.eq(None::<chrono::NaiveDateTime>))
        .execute(&mut *conn)
        .unwrap();
}

fn delete_user(app: &TestApp, email: &str) {
    use mend::db::schema::users;
    let mut conn = app.db.connection().unwrap();
    diesel::delete(users::table.filter(users::email.eq(email))).execute(&mut *conn).unwrap();
}

both_backends! {
    async fn a_learner_downloads_and_then_erases_their_data(app: TestApp) {
        registered(&app, "noor@example.test").await;
        let browser = Browser::new(&app);
        browser.sign_in("noor@example.test", PASSWORD).await;
        let home = browser.get("/").await.text().await.unwrap();
        assert!(home.contains("Your account") && home.contains("Sign out"), "nav knows the user");

        let export = browser.get("/account/export").await;
        assert_eq!(export.status(), StatusCode::OK);
        let disposition = export.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment") && disposition.contains(".json"), "{disposition}");
        let data: Value = export.json().await.unwrap();
        assert_eq!(data["profile"]["email"], "noor@example.test");
        assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
        assert!(data["enrollments"].is_array() && data["progress"].is_array());

        let token = bearer_token(&app, "noor@example.test").await;
        let page = browser.get("/account/delete").await.text().await.unwrap();
        assert!(page.contains("class=\"button button--danger\" type=\"submit\">Erase my account and sign out everywhere<"), "{page}");
        assert!(page.contains("the link ends first"), "the page says what happens to a partner link");
        let wrong = browser.submit("/account/delete", &[("password", "not it at all")]).await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let deleted = browser.submit("/account/delete", &[("password", PASSWORD)]).await;
        assert_eq!(deleted.status(), StatusCode::OK);
        assert_eq!(browser.account_status().await, StatusCode::UNAUTHORIZED);
        assert_eq!(me(&app, &token).await, StatusCode::UNAUTHORIZED, "after account deletion");
        assert_eq!(api_login(&app, "noor@example.test", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    }
}

test_case! {
    /// Cookie names and HSTS depend only on the base URL, so one backend is enough.
    async fn https_deployments_get_host_prefixed_secure_cookies_and_hsts() {
        let https = |settings: &mut mend::config::Settings| {
            settings.base_url = "https://mend.example/".parse().unwrap();
        };
        let app = TestApp::create_with(crate::support::Backend::Sqlite, https).await.unwrap();
        let page = app.get("/account/sign-in").await;
        let hsts = page.headers()["strict-transport-security"].to_str().unwrap();
        assert!(hsts.contains("max-age="), "{hsts}");
        let cookie = page.headers()["set-cookie"].to_str().unwrap();
        assert!(cookie.starts_with("__Host-mend-csrf="), "{cookie}");
        for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(flag), "{flag} in {cookie}");
        }
        assert!(!cookie.contains("Domain"), "__Host- cookies have no Domain: {cookie}");
    }
}

test_case! {
    /// The document is generated from code; one backend is enough.
    async fn the_openapi_document_describes_every_auth_route() {
        let app = TestApp::create(crate::support::Backend::Sqlite).await.unwrap();
        let document: Value = app.get("/api/openapi.json").await.json().await.unwrap();
        for path in [
            "/api/v1/auth/register",
            "/api/v1/auth/login",
            "/api/v1/auth/logout",
            "/api/v1/me",
            "/api/v1/auth/password-reset",
            "/api/v1/auth/password-reset/confirm",
            "/api/v1/auth/verify",
            "/api/v1/me/sessions",
            "/api/v1/me/sessions/{id}",
            "/api/v1/me/export",
        ] {
            assert!(document["paths"][path].is_object(), "{path} missing");
        }
        assert!(document["components"]["schemas"]["Problem"].is_object());
        assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    }
}

both_backends! {
    async fn a_new_address_is_confirmed_there_and_the_old_one_is_told(app: TestApp) {
        registered(&app, "old@example.test").await;
        let browser = Browser::new(&app);
        browser.sign_in("old@example.test", PASSWORD).await;
        let wrong = [("email", "new@example.test"), ("current_password", "not it at all")];
        assert_eq!(browser.submit("/account/email", &wrong).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let fields = [("email", "new@example.test"), ("current_password", PASSWORD)];
        assert_eq!(browser.submit("/account/email", &fields).await.status(), StatusCode::SEE_OTHER);
        let link = app.link_to("new@example.test", 1, "/account/email/confirm").await;
        assert_eq!(browser.get(&link).await.status(), StatusCode::OK);
        let token = link.split("token=").nth(1).unwrap();
        assert_eq!(browser.submit("/account/email/confirm", &[("token", token)]).await.status(), StatusCode::OK);
        let notice = &app.mail_to("old@example.test", 2).await[1];
        assert_eq!(notice.parsed().subject(), Some("Your Mend email address was changed"));
        assert_eq!(api_login(&app, "new@example.test", PASSWORD).await.status(), StatusCode::OK);
        assert_eq!(api_login(&app, "old@example.test", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
        let again = browser.submit("/account/email/confirm", &[("token", token)]).await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST, "a link works once");
    }
}

both_backends! {
    async fn the_api_alone_covers_the_whole_account_lifecycle(app: TestApp) {
        let api = |path: &str| format!("{}{path}", app.address);
        let body = json!({ "email": "api@example.test", "display_name": "Api", "password": PASSWORD });
        let created = app.client.post(api("/api/v1/auth/register")).json(&body).send().await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let link = app.link_to("api@example.test", 1, "/account/verify").await;
        let token = link.split("token=").nth(1).unwrap();
        let verified = app.client.post(api("/api/v1/auth/verify")).json(&json!({ "token": token }));
        assert_eq!(verified.send().await.unwrap().status(), StatusCode::NO_CONTENT);

        let first = bearer_token(&app, "api@example.test").await;
        let second = bearer_token(&app, "api@example.test").await;
        let me_body: Value = app.client.get(api("/api/v1/me")).bearer_auth(&first).send().await
            .unwrap().json().await.unwrap();
        assert_eq!(me_body["email_verified"], true);
        let listed: Value = app.client.get(api("/api/v1/me/sessions")).bearer_auth(&first).send().await
            .unwrap().json().await.unwrap();
        let sessions = listed.as_array().unwrap();
        assert_eq!(sessions.len(), 2);
        let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap();
        let revoked = app.client.delete(api(&format!("/api/v1/me/sessions/{other}"))).bearer_auth(&first);
        assert_eq!(revoked.send().await.unwrap().status(), StatusCode::NO_CONTENT);
        assert_eq!(me(&app, &second).await, StatusCode::UNAUTHORIZED);
        assert_eq!(me(&app, &first).await, StatusCode::OK);

        let export = app.client.get(api("/api/v1/me/export")).bearer_auth(&first).send().await.unwrap();
        assert!(export.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
        let data: Value = export.json().await.unwrap();
        assert_eq!(data["profile"]["email"], "api@example.test");

        let wrong = app.client.delete(api("/api/v1/me")).bearer_auth(&first).json(&json!({ "password": "nope nope nope" }));
        assert_eq!(wrong.send().await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
        let deleted = app.client.delete(api("/api/v1/me")).bearer_auth(&first).json(&json!({ "password": PASSWORD }));
        assert_eq!(deleted.send().await.unwrap().status(), StatusCode::NO_CONTENT);
        assert_eq!(me(&app, &first).await, StatusCode::UNAUTHORIZED);
    }
}
