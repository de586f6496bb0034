//! The audit console (`/admin/audit`, its CSV export and `GET /api/v1/admin/audit`) and a
//! learner's own account history: who may see what, filters, keyset pages that stay stable
//! while entries arrive, a CSV a spreadsheet can open safely, and hostile names kept inert.

use chrono::{DateTime, Duration, Utc};
use mend::admin::audit::{Actor, Target, record};
use mend::domain::account::Role;
use mend::domain::ids::UserId;
use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::support::{Browser, PASSWORD, TestApp, epoch};

/// A name that tries everything: markup, quotes, emoji, right-to-left text, a formula.
const HOSTILE: &str = "<script>alert(1)</script> \"Zoë\" 😊 مرحبا";

/// The id of the account at `email`.
fn id_of(app: &TestApp, email: &str) -> i64 {
    let mut conn = app.db.connection().unwrap();
    mend::db::models::user::find_by_email(&mut conn, email).unwrap().unwrap().id
}

/// Writes one entry as an admin service would, `minutes` after the epoch.
fn entry(app: &TestApp, actor: Option<i64>, action: &str, target: (&str, &str), minutes: i64) {
    let mut conn = app.db.connection().unwrap();
    let actor = Actor { user_id: actor.map(UserId::from), ip: Some("198.51.100.7".into()) };
    let target = Target { kind: target.0, id: target.1 };
    let at: DateTime<Utc> = epoch() + Duration::minutes(minutes);
    let detail = serde_json::json!({ "note": "=HYPERLINK(\"http://evil.example\")" });
    record(&mut conn, &actor, action, target, &detail, at).unwrap();
}

/// A new account with `role` and display name `name`.
fn create_named(app: &TestApp, email: &str, name: &str, role: Role) {
    let account = mend::accounts::Registration::parse(email, name, PASSWORD.into()).unwrap();
    let mut conn = app.db.connection().unwrap();
    mend::accounts::create_verified_user(&mut conn, &account, role, epoch()).unwrap();
}

/// A browser signed in as the account at `email`.
async fn signed_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let browser = Browser::new(app);
    assert!(browser.sign_in(email, PASSWORD).await.status().is_redirection());
    browser
}

/// A browser signed in as a new account with `role` and display name `name`.
async fn signed_in_named<'a>(app: &'a TestApp, email: &str, name: &str, role: Role) -> Browser<'a> {
    create_named(app, email, name, role);
    signed_in(app, email).await
}

