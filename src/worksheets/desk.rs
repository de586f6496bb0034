//! The learner's desk: what they do with one worksheet, each a function over one connection.

use chrono::NaiveDate;

use crate::content::{Course, Worksheet};
use crate::db::models::enrollment;
use crate::db::models::worksheet::{
    self as rows, NewRevision, NewWorksheet, RevisionRow, WorksheetRow,
};
use crate::db::{DbConnection, write_transaction};
use crate::documents::{Document, Filled};
use crate::domain::worksheet::{self as rules, Answers, Status, WorksheetKey};

use super::sealing;
use super::{Actor, HistoryEntry, Opened, Saved, Summary, WorksheetError};

/// A catalog worksheet the actor may fill in, and their row for it once saved.
struct Target<'a> {
    key: &'a WorksheetKey,
    course: &'a Course,
    worksheet: &'a Worksheet,
    row: Option<WorksheetRow>,
}

impl Target<'_> {
    /// The newest revision's number, 0 before the first save.
    fn revision(&self) -> i32 {
        self.row.as_ref().map_or(0, |row| row.revision)
    }

    fn status(&self) -> Status {
        self.row.as_ref().map_or(Status::Draft, |row| Status::parse(&row.status))
    }
}

/// Finds the worksheet for the actor: it must be in the catalog, and the actor must have saved
/// it before or be enrolled in its course. Anything else is [`WorksheetError::NotFound`].
fn resolve<'a>(
    conn: &mut DbConnection,
    actor: &'a Actor,
    key: &'a WorksheetKey,
) -> Result<Target<'a>, WorksheetError> {
    let course = actor.catalog.course(&key.course).ok_or(WorksheetError::NotFound)?;
    let worksheet = course.worksheets.get(&key.worksheet).ok_or(WorksheetError::NotFound)?;
    let row = rows::find_private(conn, actor.user, &key.course, &key.worksheet)?;
    if row.is_none() && enrollment::find(conn, actor.user, &key.course)?.is_none() {
        return Err(WorksheetError::NotFound);
    }
    Ok(Target { key, course, worksheet, row })
}

/// The newest revision of the target and its answers (empty before the first save).
fn newest(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &Target<'_>,
) -> Result<(Answers, Option<RevisionRow>), WorksheetError> {
    let Some(row) = target.row.as_ref().filter(|row| row.revision > 0) else {
        return Ok((Answers::new(), None));
    };
    let revision =
        rows::find_revision(conn, row.id, row.revision)?.ok_or(WorksheetError::NotFound)?;
    Ok((sealing::open(&actor.keyring, &revision)?, Some(revision)))
}

/// The target opened at its newest revision.
fn opened(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &Target<'_>,
) -> Result<Opened, WorksheetError> {
    let (answers, revision) = newest(conn, actor, target)?;
    let fields = &target.worksheet.fields;
    let orphaned = rules::orphaned(fields, &answers);
    let answers = answers.into_iter().filter(|(id, _)| !orphaned.contains_key(id)).collect();
    Ok(Opened {
        key: target.key.clone(),
        revision: revision_number(target.revision()),
        status: target.status(),
        answers,
        orphaned,
        saved_at: revision.as_ref().map(|r| r.created_at.and_utc()),
        template_changed: revision
            .is_some_and(|r| r.template_hash != target.worksheet.content_hash),
    })
}

fn revision_number(stored: i32) -> u32 {
    u32::try_from(stored).unwrap_or_default()
}

/// The conflict answer: the worksheet as it is now, read again inside the transaction.
fn conflict(conn: &mut DbConnection, actor: &Actor, key: &WorksheetKey) -> WorksheetError {
    match resolve(conn, actor, key).and_then(|target| opened(conn, actor, &target)) {
        Ok(current) => WorksheetError::Conflict(Box::new(current)),
        Err(error) => error,
    }
}

/// Refuses a write based on any revision but the newest.
fn check_base(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &Target<'_>,
    base: u32,
) -> Result<(), WorksheetError> {
    if i64::from(base) == i64::from(target.revision()) {
        Ok(())
    } else {
        Err(conflict(conn, actor, target.key))
    }
}

