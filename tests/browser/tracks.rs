//! A learner chooses their track in a real browser, without JavaScript: the course page invites
//! them, the track page takes the choice, and the outline then lists their own lessons and the
//! together ones. The outline and the track page pass axe, light and dark.

use fantoccini::Locator;
use mend::domain::account::Role;
use serde_json::json;

use crate::accessibility::assert_this_page_accessible;
use crate::harness::Browser;
use crate::journey::{click, fill};
use crate::support::{Backend, TestApp};
use crate::test_case;

const COURSE: &str = "/courses/rebuilding-trust";

test_case! {
    needs [Browser]
    async fn a_learner_chooses_a_track_and_the_outline_shows_their_lessons() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.sign_in_as(&app, "learner@example.test", Role::Learner).await;
        browser.cdp("Emulation.setScriptExecutionDisabled", json!({ "value": true })).await;
        browser.open(&format!("{}{COURSE}", app.address)).await;
        fill(&browser, "access_code", &app.sample_access_code()).await;
        click(&browser, "form[action$='/enroll'] button").await;

        assert_eq!(browser.text(".banner--notice h3").await, "Choose your track");
        click(&browser, &format!("a[href='{COURSE}/track']")).await;
        let radio = browser.client.find(Locator::Id("track-betrayed")).await.unwrap();
        radio.click().await.unwrap();
        click(&browser, "form[action$='/track'] button[type=submit]").await;

        let outline = browser.text("ol.outline").await;
        assert!(outline.contains("Your needs matter"), "own lessons: {outline}");
        assert!(outline.contains("Welcome"), "together lessons: {outline}");
        assert!(outline.contains("Together"), "together lessons are marked: {outline}");
        assert!(!outline.contains("How your partner can help"), "not the other track: {outline}");
        let chosen = browser.text(".enrolled").await;
        assert!(chosen.contains("Your track: For the partner who was betrayed"), "{chosen}");

        // axe runs as page script.
        browser.cdp("Emulation.setScriptExecutionDisabled", json!({ "value": false })).await;
        browser.open(&format!("{}{COURSE}", app.address)).await;
        assert_this_page_accessible(&browser, "tracks", "outline").await;
        browser.open(&format!("{}{COURSE}/track", app.address)).await;
        assert_this_page_accessible(&browser, "tracks", "track-page").await;
        browser.quit().await;
    }
}
