use crate::both_backends;
use crate::support::TestApp;

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
