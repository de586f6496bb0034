//! Input at the edge: return addresses, control characters in every parameter of every route,
//! strict JSON bodies, RFC 3339 times, display names, and an OpenAPI document that lists every
//! status the server really returns.

use mend::domain::account::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::learner_api::token;
use crate::support::{Browser, PASSWORD, TestApp};

/// A sample value for each path parameter of the route table and the OpenAPI document; a
/// parameter limited to alternatives (`{action:pause|resume}`) takes the first.
fn sample(param: &str) -> &str {
    let (name, pattern) = param.split_once(':').unwrap_or((param, ""));
    match name {
        "course" => "rebuilding-trust",
        "lesson" => "welcome",
        _ if pattern.contains('|') => pattern.split('|').next().unwrap(),
        _ => "x",
    }
}

/// `pattern` with every `{param}` filled by `fill(name)`, and the names in order.
fn expand(pattern: &str, fill: impl Fn(&str) -> String) -> (String, Vec<String>) {
    let (mut path, mut names, mut rest) = (String::new(), Vec::new(), pattern);
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').unwrap() + start;
        let spec = &rest[start + 1..end];
        path.push_str(&rest[..start]);
        path.push_str(&fill(spec));
        names.push(spec.split(':').next().unwrap().to_owned());
        rest = &rest[end + 1..];
    }
    path.push_str(rest);
    (path, names)
}

/// The field a problem document names.
async fn named_field(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["errors"][0]["field"].as_str().unwrap_or_default().to_owned())
}

/// The methods a path answers, from its 405 `Allow` header (HEAD left out: it has no body).
async fn methods_of(app: &TestApp, path: &str) -> Vec<Method> {
    let url = format!("{}{path}", app.address);
    let probe = app.client.request(Method::OPTIONS, url).send().await.unwrap();
    assert_eq!(probe.status(), 405, "OPTIONS {path}");
    let allow = probe.headers()["allow"].to_str().unwrap().to_owned();
    allow.split(", ").filter(|m| *m != "HEAD").map(|m| m.parse().unwrap()).collect()
}

/// Every form field name on the site's GET pages, as the signed-in learner sees them.
async fn form_fields(browser: &Browser<'_>) -> Vec<String> {
    let mut fields = vec!["session_id".to_owned(), "access_code".to_owned()];
    for pattern in mend::web::route_table().paths() {
        let (path, _) = expand(pattern, |p| sample(p).to_owned());
        let html = browser.get(&path).await.text().await.unwrap_or_default();
        for piece in html.split("name=\"").skip(1) {
            let name = piece.split('"').next().unwrap().to_owned();
            if !fields.contains(&name) && name != "csrf_token" {
                fields.push(name);
            }
        }
    }
    fields
}

/// Sends NUL in one place of one request and checks the answer names the field.
async fn assert_refused(request: reqwest::RequestBuilder, field: &str, what: &str) {
    let response = request.header("accept", "application/problem+json").send().await.unwrap();
    let (status, named) = named_field(response).await;
    assert_eq!(status, 422, "{what}");
    assert_eq!(named, field, "{what}");
}

