//! What a printed worksheet says, independent of the file format it is written in.
//!
//! The worksheets service passes catalog types and plain data in; the renderers only read a
//! [`Document`], so PDF, DOCX and Markdown cannot disagree about what is on the page.

use chrono::NaiveDate;
use serde_json::Value;

use super::html;
use crate::content::{Course, Field, FieldKind, Worksheet, WorksheetBlock};

pub use crate::domain::worksheet::Answers;

/// Two partners sign an agreement.
pub const SIGNERS: usize = 2;

/// A worksheet ready to render, blank or filled.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Printed above the title, so a loose page says where it came from.
    pub course_title: String,
    /// The worksheet's title.
    pub title: String,
    /// The worksheet body in order: the author's prose and the questions.
    pub blocks: Vec<Block>,
    /// Answers kept from questions the author has since removed; empty when there are none.
    pub orphaned: Vec<Orphan>,
    /// The signature section, present when the worksheet asks for signatures.
    pub signing: Option<Signing>,
    /// When and from which revision the document was made.
    pub stamp: Stamp,
}

/// One piece of a worksheet body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section heading from the author's Markdown.
    Heading(String),
    /// A paragraph of the author's prose.
    Paragraph(String),
    /// One bullet of the author's lists.
    Bullet(String),
    /// A question with its writing space or answer.
    Question(Question),
}

/// A declared field as it appears on paper.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// The field's label.
    pub label: String,
    /// The author's hint; empty for none.
    pub help: String,
    /// Marked on the page so nobody skips it.
    pub required: bool,
    /// What goes under the label.
    pub response: Response,
}

impl Question {
    /// The hint under the label, starting "Required." when the question must be answered.
    pub fn help_line(&self) -> String {
        match (self.required, self.help.is_empty()) {
            (true, true) => "Required.".to_string(),
            (true, false) => format!("Required. {}", self.help),
            (false, _) => self.help.clone(),
        }
    }
}

/// Under a question: room to write, or what was written.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// Nothing written: this many ruled lines of writing space.
    Lines(u8),
    /// A written answer (`short`, `long`, `date`).
    Text(String),
    /// A written list, one item per entry.
    Items(Vec<String>),
    /// A checkbox, ticked or not (blank documents leave it unticked).
    Tick(bool),
    /// The options of a `choice`, with the one chosen, if any.
    Choice {
        /// Every option, in the author's order.
        options: Vec<String>,
        /// Index into `options` of the chosen one.
        chosen: Option<usize>,
    },
}

/// An answer whose question is no longer in the worksheet: kept, never silently dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Orphan {
    /// The removed field's id (its label went with it).
    pub field: String,
    /// The answer as text.
    pub answer: String,
}

/// The signature section of an agreement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Signing {
    /// Signatures given, at most [`SIGNERS`]; the rest print as lines to sign on.
    pub signed: Vec<Signature>,
    /// Content hash of the revision that was signed, once anyone has signed.
    pub revision_hash: Option<String>,
}

/// A partner's signature: the full name they typed and the day they signed.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// As typed when signing.
    pub full_name: String,
    /// In the signer's time zone.
    pub date: NaiveDate,
}

/// The footer facts: when printed and which revision.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamp {
    /// The day the document was made, in the reader's time zone.
    pub date: NaiveDate,
    /// The saved revision the answers come from; `None` for a blank document.
    pub revision: Option<u32>,
    /// Content hash of the catalog worksheet the page was written against.
    pub worksheet_hash: String,
}

/// A saved revision of a worksheet, to print filled.
#[derive(Debug, Clone, Copy)]
pub struct Filled<'a> {
    /// The revision's answers.
    pub answers: &'a Answers,
    /// The revision's number.
    pub revision: u32,
    /// Content hash of the catalog worksheet the revision was written against.
    pub worksheet_hash: &'a str,
    /// Signatures on this revision and its content hash; ignored unless the worksheet is signed.
    pub signing: Option<&'a Signing>,
}

/// Lines of writing space per field type on a blank page.
fn blank_lines(kind: &FieldKind) -> u8 {
    match kind {
        FieldKind::Short | FieldKind::Date => 1,
        FieldKind::List => 5,
        FieldKind::Long => 6,
        FieldKind::Checkbox | FieldKind::Choice { .. } => 0,
    }
}

