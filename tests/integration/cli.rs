//! The `mend` binary as an operator runs it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use diesel::prelude::*;
use mend::db::schema::users;

use crate::both_backends;
use crate::support::{TestDb, sample_content};
use crate::test_case;

fn mend(test_db: &TestDb, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mend"))
        .args(args)
        .current_dir(test_db.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", test_db.url_string())
        .env("MEND_CONTENT_DIR", sample_content())
        .env("MEND_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A bad setting: exit status 2 and exactly one line naming the setting, no panic, no backtrace.
fn assert_one_line_error(output: &Output, expected: &str) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(2), "exit code for {expected:?}; stderr: {text}");
    assert_eq!(text.lines().count(), 1, "one line only: {text}");
    assert!(text.starts_with("mend: error: "), "{text}");
    assert!(text.contains(expected), "{text:?} should mention {expected:?}");
    assert!(!text.contains("panicked"), "{text}");
}

both_backends! {
    async fn bad_settings_give_one_line_and_exit_2(test_db: TestDb) {
        let serve = ["serve", "--bind", "127.0.0.1:0"];
        let out = mend(&test_db, &serve, &[("DATABASE_URL", "mysql://localhost/mend")], "");
        assert_one_line_error(&out, "DATABASE_URL=\"mysql://localhost/mend\": unsupported database");

        let out = mend(&test_db, &serve, &[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")], "");
        assert_one_line_error(&out, "DATABASE_URL=postgres://nobody@127.0.0.1:1/none");

        let out = mend(&test_db, &serve, &[("MEND_QUICK_EXIT_URL", "http://example.org/")], "");
        assert_one_line_error(&out, "MEND_QUICK_EXIT_URL=\"http://example.org/\": expected an absolute https:// URL");

        let out = mend(&test_db, &["serve", "--bind", "here"], &[], "");
        assert_one_line_error(&out, "--bind \"here\": not an address");

        let out = mend(&test_db, &serve, &[("MEND_CONTENT_DIR", "/no/such/content")], "");
        assert_one_line_error(&out, "MEND_CONTENT_DIR=\"/no/such/content\": no such directory");

        let blocker = test_db.dir.path().join("a-file");
        std::fs::write(&blocker, "not a folder").unwrap();
        let data_dir = blocker.join("data");
        let out = mend(&test_db, &serve, &[("MEND_DATA_DIR", data_dir.to_str().unwrap())], "");
        assert_one_line_error(&out, &format!("MEND_DATA_DIR={:?}: cannot create it", data_dir.display().to_string()));

        std::fs::write(test_db.dir.path().join("mend.toml"), "bind = [1, 2]\n").unwrap();
        let out = mend(&test_db, &serve, &[], "");
        assert_one_line_error(&out, "mend.toml: `bind` must be a string or a number");
    }

    async fn user_create_reads_the_password_from_stdin_and_refuses_duplicates(test_db: TestDb) {
        let args = ["user", "create", "--email", "Admin@Example.org", "--role", "admin"];
        let out = mend(&test_db, &args, &[], "a long enough passphrase\n");
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!stderr(&out).contains("passphrase"), "the password is never echoed");

        let out = mend(&test_db, &args, &[], "another passphrase\n");
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("an account for admin@example.org already exists"));

        let out = mend(&test_db, &["user", "create", "--email", "b@example.org"], &[], "short\n");
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("password: Use at least 8 characters."), "{}", stderr(&out));

        let db = mend::db::Database::connect(&test_db.url, 1).unwrap();
        let (role, verified): (String, Option<chrono::NaiveDateTime>) = users::table
            .select((users::role, users::email_verified_at))
            .first(&mut *db.connection().unwrap())
            .unwrap();
        assert_eq!(role, "admin");
        assert!(verified.is_some(), "operator-created accounts start verified");
    }

    async fn role_changes_are_recorded_in_the_audit_log(test_db: TestDb) {
        let create = ["user", "create", "--email", "author@example.org"];
        assert!(mend(&test_db, &create, &[], "a long enough passphrase\n").status.success());
        let promote = ["user", "role", "--email", "Author@Example.org", "--role", "author"];
        let out = mend(&test_db, &promote, &[], "");
        assert!(out.status.success(), "{}", stderr(&out));
        let out = mend(&test_db, &["user", "role", "--email", "nobody@example.org", "--role", "admin"], &[], "");
        assert_eq!(out.status.code(), Some(1));

        let db = mend::db::Database::connect(&test_db.url, 1).unwrap();
        let mut conn = db.connection().unwrap();
        let role: String = users::table.select(users::role).first(&mut *conn).unwrap();
        assert_eq!(role, "author");
        use mend::db::schema::audit_log;
        let (action, detail): (String, String) = audit_log::table
            .select((audit_log::action, audit_log::detail))
            .first(&mut *conn)
            .unwrap();
        assert_eq!(action, "user.role_changed");
        assert!(detail.contains("\"from\":\"learner\"") && detail.contains("\"to\":\"author\""), "{detail}");
        assert!(!detail.contains("author@example.org"), "no personal data in audit details");
    }

    async fn code_create_prints_a_code_for_a_code_course_only(test_db: TestDb) {
        let args = ["code", "create", "--course", "rebuilding-trust", "--max-uses", "2", "--expires", "2030-01-31"];
        let out = mend(&test_db, &args, &[], "");
        assert!(out.status.success(), "{}", stderr(&out));
        let printed = String::from_utf8(out.stdout).unwrap();
        let code = printed.trim();
        assert_eq!(mend::domain::access_code::AccessCode::parse(code).unwrap().as_str(), code);

        let db = mend::db::Database::connect(&test_db.url, 1).unwrap();
        let row = mend::db::models::access_code::find_by_code(&mut db.connection().unwrap(), code)
            .unwrap()
            .unwrap();
        assert_eq!((row.course_slug.as_str(), row.max_uses, row.uses), ("rebuilding-trust", Some(2), 0));
        let end = chrono::NaiveDate::from_ymd_opt(2030, 2, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
        assert_eq!(row.expires_at, Some(end), "valid through the last day given");

        let out = mend(&test_db, &["code", "create", "--course", "nope"], &[], "");
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("there is no course \"nope\""), "{}", stderr(&out));
        let out = mend(&test_db, &["code", "create", "--course", "rebuilding-trust", "--max-uses", "0"], &[], "");
        assert_eq!(out.status.code(), Some(2), "clap refuses a zero limit");
    }

    async fn backup_writes_a_copy_with_the_same_rows_or_points_postgres_to_pg_dump(test_db: TestDb) {
        for n in 0..3 {
            let email = format!("learner{n}@example.org");
            let out = mend(&test_db, &["user", "create", "--email", &email], &[], "a long enough passphrase\n");
            assert!(out.status.success(), "{}", stderr(&out));
        }
        let target = test_db.dir.path().join("backups/copy.db");
        let out = mend(&test_db, &["backup", target.to_str().unwrap()], &[], "");
        match test_db.url {
            mend::config::DatabaseUrl::Postgres(_) => {
                assert_eq!(out.status.code(), Some(1));
                assert!(stderr(&out).contains("pg_dump"), "{}", stderr(&out));
            }
            mend::config::DatabaseUrl::Sqlite(_) => {
                assert!(out.status.success(), "{}", stderr(&out));
                let copy = mend::config::DatabaseUrl::Sqlite(target.clone());
                let db = mend::db::Database::connect(&copy, 1).unwrap();
                assert_eq!(db.migrate().unwrap(), 0, "the copy is fully migrated");
                let emails: Vec<String> = users::table.select(users::email).order(users::email)
                    .load(&mut *db.connection().unwrap()).unwrap();
                assert_eq!(emails, ["learner0@example.org", "learner1@example.org", "learner2@example.org"]);

                let again = mend(&test_db, &["backup", target.to_str().unwrap()], &[], "");
                assert_eq!(again.status.code(), Some(1), "an existing backup is never overwritten");
            }
        }
    }
}

