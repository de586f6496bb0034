//! The admin People area: search, filters, keyset pages, every action (audited with actor and
//! address), self-protection, refusals for non-admins and escaping of hostile names.

use chrono::Duration;
use diesel::prelude::*;
use mend::clock::Clock;
use mend::db::models::session::{self, NewSession};
use mend::db::models::user::{self, NewUser};
use mend::db::schema::{audit_log, users};
use mend::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Browser, PASSWORD, TestApp};

/// An account written straight to the database: `confirmed` or not, with any name at all.
fn person(app: &TestApp, email: &str, name: &str, role: Role, confirmed: bool) -> i64 {
    let mut conn = app.db.connection().unwrap();
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = HASH.get_or_init(|| {
        let password = mend::domain::account::NewPassword::parse(PASSWORD.into()).unwrap();
        mend::auth::password::hash(&password).unwrap()
    });
    let now = app.clock.now().naive_utc();
    let new = NewUser {
        email,
        display_name: name,
        password_hash: hash,
        role: role.as_str(),
        email_verified_at: confirmed.then_some(now),
        time_zone: "UTC",
        created_at: now,
        updated_at: now,
    };
    user::insert(&mut conn, &new).unwrap().id
}

/// A session of `user_id` last used at `last_seen` (for the "last seen" filters).
fn seen(app: &TestApp, user_id: i64, id: &str, last_seen: chrono::DateTime<chrono::Utc>) {
    let mut conn = app.db.connection().unwrap();
    let at = last_seen.naive_utc();
    let new = NewSession {
        id,
        user_id,
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        remember: false,
        created_at: at,
        last_seen_at: at,
        expires_at: at + Duration::hours(12),
    };
    session::insert(&mut conn, &new).unwrap();
}

/// An admin (or anyone) on the JSON API with a bearer token.
struct Api<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    token: String,
}

impl<'a> Api<'a> {
    async fn signed_in(app: &'a TestApp, email: &str, role: Role) -> Self {
        app.signed_in_as(email, role).await;
        let client = reqwest::Client::new();
        let body = json!({ "email": email, "password": PASSWORD });
        let login = client
            .post(format!("{}/api/v1/auth/login", app.address))
            .json(&body)
            .send()
            .await
            .unwrap();
        let token = login.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        Self { app, client, token }
    }