/// Every worksheet of every course the actor is enrolled in, in catalog order.
pub fn list(conn: &mut DbConnection, actor: &Actor) -> Result<Vec<Summary>, WorksheetError> {
    let enrolled = enrollment::list_course_slugs(conn, actor.user)?;
    let saved = rows::list_private(conn, actor.user)?;
    let courses = actor.catalog.courses().iter().filter(|c| enrolled.contains(&c.slug));
    let summaries = courses
        .flat_map(|course| course.worksheets.values().map(move |w| (course, w)))
        .map(|(course, worksheet)| {
            let row = saved
                .iter()
                .find(|r| r.course_slug == course.slug && r.worksheet_slug == worksheet.slug);
            Summary {
                key: WorksheetKey {
                    course: course.slug.clone(),
                    worksheet: worksheet.slug.clone(),
                },
                title: worksheet.title.clone(),
                shared: worksheet.shared,
                signatures: worksheet.signatures,
                revision: row.map_or(0, |r| revision_number(r.revision)),
                status: row.map_or(Status::Draft, |r| Status::parse(&r.status)),
            }
        })
        .collect();
    Ok(summaries)
}

/// The worksheet at its newest revision. Reads only.
pub fn open(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &WorksheetKey,
) -> Result<Opened, WorksheetError> {
    let target = resolve(conn, actor, key)?;
    opened(conn, actor, &target)
}

/// Saves `submitted` as the revision after `base`. Answers are checked (not for completeness:
/// a draft may be partial); answers kept from removed questions carry over; a save identical
/// to the newest revision writes nothing; a stale `base` is a conflict carrying the newest.
pub fn save(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &WorksheetKey,
    base: u32,
    submitted: &Answers,
) -> Result<Saved, WorksheetError> {
    write_transaction(conn, |conn| {
        let target = resolve(conn, actor, key)?;
        let fields = &target.worksheet.fields;
        let clean = rules::validate(fields, submitted).map_err(WorksheetError::Invalid)?;
        check_base(conn, actor, &target, base)?;
        let (previous, revision) = newest(conn, actor, &target)?;
        let answers = rules::merged(fields, clean, &previous);
        if answers == previous {
            return Ok(unchanged(&target, revision.as_ref()));
        }
        write_revision(conn, actor, &target, &answers)
    })
}

/// The answer to a save that changed nothing.
fn unchanged(target: &Target<'_>, revision: Option<&RevisionRow>) -> Saved {
    Saved {
        revision: revision_number(target.revision()),
        changed: false,
        status: target.status(),
        saved_at: revision.map(|r| r.created_at.and_utc()),
    }
}

/// The target's row, created on the first write.
fn ensure_row(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &Target<'_>,
) -> Result<WorksheetRow, WorksheetError> {
    if let Some(row) = &target.row {
        return Ok(row.clone());
    }
    let now = actor.now.naive_utc();
    let new = NewWorksheet {
        owner_id: actor.user,
        partnership_id: None,
        course_slug: &target.key.course,
        worksheet_slug: &target.key.worksheet,
        created_at: now,
        updated_at: now,
    };
    if !rows::insert_if_absent(conn, &new)? {
        return Err(conflict(conn, actor, target.key));
    }
    rows::find_private(conn, actor.user, &target.key.course, &target.key.worksheet)?
        .ok_or(WorksheetError::NotFound)
}

/// Stores `answers` as the next revision. A finished worksheet stays finished while every
/// required question is still answered.
fn write_revision(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &Target<'_>,
    answers: &Answers,
) -> Result<Saved, WorksheetError> {
    let row = ensure_row(conn, actor, target)?;
    let (from, number) = (row.revision, row.revision + 1);
    let complete = rules::missing_required(&target.worksheet.fields, answers).is_empty();
    let status = match target.status() {
        Status::Finished if complete => Status::Finished,
        _ => Status::Draft,
    };
    let now = actor.now.naive_utc();
    if rows::advance(conn, row.id, from, number, status.as_str(), now)? == 0 {
        return Err(conflict(conn, actor, target.key));
    }
    let template_hash = &target.worksheet.content_hash;
    let sealed = sealing::seal(&actor.keyring, row.id, number, answers)?;
    let content_hash = sealing::content_hash(template_hash, answers)?;
    rows::insert_revision(
        conn,
        &NewRevision {
            worksheet_id: row.id,
            number,
            author_id: Some(actor.user.get()),
            template_hash,
            content_hash: &content_hash,
            key_id: &sealed.key_id,
            nonce: &sealed.nonce,
            ciphertext: &sealed.ciphertext,
            created_at: now,
        },
    )?;
    Ok(Saved {
        revision: revision_number(number),
        changed: true,
        status,
        saved_at: Some(actor.now),
    })
}

