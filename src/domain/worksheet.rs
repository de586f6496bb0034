//! The rules for a learner's answers to a worksheet: how an answer id names a worksheet, which
//! values each field type accepts (checked on every save), what "finished" needs (checked only
//! when the learner marks it so), and which answers belong to questions the author removed.
//! Pure: the worksheets service feeds it catalog fields and decrypted answers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use crate::content::{Field, FieldKind};

/// Answers keyed by field id, as the worksheet API sends and stores them: a string for
/// `short`, `long` and `date`, an array of strings (or one string of lines) for `list`, a
/// boolean for `checkbox`, the chosen option's text for `choice`.
pub type Answers = BTreeMap<String, Value>;

/// Longest `short`, `date` or `choice` answer and longest `list` item, in characters.
pub const SHORT_MAX: usize = 500;
/// Longest `long` answer, in characters: several pages of writing.
pub const LONG_MAX: usize = 10_000;
/// Most items in one `list` answer.
pub const LIST_MAX_ITEMS: usize = 100;

/// Which worksheet an API path or page names, for the signed-in learner: the catalog worksheet
/// `course.worksheet`. It means "my copy" (or, for a shared worksheet while linked, "our copy
/// as a couple"), so the same id names a different row for each learner and one learner can
/// never address another's answers. `course.worksheet.partner` names the partner's private
/// copy, readable only while the partner shares it. Rows are created on the first save; until
/// then the worksheet is empty at revision 0 and reading it writes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorksheetKey {
    /// The course slug.
    pub course: String,
    /// The worksheet slug within the course.
    pub worksheet: String,
    /// The partner's private copy (read only) rather than my own.
    pub of_partner: bool,
}

/// The suffix of a key naming the partner's copy.
const PARTNER_SUFFIX: &str = "partner";

impl WorksheetKey {
    /// My (or our) copy of a catalog worksheet.
    pub fn mine(course: &str, worksheet: &str) -> Self {
        Self { course: course.to_owned(), worksheet: worksheet.to_owned(), of_partner: false }
    }

    /// Parses `course.worksheet` or `course.worksheet.partner`; `None` for anything else (the
    /// caller answers 404).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let (course, worksheet) = (parts.next()?, parts.next()?);
        let of_partner = match parts.next() {
            None => false,
            Some(PARTNER_SUFFIX) => true,
            Some(_) => return None,
        };
        let valid = is_slug(course) && is_slug(worksheet) && parts.next().is_none();
        valid.then(|| Self { of_partner, ..Self::mine(course, worksheet) })
    }
}

impl fmt::Display for WorksheetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.course, self.worksheet)?;
        if self.of_partner {
            write!(f, ".{PARTNER_SUFFIX}")?;
        }
        Ok(())
    }
}

/// The longest full name a signature takes, in characters.
pub const FULL_NAME_MAX: usize = 200;

/// A signer's typed full name, trimmed; `None` when empty or too long.
pub fn full_name(typed: &str) -> Option<&str> {
    let name = typed.trim();
    (!name.is_empty() && name.chars().count() <= FULL_NAME_MAX).then_some(name)
}

/// The catalog's slug rule, repeated here so parsing a key needs no catalog.
pub(crate) fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('-')
        && !text.ends_with('-')
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Where a worksheet stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Being written; saves need not be complete.
    Draft,
    /// Marked as finished with every required question answered.
    Finished,
}

impl Status {
    /// The stored spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Finished => "finished",
        }
    }

    /// The stored spelling back; anything unknown reads as a draft (the safer state).
    pub fn parse(text: &str) -> Self {
        if text == "finished" { Self::Finished } else { Self::Draft }
    }
}

/// One answer that cannot be accepted, named by its field id so a form or client can point at
/// it. The message never repeats what was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerProblem {
    /// The field id (`answers.<id>` in the API).
    pub field: String,
    /// What is wrong, in words a learner reads.
    pub message: &'static str,
}

impl AnswerProblem {
    fn new(field: &str, message: &'static str) -> Self {
        Self { field: field.to_owned(), message }
    }
}

