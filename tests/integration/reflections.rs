//! Reflections: a learner's private answers to lesson prompts, over the API and the pages;
//! revealed between partners only once both answered and both share, hidden again when either
//! withdraws; never seen by anyone else; sealed at rest, re-sealed by key rotation, exported
//! and erased with the account.

use diesel::prelude::*;
use mend::db::schema::reflection_answers;
use mend::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::learner_web::{enrolled, text};
use crate::support::{PASSWORD, TestApp};
use crate::worksheets::{
    Client, SENTINEL, assert_not_in_raw_database, couple, field_errors, rotate_keys,
};

/// The prompt of the first lesson, open from the day of enrolment.
const WELCOME: &str = "/api/v1/reflections/rebuilding-trust/welcome/small_sign";
/// A prompt in a lesson that opens three days after enrolment.
const LOCKED: &str =
    "/api/v1/reflections/rebuilding-trust/what-recovery-looks-like/through_a_hard_day";
const LESSON_PAGE: &str = "/courses/rebuilding-trust/lessons/welcome";

async fn answer(client: &Client<'_>, text: &str, share: bool) -> (u16, Value) {
    let body = json!({ "answer": text, "share": share });
    client.json(Method::PUT, WELCOME, Some(body)).await
}

/// The status and the partner's answer (if revealed) of `client`'s answer.
async fn seen_by(client: &Client<'_>) -> (String, Value) {
    let (status, body) = client.json(Method::GET, WELCOME, None).await;
    assert_eq!(status, 200, "{body}");
    (body["status"].as_str().unwrap_or_default().to_owned(), body["partner"]["answer"].clone())
}

