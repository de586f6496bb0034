//! The learner's control over mail: the Notifications page, its JSON API, and the one-click
//! unsubscribe links (RFC 8058) that work without signing in.

use diesel::prelude::*;
use mend::auth::keys::SecretKey;
use mend::auth::unsubscribe::UnsubscribeKey;
use mend::db::models::{enrollment, notification_preference};
use mend::db::schema::audit_log;
use mend::domain::account::Role;
use mend::domain::ids::{EnrollmentId, UserId};
use mend::domain::notifications::{Preferences, SendWindow, Topic};
use serde_json::{Value, json};

use crate::both_backends;
use crate::learner_web::{enrolled, text};
use crate::support::{Browser, TEST_SECRET_HEX, TestApp};

const PAGE: &str = "/account/notifications";
const COURSE: &str = "rebuilding-trust";

/// The key the test app signs unsubscribe links with.
fn key() -> UnsubscribeKey {
    UnsubscribeKey::new(&SecretKey::from_hex(TEST_SECRET_HEX).unwrap())
}

/// The learner's id and their enrolment in the sample course.
fn ids(app: &TestApp, email: &str) -> (UserId, EnrollmentId) {
    let mut conn = app.db.connection().unwrap();
    let user = mend::db::models::user::find_by_email(&mut conn, email).unwrap().unwrap();
    let user = UserId::from(user.id);
    let enrolment = enrollment::find(&mut conn, user, COURSE).unwrap().unwrap();
    (user, enrolment.id)
}

fn preferences(app: &TestApp, user: UserId) -> Preferences {
    notification_preference::find(&mut app.db.connection().unwrap(), user).unwrap()
}

fn reminders_on(app: &TestApp, user: UserId) -> bool {
    let mut conn = app.db.connection().unwrap();
    enrollment::find(&mut conn, user, COURSE).unwrap().unwrap().reminders_enabled
}

/// Every audit entry as `(action, actor, target, detail)`, oldest first.
fn audit(app: &TestApp) -> Vec<(String, Option<i64>, String, String)> {
    audit_log::table
        .order(audit_log::id)
        .select((audit_log::action, audit_log::actor_id, audit_log::target_id, audit_log::detail))
        .load(&mut *app.db.connection().unwrap())
        .unwrap()
}

/// The form as the page sends it with everything on, the digest off and the default window.
fn defaults() -> Vec<(&'static str, &'static str)> {
    vec![
        ("courses", COURSE),
        ("reminders-rebuilding-trust", "on"),
        ("new_lessons", "on"),
        ("partner_updates", "on"),
        ("discreet", "on"),
        ("window_start", "09:00"),
        ("window_end", "20:00"),
    ]
}

/// `defaults()` without `off`, with `set` replacing or adding fields.
fn form(off: &[&str], set: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut fields: Vec<_> = defaults()
        .into_iter()
        .filter(|(name, _)| !off.contains(name) && !set.iter().any(|(n, _)| n == name))
        .collect();
    fields.extend_from_slice(set);
    fields
}

async fn save(browser: &Browser<'_>, fields: &[(&str, &str)]) -> reqwest::Response {
    browser.submit(PAGE, fields).await
}

/// Whether the checkbox `id` is ticked on the page.
fn ticked(html: &str, id: &str) -> bool {
    let start = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id} in {html}"));
    let tag_end = html[start..].find('>').unwrap() + start;
    html[start..tag_end].contains(" checked")
}

