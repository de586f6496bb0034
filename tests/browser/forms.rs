//! A form re-shown after a problem, in a real browser (the GOV.UK error summary pattern): the
//! title says there is an error, the summary at the top has the focus, each of its links moves
//! the focus to its field, what was typed is still there (never a password), and the page passes
//! axe in light and dark, on a phone and a desktop.

use fantoccini::Locator;
use mend::domain::account::Role;
use serde_json::json;

use crate::accessibility::assert_this_page_accessible;
use crate::harness::Browser;
use crate::journey::{click, fill};
use crate::support::{Backend, TestApp};
use crate::test_case;

/// The id of the element that has the keyboard focus.
async fn focused_id(browser: &Browser) -> String {
    let id = browser.client.execute("return document.activeElement.id", vec![]).await.unwrap();
    id.as_str().unwrap_or_default().to_owned()
}

/// What the field with id `id` holds now.
async fn value_of(browser: &Browser, id: &str) -> String {
    let script = "return document.getElementById(arguments[0]).value";
    let value = browser.client.execute(script, vec![json!(id)]).await.unwrap();
    value.as_str().unwrap_or_else(|| panic!("no field {id}")).to_owned()
}

/// The re-shown form announces its problems and links each to its field, in the form's order.
async fn assert_error_summary_leads_to(browser: &Browser, fields: &[&str]) {
    let title = browser.client.title().await.unwrap();
    assert!(title.starts_with("Error:"), "the title says something went wrong: {title}");
    assert_eq!(focused_id(browser).await, "error-summary", "the summary has the focus");
    let links = browser.client.find_all(Locator::Css("#error-summary a")).await.unwrap();
    let mut targets = Vec::new();
    for link in &links {
        targets.push(link.attr("href").await.unwrap().unwrap_or_default());
    }
    let expected: Vec<String> = fields.iter().map(|field| format!("#{field}")).collect();
    assert_eq!(targets, expected, "one link per problem, in the form's order");
    for (link, field) in links.iter().zip(fields) {
        link.click().await.unwrap();
        assert_eq!(focused_id(browser).await, *field, "following the link focuses the field");
    }
}

test_case! {
    needs [Browser]
    async fn a_registration_with_problems_leads_from_a_focused_summary_to_each_field() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.open(&format!("{}/account/register", app.address)).await;
        fill(&browser, "email", "robin.example.test").await;
        fill(&browser, "display_name", "Robin").await;
        fill(&browser, "password", "short").await;
        click(&browser, "main form button[type=submit]").await;

        assert_error_summary_leads_to(&browser, &["email", "password"]).await;
        assert_eq!(value_of(&browser, "email").await, "robin.example.test", "the email is kept");
        assert_eq!(value_of(&browser, "display_name").await, "Robin", "the name is kept");
        assert_eq!(value_of(&browser, "password").await, "", "a password is never sent back");
        assert_this_page_accessible(&browser, "forms", "register-errors").await;
        browser.quit().await;
    }
}

test_case! {
    needs [Browser]
    async fn a_wrong_access_code_leads_from_a_focused_summary_to_the_code_kept_in_its_field() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.sign_in_as(&app, "learner@example.com", Role::Learner).await;
        browser.open(&format!("{}/courses/rebuilding-trust", app.address)).await;
        fill(&browser, "access_code", "WRONG-CODE").await;
        click(&browser, "form[action$='/enroll'] button").await;

        assert_error_summary_leads_to(&browser, &["access_code"]).await;
        assert_eq!(value_of(&browser, "access_code").await, "WRONG-CODE", "the code is kept");
        let message = browser.text("#access_code-error").await;
        assert!(!message.contains("access_code"), "no raw field name: {message}");
        assert_this_page_accessible(&browser, "forms", "enrol-errors").await;
        browser.quit().await;
    }
}