fn check(dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mend"))
        .args(["check", dir.to_str().unwrap()])
        .env_clear()
        .env("MEND_LOG", "warn")
        .output()
        .unwrap()
}

test_case! {
    fn check_is_clean_on_the_sample_course_and_summarises_it() {
        let out = check(&sample_content());
        assert!(out.status.success(), "{}", stderr(&out));
        let summary = String::from_utf8_lossy(&out.stdout);
        assert!(summary.lines().any(|line| line.starts_with("1 course(s), 8 module(s), ")), "{summary}");
        assert!(summary.lines().any(|line| line.starts_with("0 error(s), ")), "{summary}");
    }
}

test_case! {
    fn check_points_at_the_file_line_and_column_and_exits_1() {
        let scratch = tempfile::tempdir().unwrap();
        let course = scratch.path().join("demo");
        std::fs::create_dir_all(course.join("01-start")).unwrap();
        std::fs::write(course.join("course.toml"), "title = \"Demo\"\n").unwrap();
        std::fs::write(course.join("01-start/module.toml"), "title = \"Start\"\n").unwrap();
        std::fs::write(
            course.join("01-start/01-hello.md"),
            "+++\ntitle = \"Hello\"\n+++\n\nSee [the missing one](02-missing.md).\n",
        )
        .unwrap();
        let out = check(scratch.path());
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let text = stderr(&out);
        assert!(text.contains("01-start/01-hello.md:5:5: error:"), "{text}");
        assert!(text.contains("02-missing.md"), "{text}");
    }
}

