//! Reflections: each learner's private answers to the prompts placed in lessons, revealed to
//! their partner only once both have answered and both chose to share (the rule lives in
//! [`crate::domain::reflections`]). Answers exist in plain text only inside these functions;
//! the database holds them sealed with the keyring, bound to learner and prompt.
//!
//! Each function takes a `&mut DbConnection`, so a page or API handler does its whole unit of
//! work in one [`crate::db::Database::run`]. Reads never write; a save writes only when the
//! answer or the share choice changed. A prompt is always the signed-in learner's own: nobody
//! else, author or admin included, can address an answer.

mod export;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::auth::keyring::{Keyring, KeyringError, Sealed};
use crate::content::{Catalog, Reflection};
use crate::db::models::reflection_answer::{self as rows, AnswerRow, AnswerUpdate, NewAnswer};
use crate::db::models::{partnership, user};
use crate::db::{Batched, DbConnection, DbError, in_batches, write_transaction};
use crate::domain::ids::UserId;
use crate::domain::reflections::{self, AnswerProblem, ReflectionKey, Reveal, Side};

pub use export::{ReflectionRecord, export_of};

/// Who is acting on reflections, with what they need: the catalog for the prompts, the keyring
/// for the answers, and the time. Owned, so it moves onto the blocking pool with the work.
#[derive(Debug, Clone)]
pub struct Actor {
    pub catalog: Arc<Catalog>,
    pub keyring: Keyring,
    pub user: UserId,
    pub now: DateTime<Utc>,
}

/// Why a reflection action did not happen; messages are safe to show and hold no answer text.
#[derive(Debug, thiserror::Error)]
pub enum ReflectionError {
    /// No such prompt, or no answer of the learner's to show (never says which).
    #[error("there is no such reflection")]
    NotFound,
    /// An answer that cannot be saved.
    #[error("{0}")]
    Invalid(AnswerProblem),
    /// A ciphertext did not open or could not be made (the cause says which key, never text).
    #[error("the answer could not be sealed or opened: {0}")]
    Sealing(#[from] KeyringError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for ReflectionError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

/// The learner's own answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mine {
    pub answer: String,
    /// They chose to share it with their partner once both have answered.
    pub share: bool,
    pub updated_at: DateTime<Utc>,
}

/// The partner's answer, present only once it is revealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theirs {
    /// What the partner calls themselves.
    pub name: String,
    pub answer: String,
    pub updated_at: DateTime<Utc>,
}

/// One prompt as the learner sees it: the question, their answer, and the partner's when
/// revealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: ReflectionKey,
    /// The question (its id in words when the prompt has left the course since).
    pub label: String,
    pub help: String,
    pub mine: Option<Mine>,
    pub reveal: Reveal,
    pub partner: Option<Theirs>,
}

impl Entry {
    /// The learner has a partner link, so the share choice means something.
    pub fn linked(&self) -> bool {
        self.reveal != Reveal::Journal
    }
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// `false` when answer and share choice were as stored, so nothing was written.
    pub changed: bool,
    /// The prompt after the save.
    pub entry: Entry,
}

/// The associated data of an answer's ciphertext: a copy on another row does not open there.
fn context(user: UserId, key: &ReflectionKey) -> String {
    format!("reflection-answer:{user}:{key}")
}

/// Opens a stored answer.
fn open(keyring: &Keyring, row: &AnswerRow) -> Result<String, ReflectionError> {
    let plain = keyring.open(
        &Sealed::of_columns(&row.key_id, &row.nonce, &row.ciphertext),
        &context(row.user_id, &row.key()),
    )?;
    String::from_utf8(plain).map_err(|_| ReflectionError::Sealing(KeyringError::Damaged))
}

/// The partner the learner is linked with now, with their name.
struct Partner {
    id: UserId,
    name: String,
}

fn partner_of(conn: &mut DbConnection, me: UserId) -> Result<Option<Partner>, ReflectionError> {
    let Some(link) = partnership::active_for_user(conn, me)? else {
        return Ok(None);
    };
    let name = user::find(conn, link.partner.get())?.map(|u| u.display_name).unwrap_or_default();
    Ok(Some(Partner { id: link.partner, name }))
}

