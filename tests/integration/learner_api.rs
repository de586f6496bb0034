//! The learner JSON API: status codes, problem documents and the OpenAPI description.

use mend::domain::account::Role;
use serde_json::Value;

use crate::both_backends;
use crate::support::TestApp;

const API: &str = "/api/v1/courses/rebuilding-trust";

/// A bearer token for a new learner.
pub(crate) async fn token(app: &TestApp) -> String {
    app.signed_in_as("api@example.com", Role::Learner).await;
    let login = app
        .client
        .post(format!("{}/api/v1/auth/login", app.address))
        .json(&serde_json::json!({ "email": "api@example.com", "password": crate::support::PASSWORD }))
        .send()
        .await
        .unwrap();
    let body: Value = login.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

both_backends! {
    async fn the_learner_api_enrols_reads_and_completes(app: TestApp) {
        let token = token(&app).await;
        let call = |method: reqwest::Method, path: &str| {
            app.client.request(method, format!("{}{path}", app.address)).bearer_auth(&token)
        };
        let catalog: Value = call(reqwest::Method::GET, "/api/v1/courses").send().await.unwrap().json().await.unwrap();
        assert_eq!(catalog[0]["slug"], "rebuilding-trust");
        let lesson = format!("{API}/lessons/welcome");
        let refused = call(reqwest::Method::GET, &lesson).send().await.unwrap();
        assert_eq!(refused.status(), 403);
        assert_eq!(refused.headers()["content-type"], "application/problem+json");
        let no_code = call(reqwest::Method::POST, &format!("{API}/enroll")).send().await.unwrap();
        assert_eq!(no_code.status(), 422);
        let body = serde_json::json!({ "access_code": app.sample_access_code() });
        let enrolled = call(reqwest::Method::POST, &format!("{API}/enroll")).json(&body).send().await.unwrap();
        assert_eq!(enrolled.status(), 201);
        let again = call(reqwest::Method::POST, &format!("{API}/enroll")).json(&body).send().await.unwrap();
        assert_eq!(again.status(), 200);
        let read: Value = call(reqwest::Method::GET, &lesson).send().await.unwrap().json().await.unwrap();
        assert_eq!(read["next"], "safety-and-support");
        assert!(read["html"].as_str().unwrap().contains("<p>"));
        for _ in 0..2 {
            let done = call(reqwest::Method::PUT, &format!("{lesson}/complete")).send().await.unwrap();
            assert_eq!(done.status(), 204);
        }
        let locked = call(reqwest::Method::GET, &format!("{API}/lessons/what-recovery-looks-like")).send().await.unwrap();
        assert_eq!(locked.status(), 403);
        assert_eq!(call(reqwest::Method::GET, &format!("{API}/lessons/nope")).send().await.unwrap().status(), 404);
        let outline: Value = call(reqwest::Method::GET, API).send().await.unwrap().json().await.unwrap();
        assert_eq!(outline["progress"]["done"], 1);
        assert_eq!(outline["modules"][0]["lessons"][0]["state"], "completed");
        let progress: Value = call(reqwest::Method::GET, "/api/v1/me/progress").send().await.unwrap().json().await.unwrap();
        assert_eq!(progress[0]["progress"]["done"], 1);
        let undo = call(reqwest::Method::DELETE, &format!("{lesson}/complete")).send().await.unwrap();
        assert_eq!(undo.status(), 204);
        assert_eq!(call(reqwest::Method::POST, &format!("{API}/pause")).send().await.unwrap().status(), 204);
        let outline: Value = call(reqwest::Method::GET, API).send().await.unwrap().json().await.unwrap();
        assert_eq!(outline["paused"], true);
        assert_eq!(call(reqwest::Method::POST, &format!("{API}/resume")).send().await.unwrap().status(), 204);
    }

    async fn the_openapi_document_lists_the_learner_routes(app: TestApp) {
        let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
        let paths = &doc["paths"];
        for path in ["/api/v1/courses", "/api/v1/courses/{course}", "/api/v1/courses/{course}/enroll",
            "/api/v1/courses/{course}/lessons/{lesson}", "/api/v1/courses/{course}/lessons/{lesson}/complete",
            "/api/v1/me/progress", "/api/v1/courses/{course}/pause", "/api/v1/courses/{course}/resume"] {
            assert!(paths.get(path).is_some(), "{path} missing");
        }
        assert!(paths["/api/v1/courses/{course}/lessons/{lesson}/complete"].get("put").is_some());
        assert!(paths["/api/v1/courses/{course}/lessons/{lesson}/complete"].get("delete").is_some());
    }
}
