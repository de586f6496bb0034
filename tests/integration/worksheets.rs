//! Worksheets over the JSON API: revisions, conflicts, validation, who may see what, and the
//! answers' encryption at rest (raw database bytes, key rotation, export and erasure).

use diesel::prelude::*;
use mend::config::DatabaseUrl;
use mend::db::schema::{worksheet_revisions, worksheets};
use mend::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{PASSWORD, TestApp, sample_content};

const BOUNDARY_PLAN: &str = "/api/v1/worksheets/rebuilding-trust.boundary-plan";
const CONTRACT: &str = "/api/v1/worksheets/rebuilding-trust.relationship-contract";
/// An answer that must never appear outside the API's answers to its owner.
pub(crate) const SENTINEL: &str = "sentinel-answer-7f3a9c";

/// One signed-in API client (the reflection and check-in tests use it too).
pub(crate) struct Client<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    pub(crate) email: String,
    token: String,
}

impl<'a> Client<'a> {
    /// A new account with `role`, signed in over the API, enrolled in the sample course when
    /// `enrolled`.
    pub(crate) async fn new(app: &'a TestApp, email: &str, role: Role, enrolled: bool) -> Self {
        let account = mend::accounts::Registration::parse(email, "Sam", PASSWORD.into()).unwrap();
        let mut conn = app.db.connection().unwrap();
        mend::accounts::create_verified_user(&mut conn, &account, role, crate::support::epoch())
            .unwrap();
        let login = json!({ "email": email, "password": PASSWORD });
        let url = format!("{}/api/v1/auth/login", app.address);
        let http = TestApp::browser();
        let body: Value = http.post(url).json(&login).send().await.unwrap().json().await.unwrap();
        let token = body["token"].as_str().unwrap_or_else(|| panic!("login: {body}")).to_owned();
        let client = Self { app, http, email: email.to_owned(), token };
        if enrolled {
            let code = json!({ "access_code": app.sample_access_code() });
            let enrol = client
                .call(Method::POST, "/api/v1/courses/rebuilding-trust/enroll", Some(code))
                .await;
            assert_eq!(enrol.status(), 201);
        }
        client
    }

    /// Signs in again over the API, as after a long pause (a bearer token lasts 12 hours).
    pub(crate) async fn sign_in_again(&mut self) {
        // A fresh cookie jar: the old session's cookie would make the login a cookie request.
        self.http = TestApp::browser();
        let login = json!({ "email": self.email, "password": PASSWORD });
        let url = format!("{}/api/v1/auth/login", self.app.address);
        let body: Value =
            self.http.post(url).json(&login).send().await.unwrap().json().await.unwrap();
        self.token = body["token"].as_str().unwrap_or_else(|| panic!("login: {body}")).to_owned();
    }

    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let request = self.http.request(method, format!("{}{path}", self.app.address));
        let request = request.bearer_auth(&self.token);
        match body {
            Some(body) => request.json(&body),
            None => request,
        }
        .send()
        .await
        .unwrap()
    }

    pub(crate) async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let response = self.call(method, path, body).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn save(&self, revision: u32, answers: Value) -> (u16, Value) {
        self.save_to(BOUNDARY_PLAN, revision, answers).await
    }

    async fn save_to(&self, path: &str, revision: u32, answers: Value) -> (u16, Value) {
        let body = json!({ "revision": revision, "answers": answers });
        self.json(Method::PUT, path, Some(body)).await
    }

    async fn sign(&self, revision: u32, full_name: &str) -> (u16, Value) {
        let body = json!({ "revision": revision, "full_name": full_name });
        self.json(Method::POST, &format!("{CONTRACT}/sign"), Some(body)).await
    }
}

