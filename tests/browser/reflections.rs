//! Two partners, each in their own browser, answer the welcome lesson's reflection and choose
//! to share it: the first waits, and once the second has answered too both answers appear,
//! on the lesson and side by side on the "Reflections" page. Both pages pass axe.

use fantoccini::Locator;
use mend::domain::account::Role;

use crate::accessibility::assert_this_page_accessible;
use crate::harness::Browser;
use crate::journey::{click, fill};
use crate::support::{Backend, TestApp};
use crate::test_case;

const LESSON: &str = "/courses/rebuilding-trust/lessons/welcome";
const ANSWER: &str = "reflection-small_sign-answer";

/// Signs a learner in and enrols them through the course page.
async fn enrolled(browser: &Browser, app: &TestApp, email: &str) {
    browser.sign_in_as(app, email, Role::Learner).await;
    browser.open(&format!("{}/courses/rebuilding-trust", app.address)).await;
    fill(browser, "access_code", &app.sample_access_code()).await;
    click(browser, "form[action$='/enroll'] button").await;
}

/// Writes `text` as the answer, ticks "share with my partner" and saves.
async fn answer_and_share(browser: &Browser, app: &TestApp, text: &str) {
    browser.open(&format!("{}{LESSON}", app.address)).await;
    fill(browser, ANSWER, text).await;
    let share = browser.client.find(Locator::Id(&format!("{ANSWER}-share"))).await.unwrap();
    share.click().await.unwrap();
    click(browser, "form[action$='/reflections/small_sign'] button").await;
}

test_case! {
    needs [Browser]
    async fn partners_answer_a_reflection_and_see_both_once_both_share() {
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        let (ana, ben) = (Browser::launch().await, Browser::launch().await);
        enrolled(&ana, &app, "ana@example.test").await;
        enrolled(&ben, &app, "ben@example.test").await;
        ana.open(&format!("{}/partner", app.address)).await;
        fill(&ana, "email", "ben@example.test").await;
        click(&ana, "form[action='/partner/invite'] button").await;
        let link = app.link_to("ben@example.test", 1, "/invitation").await;
        ben.open(&format!("{}{link}", app.address)).await;
        click(&ben, "button[value=accept]").await;
        app.mail_to("ana@example.test", 1).await;

        answer_and_share(&ana, &app, "Laughing together once").await;
        assert!(ana.text(".reflection__status").await.contains("once your partner has answered"));
        assert!(ana.client.find(Locator::Css(".reflection__partner")).await.is_err(), "nothing revealed yet");
        assert_this_page_accessible(&ana, "reflections", "lesson-waiting").await;

        answer_and_share(&ben, &app, "A walk without silence").await;
        assert!(ben.text(".reflection__partner").await.contains("Laughing together once"));
        assert_this_page_accessible(&ben, "reflections", "lesson-revealed").await;

        ana.open(&format!("{}/reflections", app.address)).await;
        let pair = ana.text(".reflection-pair--revealed").await;
        assert!(pair.contains("Laughing together once") && pair.contains("A walk without silence"), "{pair}");
        assert_this_page_accessible(&ana, "reflections", "reflections").await;
        ana.quit().await;
        ben.quit().await;
    }
}
