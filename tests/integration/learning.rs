//! Enrolment, access codes, progress and drip over real databases (no web layer yet).

use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use diesel::connection::{Connection, InstrumentationEvent};
use diesel::prelude::*;
use mend::accounts::{self, Registration};
use mend::clock::TestClock;
use mend::content::Catalog;
use mend::db::Database;
use mend::db::models::{access_code, lesson_progress};
use mend::db::schema::{access_codes, enrollments, lesson_progress as progress_table};
use mend::domain::account::Role;
use mend::domain::drip::{LessonState, LockReason};
use mend::domain::ids::UserId;
use mend::learning::{self, EnrollError, EnrollOutcome, LearningError};

use crate::both_backends;
use crate::support::{TestDb, epoch};

/// Three small courses, one per enrolment policy, plus a second code course.
pub fn write_content(root: &Path) {
    let course = |slug: &str, policy: &str, lessons: &[(&str, &str)]| {
        let module = root.join(slug).join("01-basics");
        std::fs::create_dir_all(&module).unwrap();
        let toml = format!(
            "title = \"{slug}\"\nsummary = \"A test course.\"\nenrollment = \"{policy}\"\npublished = true\n"
        );
        std::fs::write(root.join(slug).join("course.toml"), toml).unwrap();
        std::fs::write(
            module.join("module.toml"),
            "title = \"Basics\"\nsummary = \"First steps.\"\n",
        )
        .unwrap();
        for (i, (name, extra)) in lessons.iter().enumerate() {
            let text = format!(
                "+++\ntitle = \"{name}\"\nsummary = \"About {name}.\"\n{extra}\n+++\n\nSome words about {name}.\n"
            );
            std::fs::write(module.join(format!("{:02}-{name}.md", i + 1)), text).unwrap();
        }
    };
    course(
        "open-course",
        "open",
        &[
            ("one", ""),
            ("two", "unlock_after_days = 2"),
            ("three", "requires = [\"one\"]"),
            ("sketch", "draft = true"),
        ],
    );
    course("code-course", "code", &[("welcome", "")]);
    course("other-code", "code", &[("welcome", "")]);
    course("invite-course", "invite", &[("welcome", "")]);
}

struct Env {
    db: Database,
    clock: Arc<TestClock>,
    catalog: Arc<Catalog>,
    _content: tempfile::TempDir,
}

fn env(test_db: &TestDb) -> Env {
    env_with_pool(test_db, 4)
}

fn env_with_pool(test_db: &TestDb, pool_size: u32) -> Env {
    let db = Database::connect(&test_db.url, pool_size).unwrap();
    db.migrate().unwrap();
    let content = tempfile::tempdir().unwrap();
    write_content(content.path());
    let compilation = mend::content::compile(content.path()).unwrap();
    let catalog = compilation.catalog.unwrap_or_else(|| panic!("{:?}", compilation.diagnostics));
    Env { db, clock: TestClock::at(epoch()), catalog, _content: content }
}

impl Env {
    fn at<'a>(&'a self, user_id: UserId, course_slug: &'a str) -> learning::LearnerCourse<'a> {
        learning::LearnerCourse {
            db: &self.db,
            clock: self.clock.as_ref(),
            catalog: &self.catalog,
            user_id,
            course_slug,
        }
    }
}

fn add_user(env: &Env, email: &str) -> UserId {
    let account = Registration::parse(email, "Sam", crate::support::PASSWORD.into()).unwrap();
    let mut conn = env.db.connection().unwrap();
    UserId::from(
        accounts::create_verified_user(&mut conn, &account, Role::Learner, epoch()).unwrap().id,
    )
}

fn new_code(env: &Env, course: &str, max_uses: Option<u32>) -> String {
    let mut conn = env.db.connection().unwrap();
    learning::create_access_code(&mut conn, &env.catalog, course, max_uses, None, epoch())
        .unwrap()
        .to_string()
}

async fn enroll(
    env: &Env,
    user: UserId,
    course: &str,
    code: Option<&str>,
) -> Result<EnrollOutcome, EnrollError> {
    learning::enroll(env.at(user, course), code).await
}

async fn states(env: &Env, user: UserId) -> Vec<(String, LessonState)> {
    let view = learning::course_view(env.at(user, "open-course")).await.unwrap();
    view.lessons.into_iter().map(|l| (l.slug, l.state)).collect()
}

async fn complete(
    env: &Env,
    user: UserId,
    lesson: &str,
) -> Result<learning::Completion, LearningError> {
    learning::complete_lesson(env.at(user, "open-course"), lesson).await
}