/// Ana and Ben, enrolled and linked as partners (the invitation mails read).
pub(crate) async fn couple(app: &TestApp) -> (Client<'_>, Client<'_>) {
    let ana = Client::new(app, "ana@example.test", Role::Learner, true).await;
    let ben = Client::new(app, "ben@example.test", Role::Learner, true).await;
    let invite = json!({ "email": ben.email });
    assert_eq!(ana.call(Method::POST, "/api/v1/partner", Some(invite)).await.status(), 201);
    let link = app.link_to(&ben.email, 1, "/invitation").await;
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let accepted =
        ben.call(Method::POST, "/api/v1/partner/accept", Some(json!({ "token": token }))).await;
    assert_eq!(accepted.status(), 200);
    app.mail_to(&ana.email, 1).await;
    (ana, ben)
}

/// A contract with every required answer, `words` in its first.
fn contract(words: &str) -> Value {
    json!({ "fidelity_means": words, "boundaries": ["No secrets"], "both_agree": true })
}

/// The subject of the `count`-th mail to `to`.
async fn subject(app: &TestApp, to: &str, count: usize) -> String {
    let mail = app.mail_to(to, count).await;
    mail[count - 1].parsed().subject().unwrap_or_default().to_owned()
}

pub(crate) fn field_errors(problem: &Value) -> Vec<String> {
    let errors = problem["errors"].as_array().cloned().unwrap_or_default();
    errors.iter().map(|e| e["field"].as_str().unwrap_or_default().to_owned()).collect()
}

