//! Reminders end to end: the scan over a real database with a test clock, the mail it queues
//! and sends, and what it refuses to send. Learners are seeded straight into the database.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use mend::db::DbConnection;
use mend::db::models::{enrollment, notification_preference, outbox, user};
use mend::db::schema::{enrollments, outbox as outbox_table, reminder_log, users};
use mend::domain::ids::{EnrollmentId, UserId};
use mend::domain::notifications::Preferences;
use mend::reminders::{Outcome, ReminderKind, ScanLine, ScanReport};

use crate::both_backends;
use crate::support::{Backend, Fixture, TestApp, epoch};

/// Nudge tiers of the test course (days without activity) and its cap.
pub const TIERS: &str = "[3, 7]";
pub const MAX_NUDGES: u32 = 3;

/// A small content folder: `steady` (published; lessons opening on days 0, 2, 2 and 5) and
/// `hidden` (unpublished).
pub fn write_content(root: &std::path::Path) -> std::path::PathBuf {
    let content = root.join("reminder-content");
    let course = |slug: &str, published: bool, lessons: &[(&str, u32)]| {
        let module = content.join(slug).join("01-basics");
        std::fs::create_dir_all(&module).unwrap();
        let toml = format!(
            "title = \"Course {slug}\"\nsummary = \"A test course.\"\nenrollment = \"open\"\n\
             published = {published}\n\n[reminders]\ninactive_days = {TIERS}\nmax_nudges = {MAX_NUDGES}\n"
        );
        std::fs::write(content.join(slug).join("course.toml"), toml).unwrap();
        std::fs::write(module.join("module.toml"), "title = \"Basics\"\nsummary = \"First.\"\n")
            .unwrap();
        for (i, (name, days)) in lessons.iter().enumerate() {
            let drip =
                if *days > 0 { format!("unlock_after_days = {days}\n") } else { String::new() };
            let text = format!("+++\ntitle = \"Lesson {name}\"\n{drip}+++\n\nSome words.\n");
            std::fs::write(module.join(format!("{:02}-{name}.md", i + 1)), text).unwrap();
        }
    };
    course("steady", true, &[("start", 0), ("second", 2), ("third", 2), ("fourth", 5)]);
    course("hidden", false, &[("only", 0)]);
    content
}

/// A test app serving [`write_content`] (kept for as long as the app runs).
pub struct ReminderApp {
    pub app: TestApp,
    _content: tempfile::TempDir,
}

