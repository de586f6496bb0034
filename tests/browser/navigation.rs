//! Getting around as a person does: with the keyboard, and by following links.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;

use crate::harness::Browser;
use crate::support::{Backend, TestApp, eventually};
use crate::test_case;

async fn press(browser: &Browser, key: Key) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    browser.client.perform_actions(keys).await.unwrap();
}

async fn focused_attribute(browser: &Browser, name: &str) -> Option<String> {
    let focused = browser.client.active_element().await.unwrap();
    focused.attr(name).await.unwrap()
}

test_case! {
    needs [Browser]
    async fn tab_reaches_the_quick_exit_then_the_skip_link_which_moves_focus_to_main() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.open(&format!("{}/", app.address)).await;

        press(&browser, Key::Tab).await;
        assert_eq!(focused_attribute(&browser, "id").await.as_deref(), Some("quick-exit"));
        let focused = browser.client.active_element().await.unwrap();
        assert_eq!(focused.text().await.unwrap(), "Quick exit");
        press(&browser, Key::Tab).await;
        assert_eq!(focused_attribute(&browser, "class").await.as_deref(), Some("skip-link"));
        let focused = browser.client.active_element().await.unwrap();
        assert_eq!(focused.text().await.unwrap(), "Skip to main content");
        let (_x, top, _width, height) = focused.rectangle().await.unwrap();
        assert!(top >= 0.0 && height > 0.0, "the focused skip link is on screen (top {top})");
        browser.screenshot("keyboard", "skip-link-focused").await;

        press(&browser, Key::Enter).await;
        assert_eq!(focused_attribute(&browser, "id").await.as_deref(), Some("main"));
        browser.quit().await;
    }
}

test_case! {
    needs [Browser]
    async fn a_reader_can_walk_from_the_catalog_through_three_lessons() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.sign_in_as_author(&app, "author@example.com").await;
        browser.open(&format!("{}/", app.address)).await;

        let course_link = browser.client.find(Locator::LinkText("Rebuilding Trust Together")).await;
        course_link.unwrap().click().await.unwrap();
        assert_eq!(browser.text("h1").await, "Rebuilding Trust Together");
        browser.screenshot("navigation", "course").await;

        let start = browser.client.find(Locator::LinkText("Start the course")).await.unwrap();
        start.click().await.unwrap();
        let mut seen = vec![browser.text("h1").await];
        for step in 1..=3 {
            let next = browser.client.find(Locator::Css("a[rel=next]")).await.unwrap();
            next.click().await.unwrap();
            let what = format!("step {step} to reach a new lesson after {seen:?}");
            let heading = eventually(&what, Duration::from_secs(20), || async {
                let h1 = browser.client.find(Locator::Css("h1")).await.ok()?;
                let heading = h1.text().await.ok()?;
                (!seen.contains(&heading)).then_some(heading)
            })
            .await;
            browser.screenshot("navigation", &format!("lesson-{step}")).await;
            let title = browser.client.title().await.unwrap();
            assert_eq!(title, "Mend", "tab titles are neutral by default");
            seen.push(heading);
        }
        assert_eq!(seen.len(), 4);
        browser.quit().await;
    }
}
