//! "Send a gentle nudge now" from a course's report, on both databases: one discreet mail per
//! learner it may go to (with its unsubscribe link), nothing more on a second click the same
//! day, the learners left alone counted by reason, an audit entry per nudge, the send window
//! respected (the mail waits for it), the CSRF token required, and the API's counts.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use mend::clock::Clock;
use mend::db::models::enrollment;
use mend::db::schema::{audit_log, outbox, users};
use mend::domain::account::Role;
use mend::domain::ids::{EnrollmentId, UserId};
use mend::domain::reminders::Skip;
use mend::reminders::{Outcome, ReminderKind};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::admin_codes_outbox::{api, bearer};
use crate::both_backends;
use crate::reminders::{seed_enrollment, seed_learner};
use crate::support::{Browser, PASSWORD, TestApp, epoch};

const COURSE: &str = "rebuilding-trust";

/// Five learners enrolled at the epoch, quiet since; the clock is then 20 days on, at noon UTC
/// (inside everyone's default send window). Returns each one's (address, user, enrolment):
/// two who may be nudged, one on a break, one with this course's reminders off, one whose
/// address was never confirmed.
fn seed(app: &TestApp) -> Vec<(String, UserId, EnrollmentId)> {
    let mut conn = app.db.connection().unwrap();
    let now = epoch() + Duration::days(20) + Duration::hours(3);
    let people = ["ready1", "ready2", "paused", "off", "unconfirmed"];
    let seeded: Vec<(String, UserId, EnrollmentId)> = people
        .iter()
        .map(|who| {
            let email = format!("{who}@example.com");
            let user = seed_learner(&mut conn, &email, "UTC", *who != "unconfirmed");
            (email, user, seed_enrollment(&mut conn, user, COURSE, epoch()))
        })
        .collect();
    enrollment::pause(&mut conn, seeded[2].2, (now - Duration::days(1)).naive_utc()).unwrap();
    enrollment::set_reminders_enabled(&mut conn, seeded[3].2, false, now.naive_utc()).unwrap();
    app.clock.set(now);
    seeded
}

/// The manual nudges queued so far: (recipient, subject, has List-Unsubscribe, auto).
fn queued(app: &TestApp) -> Vec<(String, String, bool, bool)> {
    let mut conn = app.db.connection().unwrap();
    let rows: Vec<(String, String, Option<String>, bool)> = outbox::table
        .filter(outbox::dedupe_key.like("manual:%"))
        .order(outbox::id)
        .select((
            outbox::recipient,
            outbox::subject,
            outbox::list_unsubscribe,
            outbox::auto_submitted,
        ))
        .load(&mut *conn)
        .unwrap();
    rows.into_iter()
        .map(|(to, subject, unsub, auto)| (to, subject, unsub.is_some(), auto))
        .collect()
}

/// The audit entries of nudges: (target type, target id, detail).
fn audited(app: &TestApp) -> Vec<(String, String, String)> {
    let mut conn = app.db.connection().unwrap();
    audit_log::table
        .filter(audit_log::action.eq("reminders.nudge_now"))
        .order(audit_log::id)
        .select((audit_log::target_type, audit_log::target_id, audit_log::detail))
        .load(&mut *conn)
        .unwrap()
}

fn picks(seeded: &[(String, UserId, EnrollmentId)]) -> Vec<String> {
    seeded.iter().map(|(_, _, e)| format!("e{e}")).collect()
}

async fn nudge(admin: &Browser<'_>, picked: &[String]) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = picked.iter().map(|p| (p.as_str(), "on")).collect();
    admin.submit(&format!("/admin/reports/{COURSE}/nudges"), &fields).await
}

/// Follows a redirect back to the report and returns the page.
async fn landing(admin: &Browser<'_>, response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{:?}", response.headers());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("/admin/reports/{COURSE}?")), "{location}");
    admin.get(&location).await.text().await.unwrap()
}

async fn api_nudge(app: &TestApp, token: &str, course: &str, body: Value) -> reqwest::Response {
    api(app, token, Method::POST, &format!("/api/v1/admin/reports/{course}/nudges"), Some(body))
        .await
}

