//! The outbox end to end: queue in a transaction, send with the worker over real SMTP to a
//! server listening on loopback in this process, retry with backoff, and never send twice.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime};
use mend::clock::{Clock, TestClock};
use mend::db::models::outbox::{self, OutboxMessage};
use mend::db::{Database, DbError};
use mend::mail::{MailError, Mailer, OutboxWorker, RenderedEmail};
use mend::templates::EmailTemplates;

use crate::both_backends;
use crate::smtp::SmtpSink;
use crate::support::{TestDb, epoch, eventually, test_settings};
use crate::test_case;

/// A port nothing listens on: bound once to learn a free one, then released.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Storage and a stopped clock for one test.
struct Outbox {
    db: Database,
    clock: Arc<TestClock>,
}

impl Outbox {
    fn open(test_db: &TestDb) -> Self {
        let db = Database::connect(&test_db.url, 4).unwrap();
        db.migrate().unwrap();
        Self { db, clock: TestClock::at(epoch()) }
    }

    fn now(&self) -> NaiveDateTime {
        self.clock.now().naive_utc()
    }

    fn worker(&self, mailer: Mailer) -> OutboxWorker {
        let from = "Mend <no-reply@mend.test>".parse().unwrap();
        OutboxWorker::new(self.db.clone(), mailer, self.clock.clone(), from)
    }

    /// Queues `email` to `recipient` in its own transaction, as a request handler would.
    async fn enqueue(
        &self,
        email: &RenderedEmail,
        recipient: &str,
        key: Option<&str>,
    ) -> Option<i64> {
        let (email, recipient, key) = (email.clone(), recipient.to_owned(), key.map(str::to_owned));
        let now = self.now();
        self.db
            .transaction(move |conn| {
                let message = email.to_message(&recipient, key.as_deref());
                outbox::enqueue(conn, &message, now).map_err(DbError::from)
            })
            .await
            .unwrap()
    }

    /// Queues a reminder as the scan does: list headers, auto-submitted, its own dedupe key.
    async fn enqueue_reminder(&self, recipient: &str, key: &str, unsubscribe: &str) -> i64 {
        let (recipient, key, unsubscribe) =
            (recipient.to_owned(), key.to_owned(), unsubscribe.to_owned());
        let now = self.now();
        self.db
            .transaction(move |conn| {
                let text = format!("Café — one small step today:\n\n{unsubscribe}\n");
                let html = format!("<p>Café — <a href=\"{unsubscribe}\">a link</a></p>");
                let message = outbox::NewMessage {
                    kind: "reminder_nudge",
                    recipient: &recipient,
                    subject: "A note from Mend",
                    body_text: &text,
                    body_html: Some(&html),
                    dedupe_key: Some(&key),
                    list_unsubscribe: Some(&unsubscribe),
                    auto_submitted: true,
                    not_before: None,
                    payload: None,
                };
                outbox::enqueue(conn, &message, now).map_err(DbError::from)
            })
            .await
            .unwrap()
            .expect("a new row")
    }

    async fn row(&self, id: i64) -> OutboxMessage {
        self.db.run(move |conn| outbox::find(conn, id).map_err(DbError::from)).await.unwrap()
    }

    async fn count(&self, status: &'static str) -> i64 {
        self.db
            .run(move |conn| outbox::count_by_status(conn, status).map_err(DbError::from))
            .await
            .unwrap()
    }
}

fn verify_email(link: &str) -> RenderedEmail {
    let templates = EmailTemplates::load().unwrap();
    let mut context = tera::Context::new();
    context.insert("link", link);
    context.insert("valid_hours", &24);
    mend::mail::render(&templates, "verify_email", &context).unwrap()
}

fn plain_email(subject: &str) -> RenderedEmail {
    RenderedEmail {
        kind: "test".into(),
        subject: subject.into(),
        body_text: "Words.".into(),
        body_html: "<p>Words.</p>".into(),
    }
}

/// Why a unit of work ended without committing.
#[derive(Debug)]
enum Stop {
    Abandoned,
    Db(#[expect(dead_code, reason = "shown through Debug when an assertion fails")] DbError),
}

impl From<DbError> for Stop {
    fn from(error: DbError) -> Self {
        Stop::Db(error)
    }
}

/// A long unsubscribe URL, as a real token makes them, with `=` and `-_` a lazy encoder mangles.
fn long_unsubscribe_url(n: usize) -> String {
    format!("https://mend.test/unsubscribe/{n}.r{n}.{}", "Zm9v-YmFy_=".repeat(12))
}

/// The one header `name` of a raw message (unfolded), or `None`.
fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next()?.replace("\r\n ", " ").replace("\r\n\t", " ");
    let prefix = format!("{}: ", name.to_ascii_lowercase());
    head.split("\r\n")
        .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
        .map(|line| line[prefix.len()..].to_owned())
}

