//! A learner's worksheets over HTML, without JavaScript: "My worksheets", the generated form,
//! saving a draft, "Mark as finished" with a required question left empty (422 naming it),
//! history and restore, and the filled downloads (owner 200, everyone else 404, never cached).

use mend::domain::account::Role;

use std::time::Duration;

use crate::both_backends;
use crate::learner_web::{enrolled, text};
use crate::support::{Backend, Browser, TestApp, copy_of_sample_content, eventually, token_in};
use crate::test_case;

const PLAN: &str = "/worksheets/rebuilding-trust.boundary-plan";

/// Posts the worksheet form as the page would: its CSRF token and revision, the answers, and
/// the button pressed.
async fn post_form(
    browser: &Browser<'_>,
    answers: &[(&str, &str)],
    action: &str,
) -> reqwest::Response {
    let page = browser.get(PLAN).await.text().await.unwrap();
    let revision = value_of(&page, "revision");
    let token = token_in(&page);
    let mut form: Vec<(&str, &str)> = answers.to_vec();
    form.extend([
        ("csrf_token", token.as_str()),
        ("revision", revision.as_str()),
        ("action", action),
    ]);
    browser.client.post(format!("{}{PLAN}", browser.app.address)).form(&form).send().await.unwrap()
}

/// The value of the hidden input `name` on a page.
fn value_of(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {name} in {page}")) + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

both_backends! {
    async fn a_learner_fills_in_a_worksheet_without_javascript(app: TestApp) {
        let learner = enrolled(&app).await;
        let (status, list) = text(learner.get("/worksheets").await).await;
        assert_eq!(status, 200);
        assert!(list.contains(&format!("<a href=\"{PLAN}\">My boundary plan</a>")), "{list}");
        assert!(list.contains("Not started"), "{list}");

        let (status, form) = text(learner.get(PLAN).await).await;
        assert_eq!(status, 200);
        assert!(form.contains("<label for=\"answers.need\">The need I want to protect <span class=\"meta\">(required)</span></label>"), "{form}");
        assert!(form.contains("<textarea id=\"answers.need\" name=\"answers.need\""), "{form}");
        assert!(form.contains("type=\"date\""), "a date field is a date input");

        let saved = post_form(&learner, &[("answers.need", "Feeling safe at home")], "save").await;
        assert_eq!(saved.status(), 303);
        let (_, again) = text(learner.get(saved.headers()["location"].to_str().unwrap()).await).await;
        assert!(again.contains("role=\"status\">Saved."), "{again}");
        assert!(again.contains(">Feeling safe at home</textarea>"), "{again}");

        let unfinished = post_form(&learner, &[("answers.need", "Feeling safe at home")], "finish").await;
        assert_eq!(unfinished.status(), 422);
        let page = unfinished.text().await.unwrap();
        assert!(page.contains("There is a problem"), "the error summary: {page}");
        assert!(page.contains("<a href=\"#answers.boundary\">"), "names the empty required field: {page}");
        assert!(page.contains(">Feeling safe at home</textarea>"), "keeps what was typed");

        let answers = [("answers.need", "Feeling safe at home"), ("answers.boundary", "I will step outside when voices rise")];
        let finished = post_form(&learner, &answers, "finish").await;
        assert_eq!(finished.status(), 303);
        let (_, list) = text(learner.get("/worksheets").await).await;
        assert!(list.contains("Finished"), "{list}");
        assert!(!app.logs().contains("Feeling safe at home"), "no answer reaches the log");
    }

    async fn a_save_from_an_old_page_keeps_the_typed_text_beside_the_saved_version(app: TestApp) {
        let learner = enrolled(&app).await;
        let stale = learner.get(PLAN).await.text().await.unwrap();
        assert_eq!(post_form(&learner, &[("answers.boundary", "Saved in the other tab")], "save").await.status(), 303);

        let token = token_in(&stale);
        let form = [("csrf_token", token.as_str()), ("revision", "0"), ("action", "save"), ("answers.boundary", "Typed in this tab")];
        let response = learner.client.post(format!("{}{PLAN}", app.address)).form(&form).send().await.unwrap();
        assert_eq!(response.status(), 409);
        let page = response.text().await.unwrap();
        assert!(page.contains("value=\"Typed in this tab\""), "the typed text stays in its field: {page}");
        assert!(page.contains("The saved version says:</p><p class=\"saved-elsewhere__text\">Saved in the other tab"), "{page}");
        assert_eq!(value_of(&page, "revision"), "1", "saving again builds on the newest");
    }

    async fn history_lists_revisions_and_restores_an_earlier_one(app: TestApp) {
        let learner = enrolled(&app).await;
        assert_eq!(post_form(&learner, &[("answers.boundary", "First words")], "save").await.status(), 303);
        assert_eq!(post_form(&learner, &[("answers.boundary", "Second words")], "save").await.status(), 303);
        let (status, history) = text(learner.get(&format!("{PLAN}/history")).await).await;
        assert_eq!(status, 200);
        assert!(history.contains("Version 2 (current)") && history.contains("Version 1"), "{history}");
        assert!(history.contains("Changed: My boundary, in one sentence"), "{history}");
        assert!(history.contains("Saved by you"), "{history}");
        assert!(!history.contains("First words"), "the history shows no answer text");

        let token = token_in(&history);
        let form = [("csrf_token", token.as_str()), ("revision", "2"), ("restore", "1")];
        let restored = learner.client.post(format!("{}{PLAN}/restore", app.address)).form(&form).send().await.unwrap();
        assert_eq!(restored.status(), 303);
        let (_, page) = text(learner.get(PLAN).await).await;
        assert!(page.contains("value=\"First words\""), "{page}");
        let (_, history) = text(learner.get(&format!("{PLAN}/history")).await).await;
        assert!(history.contains("Version 3 (current)"), "a restore is a new revision: {history}");
    }

    async fn filled_downloads_are_for_their_owner_only_and_never_stored(app: TestApp) {
        let learner = enrolled(&app).await;
        let answers = [("answers.boundary", "I will take a walk when I feel flooded")];
        assert_eq!(post_form(&learner, &answers, "save").await.status(), 303);
        for format in ["pdf", "docx", "md"] {
            let response = learner.get(&format!("{PLAN}/download?format={format}")).await;
            assert_eq!(response.status(), 200, "{format}");
            assert_eq!(response.headers()["cache-control"], "no-store");
            let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
            assert!(disposition.starts_with(&format!("attachment; filename=\"My boundary plan.{format}\"")), "{disposition}");
        }
        let markdown = learner.get(&format!("/api/v1{PLAN}/download?format=md")).await.text().await.unwrap();
        assert!(markdown.contains("I will take a walk when I feel flooded"), "{markdown}");

        let stranger = app.signed_in_as("stranger@example.org", Role::Learner).await;
        let author = app.signed_in_as("author@example.org", Role::Author).await;
        let admin = app.signed_in_as("admin@example.org", Role::Admin).await;
        for (who, browser) in [("stranger", &stranger), ("author", &author), ("admin", &admin)] {
            let response = browser.get(&format!("{PLAN}/download?format=md")).await;
            let status = response.status();
            let body = response.text().await.unwrap();
            assert_eq!(status, 404, "{who}");
            assert!(!body.contains("take a walk"), "{who} saw an answer");
        }
        assert_eq!(app.get(&format!("{PLAN}/download?format=md")).await.status(), 401);
        for sneaky in ["..%2F..%2Fcourse.toml", "rebuilding-trust.%2e%2e", "%252e%252e%252f", "rebuilding-trust.boundary-plan%5C..", "%2Fetc%2Fpasswd"] {
            let response = learner.get(&format!("/worksheets/{sneaky}/download?format=md")).await;
            assert_eq!(response.status(), 404, "{sneaky}");
        }
        let unknown = learner.get(&format!("{PLAN}/download?format=exe")).await;
        assert_eq!(unknown.status(), 422);
    }
}

test_case! {
    /// About content edits under watch, not storage: one backend is enough.
    async fn answers_to_a_question_the_author_removed_are_kept_and_shown_apart() {
        let scratch = tempfile::tempdir().unwrap();
        let content = copy_of_sample_content(scratch.path());
        let app = TestApp::create_with(Backend::Sqlite, |settings| {
            settings.content_dir = content.clone();
            settings.watch = true;
        })
        .await
        .unwrap();
        let learner = enrolled(&app).await;
        let answers = [("answers.how_i_will_say_it", "Gently, after dinner")];
        assert_eq!(post_form(&learner, &answers, "save").await.status(), 303);

        let sheet = content.join("rebuilding-trust/worksheets/boundary-plan.md");
        let original = std::fs::read_to_string(&sheet).unwrap();
        let removed = original
            .replace("[[fields]]\nid = \"how_i_will_say_it\"\ntype = \"long\"\nlabel = \"How I will say it\"\nhelp = \"The need, the action, and an invitation for my partner to respond.\"\n\n", "")
            .replace("{{ field \"how_i_will_say_it\" }}", "");
        assert_ne!(removed, original, "the field was taken out");
        std::fs::write(&sheet, removed).unwrap();
        let page = eventually("the edited worksheet to go live", Duration::from_secs(10), || async {
            let page = learner.get(PLAN).await.text().await.unwrap();
            (!page.contains("answers.how_i_will_say_it")).then_some(page)
        })
        .await;
        assert!(page.contains("Answers to questions no longer in this worksheet"), "{page}");
        assert!(page.contains("<dt>How i will say it</dt><dd class=\"orphan-answer\">Gently, after dinner</dd>"), "{page}");

        assert_eq!(post_form(&learner, &[("answers.need", "Calm")], "save").await.status(), 303);
        let page = learner.get(PLAN).await.text().await.unwrap();
        assert!(page.contains("Gently, after dinner"), "a later save keeps the old answer: {page}");
    }
}
