//! Course reports: the funnel and per-lesson numbers on a seeded cohort, small-cell
//! suppression on the page, in the CSV and in the API, the SVG charts with their data tables,
//! and who may read them.

use chrono::Duration;
use mend::db::models::{enrollment, lesson_progress};
use mend::domain::account::Role;
use mend::domain::ids::UserId;
use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::support::{PASSWORD, TestApp, epoch, sample_content};

const COURSE: &str = "rebuilding-trust";

/// The sample course's visible lessons, in course order.
fn lessons() -> Vec<String> {
    let catalog = mend::content::compile(&sample_content()).unwrap().catalog.unwrap();
    let course = catalog.course(COURSE).unwrap();
    course
        .modules
        .iter()
        .flat_map(|m| &m.lessons)
        .filter(|l| !l.draft)
        .map(|l| l.slug.clone())
        .collect()
}

/// Twelve learners in the sample course, enrolled at the epoch; the clock is then 60 days on.
/// - 0–6 (7) opened the first lesson; 0–5 (6) finished it; 0–4 (5) finished the first half;
///   0–1 (2) finished every lesson and the course.
/// - 0–5 (6) were active 3 days ago, 6–8 (3) 20 days ago, 9–11 never.
///
/// Learner 6 is named `<script>alert(1)</script>`.
fn seed(app: &TestApp) {
    let lessons = lessons();
    let half = lessons.len().div_ceil(2);
    let mut conn = app.db.connection().unwrap();
    let start = epoch();
    let now = start + Duration::days(60);
    for i in 0..12 {
        let name =
            if i == 6 { "<script>alert(1)</script>".to_owned() } else { format!("Learner {i}") };
        let account = mend::accounts::Registration::parse(
            &format!("cohort{i}@example.com"),
            &name,
            PASSWORD.into(),
        )
        .unwrap();
        let user = mend::accounts::create_verified_user(&mut conn, &account, Role::Learner, start)
            .unwrap();
        let user_id = UserId::from(user.id);
        let at = start.naive_utc();
        let new = enrollment::NewEnrollment {
            user_id,
            course_slug: COURSE,
            enrolled_at: at,
            updated_at: at,
        };
        assert!(enrollment::insert_if_absent(&mut conn, &new).unwrap());
        let owner = lesson_progress::Owner { user_id, course_slug: COURSE };
        let done = match i {
            0 | 1 => lessons.len(),
            2..=4 => half,
            5 => 1,
            _ => 0,
        };
        let when = (start + Duration::days(10)).naive_utc();
        if i <= 6 {
            lesson_progress::mark_viewed(&mut conn, owner, &lessons[0], when).unwrap();
        }
        for lesson in &lessons[..done] {
            lesson_progress::complete(&mut conn, owner, lesson, "hash", when).unwrap();
        }
        let id = enrollment::find(&mut conn, user_id, COURSE).unwrap().unwrap().id;
        let completed =
            (i <= 1).then(|| (start + Duration::days(20 + i64::from(i) * 2)).naive_utc());
        let active = match i {
            0..=5 => Some(now - Duration::days(3)),
            6..=8 => Some(now - Duration::days(20)),
            _ => None,
        };
        if let Some(active) = active {
            enrollment::record_activity(&mut conn, id, completed, active.naive_utc()).unwrap();
        }
    }
    app.clock.set(now);
}

