//! A learner's whole first visit in a real browser: register, confirm, enrol with a code, read,
//! complete, see progress, sign out and back in, and resume. Every learner page on the way
//! passes axe with no serious or critical violation.

use fantoccini::Locator;

use crate::axe;
use crate::harness::Browser;
use crate::support::{Backend, PASSWORD, TestApp, lessons_done};
use crate::test_case;

const EMAIL: &str = "robin@example.test";

/// Types `value` into the field with id `id`.
pub async fn fill(browser: &Browser, id: &str, value: &str) {
    let field = browser.client.find(Locator::Id(id)).await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Clicks the element matching `css` and waits for the page it loads.
pub async fn click(browser: &Browser, css: &str) {
    browser.navigate_by(Locator::Css(css), css).await;
}

async fn click_link(browser: &Browser, text: &str) {
    browser.navigate_by(Locator::LinkText(text), text).await;
}

/// Screenshots the page and fails on any serious or critical axe violation.
async fn check_page(browser: &Browser, label: &str, page: &str) {
    browser.screenshot(label, page).await;
    let violations = axe::check(browser).await;
    let blocking: Vec<String> =
        violations.iter().filter(|v| v.is_blocking()).map(ToString::to_string).collect();
    assert!(blocking.is_empty(), "{page}: {}", blocking.join("\n"));
}

async fn sign_in(browser: &Browser, app: &TestApp, label: &str) {
    browser.open(&format!("{}/account/sign-in", app.address)).await;
    check_page(browser, label, "sign-in").await;
    fill(browser, "email", EMAIL).await;
    fill(browser, "password", PASSWORD).await;
    click(browser, "main form button[type=submit]").await;
}

test_case! {
    /// The journey stores accounts, enrolments and progress: it runs on both databases.
    needs [Browser]
    async fn a_learner_registers_enrols_reads_completes_and_resumes_on_sqlite() {
        journey(Backend::Sqlite, "journey-sqlite").await;
    }
}

test_case! {
    needs [Browser, Postgres]
    async fn a_learner_registers_enrols_reads_completes_and_resumes_on_postgres() {
        journey(Backend::Postgres, "journey-postgres").await;
    }
}

async fn journey(backend: Backend, label: &str) {
    let browser = Browser::launch().await;
    let app = TestApp::create(backend).await.unwrap();
    let code = app.sample_access_code();

    browser.open(&format!("{}/account/register", app.address)).await;
    fill(&browser, "email", EMAIL).await;
    fill(&browser, "display_name", "Robin").await;
    fill(&browser, "password", PASSWORD).await;
    click(&browser, "main form button[type=submit]").await;
    sign_in(&browser, &app, label).await;
    let link = app.link_to(EMAIL, 1, "/account/verify").await;
    browser.open(&format!("{}{link}", app.address)).await;
    click(&browser, "main form button[type=submit]").await;

    browser.open(&format!("{}/courses/rebuilding-trust", app.address)).await;
    fill(&browser, "access_code", &code).await;
    click(&browser, "form[action$='/enroll'] button").await;
    assert!(browser.text("#progress-title").await.contains("Your progress"));
    check_page(&browser, label, "course-enrolled").await;

    click_link(&browser, "Start the course").await;
    assert_eq!(browser.text("h1").await, "Welcome");
    check_page(&browser, label, "lesson-enrolled").await;
    click(&browser, "form[action$='/complete'] button").await;
    assert_eq!(
        lessons_done(&browser.text(".lesson-progress").await).map(|(done, _)| done),
        Some(1)
    );

    browser.open(&format!("{}/dashboard", app.address)).await;
    assert_eq!(lessons_done(&browser.text("main").await).map(|(done, _)| done), Some(1));
    check_page(&browser, label, "dashboard").await;

    click(&browser, ".site-nav__form button").await;
    sign_in(&browser, &app, label).await;
    browser.open(&format!("{}/dashboard", app.address)).await;
    click_link(&browser, "Resume where you left off").await;
    let heading = browser.text("h1").await;
    assert!(heading.starts_with("Safety and support"), "resumes at the next lesson: {heading}");
    browser.quit().await;
}
