//! The admin console's access codes and outbox, end to end on both databases: making,
//! listing, disabling and re-enabling codes (and a disabled code refused at enrolment), uses
//! counted atomically, outbox filters and keyset pages, retrying a failed message until the
//! worker delivers it over loopback SMTP, cancelling a queued one (never sent), 409 on a row a
//! worker holds, hostile text escaped, and 401/403 for everyone but admins.

use chrono::{Duration, NaiveDateTime};
use mend::db::models::audit::{self, Filter as AuditFilter};
use mend::db::models::outbox::{self, NewMessage};
use mend::domain::account::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Browser, PASSWORD, TestApp};

const COURSE: &str = "rebuilding-trust";

/// Signs in over the API and answers the bearer token (the admin nudge tests use it too).
pub async fn bearer(app: &TestApp, email: &str) -> String {
    let body = json!({ "email": email, "password": PASSWORD });
    let url = format!("{}/api/v1/auth/login", app.address);
    let login = TestApp::browser().post(url).json(&body).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    login.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

/// One API call with `token`, and a JSON body when given.
pub async fn api(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let request = app.client.request(method, format!("{}{path}", app.address)).bearer_auth(token);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.unwrap()
}

async fn admin(app: &TestApp) -> (Browser<'_>, String) {
    let browser = app.signed_in_as("admin@example.com", Role::Admin).await;
    let token = bearer(app, "admin@example.com").await;
    (browser, token)
}

fn now(app: &TestApp) -> NaiveDateTime {
    use mend::clock::Clock;
    app.clock.now().naive_utc()
}

fn queue(app: &TestApp, kind: &str, to: &str, subject: &str, at: NaiveDateTime) -> i64 {
    let mut conn = app.db.connection().unwrap();
    let html = format!("<p>{subject}</p><script>alert('html')</script>");
    let new = NewMessage {
        kind,
        recipient: to,
        subject,
        body_text: "Plain words.",
        body_html: Some(&html),
        dedupe_key: None,
        list_unsubscribe: None,
        auto_submitted: false,
        not_before: None,
        payload: None,
    };
    outbox::enqueue(&mut conn, &new, at).unwrap().unwrap()
}

fn audit_actions(app: &TestApp, target_type: &str) -> Vec<(String, Option<String>)> {
    let mut conn = app.db.connection().unwrap();
    let filter = AuditFilter { target_type: Some(target_type.into()), ..AuditFilter::default() };
    let entries = audit::list(&mut conn, &filter, None, 100).unwrap();
    entries.into_iter().rev().map(|e| (e.action, e.ip)).collect()
}

/// Moves an account to another time zone, as its preferences page would.
fn set_time_zone(app: &TestApp, email: &str, zone: &str) {
    use diesel::prelude::*;
    use mend::db::schema::users;
    let mut conn = app.db.connection().unwrap();
    let changed = diesel::update(users::table.filter(users::email.eq(email)))
        .set(users::time_zone.eq(zone))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(changed, 1);
}

async fn recipients(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let page: Value = api(app, token, reqwest::Method::GET, path, None).await.json().await.unwrap();
    let messages = page["messages"].as_array().unwrap();
    messages.iter().map(|m| m["recipient"].as_str().unwrap().to_owned()).collect()
}

async fn enrol(browser: &Browser<'_>, code: &str) -> StatusCode {
    let path = format!("/courses/{COURSE}/enroll");
    browser.submit(&path, &[("access_code", code)]).await.status()
}

both_backends! {
    async fn codes_are_made_listed_disabled_and_re_enabled_and_a_disabled_code_is_refused(app: TestApp) {
        let (browser, token) = admin(&app).await;
        let made = browser
            .submit("/admin/codes", &[("course", COURSE), ("code", "abcd efgh jk"), ("max_uses", "3"), ("expires_on", ""), ("note", "Spring <b>group</b> \u{202E}RTL 💬")])
            .await;
        assert_eq!(made.status(), StatusCode::SEE_OTHER);
        let page = browser.get("/admin/codes").await.text().await.unwrap();
        assert!(page.contains("ABCD-EFGH-JK"), "{page}");
        assert!(page.contains("0 of 3"));
        assert!(page.contains("&lt;b&gt;group&lt;"), "the note is escaped");
        assert!(!page.contains("<b>group</b>"));

        // The same chosen code again, a bad number, a course without codes: each names its field.
        let again = browser.submit("/admin/codes", &[("course", COURSE), ("code", "ABCD-EFGH-JK")]).await;
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.text().await.unwrap().contains("href=\"#code\""));
        let bad = browser.submit("/admin/codes", &[("course", COURSE), ("max_uses", "0")]).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let bad = api(&app, &token, reqwest::Method::POST, "/api/v1/admin/codes", Some(json!({ "course": "no-such-course" }))).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = bad.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "course");

        let listed: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/admin/codes", None).await.json().await.unwrap();
        let code = &listed["codes"][0];
        assert_eq!((code["code"].as_str(), code["uses"].as_i64(), code["remaining"].as_i64()), (Some("ABCD-EFGH-JK"), Some(0), Some(3)));
        assert_eq!(code["state"], "active");
        let id = code["id"].as_i64().unwrap();

        let disabled = browser.submit(&format!("/admin/codes/{id}/disable"), &[]).await;
        assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
        let learner = app.signed_in_as("learner@example.com", Role::Learner).await;
        assert_eq!(enrol(&learner, "ABCD-EFGH-JK").await, StatusCode::UNPROCESSABLE_ENTITY, "a disabled code is refused");

        let enabled = api(&app, &token, reqwest::Method::POST, &format!("/api/v1/admin/codes/{id}/enable"), None).await;
        assert_eq!(enabled.status(), StatusCode::OK);
        assert_eq!(enabled.json::<Value>().await.unwrap()["state"], "active");
        assert_eq!(enrol(&learner, "abcd-efgh-jk").await, StatusCode::SEE_OTHER, "re-enabled, it works");
        let listed: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/admin/codes", None).await.json().await.unwrap();
        assert_eq!((listed["codes"][0]["uses"].as_i64(), listed["codes"][0]["remaining"].as_i64()), (Some(1), Some(2)));

        let missing = api(&app, &token, reqwest::Method::POST, "/api/v1/admin/codes/999999/disable", None).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);

        let actions = audit_actions(&app, "access_code");
        let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(names, ["access_code.created", "access_code.disabled", "access_code.enabled"]);
        assert!(actions.iter().all(|(_, ip)| ip.as_deref() == Some("127.0.0.1")), "{actions:?}");
        app.read_all_mail().await;
    }

    async fn the_last_use_of_a_code_goes_to_one_learner_only(app: TestApp) {
        let (_browser, token) = admin(&app).await;
        let made = api(&app, &token, reqwest::Method::POST, "/api/v1/admin/codes", Some(json!({ "course": COURSE, "max_uses": 1, "note": "one seat" }))).await;
        assert_eq!(made.status(), StatusCode::CREATED);
        let code = made.json::<Value>().await.unwrap()["code"].as_str().unwrap().to_owned();
        let mut learners = Vec::new();
        for n in 0..4 {
            learners.push(app.signed_in_as(&format!("racer{n}@example.com"), Role::Learner).await);
        }
        let (a, b, c, d) = tokio::join!(
            enrol(&learners[0], &code),
            enrol(&learners[1], &code),
            enrol(&learners[2], &code),
            enrol(&learners[3], &code)
        );
        let statuses = [a, b, c, d];
        let won = statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count();
        assert_eq!(won, 1, "{statuses:?}");
        let listed: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/admin/codes", None).await.json().await.unwrap();
        assert_eq!((listed["codes"][0]["uses"].as_i64(), listed["codes"][0]["remaining"].as_i64()), (Some(1), Some(0)));
        assert_eq!(listed["codes"][0]["state"], "used_up");
        app.read_all_mail().await;
    }

    async fn the_outbox_filters_and_pages_without_gaps_or_repeats(app: TestApp) {
        let (browser, token) = admin(&app).await;
        let start = now(&app);
        for n in 0..55 {
            let at = start + Duration::hours(n);
            let kind = if n % 5 == 0 { "partner_invite" } else { "verify_email" };
            queue(&app, kind, &format!("person{n}@example.com"), "Hello", at);
        }
        let mut seen = Vec::new();
        let mut path = "/api/v1/admin/outbox?kind=verify_email".to_owned();
        loop {
            let page: Value = api(&app, &token, reqwest::Method::GET, &path, None).await.json().await.unwrap();
            // A message queued between pages does not shift the next page.
            queue(&app, "verify_email", "late@example.com", "Late", start);
            seen.extend(page["messages"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()));
            match page["next_before"].as_i64() {
                Some(before) => path = format!("/api/v1/admin/outbox?kind=verify_email&before={before}"),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no repeats");
        assert_eq!(seen.len(), 44, "every verify mail once; those queued between pages are newer than the cursor, so they shift nothing");
        assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first");

        let found: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/admin/outbox?recipient=PERSON12%40", None).await.json().await.unwrap();
        assert_eq!(found["messages"].as_array().unwrap().len(), 1);
        assert_eq!(found["messages"][0]["recipient"], "person12@example.com");
        let wildcard: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/admin/outbox?recipient=%25", None).await.json().await.unwrap();
        assert!(wildcard["messages"].as_array().unwrap().is_empty(), "% is a character, not a wildcard");
        let day = (start + Duration::days(1)).date();
        let one_day: Value = api(&app, &token, reqwest::Method::GET, &format!("/api/v1/admin/outbox?since={day}&until={day}&status=pending"), None).await.json().await.unwrap();
        assert_eq!(one_day["messages"].as_array().unwrap().len(), 24, "hours 15 to 38 fall on the second day");
        let bad = api(&app, &token, reqwest::Method::GET, "/api/v1/admin/outbox?status=lost", None).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.json::<Value>().await.unwrap()["errors"][0]["field"], "status");

        let bad = api(&app, &token, reqwest::Method::GET, "/api/v1/admin/outbox?before=soon", None).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let html = browser.get("/admin/outbox?kind=partner_invite").await;
        assert_eq!(html.status(), StatusCode::OK);
        let html = html.text().await.unwrap();
        assert_eq!(html.matches("/admin/outbox/").count(), 11, "11 invitation rows link to their message");
        let paged = browser.get("/admin/outbox?status=pending").await.text().await.unwrap();
        assert!(paged.contains("Older messages"));
        assert!(paged.contains("status=pending&amp;before="), "the next page keeps the filters");

        // Settle the queue: everything goes out.
        app.clock.advance(Duration::days(3));
        app.read_all_mail().await;
    }

    async fn outbox_and_codes_show_times_in_the_admins_zone_and_rfc_3339_in_the_api(app: TestApp) {
        let (browser, token) = admin(&app).await;
        set_time_zone(&app, "admin@example.com", "Pacific/Auckland");
        let id = queue(&app, "verify_email", "sam@example.com", "Hello", now(&app));
        // 09:00 UTC is 22:00 in Auckland (UTC+13 in March).
        let queued = "<time datetime=\"2026-03-02T09:00:00Z\">today at 22:00</time>";
        let list = browser.get("/admin/outbox").await.text().await.unwrap();
        assert!(list.contains(queued), "{list}");
        let one = browser.get(&format!("/admin/outbox/{id}")).await.text().await.unwrap();
        assert!(one.contains(&format!("<dt>Queued</dt><dd>{queued}</dd>")), "{one}");
        assert!(!one.contains(" UTC"), "{one}");
        let listed: Value = api(&app, &token, reqwest::Method::GET, "/api/v1/admin/outbox", None).await.json().await.unwrap();
        assert_eq!(listed["messages"][0]["created_at"], "2026-03-02T09:00:00Z");
        let detail: Value = api(&app, &token, reqwest::Method::GET, &format!("/api/v1/admin/outbox/{id}"), None).await.json().await.unwrap();
        assert_eq!(detail["next_attempt_at"], "2026-03-02T09:00:00Z");
        assert_eq!(detail["sent_at"], Value::Null);

        let body = json!({ "course": COURSE, "expires_on": "2026-03-10" });
        let made = api(&app, &token, reqwest::Method::POST, "/api/v1/admin/codes", Some(body)).await;
        assert_eq!(made.status(), StatusCode::CREATED);
        let code: Value = made.json().await.unwrap();
        assert_eq!(code["expires_at"], "2026-03-11T00:00:00Z", "the first instant it no longer works");
        assert_eq!(code["created_at"], "2026-03-02T09:00:00Z");
        let page = browser.get("/admin/codes").await.text().await.unwrap();
        let expires = "<time datetime=\"2026-03-11T00:00:00Z\">on Wednesday 11 March 2026 at 13:00</time>";
        assert!(page.contains(expires), "{page}");
        app.read_all_mail().await;
    }

    async fn the_outbox_recipient_filter_ignores_case_on_both_databases(app: TestApp) {
        let (browser, token) = admin(&app).await;
        queue(&app, "verify_email", "Sam.Rivers@Example.ORG", "Hello", now(&app));
        queue(&app, "verify_email", "other@example.org", "Hello", now(&app));
        for needle in ["sam.rivers", "SAM.RIVERS%40EXAMPLE.org", "Rivers@example.ORG"] {
            let found = recipients(&app, &token, &format!("/api/v1/admin/outbox?recipient={needle}")).await;
            assert_eq!(found, ["Sam.Rivers@Example.ORG"], "{needle}");
        }
        assert!(recipients(&app, &token, "/api/v1/admin/outbox?recipient=R_vers").await.is_empty(), "_ is a character");
        let page = browser.get("/admin/outbox?recipient=sAm.RiVeRs").await.text().await.unwrap();
        assert!(page.contains("Sam.Rivers@Example.ORG"), "{page}");
        assert!(!page.contains("other@example.org"), "{page}");
        app.read_all_mail().await;
    }

    async fn a_failed_message_retried_is_delivered_by_the_worker(app: TestApp) {
        let (browser, token) = admin(&app).await;
        let id = queue(&app, "verify_email", "robin@example.com", "Confirm your address", now(&app));
        {
            let mut conn = app.db.connection().unwrap();
            outbox::mark_failed(&mut conn, id, 8, "550 5.1.1 mailbox unavailable", None).unwrap();
        }
        let page = browser.get(&format!("/admin/outbox/{id}")).await.text().await.unwrap();
        assert!(page.contains("550 5.1.1 mailbox unavailable"));
        assert!(page.contains("Message-ID"));
        assert!(page.contains("&lt;script&gt;alert("), "the HTML body is shown as escaped source");
        assert!(!page.contains("<script>alert("));
        let cancel = api(&app, &token, reqwest::Method::POST, &format!("/api/v1/admin/outbox/{id}/cancel"), None).await;
        assert_eq!(cancel.status(), StatusCode::CONFLICT, "a failed message is not queued");

        let retried = browser.submit(&format!("/admin/outbox/{id}/retry"), &[]).await;
        assert_eq!(retried.status(), StatusCode::SEE_OTHER);
        let detail: Value = api(&app, &token, reqwest::Method::GET, &format!("/api/v1/admin/outbox/{id}"), None).await.json().await.unwrap();
        assert_eq!((detail["status"].as_str(), detail["attempts"].as_i64()), (Some("pending"), Some(0)));
        let mail = app.mail_to("robin@example.com", 1).await;
        assert_eq!(mail.len(), 1);
        let detail: Value = api(&app, &token, reqwest::Method::GET, &format!("/api/v1/admin/outbox/{id}"), None).await.json().await.unwrap();
        assert_eq!(detail["status"], "sent");
        assert!(mail[0].text().contains(detail["message_id"].as_str().unwrap()), "the page shows the Message-ID as sent");
        let again = api(&app, &token, reqwest::Method::POST, &format!("/api/v1/admin/outbox/{id}/retry"), None).await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert_eq!(again.json::<Value>().await.unwrap()["type"], "/problems/not-now");
        let actions = audit_actions(&app, "outbox");
        assert_eq!(actions.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(), ["outbox.retried"]);
        app.read_all_mail().await;
    }

    async fn a_cancelled_message_is_never_sent_and_a_claimed_one_cannot_be_cancelled(app: TestApp) {
        let (browser, token) = admin(&app).await;
        let hostile = "<script>alert(1)</script> \"quoted\" \u{202E}rtl";
        let cancelled = queue(&app, "partner_invite", "\"<img src=x onerror=alert(2)>\"@example.com", hostile, now(&app));
        let list = browser.get("/admin/outbox").await.text().await.unwrap();
        assert!(!list.contains("<script>alert(1)") && !list.contains("<img src=x"), "{list}");
        assert!(list.contains("&lt;script&gt;alert(1)"));
        let page = browser.get(&format!("/admin/outbox/{cancelled}")).await.text().await.unwrap();
        assert!(!page.contains("<script>alert(1)") && !page.contains("<img src=x"));
        let done = browser.submit(&format!("/admin/outbox/{cancelled}/cancel"), &[]).await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);

        let claimed = queue(&app, "verify_email", "sam@example.com", "Confirm", now(&app));
        {
            let mut conn = app.db.connection().unwrap();
            let held = outbox::claim_due(&mut conn, now(&app), 10, Duration::minutes(5)).unwrap();
            assert_eq!(held.iter().map(|m| m.id).collect::<Vec<_>>(), [claimed], "the cancelled one is never claimed");
        }
        let refused = api(&app, &token, reqwest::Method::POST, &format!("/api/v1/admin/outbox/{claimed}/cancel"), None).await;
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        let problem: Value = refused.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("sending this message right now"));
        let page = browser.submit(&format!("/admin/outbox/{claimed}/cancel"), &[]).await;
        assert_eq!(page.status(), StatusCode::CONFLICT);

        // The lease runs out (the worker died): now it can be cancelled, and nothing is sent.
        app.clock.advance(Duration::minutes(6));
        let ok = api(&app, &token, reqwest::Method::POST, &format!("/api/v1/admin/outbox/{claimed}/cancel"), None).await;
        assert_eq!(ok.status(), StatusCode::NO_CONTENT);
        let received = app.read_all_mail().await;
        assert!(received.iter().all(|m| !m.to.iter().any(|t| t.contains("sam@") || t.contains("img"))), "{received:?}");
        let mut conn = app.db.connection().unwrap();
        assert_eq!(outbox::count_by_status(&mut conn, outbox::STATUS_CANCELLED).unwrap(), 2);
        let actions = audit_actions(&app, "outbox");
        assert_eq!(actions.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(), ["outbox.cancelled", "outbox.cancelled"]);
    }

    async fn only_admins_reach_codes_and_the_outbox(app: TestApp) {
        for path in ["/api/v1/admin/outbox", "/api/v1/admin/codes"] {
            assert_eq!(app.get(path).await.status(), StatusCode::UNAUTHORIZED);
        }
        assert_eq!(app.get("/admin/outbox").await.status(), StatusCode::UNAUTHORIZED);
        let learner = app.signed_in_as("learner@example.com", Role::Learner).await;
        let author = app.signed_in_as("author@example.com", Role::Author).await;
        for browser in [&learner, &author] {
            assert_eq!(browser.get("/admin/codes").await.status(), StatusCode::FORBIDDEN);
            assert_eq!(browser.get("/admin/outbox").await.status(), StatusCode::FORBIDDEN);
            let post = browser.submit("/admin/codes", &[("course", COURSE)]).await;
            assert_eq!(post.status(), StatusCode::FORBIDDEN);
        }
        let token = bearer(&app, "learner@example.com").await;
        let listed = api(&app, &token, reqwest::Method::GET, "/api/v1/admin/outbox", None).await;
        assert_eq!(listed.status(), StatusCode::FORBIDDEN);
        let made = api(&app, &token, reqwest::Method::POST, "/api/v1/admin/codes", Some(json!({ "course": COURSE }))).await;
        assert_eq!(made.status(), StatusCode::FORBIDDEN);
        let mut conn = app.db.connection().unwrap();
        assert_eq!(mend::db::models::access_code::list(&mut conn, None, None, 10).unwrap().len(), 0);
        app.read_all_mail().await;
    }
}
