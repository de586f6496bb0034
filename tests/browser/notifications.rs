//! A learner opens Notifications from their account page and, with JavaScript off, changes
//! which mail they get and when; the page comes back "Saved" with the new choices. Then an
//! unsubscribe link from a mail: its confirmation and its done page. Every page passes axe in
//! light and dark, at 390 and 1280 px.

use fantoccini::Locator;
use mend::auth::keys::SecretKey;
use mend::auth::unsubscribe::UnsubscribeKey;
use mend::domain::account::Role;
use mend::domain::ids::UserId;
use mend::domain::notifications::Topic;
use serde_json::json;

use crate::accessibility::assert_this_page_accessible;
use crate::harness::Browser;
use crate::journey::{click, fill};
use crate::support::{Backend, TEST_SECRET_HEX, TestApp};
use crate::test_case;

async fn assert_accessible(browser: &Browser, page: &str) {
    assert_this_page_accessible(browser, "notifications", page).await;
}

/// Whether the checkbox with id `id` is ticked now.
async fn checked(browser: &Browser, id: &str) -> bool {
    let field = browser.client.find(Locator::Id(id)).await.unwrap();
    field.prop("checked").await.unwrap().as_deref() == Some("true")
}

/// What the field with id `id` holds now.
async fn value(browser: &Browser, id: &str) -> String {
    let field = browser.client.find(Locator::Id(id)).await.unwrap();
    field.prop("value").await.unwrap().unwrap_or_default()
}

async fn tick(browser: &Browser, id: &str) {
    browser.client.find(Locator::Id(id)).await.unwrap().click().await.unwrap();
}

test_case! {
    needs [Browser]
    async fn a_learner_changes_their_notifications_without_javascript_and_sees_them_saved() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.sign_in_as(&app, "learner@example.test", Role::Learner).await;
        browser.open(&format!("{}/courses/rebuilding-trust", app.address)).await;
        fill(&browser, "access_code", &app.sample_access_code()).await;
        click(&browser, "form[action$='/enroll'] button").await;

        // Time inputs follow the browser's locale: pin it, so typing below means the same anywhere.
        browser.cdp("Emulation.setLocaleOverride", json!({ "locale": "en-US" })).await;
        browser.cdp("Emulation.setScriptExecutionDisabled", json!({ "value": true })).await;
        browser.open(&format!("{}/account", app.address)).await;
        click(&browser, "a[href='/account/notifications']").await;
        assert_eq!(browser.text("h1").await, "Notifications");
        assert!(checked(&browser, "discreet").await, "discreet mode is on by default");
        assert!(!checked(&browser, "digest").await);
        assert_eq!(value(&browser, "window_start").await, "09:00");
        tick(&browser, "digest").await;
        tick(&browser, "reminders-rebuilding-trust").await;
        tick(&browser, "new_lessons").await;
        // In en-US the time input is 12-hour: hour, minute, then AM/PM.
        fill(&browser, "window_end", "0930P").await;
        click(&browser, "form[action='/account/notifications'] button[type=submit]").await;

        assert!(browser.text("[role=status]").await.starts_with("Saved."));
        assert!(checked(&browser, "digest").await);
        assert!(!checked(&browser, "reminders-rebuilding-trust").await);
        assert!(!checked(&browser, "new_lessons").await);
        assert!(checked(&browser, "discreet").await, "left as it was");
        assert_eq!(value(&browser, "window_end").await, "21:30");
        assert_eq!(value(&browser, "window_start").await, "09:00", "left as it was");

        browser.cdp("Emulation.setScriptExecutionDisabled", json!({ "value": false })).await;
        browser.open(&format!("{}/account/notifications", app.address)).await;
        assert_accessible(&browser, "notifications").await;

        let user = {
            let mut conn = app.db.connection().unwrap();
            let found = mend::db::models::user::find_by_email(&mut conn, "learner@example.test");
            UserId::from(found.unwrap().unwrap().id)
        };
        let key = UnsubscribeKey::new(&SecretKey::from_hex(TEST_SECRET_HEX).unwrap());
        browser.open(&key.link(&app.address, user, Topic::PartnerUpdates)).await;
        assert_eq!(browser.text("h1").await, "Stop these emails?");
        assert_accessible(&browser, "unsubscribe-confirm").await;
        click(&browser, "form[action^='/unsubscribe/'] button").await;
        assert_eq!(browser.text("h1").await, "You're unsubscribed");
        assert_accessible(&browser, "unsubscribe-done").await;
        browser.open(&format!("{}/account/notifications", app.address)).await;
        assert!(!checked(&browser, "partner_updates").await, "the page shows the unsubscribe");
        browser.quit().await;
    }
}