both_backends! {
    async fn a_nudge_goes_once_to_each_learner_who_may_have_one(app: TestApp) {
        let seeded = seed(&app);
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        let page = admin.get(&format!("/admin/reports/{COURSE}")).await.text().await.unwrap();
        assert!(page.contains("Send a gentle nudge"));
        assert!(page.contains("respects each learner's choices"));
        assert!(page.contains(&format!("name=\"e{}\"", seeded[0].2)), "a box per quiet learner");

        let page = landing(&admin, nudge(&admin, &picks(&seeded)).await).await;
        assert!(
            page.contains("2 nudges queued; 3 skipped: taking a break (1), reminders turned off (1), email address not confirmed (1)."),
            "the flash says what happened"
        );
        let rows = queued(&app);
        let to: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(to, ["ready1@example.com", "ready2@example.com"]);
        for (_, subject, unsubscribe, auto) in &rows {
            assert_eq!(subject, "", "queued as facts: the words are written when it is sent");
            assert!(*unsubscribe && *auto, "one-click unsubscribe, auto-submitted");
        }
        let mail = app.mail_to("ready1@example.com", 1).await;
        let parsed = mail[0].parsed();
        assert_eq!(parsed.subject(), Some("A note from Mend"));
        assert!(parsed.header("List-Unsubscribe").is_some());
        assert!(mail[0].text().contains("Auto-Submitted: auto-generated"));
        app.mail_to("ready2@example.com", 1).await;

        // Each nudge audited against its enrolment, with no address or name in it.
        let entries = audited(&app);
        assert_eq!(entries.len(), 2);
        assert_eq!((entries[0].0.as_str(), entries[0].1.clone()), ("enrollment", seeded[0].2.to_string()));
        assert!(entries.iter().all(|(_, _, detail)| !detail.contains('@') && !detail.contains("Robin")));

        // A second click the same day queues nothing.
        let page = landing(&admin, nudge(&admin, &picks(&seeded)[..2]).await).await;
        assert!(page.contains("No nudges queued; 2 skipped: already nudged today."), "second click");
        assert_eq!(queued(&app).len(), 2);
        assert_eq!(audited(&app).len(), 2);

        // The next day they may have another (the admin signs in again: the session has lapsed by then).
        app.clock.set(app.clock.now() + Duration::days(1));
        assert!(admin.sign_in("admin@example.com", PASSWORD).await.status().is_redirection());
        let page = landing(&admin, nudge(&admin, &picks(&seeded)[..1]).await).await;
        assert!(page.contains("1 nudge queued."));
        app.mail_to("ready1@example.com", 2).await;
    }

    async fn everyone_on_the_page_and_the_send_window_and_csrf(app: TestApp) {
        let seeded = seed(&app);
        // ready2 lives in Auckland: noon UTC is 01:00 there, outside the window.
        {
            let mut conn = app.db.connection().unwrap();
            diesel::update(users::table.find(seeded[1].1.get()))
                .set(users::time_zone.eq("Pacific/Auckland"))
                .execute(&mut *conn)
                .unwrap();
        }
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        let mut fields: Vec<String> = seeded.iter().map(|(_, _, e)| format!("l{e}")).collect();
        fields.push("everyone".into());
        let page = landing(&admin, nudge(&admin, &fields).await).await;
        assert!(page.contains("2 nudges queued (1 will wait until their send window opens); 3 skipped"), "everyone listed: {}", flash(&page));
        app.mail_to("ready1@example.com", 1).await;
        let waiting: NaiveDateTime = {
            let mut conn = app.db.connection().unwrap();
            outbox::table
                .filter(outbox::recipient.eq("ready2@example.com"))
                .select(outbox::next_attempt_at)
                .first(&mut *conn)
                .unwrap()
        };
        assert_eq!(waiting.to_string(), "2026-03-22 20:00:00", "09:00 the next morning in Auckland");
        app.clock.set(waiting.and_utc());
        app.mail_to("ready2@example.com", 1).await;

        // Without the CSRF token nothing is sent.
        let url = format!("{}/admin/reports/{COURSE}/nudges", app.address);
        let pick = format!("e{}", seeded[0].2);
        let forged = admin.client.post(url).form(&[(pick.as_str(), "on")]).send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        // Nothing ticked is refused, naming the selection.
        let none = nudge(&admin, &[]).await;
        assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(none.text().await.unwrap().contains("Select at least one learner"));
        assert_eq!(queued(&app).len(), 2);
    }

    async fn a_nudge_waiting_for_the_window_is_withdrawn_when_the_learner_unsubscribes(app: TestApp) {
        let seeded = seed(&app);
        // Both live in Auckland: noon UTC is 01:00 there, so both nudges wait in the outbox.
        {
            let mut conn = app.db.connection().unwrap();
            let ids = [seeded[0].1.get(), seeded[1].1.get()];
            diesel::update(users::table.filter(users::id.eq_any(ids)))
                .set(users::time_zone.eq("Pacific/Auckland"))
                .execute(&mut *conn)
                .unwrap();
        }
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        let page = landing(&admin, nudge(&admin, &picks(&seeded[..2])).await).await;
        assert!(page.contains("2 nudges queued (2 will wait until their send window opens)"), "{}", flash(&page));
        let status_of = |email: &str| -> (String, Option<String>) {
            let mut conn = app.db.connection().unwrap();
            outbox::table
                .filter(outbox::recipient.eq(email))
                .select((outbox::status, outbox::list_unsubscribe))
                .first(&mut *conn)
                .unwrap()
        };
        let (_, link) = status_of("ready1@example.com");
        let link = link.expect("a nudge carries its unsubscribe link");
        let done = TestApp::browser().post(&link).body("List-Unsubscribe=One-Click").send().await.unwrap();
        assert_eq!(done.status(), StatusCode::OK);

        assert_eq!(status_of("ready1@example.com").0, "cancelled", "turned off: the waiting nudge never goes");
        assert_eq!(status_of("ready2@example.com").0, "pending", "someone else's nudge still waits");
        app.clock.set(epoch() + Duration::days(21));
        let received = app.read_all_mail().await;
        let to: Vec<&str> = received.iter().flat_map(|m| &m.to).map(String::as_str).collect();
        assert_eq!(to, ["ready2@example.com"], "nothing reaches the learner who said stop");
    }

    async fn the_api_nudges_by_learner_and_counts_the_rest(app: TestApp) {
        let seeded = seed(&app);
        app.signed_in_as("admin@example.com", Role::Admin).await;
        app.signed_in_as("learner@example.com", Role::Learner).await;
        let admin = bearer(&app, "admin@example.com").await;
        let learner = bearer(&app, "learner@example.com").await;
        let stranger = seed_learner(&mut app.db.connection().unwrap(), "away@example.com", "UTC", true);
        let users = json!({ "user_ids": [seeded[0].1.get(), seeded[3].1.get(), stranger.get()] });
        let anonymous = app.client.post(format!("{}/api/v1/admin/reports/{COURSE}/nudges", app.address));
        assert_eq!(anonymous.json(&users).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
        assert_eq!(api_nudge(&app, &learner, COURSE, users.clone()).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(api_nudge(&app, &admin, "no-such-course", users.clone()).await.status(), StatusCode::NOT_FOUND);
        let response = api_nudge(&app, &admin, COURSE, users).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["queued"], 1);
        assert_eq!(body["waiting_for_window"], 0);
        assert_eq!(body["skipped"], json!({ "reminders_off": 1, "not_enrolled": 1 }));
        app.mail_to("ready1@example.com", 1).await;
        // The scheduler's own nudge, due by now, waits for another day.
        let scan = app.scan_reminders().await;
        let scheduled = scan.lines.iter().find(|l| l.user == seeded[0].1 && l.kind == ReminderKind::Nudge);
        assert_eq!(scheduled.map(|l| &l.outcome), Some(&Outcome::NotDue(Skip::AlreadySent)));
        assert!(scan.lines.iter().any(|l| l.user == seeded[1].1 && l.kind == ReminderKind::Nudge && matches!(l.outcome, Outcome::Sent(_))), "not nudged by hand: nudged");
        app.read_all_mail().await;
        let again = json!({ "enrollment_ids": [seeded[0].2.get()] });
        let body: Value = api_nudge(&app, &admin, COURSE, again).await.json().await.unwrap();
        assert_eq!(body["skipped"], json!({ "already_nudged_today": 1 }));
        for bad in [json!({}), json!({ "user_ids": [] }), json!({ "user_ids": [1], "enrollment_ids": [1] })] {
            let response = api_nudge(&app, &admin, COURSE, bad.clone()).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
    }
}

fn flash(page: &str) -> &str {
    page.find("role=\"status\"").map_or("no flash", |at| &page[at..(at + 200).min(page.len())])
}