both_backends! {
    async fn return_addresses_are_only_plain_local_paths(app: TestApp) {
        let browser = Browser::new(&app);
        for (next, kept) in [
            ("/courses/rebuilding-trust", "/courses/rebuilding-trust"),
            ("/a/./b/../c?x=1", "/a/c?x=1"),
            ("//evil.example/", "/dashboard"),
            ("/\\evil.example/", "/dashboard"),
            ("/%2f/evil.example/", "/dashboard"),
            ("/%252f%252fevil.example/", "/dashboard"),
            ("/%2509/evil.example/", "/dashboard"),
            ("https://evil.example/", "/dashboard"),
            ("https:evil.example", "/dashboard"),
            ("javascript:alert(1)", "/dashboard"),
        ] {
            let query: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
            let html = browser.get(&format!("/account/sign-in?next={query}")).await.text().await.unwrap();
            assert!(html.contains(&format!("name=\"next\" value=\"{kept}\"")), "{next} -> {kept}");
        }
        app.signed_in_as("next@example.com", Role::Learner).await;
        for c in (0u8..0x20).chain([0x7f]).map(char::from) {
            let next = format!("/{c}/evil.example/");
            let browser = Browser::new(&app);
            let fields = [("email", "next@example.com"), ("password", PASSWORD), ("next", next.as_str())];
            let response = browser.submit("/account/sign-in", &fields).await;
            if matches!(c, '\t' | '\n' | '\r') {
                assert_eq!(response.status(), 303, "{c:?}");
                assert_eq!(response.headers()["location"], "/dashboard", "{c:?}");
                assert_eq!(browser.account_status().await, 200, "{c:?} signed in");
            } else {
                assert_eq!(response.status(), 422, "{c:?} refused before the password is checked");
            }
        }
    }

    async fn nul_in_any_parameter_of_any_route_is_refused_naming_it(app: TestApp) {
        let token = token(&app).await;
        let browser = app.signed_in_as("nul@example.com", Role::Learner).await;
        let csrf = browser.csrf().await;
        let fields = form_fields(&browser).await;
        for pattern in mend::web::route_table().paths() {
            let (path, names) = expand(pattern, |p| sample(p).to_owned());
            let api = path.starts_with("/api/");
            let client = if api { &app.client } else { &browser.client };
            for method in methods_of(&app, &path).await {
                let call = |path: &str| {
                    let request = client.request(method.clone(), format!("{}{path}", app.address));
                    if api { request.bearer_auth(&token) } else { request }
                };
                for name in names.iter().filter(|n| n.as_str() != "action") {
                    let (nul_path, _) = expand(pattern, |p| {
                        if p.starts_with(name.as_str()) { "a%00b".to_owned() } else { sample(p).to_owned() }
                    });
                    assert_refused(call(&nul_path), name, &format!("{method} {nul_path}")).await;
                }
                for query in ["next", "token"] {
                    let what = format!("{method} {path}?{query}");
                    assert_refused(call(&format!("{path}?{query}=a%00b")), query, &what).await;
                }
                if method == Method::GET {
                    continue;
                }
                for field in &fields {
                    let what = format!("{method} {path} {field}");
                    if api {
                        let body = json!({ field.as_str(): "a\u{0}b" });
                        assert_refused(call(&path).json(&body), field, &what).await;
                    } else {
                        let form = [(field.as_str(), "a\u{0}b"), ("csrf_token", csrf.as_str())];
                        assert_refused(call(&path).form(&form), field, &what).await;
                    }
                }
            }
        }
    }

    async fn enrol_bodies_are_read_like_every_other_json_body(app: TestApp) {
        let token = token(&app).await;
        let enroll = format!("{}/api/v1/courses/rebuilding-trust/enroll", app.address);
        let post = |body: Vec<u8>| {
            app.client.post(&enroll).bearer_auth(&token).header("content-type", "application/json").body(body)
        };
        for (body, status) in [
            (b"{".to_vec(), 400),
            (b"\0".to_vec(), 400),
            (br#"{"access_code":{}}"#.to_vec(), 422),
            (br#"{"access_code":7}"#.to_vec(), 422),
            (format!(r#"{{"access_code":"{}"}}"#, "x".repeat(70_000)).into_bytes(), 413),
        ] {
            let response = post(body).send().await.unwrap();
            assert_eq!(response.status(), status);
            assert_eq!(response.headers()["content-type"], "application/problem+json");
        }
        let empty = app.client.post(&enroll).bearer_auth(&token).send().await.unwrap();
        let (status, field) = named_field(empty).await;
        assert_eq!((status.as_u16(), field.as_str()), (422, "access_code"), "no body: the code is required");
    }

    async fn a_body_cut_off_before_its_length_is_400_not_413(app: TestApp) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let address = app.address.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let request = format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Content-Length: 1000\r\n\r\n{{\"email\":"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.shutdown().await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }

    async fn every_time_in_json_is_rfc3339_utc(app: TestApp) {
        let token = token(&app).await;
        let mut seen = 0;
        for path in ["/api/v1/me/sessions", "/api/v1/me/export"] {
            let url = format!("{}{path}", app.address);
            let body: Value = app.client.get(url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
            let mut strings = Vec::new();
            collect_strings(&body, &mut strings);
            for text in strings.iter().filter(|s| looks_like_a_time(s)) {
                assert!(text.ends_with('Z'), "{path}: {text}");
                chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{path}: {text}: {e}"));
                seen += 1;
            }
        }
        assert!(seen >= 4, "only {seen} times found");
    }

    async fn display_names_refuse_hidden_characters_and_are_nfc(app: TestApp) {
        let browser = app.signed_in_as("names@example.com", Role::Learner).await;
        for sneaky in ["Ad\u{202E}nimda", "Ad\u{200B}min", "\u{FEFF}Admin", "Ad\u{2066}min"] {
            assert_eq!(save_name(&browser, sneaky).await.status(), 422, "{sneaky:?}");
        }
        assert_eq!(save_name(&browser, "Zoe\u{301}").await.status(), 303);
        let me: Value = browser.get("/api/v1/me").await.json().await.unwrap();
        assert_eq!(me["display_name"], "Zo\u{e9}");
    }

    async fn bearer_is_matched_case_insensitively_and_anonymous_lessons_are_401(app: TestApp) {
        let token = token(&app).await;
        let me = format!("{}/api/v1/me", app.address);
        for scheme in ["Bearer", "bearer", "BEARER"] {
            let anonymous = TestApp::browser();
            let response = anonymous.get(&me).header("authorization", format!("{scheme} {token}")).send().await.unwrap();
            assert_eq!(response.status(), 200, "{scheme}");
        }
        let lesson = format!("{}/api/v1/courses/rebuilding-trust/lessons/welcome", app.address);
        assert_eq!(TestApp::browser().get(lesson).send().await.unwrap().status(), 401);
    }

    async fn every_status_the_api_returns_for_bad_input_is_documented(app: TestApp) {
        let token = token(&app).await;
        let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
        for (pattern, operations) in doc["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                let documented: Vec<&String> = operation["responses"].as_object().unwrap().keys().collect();
                let method: Method = method.to_uppercase().parse().unwrap();
                for (path, token, body) in bad_requests(pattern, operation, &token) {
                    // A fresh client each time: no session cookie (which would need X-CSRF-Token).
                    let client = TestApp::browser();
                    let mut request = client.request(method.clone(), format!("{}{path}", app.address));
                    if let Some(token) = token.filter(|_| !pattern.ends_with("/logout")) {
                        request = request.bearer_auth(token);
                    }
                    if let Some((content_type, body)) = body {
                        request = request.header("content-type", content_type).body(body);
                    }
                    let status = request.send().await.unwrap().status();
                    assert!(
                        documented.iter().any(|d| d.as_str() == status.as_str()),
                        "{method} {path} answered {status}, not in {documented:?}"
                    );
                }
            }
        }
    }
}

/// A request body: its content type and bytes.
type Body = (&'static str, Vec<u8>);

/// One probe: the path, the bearer token (if any) and the body (if any).
type Probe<'a> = (String, Option<&'a str>, Option<Body>);

/// The bad requests tried on one operation: anonymous, unknown and NUL path parameters, and
/// for operations with a body a missing, mistyped, malformed and ill-typed one.
fn bad_requests<'a>(pattern: &str, operation: &Value, token: &'a str) -> Vec<Probe<'a>> {
    let (path, _) = expand(pattern, |p| sample(p).to_owned());
    let (unknown, _) = expand(pattern, |_| "nope".to_owned());
    let (nul, _) = expand(pattern, |_| "a%00b".to_owned());
    let mut requests =
        vec![(path.clone(), None, None), (unknown, Some(token), None), (nul, Some(token), None)];
    if operation.get("requestBody").is_some() {
        for body in [
            ("text/plain", b"hello".to_vec()),
            ("application/json", b"{".to_vec()),
            ("application/json", b"[]".to_vec()),
            (
                "application/json",
                br#"{"email":1,"password":{},"token":[],"display_name":2}"#.to_vec(),
            ),
        ] {
            requests.push((path.clone(), None, Some(body.clone())));
            requests.push((path.clone(), Some(token), Some(body)));
        }
    }
    requests
}

/// Submits the profile form with a new display name.
async fn save_name(browser: &Browser<'_>, name: &str) -> reqwest::Response {
    browser.submit("/account/profile", &[("display_name", name), ("time_zone", "UTC")]).await
}

fn collect_strings(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(text) => into.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| collect_strings(item, into)),
        Value::Object(map) => map.values().for_each(|item| collect_strings(item, into)),
        _ => {}
    }
}

fn looks_like_a_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 19
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[10] == b'T'
}
