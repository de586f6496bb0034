use crate::both_backends;
use crate::support::TestApp;

both_backends! {
    async fn unknown_pages_get_a_styled_404_and_api_paths_get_problem_json(app: TestApp) {
        let page = app.client.get(format!("{}/no/such/page", app.address))
            .header("Accept", "text/html").send().await.unwrap();
        assert_eq!(page.status(), 404);
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = page.text().await.unwrap();
        assert!(html.contains("<h1 id=\"error-title\">We couldn&#39;t find that page</h1>"), "{html}");
        assert!(html.contains("href=\"#main\""), "the error page keeps the skip link");

        let api = app.get("/api/v1/no-such-thing").await;
        assert_eq!(api.status(), 404);
        assert_eq!(api.headers()["content-type"], "application/problem+json");
        let problem: serde_json::Value = api.json().await.unwrap();
        assert_eq!(problem["status"], 404);
        assert!(problem["title"].is_string());
    }

    async fn every_response_carries_security_headers(app: TestApp) {
        for path in ["/", "/healthz", "/no/such/page"] {
            let response = app.get(path).await;
            let headers = response.headers();
            let csp = headers["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"), "{path}: {csp}");
            assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        }
    }

    async fn stylesheet_is_served_under_a_hashed_url_with_a_long_cache(app: TestApp) {
        let html = app.get("/").await.text().await.unwrap();
        let start = html.find("/static/app.").expect("the page links the stylesheet");
        let end = start + html[start..].find('"').unwrap();
        let url = &html[start..end];

        let css = app.get(url).await;
        assert_eq!(css.status(), 200);
        assert_eq!(css.headers()["content-type"], "text/css");
        assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert!(css.text().await.unwrap().contains("prefers-color-scheme: dark"));

        assert_eq!(app.get("/static/app.css").await.status(), 404, "unhashed names are not served");
    }
}