both_backends! {
    async fn a_worksheet_saves_revisions_refuses_stale_and_bad_answers_and_restores(app: TestApp) {
        let me = Client::new(&app, "writer@example.test", Role::Learner, true).await;
        let (status, list) = me.json(Method::GET, "/api/v1/worksheets", None).await;
        assert_eq!(status, 200);
        let plan = list.as_array().unwrap().iter().find(|w| w["slug"] == "boundary-plan").unwrap();
        assert_eq!(plan["id"], "rebuilding-trust.boundary-plan");
        assert_eq!((plan["revision"].clone(), plan["status"].clone()), (json!(0), json!("draft")));
        let (_, blank) = me.json(Method::GET, BOUNDARY_PLAN, None).await;
        assert_eq!(blank["revision"], 0);
        assert_eq!(blank["answers"], json!({}));
        assert_eq!(blank["fields"][0], json!({"id": "need", "type": "long",
            "label": "The need I want to protect", "help": blank["fields"][0]["help"], "required": true}));

        let (status, saved) = me.save(0, json!({ "need": "To feel safe at home" })).await;
        assert_eq!((status, saved["revision"].clone(), saved["changed"].clone()), (200, json!(1), json!(true)));
        let (_, same) = me.save(1, json!({ "need": "To feel safe at home " })).await;
        assert_eq!((same["revision"].clone(), same["changed"].clone()), (json!(1), json!(false)));

        let (status, stale) = me.save(0, json!({ "need": "Written in another tab" })).await;
        assert_eq!(status, 409);
        assert_eq!(stale["type"], "/problems/edit-conflict");
        assert_eq!(stale["current"]["revision"], 1);
        assert_eq!(stale["current"]["answers"]["need"], "To feel safe at home");

        let (status, bad) = me.save(1, json!({ "need": 5, "nope": "x", "boundary": "ok" })).await;
        assert_eq!(status, 422);
        assert_eq!(field_errors(&bad), ["answers.need", "answers.nope"]);

        let (status, unfinished) = me.json(Method::POST, &format!("{BOUNDARY_PLAN}/finish"), Some(json!({ "revision": 1 }))).await;
        assert_eq!(status, 422);
        assert_eq!(field_errors(&unfinished), ["answers.boundary"]);
        let (_, saved) = me.save(1, json!({ "need": "To feel safe", "boundary": "I leave the room when voices rise" })).await;
        assert_eq!(saved["revision"], 2);
        let (status, finished) = me.json(Method::POST, &format!("{BOUNDARY_PLAN}/finish"), Some(json!({ "revision": 2 }))).await;
        assert_eq!((status, finished["status"].clone()), (200, json!("finished")));

        let (status, history) = me.json(Method::GET, &format!("{BOUNDARY_PLAN}/revisions"), None).await;
        assert_eq!(status, 200);
        let numbers: Vec<&Value> = history.as_array().unwrap().iter().map(|r| &r["number"]).collect();
        assert_eq!(numbers, [&json!(2), &json!(1)]);
        assert_eq!(history[0]["changed"], json!(["boundary", "need"]));
        assert_eq!(history[0]["by_you"], true);
        assert!(!history.to_string().contains("feel safe"), "the history holds no answer text");

        let restore = json!({ "revision": 2, "restore": 1 });
        let (status, restored) = me.json(Method::POST, &format!("{BOUNDARY_PLAN}/restore"), Some(restore)).await;
        assert_eq!((status, restored["revision"].clone()), (200, json!(3)));
        assert_eq!(restored["status"], "draft", "the restored revision lacks a required answer");
        let (_, now) = me.json(Method::GET, BOUNDARY_PLAN, None).await;
        assert_eq!(now["answers"], json!({ "need": "To feel safe at home" }));
        let missing = json!({ "revision": 3, "restore": 9 });
        let (status, _) = me.json(Method::POST, &format!("{BOUNDARY_PLAN}/restore"), Some(missing)).await;
        assert_eq!(status, 422);
        let (status, _) = me.json(Method::GET, "/api/v1/worksheets/rebuilding-trust.no-such", None).await;
        assert_eq!(status, 404);
        let (status, _) = me.json(Method::GET, "/api/v1/worksheets/..%2f..%2fetc", None).await;
        assert_eq!(status, 404);
    }

    async fn a_private_worksheet_is_visible_to_its_owner_only(app: TestApp) {
        let owner = Client::new(&app, "owner@example.test", Role::Learner, true).await;
        let (status, _) = owner.save(0, json!({ "need": SENTINEL })).await;
        assert_eq!(status, 200);
        let stranger = Client::new(&app, "stranger@example.test", Role::Learner, false).await;
        let author = Client::new(&app, "author@example.test", Role::Author, false).await;
        let admin = Client::new(&app, "admin@example.test", Role::Admin, false).await;
        for other in [&stranger, &author, &admin] {
            for path in [BOUNDARY_PLAN.to_owned(), format!("{BOUNDARY_PLAN}/revisions")] {
                let (status, body) = other.json(Method::GET, &path, None).await;
                assert_eq!(status, 404, "{path}");
                assert!(!body.to_string().contains(SENTINEL));
            }
            let (status, _) = other.save(1, json!({ "need": "overwrite" })).await;
            assert_eq!(status, 404);
        }
        // Enrolling gives the stranger their own, empty copy, never the owner's.
        let code = json!({ "access_code": app.sample_access_code() });
        stranger.call(Method::POST, "/api/v1/courses/rebuilding-trust/enroll", Some(code)).await;
        let (status, theirs) = stranger.json(Method::GET, BOUNDARY_PLAN, None).await;
        assert_eq!((status, theirs["revision"].clone(), theirs["answers"].clone()), (200, json!(0), json!({})));
        let (_, mine) = owner.json(Method::GET, BOUNDARY_PLAN, None).await;
        assert_eq!(mine["answers"]["need"], SENTINEL);
        assert!(!app.logs().contains(SENTINEL), "an answer reached the log");
    }

    async fn answers_are_unreadable_at_rest_and_survive_key_rotation(app: TestApp) {
        let me = Client::new(&app, "sealed@example.test", Role::Learner, true).await;
        me.save(0, json!({ "need": SENTINEL })).await;
        me.save(1, json!({ "need": format!("{SENTINEL} again"), "boundary": "kept" })).await;
        assert_not_stored_in_plain_text(&app);

        let rotated = rotate_keys(&app);
        assert!(rotated.contains("re-encrypted 2 revision(s)"), "{rotated}");
        assert!(!rotated.contains(SENTINEL));
        let keys = std::fs::read_to_string(app.test_db.dir.path().join("data/encryption_keys")).unwrap();
        assert_eq!(keys.lines().count(), 2, "the old key stays in the ring");
        let mut conn = app.db.connection().unwrap();
        let key_ids: Vec<String> = worksheet_revisions::table.select(worksheet_revisions::key_id).distinct().load(&mut *conn).unwrap();
        assert_eq!(key_ids.len(), 1, "every revision is under the new key");
        drop(conn);

        let (_, now) = me.json(Method::GET, BOUNDARY_PLAN, None).await;
        assert_eq!(now["answers"]["need"], format!("{SENTINEL} again"));
        let restore = json!({ "revision": 2, "restore": 1 });
        let (status, _) = me.json(Method::POST, &format!("{BOUNDARY_PLAN}/restore"), Some(restore)).await;
        assert_eq!(status, 200, "the first revision still opens after rotation");
        let again = rotate_keys(&app);
        assert!(again.contains("re-encrypted 3 revision(s)"), "{again}");
    }

    async fn the_data_export_holds_the_answers_and_deletion_erases_them(app: TestApp) {
        let me = Client::new(&app, "leaving@example.test", Role::Learner, true).await;
        me.save(0, json!({ "need": SENTINEL })).await;
        me.save(1, json!({ "need": "second thoughts" })).await;
        let (status, export) = me.json(Method::GET, "/api/v1/me/export", None).await;
        assert_eq!(status, 200);
        let sheet = &export["worksheets"][0];
        assert_eq!(sheet["worksheet"], "boundary-plan");
        assert_eq!(sheet["revisions"][0]["answers"]["need"], SENTINEL);
        assert_eq!(sheet["revisions"][1]["answers"]["need"], "second thoughts");

        let (status, _) = me.json(Method::DELETE, "/api/v1/me", Some(json!({ "password": PASSWORD }))).await;
        assert_eq!(status, 204);
        let mut conn = app.db.connection().unwrap();
        let rows: i64 = worksheets::table.count().get_result(&mut *conn).unwrap();
        let revisions: i64 = worksheet_revisions::table.count().get_result(&mut *conn).unwrap();
        assert_eq!((rows, revisions), (0, 0));
        app.read_all_mail().await;
    }
}