impl std::ops::Deref for ReminderApp {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

impl Fixture for ReminderApp {
    async fn create(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let content = write_content(dir.path());
        let app = TestApp::create_with(backend, |s| s.content_dir = content).await?;
        Some(Self { app, _content: dir })
    }
}

/// A learner account straight in the database: confirmed or not, in `zone`.
pub fn seed_learner(conn: &mut DbConnection, email: &str, zone: &str, confirmed: bool) -> UserId {
    let at = epoch().naive_utc();
    let new = user::NewUser {
        email,
        display_name: "Robin",
        password_hash: "not-a-hash",
        role: "learner",
        email_verified_at: confirmed.then_some(at),
        time_zone: zone,
        created_at: at,
        updated_at: at,
    };
    UserId::from(user::insert(conn, &new).unwrap().id)
}

/// Turns the learner's new-lessons mail off, for tests about the other kinds.
pub fn no_new_lessons(conn: &mut DbConnection, user: UserId) {
    let prefs = Preferences { new_lessons: false, ..Preferences::default() };
    notification_preference::save(conn, user, &prefs, epoch().naive_utc()).unwrap();
}

/// An active enrolment enrolled at `at`.
pub fn seed_enrollment(
    conn: &mut DbConnection,
    user: UserId,
    course: &str,
    at: DateTime<Utc>,
) -> EnrollmentId {
    let at = at.naive_utc();
    let new = enrollment::NewEnrollment {
        user_id: user,
        course_slug: course,
        enrolled_at: at,
        updated_at: at,
    };
    assert!(enrollment::insert_if_absent(conn, &new).unwrap());
    enrollment::find(conn, user, course).unwrap().unwrap().id
}

/// Changes one enrolment column set straight in the database.
pub fn set_status(conn: &mut DbConnection, id: EnrollmentId, status: &str) {
    diesel::update(enrollments::table.find(id.get()))
        .set(enrollments::status.eq(status))
        .execute(conn)
        .unwrap();
}

fn naive(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// The lines about `user`.
fn lines_of(report: &ScanReport, user: UserId) -> Vec<&ScanLine> {
    report.lines.iter().filter(|l| l.user == user).collect()
}

/// The one line of `kind` about `user` (nudges: the first).
fn line(report: &ScanReport, user: UserId, kind: ReminderKind) -> Outcome {
    lines_of(report, user)
        .into_iter()
        .find(|l| l.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} line for learner {user}: {:#?}", report.lines))
        .outcome
        .clone()
}

fn is_sent(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Sent(_))
}

fn not_due(outcome: &Outcome) -> String {
    match outcome {
        Outcome::NotDue(skip) => skip.to_string(),
        other => panic!("expected not due, got {other:?}"),
    }
}

fn count(conn: &mut DbConnection, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

both_backends! {
    async fn a_nudge_goes_after_the_first_tier_inside_the_window_exactly_once(app: ReminderApp) {
        let mut conn = app.db.connection().unwrap();
        let london = seed_learner(&mut conn, "london@example.org", "Europe/London", true);
        let york = seed_learner(&mut conn, "york@example.org", "America/New_York", true);
        let enrolled = epoch();
        let london_e = seed_enrollment(&mut conn, london, "steady", enrolled);
        seed_enrollment(&mut conn, york, "steady", enrolled);
        no_new_lessons(&mut conn, london);
        no_new_lessons(&mut conn, york);

        app.clock.set(enrolled + Duration::days(1));
        let report = app.scan_reminders().await;
        assert_eq!(not_due(&line(&report, london, ReminderKind::Nudge)), "next nudge due 2026-03-05T09:00:00Z");
        assert_eq!(report.sent(), 0);

        // Thursday 09:00 UTC: 09:00 in London, 04:00 in New York (before its window).
        app.clock.set(enrolled + Duration::days(3));
        let report = app.scan_reminders().await;
        assert!(is_sent(&line(&report, london, ReminderKind::Nudge)), "{:#?}", report.lines);
        assert_eq!(
            not_due(&line(&report, york, ReminderKind::Nudge)),
            "outside the send window until 2026-03-05T14:00:00Z"
        );
        let again = app.scan_reminders().await;
        assert_eq!(again.sent(), 0, "a rerun sends nothing: {:#?}", again.lines);

        let queued: Vec<outbox::OutboxMessage> = outbox_table::table
            .select(outbox::OutboxMessage::as_select())
            .load(&mut conn)
            .unwrap();
        assert_eq!(queued.len(), 1);
        let mail = &queued[0];
        assert_eq!(mail.recipient, "london@example.org");
        assert!(mail.auto_submitted);
        let unsubscribe = mail.list_unsubscribe.clone().expect("a List-Unsubscribe URL");
        assert!(unsubscribe.starts_with(&format!("{}/unsubscribe/", app.address)), "{unsubscribe}");
        let key = format!("nudge:{london_e}:{}:1", enrolled.timestamp());
        assert_eq!(mail.dedupe_key.as_deref(), Some(key.as_str()));
        let logged: (Option<i64>, Option<i32>) = reminder_log::table
            .filter(reminder_log::dedupe_key.eq(&key))
            .select((reminder_log::outbox_id, reminder_log::tier))
            .first(&mut conn)
            .unwrap();
        assert_eq!(logged, (Some(mail.id), Some(1)));
        let received = app.mail_to("london@example.org", 1).await;
        let parsed = received[0].parsed();
        let text = parsed.body_text(0).unwrap().into_owned();
        // Discreet by default: a link in, the learner's own unsubscribe link, no course title.
        assert!(text.contains(&format!("{}/account/notifications", app.address)), "{text}");
        assert!(text.contains(&unsubscribe), "{text}");
        let subject = parsed.subject().unwrap_or_default().to_owned();
        for part in [&subject, &text] {
            assert!(!part.contains("Course steady"), "a title in discreet mail: {part}");
        }

        app.clock.set(at("2026-03-05T14:00:00Z"));
        let report = app.scan_reminders().await;
        assert!(is_sent(&line(&report, york, ReminderKind::Nudge)));
        assert_eq!(report.sent(), 1);
        app.mail_to("york@example.org", 1).await;
    }

    async fn nothing_goes_to_learners_who_should_not_hear_and_a_dry_run_writes_nothing(app: ReminderApp) {
        let mut conn = app.db.connection().unwrap();
        let enrolled = epoch();
        let mut seed = |name: &str, course: &str, confirmed: bool| {
            let user = seed_learner(&mut conn, &format!("{name}@example.org"), "UTC", confirmed);
            no_new_lessons(&mut conn, user);
            (user, seed_enrollment(&mut conn, user, course, enrolled))
        };
        let due = seed("due", "steady", true);
        let paused = seed("paused", "steady", true);
        let completed = seed("completed", "steady", true);
        let revoked = seed("revoked", "steady", true);
        let expired = seed("expired", "steady", true);
        let unconfirmed = seed("unconfirmed", "steady", false);
        let unpublished = seed("unpublished", "hidden", true);
        let turned_off = seed("off", "steady", true);
        let deactivated = seed("gone", "steady", true);
        let mut conn = app.db.connection().unwrap();
        diesel::update(enrollments::table.find(paused.1.get()))
            .set(enrollments::paused_at.eq(Some(naive(enrolled + Duration::hours(1)))))
            .execute(&mut conn)
            .unwrap();
        set_status(&mut conn, completed.1, "completed");
        set_status(&mut conn, revoked.1, "revoked");
        diesel::update(enrollments::table.find(expired.1.get()))
            .set(enrollments::expires_at.eq(Some(naive(enrolled + Duration::days(2)))))
            .execute(&mut conn)
            .unwrap();
        enrollment::set_reminders_enabled(&mut conn, turned_off.1, false, naive(enrolled)).unwrap();
        diesel::update(users::table.find(deactivated.0.get()))
            .set(users::deactivated_at.eq(Some(naive(enrolled))))
            .execute(&mut conn)
            .unwrap();

        app.clock.set(enrolled + Duration::days(4));
        let now = mend::clock::Clock::now(&*app.clock);
        let dry = app.reminders.reminders().scan(now, mend::reminders::ScanMode::DryRun).await.unwrap();
        assert!(matches!(line(&dry, due.0, ReminderKind::Nudge), Outcome::WouldSend(_)));
        assert_eq!(dry.would_send(), 1, "{:#?}", dry.lines);
        for table in ["reminder_log", "outbox"] {
            assert_eq!(count(&mut conn, table), 0, "a dry run wrote to {table}");
        }

        let report = app.scan_reminders().await;
        let expected = [
            (paused.0, "paused"),
            (completed.0, "course completed"),
            (revoked.0, "enrolment revoked"),
            (expired.0, "enrolment expired"),
            (unconfirmed.0, "address not confirmed"),
            (unpublished.0, "course not published"),
            (turned_off.0, "turned off by the learner"),
            (deactivated.0, "account deactivated"),
        ];
        for (user, reason) in expected {
            assert_eq!(not_due(&line(&report, user, ReminderKind::Nudge)), reason, "learner {user}");
        }
        assert!(is_sent(&line(&report, due.0, ReminderKind::Nudge)));
        assert_eq!(report.sent(), 1, "{:#?}", report.lines);
        assert_eq!(count(&mut conn, "outbox"), 1);
        app.mail_to("due@example.org", 1).await;
    }

    async fn activity_resets_the_tiers_and_max_nudges_caps_them(app: ReminderApp) {
        let mut conn = app.db.connection().unwrap();
        let learner = seed_learner(&mut conn, "back@example.org", "UTC", true);
        let enrolled = epoch();
        let e = seed_enrollment(&mut conn, learner, "steady", enrolled);
        no_new_lessons(&mut conn, learner);
        let activity = |conn: &mut DbConnection, when: DateTime<Utc>| {
            diesel::update(enrollments::table.find(e.get()))
                .set(enrollments::last_activity_at.eq(Some(naive(when))))
                .execute(conn)
                .unwrap();
        };

        let nudge = |report: &ScanReport| line(report, learner, ReminderKind::Nudge);
        app.clock.set(enrolled + Duration::days(3));
        let sent = nudge(&app.scan_reminders().await);
        assert_eq!(sent, Outcome::Sent("tier 1 after 3 day(s) without activity".into()));
        app.clock.set(enrolled + Duration::days(5));
        assert_eq!(not_due(&nudge(&app.scan_reminders().await)), "next nudge due 2026-03-09T09:00:00Z");

        // Coming back on day 6 starts the tiers again: tier 1 three days later, not tier 2.
        activity(&mut conn, enrolled + Duration::days(6));
        app.clock.set(enrolled + Duration::days(9));
        let sent = nudge(&app.scan_reminders().await);
        assert_eq!(sent, Outcome::Sent("tier 1 after 3 day(s) without activity".into()));
        // Much later only the highest passed tier goes, once.
        app.clock.set(enrolled + Duration::days(30));
        let report = app.scan_reminders().await;
        assert_eq!(nudge(&report), Outcome::Sent("tier 2 after 24 day(s) without activity".into()));
        assert_eq!(report.sent(), 1);
        activity(&mut conn, enrolled + Duration::days(31));
        app.clock.set(enrolled + Duration::days(40));
        assert_eq!(not_due(&nudge(&app.scan_reminders().await)), "every nudge for this enrolment sent");
        let tiers: Vec<Option<i32>> = reminder_log::table
            .order(reminder_log::id)
            .select(reminder_log::tier)
            .load(&mut conn)
            .unwrap();
        assert_eq!(tiers, [Some(1), Some(1), Some(2)]);
        assert_eq!(app.mail_to("back@example.org", 3).await.len(), 3);
    }

    async fn new_lessons_mail_goes_once_a_local_day_for_several_drip_lessons(app: ReminderApp) {
        let mut conn = app.db.connection().unwrap();
        let learner = seed_learner(&mut conn, "drip@example.org", "Asia/Tokyo", true);
        let enrolled = epoch(); // Monday 18:00 in Tokyo
        let e = seed_enrollment(&mut conn, learner, "steady", enrolled);
        enrollment::set_reminders_enabled(&mut conn, e, false, naive(enrolled)).unwrap();

        app.clock.set(enrolled + Duration::days(1));
        let report = app.scan_reminders().await;
        assert_eq!(not_due(&line(&report, learner, ReminderKind::NewLessons)), "nothing new");

        // "second" and "third" open at Tokyo midnight of day 2 (15:00 UTC the day before);
        // the window opens at 09:00 Tokyo (00:00 UTC).
        app.clock.set(at("2026-03-03T23:00:00Z"));
        let report = app.scan_reminders().await;
        assert_eq!(
            not_due(&line(&report, learner, ReminderKind::NewLessons)),
            "outside the send window until 2026-03-04T00:00:00Z"
        );
        app.clock.set(at("2026-03-04T00:30:00Z"));
        let report = app.scan_reminders().await;
        let Outcome::Sent(detail) = line(&report, learner, ReminderKind::NewLessons) else {
            panic!("{:#?}", report.lines)
        };
        assert_eq!(detail, "2 new lesson(s)");
        app.clock.set(at("2026-03-04T08:00:00Z"));
        let report = app.scan_reminders().await;
        assert_eq!(report.sent(), 0, "{:#?}", report.lines);

        // "fourth" opens on day 5.
        app.clock.set(at("2026-03-07T01:00:00Z"));
        let report = app.scan_reminders().await;
        let Outcome::Sent(detail) = line(&report, learner, ReminderKind::NewLessons) else {
            panic!("{:#?}", report.lines)
        };
        assert_eq!(detail, "1 new lesson(s)");
        let keys: Vec<Option<String>> = reminder_log::table
            .order(reminder_log::id)
            .select(reminder_log::dedupe_key)
            .load(&mut conn)
            .unwrap();
        let expected = [format!("unlock:{learner}:2026-03-04"), format!("unlock:{learner}:2026-03-07")];
        assert_eq!(keys, expected.map(Some).to_vec());
        assert_eq!(app.mail_to("drip@example.org", 2).await.len(), 2);
    }

    async fn the_digest_is_opt_in_and_weekly(app: ReminderApp) {
        let mut conn = app.db.connection().unwrap();
        let keen = seed_learner(&mut conn, "keen@example.org", "UTC", true);
        let quiet = seed_learner(&mut conn, "quiet@example.org", "UTC", true);
        for user in [keen, quiet] {
            let e = seed_enrollment(&mut conn, user, "steady", epoch() - Duration::days(1));
            enrollment::set_reminders_enabled(&mut conn, e, false, naive(epoch())).unwrap();
        }
        no_new_lessons(&mut conn, quiet);
        let prefs = Preferences { digest: true, new_lessons: false, ..Preferences::default() };
        notification_preference::save(&mut conn, keen, &prefs, naive(epoch())).unwrap();
        // Asked for the digest, then took a break: a break means quiet.
        let resting = seed_learner(&mut conn, "resting@example.org", "UTC", true);
        let e = seed_enrollment(&mut conn, resting, "steady", epoch() - Duration::days(1));
        enrollment::pause(&mut conn, e, naive(epoch() - Duration::hours(1))).unwrap();
        notification_preference::save(&mut conn, resting, &prefs, naive(epoch())).unwrap();

        app.clock.set(epoch()); // Monday 09:00
        let report = app.scan_reminders().await;
        assert!(is_sent(&line(&report, keen, ReminderKind::Digest)), "{:#?}", report.lines);
        assert_eq!(not_due(&line(&report, quiet, ReminderKind::Digest)), "turned off by the learner");
        assert_eq!(not_due(&line(&report, resting, ReminderKind::Digest)), "paused");
        app.clock.set(epoch() + Duration::days(3));
        let report = app.scan_reminders().await;
        assert_eq!(not_due(&line(&report, keen, ReminderKind::Digest)), "already sent");
        app.clock.set(epoch() + Duration::days(7));
        assert!(is_sent(&line(&app.scan_reminders().await, keen, ReminderKind::Digest)));
        assert_eq!(app.mail_to("keen@example.org", 2).await.len(), 2);
    }

    async fn a_queued_reminder_holds_facts_not_words_and_the_outbox_console_writes_them(app: ReminderApp) {
        let mut conn = app.db.connection().unwrap();
        let learner = seed_learner(&mut conn, "facts@example.org", "UTC", true);
        seed_enrollment(&mut conn, learner, "steady", epoch());
        no_new_lessons(&mut conn, learner);
        app.clock.set(epoch() + Duration::days(3));
        assert_eq!(app.scan_reminders().await.sent(), 1);

        let row: outbox::OutboxMessage = outbox_table::table
            .select(outbox::OutboxMessage::as_select())
            .first(&mut conn)
            .unwrap();
        assert_eq!((row.subject.as_str(), row.body_text.as_str(), row.body_html.as_deref()), ("", "", None));
        let payload = row.payload.clone().expect("a reminder is queued as facts");
        assert!(payload.contains(r#""course":"steady""#), "{payload}");
        assert!(!payload.contains("facts@example.org") && !payload.contains("Course steady"), "{payload}");

        let admin = app.signed_in_as("admin@example.com", mend::domain::account::Role::Admin).await;
        let page = admin.get(&format!("/admin/outbox/{}", row.id)).await.text().await.unwrap();
        assert!(page.contains("A note from Mend"), "the console writes the words: {page}");
        assert!(page.contains("Manage notifications"), "{page}");
        let list = admin.get("/admin/outbox").await.text().await.unwrap();
        assert!(list.contains("A note from Mend"), "{list}");

        let mail = app.mail_to("facts@example.org", 1).await;
        let text = mail[0].parsed().body_text(0).unwrap().into_owned();
        assert!(text.contains("Robin"), "sent with its words: {text}");
    }
}