fn row<'a>(html: &'a str, label: &str) -> &'a str {
    let start = html
        .find(&format!("<th scope=\"row\">{label}</th>"))
        .unwrap_or_else(|| panic!("no row {label}"));
    let rest = &html[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

both_backends! {
    async fn funnel_and_lessons_on_a_seeded_cohort(app: TestApp) {
        seed(&app);
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        let response = admin.get(&format!("/admin/reports/{COURSE}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(row(&html, "Enrolled").contains("<td>12</td>"), "{}", row(&html, "Enrolled"));
        assert!(row(&html, "Started").contains("<td>7</td>"));
        assert!(row(&html, "Halfway").contains("<td>5</td>"));
        assert!(row(&html, "Completed").contains("fewer than 5"));
        assert!(html.contains("<dt>Active in the last 7 days</dt><dd>6</dd>"));
        assert!(html.contains("<dt>Active in the last 30 days</dt><dd>9</dd>"));
        assert!(html.contains("not shown (fewer than 5 completions)"));
        // Lessons in course order: 6, 5, 5, …, then the second half with only two.
        let catalog = mend::content::compile(&sample_content()).unwrap().catalog.unwrap();
        let course = catalog.course(COURSE).unwrap();
        let visible: Vec<_> = course.modules.iter().flat_map(|m| &m.lessons).filter(|l| !l.draft).collect();
        let first = visible[0].title.clone();
        assert!(row(&html, &first).contains("<td>6</td>"));
        let second = visible[1].title.clone();
        assert!(row(&html, &second).contains("<td>5</td>"));
        assert!(html.find(&first).unwrap() < html.find(&second).unwrap());
        // Charts: inline SVG with title, desc, axis labels, beside a data table; no script.
        assert_eq!(html.matches("<svg").count(), 2);
        assert!(html.contains("<title id=\"funnel-chart-title\">Funnel</title>"));
        assert!(html.contains("<desc id=\"lessons-chart-desc\">"));
        assert!(html.contains("aria-labelledby=\"funnel-chart-title funnel-chart-desc\""));
        assert!(html.contains("<caption>Funnel (data for the chart)</caption>"));
        assert!(html.contains(">Learners who finished it</text>"));
        // Quiet for more than 14 days: the active, unfinished learners 6–11, name escaped.
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>alert(1)"));
        for i in 7..12 {
            assert!(html.contains(&format!("<th scope=\"row\">Learner {i}</th>")), "learner {i}");
        }
        for i in 0..6 {
            assert!(!html.contains(&format!("<th scope=\"row\">Learner {i}</th>")), "learner {i}");
        }
        // A longer window leaves out the ones active 20 days ago.
        let html = admin.get(&format!("/admin/reports/{COURSE}?inactive_days=30")).await.text().await.unwrap();
        assert!(!html.contains("<th scope=\"row\">Learner 7</th>"));
        assert!(html.contains("<th scope=\"row\">Learner 9</th>"));
        // A bad window is refused, naming the field.
        let response = admin.get(&format!("/admin/reports/{COURSE}?inactive_days=0")).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("from 1 to 365"));
        assert_eq!(admin.get("/admin/reports/no-such-course").await.status(), StatusCode::NOT_FOUND);
        // The index links to the course.
        let index = admin.get("/admin/reports").await.text().await.unwrap();
        assert!(index.contains(&format!("href=\"/admin/reports/{COURSE}\"")));
    }

    async fn csv_reads_back_with_small_cells_hidden(app: TestApp) {
        seed(&app);
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        let response = admin.get(&format!("/admin/reports/{COURSE}/report.csv")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        assert_eq!(reader.headers().unwrap(), vec!["section", "module", "item", "learners"]);
        let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
        let find = |section: &str, item: &str| -> String {
            rows.iter().find(|r| r[0] == section && r[2] == item).unwrap_or_else(|| panic!("{item}"))[3].clone()
        };
        assert_eq!(find("funnel", "Enrolled"), "12");
        assert_eq!(find("funnel", "Started"), "7");
        assert_eq!(find("funnel", "Completed"), "fewer than 5");
        assert_eq!(find("activity", "Active in the last 30 days"), "9");
        assert_eq!(find("time", "Median days to complete"), "fewer than 5 completions");
        let lesson_rows: Vec<_> = rows.iter().filter(|r| r[0] == "lesson").collect();
        assert_eq!(lesson_rows.len(), lessons().len());
        assert_eq!(lesson_rows[0][3], "6");
        assert_eq!(lesson_rows[lesson_rows.len() - 1][3], "fewer than 5");
        // Counts only: nobody's name is in the file.
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("Learner") && !text.contains("script"));
    }

    async fn api_report_hides_small_counts_and_checks_the_role(app: TestApp) {
        seed(&app);
        let path = format!("/api/v1/admin/reports/{COURSE}");
        assert_eq!(app.get(&path).await.status(), StatusCode::UNAUTHORIZED);
        let learner = app.signed_in_as("learner@example.com", Role::Learner).await;
        assert_eq!(learner.get(&path).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(learner.get(&format!("/admin/reports/{COURSE}")).await.status(), StatusCode::FORBIDDEN);
        let author = app.signed_in_as("author@example.com", Role::Author).await;
        assert_eq!(author.get(&path).await.status(), StatusCode::FORBIDDEN);
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        let response = admin.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["enrolled"], 12);
        assert_eq!(body["halfway"], 5);
        assert_eq!(body["completed"], Value::Null);
        assert_eq!(body["median_days_to_complete"], Value::Null);
        assert_eq!(body["min_cell"], 5);
        assert_eq!(body["lessons"][0]["completed"], 6);
        assert_eq!(body["inactive"], 6);
        let response = admin.get(&format!("{path}?inactive_days=nope")).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
    }
}

mod min_cell_disabled {
    use super::*;
    use crate::support::Backend;

    async fn body(backend: Backend) {
        let app =
            TestApp::create_with(backend, |s| s.report_min_cell = 1).await.expect("a database");
        seed(&app);
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        let body: Value =
            admin.get(&format!("/api/v1/admin/reports/{COURSE}")).await.json().await.unwrap();
        assert_eq!(body["completed"], 2);
        // Learners 0 and 1 finished in 20 and 22 days.
        assert_eq!(body["median_days_to_complete"], 21.0);
        let html = admin.get(&format!("/admin/reports/{COURSE}")).await.text().await.unwrap();
        assert!(html.contains("<dd>21.0 days</dd>"));
        assert!(!html.contains("fewer than"));
    }

    crate::test_case! {
        async fn sqlite() {
            body(Backend::Sqlite).await;
        }
    }

    crate::test_case! {
        needs [Postgres]
        async fn postgres() {
            body(Backend::Postgres).await;
        }
    }
}
