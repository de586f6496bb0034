//! Partner updates (accepted, ended) follow the recipient's notification choices: sent only
//! while `partner_updates` is on, held for their send window in their own time zone, and
//! carrying a one-click unsubscribe. The invitation is not an update: the invitee has chosen
//! nothing, so it stays one neutral mail without list headers.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use mend::db::models::notification_preference;
use mend::db::models::outbox::OutboxMessage;
use mend::db::schema::{outbox, users};
use mend::domain::account::Role;
use mend::domain::ids::UserId;
use mend::domain::notifications::{Preferences, SendWindow, Topic};
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::smtp::Received;
use crate::support::{PASSWORD, TestApp, epoch, unsubscribe_key};

/// A learner on the JSON API with their own bearer token.
struct Learner<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    email: String,
    token: String,
}

impl<'a> Learner<'a> {
    async fn new(app: &'a TestApp, email: &str) -> Self {
        app.signed_in_as(email, Role::Learner).await;
        let client = reqwest::Client::new();
        let body = json!({ "email": email, "password": PASSWORD });
        let login = client
            .post(format!("{}/api/v1/auth/login", app.address))
            .json(&body)
            .send()
            .await
            .unwrap();
        let token = login.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        Self { app, client, email: email.to_owned(), token }
    }

    fn call(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.app.address)).bearer_auth(&self.token)
    }

    async fn invite(&self, other: &Learner<'_>) {
        let response = self
            .call(Method::POST, "/api/v1/partner")
            .json(&json!({ "email": other.email }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }

    /// Accepts the `count`-th invitation mailed to this learner.
    async fn accept_invitation(&self, count: usize) {
        let link = self.app.link_to(&self.email, count, "/invitation").await;
        let token = link.split("token=").nth(1).unwrap();
        let response = self
            .call(Method::POST, "/api/v1/partner/accept")
            .json(&json!({ "token": token }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    async fn end_link(&self) {
        let response = self.call(Method::DELETE, "/api/v1/partner").send().await.unwrap();
        assert_eq!(response.status(), 204);
    }

    fn id(&self) -> UserId {
        let mut conn = self.app.db.connection().unwrap();
        let id: i64 = users::table
            .filter(users::email.eq(&self.email))
            .select(users::id)
            .first(&mut *conn)
            .unwrap();
        id.into()
    }

    fn choose(&self, preferences: Preferences) {
        let mut conn = self.app.db.connection().unwrap();
        let now = self.app.clock_now().naive_utc();
        notification_preference::save(&mut conn, self.id(), &preferences, now).unwrap();
    }

    fn live_in(&self, zone: &str) {
        let mut conn = self.app.db.connection().unwrap();
        diesel::update(users::table.filter(users::email.eq(&self.email)))
            .set(users::time_zone.eq(zone))
            .execute(&mut *conn)
            .unwrap();
    }

    /// Every outbox row addressed to this learner, oldest first.
    fn queued(&self) -> Vec<OutboxMessage> {
        let mut conn = self.app.db.connection().unwrap();
        outbox::table
            .filter(outbox::recipient.eq(&self.email))
            .order(outbox::id)
            .select(OutboxMessage::as_select())
            .load(&mut *conn)
            .unwrap()
    }
}

impl TestApp {
    fn clock_now(&self) -> DateTime<Utc> {
        use mend::clock::Clock;
        self.clock.now()
    }
}

/// The one header `name` of a received message (unfolded), or `None`.
fn header(mail: &Received, name: &str) -> Option<String> {
    let raw = mail.text();
    let head = raw.split("\r\n\r\n").next()?.replace("\r\n ", " ").replace("\r\n\t", " ");
    let prefix = format!("{}: ", name.to_ascii_lowercase());
    head.split("\r\n")
        .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
        .map(|line| line[prefix.len()..].to_owned())
}

fn assert_no_list_headers(mail: &Received) {
    for name in ["List-Unsubscribe", "List-Unsubscribe-Post", "Auto-Submitted"] {
        assert_eq!(header(mail, name), None, "{name}: {}", mail.text());
    }
    assert!(!mail.text().to_lowercase().contains("unsubscribe"), "{}", mail.text());
}

/// Checks `mail` is a partner update for `learner`: one-click unsubscribe signed for them and
/// the partner-updates topic, the footer's links in both parts, and not auto-submitted.
fn assert_partner_update_for(mail: &Received, learner: &Learner<'_>) {
    let list = header(mail, "List-Unsubscribe").expect("List-Unsubscribe");
    let url = list.trim_start_matches('<').trim_end_matches('>').to_owned();
    let prefix = format!("{}/unsubscribe/", learner.app.address);
    let token = url.strip_prefix(&prefix).unwrap_or_else(|| panic!("{url} under {prefix}"));
    assert_eq!(unsubscribe_key().verify(token), Some((learner.id(), Topic::PartnerUpdates)));
    assert_eq!(
        header(mail, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(header(mail, "Auto-Submitted"), None, "a partner's action, not a scheduler's");
    let parsed = mail.parsed();
    let manage = format!("{}/account/notifications", learner.app.address);
    for part in [parsed.body_text(0).unwrap(), parsed.body_html(0).unwrap()] {
        assert!(part.contains(&url), "{part}");
        assert!(part.contains(&manage), "{part}");
    }
    assert!(mail.text().contains(&format!(" {url}\r\n")), "the raw text has the link whole");
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

both_backends! {
    async fn partner_updates_carry_one_click_unsubscribe_and_the_invitation_none(app: TestApp) {
        let ana = Learner::new(&app, "ana@example.com").await;
        let ben = Learner::new(&app, "ben@example.com").await;
        ana.invite(&ben).await;
        let invitation = app.mail_to("ben@example.com", 1).await;
        assert_no_list_headers(&invitation[0]);

        ben.accept_invitation(1).await;
        let accepted = app.mail_to("ana@example.com", 1).await;
        assert_eq!(accepted[0].parsed().subject(), Some("Your Mend invitation was accepted"));
        assert_partner_update_for(&accepted[0], &ana);

        ana.end_link().await;
        let ended = app.mail_to("ben@example.com", 2).await;
        assert_eq!(ended[1].parsed().subject(), Some("A change to your Mend account"));
        assert_partner_update_for(&ended[1], &ben);
    }

    async fn partner_updates_are_not_sent_to_a_learner_who_turned_them_off(app: TestApp) {
        let ana = Learner::new(&app, "ana@example.com").await;
        let ben = Learner::new(&app, "ben@example.com").await;
        ana.choose(Preferences { partner_updates: false, ..Preferences::default() });
        ben.choose(Preferences { partner_updates: false, ..Preferences::default() });

        ana.invite(&ben).await;
        // The invitation still goes: ben's choices are about updates, not about being invited.
        assert_no_list_headers(&app.mail_to("ben@example.com", 1).await[0]);
        ben.accept_invitation(1).await;
        ana.end_link().await;

        let all = app.read_all_mail().await;
        assert_eq!(all.len(), 1, "only the invitation went out");
        assert!(ana.queued().is_empty(), "nothing was even queued for ana");
        assert_eq!(ben.queued().len(), 1, "only the invitation was queued for ben");

        // Turned back on, the next update goes out again.
        ana.choose(Preferences::default());
        ana.invite(&ben).await;
        ben.accept_invitation(2).await;
        assert_partner_update_for(&app.mail_to("ana@example.com", 1).await[0], &ana);
    }

    async fn partner_updates_wait_for_the_recipients_send_window(app: TestApp) {
        let ana = Learner::new(&app, "ana@example.com").await;
        let ben = Learner::new(&app, "ben@example.com").await;
        // 09:00 UTC is 04:00 in New York (EST): ana's default window opens at 14:00 UTC.
        ana.live_in("America/New_York");
        ben.choose(Preferences { window: SendWindow::new(18 * 60, 20 * 60).unwrap(), ..Preferences::default() });
        assert_eq!(app.clock_now(), epoch());

        ana.invite(&ben).await;
        // The invitation is not an update: it goes at once, whatever ben's window.
        app.mail_to("ben@example.com", 1).await;
        ben.accept_invitation(1).await;
        let queued = ana.queued();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].next_attempt_at, at("2026-03-02T14:00:00Z").naive_utc());
        app.read_all_mail().await;
        assert!(app.mail.received().iter().all(|m| m.to != ["ana@example.com"]), "not before 09:00 her time");

        app.clock.set(at("2026-03-02T13:59:00Z"));
        app.read_all_mail().await;
        assert_eq!(ana.queued()[0].status, "pending");
        app.clock.set(at("2026-03-02T14:00:00Z"));
        assert_partner_update_for(&app.mail_to("ana@example.com", 1).await[0], &ana);

        // Inside ana's window but before ben's: his "ended" mail waits for 18:00 UTC.
        app.clock.advance(Duration::minutes(30));
        ana.end_link().await;
        let for_ben = ben.queued();
        assert_eq!(for_ben.len(), 2);
        assert_eq!(for_ben[1].next_attempt_at, at("2026-03-02T18:00:00Z").naive_utc());
        app.read_all_mail().await;
        assert_eq!(ben.queued()[1].status, "pending");
        app.clock.set(at("2026-03-02T18:00:00Z"));
        assert_partner_update_for(&app.mail_to("ben@example.com", 2).await[1], &ben);
    }
}
