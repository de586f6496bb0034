//! A course's report in a real browser, without JavaScript doing anything: the funnel chart
//! with its data table, axe-clean in every view, and a gentle nudge sent to a quiet learner
//! through the page's form. (The codes and outbox pages are checked in `accessibility`.)

use chrono::Duration;
use fantoccini::Locator;
use mend::db::models::{enrollment, user};
use mend::domain::account::Role;
use mend::domain::ids::UserId;

use crate::accessibility::{assert_this_page_accessible, check_every_view};
use crate::harness::Browser;
use crate::support::{Backend, TestApp, epoch};
use crate::test_case;

const COURSE: &str = "rebuilding-trust";

/// A confirmed learner (in UTC) enrolled in the sample course 20 days before the clock's start
/// and quiet since.
fn quiet_learner(app: &TestApp, email: &str, name: &str) {
    let at = epoch().naive_utc();
    let enrolled = (epoch() - Duration::days(20)).naive_utc();
    let mut conn = app.db.connection().unwrap();
    let new = user::NewUser {
        email,
        display_name: name,
        password_hash: "not-a-hash",
        role: "learner",
        email_verified_at: Some(at),
        time_zone: "UTC",
        created_at: at,
        updated_at: at,
    };
    let user_id = UserId::from(user::insert(&mut conn, &new).unwrap().id);
    let enrolment = enrollment::NewEnrollment {
        user_id,
        course_slug: COURSE,
        enrolled_at: enrolled,
        updated_at: enrolled,
    };
    assert!(enrollment::insert_if_absent(&mut conn, &enrolment).unwrap());
}

test_case! {
    needs [Browser]
    async fn the_report_is_accessible_and_sends_a_nudge_without_javascript() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        quiet_learner(&app, "quiet1@example.com", "Ada Quiet");
        quiet_learner(&app, "quiet2@example.com", "Bo Quiet");
        browser.sign_in_as(&app, "admin@example.com", Role::Admin).await;

        let path = format!("/admin/reports/{COURSE}");
        let report = check_every_view(&browser, "admin-reports", "report", &app.address, &path).await;
        let funnel = browser.text("section[aria-labelledby=funnel-heading] table").await;
        assert!(funnel.contains("Enrolled") && funnel.contains("Completed"), "{funnel}");
        assert!(browser.client.find(Locator::Css("#funnel-chart-title")).await.is_ok(), "the chart");

        let first = browser.client.find(Locator::Css("input[type=checkbox][name^='e']")).await.unwrap();
        first.click().await.unwrap();
        let send = browser.client.find(Locator::Css("form[action$='/nudges'] button[type=submit]")).await;
        send.unwrap().click().await.unwrap();
        // The click only starts the form's navigation: wait for the page it lands on.
        let notice = browser.client.wait().for_element(Locator::Css(".admin-main [role=status]")).await;
        let notice = notice.unwrap().text().await.unwrap();
        assert_eq!(notice, "1 nudge queued.");
        assert_this_page_accessible(&browser, "admin-reports", "report-after-nudge").await;
        let to_first = app.mail_to("quiet1@example.com", 1).await;
        assert_eq!(to_first[0].parsed().subject(), Some("A note from Mend"));

        browser.quit().await;
        assert!(report.is_empty(), "serious or critical accessibility violations:\n{report}");
    }
}