async fn api_token(app: &TestApp, email: &str) -> String {
    let body = serde_json::json!({ "email": email, "password": PASSWORD });
    let login = TestApp::browser().post(format!("{}/api/v1/auth/login", app.address)).json(&body);
    let body: Value = login.send().await.unwrap().json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn api_list(app: &TestApp, token: &str, query: &str) -> Value {
    let url = format!("{}/api/v1/admin/audit?{query}", app.address);
    let response = TestApp::browser().get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.unwrap()
}

fn actions(list: &Value) -> Vec<String> {
    let entries = list["entries"].as_array().unwrap();
    entries.iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

both_backends! {
    async fn admins_see_the_audit_log_and_nobody_else_does(app: TestApp) {
        let admin = signed_in_named(&app, "admin@example.com", HOSTILE, Role::Admin).await;
        let admin_id = id_of(&app, "admin@example.com");
        entry(&app, Some(admin_id), "user.role_changed", ("user", "42"), 1);
        let page = admin.get("/admin/audit").await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("user.role_changed") && html.contains("198.51.100.7"), "{html}");
        assert!(!html.contains("<script>alert(1)"), "the name is escaped");
        assert!(html.contains("&lt;script&gt;alert(1)"), "{html}");
        assert!(html.contains("😊") && html.contains("مرحبا"), "emoji and RTL text are kept");
        assert!(html.contains("aria-current=\"page\""), "the nav marks the current page");
        let overview = admin.get("/admin").await.text().await.unwrap();
        assert!(overview.contains("href=\"/admin/audit\""), "the overview links to the audit log");

        for (email, role) in [("learner@example.com", Role::Learner), ("author@example.com", Role::Author)] {
            let browser = app.signed_in_as(email, role).await;
            for path in ["/admin", "/admin/audit", "/admin/audit/export", "/api/v1/admin/audit"] {
                assert_eq!(browser.get(path).await.status(), StatusCode::FORBIDDEN, "{email} {path}");
            }
            let token = api_token(&app, email).await;
            let url = format!("{}/api/v1/admin/audit", app.address);
            let response = TestApp::browser().get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["type"], "/problems/admins-only");
        }
        let anonymous = Browser::new(&app);
        for path in ["/admin", "/admin/audit", "/admin/audit/export", "/api/v1/admin/audit"] {
            assert_eq!(anonymous.get(path).await.status(), StatusCode::UNAUTHORIZED, "{path}");
        }
        let refused = anonymous.get("/admin/audit").await.text().await.unwrap();
        assert!(refused.contains("/account/sign-in?next=%2Fadmin%2Faudit"), "offers to sign in and come back");
    }

    async fn filters_narrow_by_actor_action_target_and_days(app: TestApp) {
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        app.signed_in_as("other@example.com", Role::Admin).await;
        let token = api_token(&app, "admin@example.com").await;
        let (me, other) = (id_of(&app, "admin@example.com"), id_of(&app, "other@example.com"));
        entry(&app, Some(me), "user.role_changed", ("user", "7"), 10);
        entry(&app, Some(other), "user.deactivated", ("user", "8"), 60 * 24);
        entry(&app, Some(other), "enrollment.revoked", ("enrollment", "3"), 60 * 48);
        entry(&app, None, "access_code.created", ("access_code", "5"), 60 * 72);

        let all = api_list(&app, &token, "").await;
        assert_eq!(actions(&all), ["access_code.created", "enrollment.revoked", "user.deactivated", "user.role_changed"]);
        assert_eq!(all["entries"][3]["actor"]["email"], "admin@example.com");
        assert_eq!(all["entries"][3]["ip"], "198.51.100.7");
        assert_eq!(all["entries"][0]["actor"], Value::Null);
        assert!(all["entries"][0]["at"].as_str().unwrap().ends_with('Z'));
        let by = async |q: &str| actions(&api_list(&app, &token, q).await);
        assert_eq!(by("actor=OTHER%40example.com").await, ["enrollment.revoked", "user.deactivated"]);
        assert_eq!(by(&format!("actor={me}")).await, ["user.role_changed"]);
        assert_eq!(by("actor=nobody%40example.com").await, Vec::<String>::new());
        assert_eq!(by("action=user.").await, ["user.deactivated", "user.role_changed"]);
        assert_eq!(by("action=user.deactivated").await, ["user.deactivated"]);
        assert_eq!(by("target_type=user&target_id=7").await, ["user.role_changed"]);
        assert_eq!(by("from=2026-03-03&to=2026-03-04").await, ["enrollment.revoked", "user.deactivated"]);
        assert_eq!(by("to=2026-03-02").await, ["user.role_changed"]);

        for (query, field) in [
            ("action=DROP%20TABLE", "action"),
            ("target_type=a-b", "target_type"),
            ("from=03%2F02%2F2026", "from"),
            ("from=2026-03-05&to=2026-03-01", "to"),
            ("after=nonsense", "after"),
            ("limit=0", "limit"),
            ("limit=201", "limit"),
        ] {
            let url = format!("{}/api/v1/admin/audit?{query}", app.address);
            let response = TestApp::browser().get(url).bearer_auth(&token).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], field, "{query}");
        }
        // The page shows the same filters, and a bad one again with its field named.
        let html = admin.get("/admin/audit?action=user.").await.text().await.unwrap();
        assert!(html.contains("user.deactivated") && !html.contains("enrollment.revoked"));
        assert!(html.contains("/admin/audit/export?action=user."), "the CSV link keeps the filter");
        let bad = admin.get("/admin/audit?from=2026-03-05&to=2026-03-01").await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = bad.text().await.unwrap();
        assert!(html.contains("href=\"#to\"") && html.contains("value=\"2026-03-05\""), "{html}");
    }

    async fn keyset_pages_stay_stable_while_entries_arrive(app: TestApp) {
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        let token = api_token(&app, "admin@example.com").await;
        let me = id_of(&app, "admin@example.com");
        // 120 entries, some sharing a timestamp (the id breaks the tie).
        for i in 0..120 {
            entry(&app, Some(me), "user.role_changed", ("user", &i.to_string()), i / 3);
        }
        let mut seen: Vec<String> = Vec::new();
        let mut query = "limit=50".to_owned();
        for round in 0.. {
            let page = api_list(&app, &token, &query).await;
            let entries = page["entries"].as_array().unwrap();
            seen.extend(entries.iter().map(|e| e["target_id"].as_str().unwrap().to_owned()));
            // A new entry lands between pages (newer than everything listed so far).
            entry(&app, Some(me), "user.deactivated", ("user", "new"), 1_000 + round);
            match page["next"].as_str() {
                Some(next) => query = format!("limit=50&after={next}"),
                None => break,
            }
        }
        let expected: Vec<String> = (0..120).rev().map(|i: i32| i.to_string()).collect();
        assert_eq!(seen, expected, "every original entry once, newest first, none of the new ones");

        // The page walks the same way.
        let mut html = admin.get("/admin/audit").await.text().await.unwrap();
        let mut pages = 1;
        while let Some(start) = html.find("rel=\"next\"").and_then(|end| html[..end].rfind("href=\"")) {
            let href = html[start + 6..].split('"').next().unwrap().replace("&amp;", "&");
            html = admin.get(&href).await.text().await.unwrap();
            pages += 1;
        }
        assert_eq!(pages, 3, "123 entries at 50 a page");
    }

    async fn the_csv_export_is_safe_to_open_and_reads_back_whole(app: TestApp) {
        create_named(&app, "admin@example.com", HOSTILE, Role::Admin);
        create_named(&app, "formula@example.com", "=SUM(A1)", Role::Admin);
        let (me, them) = (id_of(&app, "admin@example.com"), id_of(&app, "formula@example.com"));
        for i in 0..1_203 {
            entry(&app, Some(if i % 2 == 0 { me } else { them }), "user.role_changed", ("user", "-1"), i);
        }
        // Signed in after the slow setup, so no idle keep-alive connection is reused as the
        // server closes it.
        let admin = signed_in(&app, "admin@example.com").await;
        let response = admin.get("/admin/audit/export").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
        let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert_eq!(disposition, "attachment; filename=\"mend-audit-2026-03-02.csv\"");
        assert!(response.headers().get("content-length").is_none(), "streamed, not buffered");
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM first");
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(header, ["id", "time_utc", "actor_id", "actor_email", "actor_name", "action", "target_type", "target_id", "detail", "ip"]);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1_203, "every entry, across batches");
        let newest = &rows[0];
        assert_eq!(&newest[1], "2026-03-03T05:02:00Z");
        assert_eq!(&newest[4], HOSTILE, "the name round-trips exactly");
        assert_eq!(&newest[7], "'-1", "a cell starting with - is prefixed");
        assert!(newest[8].starts_with("{\"note\":"), "{}", &newest[8]);
        assert_eq!(&rows[1][4], "'=SUM(A1)", "a formula name is prefixed");
        let ids: Vec<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats");
        let filtered = admin.get("/admin/audit/export?actor=formula%40example.com").await.bytes().await.unwrap();
        let count = csv::Reader::from_reader(&filtered[3..]).records().count();
        assert_eq!(count, 601);
        let bad = admin.get("/admin/audit/export?from=yesterday").await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn a_learner_sees_what_happened_to_their_account_but_not_who_from_where(app: TestApp) {
        let learner = app.signed_in_as("learner@example.com", Role::Learner).await;
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        drop(admin);
        let (me, admin_id) = (id_of(&app, "learner@example.com"), id_of(&app, "admin@example.com"));
        let empty = learner.get("/account").await.text().await.unwrap();
        assert!(empty.contains("Account history") && empty.contains("Nothing has been changed"));
        entry(&app, Some(admin_id), "user.role_changed", ("user", &me.to_string()), 5);
        entry(&app, Some(admin_id), "user.role_changed", ("user", "999"), 6);
        let html = learner.get("/account").await.text().await.unwrap();
        assert!(html.contains("Your role was changed") && html.contains("by the programme team"), "{html}");
        assert!(!html.contains("198.51.100.7"), "an admin's address is never shown to a learner");
        assert!(!html.contains("admin@example.com"), "nor who they are");
        assert_eq!(html.matches("Your role was changed").count(), 1, "only entries about this account");
    }

    async fn deleting_an_account_records_the_address_it_came_from(app: TestApp) {
        app.signed_in_as("leaving@example.com", Role::Learner).await;
        let id = id_of(&app, "leaving@example.com").to_string();
        let token = api_token(&app, "leaving@example.com").await;
        let url = format!("{}/api/v1/me", app.address);
        let body = serde_json::json!({ "password": PASSWORD });
        let spoofed = TestApp::browser().delete(url).bearer_auth(token).header("x-forwarded-for", "203.0.113.66").json(&body);
        assert_eq!(spoofed.send().await.unwrap().status(), StatusCode::NO_CONTENT);
        let mut conn = app.db.connection().unwrap();
        let filter = mend::db::models::audit::Filter { target_id: Some(id), ..Default::default() };
        let entries = mend::db::models::audit::list(&mut conn, &filter, None, 10).unwrap();
        assert_eq!(entries[0].action, "account.deleted");
        assert_eq!(entries[0].ip.as_deref(), Some("127.0.0.1"), "an untrusted X-Forwarded-For is ignored");
    }
}

crate::test_case! {
    async fn behind_a_trusted_proxy_the_forwarded_address_is_recorded() {
        let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let app = TestApp::create_with(crate::support::Backend::Sqlite, |s| s.trusted_proxies = vec![proxy]).await.unwrap();
        app.signed_in_as("leaving@example.com", Role::Learner).await;
        let id = id_of(&app, "leaving@example.com").to_string();
        let token = api_token(&app, "leaving@example.com").await;
        let url = format!("{}/api/v1/me", app.address);
        let body = serde_json::json!({ "password": PASSWORD });
        let forwarded = TestApp::browser().delete(url).bearer_auth(token).header("x-forwarded-for", "6.6.6.6, 203.0.113.66").json(&body);
        assert_eq!(forwarded.send().await.unwrap().status(), StatusCode::NO_CONTENT);
        let mut conn = app.db.connection().unwrap();
        let filter = mend::db::models::audit::Filter { target_id: Some(id), ..Default::default() };
        let entries = mend::db::models::audit::list(&mut conn, &filter, None, 10).unwrap();
        assert_eq!(entries[0].ip.as_deref(), Some("203.0.113.66"), "the proxy's nearest client");
    }
}
