//! A learner fills in their boundary plan in a real browser: with JavaScript off (the form
//! posts and comes back "Saved", and the filled plan downloads as DOCX), and with it on (the
//! draft saves itself a moment after typing stops and the page says "Saved at …"). The form
//! passes axe with no serious or critical violation.

use std::time::Duration;

use fantoccini::Locator;
use mend::domain::account::Role;
use serde_json::json;

use crate::accessibility::assert_this_page_accessible;
use crate::harness::Browser;
use crate::journey::{click, fill};
use crate::support::{Backend, TestApp, eventually};
use crate::test_case;

const PLAN: &str = "/worksheets/rebuilding-trust.boundary-plan";

/// Signs a new learner in and enrols them in the sample course through its page.
async fn enrolled_learner(browser: &Browser, app: &TestApp) {
    browser.sign_in_as(app, "learner@example.test", Role::Learner).await;
    browser.open(&format!("{}/courses/rebuilding-trust", app.address)).await;
    fill(browser, "access_code", &app.sample_access_code()).await;
    click(browser, "form[action$='/enroll'] button").await;
}

/// What the field with id `id` holds now, read through WebDriver (works without page script).
async fn field_value(browser: &Browser, id: &str) -> String {
    let field = browser.client.find(Locator::Id(id)).await.unwrap();
    field.prop("value").await.unwrap().unwrap_or_default()
}

/// GETs `path` with this browser's cookies, as its download would.
pub(crate) async fn download(browser: &Browser, app: &TestApp, path: &str) -> reqwest::Response {
    let cookies = browser.client.get_all_cookies().await.unwrap();
    let header: Vec<String> =
        cookies.iter().map(|c| format!("{}={}", c.name(), c.value())).collect();
    let url = format!("{}{path}", app.address);
    TestApp::browser().get(url).header("cookie", header.join("; ")).send().await.unwrap()
}

test_case! {
    needs [Browser]
    async fn a_learner_fills_in_the_boundary_plan_without_javascript_and_downloads_it_as_docx() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        enrolled_learner(&browser, &app).await;
        browser.cdp("Emulation.setScriptExecutionDisabled", json!({ "value": true })).await;
        browser.open(&format!("{}{PLAN}", app.address)).await;
        fill(&browser, "answers.need", "Feeling safe in our home").await;
        fill(&browser, "answers.boundary", "I will leave the room when voices rise").await;
        click(&browser, "button[value=save]").await;

        assert_eq!(browser.text(".banner--notice").await, "Saved.");
        assert_eq!(field_value(&browser, "answers.need").await, "Feeling safe in our home");
        let response = download(&browser, &app, &format!("{PLAN}/download?format=docx")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert!(disposition.starts_with("attachment; filename=\"My boundary plan.docx\""), "{disposition}");
        assert!(response.bytes().await.unwrap().starts_with(b"PK"), "a DOCX is a zip");

        browser.cdp("Emulation.setScriptExecutionDisabled", json!({ "value": false })).await;
        browser.open(&format!("{}{PLAN}", app.address)).await;
        assert_this_page_accessible(&browser, "worksheets", "boundary-plan").await;
        browser.quit().await;
    }
}

test_case! {
    needs [Browser]
    async fn with_javascript_a_draft_saves_itself_and_says_when() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        enrolled_learner(&browser, &app).await;
        browser.open(&format!("{}{PLAN}", app.address)).await;
        fill(&browser, "answers.need", "Quiet evenings together").await;

        let status = eventually("the draft to save itself", Duration::from_secs(20), || async {
            let text = browser.text(".autosave-status").await;
            text.starts_with("Saved at ").then_some(text)
        })
        .await;
        assert_eq!(status.len(), "Saved at 09:00".len(), "hours and minutes: {status}");
        let revision = browser.client.find(Locator::Css("input[name=revision]")).await.unwrap();
        assert_eq!(revision.prop("value").await.unwrap().as_deref(), Some("1"), "the base moved on");

        browser.open(&format!("{}{PLAN}", app.address)).await;
        assert_eq!(field_value(&browser, "answers.need").await, "Quiet evenings together");
        assert!(browser.text("h1").await.contains("My boundary plan"), "the worksheet again");
        browser.quit().await;
    }
}
