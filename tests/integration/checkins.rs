//! Daily check-ins on both databases: one per local day across zones and daylight saving (the
//! test clock moves, nothing sleeps), edits on the same day only, the pattern figures, the note
//! sealed at rest and through key rotation, the partner glance, the API, the CSV and JSON
//! exports and erasure.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use mend::db::schema::{checkin_shares, checkins, users};
use mend::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Browser, PASSWORD, TestApp};
use crate::worksheets::{Client, assert_not_in_raw_database, couple, rotate_keys};

const TODAY: &str = "/api/v1/checkins/today";
/// A note that must never appear outside the API's answers to its owner.
const SENTINEL: &str = "sentinel-note-5c1e8b";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// Stores `zone` as the account's time zone, as the profile page would.
fn set_zone(app: &TestApp, email: &str, zone: &str) {
    let mut conn = app.db.connection().unwrap();
    diesel::update(users::table.filter(users::email.eq(email)))
        .set(users::time_zone.eq(zone))
        .execute(&mut *conn)
        .unwrap();
}

fn rows(app: &TestApp) -> i64 {
    let mut conn = app.db.connection().unwrap();
    checkins::table.count().get_result(&mut *conn).unwrap()
}

fn check_in(mood: u8, intensity: u8, triggers: &[&str], helped: &[&str], note: &str) -> Value {
    json!({ "mood": mood, "intensity": intensity, "triggers": triggers, "helped": helped, "note": note })
}

