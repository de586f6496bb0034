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

both_backends! {
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
