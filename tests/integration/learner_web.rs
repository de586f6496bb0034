//! A learner in the sample course over HTML: enrol with a code, read, complete and undo,
//! the dashboard, taking a break, and the 403 pages that explain what to do.

use mend::domain::account::Role;

use crate::both_backends;
use crate::support::{Browser, PASSWORD, TestApp, lessons_done};

pub(crate) const COURSE: &str = "/courses/rebuilding-trust";
pub(crate) const FIRST: &str = "/courses/rebuilding-trust/lessons/welcome";

pub(crate) async fn text(response: reqwest::Response) -> (u16, String) {
    (response.status().as_u16(), response.text().await.unwrap())
}

/// A learner enrolled in the sample course.
pub(crate) async fn enrolled(app: &TestApp) -> Browser<'_> {
    let learner = app.signed_in_as("learner@example.com", Role::Learner).await;
    let code = app.sample_access_code();
    let response = learner.submit(&format!("{COURSE}/enroll"), &[("access_code", &code)]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], COURSE);
    learner
}

/// The enrolled learner on a new session (time moved past the old one's expiry).
async fn sign_in_again(app: &TestApp) -> Browser<'_> {
    let browser = Browser::new(app);
    let response = browser.sign_in("learner@example.com", PASSWORD).await;
    assert_eq!(response.status(), 303);
    browser
}

both_backends! {
    async fn visitors_and_unenrolled_learners_are_told_how_to_enrol(app: TestApp) {
        let (status, page) = text(app.get(FIRST).await).await;
        assert_eq!(status, 403);
        assert!(page.contains("enrolled learners"), "{page}");
        let (_, course) = text(app.get(COURSE).await).await;
        assert!(course.contains("name=\"access_code\""), "a code course asks for the code");
        let visitor = Browser::new(&app);
        let response = visitor.submit(&format!("{COURSE}/enroll"), &[("access_code", "X")]).await;
        assert_eq!(response.headers()["location"], "/account/sign-in?next=/courses/rebuilding-trust");

        let learner = app.signed_in_as("learner@example.com", Role::Learner).await;
        assert_eq!(learner.get(FIRST).await.status(), 403);
        let wrong = learner.submit(&format!("{COURSE}/enroll"), &[("access_code", "NOPE-NOPE")]).await;
        assert_eq!(wrong.status(), 422);
    }

    async fn an_enrolled_learner_completes_undoes_and_sees_progress(app: TestApp) {
        let learner = enrolled(&app).await;
        let (_, course) = text(learner.get(COURSE).await).await;
        assert!(course.contains("<progress"));
        assert_eq!(lessons_done(&course).map(|(done, _)| done), Some(0), "{course}");
        let (status, lesson) = text(learner.get(FIRST).await).await;
        assert_eq!(status, 200);
        assert!(lesson.contains("Mark complete"));
        for _ in 0..2 {
            let done = learner.submit(&format!("{FIRST}/complete"), &[]).await;
            assert_eq!(done.status(), 303, "completing twice is harmless");
            assert_eq!(done.headers()["location"], FIRST);
        }
        let (_, lesson) = text(learner.get(FIRST).await).await;
        assert!(lesson.contains("Undo"));
        assert_eq!(lessons_done(&lesson).map(|(done, _)| done), Some(1), "{lesson}");
        let (_, dashboard) = text(learner.get("/dashboard").await).await;
        assert!(dashboard.contains("Rebuilding Trust Together"), "{dashboard}");
        assert_eq!(lessons_done(&dashboard).map(|(done, _)| done), Some(1), "{dashboard}");
        assert_eq!(learner.submit(&format!("{FIRST}/uncomplete"), &[]).await.status(), 303);
        let (_, dashboard) = text(learner.get("/dashboard").await).await;
        assert_eq!(lessons_done(&dashboard).map(|(done, _)| done), Some(0), "{dashboard}");
    }

    async fn locked_lessons_say_when_they_open_and_a_break_holds_them(app: TestApp) {
        let learner = enrolled(&app).await;
        let locked = format!("{COURSE}/lessons/what-recovery-looks-like");
        let (status, page) = text(learner.get(&locked).await).await;
        assert_eq!(status, 403);
        assert!(page.contains("It opens on Thursday 5 March 2026 at 00:00 (UTC)."), "the date it opens: {page}");
        assert_eq!(learner.submit(&format!("{COURSE}/pause"), &[]).await.status(), 303);
        let (_, course) = text(learner.get(COURSE).await).await;
        assert!(course.contains("taking a break"), "{course}");
        app.clock.advance(chrono::Duration::days(10));
        let learner = sign_in_again(&app).await;
        assert_eq!(learner.get(&locked).await.status(), 403, "paused lessons wait");
        assert_eq!(learner.submit(&format!("{COURSE}/resume"), &[]).await.status(), 303);
        app.clock.advance(chrono::Duration::days(4));
        let learner = sign_in_again(&app).await;
        assert_eq!(learner.get(&locked).await.status(), 200, "the schedule shifted by the break");
    }
}

