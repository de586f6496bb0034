//! The quick exit as a person in a hurry uses it, in a real browser: without JavaScript a plain
//! link that leaves; with it, the page is replaced so "back" does not return to Mend, and Esc
//! twice does the same. The exit goes to a page served here, so no test needs the internet.
//! Also axe, light and dark, on the support and discretion pages.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use fantoccini::Locator;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use mend::domain::account::Role;
use serde_json::json;

use crate::accessibility::check_every_view;
use crate::harness::Browser;
use crate::support::{Backend, TestApp, eventually};
use crate::test_case;

/// A neutral page on a port of its own, standing in for the weather site: answers every
/// request with the same small page, on a thread that lives as long as the test process.
fn neutral_site() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}/forecast", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let body = "<!DOCTYPE html><html lang=\"en\"><title>Forecast</title><h1>Sunny spells</h1></html>";
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    address
}

/// The app with its quick exit pointed at `target`.
async fn app_leaving_for(target: &str) -> TestApp {
    let target = url::Url::parse(target).unwrap();
    TestApp::create_with(Backend::Sqlite, |s| s.quick_exit_url = target).await.unwrap()
}

/// Waits until the browser shows a page whose URL starts with `prefix`.
async fn wait_for_url(browser: &Browser, prefix: &str, what: &str) -> String {
    eventually(what, Duration::from_secs(20), || async {
        let url = browser.client.current_url().await.ok()?.to_string();
        url.starts_with(prefix).then_some(url)
    })
    .await
}

async fn press(browser: &Browser, key: Key) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    browser.client.perform_actions(keys).await.unwrap();
}

test_case! {
    needs [Browser]
    async fn without_javascript_the_quick_exit_is_a_link_that_leaves() {
        let exit = neutral_site();
        let app = app_leaving_for(&exit).await;
        let browser = Browser::launch().await;
        browser.cdp("Emulation.setScriptExecutionDisabled", json!({ "value": true })).await;
        browser.open(&format!("{}/courses/rebuilding-trust", app.address)).await;
        let link = browser.client.find(Locator::Css("#quick-exit")).await.unwrap();
        assert_eq!(link.text().await.unwrap(), "Quick exit");
        assert_eq!(link.attr("rel").await.unwrap().as_deref(), Some("noreferrer"));
        link.click().await.unwrap();
        wait_for_url(&browser, &exit, "the plain link to leave for the neutral site").await;
        assert_eq!(browser.text("h1").await, "Sunny spells");
        browser.quit().await;
    }
}

test_case! {
    needs [Browser]
    async fn with_javascript_the_quick_exit_replaces_the_page_so_back_does_not_return() {
        let exit = neutral_site();
        let app = app_leaving_for(&exit).await;
        let browser = Browser::launch().await;
        browser.open("data:text/html,<title>Before</title><p>before</p>").await;
        browser.open(&format!("{}/support", app.address)).await;
        let hint = browser.client.find(Locator::Css("[data-quick-exit-hint]")).await.unwrap();
        assert!(hint.is_displayed().await.unwrap(), "with JavaScript the page mentions Esc twice");
        browser.client.find(Locator::Css("#quick-exit")).await.unwrap().click().await.unwrap();
        wait_for_url(&browser, &exit, "the quick exit to replace the page").await;

        browser.client.execute("history.back();", vec![]).await.unwrap();
        let before = wait_for_url(&browser, "data:", "back to go to the page before Mend").await;
        assert!(!before.starts_with(&app.address), "back skipped Mend: {before}");
        browser.quit().await;
    }
}

test_case! {
    needs [Browser]
    async fn pressing_escape_twice_leaves_from_anywhere_on_the_page() {
        let exit = neutral_site();
        let app = app_leaving_for(&exit).await;
        let browser = Browser::launch().await;
        browser.open("data:text/html,<title>Before</title><p>before</p>").await;
        browser.open(&format!("{}/account/sign-in", app.address)).await;
        browser.client.find(Locator::Id("email")).await.unwrap().click().await.unwrap();
        press(&browser, Key::Escape).await;
        press(&browser, Key::Escape).await;
        wait_for_url(&browser, &exit, "Esc twice to leave").await;
        browser.client.execute("history.back();", vec![]).await.unwrap();
        wait_for_url(&browser, "data:", "back to go to the page before Mend").await;
        browser.quit().await;
    }
}

test_case! {
    needs [Browser]
    async fn support_and_discretion_pages_are_accessible() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        let mut report = String::new();
        for (page, path) in [("support", "/support"), ("course-support", "/courses/rebuilding-trust/support")] {
            report.push_str(&check_every_view(&browser, "safety", page, &app.address, path).await);
        }
        browser.sign_in_as(&app, "learner@example.com", Role::Learner).await;
        eventually("signing in", Duration::from_secs(20), || async {
            let url = browser.client.current_url().await.ok()?;
            (!url.path().starts_with("/account/sign-in")).then_some(())
        })
        .await;
        report.push_str(&check_every_view(&browser, "safety", "discretion", &app.address, "/account/discretion").await);
        browser.quit().await;
        assert!(report.is_empty(), "serious or critical accessibility violations:\n{report}");
    }
}