/// Checks submitted answers against the worksheet's current fields and returns them in their
/// canonical stored form: empty answers (null, "", [], false) dropped, strings trimmed at the
/// ends, a `list` given as one string of lines turned into an array of its non-empty lines.
/// Answers kept from removed questions are not the submitter's to send: they are carried over
/// by the service, so an id that is not a current field is refused.
pub fn validate(fields: &[Field], submitted: &Answers) -> Result<Answers, Vec<AnswerProblem>> {
    let mut clean = Answers::new();
    let mut problems = Vec::new();
    for (id, value) in submitted {
        let Some(field) = fields.iter().find(|field| &field.id == id) else {
            problems.push(AnswerProblem::new(id, "This question is not part of the worksheet."));
            continue;
        };
        match canonical(&field.kind, value) {
            Ok(Some(value)) => {
                clean.insert(id.clone(), value);
            }
            Ok(None) => {}
            Err(message) => problems.push(AnswerProblem::new(id, message)),
        }
    }
    if problems.is_empty() { Ok(clean) } else { Err(problems) }
}

/// One answer in canonical form; `None` when it is empty.
fn canonical(kind: &FieldKind, value: &Value) -> Result<Option<Value>, &'static str> {
    match (kind, value) {
        (_, Value::Null) => Ok(None),
        (FieldKind::Checkbox, Value::Bool(ticked)) => Ok(ticked.then_some(Value::Bool(true))),
        (FieldKind::Checkbox, _) => Err("Please answer with yes or no (true or false)."),
        (FieldKind::List, Value::Array(items)) => list(items.iter().map(Value::as_str)),
        (FieldKind::List, Value::String(text)) => list(text.lines().map(Some)),
        (FieldKind::List, _) => Err("Please give a list of lines of text."),
        (_, Value::String(text)) => text_answer(kind, text.trim()),
        (_, _) => Err("Please answer with text."),
    }
}

fn text_answer(kind: &FieldKind, text: &str) -> Result<Option<Value>, &'static str> {
    if text.is_empty() {
        return Ok(None);
    }
    let length = text.chars().count();
    match kind {
        FieldKind::Long if length > LONG_MAX => Err("This answer is too long to save."),
        FieldKind::Long => Ok(Some(Value::from(text))),
        _ if length > SHORT_MAX => Err("This answer is too long to save."),
        FieldKind::Date if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err() => {
            Err("Please give a date as YYYY-MM-DD.")
        }
        FieldKind::Choice { options } if !options.iter().any(|option| option == text) => {
            Err("Please choose one of the options offered.")
        }
        _ => Ok(Some(Value::from(text))),
    }
}

fn list<'a>(items: impl Iterator<Item = Option<&'a str>>) -> Result<Option<Value>, &'static str> {
    let mut kept = Vec::new();
    for item in items {
        let item = item.ok_or("Each item of the list must be text.")?.trim();
        if item.chars().count() > SHORT_MAX {
            return Err("An item of this list is too long to save.");
        }
        if !item.is_empty() {
            kept.push(Value::from(item));
        }
    }
    if kept.len() > LIST_MAX_ITEMS {
        return Err("This list has too many items to save.");
    }
    Ok((!kept.is_empty()).then_some(Value::Array(kept)))
}

/// The required questions left unanswered, which keep a worksheet from being finished.
pub fn missing_required(fields: &[Field], answers: &Answers) -> Vec<AnswerProblem> {
    fields
        .iter()
        .filter(|field| field.required && !answers.contains_key(&field.id))
        .map(|field| AnswerProblem::new(&field.id, "Please answer this question to finish."))
        .collect()
}

/// Answers to questions no longer in the worksheet: kept and shown apart, never dropped.
pub fn orphaned(fields: &[Field], answers: &Answers) -> Answers {
    answers
        .iter()
        .filter(|(id, _)| !fields.iter().any(|field| &field.id == *id))
        .map(|(id, value)| (id.clone(), value.clone()))
        .collect()
}

/// The answers a save stores: what was submitted for current questions, plus every answer
/// kept from removed ones (which the submitter cannot see in the form).
pub fn merged(fields: &[Field], submitted: Answers, previous: &Answers) -> Answers {
    let mut answers = orphaned(fields, previous);
    answers.extend(submitted);
    answers
}