/// The lesson page's module sidebar: each lesson's title with its status, `*` marking the
/// page's own lesson.
fn curriculum(page: &str) -> Vec<String> {
    let start = page.find("<details class=\"curriculum\">").expect("a curriculum sidebar");
    let end = start + page[start..].find("</details>").unwrap();
    page[start..end]
        .split("<li class=\"curriculum__lesson")
        .skip(1)
        .map(|item| {
            let inner = |open: &str, close: &str| {
                let from = item.find(open).unwrap() + open.len();
                let from = from + item[from..].find('>').unwrap() + 1;
                item[from..from + item[from..].find(close).unwrap()].trim().to_owned()
            };
            let title =
                if item.contains("<a ") { inner("<a ", "</a>") } else { inner("<span", "</span>") };
            let current = if item.contains("aria-current=\"page\"") { "*" } else { "" };
            format!("{current}{title}: {}", inner("<span class=\"curriculum__status\"", "</span>"))
        })
        .collect()
}

both_backends! {
    async fn the_lesson_page_lists_its_module_with_each_lesson_status_before_the_text(app: TestApp) {
        let learner = enrolled(&app).await;
        assert_eq!(learner.submit(&format!("{FIRST}/complete"), &[]).await.status(), 303);
        let second = format!("{COURSE}/lessons/safety-and-support");
        let (status, page) = text(learner.get(&second).await).await;
        assert_eq!(status, 200);
        assert_eq!(
            curriculum(&page),
            ["Welcome: Done", "*Safety and support: Up next", "How to use this course together: Open"]
        );
        assert!(page.contains("1 of 3 done"), "the module's own count: {page}");
        let text_at = page.find("<div class=\"prose\">").unwrap();
        assert!(page.find("<details class=\"curriculum\">").unwrap() < text_at, "sidebar first on phones");
        if let Some(toc) = page.find("On this page") {
            assert!(toc < text_at, "\"On this page\" comes before the lesson text");
        }
    }
}

both_backends! {
    async fn the_course_page_puts_the_lessons_first_and_offers_start_then_resume(app: TestApp) {
        let learner = enrolled(&app).await;
        let (_, course) = text(learner.get(COURSE).await).await;
        assert!(course.contains(">Start the course</a>"), "nothing opened yet: {course}");
        assert!(!course.contains("Resume where you left off"), "{course}");
        let outline = course.find("id=\"outline\"").expect("the outline");
        let about = course.find("<summary>About this course</summary>").expect("the landing text");
        assert!(outline < about, "the lessons come before the landing text");

        assert_eq!(learner.get(FIRST).await.status(), 200);
        let (_, course) = text(learner.get(COURSE).await).await;
        assert!(course.contains(">Resume where you left off</a>"), "{course}");
        assert!(!course.contains("Start the course"), "{course}");
        let (_, dashboard) = text(learner.get("/dashboard").await).await;
        assert!(dashboard.contains(">Resume where you left off</a>"), "{dashboard}");
    }

    async fn a_break_promises_only_what_happens(app: TestApp) {
        let learner = enrolled(&app).await;
        assert_eq!(learner.submit(&format!("{COURSE}/pause"), &[]).await.status(), 303);
        for page in [COURSE, "/dashboard"] {
            let (_, html) = text(learner.get(page).await).await;
            assert!(html.contains("waiting for you") || html.contains("wait for you"), "{page}: {html}");
            assert!(!html.to_lowercase().contains("reminders are off"), "no reminders exist yet: {page}");
        }
    }
}

