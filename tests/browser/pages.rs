//! How pages sit on a phone and a desktop: the navigation, the course page of an enrolled
//! learner, and the time zone select that the browser fills in.

use fantoccini::Locator;
use mend::domain::account::Role;
use serde_json::{Value, json};

use crate::accessibility::check_every_view;
use crate::harness::Browser;
use crate::support::{Backend, TestApp};
use crate::test_case;

const COURSE: &str = "/courses/rebuilding-trust";

/// Each navigation item's label, top and height, in page order.
async fn nav_items(browser: &Browser) -> Vec<(String, f64, f64)> {
    let script = "return [...document.querySelectorAll('.site-nav li > a, .site-nav li button')]
        .map(e => { const r = e.getBoundingClientRect(); return [e.textContent.trim(), r.top, r.height]; });";
    let items = browser.client.execute(script, vec![]).await.unwrap();
    let items: Vec<(String, f64, f64)> = serde_json::from_value(items).unwrap();
    assert_eq!(items.len(), 8, "a signed-in learner's eight items: {items:?}");
    items
}

/// The top of the first element matching `css`, in page coordinates.
async fn top_of(browser: &Browser, css: &str) -> f64 {
    let script = "const e = document.querySelector(arguments[0]);
        return e ? e.getBoundingClientRect().top + window.scrollY : null;";
    let top = browser.client.execute(script, vec![json!(css)]).await.unwrap();
    top.as_f64().unwrap_or_else(|| panic!("no {css} on the page"))
}

async fn select_value(browser: &Browser) -> String {
    let value = browser.client.execute("return document.getElementById('time_zone').value", vec![]);
    value.await.unwrap().as_str().unwrap().to_owned()
}

test_case! {
    needs [Browser]
    async fn navigation_labels_never_wrap_and_sign_out_lines_up() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.sign_in_as(&app, "learner@example.com", Role::Learner).await;
        for width in [390, 1280] {
            browser.client.set_window_size(width, 900).await.unwrap();
            browser.open(&format!("{}/", app.address)).await;
            browser.screenshot("pages", &format!("navigation-{width}")).await;
            let items = nav_items(&browser).await;
            let heights: Vec<f64> = items.iter().map(|(_, _, height)| *height).collect();
            let tallest = heights.iter().copied().fold(0.0, f64::max);
            let shortest = heights.iter().copied().fold(f64::MAX, f64::min);
            assert!(
                tallest - shortest < 1.0,
                "at {width}px no label wraps onto a second line: {items:?}"
            );
            assert!(shortest >= 44.0, "at {width}px every item is a 44px target: {items:?}");
            if width == 1280 {
                let tops: Vec<f64> = items.iter().map(|(_, top, _)| *top).collect();
                assert!(tops.iter().all(|top| (top - tops[0]).abs() < 1.0), "one row: {items:?}");
            }
        }
        browser.quit().await;
    }
}

test_case! {
    needs [Browser]
    async fn an_enrolled_learner_sees_the_lessons_before_the_landing_text() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.sign_in_as(&app, "learner@example.com", Role::Learner).await;
        browser.open(&format!("{}{COURSE}", app.address)).await;
        let code = app.sample_access_code();
        let field = browser.client.find(Locator::Id("access_code")).await.unwrap();
        let (_x, _y, code_width, _h) = field.rectangle().await.unwrap();
        assert!(code_width < 300.0, "the code field is sized for a code ({code_width}px)");
        field.send_keys(&code).await.unwrap();
        let enrol = browser.client.find(Locator::Css("form[action$='/enroll'] button")).await;
        enrol.unwrap().click().await.unwrap();

        for width in [390, 1280] {
            browser.client.set_window_size(width, 900).await.unwrap();
            browser.open(&format!("{}{COURSE}", app.address)).await;
            let start = top_of(&browser, "a.button[href$='/lessons/welcome']").await;
            assert!(
                start < 900.0,
                "at {width}px \"Start the course\" is in the first screen ({start})"
            );
            let (outline, about) =
                (top_of(&browser, "#outline").await, top_of(&browser, "details.about").await);
            assert!(outline < about, "at {width}px the lessons come first ({outline} vs {about})");
            let open =
                browser.client.execute("return document.querySelector('details.about').open", vec![]);
            assert_eq!(
                open.await.unwrap(),
                Value::Bool(false),
                "the landing text waits behind a summary"
            );
        }
        let start = browser.client.find(Locator::LinkText("Start the course")).await;
        assert!(start.is_ok(), "nothing opened yet, so the course starts rather than resumes");
        let report = check_every_view(&browser, "pages", "course-enrolled", &app.address, COURSE).await;
        browser.quit().await;
        assert!(report.is_empty(), "serious or critical accessibility violations:\n{report}");
    }
}

test_case! {
    needs [Browser]
    async fn the_time_zone_comes_from_the_browser_and_a_choice_survives_the_form_coming_back() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.cdp("Emulation.setTimezoneOverride", json!({ "timezoneId": "Pacific/Auckland" })).await;
        browser.client.set_window_size(390, 900).await.unwrap();
        browser.open(&format!("{}/account/register", app.address)).await;
        assert_eq!(select_value(&browser).await, "Pacific/Auckland", "picked from the browser");
        let select = browser.client.find(Locator::Id("time_zone")).await.unwrap();
        let (_x, _y, _w, height) = select.rectangle().await.unwrap();
        assert!(height >= 44.0, "the select is a 44px target ({height}px)");

        let option = browser.client.find(Locator::Css("option[value='Europe/Lisbon']")).await;
        option.unwrap().click().await.unwrap();
        for (id, value) in
            [("email", "robin@example.test"), ("display_name", "Robin"), ("password", "short")]
        {
            browser.client.find(Locator::Id(id)).await.unwrap().send_keys(value).await.unwrap();
        }
        let submit = browser.client.find(Locator::Css("main form button[type=submit]")).await;
        submit.unwrap().click().await.unwrap();
        let error = browser.client.wait().for_element(Locator::Id("password-error")).await;
        assert!(error.is_ok(), "the form came back with the password problem");
        assert_eq!(select_value(&browser).await, "Europe/Lisbon", "the learner's choice is kept");
        browser.screenshot("pages", "register-reshown").await;

        let offer = browser.client.find(Locator::Id("time_zone-detected")).await.unwrap();
        assert!(offer.is_displayed().await.unwrap(), "the browser's zone is offered, not forced");
        assert!(offer.text().await.unwrap().contains("Pacific/Auckland"));
        offer.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
        assert_eq!(select_value(&browser).await, "Pacific/Auckland");
        browser.quit().await;
    }
}
