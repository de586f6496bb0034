//! The sample course as a visitor reads it, and as an author edits it under `--watch`.

use std::time::Duration;

use crate::both_backends;
use crate::test_case;
use mend::domain::account::Role;

use crate::support::{Backend, TestApp, copy_of_sample_content, eventually};

const COURSE: &str = "/courses/rebuilding-trust";

async fn html(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get(path).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

both_backends! {
    async fn catalog_lists_the_sample_course_with_its_size(app: TestApp) {
        let (status, page) = html(&app, "/").await;
        assert_eq!(status, 200);
        assert!(page.contains("<a href=\"/courses/rebuilding-trust\">Rebuilding Trust Together</a>"), "{page}");
        assert!(page.contains("<p class=\"meta\">8 modules · "), "{page}");
    }

    async fn course_page_shows_the_outline_without_drafts(app: TestApp) {
        let (status, page) = html(&app, COURSE).await;
        assert_eq!(status, 200);
        assert!(page.contains("Course outline"));
        assert!(page.contains("href=\"/courses/rebuilding-trust/lessons/welcome\""));
        assert!(page.contains("href=\"/courses/rebuilding-trust/lessons/looking-ahead\""));
        assert!(!page.contains("lessons/coming-soon"), "drafts are not listed for learners");
        assert!(page.contains("educational"), "the landing text says what the course is and is not");
    }

    async fn lesson_page_has_breadcrumb_contents_and_pager(app: TestApp) {
        let author = app.signed_in_as("author@example.com", Role::Author).await;
        let response = author.get(&format!("{COURSE}/lessons/why-betrayal-shatters-safety")).await;
        assert_eq!(response.status(), 200);
        let page = response.text().await.unwrap();
        assert!(page.contains("aria-label=\"Breadcrumb\""));
        assert!(page.contains("min read"));
        assert!(page.contains("On this page"));
        assert!(page.contains("rel=\"prev\"") && page.contains("rel=\"next\""));
        assert!(page.contains("href=\"/courses/rebuilding-trust/lessons/how-to-use-this-course-together\""), "previous lesson crosses the module boundary");
    }

    async fn drafts_and_unknown_lessons_are_not_found(app: TestApp) {
        assert_eq!(html(&app, &format!("{COURSE}/lessons/coming-soon")).await.0, 404);
        assert_eq!(html(&app, &format!("{COURSE}/lessons/no-such-lesson")).await.0, 404);
        assert_eq!(html(&app, "/courses/no-such-course").await.0, 404);
    }

    async fn downloads_are_served_only_from_the_files_folder(app: TestApp) {
        let author = app.signed_in_as("author@example.org", Role::Author).await;
        let response = author.get(&format!("{COURSE}/files/daily-check-in.txt")).await;
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
        assert!(!response.text().await.unwrap().is_empty());

        let image = author.get(&format!("{COURSE}/files/images/recovery-path.svg")).await;
        assert_eq!(image.headers()["content-type"], "image/svg+xml");
        let csp = image.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("sandbox;") && csp.contains("default-src 'none'"), "{csp}");

        for sneaky in ["../course.toml", "..%2Fcourse.toml", "%2e%2e/course.toml", "images/../../course.toml"] {
            let status = author.get(&format!("{COURSE}/files/{sneaky}")).await.status();
            assert_eq!(status, 404, "{sneaky}");
        }
    }

    async fn worksheets_linked_from_lessons_have_a_page(app: TestApp) {
        let (status, page) = html(&app, &format!("{COURSE}/worksheets/relationship-contract")).await;
        assert_eq!(status, 200);
        assert!(page.contains("Filled in together with your partner"));
        assert!(page.contains("signed by both partners"));
    }

    async fn author_status_is_for_authors_and_reports_a_clean_compile(app: TestApp) {
        assert_eq!(html(&app, "/author/status").await.0, 401, "visitors are asked to sign in");
        let learner = app.signed_in_as("learner@example.org", Role::Learner).await;
        assert_eq!(learner.get("/author/status").await.status(), 403);
        assert_eq!(learner.get(&format!("{COURSE}/lessons/coming-soon")).await.status(), 404);

        let author = app.signed_in_as("author@example.org", Role::Author).await;
        let page = author.get("/author/status").await.text().await.unwrap();
        assert!(page.contains("<strong>live</strong>"), "{page}");
        assert!(page.contains("Last compiled today at 09:00"), "in the author's zone, in words: {page}");
        assert!(page.contains("1 course · ") && page.contains("(1 draft)"), "singular nouns: {page}");
        let draft = author.get(&format!("{COURSE}/lessons/coming-soon")).await;
        assert_eq!(draft.status(), 200);
        assert!(draft.text().await.unwrap().contains("Draft: only authors and admins"));
    }
}

test_case! {
    /// Watch mode is about files, not storage: one backend is enough.
    async fn an_edit_under_watch_goes_live_and_a_broken_edit_keeps_the_last_good_version() {
        let scratch = tempfile::tempdir().unwrap();
        let content = copy_of_sample_content(scratch.path());
        let lesson_file = content.join("rebuilding-trust/01-before-you-begin/01-welcome.md");
        let app = TestApp::create_with(Backend::Sqlite, |settings| {
            settings.content_dir = content.clone();
            settings.watch = true;
        })
        .await
        .unwrap();
        let url = format!("{COURSE}/lessons/welcome");
        let author = app.signed_in_as("author@example.org", Role::Author).await;

        let original = std::fs::read_to_string(&lesson_file).unwrap();
        std::fs::write(&lesson_file, format!("{original}\n\nA freshly written closing line.\n"))
            .unwrap();
        eventually("the edit to go live", Duration::from_secs(10), || async {
            let page = author.get(&url).await.text().await.unwrap();
            page.contains("A freshly written closing line.").then_some(())
        })
        .await;

        std::fs::write(&lesson_file, original.replace("+++\ntitle", "+++\ntitel")).unwrap();
        let status = eventually("the broken edit to be reported", Duration::from_secs(10), || async {
            let page = author.get("/author/status").await.text().await.unwrap();
            page.contains("not published").then_some(page)
        })
        .await;
        let home = author.get("/").await.text().await.unwrap();
        assert!(home.contains("is not live yet"), "authors see the banner on every page");
        assert!(!html(&app, "/").await.1.contains("is not live yet"), "visitors do not");
        assert!(status.contains("01-welcome.md"), "{status}");
        let response = author.get(&url).await;
        assert_eq!(response.status(), 200);
        let page = response.text().await.unwrap();
        assert!(
            page.contains("A freshly written closing line."),
            "the last good version keeps serving"
        );
    }
}