/// Turns partner updates off for the account `email`, as the Notifications page would.
fn turn_partner_updates_off(app: &TestApp, email: &str) {
    use mend::db::schema::users;
    let mut conn = app.db.connection().unwrap();
    let id: i64 =
        users::table.filter(users::email.eq(email)).select(users::id).first(&mut *conn).unwrap();
    let off =
        mend::domain::notifications::Preferences { partner_updates: false, ..Default::default() };
    let now = crate::support::epoch().naive_utc();
    mend::db::models::notification_preference::save(&mut conn, id.into(), &off, now).unwrap();
}

/// How many outbox rows were ever queued for `email`.
fn queued_for(app: &TestApp, email: &str) -> i64 {
    use mend::db::schema::outbox;
    let mut conn = app.db.connection().unwrap();
    outbox::table.filter(outbox::recipient.eq(email)).count().get_result(&mut *conn).unwrap()
}

both_backends! {
    async fn worksheet_mail_follows_each_partners_own_choice(app: TestApp) {
        let (ana, ben) = couple(&app).await;
        turn_partner_updates_off(&app, &ben.email);
        ana.save_to(CONTRACT, 0, contract("We tell each other the truth")).await;
        assert_eq!(ana.sign(1, "Ana Lind").await.1["in_force"], false);
        assert_eq!(queued_for(&app, &ben.email), 1, "only the invitation: no \"waiting\" for ben");

        assert_eq!(ben.sign(1, "Ben Lind").await.1["in_force"], true);
        let signed = &app.mail_to(&ana.email, 2).await[1];
        assert_eq!(signed.parsed().subject(), Some("Both of you have signed"));
        assert!(signed.text().contains("List-Unsubscribe: <"), "{}", signed.text());
        assert_eq!(queued_for(&app, &ben.email), 1, "no \"signed\" for ben either");
        assert_eq!(app.read_all_mail().await.len(), 3, "invitation, accepted, signed");
    }

    async fn partners_write_one_shared_contract_and_a_stale_save_loses_nothing(app: TestApp) {
        let (ana, ben) = couple(&app).await;
        let (_, list) = ben.json(Method::GET, "/api/v1/worksheets", None).await;
        let shared: Vec<&Value> = list.as_array().unwrap().iter().filter(|w| w["shared"] == true).collect();
        assert_eq!(shared.len(), 1, "the contract once per couple");
        let (status, _) = ana.save_to(CONTRACT, 0, json!({ "fidelity_means": "Honesty first" })).await;
        assert_eq!(status, 200);
        let (_, seen) = ben.json(Method::GET, CONTRACT, None).await;
        assert_eq!((seen["revision"].clone(), seen["answers"]["fidelity_means"].clone()), (json!(1), json!("Honesty first")));

        let (status, _) = ana.save_to(CONTRACT, 1, json!({ "fidelity_means": "Ana's words" })).await;
        assert_eq!(status, 200);
        let (status, stale) = ben.save_to(CONTRACT, 1, json!({ "fidelity_means": "Ben's words" })).await;
        assert_eq!(status, 409, "one of two saves from the same base is refused");
        assert_eq!(stale["current"]["revision"], 2);
        assert_eq!(stale["current"]["answers"]["fidelity_means"], "Ana's words");
        let merged = json!({ "fidelity_means": "Ana's words. Ben's words." });
        let (status, saved) = ben.save_to(CONTRACT, 2, merged).await;
        assert_eq!((status, saved["revision"].clone()), (200, json!(3)));
        let (_, history) = ana.json(Method::GET, &format!("{CONTRACT}/revisions"), None).await;
        let by_ana: Vec<&Value> = history.as_array().unwrap().iter().map(|r| &r["by_you"]).collect();
        assert_eq!(by_ana, [&json!(false), &json!(true), &json!(true)]);

        let stranger = Client::new(&app, "stranger@example.test", Role::Learner, false).await;
        let author = Client::new(&app, "author@example.test", Role::Author, false).await;
        let admin = Client::new(&app, "admin@example.test", Role::Admin, false).await;
        for other in [&stranger, &author, &admin] {
            let (status, body) = other.json(Method::GET, CONTRACT, None).await;
            assert_eq!(status, 404);
            assert!(!body.to_string().contains("Ben's words"));
        }
    }

    async fn signing_puts_an_agreement_in_force_and_a_later_edit_needs_both_again(app: TestApp) {
        let (ana, ben) = couple(&app).await;
        let (status, refused) = ana.sign(0, "Ana Lind").await;
        assert_eq!((status, field_errors(&refused)), (422, vec!["revision".to_owned()]), "nothing to sign yet");
        ana.save_to(CONTRACT, 0, json!({ "fidelity_means": "Not finished" })).await;
        let (status, unfinished) = ana.sign(1, "Ana Lind").await;
        assert_eq!((status, field_errors(&unfinished)), (422, vec!["answers.boundaries".to_owned(), "answers.both_agree".to_owned()]));
        ana.save_to(CONTRACT, 1, contract("We tell each other the truth")).await;
        assert_eq!(ana.sign(2, "  ").await.0, 422);
        let (status, signed) = ana.sign(2, "Ana Lind").await;
        assert_eq!((status, signed["in_force"].clone()), (200, json!(false)));
        assert_eq!(subject(&app, &ben.email, 2).await, "Something in Mend is waiting for you");
        let (_, signed) = ben.sign(2, "Ben Lind").await;
        assert_eq!(signed["in_force"], true);
        assert_eq!(subject(&app, &ana.email, 2).await, "Both of you have signed");
        assert_eq!(subject(&app, &ben.email, 3).await, "Both of you have signed");
        let (_, now) = ana.json(Method::GET, CONTRACT, None).await;
        assert_eq!(now["in_force"], 2);
        assert_eq!(now["signatures"].as_array().unwrap().len(), 2);
        assert_eq!(now["signatures"][0]["content_hash"], now["signatures"][1]["content_hash"]);

        ben.save_to(CONTRACT, 2, contract("We tell each other the whole truth")).await;
        assert_eq!(subject(&app, &ana.email, 3).await, "Something in Mend is waiting for you");
        let (newest, signed) = printed(&app, &ana).await;
        assert!(newest.contains("whole truth") && !newest.contains("Ana Lind"), "{newest}");
        assert!(signed.contains("Ana Lind") && signed.contains("Ben Lind") && !signed.contains("whole truth"), "{signed}");
        let (_, edited) = ana.json(Method::GET, CONTRACT, None).await;
        assert_eq!((edited["revision"].clone(), edited["in_force"].clone()), (json!(3), json!(2)), "the signed revision stays in force");
        assert_eq!(edited["signatures"], json!([]));
        ana.sign(3, "Ana Lind").await;
        let (_, again) = ben.sign(3, "Ben Lind").await;
        assert_eq!(again["in_force"], true);
        let (_, now) = ben.json(Method::GET, CONTRACT, None).await;
        assert_eq!(now["in_force"], 3);
        for mail in app.read_all_mail().await {
            let text = mail.parsed().body_text(0).unwrap_or_default().into_owned();
            assert!(!text.contains("truth") && !text.contains("contract"), "mail says too much: {text}");
        }
    }

    async fn a_partner_who_leaves_leaves_the_other_their_copies_and_takes_their_private_data(app: TestApp) {
        let (ana, ben) = couple(&app).await;
        ana.save_to(CONTRACT, 0, contract("Kept by both")).await;
        ana.sign(1, "Ana Lind").await;
        ben.sign(1, "Ben Lind").await;
        ana.save(0, json!({ "need": SENTINEL })).await;
        let partner_copy = format!("{BOUNDARY_PLAN}.partner");
        assert_eq!(ben.json(Method::GET, &partner_copy, None).await.0, 404, "not shared yet");
        let shared = ana.call(Method::PUT, "/api/v1/shares/worksheets/rebuilding-trust.boundary-plan", None).await;
        assert_eq!(shared.status(), 204);
        let (_, export) = ben.json(Method::GET, "/api/v1/me/export", None).await;
        let sheets = export["worksheets"].as_array().unwrap();
        assert!(sheets.iter().any(|w| w["shared"] == true && w["revisions"][0]["answers"]["fidelity_means"] == "Kept by both"));
        assert!(!export.to_string().contains(SENTINEL), "the partner's private answers are not in my export");
        let (status, theirs) = ben.json(Method::GET, &partner_copy, None).await;
        assert_eq!((status, theirs["answers"]["need"].clone(), theirs["read_only"].clone()), (200, json!(SENTINEL), json!(true)));
        assert_eq!(ben.save_to(&partner_copy, 1, json!({ "need": "edited" })).await.0, 404, "read only");

        let (status, _) = ana.json(Method::DELETE, "/api/v1/me", Some(json!({ "password": PASSWORD }))).await;
        assert_eq!(status, 204);
        let (status, kept) = ben.json(Method::GET, CONTRACT, None).await;
        assert_eq!(status, 200);
        assert_eq!((kept["answers"]["fidelity_means"].clone(), kept["in_force"].clone()), (json!("Kept by both"), json!(1)));
        assert_eq!(ben.json(Method::GET, &partner_copy, None).await.0, 404);
        let mut conn = app.db.connection().unwrap();
        let rows: Vec<(i64, Option<i64>, String)> = worksheets::table
            .select((worksheets::owner_id, worksheets::partnership_id, worksheets::worksheet_slug))
            .load(&mut *conn)
            .unwrap();
        assert_eq!(rows.len(), 1, "only Ben's copy of the contract is left: {rows:?}");
        assert_eq!((rows[0].1, rows[0].2.as_str()), (None, "relationship-contract"));
        let signatures: i64 = mend::db::schema::signatures::table.count().get_result(&mut *conn).unwrap();
        assert_eq!(signatures, 2, "the agreement in force is kept with both signatures");
        app.read_all_mail().await;
    }
}

