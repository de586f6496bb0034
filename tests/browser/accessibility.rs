//! Every public page, in light and in dark mode, has no serious or critical axe-core violation.

use crate::axe;
use crate::harness::{Browser, Scheme};
use crate::support::{Backend, TestApp};
use crate::test_case;

/// The ways each page is checked: both colour schemes on a desktop-sized window, and a phone-sized
/// one (where wide tables and code blocks scroll sideways).
const VIEWS: &[(Scheme, u32, &str)] = &[
    (Scheme::Light, 1280, "light"),
    (Scheme::Dark, 1280, "dark"),
    (Scheme::Light, 390, "narrow"),
    (Scheme::Dark, 390, "narrow-dark"),
];

/// Checks one page in each of [`VIEWS`], saving a screenshot of each, and fails listing every
/// serious or critical violation (milder ones are printed, not failed on).
async fn assert_accessible(test: &str, page: &str, path: &str) {
    assert_accessible_as(test, page, path, false).await;
}

/// Like [`assert_accessible`], signed in as an author when `signed_in` (lessons need it).
async fn assert_accessible_as(test: &str, page: &str, path: &str, signed_in: bool) {
    let browser = Browser::launch().await;
    let app = TestApp::create(Backend::Sqlite).await.unwrap();
    assert_scripts_are_restricted(&app, "/").await;
    if signed_in {
        browser.sign_in_as_author(&app, "author@example.com").await;
    }
    let report = check_every_view(&browser, test, page, &app.address, path).await;
    browser.quit().await;
    assert!(report.is_empty(), "serious or critical accessibility violations:\n{report}");
}

/// Opens `path` on the app at `address` in each of [`VIEWS`] and runs axe, answering the report
/// of blocking problems (empty when there are none). Pages that need a learner call this directly.
pub async fn check_every_view(
    browser: &Browser,
    test: &str,
    page: &str,
    address: &str,
    path: &str,
) -> String {
    let mut report = String::new();
    for &view in VIEWS {
        use_view(browser, view).await;
        browser.open(&format!("{address}{path}")).await;
        report.push_str(&check_view(browser, test, page, path, view).await);
    }
    report
}

/// Fails on any serious or critical axe violation of the page shown now, in every view.
pub async fn assert_this_page_accessible(browser: &Browser, test: &str, page: &str) {
    let report = check_this_page_in_every_view(browser, test, page).await;
    assert!(report.is_empty(), "{page}: serious or critical accessibility violations:\n{report}");
}

/// Like [`check_every_view`] for the page the browser shows now, without opening it again: a
/// form re-shown after a POST exists only as the answer to that POST.
async fn check_this_page_in_every_view(browser: &Browser, test: &str, page: &str) -> String {
    let url = browser.client.current_url().await.unwrap();
    let mut report = String::new();
    for &view in VIEWS {
        use_view(browser, view).await;
        report.push_str(&check_view(browser, test, page, url.path(), view).await);
    }
    report
}

/// Renders in `view`'s colour scheme at its width.
async fn use_view(browser: &Browser, (scheme, width, _name): (Scheme, u32, &str)) {
    browser.use_scheme(scheme).await;
    browser.client.set_window_size(width, 900).await.unwrap();
}

/// Screenshots the current page in `view` and runs axe on it, answering its blocking problems.
async fn check_view(
    browser: &Browser,
    test: &str,
    page: &str,
    path: &str,
    (_scheme, _width, view): (Scheme, u32, &str),
) -> String {
    let mut report = String::new();
    browser.screenshot(test, &format!("{page}-{view}")).await;
    if page_scrolls_sideways(browser).await {
        report.push_str(&format!("{path} ({view}): the page scrolls sideways (WCAG 1.4.10)\n"));
    }
    let violations = axe::check(browser).await;
    for violation in &violations {
        eprintln!("{path} ({view}): axe: {violation}");
    }
    for violation in violations.iter().filter(|v| v.is_blocking()) {
        report.push_str(&format!("{path} ({view}):\n{violation}"));
    }
    report
}

/// axe is injected over WebDriver, which the page's Content-Security-Policy does not govern:
/// check the policy is really there, so passing tests show that injection works under it.
async fn assert_scripts_are_restricted(app: &TestApp, path: &str) {
    let response = app.get(path).await;
    let csp = response.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
}

/// Content must reflow to the window's width, not make the whole page scroll sideways.
async fn page_scrolls_sideways(browser: &Browser) -> bool {
    let script =
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth";
    browser.client.execute(script, vec![]).await.unwrap() == serde_json::json!(true)
}

test_case! {
    needs [Browser]
    async fn catalog_is_accessible() {
        assert_accessible("accessibility", "catalog", "/").await;
    }
}