/// Moves the clock to `target` and signs each client in again, as a learner coming back
/// after hours or days would.
async fn come_back_at(app: &TestApp, clients: &mut [&mut Client<'_>], target: DateTime<Utc>) {
    app.clock.set(target);
    for client in clients.iter_mut() {
        client.sign_in_again().await;
    }
}

fn field_of(problem: &Value) -> String {
    problem["errors"][0]["field"].as_str().unwrap_or_default().to_owned()
}

both_backends! {
    async fn one_check_in_per_local_day_across_zones_and_daylight_saving(app: TestApp) {
        // 04:30Z on 8 March is 23:30 on 7 March in New York, 13:30 on 8 March in Tokyo.
        app.clock.set(at("2026-03-08T04:30:00Z"));
        let mut me = Client::new(&app, "ny@example.test", Role::Learner, false).await;
        let mut far = Client::new(&app, "tokyo@example.test", Role::Learner, false).await;
        set_zone(&app, &me.email, "America/New_York");
        set_zone(&app, &far.email, "Asia/Tokyo");
        let (status, saved) = me.json(Method::PUT, TODAY, Some(check_in(3, 2, &[], &[], "late"))).await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!((saved["checkin"]["date"].as_str(), saved["changed"].as_bool()), (Some("2026-03-07"), Some(true)));
        assert_eq!(saved["checkin"]["time_of_day"], "night");
        let (_, theirs) = far.json(Method::PUT, TODAY, Some(check_in(4, 1, &[], &[], ""))).await;
        assert_eq!(theirs["checkin"]["date"], "2026-03-08");

        // An hour later it is the next day in New York: a second check-in, not an edit.
        come_back_at(&app, &mut [&mut me, &mut far], at("2026-03-08T05:30:00Z")).await;
        let (_, next) = me.json(Method::PUT, TODAY, Some(check_in(4, 1, &[], &[], ""))).await;
        assert_eq!(next["checkin"]["date"], "2026-03-08");
        // The clocks sprang forward during 8 March: its last minute is 03:59Z on 9 March.
        come_back_at(&app, &mut [&mut me, &mut far], at("2026-03-09T03:59:00Z")).await;
        let (_, edited) = me.json(Method::PUT, TODAY, Some(check_in(5, 0, &[], &[], "edited"))).await;
        assert_eq!((edited["checkin"]["date"].as_str(), edited["checkin"]["mood"].as_u64()), (Some("2026-03-08"), Some(5)));
        assert_eq!(rows(&app), 3, "the same day was edited in place");
        come_back_at(&app, &mut [&mut me, &mut far], at("2026-03-09T04:00:00Z")).await;
        me.json(Method::PUT, TODAY, Some(check_in(2, 4, &[], &[], ""))).await;

        let (status, list) = me.json(Method::GET, "/api/v1/checkins?from=2026-03-01&to=2026-03-09", None).await;
        assert_eq!(status, 200);
        let days: Vec<(&str, bool, &str)> = list.as_array().unwrap().iter()
            .map(|c| (c["date"].as_str().unwrap(), c["editable"].as_bool().unwrap(), c["note"].as_str().unwrap()))
            .collect();
        assert_eq!(days, [("2026-03-07", false, "late"), ("2026-03-08", false, "edited"), ("2026-03-09", true, "")]);
        let (_, tokyo) = far.json(Method::GET, "/api/v1/checkins?from=2026-03-01&to=2026-03-09", None).await;
        assert_eq!(tokyo.as_array().unwrap().len(), 1, "each learner sees only their own");
    }

    async fn an_unchanged_save_writes_nothing_and_bad_fields_are_named(app: TestApp) {
        let me = Client::new(&app, "same@example.test", Role::Learner, false).await;
        let body = check_in(2, 5, &["Lonely", "lonely ", "Late at night"], &["A walk"], "same");
        let (_, first) = me.json(Method::PUT, TODAY, Some(body.clone())).await;
        assert_eq!(first["checkin"]["triggers"], json!(["Lonely", "Late at night"]));
        app.clock.advance(chrono::Duration::minutes(5));
        let (_, again) = me.json(Method::PUT, TODAY, Some(body)).await;
        assert_eq!(again["changed"], false);
        assert_eq!(again["checkin"]["updated_at"], first["checkin"]["updated_at"]);
        for (body, field) in [
            (json!({ "mood": 6, "intensity": 1 }), "mood"),
            (json!({ "mood": 3 }), "intensity"),
            (json!({ "mood": 3, "intensity": 11 }), "intensity"),
            (json!({ "mood": 3, "intensity": 1, "note": "x".repeat(1001) }), "note"),
            (json!({ "mood": 3, "intensity": 1, "helped": ["y".repeat(41)] }), "helped"),
        ] {
            let (status, problem) = me.json(Method::PUT, TODAY, Some(body)).await;
            assert_eq!((status, field_of(&problem)), (422, field.to_owned()), "{problem}");
        }
        for query in ["from=2026-13-01", "from=2026-03-05&to=2026-03-01", "to=yesterday", "from=2024-01-01&to=2026-03-01", "to=-262143-01-01", "from=%2B262142-12-31"] {
            let (status, problem) = me.json(Method::GET, &format!("/api/v1/checkins?{query}"), None).await;
            assert_eq!(status, 422, "{query}: {problem}");
            assert!(["from", "to"].contains(&field_of(&problem).as_str()), "{problem}");
        }
        let (status, problem) = me.json(Method::GET, "/api/v1/checkins/patterns?weeks=5", None).await;
        assert_eq!((status, field_of(&problem)), (422, "weeks".to_owned()));
        assert_eq!(rows(&app), 1);
    }

    async fn the_patterns_count_triggers_and_what_helped_on_hard_days(app: TestApp) {
        // Monday 2 March 2026 in the evening (the learner's zone is UTC).
        app.clock.set(at("2026-03-02T20:00:00Z"));
        let mut me = Client::new(&app, "patterns@example.test", Role::Learner, false).await;
        for (day, body) in [
            ("2026-03-02T20:00:00Z", check_in(2, 8, &["Lonely"], &["A walk"], "")),
            ("2026-03-03T08:00:00Z", check_in(4, 2, &["Stressed"], &["Rest"], "")),
            ("2026-03-05T20:00:00Z", check_in(1, 5, &["Lonely", "Online"], &["A walk", "Calling a friend"], "")),
        ] {
            come_back_at(&app, &mut [&mut me], at(day)).await;
            let (status, _) = me.json(Method::PUT, TODAY, Some(body)).await;
            assert_eq!(status, 200);
        }
        let (status, p) = me.json(Method::GET, "/api/v1/checkins/patterns?weeks=4", None).await;
        assert_eq!(status, 200, "{p}");
        assert_eq!((p["from"].as_str(), p["to"].as_str()), (Some("2026-02-06"), Some("2026-03-05")));
        assert_eq!(p["days"].as_array().unwrap().len(), 28);
        assert_eq!(p["days"][26], json!({ "date": "2026-03-04", "mood": null, "intensity": null }), "a gap, not a zero");
        assert_eq!((p["check_ins"].as_u64(), p["average_mood"].as_f64(), p["average_intensity"].as_f64()), (Some(3), Some(2.3), Some(5.0)));
        assert_eq!(p["by_weekday"][0], json!({ "label": "Monday", "check_ins": 1, "mentions": 1, "top": ["Lonely"] }));
        assert_eq!(p["by_weekday"][3]["mentions"], 2, "Thursday");
        assert_eq!(p["by_time_of_day"][2]["mentions"], 3, "evenings");
        assert_eq!(p["hard_days"], 2);
        assert_eq!(p["helped_on_hard_days"], json!([{ "tag": "A walk", "count": 2 }, { "tag": "Calling a friend", "count": 1 }]));

        let browser = Browser::new(&app);
        browser.sign_in(&me.email, PASSWORD).await;
        let page = browser.get("/checkin/patterns?weeks=12").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("<svg") && html.contains("role=\"img\"") && html.contains("<caption"), "charts with data tables");
        assert!(html.contains("Calling a friend"));
        assert!(!html.to_lowercase().contains("streak"));
        assert_eq!(browser.get("/checkin/patterns?weeks=7").await.status(), 422);
    }

    async fn the_note_is_sealed_at_rest_and_survives_key_rotation(app: TestApp) {
        let me = Client::new(&app, "sealed-checkin@example.test", Role::Learner, false).await;
        me.json(Method::PUT, TODAY, Some(check_in(3, 3, &[SENTINEL], &[], SENTINEL))).await;
        assert_not_in_raw_database(&app, SENTINEL, "checkins");
        let rotated = rotate_keys(&app);
        assert!(rotated.contains("1 check-in(s)"), "{rotated}");
        assert!(!rotated.contains(SENTINEL));
        let mut conn = app.db.connection().unwrap();
        let keys: Vec<String> = checkins::table.select(checkins::key_id).load(&mut *conn).unwrap();
        drop(conn);
        let ring = std::fs::read_to_string(app.test_db.dir.path().join("data/encryption_keys")).unwrap();
        assert_eq!(ring.lines().count(), 2);
        let (_, list) = me.json(Method::GET, "/api/v1/checkins", None).await;
        assert_eq!(list[0]["note"], SENTINEL, "it still opens under {keys:?}");
        assert!(rotate_keys(&app).contains(" 1 check-in(s)"), "again under the next key");
        assert!(!app.logs().contains(SENTINEL), "a note reached the log");
    }

    async fn a_partner_sees_only_today_and_the_weekly_mood_when_shared(app: TestApp) {
        let (ana, mut ben) = couple(&app).await;
        let lonely = "Lonely-7d2f";
        ana.json(Method::PUT, TODAY, Some(check_in(2, 9, &[lonely], &["Rest"], SENTINEL))).await;
        let ana_web = Browser::new(&app);
        ana_web.sign_in(&ana.email, PASSWORD).await;
        let ben_web = Browser::new(&app);
        ben_web.sign_in(&ben.email, PASSWORD).await;
        let before = ben_web.get("/partner").await.text().await.unwrap();
        assert!(before.contains("keeps their check-ins to themselves"), "nothing by default");

        let shared = ana_web.submit("/checkin/sharing", &[("share", "yes")]).await;
        assert_eq!(shared.status(), 303);
        let page = ben_web.get("/partner").await.text().await.unwrap();
        assert!(page.contains("they checked in today") && page.contains("2.0"), "{page}");
        for private in [SENTINEL, lonely, "Rest", "9"] {
            let glance = page.split("<h3>Check-ins</h3>").nth(1).unwrap().split("<h3>").next().unwrap();
            assert!(!glance.contains(private), "{private} shown to the partner: {glance}");
        }
        assert!(!page.contains(SENTINEL) && !page.contains(lonely));
        // Ben's own check-ins never include Ana's.
        let (_, theirs) = ben.json(Method::GET, "/api/v1/checkins", None).await;
        assert_eq!(theirs, json!([]));
        // The next day, until Ana checks in again.
        app.clock.advance(chrono::Duration::days(1));
        ben_web.sign_in(&ben.email, PASSWORD).await;
        let page = ben_web.get("/partner").await.text().await.unwrap();
        assert!(page.contains("they haven't checked in today"), "{page}");

        ana_web.sign_in(&ana.email, PASSWORD).await;
        assert_eq!(ana_web.submit("/checkin/sharing", &[("share", "no")]).await.status(), 303);
        let after = ben_web.get("/partner").await.text().await.unwrap();
        assert!(after.contains("keeps their check-ins to themselves"), "revoked");
        // Shared again, then the link ends: nothing of the share outlives it.
        assert_eq!(ana_web.submit("/checkin/sharing", &[("share", "yes")]).await.status(), 303);
        ben.sign_in_again().await; // a day on: the first bearer token has expired
        let (status, _) = ben.json(Method::DELETE, "/api/v1/partner", None).await;
        assert!(status == 200 || status == 204, "the link ends: {status}");
        let mut conn = app.db.connection().unwrap();
        let left: i64 = checkin_shares::table.count().get_result(&mut *conn).unwrap();
        assert_eq!(left, 0, "the share went with the link");
        drop(conn);
        app.read_all_mail().await; // the neutral "link ended" note to Ana
        // Without a partner link there is nobody to share with.
        let alone = app.signed_in_as("alone@example.test", Role::Learner).await;
        assert_eq!(alone.submit("/checkin/sharing", &[("share", "yes")]).await.status(), 404);
    }

    async fn the_check_in_form_thanks_points_to_support_and_seeds_from_the_trigger_plan(app: TestApp) {
        let me = Client::new(&app, "form@example.test", Role::Learner, true).await;
        let plan = json!({ "revision": 0, "answers": { "known_triggers": ["The old song"], "what_helps": ["Cold water"] } });
        let (status, _) = me.json(Method::PUT, "/api/v1/worksheets/rebuilding-trust.trigger-plan", Some(plan)).await;
        assert_eq!(status, 200);
        let web = Browser::new(&app);
        web.sign_in(&me.email, PASSWORD).await;
        let form = web.get("/checkin").await.text().await.unwrap();
        assert!(form.contains("The old song") && form.contains("Cold water"), "seeded from the plan");
        assert!(form.contains("Very low") && form.contains("Good"), "moods in words");
        assert!(form.contains("Strength of urges or distress"), "no track chosen: both");
        let track = me.json(Method::PUT, "/api/v1/courses/rebuilding-trust/track", Some(json!({ "track": "betrayed" }))).await;
        assert_eq!(track.0, 200, "{}", track.1);
        let form = web.get("/checkin").await.text().await.unwrap();
        assert!(form.contains("Strength of distress") && !form.contains("urges"), "the betrayed partner's own words");
        let dashboard = web.get("/dashboard").await.text().await.unwrap();
        assert!(dashboard.contains("href=\"/checkin\""));

        let wrong = web.submit("/checkin", &[("mood", "9"), ("intensity", "3"), ("note", "kept")]).await;
        assert_eq!(wrong.status(), 422);
        let html = wrong.text().await.unwrap();
        assert!(html.contains("<title>Error: Mend</title>") && html.contains("href=\"#mood\""), "{html}");
        assert!(html.contains(">kept</textarea>"), "what was typed stays");
        assert_eq!(rows(&app), 0);

        let fields = [("mood", "1"), ("intensity", "9"), ("triggers.0", "The old song"), ("other_triggers", "Payday, Alone"), ("helped.0", "Cold water"), ("note", "hard")];
        let saved = web.submit("/checkin", &fields).await;
        assert_eq!(saved.status(), 303);
        let thanks = web.get("/checkin?saved=today").await.text().await.unwrap();
        assert!(thanks.contains("Thank you for checking in"));
        assert!(thanks.contains("href=\"/courses/rebuilding-trust/support\""), "a gentle pointer after a hard day");
        let (_, list) = me.json(Method::GET, "/api/v1/checkins", None).await;
        assert_eq!(list[0]["triggers"], json!(["The old song", "Payday", "Alone"]));
        let (_, put) = me.json(Method::PUT, TODAY, Some(check_in(1, 9, &[], &[], ""))).await;
        assert_eq!(put["support_url"], "/courses/rebuilding-trust/support");
        let (_, calm) = me.json(Method::PUT, TODAY, Some(check_in(4, 2, &[], &[], ""))).await;
        assert!(calm.get("support_url").is_none());
        let thanks = web.get("/checkin?saved=today").await.text().await.unwrap();
        assert!(!thanks.contains("href=\"/courses/rebuilding-trust/support\""), "no pointer on a calmer day");
    }

    async fn the_exports_hold_the_check_ins_and_deleting_the_account_erases_them(app: TestApp) {
        let me = Client::new(&app, "export-checkin@example.test", Role::Learner, false).await;
        me.json(Method::PUT, TODAY, Some(check_in(3, 2, &["=cmd"], &["A walk"], "=HYPERLINK(\"x\")"))).await;
        let csv = me.call(Method::GET, "/api/v1/checkins/export", None).await;
        assert_eq!(csv.status(), 200);
        assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("check-ins-2026-03-02.csv"));
        assert_eq!(csv.headers()["cache-control"], "no-store");
        let bytes = csv.bytes().await.unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFdate,time_zone,checked_in_at,mood,mood_words,urges_or_distress,triggers,helped,note\r\n"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("2026-03-02,UTC,2026-03-02T09:00:00Z,3,In between,2,'=cmd,A walk,\"'=HYPERLINK(\"\"x\"\")\"\r\n"), "{text}");

        let (status, export) = me.json(Method::GET, "/api/v1/me/export", None).await;
        assert_eq!(status, 200);
        assert_eq!(export["checkins"][0]["note"], "=HYPERLINK(\"x\")");
        assert_eq!(export["checkins"][0]["day"], "2026-03-02");
        let (status, _) = me.json(Method::DELETE, "/api/v1/me", Some(json!({ "password": PASSWORD }))).await;
        assert_eq!(status, 204);
        assert_eq!(rows(&app), 0);
        app.read_all_mail().await;
    }
}