/// The prompt a key names in the catalog's lesson (drafts included: the caller checked the
/// learner may read the lesson).
fn prompt<'a>(catalog: &'a Catalog, key: &ReflectionKey) -> Option<&'a Reflection> {
    let view = catalog.lesson(&key.course, &key.lesson)?;
    view.lesson.reflections.iter().find(|r| r.id == key.reflection)
}

/// Builds one entry from the learner's row and their partner's; the partner's answer is
/// opened only when the rule reveals it.
fn entry(
    keyring: &Keyring,
    key: ReflectionKey,
    prompt: Option<&Reflection>,
    mine: Option<&AnswerRow>,
    partner: Option<(&Partner, Option<&AnswerRow>)>,
) -> Result<Entry, ReflectionError> {
    let side = |row: Option<&AnswerRow>| Side::of(row.is_some(), row.is_some_and(|r| r.share));
    let reveal = reflections::reveal(side(mine), partner.map(|(_, row)| side(row)));
    let theirs = match partner {
        Some((who, Some(row))) if reveal.shows_partner() => Some(Theirs {
            name: who.name.clone(),
            answer: open(keyring, row)?,
            updated_at: row.updated_at.and_utc(),
        }),
        _ => None,
    };
    let mine = match mine {
        Some(row) => Some(Mine {
            answer: open(keyring, row)?,
            share: row.share,
            updated_at: row.updated_at.and_utc(),
        }),
        None => None,
    };
    let (label, help) = match prompt {
        Some(p) => (p.label.clone(), p.help.clone()),
        None => (key.reflection.replace('_', " "), String::new()),
    };
    Ok(Entry { key, label, help, mine, reveal, partner: theirs })
}

/// Every prompt of a lesson, in the order placed, with the learner's answers and the
/// partner's where revealed: what the lesson page shows under each prompt. One query for the
/// answers of both partners.
pub fn for_lesson(
    conn: &mut DbConnection,
    actor: &Actor,
    course: &str,
    lesson: &str,
) -> Result<Vec<Entry>, ReflectionError> {
    let view = actor.catalog.lesson(course, lesson).ok_or(ReflectionError::NotFound)?;
    if view.lesson.reflections.is_empty() {
        return Ok(Vec::new());
    }
    let partner = partner_of(conn, actor.user)?;
    let users: Vec<UserId> =
        [Some(actor.user), partner.as_ref().map(|p| p.id)].into_iter().flatten().collect();
    let rows = rows::list_for_lesson(conn, &users, course, lesson)?;
    let row_of =
        |who: UserId, id: &str| rows.iter().find(|r| r.user_id == who && r.reflection_id == id);
    view.lesson
        .reflections
        .iter()
        .map(|prompt| {
            let key = ReflectionKey {
                course: course.to_owned(),
                lesson: lesson.to_owned(),
                reflection: prompt.id.clone(),
            };
            let theirs = partner.as_ref().map(|p| (p, row_of(p.id, &prompt.id)));
            entry(&actor.keyring, key, Some(prompt), row_of(actor.user, &prompt.id), theirs)
        })
        .collect()
}

/// Every prompt the learner answered, by course and lesson, with the partner's answer where
/// revealed: the "Reflections" page and `GET /api/v1/reflections`.
pub fn list(conn: &mut DbConnection, actor: &Actor) -> Result<Vec<Entry>, ReflectionError> {
    let partner = partner_of(conn, actor.user)?;
    let users: Vec<UserId> =
        [Some(actor.user), partner.as_ref().map(|p| p.id)].into_iter().flatten().collect();
    let rows = rows::list_for_users(conn, &users)?;
    let theirs_for = |key: &ReflectionKey| {
        partner.as_ref().map(|p| (p, rows.iter().find(|r| r.user_id == p.id && r.key() == *key)))
    };
    rows.iter()
        .filter(|row| row.user_id == actor.user)
        .map(|row| {
            let key = row.key();
            let theirs = theirs_for(&key);
            entry(&actor.keyring, key.clone(), prompt(&actor.catalog, &key), Some(row), theirs)
        })
        .collect()
}

