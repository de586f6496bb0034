//! Three scheduler instances on one database over a simulated fortnight: a test clock stepping
//! hourly, 200 learners seeded straight into the database in varied zones, windows and states,
//! three reminder scanners and three outbox workers sending to one loopback SMTP server. Every
//! due mail must be queued and sent exactly once, none outside its learner's send window, none
//! to learners on a break, finished, withdrawn or unconfirmed. On SQLite (one process per
//! database file) the same fortnight runs with one instance.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use mend::auth::keys::SecretKey;
use mend::auth::unsubscribe::UnsubscribeKey;
use mend::clock::{Clock, SharedClock, TestClock};
use mend::content::CatalogStore;
use mend::db::models::{enrollment, notification_preference, outbox};
use mend::db::schema::{enrollments, outbox as outbox_table, reminder_log};
use mend::db::{Database, DbConnection};
use mend::domain::notifications::{Preferences, SendWindow};
use mend::mail::{Mailer, OutboxWorker};
use mend::reminders::{Mailing, ReminderWords, Reminders, ScanMode};
use mend::templates::EmailTemplates;

use crate::both_backends;
use crate::reminders::{seed_enrollment, seed_learner, set_status, write_content};
use crate::smtp::SmtpSink;
use crate::support::TestDb;

const LEARNERS: usize = 200;
const ZONES: [&str; 7] = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Los_Angeles",
    "Asia/Kolkata",
];

/// What a seeded learner is, and so what they may receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Active,
    /// Active, and comes back on day 5 (the tiers start again).
    ComesBack,
    /// Active, opted in to the digest.
    Digest,
    Paused,
    Completed,
    Revoked,
    Unconfirmed,
    /// Active, nudges for the course turned off, new-lesson mail off.
    Silent,
}

const STATES: [State; 8] = [
    State::Active,
    State::ComesBack,
    State::Digest,
    State::Paused,
    State::Completed,
    State::Revoked,
    State::Unconfirmed,
    State::Silent,
];

struct Learner {
    email: String,
    zone: Tz,
    window: SendWindow,
    state: State,
}

/// One `mend serve` as far as reminders go: its own pool, scanner and outbox worker.
struct Instance {
    reminders: Reminders,
    outbox: OutboxWorker,
}

fn instance(
    test_db: &TestDb,
    store: &Arc<CatalogStore>,
    clock: &SharedClock,
    smtp: &str,
) -> Instance {
    let db = Database::connect(&test_db.url, 3).unwrap();
    let templates = Arc::new(EmailTemplates::load().unwrap());
    let secret = SecretKey::from_hex(crate::support::TEST_SECRET_HEX).unwrap();
    let base = url::Url::parse("http://mend.test").unwrap();
    let mailing = Mailing::new(templates, UnsubscribeKey::new(&secret), &base);
    let words = Arc::new(ReminderWords::new(mailing.clone(), store.clone()));
    let reminders = Reminders::new(db.clone(), store.clone(), mailing);
    let from = "Mend <no-reply@mend.test>".parse().unwrap();
    let outbox = OutboxWorker::new(db, Mailer::smtp(smtp).unwrap(), clock.clone(), from)
        .with_deferred(words);
    Instance { reminders, outbox }
}

/// A Monday, a week before the US clocks go forward (2026-03-08), so New York crosses DST.
fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z").unwrap().with_timezone(&Utc)
}

fn seed(conn: &mut DbConnection) -> HashMap<String, Learner> {
    let mut learners = HashMap::new();
    for i in 0..LEARNERS {
        let state = STATES[i % STATES.len()];
        let zone_name = ZONES[i % ZONES.len()];
        let email = format!("learner{i}@example.org");
        let user = seed_learner(conn, &email, zone_name, state != State::Unconfirmed);
        let enrolled = start() - Duration::days((i % 4) as i64) + Duration::hours((i % 24) as i64);
        let e = seed_enrollment(conn, user, "steady", enrolled);
        // Every third learner chose a narrow lunchtime window.
        let window = if i % 3 == 0 {
            SendWindow::new(12 * 60, 13 * 60).unwrap()
        } else {
            SendWindow::DEFAULT
        };
        let prefs = Preferences {
            window,
            digest: state == State::Digest,
            new_lessons: state != State::Silent,
            ..Preferences::default()
        };
        notification_preference::save(conn, user, &prefs, start().naive_utc()).unwrap();
        match state {
            State::Paused => {
                diesel::update(enrollments::table.find(e.get()))
                    .set(enrollments::paused_at.eq(Some(enrolled.naive_utc())))
                    .execute(conn)
                    .unwrap();
            }
            State::Completed => set_status(conn, e, "completed"),
            State::Revoked => set_status(conn, e, "revoked"),
            State::Silent => {
                enrollment::set_reminders_enabled(conn, e, false, start().naive_utc()).unwrap();
            }
            _ => {}
        }
        let zone = zone_name.parse().unwrap();
        learners.insert(email.clone(), Learner { email, zone, window, state });
    }
    learners
}

