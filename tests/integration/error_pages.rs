//! Error pages as a learner meets them: their own header when signed in, the next useful step
//! (signing in comes back to the refused page), and a reference to quote only when Mend failed.

use diesel::RunQueryDsl;
use mend::domain::account::Role;

use crate::both_backends;
use crate::learner_web::{COURSE, FIRST, enrolled, text};
use crate::support::{Browser, PASSWORD, TestApp};

const LOCKED: &str = "/courses/rebuilding-trust/lessons/what-recovery-looks-like";

/// The sign-in link an error page offers (in the page, not the header), as a path.
fn sign_in_link(page: &str) -> &str {
    let main = &page[page.find("id=\"main\"").expect("the main content")..];
    let start = main.find("href=\"/account/sign-in").expect("a sign-in link") + "href=\"".len();
    main[start..].split('"').next().unwrap()
}

/// The hidden `next` field of the sign-in form.
fn next_field(form: &str) -> &str {
    let marker = "name=\"next\" value=\"";
    let start = form.find(marker).expect("a next field") + marker.len();
    form[start..].split('"').next().unwrap()
}

/// No status code label, no reference: a calm page.
fn assert_plain(page: &str) {
    assert!(!page.to_lowercase().contains("error 4"), "no status label: {page}");
    assert!(!page.contains("reference"), "a reference only when Mend failed: {page}");
}

/// The main step a page offers: its first button.
fn first_step(page: &str) -> &str {
    let start = page.find("<a class=\"button\"").expect("a main step");
    &page[start..start + page[start..].find("</a>").expect("the step's end")]
}

both_backends! {
    async fn a_locked_lesson_links_the_lesson_that_opens_the_way(app: TestApp) {
        let learner = enrolled(&app).await;
        let contract = format!("{COURSE}/lessons/writing-and-signing-your-contract");
        let (status, page) = text(learner.get(&contract).await).await;
        assert_eq!(status, 403);
        let required = format!("{COURSE}/lessons/what-fidelity-means-to-us-now");
        let step = first_step(&page);
        assert!(step.contains(&format!("href=\"{required}\"")), "the required lesson: {page}");
        assert!(step.ends_with("Read “What fidelity means to us now” first"), "{step}");
        assert!(page.contains(&format!("href=\"{COURSE}\">Back to the course")), "{page}");

        let json = learner.client.get(format!("{}{contract}", app.address))
            .header("accept", "application/json").send().await.unwrap();
        let problem: serde_json::Value = json.json().await.unwrap();
        assert_eq!(problem["type"], "/problems/lesson-locked");
        assert_eq!(problem["next"]["href"], required.as_str(), "{problem}");

        let (_, waiting) = text(learner.get(LOCKED).await).await;
        let open_now = format!("href=\"{COURSE}/lessons/more-than-abstinence\"");
        assert!(first_step(&waiting).contains(&open_now), "a lesson open now: {waiting}");
        assert!(first_step(&waiting).ends_with("Read “More than abstinence” while you wait"));

        assert_eq!(learner.submit(&format!("{COURSE}/pause"), &[]).await.status(), 303);
        let (_, paused) = text(learner.get(LOCKED).await).await;
        let resume = format!("href=\"{COURSE}\">Resume on the course page");
        assert!(first_step(&paused).contains(&resume), "the course to resume: {paused}");
        assert!(!paused.contains("Back to the course"), "the course once: {paused}");
    }

    async fn a_signed_in_learner_keeps_their_header_and_is_offered_the_course(app: TestApp) {
        let learner = enrolled(&app).await;
        let (status, page) = text(learner.get(LOCKED).await).await;
        assert_eq!(status, 403);
        assert!(page.contains("Sign out") && page.contains("Your account"), "their header: {page}");
        assert!(!page.contains("Sign in") && !page.contains("Create an account"), "{page}");
        assert!(page.contains(&format!("href=\"{COURSE}\">Back to the course")), "{page}");
        assert_plain(&page);

        let (status, missing) = text(learner.get("/no-such-page").await).await;
        assert_eq!(status, 404);
        assert!(missing.contains("Sign out") && !missing.contains("Sign in"), "{missing}");
        assert!(missing.contains("href=\"/dashboard\">Go to my courses"), "{missing}");
        assert_plain(&missing);
    }

    async fn a_visitor_signs_in_from_a_refused_page_and_comes_back_to_it(app: TestApp) {
        enrolled(&app).await;
        let visitor = Browser::new(&app);
        let (status, page) = text(visitor.get(FIRST).await).await;
        assert_eq!(status, 403);
        assert_plain(&page);
        let link = sign_in_link(&page);
        assert_eq!(link, "/account/sign-in?next=%2Fcourses%2Frebuilding-trust%2Flessons%2Fwelcome");
        let (_, form) = text(visitor.get(link).await).await;
        assert_eq!(next_field(&form), FIRST);
        let fields = [("email", "learner@example.com"), ("password", PASSWORD), ("next", FIRST)];
        let signed_in = visitor.submit("/account/sign-in", &fields).await;
        assert_eq!(signed_in.status(), 303);
        assert_eq!(signed_in.headers()["location"], FIRST);
        assert_eq!(visitor.get(FIRST).await.status(), 200, "back at the lesson, readable");

        let (status, dashboard) = text(Browser::new(&app).get("/dashboard").await).await;
        assert_eq!(status, 401);
        assert_eq!(sign_in_link(&dashboard), "/account/sign-in?next=%2Fdashboard");
        assert_plain(&dashboard);
    }

    async fn author_pages_tell_a_learner_they_are_for_authors(app: TestApp) {
        let learner = app.signed_in_as("learner@example.org", Role::Learner).await;
        let (status, page) = text(learner.get("/author/status").await).await;
        assert_eq!(status, 403);
        assert!(page.contains("This page is for course authors"), "{page}");
        assert!(!page.contains("another site"), "{page}");
        assert!(!page.contains("Sign in"), "{page}");
    }

    async fn a_failure_of_ours_gives_a_reference_to_quote(app: TestApp) {
        let learner = enrolled(&app).await;
        let mut conn = app.db.connection().unwrap();
        diesel::sql_query("DROP TABLE lesson_progress").execute(&mut *conn).unwrap();
        let (status, page) = text(learner.get("/dashboard").await).await;
        assert_eq!(status, 500);
        assert!(page.contains("mention reference <code>"), "{page}");
        assert!(page.contains("Sign out"), "still their header: {page}");
        assert!(!page.to_lowercase().contains("error 500"), "{page}");
    }
}
