use diesel::prelude::*;
use mend::db::Database;
use mend::db::schema::*;

use crate::both_backends;
use crate::support::TestDb;

/// Selects every column `schema.rs` declares, so a migration that drifts from it fails here.
fn select_every_table(db: &Database) {
    let mut conn = db.connection().unwrap();
    macro_rules! select_all {
        ($($table:ident),*) => {$(
            $table::table.select($table::all_columns).limit(1).execute(&mut *conn)
                .unwrap_or_else(|e| panic!("{}: {e}", stringify!($table)));
        )*};
    }
    select_all!(
        users,
        sessions,
        email_tokens,
        access_codes,
        enrollments,
        lesson_progress,
        partnerships,
        partnership_members,
        progress_shares,
        worksheets,
        worksheet_revisions,
        reflection_answers,
        signatures,
        outbox,
        reminder_log,
        notification_preferences,
        audit_log,
        enrollment_invitations,
        checkins,
        checkin_shares
    );
}

/// A unit of work that gives up after writing.
#[derive(Debug)]
enum Stop {
    HalfWay,
    Db,
}

impl From<mend::db::DbError> for Stop {
    fn from(_: mend::db::DbError) -> Self {
        Stop::Db
    }
}

both_backends! {
    async fn migrations_apply_from_empty_and_are_idempotent(test_db: TestDb) {
        let db = Database::connect(&test_db.url, 2).unwrap();
        let folder = |backend: &str| -> Vec<String> {
            let dir = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
            let mut names: Vec<String> = std::fs::read_dir(dir).unwrap()
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let names = folder("sqlite");
        assert_eq!(names, folder("postgres"), "both backends have the same migrations");
        // The version is the timestamp before the name: two folders sharing one would make the
        // second silently skipped.
        let mut versions: Vec<&str> = names.iter().map(|n| n.split('_').next().unwrap()).collect();
        versions.dedup();
        assert_eq!(versions.len(), names.len(), "migration versions are unique: {names:?}");
        let migrations = names.len();
        assert_eq!(db.migrate().unwrap(), migrations, "the first run applies every migration");
        assert_eq!(db.migrate().unwrap(), 0, "a second run changes nothing");
        select_every_table(&db);
    }

    async fn write_transactions_commit_or_roll_back_whole(test_db: TestDb) {
        let db = Database::connect(&test_db.url, 2).unwrap();
        db.migrate().unwrap();
        let insert = |conn: &mut mend::db::DbConnection, action: &str| {
            diesel::insert_into(audit_log::table)
                .values((
                    audit_log::action.eq(action.to_owned()),
                    audit_log::target_type.eq("test"),
                    audit_log::target_id.eq("1"),
                    audit_log::created_at.eq(crate::support::epoch().naive_utc()),
                ))
                .execute(conn)
        };
        let failed: Result<(), Stop> = db
            .transaction(move |conn| {
                insert(conn, "first").map_err(mend::db::DbError::from)?;
                insert(conn, "second").map_err(mend::db::DbError::from)?;
                Err(Stop::HalfWay)
            })
            .await;
        assert!(matches!(failed, Err(Stop::HalfWay)));
        let committed: Result<usize, mend::db::DbError> =
            db.transaction(move |conn| Ok(insert(conn, "kept")?)).await;
        assert_eq!(committed.unwrap(), 1);

        let actions: Vec<String> = db
            .run(|conn| Ok::<_, mend::db::DbError>(audit_log::table.select(audit_log::action).load(conn)?))
            .await
            .unwrap();
        assert_eq!(actions, ["kept"], "nothing from the failed transaction survives");
    }
}
