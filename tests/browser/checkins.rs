//! A learner checks in for the day in a real browser, without JavaScript, and sees their
//! patterns: both pages pass axe with no serious or critical violation, light and dark.

use fantoccini::Locator;
use mend::domain::account::Role;
use serde_json::json;

use crate::accessibility::assert_this_page_accessible;
use crate::harness::Browser;
use crate::journey::{click, fill};
use crate::support::{Backend, TestApp};
use crate::test_case;

/// Ticks the radio button or box with id `id` (no page load follows).
async fn tick(browser: &Browser, id: &str) {
    browser.client.find(Locator::Id(id)).await.unwrap().click().await.unwrap();
}

/// Runs axe on the page shown now (axe needs script, the journey does not), then turns page
/// script off again.
async fn accessible(browser: &Browser, page: &str) {
    browser.cdp("Emulation.setScriptExecutionDisabled", json!({ "value": false })).await;
    assert_this_page_accessible(browser, "checkins", page).await;
    browser.cdp("Emulation.setScriptExecutionDisabled", json!({ "value": true })).await;
}

test_case! {
    needs [Browser]
    async fn a_learner_checks_in_and_sees_their_patterns() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.sign_in_as(&app, "checkin@example.test", Role::Learner).await;
        browser.cdp("Emulation.setScriptExecutionDisabled", json!({ "value": true })).await;
        browser.open(&format!("{}/dashboard", app.address)).await;
        click(&browser, "main a[href='/checkin']").await;
        accessible(&browser, "form").await;

        click(&browser, "form[action='/checkin'] button[type=submit]").await;
        assert!(browser.text(".error-summary").await.contains("Choose how your mood is."));
        accessible(&browser, "form-errors").await;

        tick(&browser, "mood-4").await;
        tick(&browser, "intensity-3").await;
        tick(&browser, "triggers.0").await;
        fill(&browser, "other_helped", "A long walk").await;
        fill(&browser, "note", "A quieter day").await;
        click(&browser, "form[action='/checkin'] button[type=submit]").await;
        assert!(browser.text(".banner--notice").await.contains("Thank you for checking in"));
        accessible(&browser, "saved").await;

        click(&browser, ".banner--notice a[href='/checkin/patterns']").await;
        assert!(browser.text("main").await.contains("Only you can see this page"));
        browser.client.find(Locator::Css("main svg[role=img]")).await.unwrap();
        accessible(&browser, "patterns").await;
        browser.quit().await;
    }
}