/// Marks the worksheet finished at revision `base`, once every required question is answered
/// (else [`WorksheetError::Unfinished`] naming each). Already finished: nothing is written.
pub fn finish(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &WorksheetKey,
    base: u32,
) -> Result<Saved, WorksheetError> {
    write_transaction(conn, |conn| {
        let target = resolve(conn, actor, key)?;
        check_base(conn, actor, &target, base)?;
        let (answers, revision) = newest(conn, actor, &target)?;
        let missing = rules::missing_required(&target.worksheet.fields, &answers);
        if !missing.is_empty() {
            return Err(WorksheetError::Unfinished(missing));
        }
        let mut saved = unchanged(&target, revision.as_ref());
        if saved.status == Status::Finished {
            return Ok(saved);
        }
        let row = ensure_row(conn, actor, &target)?;
        let now = actor.now.naive_utc();
        if rows::set_status(conn, row.id, row.revision, Status::Finished.as_str(), now)? == 0 {
            return Err(conflict(conn, actor, key));
        }
        saved.status = Status::Finished;
        Ok(saved)
    })
}

/// Every revision, newest first: who saved it, when, and which questions changed.
pub fn history(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &WorksheetKey,
) -> Result<Vec<HistoryEntry>, WorksheetError> {
    let target = resolve(conn, actor, key)?;
    let Some(row) = &target.row else { return Ok(Vec::new()) };
    let mut previous = Answers::new();
    let mut entries = Vec::new();
    for revision in rows::list_revisions(conn, row.id)? {
        let answers = sealing::open(&actor.keyring, &revision)?;
        entries.push(HistoryEntry {
            number: revision_number(revision.number),
            author: revision.author_id.map(Into::into),
            saved_at: revision.created_at.and_utc(),
            changed: rules::changed_fields(&previous, &answers),
            template_hash: revision.template_hash,
        });
        previous = answers;
    }
    entries.reverse();
    Ok(entries)
}

/// Copies revision `number` as the revision after `base`, so nothing is lost by going back.
/// Answers kept from removed questions that the earlier revision lacks are kept too.
pub fn restore(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &WorksheetKey,
    base: u32,
    number: u32,
) -> Result<Saved, WorksheetError> {
    write_transaction(conn, |conn| {
        let target = resolve(conn, actor, key)?;
        let row = target.row.as_ref().ok_or(WorksheetError::NoSuchRevision)?;
        check_base(conn, actor, &target, base)?;
        let stored = i32::try_from(number).map_err(|_| WorksheetError::NoSuchRevision)?;
        let earlier =
            rows::find_revision(conn, row.id, stored)?.ok_or(WorksheetError::NoSuchRevision)?;
        let mut restored = sealing::open(&actor.keyring, &earlier)?;
        let (current, revision) = newest(conn, actor, &target)?;
        for (id, value) in rules::orphaned(&target.worksheet.fields, &current) {
            restored.entry(id).or_insert(value);
        }
        if restored == current {
            return Ok(unchanged(&target, revision.as_ref()));
        }
        write_revision(conn, actor, &target, &restored)
    })
}

/// The worksheet as a document to print, filled from its newest revision (blank before the
/// first save). `date` is today in the reader's time zone, for the footer.
pub fn document(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &WorksheetKey,
    date: NaiveDate,
) -> Result<Document, WorksheetError> {
    let target = resolve(conn, actor, key)?;
    let (answers, revision) = newest(conn, actor, &target)?;
    let Some(revision) = revision else {
        return Ok(Document::blank(target.course, target.worksheet, date));
    };
    let filled = Filled {
        answers: &answers,
        revision: revision_number(revision.number),
        worksheet_hash: &revision.template_hash,
        signing: None,
    };
    Ok(Document::filled(target.course, target.worksheet, filled, date))
}
