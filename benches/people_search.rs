//! The admin People search over 100,000 accounts (half of them with a session), seeded
//! directly with SQL, on SQLite and (when `MEND_BENCH_POSTGRES_URL` names a server to create a
//! scratch database on) PostgreSQL. Each case is one page exactly as the service reads it: the
//! filtered, keyset-paginated `people::search` (51 rows) plus the page's `last_seen` lookup.
//! Prints the median and worst of 15 runs per case.
//!
//! `cargo bench --bench people_search` (add `MEND_BENCH_POSTGRES_URL=postgres://…/postgres`).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::{Connection, PgConnection, RunQueryDsl};
use mend::config::DatabaseUrl;
use mend::db::models::people::{self, PeopleFilter};
use mend::db::{Database, DbConnection};

const PEOPLE: u32 = 100_000;
const RUNS: usize = 15;

type Outcome<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Outcome<()> {
    let dir = tempfile::tempdir()?;
    let sqlite = DatabaseUrl::Sqlite(dir.path().join("people.db"));
    run("SQLite", &sqlite)?;
    if let Ok(admin_url) = std::env::var("MEND_BENCH_POSTGRES_URL") {
        let name = "mend_bench_people";
        let mut admin = PgConnection::establish(&admin_url)?;
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin)?;
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin)?;
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
        let result = run("PostgreSQL", &DatabaseUrl::Postgres(format!("{base}/{name}")));
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)?;
        result?;
    }
    Ok(())
}

fn run(backend: &str, url: &DatabaseUrl) -> Outcome<()> {
    let db = Database::connect(url, 1)?;
    db.migrate()?;
    let mut conn = db.connection()?;
    let started = Instant::now();
    seed(&mut conn)?;
    eprintln!("{backend}: seeded {PEOPLE} people in {:.1?}", started.elapsed());
    for (case, filter, before) in cases()? {
        let mut times = Vec::with_capacity(RUNS);
        let mut rows = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            let found = people::search(&mut conn, &filter, before, 51)?;
            let ids: Vec<i64> = found.iter().map(|u| u.id).collect();
            people::last_seen(&mut conn, &ids)?;
            times.push(started.elapsed());
            rows = found.len();
        }
        times.sort();
        let (median, worst) = (times[RUNS / 2], times[RUNS - 1]);
        eprintln!("{backend}: {case}: {rows} rows, median {}, worst {}", ms(median), ms(worst));
    }
    Ok(())
}

fn ms(time: Duration) -> String {
    format!("{:.2} ms", time.as_secs_f64() * 1000.0)
}

fn cases() -> Outcome<Vec<(&'static str, PeopleFilter, Option<i64>)>> {
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).and_then(|d| d.and_hms_opt(0, 0, 0));
    let text = |t: &str| Some(t.to_owned());
    Ok(vec![
        ("first page, no filter", PeopleFilter::default(), None),
        (
            "text matching one person (whole scan)",
            PeopleFilter { text: text("number 99999"), ..Default::default() },
            None,
        ),
        (
            "text matching no one (whole scan)",
            PeopleFilter { text: text("nobody-at-all"), ..Default::default() },
            None,
        ),
        (
            "text matching 11,111 people, page 1",
            PeopleFilter { text: text("person1"), ..Default::default() },
            None,
        ),
        (
            "same text, deep page (before id 20000)",
            PeopleFilter { text: text("person1"), ..Default::default() },
            Some(20_000),
        ),
        (
            "authors, unconfirmed, not seen since June",
            PeopleFilter {
                role: text("author"),
                confirmed: Some(false),
                not_seen_since: day(6, 1),
                ..Default::default()
            },
            None,
        ),
        (
            "seen since October, active",
            PeopleFilter { seen_since: day(10, 1), deactivated: Some(false), ..Default::default() },
            None,
        ),
        (
            "text + role + seen since, rare",
            PeopleFilter {
                text: text("number 4242"),
                role: text("learner"),
                seen_since: day(2, 1),
                ..Default::default()
            },
            None,
        ),
    ])
}

/// 100,000 accounts (every 10th an author, every 3rd unconfirmed, every 50th deactivated) and
/// a session for every other one, last seen on one of 300 days of 2026.
fn seed(conn: &mut DbConnection) -> Outcome<()> {
    let (users, sessions, analyze) = match conn {
        DbConnection::Sqlite(_) => (
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {PEOPLE}) \
                 INSERT INTO users (email, display_name, password_hash, role, email_verified_at, \
                 time_zone, deactivated_at, created_at, updated_at, search_key) \
                 SELECT 'person' || i || '@example.com', 'Person Number ' || i, 'x', \
                 CASE WHEN i % 10 = 0 THEN 'author' ELSE 'learner' END, \
                 CASE WHEN i % 3 = 0 THEN NULL ELSE '2026-01-01 00:00:00' END, 'UTC', \
                 CASE WHEN i % 50 = 0 THEN '2026-02-01 00:00:00' ELSE NULL END, \
                 '2026-01-01 00:00:00', '2026-01-01 00:00:00', \
                 'person' || i || '@example.com person number ' || i FROM n"
            ),
            "INSERT INTO sessions (id, user_id, user_agent, remember, created_at, last_seen_at, \
             expires_at) SELECT 's' || id, id, 'bench', 0, '2026-01-01 00:00:00', \
             datetime('2026-01-01', '+' || (id % 300) || ' days'), '2027-01-01 00:00:00' \
             FROM users WHERE id % 2 = 0"
                .to_owned(),
            "ANALYZE",
        ),
        DbConnection::Postgres(_) => (
            format!(
                "INSERT INTO users (email, display_name, password_hash, role, email_verified_at, \
                 time_zone, deactivated_at, created_at, updated_at, search_key) \
                 SELECT 'person' || i || '@example.com', 'Person Number ' || i, 'x', \
                 CASE WHEN i % 10 = 0 THEN 'author' ELSE 'learner' END, \
                 CASE WHEN i % 3 = 0 THEN NULL ELSE TIMESTAMP '2026-01-01' END, 'UTC', \
                 CASE WHEN i % 50 = 0 THEN TIMESTAMP '2026-02-01' ELSE NULL END, \
                 TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-01', \
                 'person' || i || '@example.com person number ' || i \
                 FROM generate_series(1, {PEOPLE}) AS i"
            ),
            "INSERT INTO sessions (id, user_id, user_agent, remember, created_at, last_seen_at, \
             expires_at) SELECT 's' || id, id, 'bench', false, TIMESTAMP '2026-01-01', \
             TIMESTAMP '2026-01-01' + (id % 300) * INTERVAL '1 day', TIMESTAMP '2027-01-01' \
             FROM users WHERE id % 2 = 0"
                .to_owned(),
            "ANALYZE",
        ),
    };
    diesel::sql_query(users).execute(conn)?;
    diesel::sql_query(sessions).execute(conn)?;
    diesel::sql_query(analyze).execute(conn)?;
    Ok(())
}
