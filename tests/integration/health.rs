use crate::both_backends;
use crate::support::TestApp;
use crate::test_case;

both_backends! {
    async fn healthz_answers_without_touching_the_database(app: TestApp) {
        app.test_db.destroy();
        let response = app.get("/healthz").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "ok\n");
    }

    async fn readyz_flips_to_503_when_the_database_goes_away(app: TestApp) {
        let response = app.get("/readyz").await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ready");

        app.test_db.destroy();

        let response = app.get("/readyz").await;
        assert_eq!(response.status(), 503);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["database"], "unreachable");
    }
}

test_case! {
    /// A server started with `--watch` on broken content runs (so the author can fix it) but is not
    /// ready: there is no catalog to serve.
    async fn readyz_is_503_until_the_content_compiles() {
        let scratch = tempfile::tempdir().unwrap();
        let content = crate::support::copy_of_sample_content(scratch.path());
        let lesson = content.join("rebuilding-trust/01-before-you-begin/01-welcome.md");
        std::fs::write(&lesson, "no front matter here\n").unwrap();
        let app = TestApp::create_with(crate::support::Backend::Sqlite, |settings| {
            settings.content_dir = content.clone();
            settings.watch = true;
        })
        .await
        .unwrap();
        let response = app.get("/readyz").await;
        assert_eq!(response.status(), 503);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["catalog"], "not loaded");
        assert_eq!(body["database"], "ok");
        assert_eq!(app.get("/").await.status(), 503, "pages say the content is not ready");
    }
}
