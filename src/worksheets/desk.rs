//! The learner's desk: what they do with one worksheet, each a function over one connection.

use chrono::NaiveDate;

use crate::content::{Course, Worksheet};
use crate::db::models::partnership::{self, ActiveLink};
use crate::db::models::worksheet::{
    self as rows, NewRevision, NewWorksheet, RevisionRow, WorksheetRow,
};
use crate::db::models::{enrollment, signature};
use crate::db::{DbConnection, write_transaction};
use crate::documents::{Document, Filled};
use crate::domain::worksheet::{self as rules, Answers, Status, WorksheetKey};

use super::signing::Signatures;
use super::{Actor, HistoryEntry, Opened, Saved, Summary, WorksheetError, notices, sealing};

/// Whose row a key reaches for the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// The actor's private copy.
    Mine,
    /// The couple's shared copy, which both partners edit.
    Couple(ActiveLink),
    /// The partner's private copy, shared to read only.
    Partners(ActiveLink),
}

/// A catalog worksheet the actor may see, where its row lives, and the row once saved.
pub(super) struct Target<'a> {
    pub(super) key: &'a WorksheetKey,
    pub(super) course: &'a Course,
    pub(super) worksheet: &'a Worksheet,
    pub(super) place: Place,
    pub(super) row: Option<WorksheetRow>,
}

impl Target<'_> {
    /// Writes are the owner's (or the couple's); a partner's shared copy only reads.
    pub(super) fn writable(&self) -> Result<(), WorksheetError> {
        match self.place {
            Place::Partners(_) => Err(WorksheetError::NotFound),
            Place::Mine | Place::Couple(_) => Ok(()),
        }
    }

    /// The newest revision's number, 0 before the first save.
    pub(super) fn revision(&self) -> i32 {
        self.row.as_ref().map_or(0, |row| row.revision)
    }

    fn status(&self) -> Status {
        self.row.as_ref().map_or(Status::Draft, |row| Status::parse(&row.status))
    }
}

/// Finds the worksheet for the actor. It must be in the catalog; the actor's own or the
/// couple's copy must have been saved before or the actor be enrolled in its course; a
/// partner's copy must be shared with the actor now. Anything else is
/// [`WorksheetError::NotFound`].
pub(super) fn resolve<'a>(
    conn: &mut DbConnection,
    actor: &'a Actor,
    key: &'a WorksheetKey,
) -> Result<Target<'a>, WorksheetError> {
    let course = actor.catalog.course(&key.course).ok_or(WorksheetError::NotFound)?;
    let worksheet = course.worksheets.get(&key.worksheet).ok_or(WorksheetError::NotFound)?;
    let link = if worksheet.shared || key.of_partner {
        partnership::active_for_user(conn, actor.user)?
    } else {
        None
    };
    let place = match (key.of_partner, worksheet.shared, link) {
        (true, false, Some(link)) => Place::Partners(link),
        (true, _, _) => return Err(WorksheetError::NotFound),
        (false, true, Some(link)) => Place::Couple(link),
        (false, _, _) => Place::Mine,
    };
    let row = find_row(conn, actor, place, key)?;
    let visible = match place {
        Place::Partners(_) => row.as_ref().is_some_and(|row| row.shared_with_partner),
        Place::Mine | Place::Couple(_) => {
            row.is_some() || enrollment::find(conn, actor.user, &key.course)?.is_some()
        }
    };
    if !visible {
        return Err(WorksheetError::NotFound);
    }
    Ok(Target { key, course, worksheet, place, row })
}

fn find_row(
    conn: &mut DbConnection,
    actor: &Actor,
    place: Place,
    key: &WorksheetKey,
) -> Result<Option<WorksheetRow>, WorksheetError> {
    let (course, worksheet) = (&key.course, &key.worksheet);
    Ok(match place {
        Place::Mine => rows::find_private(conn, actor.user, course, worksheet)?,
        Place::Couple(link) => rows::find_couple(conn, link.id, course, worksheet)?,
        Place::Partners(link) => rows::find_private(conn, link.partner, course, worksheet)?,
    })
}

/// The newest revision of the target and its answers (empty before the first save).
pub(super) fn newest(
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
    let signatures = match &target.row {
        Some(row) if target.worksheet.signatures => Signatures::load(conn, row)?,
        _ => Signatures::default(),
    };
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
        read_only: target.writable().is_err(),
        shared_with_partner: target.row.as_ref().is_some_and(|row| row.shared_with_partner),
        signatures: signatures.on(target.revision()),
        in_force: signatures.in_force().map(revision_number),
    })
}

pub(super) fn revision_number(stored: i32) -> u32 {
    u32::try_from(stored).unwrap_or_default()
}

/// The conflict answer: the worksheet as it is now, read again inside the transaction.
pub(super) fn conflict(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &WorksheetKey,
) -> WorksheetError {
    match resolve(conn, actor, key).and_then(|target| opened(conn, actor, &target)) {
        Ok(current) => WorksheetError::Conflict(Box::new(current)),
        Err(error) => error,
    }
}

