//! The admin's enrolments: CSV import (dry run and commit, edge cases, idempotence, size and
//! encoding limits, 10,000 rows), enrolling by email with and without an account (the sign-up
//! link, its single use and its expiry), bulk actions, the CSV export, and who may do it.

use diesel::prelude::*;
use mend::db::schema::{audit_log, enrollment_invitations, enrollments, outbox, users};
use mend::domain::account::Role;
use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::support::{Backend, Browser, Fixture, PASSWORD, TestApp, copy_of_sample_content, epoch};

const COURSE: &str = "rebuilding-trust";

/// An admin's bearer token for the API (the admin account is created here).
async fn admin_token(app: &TestApp) -> String {
    let _browser = app.signed_in_as("admin@example.test", Role::Admin).await;
    login(app, "admin@example.test").await
}

async fn login(app: &TestApp, email: &str) -> String {
    let body = serde_json::json!({ "email": email, "password": PASSWORD });
    let client = TestApp::browser();
    let response =
        client.post(format!("{}/api/v1/auth/login", app.address)).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

/// A confirmed learner account with this name.
fn learner(app: &TestApp, email: &str, name: &str) -> i64 {
    let account = mend::accounts::Registration::parse(email, name, PASSWORD.into()).unwrap();
    let mut conn = app.db.connection().unwrap();
    mend::accounts::create_verified_user(&mut conn, &account, Role::Learner, epoch()).unwrap().id
}

async fn import(app: &TestApp, token: &str, body: Vec<u8>, dry_run: bool) -> reqwest::Response {
    let url = format!("{}/api/v1/admin/enrollments/import?dry_run={dry_run}", app.address);
    let request = app.client.post(url).bearer_auth(token).header("content-type", "text/csv");
    request.body(body).send().await.unwrap()
}

async fn report(app: &TestApp, token: &str, body: &[u8], dry_run: bool) -> Value {
    let response = import(app, token, body.to_vec(), dry_run).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// How many rows `table` has.
macro_rules! count {
    ($app:expr, $table:path) => {{
        let mut conn = $app.db.connection().unwrap();
        $table.count().get_result::<i64>(&mut *conn).unwrap()
    }};
}

/// A file with every awkward thing a spreadsheet produces: a byte-order mark, CRLF, columns
/// out of order plus an extra one, a quoted name with a comma and quotes, a quoted note over
/// two lines, a duplicate, a bad address, an unknown course and a bad expiry.
fn awkward_file() -> Vec<u8> {
    let text = "\u{feff}name,email,course,expires_at,notes\r\n\
\"Lee, \"\"Sam\"\"\",new1@example.test,rebuilding-trust,2027-01-31,\"first line\r\nsecond line\"\r\n\
Known,KNOWN@example.test,rebuilding-trust,,\r\n\
Dup,new1@example.test,rebuilding-trust,,\r\n\
Bad,not-an-email,rebuilding-trust,,\r\n\
X,new2@example.test,no-such-course,,\r\n\
Y,new3@example.test,rebuilding-trust,31/01/2027,\r\n\
Z,new4@example.test,rebuilding-trust,,\r\n";
    text.as_bytes().to_vec()
}

fn fates(report: &Value) -> Vec<(u64, String, String)> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let problem = r["problem"].as_str().unwrap_or("").to_owned();
            (r["line"].as_u64().unwrap(), r["fate"].as_str().unwrap().to_owned(), problem)
        })
        .collect()
}