test_case! {
    needs [Browser]
    async fn course_page_is_accessible() {
        assert_accessible("accessibility", "course", "/courses/rebuilding-trust").await;
    }
}

test_case! {
    needs [Browser]
    async fn lesson_with_table_callouts_and_contents_is_accessible() {
        let path = "/courses/rebuilding-trust/lessons/what-boundaries-are";
        assert_accessible_as("accessibility", "lesson", path, true).await;
    }
}

test_case! {
    needs [Browser]
    async fn worksheet_page_is_accessible() {
        let path = "/courses/rebuilding-trust/worksheets/relationship-contract";
        assert_accessible("accessibility", "worksheet", path).await;
    }
}

test_case! {
    needs [Browser]
    async fn registration_page_with_its_time_zone_select_is_accessible() {
        assert_accessible("accessibility", "register", "/account/register").await;
    }
}

test_case! {
    needs [Browser]
    async fn not_found_page_is_accessible() {
        assert_accessible("accessibility", "not-found", "/courses/no-such-course").await;
    }
}

test_case! {
    /// The checker itself: a page with known problems must fail it, or a green run means nothing.
    needs [Browser]
    async fn axe_reports_the_problems_of_a_broken_page() {
        let browser = Browser::launch().await;
        let page = "<title>Broken</title><img src=x.png><p style='color:rgb(190,190,190);background:white'>faint</p>";
        browser.open(&format!("data:text/html,{page}")).await;
        let violations = axe::check(&browser).await;
        let blocking: Vec<&str> =
            violations.iter().filter(|v| v.is_blocking()).map(|v| v.id.as_str()).collect();
        for expected in ["html-has-lang", "image-alt", "color-contrast"] {
            assert!(blocking.contains(&expected), "{expected} not in {blocking:?}");
        }
        browser.quit().await;
    }
}

test_case! {
    needs [Browser]
    async fn admin_overview_and_audit_log_are_accessible() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.sign_in_as(&app, "admin@example.com", mend::domain::account::Role::Admin).await;
        {
            // An entry with a long, hostile detail, so the table has something to wrap.
            let mut conn = app.db.connection().unwrap();
            let actor = mend::admin::audit::Actor::person(1.into(), "198.51.100.7".parse().unwrap());
            let target = mend::admin::audit::Target { kind: "user", id: "1" };
            let detail = serde_json::json!({ "from": "learner", "to": "admin", "note": "<b>\"x\"</b> 😊 مرحبا ".repeat(8) });
            mend::admin::audit::record(&mut conn, &actor, "user.role_changed", target, &detail, crate::support::epoch()).unwrap();
        }
        let mut report = String::new();
        for (page, path) in [("admin-overview", "/admin"), ("admin-audit", "/admin/audit"), ("admin-audit-error", "/admin/audit?from=yesterday")] {
            report.push_str(&check_every_view(&browser, "accessibility", page, &app.address, path).await);
        }
        browser.quit().await;
        assert!(report.is_empty(), "serious or critical accessibility violations:\n{report}");
    }
}

test_case! {
    needs [Browser]
    async fn author_tools_outbox_and_codes_are_accessible() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.sign_in_as(&app, "admin@example.com", mend::domain::account::Role::Admin).await;
        let other = app.signed_in_as("codes@example.com", mend::domain::account::Role::Admin).await;
        let code = [("course", "rebuilding-trust"), ("expires_on", "2026-03-10"), ("note", "Spring group")];
        assert_eq!(other.submit("/admin/codes", &code).await.status(), 303);
        let id = {
            let mut conn = app.db.connection().unwrap();
            let message = mend::db::models::outbox::NewMessage {
                kind: "verify_email",
                recipient: "Sam.Rivers@example.com",
                subject: "Confirm your address",
                body_text: "Plain words.",
                body_html: Some("<p>Plain words.</p>"),
                dedupe_key: None,
                list_unsubscribe: None,
                auto_submitted: false,
                not_before: None,
                payload: None,
            };
            mend::db::models::outbox::enqueue(&mut conn, &message, crate::support::epoch().naive_utc()).unwrap().unwrap()
        };
        let message = format!("/admin/outbox/{id}");
        let mut report = String::new();
        for (page, path) in [("author", "/author"), ("author-status", "/author/status"), ("admin-outbox", "/admin/outbox"), ("admin-outbox-message", message.as_str()), ("admin-codes", "/admin/codes")] {
            report.push_str(&check_every_view(&browser, "accessibility", page, &app.address, path).await);
        }
        browser.quit().await;
        app.read_all_mail().await;
        assert!(report.is_empty(), "serious or critical accessibility violations:\n{report}");
    }
}