/// Refuses a write based on any revision but the newest.
pub(super) fn check_base(
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

/// Every worksheet of every course the actor is enrolled in, in catalog order (a shared one
/// once per couple while linked), then the partner's private ones shared with the actor.
pub fn list(conn: &mut DbConnection, actor: &Actor) -> Result<Vec<Summary>, WorksheetError> {
    let enrolled = enrollment::list_course_slugs(conn, actor.user)?;
    let link = partnership::active_for_user(conn, actor.user)?;
    let mut saved = rows::list_private(conn, actor.user)?;
    if let Some(link) = link {
        saved.extend(rows::list_couple(conn, link.id)?);
    }
    let courses = actor.catalog.courses().iter().filter(|c| enrolled.contains(&c.slug));
    let mut summaries: Vec<Summary> = courses
        .flat_map(|course| course.worksheets.values().map(move |w| (course, w)))
        .map(|(course, worksheet)| {
            let couple = worksheet.shared && link.is_some();
            let row = saved.iter().find(|r| {
                r.course_slug == course.slug
                    && r.worksheet_slug == worksheet.slug
                    && r.partnership_id.is_some() == couple
            });
            summary(WorksheetKey::mine(&course.slug, &worksheet.slug), worksheet, row)
        })
        .collect();
    if let Some(link) = link {
        let theirs = rows::list_private(conn, link.partner)?;
        for row in theirs.iter().filter(|row| row.shared_with_partner) {
            let key = WorksheetKey {
                of_partner: true,
                ..WorksheetKey::mine(&row.course_slug, &row.worksheet_slug)
            };
            if let Some(worksheet) = actor.catalog.worksheet(&key.course, &key.worksheet) {
                summaries.push(summary(key, worksheet, Some(row)));
            }
        }
    }
    Ok(summaries)
}

fn summary(key: WorksheetKey, worksheet: &Worksheet, row: Option<&WorksheetRow>) -> Summary {
    Summary {
        read_only: key.of_partner,
        key,
        title: worksheet.title.clone(),
        shared: worksheet.shared,
        signatures: worksheet.signatures,
        revision: row.map_or(0, |r| revision_number(r.revision)),
        status: row.map_or(Status::Draft, |r| Status::parse(&r.status)),
        shared_with_partner: row.is_some_and(|r| r.shared_with_partner),
    }
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
        target.writable()?;
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
pub(super) fn ensure_row(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &Target<'_>,
) -> Result<WorksheetRow, WorksheetError> {
    if let Some(row) = &target.row {
        return Ok(row.clone());
    }
    let now = actor.now.naive_utc();
    let partnership_id = match target.place {
        Place::Couple(link) => Some(link.id.get()),
        Place::Mine | Place::Partners(_) => None,
    };
    let new = NewWorksheet {
        owner_id: actor.user,
        partnership_id,
        course_slug: &target.key.course,
        worksheet_slug: &target.key.worksheet,
        created_at: now,
        updated_at: now,
    };
    if !rows::insert_if_absent(conn, &new)? {
        return Err(conflict(conn, actor, target.key));
    }
    find_row(conn, actor, target.place, target.key)?.ok_or(WorksheetError::NotFound)
}

/// Stores `answers` as the next revision. A finished worksheet stays finished while every
/// required question is still answered.
pub(super) fn write_revision(
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
    let signed_before = target.worksheet.signatures
        && signature::list_for_worksheet(conn, row.id)?.iter().any(|s| s.revision == from);
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
    if let (true, Place::Couple(link)) = (signed_before, target.place) {
        let dedupe = format!("worksheet-waiting:{}:{number}", row.id);
        notices::send(conn, actor, link.partner, notices::WAITING, &dedupe)?;
    }
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
        target.writable()?;
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
        target.writable()?;
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

/// The worksheet as a document to print, filled from its newest revision with the signatures
/// given on it (blank before the first save). `date` is today in the reader's time zone.
pub fn document(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &WorksheetKey,
    date: NaiveDate,
) -> Result<Document, WorksheetError> {
    let target = resolve(conn, actor, key)?;
    printed(conn, actor, &target, target.revision(), date)
}

/// The agreement in force, as a document: the newest revision both partners signed, which
/// stays printable while a later edit waits for both signatures. `None` when none is in force.
pub fn agreement(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &WorksheetKey,
    date: NaiveDate,
) -> Result<Option<Document>, WorksheetError> {
    let target = resolve(conn, actor, key)?;
    let Some(row) = &target.row else { return Ok(None) };
    match Signatures::load(conn, row)?.in_force() {
        Some(number) => printed(conn, actor, &target, number, date).map(Some),
        None => Ok(None),
    }
}

/// Revision `number` of the target printed with its signatures (blank for revision 0).
fn printed(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &Target<'_>,
    number: i32,
    date: NaiveDate,
) -> Result<Document, WorksheetError> {
    let Some(row) = target.row.as_ref().filter(|_| number > 0) else {
        return Ok(Document::blank(target.course, target.worksheet, date));
    };
    let revision = rows::find_revision(conn, row.id, number)?.ok_or(WorksheetError::NotFound)?;
    let answers = sealing::open(&actor.keyring, &revision)?;
    let signing = Signatures::load(conn, row)?.signing(number);
    let filled = Filled {
        answers: &answers,
        revision: revision_number(number),
        worksheet_hash: &revision.template_hash,
        signing: Some(&signing),
    };
    Ok(Document::filled(target.course, target.worksheet, filled, date))
}
