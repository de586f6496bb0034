//! The `/author` landing page: the latest build in one line with a link to every diagnostic,
//! which courses and lessons learners cannot see, and why, and what the live build changed since
//! the one before. Authors and admins only.

use std::path::PathBuf;
use std::time::Duration;

use mend::domain::account::Role;
use reqwest::StatusCode;

use crate::both_backends;
use crate::support::{Backend, Fixture, TestApp, copy_of_sample_content, eventually};

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

/// The items of the "What changed" list, in order.
fn listed_changes(html: &str) -> Vec<String> {
    let Some((_, list)) = html.split_once("<ul class=\"build-changes\">") else {
        return Vec::new();
    };
    let list = list.split("</ul>").next().unwrap_or_default();
    list.split("<li>").skip(1).map(|item| item.split("</li>").next().unwrap().to_owned()).collect()
}

/// The app serving a copy of the sample content under `--watch`, for edits to be rebuilt.
struct Watched {
    app: TestApp,
    course: PathBuf,
    _scratch: tempfile::TempDir,
}

impl Fixture for Watched {
    async fn create(backend: Backend) -> Option<Self> {
        let scratch = tempfile::tempdir().unwrap();
        let content = copy_of_sample_content(scratch.path());
        let app = TestApp::create_with(backend, |settings| {
            settings.content_dir = content.clone();
            settings.watch = true;
        })
        .await?;
        Some(Self { app, course: content.join("rebuilding-trust"), _scratch: scratch })
    }
}

both_backends! {
    async fn an_edit_an_addition_and_a_removal_are_listed_after_the_rebuild(watched: Watched) {
        let Watched { app, course, .. } = &watched;
        let author = app.signed_in_as("author@example.com", Role::Author).await;
        let page = author.get("/author").await.text().await.unwrap();
        assert!(page.contains("First build since the server started."), "{page}");
        assert!(listed_changes(&page).is_empty());

        app.clock.advance(chrono::Duration::minutes(30));
        let welcome = course.join("01-before-you-begin/01-welcome.md");
        let original = std::fs::read_to_string(&welcome).unwrap();
        let new_lesson = "+++\ntitle = \"A quiet evening walk\"\n+++\n\nWalk together.\n";
        // All three at once, so the watcher sees one burst and makes one build.
        std::fs::write(&welcome, format!("{original}\nOne more closing line.\n")).unwrap();
        std::fs::write(course.join("02-when-trust-breaks/05-a-quiet-evening-walk.md"), new_lesson)
            .unwrap();
        std::fs::remove_file(course.join("02-when-trust-breaks/04-what-recovery-looks-like.md"))
            .unwrap();

        let page = eventually("the rebuild to be listed", Duration::from_secs(10), || async {
            let page = author.get("/author").await.text().await.unwrap();
            page.contains("Since the build before").then_some(page)
        })
        .await;
        assert!(
            page.contains(
                "Since the build before (today at 09:00): 1 lesson edited, 1 added, 1 removed."
            ),
            "{page}"
        );
        assert_eq!(
            listed_changes(&page),
            [
                "Rebuilding Trust Together › Welcome (edited)",
                "Rebuilding Trust Together › A quiet evening walk (added)",
                "Rebuilding Trust Together › What recovery looks like (removed)",
            ]
        );
        let status = author.get("/author/status").await.text().await.unwrap();
        assert_eq!(listed_changes(&status), listed_changes(&page), "the status page lists them too");
    }
}