/// Rows in a table.
macro_rules! count {
    ($env:expr, $table:path) => {
        $table.count().get_result::<i64>(&mut *$env.db.connection().unwrap()).unwrap()
    };
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

both_backends! {
    async fn enrolling_twice_is_harmless_and_reenrolling_keeps_progress(test_db: TestDb) {
        let env = env(&test_db);
        let learner = add_user(&env, "a@example.org");
        assert_eq!(enroll(&env, learner, "open-course", None).await.unwrap(), EnrollOutcome::Created);
        assert_eq!(enroll(&env, learner, "open-course", None).await.unwrap(), EnrollOutcome::AlreadyEnrolled);
        assert_eq!(count!(env, enrollments::table), 1);
        complete(&env, learner, "one").await.unwrap();

        // The enrolment runs out; enrolling again renews it and keeps what was done.
        diesel::update(enrollments::table)
            .set(enrollments::expires_at.eq(Some((epoch() - Duration::days(1)).naive_utc())))
            .execute(&mut *env.db.connection().unwrap())
            .unwrap();
        assert!(matches!(complete(&env, learner, "three").await, Err(LearningError::NoAccess(_))));
        assert_eq!(enroll(&env, learner, "open-course", None).await.unwrap(), EnrollOutcome::Reenrolled);
        assert_eq!(states(&env, learner).await[0], ("one".to_owned(), LessonState::Completed));
        assert!(matches!(enroll(&env, learner, "no-such-course", None).await, Err(EnrollError::NoSuchCourse)));
    }

    async fn code_courses_take_only_a_valid_code_for_that_course(test_db: TestDb) {
        let env = env(&test_db);
        let learner = add_user(&env, "a@example.org");
        let refused = |r: Result<EnrollOutcome, EnrollError>| matches!(r, Err(EnrollError::InvalidCode));
        assert!(matches!(enroll(&env, learner, "code-course", None).await, Err(EnrollError::CodeRequired)));
        assert!(refused(enroll(&env, learner, "code-course", Some("nonsense")).await));
        assert!(refused(enroll(&env, learner, "code-course", Some("ABCD-EFGH-JK")).await), "unknown");
        let other = new_code(&env, "other-code", None);
        assert!(refused(enroll(&env, learner, "code-course", Some(&other)).await), "other course");

        let expired = new_code(&env, "code-course", None);
        diesel::update(access_codes::table.filter(access_codes::code.eq(&expired)))
            .set(access_codes::expires_at.eq(Some(epoch().naive_utc())))
            .execute(&mut *env.db.connection().unwrap())
            .unwrap();
        assert!(refused(enroll(&env, learner, "code-course", Some(&expired)).await), "expired");

        let revoked = new_code(&env, "code-course", None);
        {
            let mut conn = env.db.connection().unwrap();
            let row = access_code::find_by_code(&mut conn, &revoked).unwrap().unwrap();
            access_code::revoke(&mut conn, row.id, epoch().naive_utc()).unwrap();
        }
        assert!(refused(enroll(&env, learner, "code-course", Some(&revoked)).await), "revoked");
        assert_eq!(count!(env, enrollments::table), 0, "refusals leave no enrolment behind");

        let good = new_code(&env, "code-course", Some(5));
        let typed = good.to_lowercase().replace('-', " ");
        assert_eq!(enroll(&env, learner, "code-course", Some(&typed)).await.unwrap(), EnrollOutcome::Created);
        assert_eq!(enroll(&env, learner, "code-course", Some(&good)).await.unwrap(), EnrollOutcome::AlreadyEnrolled);
        let row = access_code::find_by_code(&mut env.db.connection().unwrap(), &good).unwrap().unwrap();
        assert_eq!(row.uses, 1, "enrolling again spends no second use");

        // Once expired, renewing goes through the code again and spends a second use.
        diesel::update(enrollments::table)
            .set(enrollments::expires_at.eq(Some(epoch().naive_utc())))
            .execute(&mut *env.db.connection().unwrap())
            .unwrap();
        assert!(matches!(enroll(&env, learner, "code-course", None).await, Err(EnrollError::CodeRequired)));
        assert!(refused(enroll(&env, learner, "code-course", Some(&expired)).await));
        assert_eq!(enroll(&env, learner, "code-course", Some(&good)).await.unwrap(), EnrollOutcome::Reenrolled);
        let row = access_code::find_by_code(&mut env.db.connection().unwrap(), &good).unwrap().unwrap();
        assert_eq!(row.uses, 2);
        let stored: (String, Option<i64>) = enrollments::table
            .select((enrollments::status, enrollments::access_code_id))
            .first(&mut *env.db.connection().unwrap())
            .unwrap();
        assert_eq!(stored, ("active".to_owned(), Some(row.id.get())));
    }

    async fn invite_courses_enrol_only_through_an_admin(test_db: TestDb) {
        let env = env(&test_db);
        let learner = add_user(&env, "a@example.org");
        assert!(matches!(enroll(&env, learner, "invite-course", None).await, Err(EnrollError::InviteOnly)));
        let by_admin = learning::admin_enroll(env.at(learner, "invite-course")).await;
        assert_eq!(by_admin.unwrap(), EnrollOutcome::Created);
        assert_eq!(enroll(&env, learner, "invite-course", None).await.unwrap(), EnrollOutcome::AlreadyEnrolled);
    }

    async fn two_learners_racing_for_the_last_use_of_a_code_one_wins(test_db: TestDb) {
        let env = env(&test_db);
        for round in 0..4 {
            let code = new_code(&env, "code-course", Some(1));
            let first = add_user(&env, &format!("first{round}@example.org"));
            let second = add_user(&env, &format!("second{round}@example.org"));
            let (a, b) = tokio::join!(
                enroll(&env, first, "code-course", Some(&code)),
                enroll(&env, second, "code-course", Some(&code)),
            );
            let wins = [&a, &b].iter().filter(|r| matches!(r, Ok(EnrollOutcome::Created))).count();
            let losses = [&a, &b].iter().filter(|r| matches!(r, Err(EnrollError::InvalidCode))).count();
            assert_eq!((wins, losses), (1, 1), "round {round}: {a:?} {b:?}");
            let row = access_code::find_by_code(&mut env.db.connection().unwrap(), &code).unwrap().unwrap();
            assert_eq!(row.uses, 1);
        }
        assert_eq!(count!(env, enrollments::table), 4);
    }

    async fn completing_is_idempotent_and_concurrent_completes_make_one_row(test_db: TestDb) {
        let env = env(&test_db);
        let learner = add_user(&env, "a@example.org");
        enroll(&env, learner, "open-course", None).await.unwrap();
        assert!(!complete(&env, learner, "one").await.unwrap().course_complete);
        let first_time = mend::clock::Clock::now(env.clock.as_ref()).naive_utc();
        env.clock.advance(Duration::hours(1));
        complete(&env, learner, "one").await.unwrap();

        let (a, b) = tokio::join!(complete(&env, learner, "three"), complete(&env, learner, "three"));
        a.unwrap();
        b.unwrap();
        let owner = lesson_progress::Owner { user_id: learner, course_slug: "open-course" };
        let rows = lesson_progress::load_course_progress(&mut env.db.connection().unwrap(), owner).unwrap();
        let one = rows.iter().find(|r| r.lesson_slug == "one").unwrap();
        assert_eq!(one.completed_at, Some(first_time), "the first completion time is kept");
        assert_eq!(rows.iter().filter(|r| r.lesson_slug == "three").count(), 1);
        assert_eq!(count!(env, progress_table::table), rows.len() as i64);

        // "two" opens on day 2; completing it finishes the course, un-completing reopens it.
        assert!(matches!(complete(&env, learner, "two").await, Err(LearningError::Locked { reason: LockReason::OpensAt(_), .. })));
        env.clock.advance(Duration::days(2));
        assert!(complete(&env, learner, "two").await.unwrap().course_complete);
        let status: String = enrollments::table.select(enrollments::status).first(&mut *env.db.connection().unwrap()).unwrap();
        assert_eq!(status, "completed");
        let undone = learning::uncomplete_lesson(env.at(learner, "open-course"), "two").await;
        assert!(!undone.unwrap().course_complete);
        let view = learning::course_view(env.at(learner, "open-course")).await.unwrap();
        assert_eq!((view.progress.done, view.progress.total, view.progress.percent), (2, 3, 66));
        assert_eq!(view.resume.as_deref(), Some("two"));
    }

    async fn requirements_gate_lessons_and_an_unlocked_lesson_never_locks_again(test_db: TestDb) {
        let env = env(&test_db);
        let learner = add_user(&env, "a@example.org");
        assert!(matches!(states_or_err(&env, learner).await, Err(LearningError::NotEnrolled)));
        enroll(&env, learner, "open-course", None).await.unwrap();
        let needs_one = LessonState::Locked(LockReason::Requires(vec!["one".to_owned()]));
        assert_eq!(states(&env, learner).await[2].1, needs_one);
        assert!(matches!(complete(&env, learner, "three").await, Err(LearningError::Locked { .. })));
        assert!(matches!(complete(&env, learner, "sketch").await, Err(LearningError::NoSuchLesson)), "drafts are not the learner's");

        complete(&env, learner, "one").await.unwrap();
        assert_eq!(states(&env, learner).await[2].1, LessonState::Open);
        learning::uncomplete_lesson(env.at(learner, "open-course"), "one").await.unwrap();
        assert_eq!(states(&env, learner).await[2].1, LessonState::Open, "seen open once, open for good");
        learning::view_lesson(env.at(learner, "open-course"), "three").await.unwrap();
        let view = learning::course_view(env.at(learner, "open-course")).await.unwrap();
        assert_eq!(view.resume.as_deref(), Some("three"));
    }

    async fn pausing_holds_the_drip_and_resuming_shifts_it(test_db: TestDb) {
        let env = env(&test_db);
        let learner = add_user(&env, "a@example.org");
        enroll(&env, learner, "open-course", None).await.unwrap(); // 2 March, 09:00 UTC
        assert_eq!(states(&env, learner).await[1].1, LessonState::Locked(LockReason::OpensAt(utc("2026-03-04T00:00:00Z"))));
        env.clock.set(utc("2026-03-03T00:00:00Z"));
        toggle(&env, learner, "pause").await.unwrap();
        toggle(&env, learner, "pause").await.unwrap();
        env.clock.set(utc("2026-03-05T00:00:00Z"));
        assert_eq!(states(&env, learner).await[1].1, LessonState::Locked(LockReason::Paused));
        toggle(&env, learner, "resume").await.unwrap();
        toggle(&env, learner, "resume").await.unwrap();
        assert_eq!(states(&env, learner).await[1].1, LessonState::Locked(LockReason::OpensAt(utc("2026-03-06T00:00:00Z"))));
        env.clock.set(utc("2026-03-06T00:00:00Z"));
        assert_eq!(states(&env, learner).await[1].1, LessonState::Open);
    }

    async fn the_drip_counts_days_in_the_learners_time_zone(test_db: TestDb) {
        let env = env(&test_db);
        let learner = add_user(&env, "a@example.org");
        diesel::update(mend::db::schema::users::table)
            .set(mend::db::schema::users::time_zone.eq("Pacific/Auckland"))
            .execute(&mut *env.db.connection().unwrap())
            .unwrap();
        enroll(&env, learner, "open-course", None).await.unwrap(); // 2 March 22:00 in Auckland
        let view = learning::course_view(env.at(learner, "open-course")).await.unwrap();
        assert_eq!(view.zone, chrono_tz::Tz::Pacific__Auckland);
        assert_eq!(view.lessons[1].state, LessonState::Locked(LockReason::OpensAt(utc("2026-03-03T11:00:00Z"))));
    }
}

async fn states_or_err(env: &Env, user: UserId) -> Result<learning::CourseView, LearningError> {
    learning::course_view(env.at(user, "open-course")).await
}

async fn toggle(env: &Env, user: UserId, what: &str) -> Result<(), LearningError> {
    match what {
        "pause" => learning::pause(env.at(user, "open-course")).await,
        _ => learning::resume(env.at(user, "open-course")).await,
    }
}

both_backends! {
    async fn the_dashboard_lists_each_enrolment_with_its_own_progress(test_db: TestDb) {
        let env = env(&test_db);
        let learner = add_user(&env, "a@example.org");
        let other = add_user(&env, "b@example.org");
        enroll(&env, learner, "open-course", None).await.unwrap();
        learning::admin_enroll(env.at(learner, "invite-course")).await.unwrap();
        enroll(&env, other, "open-course", None).await.unwrap();
        complete(&env, learner, "one").await.unwrap();
        complete(&env, other, "three").await.err();
        complete(&env, other, "one").await.unwrap();
        learning::complete_lesson(env.at(learner, "invite-course"), "welcome").await.unwrap();

        let dashboard = learning::dashboard(&env.db, env.clock.as_ref(), &env.catalog, learner).await.unwrap();
        let summary: Vec<(&str, usize, usize, bool)> = dashboard
            .iter()
            .map(|e| (e.course_slug.as_str(), e.view.progress.done, e.view.progress.total, e.view.progress.complete))
            .collect();
        assert_eq!(summary, [("open-course", 1, 3, false), ("invite-course", 1, 1, true)]);
        assert_eq!(dashboard[0].view.resume.as_deref(), Some("three"));
    }
}

/// Records the statements sent over the pool's only connection (the pool's checkout ping too).
fn record_statements(db: &Database) -> Arc<Mutex<Vec<String>>> {
    let statements = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&statements);
    db.connection().unwrap().set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            seen.lock().unwrap().push(query.to_string());
        }
    });
    statements
}