/// How many times each Message-ID arrived.
fn arrivals_by_message_id(sink: &SmtpSink) -> std::collections::BTreeMap<String, usize> {
    let mut seen = std::collections::BTreeMap::new();
    for received in sink.received() {
        let id = received.parsed().message_id().expect("a Message-ID").to_owned();
        *seen.entry(id).or_insert(0) += 1;
    }
    seen
}

both_backends! {
    async fn a_reminder_arrives_with_list_headers_dates_and_intact_links(test_db: TestDb) {
        let outbox = Outbox::open(&test_db);
        let sink = SmtpSink::start();
        let worker = outbox.worker(Mailer::smtp(&sink.url()).unwrap());
        let url = long_unsubscribe_url(7);
        let id = outbox.enqueue_reminder("Sam <sam@example.test>", "nudge:7:3", &url).await;
        outbox.clock.advance(Duration::minutes(3));

        assert_eq!(worker.run_once().await.unwrap(), 1);

        let received = sink.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].to, ["sam@example.test"]);
        let message = received[0].parsed();
        let from = message.from().and_then(|a| a.first()).unwrap();
        assert_eq!((from.name(), from.address()), (Some("Mend"), Some("no-reply@mend.test")));
        let to = message.to().and_then(|a| a.first()).unwrap();
        assert_eq!(to.address(), Some("sam@example.test"));
        assert_eq!(message.subject(), Some("A note from Mend"));
        let created = outbox.row(id).await.created_at.and_utc().timestamp();
        assert_eq!(message.message_id(), Some(format!("outbox.{id}.{created}@mend.test").as_str()));
        let date = message.date().expect("a Date header");
        assert_eq!(date.to_timestamp(), outbox.clock.now().timestamp(), "sent at the clock's now");
        assert!(message.body_text(0).unwrap().contains(&url));
        assert!(message.body_html(0).unwrap().contains(&format!("href=\"{url}\"")));

        let raw = received[0].text();
        assert_eq!(header(&raw, "List-Unsubscribe"), Some(format!("<{url}>")), "{raw}");
        assert_eq!(header(&raw, "List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
        assert_eq!(header(&raw, "Auto-Submitted").as_deref(), Some("auto-generated"));
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert_eq!(raw.matches("Content-Transfer-Encoding: 8bit").count(), 2, "{raw}");
        assert!(raw.contains(&format!("\r\n{url}\r\n")), "the raw text part has the URL whole: {raw}");
        assert!(raw.contains("Café —"), "{raw}");
        assert!(raw.split("\r\n").all(|line| line.len() <= 998));
    }

    async fn essential_mail_arrives_without_list_headers(test_db: TestDb) {
        let outbox = Outbox::open(&test_db);
        let sink = SmtpSink::start();
        let worker = outbox.worker(Mailer::smtp(&sink.url()).unwrap());
        let link = "https://mend.test/account/verify?token=abc123";
        outbox.enqueue(&verify_email(link), "learner@example.test", None).await.unwrap();

        assert_eq!(worker.run_once().await.unwrap(), 1);

        let raw = sink.received()[0].text();
        for name in ["List-Unsubscribe", "List-Unsubscribe-Post", "Auto-Submitted"] {
            assert_eq!(header(&raw, name), None, "{name} on essential mail: {raw}");
        }
        assert!(header(&raw, "Date").is_some() && header(&raw, "Message-ID").is_some(), "{raw}");
        assert!(raw.contains(&format!("\r\n{link}\r\n")), "{raw}");
    }

    async fn reminders_due_while_smtp_is_down_are_all_delivered_once_it_returns(test_db: TestDb) {
        let outbox = Outbox::open(&test_db);
        let port = closed_port();
        let worker = outbox.worker(Mailer::smtp(&format!("smtp://127.0.0.1:{port}")).unwrap());
        let total = 60;
        let mut ids = Vec::new();
        for n in 0..total {
            let key = format!("nudge:{n}:3");
            let to = format!("learner{n}@example.test");
            ids.push(outbox.enqueue_reminder(&to, &key, &long_unsubscribe_url(n)).await);
        }

        // Three runs cover the backlog (batches of 25, 25 and 10): every row
        // has failed once and stays pending.
        for _ in 0..3 {
            assert_eq!(worker.run_once().await.unwrap(), 0);
        }
        let first_failure = outbox.now();
        for id in &ids {
            let row = outbox.row(*id).await;
            assert_eq!((row.status.as_str(), row.attempts), ("pending", 1), "row {id}");
            assert_eq!(row.next_attempt_at, first_failure + Duration::minutes(1));
        }
        // Backoff: a minute on, each is tried again and fails a second time, now for 5 minutes.
        outbox.clock.advance(Duration::minutes(1));
        for _ in 0..3 {
            assert_eq!(worker.run_once().await.unwrap(), 0);
        }
        for id in &ids {
            let row = outbox.row(*id).await;
            assert_eq!((row.status.as_str(), row.attempts), ("pending", 2), "row {id}");
            assert_eq!(row.next_attempt_at, outbox.now() + Duration::minutes(5));
        }
        assert_eq!(outbox.count("pending").await, i64::try_from(total).unwrap());

        // The server comes back on the same port: nothing goes before the backoff has passed.
        let sink = SmtpSink::start_on(port);
        assert_eq!(worker.run_once().await.unwrap(), 0);
        assert!(sink.received().is_empty());
        outbox.clock.advance(Duration::minutes(5));
        let mut delivered = 0;
        loop {
            let sent = worker.run_once().await.unwrap();
            if sent == 0 {
                break;
            }
            delivered += sent;
        }
        assert_eq!(delivered, total);
        assert_eq!(outbox.count("sent").await, i64::try_from(total).unwrap());
        assert_eq!(outbox.count("pending").await, 0);

        let seen = arrivals_by_message_id(&sink);
        assert_eq!(seen.len(), total, "every reminder arrived");
        assert!(seen.values().all(|&n| n == 1), "none arrived twice: {seen:?}");
        for id in &ids {
            let row = outbox.row(*id).await;
            assert_eq!((row.status.as_str(), row.attempts), ("sent", 3), "row {id}");
        }
        outbox.clock.advance(Duration::hours(1));
        assert_eq!(worker.run_once().await.unwrap(), 0, "nothing is sent again");
        assert_eq!(sink.received().len(), total);
    }

    async fn queued_mail_is_delivered_over_smtp_with_text_and_html(test_db: TestDb) {
        let outbox = Outbox::open(&test_db);
        let sink = SmtpSink::start();
        let worker = outbox.worker(Mailer::smtp(&sink.url()).unwrap());
        let link = "https://mend.test/account/verify?token=abc123";
        let id = outbox.enqueue(&verify_email(link), "learner@example.test", None).await.unwrap();

        assert_eq!(worker.run_once().await.unwrap(), 1);

        let received = sink.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].to, ["learner@example.test"]);
        let message = received[0].parsed();
        assert_eq!(message.subject(), Some("Confirm your email for Mend"));
        assert!(message.body_text(0).unwrap().contains(link));
        assert!(message.body_html(0).unwrap().contains(&format!("href=\"{link}\"")));
        let raw = received[0].text();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain") && raw.contains("text/html"), "{raw}");

        let row = outbox.row(id).await;
        assert_eq!((row.status.as_str(), row.attempts), ("sent", 1));
        assert_eq!(row.sent_at, Some(outbox.now()));
        assert_eq!(row.locked_until, None);
        assert_eq!(worker.run_once().await.unwrap(), 0, "a sent message is not sent again");
        assert_eq!(sink.received().len(), 1);
    }

    async fn a_dedupe_key_enqueued_twice_sends_once(test_db: TestDb) {
        let outbox = Outbox::open(&test_db);
        let sink = SmtpSink::start();
        let worker = outbox.worker(Mailer::smtp(&sink.url()).unwrap());
        let email = plain_email("Hello");
        let first = outbox.enqueue(&email, "a@example.test", Some("welcome:42")).await;
        let second = outbox.enqueue(&email, "a@example.test", Some("welcome:42")).await;
        assert!(first.is_some());
        assert_eq!(second, None, "the duplicate is a no-op, not an error");
        assert!(outbox.enqueue(&email, "a@example.test", None).await.is_some());

        assert_eq!(worker.run_once().await.unwrap(), 2);
        assert_eq!(sink.received().len(), 2);
    }

    async fn mail_is_queued_only_if_its_transaction_commits(test_db: TestDb) {
        let outbox = Outbox::open(&test_db);
        let now = outbox.now();
        let abandoned: Result<(), Stop> = outbox
            .db
            .transaction(move |conn| {
                let email = plain_email("Never");
                outbox::enqueue(conn, &email.to_message("b@example.test", None), now).unwrap();
                Err(Stop::Abandoned)
            })
            .await;
        assert!(matches!(abandoned, Err(Stop::Abandoned)), "{abandoned:?}");
        assert_eq!(outbox.count("pending").await, 0);
    }

    async fn smtp_down_backs_off_then_delivers_when_due_again(test_db: TestDb) {
        let outbox = Outbox::open(&test_db);
        let port = closed_port();
        let worker = outbox.worker(Mailer::smtp(&format!("smtp://127.0.0.1:{port}")).unwrap());
        let id = outbox.enqueue(&plain_email("Later"), "c@example.test", None).await.unwrap();

        assert_eq!(worker.run_once().await.unwrap(), 0);
        let row = outbox.row(id).await;
        assert_eq!((row.status.as_str(), row.attempts), ("pending", 1));
        assert_eq!(row.next_attempt_at, outbox.now() + Duration::minutes(1));
        assert_eq!(row.locked_until, None);
        assert!(row.last_error.is_some_and(|e| e.contains("SMTP")));

        let sink = SmtpSink::start_on(port);
        assert_eq!(worker.run_once().await.unwrap(), 0, "not due until the backoff has passed");
        assert_eq!(outbox.row(id).await.attempts, 1);

        outbox.clock.advance(Duration::minutes(1));
        assert_eq!(worker.run_once().await.unwrap(), 1);
        assert_eq!(sink.received().len(), 1);
        let row = outbox.row(id).await;
        assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
    }

    async fn a_message_is_given_up_after_the_last_attempt(test_db: TestDb) {
        let outbox = Outbox::open(&test_db);
        let worker = outbox.worker(Mailer::smtp(&format!("smtp://127.0.0.1:{}", closed_port())).unwrap());
        let id = outbox.enqueue(&plain_email("Doomed"), "d@example.test", None).await.unwrap();
        for _ in 0..mend::mail::retry::MAX_ATTEMPTS {
            assert_eq!(worker.run_once().await.unwrap(), 0);
            outbox.clock.advance(Duration::hours(12));
        }
        let row = outbox.row(id).await;
        assert_eq!((row.status.as_str(), row.attempts), ("failed", 6));
        assert_eq!(worker.run_once().await.unwrap(), 0);
        assert_eq!(outbox.row(id).await.attempts, 6, "a failed message is not retried");
    }

    async fn racing_workers_send_each_message_exactly_once(test_db: TestDb) {
        let outbox = Outbox::open(&test_db);
        let sink = SmtpSink::start();
        let first = outbox.worker(Mailer::smtp(&sink.url()).unwrap());
        let second = outbox.worker(Mailer::smtp(&sink.url()).unwrap());
        let total = 25;
        for n in 0..total {
            outbox.enqueue(&plain_email("Race"), &format!("p{n}@example.test"), None).await.unwrap();
        }

        let mut delivered = 0;
        for _ in 0..total {
            let (a, b) = tokio::join!(first.run_once(), second.run_once());
            let round = a.unwrap() + b.unwrap();
            if round == 0 {
                break;
            }
            delivered += round;
        }

        assert_eq!(delivered, total);
        let mut recipients: Vec<String> = sink.received().into_iter().flat_map(|m| m.to).collect();
        assert_eq!(recipients.len(), total, "no message went out twice");
        recipients.sort();
        recipients.dedup();
        assert_eq!(recipients.len(), total, "every message went out");
        assert_eq!(outbox.count("sent").await, i64::try_from(total).unwrap());
    }

    async fn file_transport_writes_eml_files_into_the_data_dir(test_db: TestDb) {
        let outbox = Outbox::open(&test_db);
        let settings = test_settings(&test_db);
        let mailer = Mailer::from_settings(&settings).unwrap();
        assert!(matches!(mailer, Mailer::File(_)), "no SMTP configured means files");
        let worker = outbox.worker(mailer);
        outbox.enqueue(&verify_email("https://mend.test/v"), "e@example.test", None).await.unwrap();

        assert_eq!(worker.run_once().await.unwrap(), 1);

        let files: Vec<_> = std::fs::read_dir(settings.data_dir.join("outbox"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
        let eml = std::fs::read_to_string(&files[0]).unwrap();
        assert!(eml.contains("Subject: Confirm your email for Mend"), "{eml}");
        assert!(eml.contains("To: e@example.test"), "{eml}");
    }

    async fn the_background_worker_sends_until_stopped(test_db: TestDb) {
        let outbox = Outbox::open(&test_db);
        let sink = SmtpSink::start();
        let handle = outbox
            .worker(Mailer::smtp(&sink.url()).unwrap())
            .spawn(StdDuration::from_millis(20));
        outbox.enqueue(&plain_email("Soon"), "f@example.test", None).await.unwrap();

        assert_eq!(sink.wait_for(1).await.len(), 1);
        // The server has the message a moment before the worker records it as sent.
        let sent = || async { (outbox.count("sent").await == 1).then_some(()) };
        eventually("the message to be marked sent", StdDuration::from_secs(10), sent).await;
        // Returns only once the loop has ended.
        handle.stop().await;
    }
}

test_case! {
    async fn a_bad_smtp_url_is_refused_without_showing_it() {
        let error = Mailer::smtp("smtp://user:hunter2@").unwrap_err();
        assert!(matches!(error, MailError::SmtpUrl(_)));
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
