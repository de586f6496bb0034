//! Delivery: `HEAD` on every page and asset, 405 with `Allow` for other methods, and gzip or
//! brotli negotiated by `Accept-Encoding`.

use std::io::Read;

use reqwest::Method;
use reqwest::header::{ACCEPT_ENCODING, ALLOW, CONTENT_ENCODING, VARY};

use crate::both_backends;
use crate::support::TestApp;

/// The content-hashed stylesheet the home page links to.
async fn stylesheet(app: &TestApp) -> String {
    let html = app.get("/").await.text().await.unwrap();
    let start = html.find("/static/app.").expect("a stylesheet link");
    html[start..].split('"').next().unwrap().to_owned()
}

/// A request with `Accept-Encoding: encoding`, as the learner holding `token` when given.
async fn fetch(
    app: &TestApp,
    method: Method,
    path: &str,
    encoding: &str,
    token: Option<&str>,
) -> reqwest::Response {
    let url = format!("{}{path}", app.address);
    let request = app.client.request(method, url).header(ACCEPT_ENCODING, encoding);
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.unwrap()
}

async fn send(app: &TestApp, method: Method, path: &str, encoding: &str) -> reqwest::Response {
    fetch(app, method, path, encoding, None).await
}

fn decoded(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out).unwrap(),
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out).unwrap(),
        other => panic!("unexpected encoding {other}"),
    };
    out
}

both_backends! {
    async fn head_answers_like_get_without_the_body(app: TestApp) {
        let css = stylesheet(&app).await;
        for path in ["/", css.as_str(), "/courses/rebuilding-trust", "/account/sign-in", "/healthz", "/api/v1/courses"] {
            let get = send(&app, Method::GET, path, "identity").await;
            let head = send(&app, Method::HEAD, path, "identity").await;
            assert_eq!(head.status(), 200, "HEAD {path}");
            for name in ["content-type", "cache-control", "content-security-policy"] {
                assert_eq!(head.headers().get(name), get.headers().get(name), "{name} of HEAD {path}");
            }
            assert!(head.bytes().await.unwrap().is_empty(), "HEAD {path} has no body");
        }
        let asset = send(&app, Method::HEAD, &css, "identity").await;
        assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    }

    async fn other_methods_answer_405_with_allow(app: TestApp) {
        for (method, path, allow) in [
            (Method::DELETE, "/", "GET, HEAD"),
            (Method::PUT, "/account/sign-in", "GET, HEAD, POST"),
            (Method::GET, "/api/v1/auth/login", "POST"),
            (Method::POST, "/api/v1/courses/rebuilding-trust/lessons/welcome/complete", "PUT, DELETE"),
        ] {
            let response = send(&app, method.clone(), path, "identity").await;
            assert_eq!(response.status(), 405, "{method} {path}");
            assert_eq!(response.headers()[ALLOW], allow, "{method} {path}");
        }
        assert_eq!(send(&app, Method::GET, "/no/such/page", "identity").await.status(), 404);
    }

    async fn gzip_and_brotli_decode_to_the_same_bytes(app: TestApp) {
        let token = crate::learner_api::token(&app).await;
        let code = serde_json::json!({ "access_code": app.sample_access_code() });
        let enroll = format!("{}/api/v1/courses/rebuilding-trust/enroll", app.address);
        let enrolled = app.client.post(enroll).bearer_auth(&token).json(&code).send().await.unwrap();
        assert_eq!(enrolled.status(), 201);
        let css = stylesheet(&app).await;
        // The lesson's pre-rendered HTML, served to its enrolled learner.
        let lesson = "/api/v1/courses/rebuilding-trust/lessons/welcome";
        for path in ["/", css.as_str(), lesson, "/account/sign-in"] {
            let plain = fetch(&app, Method::GET, path, "identity", Some(&token)).await;
            let status = plain.status();
            assert!(plain.headers().get(CONTENT_ENCODING).is_none(), "{path}");
            let plain = plain.bytes().await.unwrap();
            for encoding in ["gzip", "br"] {
                let response = fetch(&app, Method::GET, path, encoding, Some(&token)).await;
                assert_eq!(response.status(), status, "{encoding} {path}");
                assert_eq!(response.headers()[CONTENT_ENCODING], encoding, "{path}");
                let vary = response.headers()[VARY].to_str().unwrap().to_ascii_lowercase();
                assert!(vary.contains("accept-encoding"), "{path}: {vary}");
                let body = response.bytes().await.unwrap();
                assert!(body.len() < plain.len(), "{encoding} {path} is smaller");
                assert_eq!(decoded(encoding, &body), plain, "{encoding} {path}");
            }
        }
    }
}
