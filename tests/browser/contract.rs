//! A couple writes and signs their relationship contract, each in their own browser with
//! JavaScript off: one invites, the other accepts; both open the contract, one saves, the
//! other saves from the page they opened before and gets the conflict page with the saved
//! version under their own unsaved text, resolves it and saves; both sign; the agreement is in
//! force and its signed PDF holds both names and the answers. The signed page passes axe.

use fantoccini::Locator;
use mend::domain::account::Role;
use serde_json::json;

use crate::accessibility::assert_this_page_accessible;
use crate::harness::Browser;
use crate::journey::{click, fill};
use crate::support::{Backend, TestApp};
use crate::test_case;
use crate::worksheets::download;

const CONTRACT: &str = "/worksheets/rebuilding-trust.relationship-contract";

/// Signs `email` in and enrols them in the sample course through its page.
async fn enrolled(browser: &Browser, app: &TestApp, email: &str) {
    browser.sign_in_as(app, email, Role::Learner).await;
    browser.open(&format!("{}/courses/rebuilding-trust", app.address)).await;
    fill(browser, "access_code", &app.sample_access_code()).await;
    click(browser, "form[action$='/enroll'] button").await;
}

/// Replaces what the field with id `id` holds.
async fn retype(browser: &Browser, id: &str, value: &str) {
    let field = browser.client.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Ticks the checkbox with id `id` (every required answer is needed before signing).
async fn tick(browser: &Browser, id: &str) {
    browser.client.find(Locator::Id(id)).await.unwrap().click().await.unwrap();
}

/// Turns page scripts off (the forms work without them) or back on (axe needs them).
async fn scripts(browser: &Browser, on: bool) {
    browser.cdp("Emulation.setScriptExecutionDisabled", json!({ "value": !on })).await;
}

/// The text of a PDF through poppler's `pdftotext`, or `None` when it is not installed.
fn pdf_text(bytes: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contract.pdf");
    std::fs::write(&path, bytes).unwrap();
    let output = std::process::Command::new("pdftotext").arg(&path).arg("-").output().ok()?;
    assert!(output.status.success(), "pdftotext failed");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Ana invites Ben from the partner page; Ben accepts from the mailed link.
async fn link(app: &TestApp, ana: &Browser, ben: &Browser) {
    ana.open(&format!("{}/partner", app.address)).await;
    fill(ana, "email", "ben@example.test").await;
    click(ana, "form[action='/partner/invite'] button").await;
    let invitation = app.link_to("ben@example.test", 1, "/invitation").await;
    ben.open(&format!("{}{invitation}", app.address)).await;
    click(ben, "button[value=accept]").await;
    app.mail_to("ana@example.test", 1).await;
}

test_case! {
    needs [Browser]
    async fn a_couple_writes_their_contract_together_resolves_a_conflict_signs_and_downloads_it() {
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        let ana = Browser::launch().await;
        let ben = Browser::launch().await;
        enrolled(&ana, &app, "ana@example.test").await;
        enrolled(&ben, &app, "ben@example.test").await;
        link(&app, &ana, &ben).await;
        scripts(&ana, false).await;
        scripts(&ben, false).await;

        ana.open(&format!("{}{CONTRACT}", app.address)).await;
        ben.open(&format!("{}{CONTRACT}", app.address)).await;
        assert!(ana.text(".sharing__who").await.contains("You and your partner both see and edit this."));
        fill(&ana, "answers.fidelity_means", "Honesty every day").await;
        fill(&ana, "answers.boundaries", "No secrets").await;
        tick(&ana, "answers.both_agree").await;
        click(&ana, "button[value=save]").await;
        assert_eq!(ana.text(".banner--notice").await, "Saved.");

        fill(&ben, "answers.fidelity_means", "Kindness first").await;
        click(&ben, "button[value=save]").await;
        assert!(ben.text(".banner--notice").await.contains("Your text below is not saved yet"));
        assert!(ben.text(".saved-elsewhere__text").await.contains("Honesty every day"));
        let typed = ben.client.find(Locator::Id("answers.fidelity_means")).await.unwrap();
        assert_eq!(typed.prop("value").await.unwrap().unwrap_or_default(), "Kindness first");
        retype(&ben, "answers.fidelity_means", "Honesty every day, and kindness first").await;
        retype(&ben, "answers.boundaries", "No secrets").await;
        tick(&ben, "answers.both_agree").await;
        click(&ben, "button[value=save]").await;
        assert_eq!(ben.text(".banner--notice").await, "Saved.");

        fill(&ben, "full_name", "Ben Lind").await;
        click(&ben, "form[action$='/sign'] button").await;
        assert!(ben.text("#agreement").await.contains("Waiting for your partner's signature."));
        app.mail_to("ana@example.test", 2).await;

        ana.open(&format!("{}{CONTRACT}", app.address)).await;
        assert!(ana.text("#agreement").await.contains("Your partner has signed this version."));
        fill(&ana, "full_name", "Ana Lind").await;
        click(&ana, "form[action$='/sign'] button").await;
        let agreement = ana.text("#agreement").await;
        assert!(agreement.contains("signed by both of you"), "{agreement}");
        app.mail_to("ana@example.test", 3).await;
        app.mail_to("ben@example.test", 2).await;

        scripts(&ana, true).await;
        ana.open(&format!("{}{CONTRACT}", app.address)).await;
        assert_this_page_accessible(&ana, "contract", "contract-in-force").await;
        let response = download(&ana, &app, &format!("{CONTRACT}/agreement/download?format=pdf")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let pdf = response.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF"), "a PDF");
        if let Some(text) = pdf_text(&pdf) {
            for expected in ["Ana Lind", "Ben Lind", "kindness first"] {
                assert!(text.contains(expected), "{expected} in the signed PDF: {text}");
            }
        }
        ana.quit().await;
        ben.quit().await;
    }
}