    fn call(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.app.address)).bearer_auth(&self.token)
    }

    async fn users(&self, query: &str) -> Value {
        let response =
            self.call(Method::GET, &format!("/api/v1/admin/users?{query}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{query}");
        response.json().await.unwrap()
    }

    /// The emails of the first page for `query`.
    async fn emails(&self, query: &str) -> Vec<String> {
        let page = self.users(query).await;
        page["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// The audit entries about user `id`: `(action, actor, ip)`.
fn audit_of(app: &TestApp, id: i64) -> Vec<(String, Option<i64>, Option<String>)> {
    let mut conn = app.db.connection().unwrap();
    audit_log::table
        .filter(audit_log::target_type.eq("user"))
        .filter(audit_log::target_id.eq(id.to_string()))
        .order(audit_log::id)
        .select((audit_log::action, audit_log::actor_id, audit_log::ip))
        .load(&mut *conn)
        .unwrap()
}

fn id_of(app: &TestApp, email: &str) -> Option<i64> {
    let mut conn = app.db.connection().unwrap();
    users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(&mut *conn)
        .optional()
        .unwrap()
}

/// Posts a form of the person page.
async fn act(
    admin: &Browser<'_>,
    id: i64,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    admin.submit(&format!("/admin/people/{id}/{action}"), fields).await
}

fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

both_backends! {
    async fn admin_people_search_is_partial_and_ignores_case_and_accents(app: TestApp) {
        let api = Api::signed_in(&app, "admin@example.com", Role::Admin).await;
        person(&app, "zoe@example.com", "Zoë Ångström", Role::Learner, true);
        person(&app, "ana.pena@example.org", "Ana Peña", Role::Learner, true);
        person(&app, "BOB@example.net", "Bob", Role::Author, true);
        person(&app, "percent@example.com", "Fifty_Percent", Role::Learner, true);
        assert_eq!(api.emails("q=angst").await, ["zoe@example.com"], "part of a name, accent-free");
        assert_eq!(api.emails("q=ZO%C3%8B").await, ["zoe@example.com"], "ZOË, accented, upper case");
        assert_eq!(api.emails("q=pena").await, ["ana.pena@example.org"]);
        assert_eq!(api.emails("q=pe%C3%B1a").await, ["ana.pena@example.org"], "peña");
        assert_eq!(api.emails("q=EXAMPLE.NET").await, ["BOB@example.net"], "part of an address");
        assert_eq!(api.emails("q=%25").await, Vec::<String>::new(), "a % is a character, not a wildcard");
        assert_eq!(api.emails("q=y_p").await, ["percent@example.com"], "and _ too");
        assert_eq!(api.emails("q=fifty%20percent").await, Vec::<String>::new());
        // The browser page finds the same people.
        let admin = app.signed_in_as("admin2@example.com", Role::Admin).await;
        let html = admin.get("/admin/people?q=angstrom").await.text().await.unwrap();
        assert!(html.contains("zoe@example.com") && !html.contains("ana.pena@example.org"), "{html}");
    }

    async fn admin_people_filters_by_role_confirmation_state_and_last_seen(app: TestApp) {
        let api = Api::signed_in(&app, "admin@example.com", Role::Admin).await;
        let now = app.clock.now();
        let old = person(&app, "old@example.com", "Old", Role::Learner, true);
        let recent = person(&app, "recent@example.com", "Recent", Role::Learner, false);
        person(&app, "never@example.com", "Never", Role::Author, true);
        seen(&app, old, "s-old", now - Duration::days(40));
        seen(&app, recent, "s-recent", now - Duration::days(2));
        let mut conn = app.db.connection().unwrap();
        user::set_deactivated(&mut conn, old, Some(now.naive_utc()), now.naive_utc()).unwrap();
        drop(conn);

        assert_eq!(api.emails("role=author").await, ["never@example.com"]);
        assert_eq!(api.emails("confirmed=false").await, ["recent@example.com"]);
        assert_eq!(api.emails("status=deactivated").await, ["old@example.com"]);
        assert!(!api.emails("status=active").await.contains(&"old@example.com".to_owned()));
        let since = (now - Duration::days(7)).format("%Y-%m-%d").to_string();
        let seen_since = api.emails(&format!("seen_since={since}&role=learner")).await;
        assert_eq!(seen_since, ["recent@example.com"]);
        let not_seen = api.emails(&format!("not_seen_since={since}&role=learner")).await;
        assert_eq!(not_seen, ["old@example.com"]);
        let never = api.emails(&format!("not_seen_since={since}&role=author")).await;
        assert_eq!(never, ["never@example.com"], "never signed in counts as not seen");
        let listed = api.users("q=recent").await;
        assert!(listed["users"][0]["last_seen_at"].as_str().unwrap().ends_with('Z'));

        for (query, field) in [("role=owner", "role"), ("confirmed=maybe", "confirmed"),
                               ("status=gone", "status"), ("seen_since=yesterday", "seen_since"),
                               ("before=abc", "before"), ("limit=0", "limit")] {
            let response = api.call(Method::GET, &format!("/api/v1/admin/users?{query}")).send().await.unwrap();
            assert_eq!(response.status(), 422, "{query}");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], field, "{query}");
        }
    }

    async fn admin_people_keyset_pages_are_stable_while_people_join(app: TestApp) {
        let api = Api::signed_in(&app, "admin@example.com", Role::Admin).await;
        for n in 0..7 {
            person(&app, &format!("p{n}@example.com"), &format!("Person {n}"), Role::Learner, true);
        }
        let first = api.users("q=person&limit=3").await;
        let mut seen: Vec<String> = first["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_owned()).collect();
        assert_eq!(seen, ["p6@example.com", "p5@example.com", "p4@example.com"], "newest first");
        // Newcomers arrive between pages: they are not shown on later pages, nobody is skipped
        // or repeated.
        person(&app, "p7@example.com", "Person 7", Role::Learner, true);
        person(&app, "p8@example.com", "Person 8", Role::Learner, true);
        let mut next = first["next_before"].as_i64();
        while let Some(before) = next {
            let page = api.users(&format!("q=person&limit=3&before={before}")).await;
            seen.extend(page["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap().to_owned()));
            next = page["next_before"].as_i64();
        }
        let expected: Vec<String> = (0..7).rev().map(|n| format!("p{n}@example.com")).collect();
        assert_eq!(seen, expected);
        // The browser pages link onwards with the filters kept.
        let admin = app.signed_in_as("admin2@example.com", Role::Admin).await;
        let html = admin.get("/admin/people?q=person").await.text().await.unwrap();
        assert!(html.contains("p8@example.com") && html.contains("p0@example.com"), "50 a page");
        assert!(!html.contains("rel=\"next\""), "one page only");
    }

    async fn admin_people_deactivation_signs_out_refuses_sign_in_and_stops_mail(app: TestApp) {
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        let learner = app.signed_in_as("learner@example.com", Role::Learner).await;
        let other_device = Browser::new(&app);
        assert!(other_device.sign_in("learner@example.com", PASSWORD).await.status().is_redirection());
        assert_eq!(learner.account_status().await, 200);
        let id = id_of(&app, "learner@example.com").unwrap();
        let admin_id = id_of(&app, "admin@example.com").unwrap();

        // A reset link queued just before deactivation is held back, not sent.
        assert_eq!(act(&admin, id, "password-reset", &[]).await.status(), 303);
        let response = act(&admin, id, "deactivate", &[]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), format!("/admin/people/{id}?notice=deactivated"));
        for device in [&learner, &other_device] {
            assert_ne!(device.account_status().await, 200, "every session ends at once");
        }
        let again = learner.sign_in("learner@example.com", PASSWORD).await;
        assert!(!again.status().is_redirection(), "sign-in is refused: {}", again.status());
        // No mail for a deactivated account: the forgotten-password form queues none, and the
        // message queued before is not sent.
        Browser::new(&app).forgot("learner@example.com").await;
        let sent = app.read_all_mail().await;
        assert!(sent.iter().all(|m| !m.to.iter().any(|to| to == "learner@example.com")));
        let mut conn = app.db.connection().unwrap();
        assert_eq!(mend::db::models::outbox::count_by_status(&mut conn, "pending").unwrap(), 1);
        drop(conn);
        let page = admin.get(&format!("/admin/people/{id}?notice=deactivated")).await.text().await.unwrap();
        assert!(page.contains("every session was signed out") && page.contains("Reactivate account"));
        assert_eq!(act(&admin, id, "deactivate", &[]).await.headers()["location"],
                   format!("/admin/people/{id}?notice=unchanged").as_str());

        let response = act(&admin, id, "reactivate", &[]).await;
        assert_eq!(location(&response), format!("/admin/people/{id}?notice=reactivated"));
        assert!(learner.sign_in("learner@example.com", PASSWORD).await.status().is_redirection());
        let held = app.mail_to("learner@example.com", 1).await;
        assert_eq!(held.len(), 1, "the held message goes out once reactivated");
        let audit = audit_of(&app, id);
        let actions: Vec<&str> = audit.iter().map(|(a, _, _)| a.as_str()).collect();
        assert_eq!(actions, ["user.reset_link_sent", "user.deactivated", "user.reactivated"]);
        for (_, actor, ip) in &audit {
            assert_eq!(*actor, Some(admin_id));
            assert_eq!(ip.as_deref(), Some("127.0.0.1"));
        }
    }

    async fn admin_people_actions_change_role_mail_links_and_erase(app: TestApp) {
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        let admin_id = id_of(&app, "admin@example.com").unwrap();
        let id = person(&app, "new@example.com", "New Person", Role::Learner, false);

        let response = act(&admin, id, "role", &[("role", "author")]).await;
        assert_eq!(location(&response), format!("/admin/people/{id}?notice=role"));
        let api = Api::signed_in(&app, "admin2@example.com", Role::Admin).await;
        assert_eq!(api.users("q=new%40").await["users"][0]["role"], "author");
        assert_eq!(act(&admin, id, "role", &[("role", "owner")]).await.status(), 422);

        let response = act(&admin, id, "confirmation", &[]).await;
        assert_eq!(location(&response), format!("/admin/people/{id}?notice=confirmation"));
        let link = app.link_to("new@example.com", 1, "/account/verify").await;
        assert!(link.contains("token="));
        let response = act(&admin, id, "password-reset", &[]).await;
        assert_eq!(location(&response), format!("/admin/people/{id}?notice=reset"));
        let reset = app.link_to("new@example.com", 2, "/account/reset").await;
        let owner = Browser::new(&app);
        let done = owner.reset(&reset, "a brand new walk by the sea").await;
        assert_eq!(done.status(), 200, "the reset link works");

        let page = admin.get(&format!("/admin/people/{id}")).await.text().await.unwrap();
        assert!(page.contains("verify_email") && page.contains("reset_password"), "their mail is listed");
        assert!(page.contains("user.reset_link_sent"), "and their audit entries");

        // Deleting wants the box ticked, then erases like self-service.
        assert_eq!(act(&admin, id, "delete", &[]).await.status(), 422);
        let response = act(&admin, id, "delete", &[("confirm", "yes")]).await;
        assert_eq!(location(&response), "/admin/people?notice=deleted");
        assert_eq!(id_of(&app, "new@example.com"), None);
        assert_eq!(admin.get(&format!("/admin/people/{id}")).await.status(), 404);
        let actions: Vec<String> = audit_of(&app, id).into_iter().map(|(action, actor, _)| {
            assert_eq!(actor, Some(admin_id));
            action
        }).collect();
        assert_eq!(actions, ["user.role_changed", "user.confirmation_sent", "user.reset_link_sent", "account.deleted"]);
        // Nothing to resend to a confirmed address.
        let confirmed = person(&app, "done@example.com", "Done", Role::Learner, true);
        assert_eq!(act(&admin, confirmed, "confirmation", &[]).await.status(), 422);
        app.read_all_mail().await;
    }

    async fn admin_people_api_actions_are_audited(app: TestApp) {
        let api = Api::signed_in(&app, "admin@example.com", Role::Admin).await;
        let learner = app.signed_in_as("learner@example.com", Role::Learner).await;
        let id = id_of(&app, "learner@example.com").unwrap();
        let path = format!("/api/v1/admin/users/{id}");
        let changed = api.call(Method::PATCH, &path).json(&json!({ "role": "author", "active": false })).send().await.unwrap();
        assert_eq!(changed.status(), 200);
        let body: Value = changed.json().await.unwrap();
        assert_eq!(body["role"], "author");
        assert!(body["deactivated_at"].is_string());
        assert_ne!(learner.account_status().await, 200);
        let detail: Value = api.call(Method::GET, &path).send().await.unwrap().json().await.unwrap();
        assert_eq!(detail["person"]["email"], "learner@example.com");
        assert!(detail["sessions"].as_array().unwrap().iter().all(|s| s["live"] == false));
        assert_eq!(detail["audit"][0]["action"], "user.deactivated", "newest first");
        let reset = api.call(Method::POST, &format!("{path}/password-reset")).send().await.unwrap();
        assert_eq!(reset.status(), 422, "a deactivated account gets no mail");
        let active = api.call(Method::PATCH, &path).json(&json!({ "active": true })).send().await.unwrap();
        assert_eq!(active.status(), 200);
        let reset = api.call(Method::POST, &format!("{path}/password-reset")).send().await.unwrap();
        assert_eq!(reset.status(), 202);
        app.mail_to("learner@example.com", 1).await;
        let confirm = api.call(Method::POST, &format!("{path}/confirmation")).send().await.unwrap();
        assert_eq!(confirm.status(), 422, "already confirmed");
        let bad = api.call(Method::PATCH, &path).json(&json!({ "role": "owner" })).send().await.unwrap();
        assert_eq!(bad.status(), 422);
        let missing = api.call(Method::GET, "/api/v1/admin/users/999999").send().await.unwrap();
        assert_eq!(missing.status(), 404);
        assert_eq!(api.call(Method::DELETE, &path).send().await.unwrap().status(), 204);
        assert_eq!(api.call(Method::GET, &path).send().await.unwrap().status(), 404);
        let actions: Vec<String> = audit_of(&app, id).into_iter().map(|(a, _, _)| a).collect();
        assert_eq!(actions, ["user.role_changed", "user.deactivated", "user.reactivated", "user.reset_link_sent", "account.deleted"]);
    }

    async fn admin_people_admins_cannot_lock_themselves_out(app: TestApp) {
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        let id = id_of(&app, "admin@example.com").unwrap();
        for (action, fields) in [("deactivate", vec![]), ("role", vec![("role", "learner")]),
                                 ("delete", vec![("confirm", "yes")])] {
            let response = act(&admin, id, action, &fields).await;
            assert_eq!(response.status(), 422, "{action}");
            let html = response.text().await.unwrap();
            assert!(html.contains("your own"), "{action}: {html}");
        }
        assert_eq!(admin.account_status().await, 200, "still signed in");
        let api = Api::signed_in(&app, "admin2@example.com", Role::Admin).await;
        let own = id_of(&app, "admin2@example.com").unwrap();
        let path = format!("/api/v1/admin/users/{own}");
        for body in [json!({ "active": false }), json!({ "role": "author" })] {
            let response = api.call(Method::PATCH, &path).json(&body).send().await.unwrap();
            assert_eq!(response.status(), 422, "{body}");
        }
        assert_eq!(api.call(Method::DELETE, &path).send().await.unwrap().status(), 422);
        assert!(audit_of(&app, id).is_empty() && audit_of(&app, own).is_empty(), "nothing happened");
        // Keeping one's own admin role is no change at all.
        assert_eq!(act(&admin, id, "role", &[("role", "admin")]).await.status(), 303);
    }

    async fn admin_people_refuses_visitors_learners_and_authors(app: TestApp) {
        let id = person(&app, "someone@example.com", "Someone", Role::Learner, true);
        let anonymous = Browser::new(&app);
        let page = anonymous.get("/admin/people").await;
        assert!(matches!(page.status().as_u16(), 303 | 401), "{}", page.status());
        let api = anonymous.get("/api/v1/admin/users").await;
        assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
        for role in [Role::Learner, Role::Author] {
            let email = format!("{}@example.com", role.as_str());
            let browser = app.signed_in_as(&email, role).await;
            assert_eq!(browser.get("/admin/people").await.status(), 403, "{role:?}");
            assert_eq!(browser.get(&format!("/admin/people/{id}")).await.status(), 403, "{role:?}");
            assert_eq!(act(&browser, id, "deactivate", &[]).await.status(), 403, "{role:?}");
            let api = Api::signed_in(&app, &format!("api-{email}"), role).await;
            assert_eq!(api.call(Method::GET, "/api/v1/admin/users").send().await.unwrap().status(), 403);
            let patch = api.call(Method::PATCH, &format!("/api/v1/admin/users/{id}")).json(&json!({ "active": false })).send().await.unwrap();
            assert_eq!(patch.status(), 403);
        }
        assert!(audit_of(&app, id).is_empty());
    }

    async fn admin_people_pages_escape_hostile_names(app: TestApp) {
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        let names = ["<script>alert(1)</script>", "Dana \"the\" O'Neil", "Émile 💔🌱", "مريم حداد"];
        let ids: Vec<i64> = names.iter().enumerate()
            .map(|(n, name)| person(&app, &format!("h{n}@example.com"), name, Role::Learner, true))
            .collect();
        let list = admin.get("/admin/people").await.text().await.unwrap();
        assert!(!list.contains("<script>alert(1)</script>"), "raw markup in the list");
        assert!(list.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;") || list.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{list}");
        assert!(list.contains("Dana &quot;the&quot; O&#x27;Neil") || list.contains("Dana &quot;the&quot; O&#39;Neil"));
        assert!(list.contains("💔🌱") && list.contains("مريم حداد"));
        let page = admin.get(&format!("/admin/people/{}", ids[0])).await.text().await.unwrap();
        assert!(!page.contains("<script>alert(1)</script>") && page.contains("&lt;script&gt;"));
        let found = admin.get("/admin/people?q=%3Cscript%3E").await.text().await.unwrap();
        assert!(found.contains("h0@example.com") && !found.contains("<script>alert"));
    }
}
