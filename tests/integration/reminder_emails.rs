//! Reminder settings and per-course reminder emails as an author writes them: `mend check`
//! reports their problems at the file and line, and under `--watch` a broken override keeps
//! the last good catalog live like any other broken edit.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use mend::domain::account::Role;

use crate::support::{Backend, TestApp, copy_of_sample_content, eventually};
use crate::test_case;

fn check(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mend"))
        .args(["check", dir.to_str().unwrap()])
        .env_clear()
        .env("MEND_LOG", "warn")
        .output()
        .unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The `path:line:col: severity: message` lines of `mend check`, paths relative to `root`.
fn problems(out: &Output, root: &Path) -> Vec<String> {
    let prefix = format!("{}/", root.display());
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|line| line.starts_with(&prefix))
        .map(|line| line.trim_start_matches(&prefix).to_owned())
        .collect()
}

test_case! {
    fn mend_check_reports_reminder_tiers_and_email_overrides_at_their_place() {
        let scratch = tempfile::tempdir().unwrap();
        let content = copy_of_sample_content(scratch.path());
        let course = content.join("rebuilding-trust");
        let toml = std::fs::read_to_string(course.join("course.toml")).unwrap();
        assert!(toml.contains("inactive_days = [3, 7, 14]"), "the sample course uses tiers");
        write(&course.join("course.toml"), &toml.replace("[3, 7, 14]", "[3, 14, 7]"));
        let nudge = course.join("emails/nudge");
        write(&nudge.join("subject.txt"), "Still thinking about {{ course_title }}?\n");
        write(&nudge.join("body.txt"), "Hello {{ display_name }},\n\n{{ lesson_name }}\n");
        write(&nudge.join("body.html"), "<p>Hello {{ display_name }}</p>\n");
        write(&course.join("emails/digest/subject.txt"), "Your week\n");
        write(&course.join("emails/weekly/subject.txt"), "Your week\n");

        let out = check(&content);
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        let found = problems(&out, &content);
        let expected = [
            "rebuilding-trust/course.toml:7:17: error: inactive_days tiers must be strictly increasing, like [3, 7, 14]",
            "rebuilding-trust/emails/digest:1:1: error: email override \"digest\" has no body.txt",
            "rebuilding-trust/emails/digest:1:1: error: email override \"digest\" has no body.html",
            "rebuilding-trust/emails/nudge/body.txt:3:4: error: unknown variable `lesson_name` (this template knows: app_url, base_url, course_title, course_url, discreet, display_name, inactive_days, kind, next_lesson, preferences_url, tier, unsubscribe_url)",
            "rebuilding-trust/emails/weekly:1:1: error: unknown email template \"weekly\" (templates: nudge, new_lessons, digest)",
        ];
        assert_eq!(found, expected, "{}", String::from_utf8_lossy(&out.stderr));

        // With the variable fixed, the discreet-mode subject is what is left.
        write(&nudge.join("body.txt"), "Hello {{ display_name }},\n\n{{ app_url }}\n");
        std::fs::remove_dir_all(course.join("emails/weekly")).unwrap();
        std::fs::remove_dir_all(course.join("emails/digest")).unwrap();
        write(&course.join("course.toml"), &toml);
        let out = check(&content);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            problems(&out, &content),
            ["rebuilding-trust/emails/nudge/subject.txt:1:25: error: in discreet mode subject.txt would show a course or lesson title or a course link; put it inside {% if not discreet %} … {% endif %}"]
        );

        write(
            &nudge.join("subject.txt"),
            "{% if discreet %}A note from Mend{% else %}Still thinking about {{ course_title }}?{% endif %}\n",
        );
        let out = check(&content);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

test_case! {
    /// Watch mode is about files, not storage: one backend is enough.
    async fn a_broken_email_override_under_watch_keeps_the_last_good_version() {
        let scratch = tempfile::tempdir().unwrap();
        let content = copy_of_sample_content(scratch.path());
        let nudge = content.join("rebuilding-trust/emails/nudge");
        write(&nudge.join("subject.txt"), "A note from Mend\n");
        write(&nudge.join("body.txt"), "Hello {{ display_name }}.\n");
        write(&nudge.join("body.html"), "<p>Hello {{ display_name }}.</p>\n");
        let app = TestApp::create_with(Backend::Sqlite, |settings| {
            settings.content_dir = content.clone();
            settings.watch = true;
        })
        .await
        .unwrap();
        let author = app.signed_in_as("author@example.org", Role::Author).await;
        let status = author.get("/author/status").await.text().await.unwrap();
        assert!(status.contains("<strong>live</strong>"), "{status}");

        write(&nudge.join("subject.txt"), "About {{ course_title }}\n");
        let status = eventually("the broken override to be reported", Duration::from_secs(10), || async {
            let page = author.get("/author/status").await.text().await.unwrap();
            page.contains("not published").then_some(page)
        })
        .await;
        assert!(status.contains("emails/nudge/subject.txt"), "{status}");
        assert!(status.contains("in discreet mode"), "{status}");
        let lesson = author.get("/courses/rebuilding-trust/lessons/welcome").await;
        assert_eq!(lesson.status(), 200, "the last good version keeps serving");

        write(&nudge.join("subject.txt"), "{% if discreet %}A note{% else %}About {{ course_title }}{% endif %}\n");
        eventually("the fixed override to go live", Duration::from_secs(10), || async {
            let page = author.get("/author/status").await.text().await.unwrap();
            page.contains("<strong>live</strong>").then_some(())
        })
        .await;
    }
}