both_backends! {
    async fn import_reports_each_row_changes_nothing_on_a_dry_run_and_is_idempotent(app: TestApp) {
        let token = admin_token(&app).await;
        learner(&app, "known@example.test", "Known");
        let dry = report(&app, &token, &awkward_file(), true).await;
        assert_eq!(dry["dry_run"], true);
        let expected = vec![
            (2, "invite".to_owned(), String::new()),
            (4, "enrol".to_owned(), String::new()),
            (5, "invalid".to_owned(), "duplicate of line 2".to_owned()),
            (6, "invalid".to_owned(), "invalid email".to_owned()),
            (7, "invalid".to_owned(), "unknown course \"no-such-course\"".to_owned()),
            (8, "invalid".to_owned(), "bad expiry (use YYYY-MM-DD)".to_owned()),
            (9, "invite".to_owned(), String::new()),
        ];
        assert_eq!(fates(&dry), expected);
        assert_eq!(count!(app, enrollment_invitations::table), 0, "a dry run writes nothing");
        assert_eq!(count!(app, enrollments::table), 0);
        assert_eq!(count!(app, outbox::table), 0);

        let done = report(&app, &token, &awkward_file(), false).await;
        assert_eq!(done["counts"], serde_json::json!({
            "invited": 2, "enrolled": 1, "already_enrolled": 0, "already_invited": 0, "invalid": 4
        }));
        assert_eq!(count!(app, enrollment_invitations::table), 2);
        assert_eq!(count!(app, enrollments::table), 1);
        let mut conn = app.db.connection().unwrap();
        let name: String = enrollment_invitations::table
            .filter(enrollment_invitations::email.eq("new1@example.test"))
            .select(enrollment_invitations::display_name)
            .first(&mut *conn)
            .unwrap();
        assert_eq!(name, "Lee, \"Sam\"");
        let expiry: Option<chrono::NaiveDateTime> = enrollment_invitations::table
            .filter(enrollment_invitations::email.eq("new1@example.test"))
            .select(enrollment_invitations::enrollment_expires_at)
            .first(&mut *conn)
            .unwrap();
        assert_eq!(expiry.unwrap().to_string(), "2027-02-01 00:00:00");
        let audited: i64 = audit_log::table
            .filter(audit_log::action.like("enrollment.%"))
            .filter(audit_log::ip.is_not_null())
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(audited, 3, "each change audited with the admin's address");
        let invitation = app.mail_to("new1@example.test", 1).await;
        let text = invitation[0].parsed().body_text(0).unwrap().into_owned();
        assert!(text.contains("/account/join?token="), "{text}");
        app.mail_to("new4@example.test", 1).await;
        let notice = app.mail_to("known@example.test", 1).await;
        assert!(notice[0].parsed().subject().unwrap().contains("Something new"));

        let again = report(&app, &token, &awkward_file(), false).await;
        assert_eq!(again["counts"], serde_json::json!({
            "invited": 0, "enrolled": 0, "already_enrolled": 1, "already_invited": 2, "invalid": 4
        }), "the second run changes nothing and says so");
        assert_eq!(count!(app, outbox::table), 3, "and sends nothing");
    }

    async fn import_refuses_oversize_non_utf8_and_headerless_files(app: TestApp) {
        let token = admin_token(&app).await;
        let mut big = b"email,course\n".to_vec();
        big.resize(10 * 1024 * 1024 + 1, b'a');
        let response = import(&app, &token, big, true).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let problem: Value = response.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("10 MB"), "{problem}");

        let latin1 = b"email,course\na@example.test,rebuilding-trust\nb\xe9@example.test,x\n".to_vec();
        let response = import(&app, &token, latin1, true).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = response.json().await.unwrap();
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("not UTF-8") && message.contains("line 3"), "{message}");

        let response = import(&app, &token, b"name,course\nx,y\n".to_vec(), true).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = response.json().await.unwrap();
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("\"email\""));

        let url = format!("{}/api/v1/admin/enrollments/import", app.address);
        let json = app.client.post(url).bearer_auth(&token).json(&serde_json::json!({})).send();
        assert_eq!(json.await.unwrap().status(), StatusCode::BAD_REQUEST);
    }

    async fn ten_thousand_rows_import_in_batches(app: TestApp) {
        let token = admin_token(&app).await;
        let mut file = String::from("email,name,course\n");
        for i in 0..10_000 {
            file.push_str(&format!("person{i}@example.test,Person {i},{COURSE}\n"));
        }
        let started = std::time::Instant::now();
        let dry = report(&app, &token, file.as_bytes(), true).await;
        let dry_time = started.elapsed();
        assert_eq!(dry["counts"]["invited"], 10_000);
        assert_eq!(count!(app, enrollment_invitations::table), 0);
        let started = std::time::Instant::now();
        let done = report(&app, &token, file.as_bytes(), false).await;
        eprintln!("10,000 rows: dry run {dry_time:?}, commit {:?}", started.elapsed());
        assert_eq!(done["counts"]["invited"], 10_000);
        assert_eq!(count!(app, enrollment_invitations::table), 10_000);
        assert_eq!(count!(app, outbox::table), 10_000);
        let again = report(&app, &token, file.as_bytes(), false).await;
        assert_eq!(again["counts"]["already_invited"], 10_000);
        // Ten thousand invitations are not worth sending through the test SMTP server.
        let mut conn = app.db.connection().unwrap();
        diesel::delete(outbox::table).execute(&mut *conn).unwrap();
    }

    async fn export_reads_back_with_formula_protection_and_progress_columns(app: TestApp) {
        let token = admin_token(&app).await;
        learner(&app, "sheet@example.test", "=HYPERLINK(\"x\")");
        learner(&app, "rtl@example.test", "<script>alert(1)</script> שלום 🌿");
        let body = "email,course\nsheet@example.test,rebuilding-trust\nrtl@example.test,rebuilding-trust\n";
        report(&app, &token, body.as_bytes(), false).await;
        app.read_all_mail().await;
        let url = format!("{}/api/v1/admin/enrollments/export?course={COURSE}", app.address);
        let response = app.client.get(url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(b"\xef\xbb\xbf"), "UTF-8 with BOM");
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        for column in ["percent", "lessons_done", "last_activity_at", "completed_at"] {
            assert!(header.iter().any(|h| h == column), "{column} in {header:?}");
        }
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        let names: Vec<&str> = rows.iter().map(|r| r.get(1).unwrap()).collect();
        assert!(names.contains(&"'=HYPERLINK(\"x\")"), "{names:?}");
        assert!(names.contains(&"<script>alert(1)</script> שלום 🌿"), "{names:?}");
        assert!(rows.iter().all(|r| r.get(6) == Some("0")), "no lesson done yet");

        let admin = Browser::new(&app);
        admin.sign_in("admin@example.test", PASSWORD).await;
        let page = admin.get("/admin/enrolments").await.text().await.unwrap();
        assert!(page.contains("&lt;script&gt;alert(1)") && page.contains("שלום 🌿"), "escaped in the page");
        assert!(!page.contains("<script>alert(1)"));
    }

    async fn bulk_actions_revoke_extend_and_resend_each_audited(app: TestApp) {
        let admin = app.signed_in_as("admin@example.test", Role::Admin).await;
        let token = login(&app, "admin@example.test").await;
        learner(&app, "a@example.test", "A");
        learner(&app, "b@example.test", "B");
        let body = "email,course,expires_at\na@example.test,rebuilding-trust,2026-04-01\nb@example.test,rebuilding-trust,\nc@example.test,rebuilding-trust,\n";
        report(&app, &token, body.as_bytes(), false).await;
        app.read_all_mail().await;
        let ids: Vec<(i64, String)> = {
            let mut conn = app.db.connection().unwrap();
            enrollments::table
                .inner_join(users::table)
                .order(users::email)
                .select((enrollments::id, users::email))
                .load(&mut *conn)
                .unwrap()
        };
        let (a, b) = (ids[0].0, ids[1].0);
        let pick = |id: i64| format!("e{id}");
        let (pick_a, pick_b) = (pick(a), pick(b));
        let extended = admin.submit("/admin/enrolments/bulk", &[("action", "extend_days"), ("days", "10"), (&pick_a, "on"), (&pick_b, "on")]).await;
        assert_eq!(extended.status(), StatusCode::SEE_OTHER);
        assert!(extended.headers()["location"].to_str().unwrap().contains("changed=1"), "b never expires: left alone");
        let expiry = |id: i64| -> Option<chrono::NaiveDateTime> {
            let mut conn = app.db.connection().unwrap();
            enrollments::table.find(id).select(enrollments::expires_at).first(&mut *conn).unwrap()
        };
        assert_eq!(expiry(a).unwrap().to_string(), "2026-04-12 00:00:00");
        let to_date = admin.submit("/admin/enrolments/bulk", &[("action", "extend_to"), ("until", "2026-12-31"), (&pick_b, "on")]).await;
        assert_eq!(to_date.status(), StatusCode::SEE_OTHER);
        assert_eq!(expiry(b).unwrap().to_string(), "2027-01-01 00:00:00");
        let revoked = admin.submit("/admin/enrolments/bulk", &[("action", "revoke"), (&pick_a, "on")]).await;
        assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
        let revoked_page = admin.get("/admin/enrolments?state=revoked").await.text().await.unwrap();
        assert!(revoked_page.contains("a@example.test") && !revoked_page.contains("b@example.test"));

        let invitation: i64 = {
            let mut conn = app.db.connection().unwrap();
            enrollment_invitations::table.select(enrollment_invitations::id).first(&mut *conn).unwrap()
        };
        let pick_i = format!("i{invitation}");
        let resent = admin.submit("/admin/enrolments/bulk", &[("action", "resend"), (&pick_i, "on")]).await;
        assert_eq!(resent.status(), StatusCode::SEE_OTHER);
        let mail = app.mail_to("c@example.test", 2).await;
        assert_eq!(mail.len(), 2, "a fresh link");

        let selection = admin.submit("/admin/enrolments/bulk", &[("action", "export"), (&pick_b, "on")]).await;
        assert_eq!(selection.status(), StatusCode::OK);
        let csv_text = selection.text().await.unwrap();
        assert!(csv_text.contains("b@example.test") && !csv_text.contains("a@example.test"));

        let mut conn = app.db.connection().unwrap();
        let actions: Vec<String> = audit_log::table
            .filter(audit_log::action.like("enrollment.%"))
            .order(audit_log::id)
            .select(audit_log::action)
            .load(&mut *conn)
            .unwrap();
        for action in ["enrollment.extended", "enrollment.revoked", "enrollment.invited"] {
            assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
        }
        let none = admin.submit("/admin/enrolments/bulk", &[("action", "revoke")]).await;
        assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY, "an empty selection is refused");
    }

    async fn keyset_pages_filters_and_who_may_see_them(app: TestApp) {
        let token = admin_token(&app).await;
        for i in 0..5 {
            learner(&app, &format!("k{i}@example.test"), "K");
            app.clock.advance(chrono::Duration::minutes(1));
            let body = format!("email,course\nk{i}@example.test,{COURSE}\n");
            report(&app, &token, body.as_bytes(), false).await;
        }
        app.read_all_mail().await;
        let page = |after: String| {
            let url = format!("{}/api/v1/admin/enrollments?limit=2&after={after}", app.address);
            let request = app.client.get(url).bearer_auth(&token);
            async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
        };
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let got = page(after.clone()).await;
            for row in got["enrollments"].as_array().unwrap() {
                seen.push(row["email"].as_str().unwrap().to_owned());
            }
            match got["next"].as_str() {
                Some(next) => after = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(seen, ["k4", "k3", "k2", "k1", "k0"].map(|k| format!("{k}@example.test")));
        let url = format!("{}/api/v1/admin/enrollments?progress_min=50", app.address);
        let refused = app.client.get(url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "progress needs a course");
        let url = format!("{}/api/v1/admin/enrollments?course={COURSE}&progress_max=0&state=active", app.address);
        let none_done: Value = app.client.get(url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(none_done["enrollments"].as_array().unwrap().len(), 5);

        let anonymous = TestApp::browser();
        let list = format!("{}/api/v1/admin/enrollments", app.address);
        assert_eq!(anonymous.get(&list).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
        let page = anonymous.get(format!("{}/admin/enrolments", app.address)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
        let learner_browser = app.signed_in_as("learner@example.test", Role::Learner).await;
        assert_eq!(learner_browser.get("/admin/enrolments").await.status(), StatusCode::FORBIDDEN);
        let learner_token = login(&app, "learner@example.test").await;
        let as_learner = app.client.post(format!("{}/api/v1/admin/enrollments/import", app.address))
            .bearer_auth(learner_token).header("content-type", "text/csv").body("email,course\n");
        assert_eq!(as_learner.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    }
}

/// The sample content with its course made invitation-only, for the enrol-by-email flow.
struct InviteOnly {
    app: TestApp,
    _content: tempfile::TempDir,
}

impl Fixture for InviteOnly {
    async fn create(backend: Backend) -> Option<Self> {
        let scratch = tempfile::tempdir().unwrap();
        let content = copy_of_sample_content(scratch.path());
        let toml = content.join(COURSE).join("course.toml");
        let text = std::fs::read_to_string(&toml).unwrap();
        std::fs::write(&toml, text.replace("enrollment = \"code\"", "enrollment = \"invite\""))
            .unwrap();
        let app = TestApp::create_with(backend, |s| s.content_dir = content.clone()).await?;
        Some(Self { app, _content: scratch })
    }
}

both_backends! {
    async fn enrol_by_email_with_and_without_an_account_and_the_sign_up_link(fixture: InviteOnly) {
        let app = &fixture.app;
        let admin = app.signed_in_as("admin@example.test", Role::Admin).await;
        let lesson = format!("/api/v1/courses/{COURSE}/lessons/welcome");

        learner(app, "has-account@example.test", "Has");
        let enrolled = admin.submit("/admin/enrolments/enrol", &[("email", "Has-Account@example.test"), ("course", COURSE)]).await;
        assert_eq!(enrolled.headers()["location"], "/admin/enrolments?done=enrolled");
        let notice = app.mail_to("has-account@example.test", 1).await;
        let all = format!("{} {}", notice[0].parsed().subject().unwrap(), notice[0].parsed().body_text(0).unwrap()).to_lowercase();
        for word in ["course", "lesson", "partner", "trust", "recover"] {
            assert!(!all.contains(word), "the notice is discreet: {word}");
        }
        let token = login(app, "has-account@example.test").await;
        let opened = app.client.get(format!("{}{lesson}", app.address)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(opened.status(), StatusCode::OK, "invite-only course joined through the admin");

        let invited = admin.submit("/admin/enrolments/enrol", &[("email", "newcomer@example.test"), ("name", "Río"), ("course", COURSE), ("expires_on", "2026-06-30")]).await;
        assert_eq!(invited.headers()["location"], "/admin/enrolments?done=invited");
        let link = app.link_to("newcomer@example.test", 1, "/account/join").await;
        {
            let mut conn = app.db.connection().unwrap();
            let hash: String = enrollment_invitations::table.select(enrollment_invitations::token_hash).first(&mut *conn).unwrap();
            assert!(!link.contains(&hash) && hash.len() == 64, "only the hash is stored");
        }
        let newcomer = Browser::new(app);
        let form = newcomer.get(&link).await.text().await.unwrap();
        assert!(form.contains("newcomer@example.test") && form.contains("Río"), "address fixed, name suggested");
        let token_value = link.split("token=").nth(1).unwrap();
        let joined = newcomer.submit("/account/join", &[("token", token_value), ("display_name", "Río"), ("password", PASSWORD)]).await;
        assert_eq!(joined.status(), StatusCode::SEE_OTHER);
        assert_eq!(joined.headers()["location"], "/dashboard");
        assert_eq!(newcomer.get(&format!("/courses/{COURSE}/lessons/welcome")).await.status(), StatusCode::OK);
        {
            let mut conn = app.db.connection().unwrap();
            let (verified, expires): (Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>) = enrollments::table
                .inner_join(users::table)
                .filter(users::email.eq("newcomer@example.test"))
                .select((users::email_verified_at, enrollments::expires_at))
                .first(&mut *conn)
                .unwrap();
            assert!(verified.is_some(), "the link confirmed the address");
            assert_eq!(expires.unwrap().to_string(), "2026-07-01 00:00:00");
        }
        let used = Browser::new(app).get(&link).await.text().await.unwrap();
        assert!(used.contains("already used"), "single use");

        admin.submit("/admin/enrolments/enrol", &[("email", "late@example.test"), ("course", COURSE)]).await;
        let late_link = app.link_to("late@example.test", 1, "/account/join").await;
        app.clock.advance(chrono::Duration::days(15));
        let expired = Browser::new(app).get(&late_link).await;
        assert_eq!(expired.status(), StatusCode::OK);
        assert!(expired.text().await.unwrap().contains("has expired"), "said kindly");
        let late = Browser::new(app);
        let token_value = late_link.split("token=").nth(1).unwrap();
        let refused = late.submit("/account/join", &[("token", token_value), ("display_name", "Late"), ("password", PASSWORD)]).await;
        assert!(refused.text().await.unwrap().contains("has expired"));
    }
}