/// The learners who come back: activity recorded on day 5 at noon UTC.
fn come_back(conn: &mut DbConnection, learners: &HashMap<String, Learner>) {
    let back = start() + Duration::days(5) + Duration::hours(12);
    let emails: Vec<&str> = learners
        .values()
        .filter(|l| l.state == State::ComesBack)
        .map(|l| l.email.as_str())
        .collect();
    let ids: Vec<i64> = mend::db::schema::users::table
        .filter(mend::db::schema::users::email.eq_any(emails))
        .select(mend::db::schema::users::id)
        .load(conn)
        .unwrap();
    diesel::update(enrollments::table.filter(enrollments::user_id.eq_any(ids)))
        .set(enrollments::last_activity_at.eq(Some(back.naive_utc())))
        .execute(conn)
        .unwrap();
}

/// Runs the futures at once (each scan and send does its work on the blocking pool).
async fn all<T: 'static>(futures: Vec<impl std::future::Future<Output = T> + 'static>) -> Vec<T> {
    let handles: Vec<_> = futures.into_iter().map(actix_web::rt::spawn).collect();
    let mut done = Vec::with_capacity(handles.len());
    for handle in handles {
        done.push(handle.await.unwrap());
    }
    done
}

/// Sends everything due, on every instance at once, until no worker finds anything.
async fn drain(instances: &[Instance]) {
    loop {
        let runs = instances.iter().map(|i| {
            let worker = i.outbox.clone();
            async move { worker.run_once().await.unwrap() }
        });
        let sent: usize = all(runs.collect()).await.into_iter().sum();
        if sent == 0 {
            return;
        }
    }
}

async fn fortnight(test_db: TestDb, instances_wanted: usize) {
    let dir = tempfile::tempdir().unwrap();
    let content = write_content(dir.path());
    let clock = TestClock::at(start());
    let shared: SharedClock = clock.clone();
    let store = Arc::new(CatalogStore::new());
    store.publish(mend::content::compile(&content).unwrap(), start());
    let sink = SmtpSink::start();
    let db = Database::connect(&test_db.url, 2).unwrap();
    db.migrate().unwrap();
    let mut conn = db.connection().unwrap();
    let learners = seed(&mut conn);
    let instances: Vec<Instance> =
        (0..instances_wanted).map(|_| instance(&test_db, &store, &shared, &sink.url())).collect();

    let started = std::time::Instant::now();
    let mut locked_out = 0;
    let mut scanning = std::time::Duration::ZERO;
    let mut draining = std::time::Duration::ZERO;
    for hour in 0..14 * 24 {
        clock.set(start() + Duration::hours(hour));
        if hour == 5 * 24 + 12 {
            come_back(&mut conn, &learners);
        }
        let now = clock.now();
        let scans = instances.iter().map(|i| {
            let reminders = i.reminders.clone();
            async move { reminders.scan(now, ScanMode::Send).await }
        });
        for report in all(scans.collect()).await {
            let report = report.unwrap();
            scanning += report.elapsed;
            locked_out += usize::from(report.locked_elsewhere);
        }
        let sending = std::time::Instant::now();
        drain(&instances).await;
        draining += sending.elapsed();
    }
    eprintln!("scanning {scanning:?}, draining {draining:?}");
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let rows: Vec<outbox::OutboxMessage> =
        outbox_table::table.select(outbox::OutboxMessage::as_select()).load(&mut conn).unwrap();
    for row in &rows {
        *kinds.entry(row.kind.clone()).or_default() += 1;
    }
    eprintln!(
        "fortnight: {instances_wanted} instance(s), {locked_out} scan(s) found another scanning, \
         {} mail(s) {kinds:?} in {:.1} s",
        rows.len(),
        started.elapsed().as_secs_f64()
    );

    check_exactly_once(&rows, &sink);
    check_windows_and_states(&rows, &learners);
    check_everything_due_went(&rows, &learners);
    let logged: i64 = reminder_log::table.count().get_result(&mut conn).unwrap();
    assert_eq!(logged as usize, rows.len(), "one log row per queued mail");
}

/// Every queued row sent, on its first attempt, and received once.
fn check_exactly_once(rows: &[outbox::OutboxMessage], sink: &SmtpSink) {
    assert!(rows.len() > LEARNERS, "a fortnight of reminders: {} queued", rows.len());
    for row in rows {
        assert_eq!(row.status, outbox::STATUS_SENT, "outbox {} {}", row.id, row.kind);
        assert_eq!(row.attempts, 1, "outbox {} sent once", row.id);
        assert!(row.auto_submitted && row.list_unsubscribe.is_some());
    }
    let received = sink.received();
    assert_eq!(received.len(), rows.len(), "every queued mail received exactly once");
    let mut per_recipient: HashMap<&str, usize> = HashMap::new();
    for row in rows {
        *per_recipient.entry(&row.recipient).or_default() += 1;
    }
    for (to, n) in per_recipient {
        let got = received.iter().filter(|m| m.to.iter().any(|t| t == to)).count();
        assert_eq!(got, n, "mail to {to}");
    }
}