/// The contract as Markdown documents, through the service the download routes call: the
/// newest revision, and the agreement in force.
async fn printed(app: &TestApp, client: &Client<'_>) -> (String, String) {
    let mut conn = app.db.connection().unwrap();
    let user: i64 = mend::db::schema::users::table
        .filter(mend::db::schema::users::email.eq(&client.email))
        .select(mend::db::schema::users::id)
        .first(&mut *conn)
        .unwrap();
    let actor = mend::worksheets::Actor {
        catalog: mend::content::compile(&sample_content()).unwrap().catalog.unwrap(),
        keyring: mend::auth::keyring::Keyring::load(None, &app.test_db.dir.path().join("data"))
            .unwrap(),
        notices: mend::worksheets::Notices::new(crate::support::partner_updates(&app.address)),
        user: user.into(),
        now: crate::support::epoch(),
    };
    let key =
        mend::domain::worksheet::WorksheetKey::mine("rebuilding-trust", "relationship-contract");
    let date = crate::support::epoch().date_naive();
    let newest = mend::worksheets::document(&mut conn, &actor, &key, date).unwrap();
    let in_force = mend::worksheets::agreement(&mut conn, &actor, &key, date).unwrap().unwrap();
    let text = |document| String::from_utf8(mend::documents::markdown(document).unwrap()).unwrap();
    (text(&newest), text(&in_force))
}

