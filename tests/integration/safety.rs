//! Safety and discretion on every page: the quick exit comes first everywhere (error pages and
//! signed-out pages too) and goes where the operator configured; tab titles say only "Mend"
//! unless a learner chooses otherwise; "Support now" needs no account.

use mend::domain::account::Role;

use crate::both_backends;
use crate::learner_web::{COURSE, FIRST, enrolled, text};
use crate::support::{Backend, Browser, Fixture, PASSWORD, TestApp, copy_of_sample_content};
use crate::test_case;

const DEFAULT_EXIT: &str = "https://www.bbc.co.uk/weather";
const COURSE_SUPPORT: &str = "/courses/rebuilding-trust/support";
/// A line of the sample course's own support page, and one of the built-in text.
const COURSE_TEXT: &str = "you do not have to hold it on your own";
const BUILT_IN_TEXT: &str = "you do not have to carry it alone";

/// The quick exit link to `target` is on the page, and before anything else that takes focus.
fn assert_quick_exit_first(page: &str, target: &str, what: &str) {
    let link = format!(
        "<a class=\"quick-exit\" id=\"quick-exit\" href=\"{target}\" rel=\"noreferrer\">Quick exit</a>"
    );
    let at =
        page.find(&link).unwrap_or_else(|| panic!("{what}: no quick exit to {target}: {page}"));
    let body = page.find("<body>").expect("a body");
    let first_focusable = ["<a ", "<button", "<input", "<select", "<textarea"]
        .iter()
        .filter_map(|tag| page[body..].find(tag).map(|i| i + body))
        .min()
        .unwrap();
    assert_eq!(first_focusable, at, "{what}: the quick exit is the first thing to focus");
    assert!(page.contains("/static/quick-exit."), "{what}: the script that adds Esc twice");
}

fn title(page: &str) -> &str {
    let start = page.find("<title>").expect("a title") + "<title>".len();
    &page[start..start + page[start..].find("</title>").unwrap()]
}

async fn page_of(browser: &Browser<'_>, path: &str) -> (u16, String) {
    let response = browser
        .client
        .get(format!("{}{path}", browser.app.address))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    text(response).await
}

both_backends! {
    async fn every_kind_of_page_offers_the_quick_exit_first(app: TestApp) {
        let visitor = Browser::new(&app);
        for (path, status) in [
            ("/", 200), (COURSE, 200), ("/support", 200), (COURSE_SUPPORT, 200),
            ("/account/sign-in", 200), ("/account/register", 200),
            ("/no/such/page", 404), ("/dashboard", 401), (FIRST, 403),
        ] {
            let (got, page) = page_of(&visitor, path).await;
            assert_eq!(got, status, "{path}");
            assert_quick_exit_first(&page, DEFAULT_EXIT, &format!("signed out, {path}"));
        }
        let learner = enrolled(&app).await;
        for path in ["/dashboard", FIRST, "/account", "/account/discretion", "/worksheets", "/admin"] {
            let (_, page) = page_of(&learner, path).await;
            assert_quick_exit_first(&page, DEFAULT_EXIT, &format!("learner, {path}"));
        }
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        for path in ["/admin", "/admin/people", "/author", "/author/status"] {
            let (status, page) = page_of(&admin, path).await;
            assert_eq!(status, 200, "{path}");
            assert_quick_exit_first(&page, DEFAULT_EXIT, &format!("admin, {path}"));
        }
    }
}

/// An app whose quick exit the operator pointed at another site.
struct ElsewhereApp(TestApp);

const ELSEWHERE: &str = "https://example.org/forecast?city=here";

impl Fixture for ElsewhereApp {
    async fn create(backend: Backend) -> Option<Self> {
        let target = url::Url::parse(ELSEWHERE).unwrap();
        TestApp::create_with(backend, |s| s.quick_exit_url = target).await.map(Self)
    }
}

/// An app on a copy of the sample course without its `support =` page.
struct NoSupportApp {
    app: TestApp,
    _content: tempfile::TempDir,
}

impl Fixture for NoSupportApp {
    async fn create(backend: Backend) -> Option<Self> {
        let scratch = tempfile::tempdir().unwrap();
        let content = copy_of_sample_content(scratch.path());
        let toml = content.join("rebuilding-trust/course.toml");
        let text =
            std::fs::read_to_string(&toml).unwrap().replace("support = \"support.md\"\n", "");
        std::fs::write(&toml, text).unwrap();
        std::fs::remove_file(content.join("rebuilding-trust/support.md")).unwrap();
        let app = TestApp::create_with(backend, |s| s.content_dir = content).await?;
        Some(Self { app, _content: scratch })
    }
}

both_backends! {
    async fn the_quick_exit_goes_where_the_operator_configured(elsewhere: ElsewhereApp) {
        let app = elsewhere.0;
        for path in ["/", "/no/such/page"] {
            let (_, page) = page_of(&Browser::new(&app), path).await;
            assert_quick_exit_first(&page, "https://example.org/forecast?city=here", path);
        }
    }
}

test_case! {
    fn an_unsafe_quick_exit_url_is_refused_at_start() {
        for bad in ["http://example.org/", "/weather", "javascript:alert(1)", "example.org"] {
            let mut raw = mend::config::RawSettings::defaults();
            let origin = mend::config::Origin::Env("MEND_QUICK_EXIT_URL");
            raw.set("quick_exit_url", bad.into(), origin);
            let error = mend::config::Settings::from_raw(&raw).unwrap_err().to_string();
            let expected = format!("MEND_QUICK_EXIT_URL={bad:?}: expected an absolute https:// URL");
            assert!(error.starts_with(&expected), "{error}");
        }
    }
}