test_case! {
    fn check_notes_an_unpublished_course_without_failing() {
        let scratch = tempfile::tempdir().unwrap();
        let content = crate::support::copy_of_sample_content(scratch.path());
        let toml = content.join("rebuilding-trust/course.toml");
        let text = std::fs::read_to_string(&toml).unwrap();
        assert_eq!(text.lines().nth(3), Some("published = true"), "line 4 of the sample");
        std::fs::write(&toml, text.replace("published = true", "published = false")).unwrap();
        let out = check(&content);
        assert!(out.status.success(), "a note is not a failure: {}", stderr(&out));
        let expected = format!(
            "{}: note: course \"rebuilding-trust\" is unpublished; learners cannot see it",
            toml.display().to_string() + ":4"
        );
        assert!(stderr(&out).lines().any(|line| line == expected), "{}", stderr(&out));
        let summary = String::from_utf8_lossy(&out.stdout);
        assert!(summary.contains("0 error(s), 0 warning(s)"), "not a warning either: {summary}");

        let published = check(&sample_content());
        assert!(!stderr(&published).contains("note:"), "{}", stderr(&published));
    }
}

test_case! {
    fn check_exits_2_when_the_folder_is_missing() {
        let out = check(std::path::Path::new("/no/such/content"));
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    }
}

both_backends! {
    async fn reminders_run_once_prints_per_learner_id_what_is_due_and_why_not(test_db: TestDb) {
        let out = mend(&test_db, &["migrate"], &[], "");
        assert!(out.status.success(), "{}", stderr(&out));
        let db = mend::db::Database::connect(&test_db.url, 1).unwrap();
        let mut conn = db.connection().unwrap();
        let due = crate::reminders::seed_learner(&mut conn, "due@example.org", "UTC", true);
        let paused = crate::reminders::seed_learner(&mut conn, "rest@example.org", "UTC", true);
        let enrolled = crate::support::epoch();
        crate::reminders::seed_enrollment(&mut conn, due, "rebuilding-trust", enrolled);
        let resting = crate::reminders::seed_enrollment(&mut conn, paused, "rebuilding-trust", enrolled);
        mend::db::models::enrollment::pause(&mut conn, resting, enrolled.naive_utc()).unwrap();
        let count = |conn: &mut mend::db::DbConnection| -> i64 {
            mend::db::schema::outbox::table.count().get_result(conn).unwrap()
        };

        let now = "2026-03-05T10:00:00Z";
        let dry = ["reminders", "run-once", "--dry-run", "--now", now];
        let out = mend(&test_db, &dry, &[], "");
        assert!(out.status.success(), "{}", stderr(&out));
        let printed = String::from_utf8_lossy(&out.stdout).into_owned();
        let expected = [
            format!("learner {due}: nudge (enrolment 1, rebuilding-trust): would send, tier 1 after 3 day(s) without activity"),
            format!("learner {due}: new_lessons: would send, 1 new lesson(s)"),
            format!("learner {due}: digest: not due, turned off by the learner"),
            format!("learner {paused}: nudge (enrolment 2, rebuilding-trust): not due, paused"),
            format!("learner {paused}: new_lessons: not due, nothing new"),
        ];
        for line in &expected {
            assert!(printed.lines().any(|l| l == line), "missing {line:?} in:\n{printed}");
        }
        let totals = printed.lines().last().unwrap();
        assert!(totals.starts_with("as of 2026-03-05T10:00:00Z: 2 learner(s), 2 would be sent (dry run, nothing written), 4 not due"), "{totals}");
        assert!(!printed.contains("@example.org") && !printed.contains("Robin"), "no address or name: {printed}");
        assert_eq!(count(&mut conn), 0, "a dry run writes nothing");

        let out = mend(&test_db, &["reminders", "run-once", "--now", now], &[], "");
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains(", 2 queued, "));
        assert_eq!(count(&mut conn), 2);
        let out = mend(&test_db, &["reminders", "run-once", "--now", now], &[], "");
        assert!(String::from_utf8_lossy(&out.stdout).contains(", 0 queued, "), "a rerun queues nothing");
        assert_eq!(count(&mut conn), 2);

        let out = mend(&test_db, &["reminders", "run-once", "--now", "2026-03-05 10:00"], &[], "");
        assert_eq!(out.status.code(), Some(2));
        let text = stderr(&out);
        assert!(text.contains("invalid value '2026-03-05 10:00' for '--now <RFC3339>'"), "{text}");
        assert!(text.contains("expected an RFC 3339 date and time with its offset, e.g. 2026-12-09T09:30:00Z"), "{text}");
    }
}
