//! Worksheets as documents people download and print: PDF, DOCX and Markdown, blank (writing
//! space under each question) or filled (the answers, signatures and revision).
//!
//! [`Document`] is built from the catalog worksheet plus plain answers; each renderer is a
//! `fn(&Document) -> Result<Vec<u8>, DocumentError>` with no I/O, so the web layer runs it on
//! the blocking pool and sends the bytes.

mod docx;
mod html;
mod markdown;
mod model;
mod pdf;

use chrono::NaiveDate;

pub use self::docx::render as docx;
pub use self::markdown::render as markdown;
pub use self::model::{
    Answers, Block, Document, Filled, Orphan, Question, Response, SIGNERS, Signature, Signing,
    Stamp,
};
pub use self::pdf::render as pdf;

/// Why a document could not be rendered. None of these depend on the answers; each means a
/// broken build or library, so the boundary shows a plain 500.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The fonts compiled into the binary did not parse.
    #[error("the embedded document fonts could not be read")]
    Font,
    /// The PDF writer failed.
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    /// The DOCX writer failed.
    #[error("the DOCX could not be written: {0}")]
    Docx(String),
}

/// The file formats a worksheet downloads as; every download route takes one of these by its
/// file extension, so the formats offered and the renderers cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For printing: fonts embedded, page numbers.
    Pdf,
    /// For editing in Word or LibreOffice.
    Docx,
    /// Plain text that reads well anywhere.
    Markdown,
}

impl Format {
    /// Every format, in the order links offer them.
    pub const ALL: [Self; 3] = [Self::Pdf, Self::Docx, Self::Markdown];

    /// The format whose file extension is `extension` (`pdf`, `docx`, `md`), if any.
    pub fn from_extension(extension: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|format| format.extension() == extension)
    }

    /// The file extension, also the format's name in URLs.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Docx => "docx",
            Self::Markdown => "md",
        }
    }

    /// The `Content-Type` the rendered bytes are sent with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Markdown => "text/markdown; charset=utf-8",
        }
    }

    /// What a link calls the format, in words people know.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Docx => "Word",
            Self::Markdown => "Markdown",
        }
    }

    /// Renders `document` in this format (CPU only: call it on the blocking pool).
    ///
    /// # Errors
    /// [`DocumentError`] when the embedded fonts or a writer fail.
    pub fn render(self, document: &Document) -> Result<Vec<u8>, DocumentError> {
        match self {
            Self::Pdf => pdf(document),
            Self::Docx => docx(document),
            Self::Markdown => markdown(document),
        }
    }
}

/// Heading of the section that keeps answers to questions an author has since removed.
pub const ORPHANED_HEADING: &str = "Answers to questions no longer in this worksheet";

/// Marks the author's bullets and a list answer's items.
const BULLET: &str = "•";

/// A checkbox on paper.
fn tick_mark(ticked: bool) -> &'static str {
    if ticked { "☒" } else { "☐" }
}

/// An option of a choice on paper.
fn choice_mark(chosen: bool) -> &'static str {
    if chosen { "●" } else { "○" }
}

/// "1 December 2026": unambiguous in every locale a counsellor might be in.
fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// The footer line every format prints: date, revision and the worksheet version.
fn footer_text(stamp: &Stamp) -> String {
    let version = stamp.worksheet_hash.get(..12).unwrap_or(&stamp.worksheet_hash);
    let revision = match stamp.revision {
        Some(number) => format!("Revision {number}"),
        None => "Blank worksheet".to_string(),
    };
    format!("{} · {revision} · Worksheet version {version}", long_date(stamp.date))
}
