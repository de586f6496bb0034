//! An admin brings a cohort in from a spreadsheet in a real browser: the upload form, the
//! preview of each row's fate (nothing changed yet), then the commit, each page axe-clean.

use fantoccini::Locator;
use mend::domain::account::Role;

use crate::accessibility::{assert_this_page_accessible, check_every_view};
use crate::harness::Browser;
use crate::journey::click;
use crate::support::{Backend, TestApp};
use crate::test_case;

test_case! {
    needs [Browser]
    async fn an_admin_previews_a_csv_import_then_commits_it() {
        let browser = Browser::launch().await;
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        browser.sign_in_as(&app, "admin@example.com", Role::Admin).await;
        let report = check_every_view(&browser, "admin_import", "upload", &app.address, "/admin/enrolments/import").await;
        assert!(report.is_empty(), "upload form: {report}");

        let scratch = tempfile::tempdir().unwrap();
        let file = scratch.path().join("cohort.csv");
        std::fs::write(&file, "\u{feff}email,name,course\r\nnew@example.com,\"Lee, Sam\",rebuilding-trust\r\nnot-an-email,X,rebuilding-trust\r\n").unwrap();
        browser.open(&format!("{}/admin/enrolments/import", app.address)).await;
        let input = browser.client.find(Locator::Id("file")).await.unwrap();
        input.send_keys(&file.to_string_lossy()).await.unwrap();
        click(&browser, "main form button[type=submit]").await;

        let preview = browser.text("main").await;
        assert!(preview.contains("Import preview") && preview.contains("will invite"), "{preview}");
        assert!(preview.contains("invalid email (line 3)"), "{preview}");
        assert_this_page_accessible(&browser, "admin_import", "preview").await;
        let mut conn = app.db.connection().unwrap();
        use diesel::prelude::*;
        use mend::db::schema::enrollment_invitations;
        let waiting = |conn: &mut mend::db::DbConnection| -> i64 {
            enrollment_invitations::table.count().get_result(conn).unwrap()
        };
        assert_eq!(waiting(&mut conn), 0, "the preview changed nothing");

        click(&browser, "main form button[type=submit]").await;
        let done = browser.text("main").await;
        assert!(done.contains("Import done") && done.contains("invited"), "{done}");
        assert_eq!(waiting(&mut conn), 1);
        assert_this_page_accessible(&browser, "admin_import", "committed").await;
        app.mail_to("new@example.com", 1).await;
        browser.quit().await;
    }
}