both_backends! {
    async fn the_page_is_linked_from_the_account_and_shows_the_defaults(app: TestApp) {
        let learner = enrolled(&app).await;
        let (_, account) = text(learner.get("/account").await).await;
        assert!(account.contains("href=\"/account/notifications\""), "{account}");
        let (status, page) = text(learner.get(PAGE).await).await;
        assert_eq!(status, 200);
        for on in ["reminders-rebuilding-trust", "new_lessons", "partner_updates", "discreet"] {
            assert!(ticked(&page, on), "{on} on by default");
        }
        assert!(!ticked(&page, "digest"), "the digest is opt-in");
        assert!(page.contains("value=\"09:00\"") && page.contains("value=\"20:00\""), "{page}");
        assert!(page.contains("Reminders for Rebuilding Trust Together"), "{page}");
        assert!(page.contains("In your time zone, UTC"), "{page}");
        assert!(page.contains("href=\"/account/profile\""), "where the zone is changed");
        assert!(page.contains("Security emails"), "security mail explained as always-on");
        assert!(page.contains("<legend>Discreet mode</legend>"), "{page}");
        assert_eq!(Browser::new(&app).get(PAGE).await.status(), 401, "only for the learner");
    }

    async fn each_field_is_saved_and_shown_saved(app: TestApp) {
        let learner = enrolled(&app).await;
        let (user, _) = ids(&app, "learner@example.com");
        let cases: Vec<(Vec<(&str, &str)>, Preferences)> = vec![
            (form(&["new_lessons"], &[]), Preferences { new_lessons: false, ..Preferences::default() }),
            (form(&["partner_updates"], &[]), Preferences { partner_updates: false, ..Preferences::default() }),
            (form(&[], &[("digest", "on")]), Preferences { digest: true, ..Preferences::default() }),
            (form(&["discreet"], &[]), Preferences { discreet: false, ..Preferences::default() }),
            (
                form(&[], &[("window_start", "07:30"), ("window_end", "00:00")]),
                Preferences { window: SendWindow::new(450, 1440).unwrap(), ..Preferences::default() },
            ),
        ];
        for (fields, expected) in cases {
            let response = save(&learner, &fields).await;
            assert_eq!(response.status(), 303, "{fields:?}");
            assert_eq!(response.headers()["location"], "/account/notifications?saved=1");
            assert_eq!(preferences(&app, user), expected, "{fields:?}");
            let (_, page) = text(learner.get("/account/notifications?saved=1").await).await;
            assert!(page.contains("role=\"status\">Saved."), "{page}");
        }
        let (_, page) = text(learner.get(PAGE).await).await;
        assert!(page.contains("value=\"07:30\"") && page.contains("value=\"24:00\""), "{page}");
        let updates = audit(&app).into_iter().filter(|(action, ..)| action == "notifications.updated").count();
        assert_eq!(updates, 5, "one entry per save that changed something");
        assert_eq!(save(&learner, &form(&[], &[("window_start", "07:30"), ("window_end", "24:00")])).await.status(), 303);
        assert_eq!(audit(&app).len(), 5, "saving the same choices again writes nothing");
        for (action, actor, target, detail) in audit(&app) {
            assert_eq!((actor, target), (Some(user.get()), user.to_string()), "{action}");
            assert!(!detail.contains('@') && !detail.contains("Rebuilding"), "ids and kinds only: {detail}");
        }
    }

    async fn a_bad_window_is_422_naming_the_field_and_keeps_what_was_typed(app: TestApp) {
        let learner = enrolled(&app).await;
        let (user, _) = ids(&app, "learner@example.com");
        for (fields, field) in [
            (form(&[], &[("window_start", "25:00"), ("digest", "on")]), "window_start"),
            (form(&[], &[("window_start", "21:00"), ("window_end", "08:00"), ("digest", "on")]), "window_end"),
            (form(&["window_end"], &[("digest", "on")]), "window_end"),
        ] {
            let (status, page) = text(save(&learner, &fields).await).await;
            assert_eq!(status, 422, "{fields:?}");
            assert!(page.contains(&format!("href=\"#{field}\"")), "summary links to {field}: {page}");
            assert!(page.contains(&format!("id=\"{field}-error\"")), "{page}");
            assert!(page.contains(&format!("aria-describedby=\"{field}-error window-hint\"")), "{page}");
            assert!(ticked(&page, "digest"), "what was ticked is kept");
            let start = fields.iter().find(|(n, _)| *n == "window_start").unwrap().1;
            assert!(page.contains(&format!("value=\"{start}\"")), "what was typed is kept");
        }
        let no_token = learner.client.post(format!("{}{PAGE}", app.address)).form(&defaults()).send().await.unwrap();
        assert_eq!(no_token.status(), 403, "the form needs its CSRF token like every other");
        let unknown = form(&[], &[("courses", "no-such-course"), ("reminders-no-such-course", "on")]);
        let (status, page) = text(save(&learner, &unknown).await).await;
        assert_eq!(status, 422);
        assert!(page.contains("href=\"#courses\""), "{page}");
        assert_eq!(preferences(&app, user), Preferences::default(), "nothing was stored");
        assert!(audit(&app).is_empty());
    }

    async fn the_per_course_switch_turns_reminders_off_and_on(app: TestApp) {
        let learner = enrolled(&app).await;
        let (user, enrolment) = ids(&app, "learner@example.com");
        assert!(reminders_on(&app, user));
        assert_eq!(save(&learner, &form(&["reminders-rebuilding-trust"], &[])).await.status(), 303);
        assert!(!reminders_on(&app, user));
        assert_eq!(preferences(&app, user), Preferences::default(), "only the course changed");
        let (_, page) = text(learner.get(PAGE).await).await;
        assert!(!ticked(&page, "reminders-rebuilding-trust"), "{page}");
        let export: Value = learner.get("/account/export").await.json().await.unwrap();
        assert_eq!(export["enrollments"][0]["reminders_enabled"], false, "in the data export");
        assert_eq!(export["notifications"]["window_start"], "09:00");
        let without_list = form(&["courses", "reminders-rebuilding-trust"], &[]);
        assert_eq!(save(&learner, &without_list).await.status(), 303);
        assert!(!reminders_on(&app, user), "a course the form did not list keeps its switch");
        assert_eq!(save(&learner, &defaults()).await.status(), 303);
        assert!(reminders_on(&app, user));
        let details: Vec<String> = audit(&app).into_iter().map(|(_, _, _, detail)| detail).collect();
        let id = enrolment.to_string();
        assert_eq!(details.len(), 2, "{details:?}");
        assert!(details[0].contains(&format!("\"{id}\":false")), "{details:?}");
        assert!(details[1].contains(&format!("\"{id}\":true")), "{details:?}");
    }

    async fn an_unsubscribe_link_asks_first_and_a_one_click_post_stops_that_mail(app: TestApp) {
        enrolled(&app).await;
        let (user, enrolment) = ids(&app, "learner@example.com");
        // A mail client: no cookies, posting from elsewhere.
        let client = TestApp::browser();
        for (topic, kind) in [
            (Topic::Reminders(enrolment), "reminders for one of your courses"),
            (Topic::NewLessons, "emails when new lessons open"),
            (Topic::Digest, "the weekly update"),
            (Topic::PartnerUpdates, "updates about the account linked with yours"),
        ] {
            if topic == Topic::Digest {
                let mut conn = app.db.connection().unwrap();
                let on = Preferences { digest: true, ..preferences(&app, user) };
                notification_preference::save(&mut conn, user, &on, crate::support::epoch().naive_utc()).unwrap();
            }
            let before = (preferences(&app, user), reminders_on(&app, user), audit(&app).len());
            let link = key().link(&app.address, user, topic);
            let shown = client.get(&link).send().await.unwrap();
            assert_eq!(shown.status(), 200);
            assert_eq!(shown.headers()["referrer-policy"], "no-referrer");
            assert!(shown.headers()["x-robots-tag"].to_str().unwrap().contains("noindex"));
            assert!(shown.headers().get("set-cookie").is_none(), "no session, no cookies");
            let page = shown.text().await.unwrap();
            assert!(page.contains(kind) && page.contains("noindex"), "{page}");
            assert!(!page.contains("Rebuilding"), "the page names only the kind of mail");
            assert!(page.contains(&format!("action=\"{}\"", &link[app.address.len()..])), "{page}");
            assert_eq!(client.head(&link).send().await.unwrap().status(), 200);
            let after_get = (preferences(&app, user), reminders_on(&app, user), audit(&app).len());
            assert_eq!(after_get, before, "opening the link changes nothing");

            for round in 0..2 {
                let done = client
                    .post(&link)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("origin", "https://mail.example")
                    .header("sec-fetch-site", "cross-site")
                    .body("List-Unsubscribe=One-Click")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(done.status(), 200, "round {round}");
                assert!(done.headers().get("set-cookie").is_none());
                let page = done.text().await.unwrap();
                assert!(page.contains("You're unsubscribed") && page.contains(kind), "{page}");
            }
            let again = client.get(&link).send().await.unwrap().text().await.unwrap();
            assert!(again.contains("already stopped") && !again.contains("<form method=\"post\" action=\"/unsubscribe"), "{again}");
            let entries = audit(&app);
            assert_eq!(entries.len(), before.2 + 1, "one audit row, none for the repeat");
            let (action, actor, target, detail) = entries.last().unwrap().clone();
            assert_eq!((action.as_str(), actor, target), ("notifications.unsubscribe", None, user.to_string()));
            assert_eq!(serde_json::from_str::<Value>(&detail).unwrap(), json!({ "topic": topic.code() }));
        }
        let logs = app.logs();
        assert!(logs.contains("unsubscribed"), "{logs}");
        for topic in [Topic::Reminders(enrolment), Topic::NewLessons] {
            let token = key().token(user, topic);
            assert!(!logs.contains(&token), "a link's token is a key: never logged");
        }
        assert!(!logs.contains("learner@example.com"));
        let stopped = preferences(&app, user);
        assert!(!stopped.new_lessons && !stopped.digest && !stopped.partner_updates);
        assert!(stopped.discreet, "nothing else changed");
        assert!(!reminders_on(&app, user));
    }

    async fn a_bad_or_forged_token_is_404_and_changes_nothing(app: TestApp) {
        enrolled(&app).await;
        let (user, _) = ids(&app, "learner@example.com");
        let good = key().token(user, Topic::NewLessons);
        let other_key = UnsubscribeKey::new(&SecretKey::generate()).token(user, Topic::NewLessons);
        let (claim, mac) = good.rsplit_once('.').unwrap();
        let swapped_topic = format!("{}.d.{mac}", user);
        let cut = good[..good.len() - 2].to_owned();
        let absent_user = key().token(UserId::from(999_999), Topic::NewLessons);
        let client = TestApp::browser();
        for token in ["nonsense", "1.n.AAAA", other_key.as_str(), swapped_topic.as_str(), cut.as_str(), absent_user.as_str(), claim] {
            let url = format!("{}/unsubscribe/{token}", app.address);
            let shown = client.get(&url).send().await.unwrap();
            assert_eq!(shown.status(), 404, "GET {token}");
            assert!(shown.text().await.unwrap().contains("This link doesn't work"));
            let posted = client.post(&url).body("List-Unsubscribe=One-Click").send().await.unwrap();
            assert_eq!(posted.status(), 404, "POST {token}");
        }
        assert_eq!(preferences(&app, user), Preferences::default());
        assert!(reminders_on(&app, user));
        assert!(audit(&app).is_empty());
    }

    async fn a_token_for_one_learners_enrolment_cannot_turn_off_anothers(app: TestApp) {
        enrolled(&app).await;
        let other = app.signed_in_as("other@example.com", Role::Learner).await;
        let code = app.sample_access_code();
        let response = other.submit("/courses/rebuilding-trust/enroll", &[("access_code", &code)]).await;
        assert_eq!(response.status(), 303);
        let (mine, _) = ids(&app, "learner@example.com");
        let (theirs, their_enrolment) = ids(&app, "other@example.com");
        // Signed for me, but naming their enrolment: the signature holds, the enrolment is not mine.
        let link = key().link(&app.address, mine, Topic::Reminders(their_enrolment));
        let client = TestApp::browser();
        assert_eq!(client.post(&link).body("List-Unsubscribe=One-Click").send().await.unwrap().status(), 404);
        assert!(reminders_on(&app, theirs), "their reminders stay on");
        assert!(reminders_on(&app, mine));
        assert!(audit(&app).is_empty());
        let theirs_link = key().link(&app.address, theirs, Topic::Reminders(their_enrolment));
        assert_eq!(client.post(&theirs_link).send().await.unwrap().status(), 200);
        assert!(!reminders_on(&app, theirs) && reminders_on(&app, mine));
    }

    async fn the_api_round_trips_the_same_fields(app: TestApp) {
        let token = crate::learner_api::token(&app).await;
        let call = |method: reqwest::Method, path: &str| {
            app.client.request(method, format!("{}{path}", app.address)).bearer_auth(&token)
        };
        let code = app.sample_access_code();
        let enrol = call(reqwest::Method::POST, "/api/v1/courses/rebuilding-trust/enroll")
            .json(&json!({ "access_code": code }))
            .send()
            .await
            .unwrap();
        assert_eq!(enrol.status(), 201);
        let url = "/api/v1/me/notifications";
        let shown: Value = call(reqwest::Method::GET, url).send().await.unwrap().json().await.unwrap();
        assert_eq!(shown, json!({
            "new_lessons": true, "partner_updates": true, "digest": false, "discreet": true,
            "window_start": "09:00:00", "window_end": "20:00:00", "time_zone": "UTC",
            "courses": [{ "course": COURSE, "title": "Rebuilding Trust Together", "reminders": true }],
        }));
        let echoed = call(reqwest::Method::PUT, url).json(&shown).send().await.unwrap();
        assert_eq!(echoed.status(), 200, "a GET's answer can be sent back as it is");
        assert!(audit(&app).is_empty(), "unchanged: nothing written");

        let changed = json!({
            "new_lessons": false, "partner_updates": true, "digest": true, "discreet": false,
            "window_start": "08:15", "window_end": "21:45:00",
            "courses": [{ "course": COURSE, "reminders": false }],
        });
        let saved = call(reqwest::Method::PUT, url).json(&changed).send().await.unwrap();
        assert_eq!(saved.status(), 200);
        let saved: Value = saved.json().await.unwrap();
        let again: Value = call(reqwest::Method::GET, url).send().await.unwrap().json().await.unwrap();
        assert_eq!(saved, again);
        assert_eq!((again["window_start"].as_str(), again["window_end"].as_str()), (Some("08:15:00"), Some("21:45:00")));
        assert_eq!((again["digest"].as_bool(), again["discreet"].as_bool()), (Some(true), Some(false)));
        assert_eq!(again["courses"][0]["reminders"], false);

        for (start, end, field) in [("22:00", "06:00", "window_end"), ("7am", "20:00", "window_start")] {
            let bad = json!({
                "new_lessons": true, "partner_updates": true, "digest": false, "discreet": true,
                "window_start": start, "window_end": end,
            });
            let response = call(reqwest::Method::PUT, url).json(&bad).send().await.unwrap();
            assert_eq!(response.status(), 422);
            assert_eq!(response.headers()["content-type"], "application/problem+json");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        }
        let mut unknown = changed.clone();
        unknown["courses"] = json!([{ "course": "no-such-course", "reminders": false }]);
        let response = call(reqwest::Method::PUT, url).json(&unknown).send().await.unwrap();
        assert_eq!(response.status(), 422);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "courses", "{problem}");
        let missing = call(reqwest::Method::PUT, url).json(&json!({ "digest": true })).send().await.unwrap();
        assert_eq!(missing.status(), 422);
        assert_eq!(call(reqwest::Method::GET, url).send().await.unwrap().json::<Value>().await.unwrap(), again);
        let anonymous = TestApp::browser().get(format!("{}{url}", app.address)).send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
    }

    async fn the_openapi_document_lists_the_notification_routes(app: TestApp) {
        let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
        let path = &doc["paths"]["/api/v1/me/notifications"];
        for status in ["200", "401"] {
            assert!(path["get"]["responses"].get(status).is_some(), "GET {status}");
        }
        for status in ["200", "400", "401", "403", "413", "422"] {
            assert!(path["put"]["responses"].get(status).is_some(), "PUT {status}");
        }
        let schemas = &doc["components"]["schemas"];
        assert!(schemas["NotificationsOut"]["properties"]["window_start"].is_object());
        assert!(schemas["NotificationsIn"]["properties"]["courses"].is_object());
    }
}