/// Statements `work` sends.
async fn statements_of<F: std::future::Future>(
    statements: &Mutex<Vec<String>>,
    work: F,
) -> Vec<String> {
    statements.lock().unwrap().clear();
    work.await;
    std::mem::take(&mut *statements.lock().unwrap())
}

/// Statements `work` sends, counted.
async fn queries_of<F: std::future::Future>(statements: &Mutex<Vec<String>>, work: F) -> usize {
    statements_of(statements, work).await.len()
}

/// Whether a statement writes or takes the SQLite write lock.
fn writes(statement: &str) -> bool {
    let verb = statement.split_whitespace().next().unwrap_or_default();
    ["INSERT", "UPDATE", "DELETE", "BEGIN"].iter().any(|w| verb.eq_ignore_ascii_case(w))
}

both_backends! {
    async fn course_page_and_dashboard_take_the_same_queries_whatever_their_size(test_db: TestDb) {
        let env = env_with_pool(&test_db, 1);
        let learner = add_user(&env, "a@example.org");
        enroll(&env, learner, "open-course", None).await.unwrap();
        learning::admin_enroll(env.at(learner, "invite-course")).await.unwrap();
        complete(&env, learner, "one").await.unwrap();
        let counter = record_statements(&env.db);

        let env = &env;
        let view = |course| async move { learning::course_view(env.at(learner, course)).await.unwrap() };
        view("open-course").await; // records the unlocks once
        view("invite-course").await;
        let three_lessons = queries_of(&counter, view("open-course")).await;
        let one_lesson = queries_of(&counter, view("invite-course")).await;
        assert_eq!(three_lessons, one_lesson);
        assert!((2..=3).contains(&three_lessons), "ping, enrolment with zone, progress: {three_lessons}");

        let dashboard = || learning::dashboard(&env.db, env.clock.as_ref(), &env.catalog, learner);
        let two_courses = queries_of(&counter, dashboard()).await;
        learning::admin_enroll(env.at(learner, "other-code")).await.unwrap();
        let three_courses = queries_of(&counter, dashboard()).await;
        assert_eq!(two_courses, three_courses);
        assert!((2..=3).contains(&two_courses), "{two_courses}");
    }
}

