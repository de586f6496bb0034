//! Two partners, each in their own browser: one invites, the other accepts from the mailed
//! link, the first ends the link after reading what that means. Every partner page passes axe
//! in every view.

use mend::domain::account::Role;

use crate::accessibility::assert_this_page_accessible;
use crate::harness::Browser;
use crate::journey::{click, fill};
use crate::support::{Backend, TestApp};
use crate::test_case;

/// Fails on any serious or critical axe violation of the partner page shown now.
async fn assert_accessible(browser: &Browser, page: &str) {
    assert_this_page_accessible(browser, "partners", page).await;
}

test_case! {
    needs [Browser]
    async fn two_partners_invite_accept_and_end_the_link_in_their_own_browsers() {
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        let ana = Browser::launch().await;
        let ben = Browser::launch().await;
        ana.sign_in_as(&app, "ana@example.test", Role::Learner).await;
        ben.sign_in_as(&app, "ben@example.test", Role::Learner).await;

        ana.open(&format!("{}/partner", app.address)).await;
        assert_accessible(&ana, "partner-none").await;
        fill(&ana, "email", "ben@example.test").await;
        click(&ana, "form[action='/partner/invite'] button").await;
        assert!(ana.text("main").await.contains("You invited ben@example.test"));
        assert_accessible(&ana, "partner-invited").await;

        let link = app.link_to("ben@example.test", 1, "/invitation").await;
        ben.open(&format!("{}{link}", app.address)).await;
        assert!(ben.text("h1").await.contains("invited you to link your accounts"));
        assert_accessible(&ben, "invitation").await;
        click(&ben, "button[value=accept]").await;
        assert!(ben.text("main").await.contains("linked your accounts"));
        assert_accessible(&ben, "partner-linked").await;
        app.mail_to("ana@example.test", 1).await;

        ana.open(&format!("{}/partner/end", app.address)).await;
        assert!(ana.text("main").await.contains("every agreement that was in force"));
        assert_accessible(&ana, "partner-end").await;
        click(&ana, "form[action='/partner/end'] button").await;
        assert!(ana.text("main").await.contains("Invite your partner"));
        app.mail_to("ben@example.test", 2).await;
        ana.quit().await;
        ben.quit().await;
    }
}