/// Reads the raw database (SQLite file and WAL, or a `pg_dump`) and fails on the sentinel.
fn assert_not_stored_in_plain_text(app: &TestApp) {
    assert_not_in_raw_database(app, SENTINEL, "worksheet_revisions");
}

/// Reads the raw database and fails on `secret`; the dump must hold rows of `table`.
pub(crate) fn assert_not_in_raw_database(app: &TestApp, secret: &str, table: &str) {
    let contains = |bytes: &[u8]| bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
    match &app.test_db.url {
        DatabaseUrl::Sqlite(path) => {
            let mut wal = path.clone().into_os_string();
            wal.push("-wal");
            let (file, wal) = (raw_bytes(path.as_os_str()), raw_bytes(&wal));
            assert!(file.len() + wal.len() > 0);
            assert!(
                !contains(&file) && !contains(&wal),
                "an answer is readable in the SQLite file"
            );
        }
        DatabaseUrl::Postgres(url) => {
            let dump =
                std::process::Command::new("pg_dump").args(["--data-only", url]).output().unwrap();
            assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
            assert!(String::from_utf8_lossy(&dump.stdout).contains(table));
            assert!(!contains(&dump.stdout), "an answer is readable in pg_dump");
        }
    }
}

/// A file's bytes, read by a child process: closing a descriptor of our own on a SQLite file
/// would drop the POSIX locks the running app holds on it (SQLite's documented pitfall).
fn raw_bytes(path: &std::ffi::OsStr) -> Vec<u8> {
    let out = std::process::Command::new("cat").arg(path).output().unwrap();
    out.stdout
}

/// Runs `mend keys rotate` against the app's database and data dir, as an operator would while
/// it serves; returns what it printed.
pub(crate) fn rotate_keys(app: &TestApp) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mend"))
        .args(["keys", "rotate", "--batch", "1"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", app.test_db.url_string())
        .env("MEND_CONTENT_DIR", sample_content())
        .env("MEND_DATA_DIR", app.test_db.dir.path().join("data"))
        .env("MEND_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{text}");
    text
}
