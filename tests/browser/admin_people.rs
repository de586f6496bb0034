//! The admin People pages in a real browser, without JavaScript doing anything: the search,
//! a person's page and deactivation through its form, axe-clean in every view, and a hostile
//! name shown as text.

use fantoccini::Locator;
use mend::domain::account::Role;

use crate::accessibility::check_every_view;
use crate::harness::Browser;
use crate::support::{Backend, PASSWORD, TestApp};
use crate::test_case;

test_case! {
    needs [Browser]
    async fn admin_people_pages_are_accessible_and_deactivate_without_javascript() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.sign_in_as(&app, "admin@example.com", Role::Admin).await;
        let password = mend::domain::account::NewPassword::parse(PASSWORD.into()).unwrap();
        let hash = mend::auth::password::hash(&password).unwrap();
        let now = crate::support::epoch().naive_utc();
        let new = mend::db::models::user::NewUser {
            email: "hostile@example.com",
            display_name: "Zoë <script>alert(1)</script> \"O'Neil\" مريم 💔",
            password_hash: &hash,
            role: "learner",
            email_verified_at: Some(now),
            time_zone: "UTC",
            created_at: now,
            updated_at: now,
        };
        let mut conn = app.db.connection().unwrap();
        let user = mend::db::models::user::insert(&mut conn, &new).unwrap();
        drop(conn);

        let mut report = check_every_view(&browser, "admin-people", "people", &app.address, "/admin/people?q=zoe").await;
        let name = browser.text("table.admin-table tbody th a").await;
        assert!(name.contains("<script>alert(1)</script>"), "shown as text: {name}");
        let person = format!("/admin/people/{}", user.id);
        report.push_str(&check_every_view(&browser, "admin-people", "person", &app.address, &person).await);

        let deactivate = browser.client.find(Locator::Css("form[action$='/deactivate'] button")).await.unwrap();
        deactivate.click().await.unwrap();
        // The click only starts the form's navigation: wait for the page it lands on.
        let notice = browser.client.wait().for_element(Locator::Css(".admin-main [role=status]")).await;
        let notice = notice.unwrap().text().await.unwrap();
        assert!(notice.contains("deactivated"), "{notice}");
        browser.quit().await;
        assert!(report.is_empty(), "serious or critical accessibility violations:\n{report}");
    }
}