/// Queued and sent inside the learner's window; nothing to anyone who must not hear.
fn check_windows_and_states(rows: &[outbox::OutboxMessage], learners: &HashMap<String, Learner>) {
    for row in rows {
        let learner = &learners[&row.recipient];
        assert!(
            matches!(learner.state, State::Active | State::ComesBack | State::Digest),
            "{:?} learner got {}",
            learner.state,
            row.kind
        );
        for at in [row.created_at, row.sent_at.unwrap()] {
            assert!(
                learner.window.contains(learner.zone, at.and_utc()),
                "{} at {at} is outside {} in {}",
                row.kind,
                learner.window,
                learner.zone
            );
        }
    }
}

/// What the rules promise over the fortnight, per learner: both nudge tiers (three nudges, the
/// cap, for those who came back), the drip mail once per local opening day, a digest a week.
fn check_everything_due_went(rows: &[outbox::OutboxMessage], learners: &HashMap<String, Learner>) {
    let mut by_learner: BTreeMap<&str, Vec<&outbox::OutboxMessage>> = BTreeMap::new();
    for row in rows {
        by_learner.entry(&row.recipient).or_default().push(row);
    }
    for learner in learners.values() {
        let mail = by_learner.get(learner.email.as_str()).cloned().unwrap_or_default();
        let kinds = |key: &str| {
            mail.iter()
                .filter(|m| m.dedupe_key.as_deref().is_some_and(|k| k.starts_with(key)))
                .count()
        };
        let expected_nudges = match learner.state {
            State::Active | State::Digest => 2,
            State::ComesBack => 3,
            _ => 0,
        };
        assert_eq!(kinds("nudge:"), expected_nudges, "{} ({:?})", learner.email, learner.state);
        if matches!(learner.state, State::Active | State::ComesBack | State::Digest) {
            assert!(kinds("unlock:") >= 1, "{} heard of no new lesson", learner.email);
            let days: HashSet<_> = mail
                .iter()
                .filter(|m| m.kind == "new_lessons")
                .map(|m| m.created_at.and_utc().with_timezone(&learner.zone).date_naive())
                .collect();
            assert_eq!(days.len(), kinds("unlock:"), "one new-lessons mail a local day");
        }
        if learner.state == State::Digest {
            let weeks: HashSet<_> = mail
                .iter()
                .filter(|m| m.dedupe_key.as_deref().is_some_and(|k| k.starts_with("digest:")))
                .map(|m| m.created_at.and_utc().with_timezone(&learner.zone).iso_week())
                .collect();
            assert!(weeks.len() >= 2, "{} got {} digest week(s)", learner.email, weeks.len());
            assert_eq!(weeks.len(), kinds("digest:"), "one digest a week");
        } else {
            assert_eq!(kinds("digest:"), 0);
        }
    }
}

both_backends! {
    async fn a_fortnight_of_reminders_goes_out_exactly_once_inside_each_window(test_db: TestDb) {
        let instances = match test_db.url {
            mend::config::DatabaseUrl::Postgres(_) => 3,
            // One process per SQLite file: one scheduler.
            mend::config::DatabaseUrl::Sqlite(_) => 1,
        };
        fortnight(test_db, instances).await;
    }

    async fn a_scanner_that_dies_holding_the_lock_frees_it(test_db: TestDb) {
        let mend::config::DatabaseUrl::Postgres(url) = &test_db.url else {
            // SQLite takes no scan lock: the single writer and the unique keys suffice.
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(CatalogStore::new());
        store.publish(mend::content::compile(&write_content(dir.path())).unwrap(), start());
        let clock: SharedClock = TestClock::at(start());
        let sink = SmtpSink::start();
        let db = Database::connect(&test_db.url, 1).unwrap();
        db.migrate().unwrap();
        let scanner = instance(&test_db, &store, &clock, &sink.url());

        // Another instance, mid-scan: its session holds the lock.
        let mut other = diesel::pg::PgConnection::establish(url).unwrap();
        diesel::sql_query(format!("SELECT pg_advisory_lock({})", mend::reminders::SCAN_LOCK_KEY))
            .execute(&mut other)
            .unwrap();
        let report = scanner.reminders.scan(start(), ScanMode::Send).await.unwrap();
        assert!(report.locked_elsewhere, "a second scanner waits its turn");

        // That instance dies: its connection closes and PostgreSQL frees the lock.
        drop(other);
        let report = crate::support::eventually("the lock to be freed", std::time::Duration::from_secs(10), || async {
            let report = scanner.reminders.scan(start(), ScanMode::Send).await.unwrap();
            (!report.locked_elsewhere).then_some(report)
        })
        .await;
        assert_eq!(report.batches, 0, "an empty database: nothing to scan");
    }
}