/// The field ids whose answers differ between two revisions, for the history list.
pub fn changed_fields(before: &Answers, after: &Answers) -> Vec<String> {
    let ids: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    ids.into_iter().filter(|id| before.get(*id) != after.get(*id)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(id: &str, kind: FieldKind, required: bool) -> Field {
        Field { id: id.into(), kind, label: id.into(), help: String::new(), required }
    }

    fn fields() -> Vec<Field> {
        vec![
            field("name", FieldKind::Short, true),
            field("story", FieldKind::Long, false),
            field("steps", FieldKind::List, true),
            field("agree", FieldKind::Checkbox, false),
            field("when", FieldKind::Date, false),
            field("rhythm", FieldKind::Choice { options: vec!["Weekly".into()] }, false),
        ]
    }

    fn answers(value: Value) -> Answers {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn keys_parse_only_two_slugs() {
        let key = WorksheetKey::parse("rebuilding-trust.relationship-contract").unwrap();
        assert_eq!(key.course, "rebuilding-trust");
        assert_eq!(key.to_string(), "rebuilding-trust.relationship-contract");
        let theirs = WorksheetKey::parse("a.b.partner").unwrap();
        assert!(theirs.of_partner);
        assert_eq!(theirs.to_string(), "a.b.partner");
        for bad in ["", "a", "a.", ".b", "a.b.c", "a.b.partner.x", "../x", "A.b", "a.-b", "a/b"] {
            assert_eq!(WorksheetKey::parse(bad), None, "{bad:?}");
        }
        assert_eq!(full_name("  Sam Rivera "), Some("Sam Rivera"));
        assert_eq!(full_name(" "), None);
        assert_eq!(full_name(&"x".repeat(FULL_NAME_MAX + 1)), None);
    }

    #[test]
    fn answers_become_canonical_and_empties_are_dropped() {
        let submitted = answers(json!({
            "name": "  Sam ", "story": "", "steps": "one\n\n two \n", "agree": false,
            "when": "2026-12-24", "rhythm": "Weekly"
        }));
        let clean = validate(&fields(), &submitted).unwrap();
        assert_eq!(
            Value::Object(clean.into_iter().collect()),
            json!({"name": "Sam", "steps": ["one", "two"], "when": "2026-12-24", "rhythm": "Weekly"})
        );
    }

    #[test]
    fn each_wrong_value_is_named_by_its_field() {
        let submitted = answers(json!({
            "name": 3, "steps": [1], "agree": "yes", "when": "24/12/2026", "rhythm": "Daily",
            "story": "x".repeat(LONG_MAX + 1), "removed": "text"
        }));
        let problems = validate(&fields(), &submitted).unwrap_err();
        let named: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(named, ["agree", "name", "removed", "rhythm", "steps", "story", "when"]);
    }

    #[test]
    fn lists_are_bounded() {
        let long_list: Vec<String> = (0..=LIST_MAX_ITEMS).map(|i| i.to_string()).collect();
        assert!(validate(&fields(), &answers(json!({ "steps": long_list }))).is_err());
        let long_item = "x".repeat(SHORT_MAX + 1);
        assert!(validate(&fields(), &answers(json!({ "steps": [long_item] }))).is_err());
    }

    #[test]
    fn finishing_needs_every_required_answer() {
        let saved = answers(json!({ "name": "Sam" }));
        let missing = missing_required(&fields(), &saved);
        assert_eq!(missing.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["steps"]);
    }

    #[test]
    fn answers_to_removed_questions_are_kept_through_a_save() {
        let previous = answers(json!({ "name": "Old", "gone": "kept words" }));
        let saved = merged(&fields(), answers(json!({ "name": "New" })), &previous);
        assert_eq!(saved, answers(json!({ "name": "New", "gone": "kept words" })));
        assert_eq!(orphaned(&fields(), &saved), answers(json!({ "gone": "kept words" })));
        assert_eq!(changed_fields(&previous, &saved), ["name"]);
    }

    #[test]
    fn statuses_round_trip() {
        for status in [Status::Draft, Status::Finished] {
            assert_eq!(Status::parse(status.as_str()), status);
        }
    }
}