both_backends! {
    async fn titles_are_neutral_until_a_learner_chooses_full_ones_and_the_choice_persists(app: TestApp) {
        let (_, page) = page_of(&Browser::new(&app), COURSE).await;
        assert_eq!(title(&page), "Mend", "signed out");
        let wrong = Browser::new(&app).sign_in("nobody@example.com", "wrong password").await;
        assert_eq!(title(&wrong.text().await.unwrap()), "Error: Mend", "a form with problems says so first");

        let learner = enrolled(&app).await;
        let (_, lesson) = page_of(&learner, FIRST).await;
        assert_eq!(title(&lesson), "Mend", "neutral by default");
        let (_, settings) = page_of(&learner, "/account/discretion").await;
        assert!(settings.contains("name=\"discreet_titles\" type=\"checkbox\" value=\"on\" checked"), "{settings}");
        let (_, account) = page_of(&learner, "/account").await;
        assert!(account.contains("href=\"/account/discretion\""), "the account page links it");

        let saved = learner.submit("/account/discretion", &[]).await;
        assert_eq!(saved.status(), 303);
        assert_eq!(saved.headers()["location"], "/account/discretion?saved=1");
        let (_, lesson) = page_of(&learner, FIRST).await;
        assert_eq!(title(&lesson), "Welcome · Rebuilding Trust Together · Mend", "full when turned off");
        let (_, settings) = page_of(&learner, "/account/discretion?saved=1").await;
        assert!(settings.contains("value=\"on\" aria-describedby"), "unticked now: {settings}");
        assert!(settings.contains("role=\"status\">Saved."), "{settings}");

        let elsewhere = Browser::new(&app);
        elsewhere.sign_in("learner@example.com", PASSWORD).await;
        let (_, lesson) = page_of(&elsewhere, FIRST).await;
        assert!(title(&lesson).starts_with("Welcome · "), "kept for the account, on every device");
        let (_, visitor) = page_of(&Browser::new(&app), COURSE).await;
        assert_eq!(title(&visitor), "Mend", "signed out stays neutral");

        let on = learner.submit("/account/discretion", &[("discreet_titles", "on")]).await;
        assert_eq!(on.status(), 303);
        let (_, lesson) = page_of(&elsewhere, FIRST).await;
        assert_eq!(title(&lesson), "Mend");
    }

    async fn saving_the_same_discretion_choice_writes_nothing(app: TestApp) {
        use diesel::prelude::*;
        use mend::db::schema::users;
        let learner = app.signed_in_as("learner@example.com", Role::Learner).await;
        let updated = || {
            let mut conn = app.db.connection().unwrap();
            users::table.select(users::updated_at).first::<chrono::NaiveDateTime>(&mut *conn).unwrap()
        };
        let before = updated();
        app.clock.advance(chrono::Duration::minutes(5));
        let same = learner.submit("/account/discretion", &[("discreet_titles", "on")]).await;
        assert_eq!(same.status(), 303);
        assert_eq!(updated(), before, "nothing changed, nothing written");
        learner.submit("/account/discretion", &[]).await;
        assert!(updated() > before, "a change is stored");
    }
}

both_backends! {
    async fn support_needs_no_account_and_uses_the_course_text(app: TestApp) {
        let visitor = Browser::new(&app);
        let (status, general) = page_of(&visitor, "/support").await;
        assert_eq!(status, 200);
        assert!(general.contains(BUILT_IN_TEXT), "{general}");
        assert!(general.contains(&format!("href=\"{COURSE_SUPPORT}\"")), "links each course's page");
        let (status, course) = page_of(&visitor, COURSE_SUPPORT).await;
        assert_eq!(status, 200);
        assert!(course.contains(COURSE_TEXT), "the course's support.md: {course}");
        assert!(course.contains("href=\"/courses/rebuilding-trust/lessons/safety-and-support\""), "links resolved");
        let (_, landing) = page_of(&visitor, COURSE).await;
        assert!(landing.contains(&format!("href=\"{COURSE_SUPPORT}\">Support now</a>")), "the course page links it");
        assert!(landing.contains("href=\"/support\">Support now</a>"), "the footer links the general page");

        for path in ["/support", COURSE_SUPPORT] {
            let head = app.client.head(format!("{}{path}", app.address)).send().await.unwrap();
            assert_eq!(head.status(), 200, "HEAD {path}");
            assert!(head.text().await.unwrap().is_empty());
        }
        let (status, missing) = page_of(&visitor, "/courses/no-such-course/support").await;
        assert_eq!(status, 404);
        assert_quick_exit_first(&missing, DEFAULT_EXIT, "the 404");
        let learner = enrolled(&app).await;
        let (status, page) = page_of(&learner, COURSE_SUPPORT).await;
        assert_eq!((status, page.contains(COURSE_TEXT)), (200, true), "the same when enrolled");
    }
}

both_backends! {
    async fn a_course_without_a_support_page_shows_the_built_in_text(fixture: NoSupportApp) {
        let (status, page) = page_of(&Browser::new(&fixture.app), COURSE_SUPPORT).await;
        assert_eq!(status, 200);
        assert!(page.contains(BUILT_IN_TEXT) && !page.contains(COURSE_TEXT), "{page}");
    }
}