both_backends! {
    async fn a_reflection_without_a_partner_is_a_private_journal_entry(app: TestApp) {
        let me = Client::new(&app, "journal@example.test", Role::Learner, true).await;
        let (status, none) = me.json(Method::GET, WELCOME, None).await;
        assert_eq!(status, 404, "not answered yet: {none}");
        let (status, saved) = answer(&me, "  A calmer evening.\n\nMaybe two.  ", true).await;
        assert_eq!(status, 200, "{saved}");
        assert_eq!(saved["changed"], true);
        let reflection = &saved["reflection"];
        assert_eq!(reflection["answer"], "A calmer evening.\n\nMaybe two.");
        assert_eq!((reflection["status"].as_str(), reflection["share"].as_bool()), (Some("journal"), Some(false)), "no partner, nothing shared");
        let (_, again) = answer(&me, "A calmer evening.\n\nMaybe two.", false).await;
        assert_eq!(again["changed"], false, "the same answer writes nothing");
        let (status, list) = me.json(Method::GET, "/api/v1/reflections", None).await;
        assert_eq!(status, 200);
        assert_eq!(list.as_array().map(Vec::len), Some(1));
        assert_eq!(list[0]["lesson"], "welcome");
        assert_eq!(list[0]["label"], "What would a small sign of progress look like for you in a month's time?");

        for bad in [" \n ".to_owned(), "x".repeat(10_001), "a\u{1}b".to_owned()] {
            let (status, problem) = answer(&me, &bad, false).await;
            assert_eq!(status, 422, "{problem}");
            assert_eq!(field_errors(&problem), ["answer"], "{problem}");
        }
        let (status, missing) = me.json(Method::PUT, WELCOME, Some(json!({ "share": true }))).await;
        assert_eq!(status, 422, "{missing}");
        let (status, _) = me.json(Method::PUT, LOCKED, Some(json!({ "answer": "early" }))).await;
        assert_eq!(status, 403, "a drip-locked lesson takes no answers yet");
        let unknown = "/api/v1/reflections/rebuilding-trust/welcome/no_such_prompt";
        assert_eq!(me.json(Method::PUT, unknown, Some(json!({ "answer": "x" }))).await.0, 404);
        assert_eq!(me.json(Method::GET, "/api/v1/reflections/rebuilding-trust/welcome/Bad-Id", None).await.0, 404);
        let (_, document) = me.json(Method::GET, "/api/openapi.json", None).await;
        let put = &document["paths"]["/api/v1/reflections/{course}/{lesson}/{id}"]["put"]["responses"];
        for status in ["200", "401", "403", "404", "422"] {
            assert!(put[status].is_object(), "PUT documents {status}: {put}");
        }
        assert!(document["paths"]["/api/v1/reflections"]["get"].is_object());
    }

    async fn partners_see_each_others_answers_only_when_both_answered_and_both_share(app: TestApp) {
        let (ana, ben) = couple(&app).await;
        let (_, saved) = answer(&ana, "Ana's words", true).await;
        assert_eq!(saved["reflection"]["status"], "waiting");
        assert_eq!(ben.json(Method::GET, WELCOME, None).await.0, 404, "Ben has not answered");
        let (_, list) = ben.json(Method::GET, "/api/v1/reflections", None).await;
        assert_eq!(list, json!([]), "nothing of Ana's is listed for Ben");

        answer(&ben, "Ben's words", false).await;
        assert_eq!(seen_by(&ana).await, ("waiting".to_owned(), Value::Null), "Ben keeps his private");
        assert_eq!(seen_by(&ben).await, ("private".to_owned(), Value::Null));

        answer(&ben, "Ben's words", true).await;
        assert_eq!(seen_by(&ana).await, ("revealed".to_owned(), json!("Ben's words")));
        assert_eq!(seen_by(&ben).await, ("revealed".to_owned(), json!("Ana's words")));
        let (_, list) = ana.json(Method::GET, "/api/v1/reflections", None).await;
        assert_eq!(list[0]["partner"]["name"], "Sam");

        // Ana withdraws after the reveal: both are hidden again.
        answer(&ana, "Ana's words", false).await;
        assert_eq!(seen_by(&ana).await, ("private".to_owned(), Value::Null));
        assert_eq!(seen_by(&ben).await, ("waiting".to_owned(), Value::Null));

        // Shared again, then the link ends: the shares go with it.
        answer(&ana, "Ana's words", true).await;
        assert_eq!(seen_by(&ben).await.0, "revealed");
        assert_eq!(ana.call(Method::DELETE, "/api/v1/partner", None).await.status(), 204);
        let (_, mine) = ana.json(Method::GET, WELCOME, None).await;
        assert_eq!((mine["status"].as_str(), mine["share"].as_bool()), (Some("journal"), Some(false)));
        assert_eq!(seen_by(&ben).await, ("journal".to_owned(), Value::Null));
        app.read_all_mail().await;
    }

    async fn nobody_else_sees_an_answer_and_it_is_sealed_exported_and_erased(app: TestApp) {
        let owner = Client::new(&app, "owner@example.test", Role::Learner, true).await;
        assert_eq!(answer(&owner, SENTINEL, false).await.0, 200);
        let stranger = Client::new(&app, "stranger@example.test", Role::Learner, false).await;
        let author = Client::new(&app, "author@example.test", Role::Author, false).await;
        let admin = Client::new(&app, "admin@example.test", Role::Admin, false).await;
        for other in [&stranger, &author, &admin] {
            let (status, body) = other.json(Method::GET, WELCOME, None).await;
            assert_eq!(status, 404, "{body}");
            let (_, list) = other.json(Method::GET, "/api/v1/reflections", None).await;
            assert_eq!(list, json!([]));
            let (status, _) = answer(other, "overwrite", false).await;
            assert_eq!(status, 403, "not enrolled: no answering");
        }
        assert_eq!(owner.json(Method::GET, WELCOME, None).await.1["answer"], SENTINEL);
        assert!(!app.logs().contains(SENTINEL), "an answer reached the log");
        assert_not_in_raw_database(&app, SENTINEL, "reflection_answers");

        let key_ids = || {
            let mut conn = app.db.connection().unwrap();
            reflection_answers::table.select(reflection_answers::key_id).load::<String>(&mut *conn).unwrap()
        };
        let before = key_ids();
        let rotated = rotate_keys(&app);
        assert!(rotated.contains("1 reflection answer(s)"), "{rotated}");
        let after = key_ids();
        assert_eq!(after.len(), 1);
        assert_ne!(before, after, "sealed again under the new key");
        assert_eq!(owner.json(Method::GET, WELCOME, None).await.1["answer"], SENTINEL, "opens after rotation");

        let (status, export) = owner.json(Method::GET, "/api/v1/me/export", None).await;
        assert_eq!(status, 200);
        let exported = &export["reflections"][0];
        assert_eq!((exported["lesson"].as_str(), exported["reflection"].as_str()), (Some("welcome"), Some("small_sign")));
        assert_eq!(exported["answer"], SENTINEL);

        let (status, _) = owner.json(Method::DELETE, "/api/v1/me", Some(json!({ "password": PASSWORD }))).await;
        assert_eq!(status, 204);
        let mut conn = app.db.connection().unwrap();
        let rows: i64 = reflection_answers::table.count().get_result(&mut *conn).unwrap();
        assert_eq!(rows, 0, "erased with the account");
        app.read_all_mail().await;
    }

    async fn the_lesson_page_takes_an_answer_without_javascript(app: TestApp) {
        let learner = enrolled(&app).await;
        let (status, page) = text(learner.get(LESSON_PAGE).await).await;
        assert_eq!(status, 200);
        assert!(page.contains("id=\"reflection-small_sign\""), "{page}");
        assert!(page.contains("Only you can see what you write here"), "{page}");
        assert!(!page.contains("Share with my partner"), "no share option without a partner");
        let action = format!("{LESSON_PAGE}/reflections/small_sign");

        let (status, refused) = text(learner.submit(&action, &[("answer", "   ")]).await).await;
        assert_eq!(status, 422);
        assert!(refused.contains("<title>Error: Mend</title>"), "neutral, and says something went wrong: {refused}");
        assert!(refused.contains("href=\"#reflection-small_sign-answer\""), "{refused}");

        let saved = learner.submit(&action, &[("answer", "Sleeping through the night")]).await;
        assert_eq!(saved.status(), 303);
        let location = saved.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(location, format!("{LESSON_PAGE}?saved=small_sign#reflection-small_sign"));
        let (_, page) = text(learner.get(&location).await).await;
        assert!(page.contains(">Sleeping through the night</textarea>"), "{page}");
        assert!(page.contains("Saved."), "{page}");

        let (status, list) = text(learner.get("/reflections").await).await;
        assert_eq!(status, 200);
        assert!(list.contains("Sleeping through the night") && list.contains("Welcome"), "{list}");
        let (_, dashboard) = text(learner.get("/dashboard").await).await;
        assert!(dashboard.contains("href=\"/reflections\""));

        let author = app.signed_in_as("author@example.org", Role::Author).await;
        let (status, preview) = text(author.get(LESSON_PAGE).await).await;
        assert_eq!(status, 200);
        assert!(preview.contains("Learners answer this privately here."), "{preview}");
        assert!(!preview.contains("Sleeping through the night"));
        let (_, theirs) = text(author.get("/reflections").await).await;
        assert!(!theirs.contains("Sleeping through the night"));
    }
}
