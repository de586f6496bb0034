//! Partners: invitations, links, ending them, and what each partner can see of the other.

use mend::db::Database;
use mend::db::models::partnership::{self, ActiveLink, EndReason, NewInvitation, STATUS_PENDING};
use mend::domain::account::Role;
use mend::domain::ids::UserId;
use mend::partners::Ended;

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::learner_web::text;
use crate::support::{Browser, PASSWORD, TestApp, TestDb, epoch};

/// A learner account made directly in the database.
fn learner(conn: &mut mend::db::DbConnection, email: &str) -> UserId {
    let account = mend::accounts::Registration::parse(email, "Sam", PASSWORD.into()).unwrap();
    let user =
        mend::accounts::create_verified_user(conn, &account, Role::Learner, epoch()).unwrap();
    UserId::from(user.id)
}

both_backends! {
    async fn a_link_holds_one_slot_per_learner_and_ends_in_one_transaction(test_db: TestDb) {
        let db = Database::connect(&test_db.url, 2).unwrap();
        db.migrate().unwrap();
        let mut conn = db.connection().unwrap();
        let conn = &mut *conn;
        let now = epoch().naive_utc();
        let (ana, ben) = (learner(conn, "ana@example.com"), learner(conn, "ben@example.com"));
        let new = NewInvitation {
            inviter_id: ana,
            invite_email: "ben@example.com",
            invite_token_hash: "hash",
            status: STATUS_PENDING,
            created_at: now,
            expires_at: now + mend::partners::INVITATION_VALID,
        };
        let invitation = partnership::insert(conn, &new).unwrap();
        assert!(partnership::claim_slot(conn, ana, invitation, now).unwrap());
        let second = partnership::insert(conn, &NewInvitation { invite_token_hash: "other", ..new }).unwrap();
        assert!(!partnership::claim_slot(conn, ana, second, now).unwrap(), "one link per learner");
        assert_eq!(partnership::active_for_user(conn, ana).unwrap(), None, "pending is not linked");

        assert_eq!(partnership::activate(conn, invitation, ben, now).unwrap(), 1);
        assert!(partnership::claim_slot(conn, ben, invitation, now).unwrap());
        let link = ActiveLink { id: invitation, partner: ben };
        assert_eq!(partnership::active_for_user(conn, ana).unwrap(), Some(link));
        let seen_by_ben = partnership::active_for_user(conn, ben).unwrap().unwrap();
        assert_eq!(seen_by_ben.partner, ana);

        let notice = crate::support::partner_updates("http://mend.test");
        let keyring = mend::auth::keyring::Keyring::load(None, test_db.dir.path()).unwrap();
        let ended = mend::db::write_transaction(conn, |conn| {
            mend::partners::end_within(conn, &keyring, ben, EndReason::Ended, &notice, now)
        }).unwrap();
        assert_eq!(ended, Some(Ended::Link(ActiveLink { id: invitation, partner: ana })));
        assert_eq!(partnership::active_for_user(conn, ana).unwrap(), None);
        assert_eq!(partnership::active_for_user(conn, ben).unwrap(), None);
        assert!(partnership::claim_slot(conn, ana, second, now).unwrap(), "the slot is free again");
        let again = mend::db::write_transaction(conn, |conn| {
            mend::partners::end_within(conn, &keyring, ben, EndReason::Ended, &notice, now)
        }).unwrap();
        assert_eq!(again, None);
    }
}

/// A learner using the JSON API with their own bearer token.
struct Api<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    email: String,
    token: String,
}

impl<'a> Api<'a> {
    /// A new verified learner, signed in over the API.
    async fn learner(app: &'a TestApp, email: &str) -> Self {
        app.signed_in_as(email, Role::Learner).await;
        let mut api = Self {
            app,
            client: reqwest::Client::new(),
            email: email.to_owned(),
            token: String::new(),
        };
        api.sign_in().await;
        api
    }

    /// Signs in (again, once the clock has moved past the last session).
    async fn sign_in(&mut self) {
        let body = json!({ "email": self.email, "password": PASSWORD });
        let url = format!("{}/api/v1/auth/login", self.app.address);
        let login = self.client.post(url).json(&body).send().await.unwrap();
        self.token = login.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    }