/// One prompt the learner answered; [`ReflectionError::NotFound`] when they have not (so
/// nobody ever learns anything of an answer that is not theirs).
pub fn find(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &ReflectionKey,
) -> Result<Entry, ReflectionError> {
    let mine = rows::find(conn, actor.user, key)?.ok_or(ReflectionError::NotFound)?;
    let partner = partner_of(conn, actor.user)?;
    let theirs = match &partner {
        Some(p) => Some((p, rows::find(conn, p.id, key)?)),
        None => None,
    };
    let theirs = theirs.as_ref().map(|(p, row)| (*p, row.as_ref()));
    entry(&actor.keyring, key.clone(), prompt(&actor.catalog, key), Some(&mine), theirs)
}

/// Saves the learner's answer and share choice (kept private without a partner link, so a
/// later link never reveals it unasked). The caller has checked the learner may answer in the
/// lesson now. Writes only when something changed.
pub fn save(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &ReflectionKey,
    typed: &str,
    share: bool,
) -> Result<Saved, ReflectionError> {
    prompt(&actor.catalog, key).ok_or(ReflectionError::NotFound)?;
    let text = reflections::answer(typed).map_err(ReflectionError::Invalid)?;
    let share = share && partnership::active_for_user(conn, actor.user)?.is_some();
    let stored = rows::find(conn, actor.user, key)?;
    let unchanged = match &stored {
        Some(row) => row.share == share && open(&actor.keyring, row)? == text,
        None => false,
    };
    if !unchanged {
        write_transaction(conn, |conn| store(conn, actor, key, text, share))?;
    }
    Ok(Saved { changed: !unchanged, entry: find(conn, actor, key)? })
}

/// Writes the answer: a first one, or over the stored one (also when a first save raced).
fn store(
    conn: &mut DbConnection,
    actor: &Actor,
    key: &ReflectionKey,
    text: &str,
    share: bool,
) -> Result<(), ReflectionError> {
    let sealed = actor.keyring.seal(text.as_bytes(), &context(actor.user, key))?;
    let now = actor.now.naive_utc();
    let new = NewAnswer {
        user_id: actor.user,
        course_slug: &key.course,
        lesson_slug: &key.lesson,
        reflection_id: &key.reflection,
        key_id: &sealed.key_id,
        nonce: &sealed.nonce,
        ciphertext: &sealed.ciphertext,
        share,
        created_at: now,
        updated_at: now,
    };
    if !rows::insert_if_absent(conn, &new)? {
        let change = AnswerUpdate {
            key_id: &sealed.key_id,
            nonce: &sealed.nonce,
            ciphertext: &sealed.ciphertext,
            share,
            updated_at: now,
        };
        rows::update(conn, actor.user, key, &change)?;
    }
    Ok(())
}

/// `mend keys rotate`: every answer sealed under an older key is sealed again under the
/// newest, `batch` at a time (as worksheet revisions are).
pub fn rotate(
    conn: &mut DbConnection,
    keyring: &Keyring,
    batch: i64,
) -> Result<Batched, ReflectionError> {
    let primary = keyring.primary_id();
    in_batches(conn, |conn, after| {
        let found = rows::list_sealed_under_other_keys(conn, &primary, after, batch)?;
        let mut count = 0;
        for row in &found {
            let context = context(row.user_id, &row.key());
            let plain = keyring
                .open(&Sealed::of_columns(&row.key_id, &row.nonce, &row.ciphertext), &context)?;
            let sealed = keyring.seal(&plain, &context)?;
            let new = (sealed.key_id.as_str(), &sealed.nonce[..], &sealed.ciphertext[..]);
            count += rows::reseal(conn, row.id, &row.key_id, new)?;
        }
        Ok::<_, ReflectionError>((found.last().map(|row| row.id), count))
    })
}