both_backends! {
    async fn registration_takes_a_time_zone_and_keeps_it_when_the_form_comes_back(app: TestApp) {
        let visitor = Browser::new(&app);
        let (_, fresh) = text(visitor.get("/account/register").await).await;
        assert!(fresh.contains(r#"<option value="UTC" selected>UTC</option>"#), "{fresh}");
        assert!(fresh.contains(r#"data-detect-time-zone="preselect""#), "the browser's zone may be picked");
        assert!(fresh.contains(r#"<optgroup label="Europe">"#), "grouped by region");
        assert!(fresh.contains("<script src=\"/static/time-zone."), "detection is a static script");

        let mut fields = vec![("email", "robin@example.test"), ("display_name", "Robin")];
        fields.extend([("password", "short"), ("time_zone", "Pacific/Auckland")]);
        let (status, again) = text(visitor.submit("/account/register", &fields).await).await;
        assert_eq!(status, 422);
        assert!(again.contains(r#"<option value="Pacific/Auckland" selected>Auckland</option>"#), "{again}");
        assert!(again.contains(r#"data-detect-time-zone="offer""#), "a choice made is not overridden");

        fields[2] = ("password", PASSWORD);
        assert_eq!(visitor.submit("/account/register", &fields).await.status(), 303);
        let (_, profile) = text(visitor.get("/account/profile").await).await;
        assert!(profile.contains(r#"<option value="Pacific/Auckland" selected>"#), "{profile}");
        app.mail_to("robin@example.test", 1).await;
    }
}

both_backends! {
    async fn the_profile_takes_a_name_and_an_iana_time_zone(app: TestApp) {
        let learner = enrolled(&app).await;
        let bad = learner
            .submit("/account/profile", &[("display_name", "Robin"), ("time_zone", "Mars/Olympus")])
            .await;
        assert_eq!(bad.status(), 422);
        let fields = [("display_name", "Robin"), ("time_zone", "Pacific/Auckland")];
        assert_eq!(learner.submit("/account/profile", &fields).await.status(), 303);
        let (_, page) = text(learner.get("/account/profile").await).await;
        assert!(page.contains(r#"<option value="Pacific/Auckland" selected>Auckland</option>"#), "{page}");
        assert!(page.contains("<strong>Language:</strong> English."), "a language preference placeholder");
        let (_, locked) = text(learner.get(&format!("{COURSE}/lessons/what-recovery-looks-like")).await).await;
        assert!(locked.contains("(Pacific/Auckland)"), "dates in the learner's zone: {locked}");
    }
}

/// An app serving the small open, code and invite courses of the learning tests.
pub struct SmallCourses {
    app: TestApp,
    _content: tempfile::TempDir,
}

impl crate::support::Fixture for SmallCourses {
    async fn create(backend: crate::support::Backend) -> Option<Self> {
        let content = tempfile::tempdir().unwrap();
        crate::learning::write_content(content.path());
        let dir = content.path().to_owned();
        let app = TestApp::create_with(backend, |s| s.content_dir = dir).await?;
        Some(Self { app, _content: content })
    }
}

both_backends! {
    async fn open_and_invite_courses_and_finishing_a_course(fixture: SmallCourses) {
        let app = &fixture.app;
        let learner = app.signed_in_as("learner@example.com", Role::Learner).await;
        let (_, invite) = text(learner.get("/courses/invite-course").await).await;
        assert!(invite.contains("by invitation") && !invite.contains("/courses/invite-course/enroll"));
        let refused = learner.submit("/courses/invite-course/enroll", &[]).await;
        assert_eq!(refused.status(), 403);
        let (_, open) = text(learner.get("/courses/open-course").await).await;
        assert!(!open.contains("access_code"), "open courses take one click");
        assert_eq!(learner.submit("/courses/open-course/enroll", &[]).await.status(), 303);
        let (status, page) = text(learner.get("/courses/open-course/lessons/three").await).await;
        assert_eq!(status, 403);
        assert!(page.contains("once you have completed: one"), "{page}");

        app.clock.advance(chrono::Duration::days(3));
        let learner = sign_in_again(app).await;
        for lesson in ["one", "two"] {
            let url = format!("/courses/open-course/lessons/{lesson}");
            assert_eq!(learner.get(&url).await.status(), 200);
            assert_eq!(learner.submit(&format!("{url}/complete"), &[]).await.status(), 303);
        }
        let last = learner.submit("/courses/open-course/lessons/three/complete", &[]).await;
        assert_eq!(last.headers()["location"], "/courses/open-course/complete");
        let (status, done) = text(learner.get("/courses/open-course/complete").await).await;
        assert_eq!(status, 200);
        assert!(done.contains("You've completed"), "{done}");
    }
}

both_backends! {
    async fn signing_in_returns_only_to_local_pages(app: TestApp) {
        app.signed_in_as("learner@example.com", Role::Learner).await;
        let visitor = Browser::new(&app);
        let (_, form) = text(visitor.get("/account/sign-in?next=/courses/rebuilding-trust").await).await;
        assert!(form.contains("name=\"next\" value=\"/courses/rebuilding-trust\""), "{form}");
        for (next, expected) in [(COURSE, COURSE), ("//evil.example/", "/dashboard"), ("https://evil.example/", "/dashboard")] {
            let browser = Browser::new(&app);
            let fields = [("email", "learner@example.com"), ("password", PASSWORD), ("next", next)];
            let response = browser.submit("/account/sign-in", &fields).await;
            assert_eq!(response.headers()["location"], expected);
        }
    }
}

/// How many blocking-pool hops (`db` spans) the app's logs show.
fn hops(app: &TestApp) -> usize {
    app.logs().lines().filter(|line| line.starts_with("DEBUG db{")).count()
}

both_backends! {
    async fn a_lesson_page_checks_the_session_and_reads_the_lesson_in_one_hop(app: TestApp) {
        let learner = enrolled(&app).await;
        let (status, _) = text(learner.get(FIRST).await).await;
        assert_eq!(status, 200, "the first view is recorded");
        let before = hops(&app);
        let (status, page) = text(learner.get(FIRST).await).await;
        assert_eq!(status, 200);
        assert_eq!(hops(&app) - before, 1, "session check and lesson read share one hop");
        assert!(page.contains("Sign out") && !page.contains("Create an account"), "signed in: {page}");

        let locked = format!("{COURSE}/lessons/what-recovery-looks-like");
        let (status, page) = text(learner.get(&locked).await).await;
        assert_eq!(status, 403);
        assert!(!page.contains("Create an account"), "a locked page knows who is signed in: {page}");

        let other_device = sign_in_again(&app).await;
        assert_eq!(other_device.submit("/account/sign-out-everywhere", &[]).await.status(), 303);
        let response = learner.get(FIRST).await;
        let removes_cookie = response.headers().get_all("set-cookie").iter().any(|c| {
            c.to_str().is_ok_and(|c| c.contains("Max-Age=0") || c.contains("max-age=0"))
        });
        let (status, page) = text(response).await;
        assert_eq!(status, 403, "a revoked session reads the lesson as a visitor at once");
        assert!(page.contains("Create an account"), "{page}");
        assert!(removes_cookie, "the dead session's cookie is removed");
    }
}