    fn call(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.app.address)).bearer_auth(&self.token)
    }

    async fn state(&self) -> Value {
        let response = self.call(Method::GET, "/api/v1/partner").send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn invite(&self, email: &str) -> reqwest::Response {
        self.call(Method::POST, "/api/v1/partner")
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap()
    }

    async fn accept(&self, token: &str) -> reqwest::Response {
        self.call(Method::POST, "/api/v1/partner/accept")
            .json(&json!({ "token": token }))
            .send()
            .await
            .unwrap()
    }

    async fn end(&self) -> reqwest::StatusCode {
        self.call(Method::DELETE, "/api/v1/partner").send().await.unwrap().status()
    }

    /// The token of the `count`-th invitation mailed to this learner.
    async fn invitation_token(&self, count: usize) -> String {
        let link = self.app.link_to(&self.email, count, "/invitation").await;
        link.split("token=").nth(1).unwrap().to_owned()
    }

    async fn share(&self, method: Method, course: &str) -> reqwest::StatusCode {
        self.call(method, &format!("/api/v1/shares/progress/{course}"))
            .send()
            .await
            .unwrap()
            .status()
    }

    async fn partner_progress(&self) -> (reqwest::StatusCode, Value) {
        let response = self.call(Method::GET, "/api/v1/partner/progress").send().await.unwrap();
        (response.status(), response.json().await.unwrap())
    }
}

/// Ana invites Ben and Ben accepts; the inviter's acceptance mail is read.
async fn linked<'a>(app: &'a TestApp) -> (Api<'a>, Api<'a>) {
    let ana = Api::learner(app, "ana@example.com").await;
    let ben = Api::learner(app, "ben@example.com").await;
    assert_eq!(ana.invite("Ben@Example.com").await.status(), 201);
    let token = ben.invitation_token(1).await;
    assert_eq!(ben.accept(&token).await.status(), 200);
    app.mail_to("ana@example.com", 1).await;
    (ana, ben)
}

/// Words a partner mail must never carry: it can be read over a shoulder.
const TELLING_WORDS: [&str; 10] = [
    "recover",
    "betray",
    "therap",
    "affair",
    "course",
    "lesson",
    "partner",
    "couple",
    "trust",
    "rebuilding",
];

fn assert_neutral(mail: &crate::smtp::Received) {
    let parsed = mail.parsed();
    let all = format!(
        "{} {} {}",
        parsed.subject().unwrap_or_default(),
        parsed.body_text(0).unwrap_or_default(),
        parsed.body_html(0).unwrap_or_default()
    )
    .to_lowercase();
    for word in TELLING_WORDS {
        assert!(!all.contains(word), "a partner mail says {word:?}: {all}");
    }
}

