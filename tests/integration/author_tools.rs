//! The `/author` landing page: the latest build in one line with a link to every diagnostic,
//! and which courses and lessons learners cannot see, and why. Authors and admins only.

use mend::domain::account::Role;
use reqwest::StatusCode;

use crate::both_backends;
use crate::support::TestApp;

both_backends! {
    async fn the_author_landing_shows_the_build_and_draft_lessons(app: TestApp) {
        assert_eq!(app.get("/author").await.status(), StatusCode::UNAUTHORIZED);
        let learner = app.signed_in_as("learner@example.com", Role::Learner).await;
        assert_eq!(learner.get("/author").await.status(), StatusCode::FORBIDDEN);
        let author = app.signed_in_as("author@example.com", Role::Author).await;
        let response = author.get("/author").await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(html.contains("<strong>live</strong>"), "{html}");
        assert!(html.contains("href=\"/author/status\""));
        assert!(html.contains("1 draft"));
        // The sample course is published and has one draft lesson, listed by title.
        assert!(html.contains("<td>Yes</td>"));
        assert!(html.contains("<li>Coming soon"), "{html}");
        let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
        assert_eq!(admin.get("/author").await.status(), StatusCode::OK);
    }
}
