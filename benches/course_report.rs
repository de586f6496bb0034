//! An admin's course report over 20,000 enrolments in the sample course, seeded directly with
//! SQL, on SQLite and (when `MEND_BENCH_POSTGRES_URL` names a server to create a scratch
//! database on) PostgreSQL. Each run is the whole report exactly as `/admin/reports/{course}`
//! reads it: `admin::Console::course_report` (funnel, activity, completion per lesson, median
//! days to complete, the first page of learners quiet for 14 days). Prints the median and worst
//! of 15 runs.
//!
//! `cargo bench --bench course_report` (add `MEND_BENCH_POSTGRES_URL=postgres://…/postgres`).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use mend::admin::Console;
use mend::clock::TestClock;
use mend::config::DatabaseUrl;
use mend::content::Course;
use mend::db::models::outbox::OutboxMessage;
use mend::db::{Database, DbConnection};
use mend::mail::{DeferredMail, MailError, RenderedEmail};

const ENROLMENTS: u32 = 20_000;
const RUNS: usize = 15;
const COURSE: &str = "rebuilding-trust";
const NOW: &str = "2026-12-09T12:00:00Z";

type Outcome<T> = Result<T, Box<dyn std::error::Error>>;

/// A report reads counts only; it never writes the words of a queued mail.
#[derive(Debug)]
struct NoMail;

impl DeferredMail for NoMail {
    fn render(&self, _: &OutboxMessage, _: &str) -> Result<RenderedEmail, MailError> {
        Err(MailError::Deferred("the report benchmark renders no mail".to_owned()))
    }
}

fn main() -> Outcome<()> {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let catalog =
        mend::content::compile(&content)?.catalog.ok_or("the sample course has errors")?;
    let course = catalog.course(COURSE).ok_or("no sample course")?.clone();
    let dir = tempfile::tempdir()?;
    run("SQLite", &DatabaseUrl::Sqlite(dir.path().join("report.db")), &course)?;
    if let Ok(admin_url) = std::env::var("MEND_BENCH_POSTGRES_URL") {
        let name = "mend_bench_report";
        let mut admin = PgConnection::establish(&admin_url)?;
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin)?;
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin)?;
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
        let result = run("PostgreSQL", &DatabaseUrl::Postgres(format!("{base}/{name}")), &course);
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)?;
        result?;
    }
    Ok(())
}

fn run(backend: &str, url: &DatabaseUrl, course: &Course) -> Outcome<()> {
    let db = Database::connect(url, 2)?;
    db.migrate()?;
    let started = Instant::now();
    let mut conn = db.connection()?;
    let progress = seed(&mut conn, course)?;
    drop(conn);
    eprintln!(
        "{backend}: seeded {ENROLMENTS} enrolments and {progress} progress rows in {:.1?}",
        started.elapsed()
    );
    let now: DateTime<Utc> = NOW.parse()?;
    let console = Console::new(db, TestClock::at(now), Arc::new(NoMail));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut times = Vec::with_capacity(RUNS);
    let mut summary = String::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let report = runtime.block_on(console.course_report(course, 14, 0))?;
        times.push(started.elapsed());
        summary = format!(
            "enrolled {}, started {}, halfway {}, completed {}, {} lessons, {} quiet listed",
            report.enrolled,
            report.started,
            report.halfway,
            report.completed,
            report.lessons.len(),
            report.inactive.len()
        );
    }
    times.sort();
    let (median, worst) = (times[RUNS / 2], times[RUNS - 1]);
    eprintln!("{backend}: course report ({summary}): median {}, worst {}", ms(median), ms(worst));
    Ok(())
}

fn ms(time: Duration) -> String {
    format!("{:.1} ms", time.as_secs_f64() * 1000.0)
}

/// 20,000 learners with one enrolment each, enrolled over the 120 days before [`NOW`]; 10%
/// revoked, and learner `i` has finished the first `(7 i) mod (lessons + 1)` lessons in course
/// order (so every lesson count from none to all is equally common, and those with all are
/// completed), spread evenly between enrolling and now. Returns the progress rows written.
fn seed(conn: &mut DbConnection, course: &Course) -> Outcome<usize> {
    let lessons: Vec<&str> = course
        .modules
        .iter()
        .flat_map(|m| m.lessons.iter().filter(|l| !l.draft).map(|l| l.slug.as_str()))
        .collect();
    let total = lessons.len();
    let values: Vec<String> =
        lessons.iter().enumerate().map(|(n, slug)| format!("({}, '{slug}')", n + 1)).collect();
    let values = values.join(", ");
    let postgres = matches!(conn, DbConnection::Postgres(_));
    let (rows, hours): (String, fn(&str) -> String) = if postgres {
        (format!("SELECT i FROM generate_series(1, {ENROLMENTS}) AS i"), |h| {
            format!("(TIMESTAMP '2026-12-09 12:00:00' - ({h}) * INTERVAL '1 hour')")
        })
    } else {
        (
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
                 WHERE i < {ENROLMENTS}) SELECT i FROM n"
            ),
            |h| format!("datetime('2026-12-09 12:00:00', '-' || ({h}) || ' hours')"),
        )
    };
    let enrolled = hours("(i % 120) * 24 + i % 24");
    let done = format!("((7 * i) % {})", total + 1);
    let statements = [
        format!(
            "INSERT INTO users (id, email, display_name, password_hash, time_zone, \
             email_verified_at, created_at, updated_at) \
             SELECT i, 'learner' || i || '@example.org', 'Learner ' || i, 'x', 'UTC', {e}, {e}, {e} \
             FROM ({rows}) AS g",
            e = hours("24 * 130"),
        ),
        format!(
            "INSERT INTO enrollments (id, user_id, course_slug, status, enrolled_at, \
             completed_at, last_activity_at, updated_at, paused_seconds, reminders_enabled) \
             SELECT i, i, '{COURSE}', \
             CASE WHEN i % 10 = 1 THEN 'revoked' WHEN {done} = {total} THEN 'completed' \
               ELSE 'active' END, \
             {enrolled}, \
             CASE WHEN {done} = {total} THEN {finished} ELSE NULL END, \
             CASE WHEN {done} = 0 THEN NULL ELSE {finished} END, {enrolled}, 0, {yes} \
             FROM ({rows}) AS g",
            finished =
                hours(&format!("((i % 120) * 24 + i % 24) * ({m} - {done}) / {m}", m = total + 1)),
            yes = if postgres { "true" } else { "1" },
        ),
        format!(
            "INSERT INTO lesson_progress (user_id, course_slug, lesson_slug, first_viewed_at, \
             unlocked_at, completed_at, updated_at) \
             SELECT g.i, '{COURSE}', l.slug, {at}, {at}, {at}, {at} \
             FROM ({rows}) AS g CROSS JOIN (SELECT column1 AS ord, column2 AS slug FROM (VALUES {values}) AS v) AS l \
             WHERE l.ord <= (7 * g.i) % {modulus}",
            at = hours(&format!(
                "((g.i % 120) * 24 + g.i % 24) * ({modulus} - l.ord) / {modulus}",
                modulus = total + 1
            )),
            modulus = total + 1,
        ),
        "ANALYZE".to_owned(),
    ];
    let mut progress = 0;
    for (n, statement) in statements.iter().enumerate() {
        let written = diesel::sql_query(statement).execute(conn)?;
        if n == 2 {
            progress = written;
        }
    }
    Ok(progress)
}