both_backends! {
    async fn an_invitation_is_mailed_accepted_once_and_links_both(app: TestApp) {
        let ana = Api::learner(&app, "ana@example.com").await;
        let ben = Api::learner(&app, "ben@example.com").await;
        assert_eq!(ana.state().await["state"], "none");
        let invited = ana.invite("ben@example.com").await;
        assert_eq!(invited.status(), 201);
        let body: Value = invited.json().await.unwrap();
        assert_eq!(body["state"], "invited");
        assert_eq!(body["invitation"]["email"], "ben@example.com");
        assert_eq!(body["invitation"]["expires_at"], "2026-03-09T09:00:00Z");
        let mail = app.mail_to("ben@example.com", 1).await;
        assert_neutral(&mail[0]);
        assert_eq!(ben.state().await["received"]["from"], "Sam");

        let token = ben.invitation_token(1).await;
        let accepted = ben.accept(&token).await;
        assert_eq!(accepted.status(), 200);
        let state: Value = accepted.json().await.unwrap();
        assert_eq!(state["state"], "linked");
        assert_eq!(state["partner"]["since"], "2026-03-02T09:00:00Z");
        assert_eq!(ana.state().await["state"], "linked");
        let told = app.mail_to("ana@example.com", 1).await;
        assert_neutral(&told[0]);
        assert_eq!(ben.accept(&token).await.status(), 400, "the token is single-use");
    }

    async fn an_invitation_can_be_withdrawn_and_expires_after_seven_days(app: TestApp) {
        let mut ana = Api::learner(&app, "ana@example.com").await;
        let mut ben = Api::learner(&app, "ben@example.com").await;
        assert_eq!(ana.invite("ben@example.com").await.status(), 201);
        let first = ben.invitation_token(1).await;
        assert_eq!(ana.end().await, 204, "withdrawn");
        assert_eq!(ana.state().await["state"], "none");
        assert_eq!(ben.state().await["received"], Value::Null);
        assert_eq!(ben.accept(&first).await.status(), 400);
        assert_eq!(ana.end().await, 404, "nothing left to withdraw");

        assert_eq!(ana.invite("ben@example.com").await.status(), 201);
        let second = ben.invitation_token(2).await;
        app.clock.advance(chrono::Duration::days(7));
        ana.sign_in().await;
        ben.sign_in().await;
        assert_eq!(ben.accept(&second).await.status(), 400, "expired");
        let state = ana.state().await;
        assert_eq!((state["state"].as_str(), state["invitation"]["expired"].as_bool()), (Some("invited"), Some(true)));
        assert_eq!(ana.invite("ben@example.com").await.status(), 201, "an expired invitation never blocks a new one");
        let third = ben.invitation_token(3).await;
        assert_eq!(ben.accept(&third).await.status(), 200);
        app.mail_to("ana@example.com", 1).await;
    }

    async fn a_learner_has_one_link_and_cannot_invite_themselves(app: TestApp) {
        let ana = Api::learner(&app, "ana@example.com").await;
        let cara = Api::learner(&app, "cara@example.com").await;
        let own = ana.invite("ANA@example.com").await;
        assert_eq!(own.status(), 422);
        assert_eq!(own.json::<Value>().await.unwrap()["errors"][0]["field"], "email");
        assert_eq!(ana.invite("not an address").await.status(), 422);
        assert_eq!(ana.invite("ben@example.com").await.status(), 201);
        let second = ana.invite("cara@example.com").await;
        assert_eq!(second.status(), 409);
        assert_eq!(second.json::<Value>().await.unwrap()["type"], "/problems/partner-link-exists");
        let ben = Api::learner(&app, "ben@example.com").await;
        let token = ben.invitation_token(1).await;
        assert_eq!(ben.accept(&token).await.status(), 200);
        app.mail_to("ana@example.com", 1).await;
        assert_eq!(cara.invite("ben@example.com").await.status(), 409, "Ben is already linked");
        assert_eq!(ana.accept(&token).await.status(), 400);
    }

    async fn withdrawing_and_inviting_again_is_limited(app: TestApp) {
        let ana = Api::learner(&app, "ana@example.com").await;
        for _ in 0..10 {
            assert_eq!(ana.invite("ben@example.com").await.status(), 201);
            assert_eq!(ana.end().await, 204);
        }
        let limited = ana.invite("ben@example.com").await;
        assert_eq!(limited.status(), 429);
        assert!(limited.headers().contains_key("retry-after"));
        app.mail_to("ben@example.com", 10).await;
    }

    async fn racing_invites_and_accepts_make_exactly_one_link(app: TestApp) {
        let ana = Api::learner(&app, "ana@example.com").await;
        let ben = Api::learner(&app, "ben@example.com").await;
        let (one, two) = tokio::join!(ana.invite("ben@example.com"), ana.invite("cara@example.com"));
        let mut statuses = [one.status().as_u16(), two.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 409], "two invitations at once: one wins");
        app.read_all_mail().await;
        ana.end().await;

        assert_eq!(ana.invite("ben@example.com").await.status(), 201);
        let token = ben.invitation_token(app.mail_to("ben@example.com", 1).await.len()).await;
        let (accepted, invited) = tokio::join!(ben.accept(&token), ben.invite("dan@example.com"));
        let won = [accepted.status().as_u16(), invited.status().as_u16()];
        assert!(matches!(won, [200, 409] | [409, 201]), "exactly one of accept and invite: {won:?}");
        app.read_all_mail().await;
        let mut conn = app.db.connection().unwrap();
        use diesel::prelude::*;
        use mend::db::schema::partnership_members;
        let slots: i64 = partnership_members::table
            .filter(partnership_members::user_id.eq(ben_id(&mut conn)))
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(slots, 1);
    }

    async fn either_partner_ends_the_link_and_the_other_is_told(app: TestApp) {
        let (ana, ben) = linked(&app).await;
        assert_eq!(ben.end().await, 204);
        let mail = app.mail_to("ana@example.com", 2).await;
        assert_neutral(&mail[1]);
        assert_eq!(ana.state().await["state"], "none");
        assert_eq!(ben.state().await["state"], "none");
        assert_eq!(ana.end().await, 404);

        assert_eq!(ben.invite("ana@example.com").await.status(), 201, "free to link again");
        let link = app.link_to("ana@example.com", 3, "/invitation").await;
        assert_eq!(ana.accept(link.split("token=").nth(1).unwrap()).await.status(), 200);
        app.mail_to("ben@example.com", 2).await;
        assert_eq!(ana.end().await, 204);
        app.mail_to("ben@example.com", 3).await;
    }

    async fn progress_is_visible_to_the_partner_only_while_shared(app: TestApp) {
        let (ana, ben) = linked(&app).await;
        let course = "rebuilding-trust";
        let code = json!({ "access_code": app.sample_access_code() });
        let enroll = format!("/api/v1/courses/{course}/enroll");
        assert_eq!(ana.share(Method::PUT, course).await, 404, "not enrolled yet");
        assert_eq!(ana.call(Method::POST, &enroll).json(&code).send().await.unwrap().status(), 201);
        let done = format!("/api/v1/courses/{course}/lessons/welcome/complete");
        assert_eq!(ana.call(Method::PUT, &done).send().await.unwrap().status(), 204);

        assert_eq!(ben.partner_progress().await, (reqwest::StatusCode::OK, json!([])), "nothing shared by default");
        assert_eq!(ana.share(Method::PUT, course).await, 204);
        assert_eq!(ana.share(Method::PUT, course).await, 204, "sharing again is harmless");
        let (status, shared) = ben.partner_progress().await;
        assert_eq!(status, 200);
        assert_eq!(shared[0]["course"], course);
        assert_eq!(shared[0]["done"], 1);
        assert!(shared[0]["total"].as_u64().unwrap() > 1);
        assert_eq!(ben.state().await["partner"]["shared_with_me"], json!([course]));
        assert_eq!(ana.state().await["partner"]["shared_by_me"], json!([course]));
        let export: Value = ana.call(Method::GET, "/api/v1/me/export").send().await.unwrap().json().await.unwrap();
        assert_eq!(export["partnerships"][0]["role"], "inviter");
        assert_eq!(export["partnerships"][0]["invite_email"], "ben@example.com");
        assert_eq!(export["partnerships"][0]["status"], "active");
        assert_eq!(export["progress_shares"][0]["course"], course);
        let theirs: Value = ben.call(Method::GET, "/api/v1/me/export").send().await.unwrap().json().await.unwrap();
        assert_eq!(theirs["partnerships"][0]["role"], "invitee");
        assert_eq!(theirs["progress_shares"], json!([]), "Ana's shares are hers, not Ben's");
        assert_eq!(ana.partner_progress().await.1, json!([]), "Ben shares nothing");

        let cara = Api::learner(&app, "cara@example.com").await;
        assert_eq!(cara.partner_progress().await.0, 404, "a stranger sees nothing");
        assert_eq!(cara.share(Method::PUT, course).await, 404);

        assert_eq!(ana.share(Method::DELETE, course).await, 204);
        assert_eq!(ben.partner_progress().await.1, json!([]), "revoked");
        assert_eq!(ana.share(Method::PUT, course).await, 204);
        assert_eq!(ana.end().await, 204);
        app.mail_to("ben@example.com", 2).await;
        assert_eq!(ben.partner_progress().await.0, 404, "nothing stays visible after the link ends");
    }

    async fn deleting_an_account_ends_its_link_first(app: TestApp) {
        let (ana, ben) = linked(&app).await;
        let body = json!({ "password": PASSWORD });
        assert_eq!(ana.call(Method::DELETE, "/api/v1/me").json(&body).send().await.unwrap().status(), 204);
        let mail = app.mail_to("ben@example.com", 2).await;
        assert_neutral(&mail[1]);
        assert_eq!(ben.state().await["state"], "none");
        assert_eq!(ben.invite("cara@example.com").await.status(), 201, "Ben is free again");
        app.mail_to("cara@example.com", 1).await;
    }
}