both_backends! {
    async fn a_repeat_lesson_view_reads_once_and_writes_nothing(test_db: TestDb) {
        let env = env_with_pool(&test_db, 1);
        let learner = add_user(&env, "a@example.org");
        enroll(&env, learner, "open-course", None).await.unwrap();
        learning::admin_enroll(env.at(learner, "invite-course")).await.unwrap();
        let statements = record_statements(&env.db);

        let env = &env;
        let view = |course, lesson| async move {
            learning::view_lesson(env.at(learner, course), lesson).await.unwrap()
        };
        let first = statements_of(&statements, view("open-course", "one")).await;
        assert!(first.iter().any(|s| writes(s)), "the first view is recorded: {first:#?}");
        let again = statements_of(&statements, view("open-course", "one")).await;
        assert!(!again.iter().any(|s| writes(s)), "a repeat view only reads: {again:#?}");
        view("invite-course", "welcome").await;
        let one_lesson = queries_of(&statements, view("invite-course", "welcome")).await;
        assert_eq!(again.len(), one_lesson, "the same read whatever the course size");
        assert!((2..=3).contains(&one_lesson), "ping, enrolment with zone, progress: {again:#?}");
    }

    async fn the_first_view_is_recorded_once_and_kept(test_db: TestDb) {
        let env = env(&test_db);
        let learner = add_user(&env, "a@example.org");
        enroll(&env, learner, "open-course", None).await.unwrap();
        let view = learning::view_lesson(env.at(learner, "open-course"), "one").await.unwrap();
        assert_eq!(view.resume.as_deref(), Some("one"), "the page already shows the new view");
        env.clock.advance(Duration::hours(5));
        learning::view_lesson(env.at(learner, "open-course"), "one").await.unwrap();
        let viewed: Vec<Option<chrono::NaiveDateTime>> = progress_table::table
            .filter(progress_table::lesson_slug.eq("one"))
            .select(progress_table::first_viewed_at)
            .load(&mut *env.db.connection().unwrap())
            .unwrap();
        assert_eq!(viewed, [Some(epoch().naive_utc())], "one row, keeping the first time");
    }
}