impl Document {
    /// The worksheet as a counsellor hands it out: every question with room to write.
    pub fn blank(course: &Course, worksheet: &Worksheet, date: NaiveDate) -> Self {
        let blocks = body(worksheet, |field| match &field.kind {
            FieldKind::Checkbox => Response::Tick(false),
            FieldKind::Choice { options } => {
                Response::Choice { options: options.clone(), chosen: None }
            }
            other => Response::Lines(blank_lines(other)),
        });
        Self {
            course_title: course.title.clone(),
            title: worksheet.title.clone(),
            blocks,
            orphaned: Vec::new(),
            signing: worksheet.signatures.then(Signing::default),
            stamp: Stamp { date, revision: None, worksheet_hash: worksheet.content_hash.clone() },
        }
    }

    /// A saved revision: answers under their questions, answers to removed questions in their
    /// own section, and the signatures given so far.
    pub fn filled(
        course: &Course,
        worksheet: &Worksheet,
        filled: Filled<'_>,
        date: NaiveDate,
    ) -> Self {
        let blocks = body(worksheet, |field| response(field, filled.answers.get(&field.id)));
        let orphaned = filled
            .answers
            .iter()
            .filter(|(id, _)| !worksheet.fields.iter().any(|field| &field.id == *id))
            .filter_map(|(id, value)| Some(Orphan { field: id.clone(), answer: as_text(value)? }))
            .collect();
        Self {
            course_title: course.title.clone(),
            title: worksheet.title.clone(),
            blocks,
            orphaned,
            signing: worksheet.signatures.then(|| filled.signing.cloned().unwrap_or_default()),
            stamp: Stamp {
                date,
                revision: Some(filled.revision),
                worksheet_hash: filled.worksheet_hash.to_string(),
            },
        }
    }
}

/// The worksheet body with each field turned into a question by `respond`.
fn body(worksheet: &Worksheet, respond: impl Fn(&Field) -> Response) -> Vec<Block> {
    let mut blocks = Vec::new();
    for block in &worksheet.blocks {
        match block {
            WorksheetBlock::Html(html) => blocks.extend(html::blocks(html)),
            WorksheetBlock::Field(id) => {
                let Some(field) = worksheet.fields.iter().find(|field| &field.id == id) else {
                    continue;
                };
                blocks.push(Block::Question(Question {
                    label: field.label.clone(),
                    help: field.help.clone(),
                    required: field.required,
                    response: respond(field),
                }));
            }
        }
    }
    blocks
}

/// What a field's stored answer prints as; an empty answer leaves writing space.
fn response(field: &Field, answer: Option<&Value>) -> Response {
    let lines = blank_lines(&field.kind).max(1);
    match (&field.kind, answer) {
        (FieldKind::Checkbox, answer) => {
            Response::Tick(answer.and_then(Value::as_bool).unwrap_or(false))
        }
        (FieldKind::Choice { options }, answer) => {
            let text = answer.and_then(as_text);
            match text.as_ref().map(|text| options.iter().position(|option| option == text)) {
                // An option the author has since renamed or removed: keep the answer as written.
                Some(None) => Response::Text(text.unwrap_or_default()),
                chosen => Response::Choice { options: options.clone(), chosen: chosen.flatten() },
            }
        }
        (FieldKind::List, Some(value)) => match items(value) {
            items if items.is_empty() => Response::Lines(lines),
            items => Response::Items(items),
        },
        (_, Some(value)) => match as_text(value) {
            Some(text) => Response::Text(text),
            None => Response::Lines(lines),
        },
        (_, None) => Response::Lines(lines),
    }
}

/// A list answer's non-empty items, from an array or from one string of lines.
fn items(value: &Value) -> Vec<String> {
    let lines: Vec<&str> = match value {
        Value::Array(values) => values.iter().filter_map(Value::as_str).collect(),
        Value::String(text) => text.lines().collect(),
        _ => Vec::new(),
    };
    lines.into_iter().map(str::trim).filter(|line| !line.is_empty()).map(String::from).collect()
}

/// Any stored answer as printable text; `None` when there is nothing to print.
fn as_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(text) => text.trim().to_string(),
        Value::Bool(true) => "Yes".to_string(),
        Value::Bool(false) => "No".to_string(),
        Value::Number(number) => number.to_string(),
        Value::Array(_) => items(value).join("\n"),
        Value::Null | Value::Object(_) => String::new(),
    };
    (!text.is_empty()).then_some(text)
}