/// Ben's user id, read from the database.
fn ben_id(conn: &mut mend::db::DbConnection) -> i64 {
    mend::db::models::user::find_by_email(conn, "ben@example.com").unwrap().unwrap().id
}

/// The `href` of the first link on a page whose text is `label`.
fn href_of(html: &str, label: &str) -> String {
    let end = html.find(&format!("\">{label}</a>")).unwrap_or_else(|| panic!("no link {label:?}"));
    let start = html[..end].rfind("href=\"").unwrap() + "href=\"".len();
    html[start..end].replace("&amp;", "&")
}

both_backends! {
    async fn the_partner_pages_invite_accept_through_registration_and_end(app: TestApp) {
        let ana = app.signed_in_as("ana@example.com", Role::Learner).await;
        let (status, page) = text(ana.get("/partner").await).await;
        assert_eq!(status, 200);
        assert!(page.contains("Invite your partner"), "{page}");
        let own = ana.submit("/partner/invite", &[("email", "ana@example.com")]).await;
        let (status, page) = text(own).await;
        assert_eq!(status, 422);
        assert!(page.contains("error-summary") && page.contains("That is your own address"), "{page}");
        assert_eq!(ana.submit("/partner/invite", &[("email", "ben@example.com")]).await.status(), 303);
        let (_, page) = text(ana.get("/partner").await).await;
        assert!(page.contains("You invited ben@example.com today at 09:00. The invitation expires on Monday 9 March 2026 at 09:00."), "{page}");
        assert!(page.contains("Withdraw the invitation"), "{page}");

        // Ben has no account yet: the invitation keeps its place through registration.
        let link = app.link_to("ben@example.com", 1, "/invitation").await;
        let ben = Browser::new(&app);
        let (status, page) = text(ben.get(&link).await).await;
        assert_eq!(status, 200);
        assert!(page.contains("Someone invited you to Mend"), "{page}");
        let register = href_of(&page, "Create your account");
        let next = register.split("next=").nth(1).unwrap();
        let next: String = url::form_urlencoded::parse(format!("n={next}").as_bytes()).next().unwrap().1.into_owned();
        assert_eq!(next, link);
        let fields = [("email", "ben@example.com"), ("display_name", "Ben"), ("password", PASSWORD), ("next", next.as_str())];
        let registered = ben.submit("/account/register", &fields).await;
        assert_eq!(registered.headers()["location"], link.as_str());
        app.mail_to("ben@example.com", 2).await;
        let (_, page) = text(ben.get(&link).await).await;
        assert!(page.contains("Sam invited you to link your accounts"), "{page}");
        let token = link.split("token=").nth(1).unwrap();
        let accepted = ben.submit("/invitation", &[("token", token), ("answer", "accept")]).await;
        assert_eq!(accepted.headers()["location"], "/partner");
        let (_, page) = text(ben.get("/partner").await).await;
        assert!(page.contains("You and Sam linked your accounts today at 09:00"), "{page}");
        assert!(page.contains("Your partner can see nothing of yours right now"), "{page}");
        app.mail_to("ana@example.com", 1).await;
        let (status, _) = text(ben.submit("/invitation", &[("token", token), ("answer", "accept")]).await).await;
        assert_eq!(status, 400, "a used invitation says so kindly");

        let (_, confirm) = text(ana.get("/partner/end").await).await;
        assert!(confirm.contains("you each keep a copy of every shared worksheet and every agreement that was in force"), "{confirm}");
        assert!(confirm.contains("your private worksheets stay private"), "{confirm}");
        assert_eq!(ana.submit("/partner/end", &[]).await.headers()["location"], "/partner");
        app.mail_to("ben@example.com", 3).await;
        let (_, page) = text(ben.get("/partner").await).await;
        assert!(page.contains("Invite your partner"), "{page}");
        let (_, deletion) = text(ben.get("/account/delete").await).await;
        assert!(deletion.contains("the link ends first"), "{deletion}");
    }

    async fn shared_progress_shows_on_the_partner_page_with_who_sees_what(app: TestApp) {
        let ana = app.signed_in_as("ana@example.com", Role::Learner).await;
        let ben = app.signed_in_as("ben@example.com", Role::Learner).await;
        assert_eq!(ana.submit("/partner/invite", &[("email", "ben@example.com")]).await.status(), 303);
        app.mail_to("ben@example.com", 1).await;
        let (_, page) = text(ben.get("/partner").await).await;
        assert!(page.contains("Sam invited you to link your accounts"), "{page}");
        assert_eq!(ben.submit("/invitation", &[("answer", "accept")]).await.status(), 303);
        app.mail_to("ana@example.com", 1).await;
        let code = app.sample_access_code();
        ana.submit("/courses/rebuilding-trust/enroll", &[("access_code", &code)]).await;
        ana.submit("/courses/rebuilding-trust/lessons/welcome/complete", &[]).await;
        assert_eq!(ana.submit("/partner/progress/rebuilding-trust/share", &[]).await.status(), 303);
        let (_, mine) = text(ana.get("/partner").await).await;
        assert!(mine.contains("Your partner can see: your progress in Rebuilding Trust Together. Nothing else you write is visible to them."), "{mine}");
        let (_, theirs) = text(ben.get("/partner").await).await;
        assert!(theirs.contains("Rebuilding Trust Together: 1 of"), "{theirs}");
        ana.submit("/partner/progress/rebuilding-trust/unshare", &[]).await;
        let (_, theirs) = text(ben.get("/partner").await).await;
        assert!(!theirs.contains("Rebuilding Trust Together: 1 of"), "{theirs}");
    }
}
