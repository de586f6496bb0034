//! The OpenAPI document is generated from the code; this checks it holds together as a contract.

use serde_json::Value;

use crate::both_backends;
use crate::support::{Backend, TestApp};
use crate::test_case;

/// Every `$ref` in the document, wherever it stands.
fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => refs(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

test_case! {
    async fn the_openapi_document_is_3_1_with_resolvable_refs_and_problem_errors() {
        let app = TestApp::create(Backend::Sqlite).await.unwrap();
        let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);

        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        for target in &found {
            let name = target.strip_prefix("#/components/schemas/").expect("schema refs only");
            assert!(doc["components"]["schemas"].get(name).is_some(), "unresolved {target}");
        }

        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() >= 18, "{} paths", paths.len());
        for (path, operations) in paths {
            for (method, operation) in operations.as_object().unwrap() {
                let responses = operation["responses"].as_object().unwrap();
                assert!(!responses.is_empty(), "{method} {path} documents no response");
                for (status, response) in responses.iter().filter(|(s, _)| s.starts_with(['4', '5'])) {
                    let content = &response["content"];
                    assert!(
                        content.get("application/problem+json").is_some(),
                        "{method} {path} {status} is not documented as problem+json: {content}"
                    );
                }
            }
        }
    }
}

both_backends! {
    async fn each_problem_names_its_kind_and_the_document_lists_every_kind(app: TestApp) {
        let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
        let kind = &doc["components"]["schemas"]["Problem"]["properties"]["type"];
        let listed: Vec<&str> = kind["enum"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        for (path, status, uri) in [
            ("/api/v1/courses/no-such-course", 404, "/problems/not-found"),
            ("/api/v1/me/progress", 401, "/problems/not-signed-in"),
        ] {
            let response = app.get(path).await;
            assert_eq!(response.status(), status, "{path}");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["type"], uri, "{path}");
            assert!(listed.contains(&uri), "{uri} not in {listed:?}");
            assert!(kind["description"].as_str().unwrap().contains(&format!("`{uri}` ({status})")));
        }
        let next = &doc["components"]["schemas"]["Problem"]["properties"]["next"];
        assert!(next.to_string().contains("ProblemLink"), "the optional next step: {next}");
        assert!(doc["components"]["schemas"]["ProblemLink"]["properties"]["href"].is_object());
    }
}
