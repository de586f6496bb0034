//! The course compiler: turns `content/` (TOML + Markdown) into an immutable [`Catalog`] of
//! rendered, sanitised, link-checked courses, with rustc-style diagnostics for authors.
//!
//! Pure domain and filesystem code: no web framework, database or template engine here.

#![warn(missing_docs)]

mod audience;
mod cache;
mod catalog;
mod changes;
mod checks;
mod compiler;
mod diagnostics;
mod frontmatter;
mod lesson;
mod links;
mod markdown;
mod placeholder;
mod scan;
mod store;
mod tracks;
mod watch;
mod worksheet;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use audience::Audience;
pub use catalog::{
    Catalog, CatalogFile, Course, EmailOverride, EmailPart, Enrollment, Field, FieldKind, Lesson,
    LessonDownload, LessonView, Module, REMINDER_EMAILS, Reflection, Reminders, TocEntry, Track,
    Worksheet, WorksheetBlock,
};
pub use changes::{ChangeKind, LessonChange, lesson_changes};
pub use compiler::Compiler;
pub use diagnostics::{Diagnostic, Note, Severity, error_count};
pub use lesson::{LessonOutput, compile_lesson_source};
pub use links::{LinkContext, file_url};
pub use placeholder::is_id as is_placeholder_id;
pub use store::{BuildChanges, CatalogStore, CompileStatus};
pub use watch::{WatchHandle, watch, watch_with};

/// Checks a course's email overrides with the template engine. The content layer knows no
/// template engine, so the mail layer implements this and start-up hands it to the compiler.
pub trait EmailCheck: Send + Sync + std::fmt::Debug {
    /// Every problem in one override (`name` is one of [`REMINDER_EMAILS`]).
    fn check(&self, name: &str, email: &EmailOverride) -> Vec<EmailProblem>;
}

/// One problem an [`EmailCheck`] found, placed in a part of the override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailProblem {
    /// The file it is in.
    pub part: EmailPart,
    /// 1-based line in that file.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    /// What is wrong, in the author's terms.
    pub message: String,
}

/// The content folder itself cannot be used; per-file problems are [`Diagnostic`]s instead.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// The content root does not exist.
    #[error("content folder {} does not exist", .0.display())]
    Missing(PathBuf),
    /// The content root is a file, not a folder.
    #[error("{} is not a folder", .0.display())]
    NotADirectory(PathBuf),
    /// The content root exists but cannot be listed.
    #[error("cannot read content folder {}", path.display())]
    Unreadable {
        /// The content root.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// File watching could not be started.
    #[error("cannot watch {}", path.display())]
    Watch {
        /// The content root.
        path: PathBuf,
        /// What the watcher said.
        #[source]
        source: notify::Error,
    },
}

/// The outcome of one compile: a catalog only when there are no errors, and every problem found.
#[derive(Debug, Clone)]
pub struct Compilation {
    /// `None` when any diagnostic is an error (a server keeps serving its previous catalog).
    pub catalog: Option<Arc<Catalog>>,
    /// Every error and warning, sorted by path and position.
    pub diagnostics: Vec<Diagnostic>,
    /// What authors should know that is not a problem (unpublished courses), for `mend check`.
    pub notes: Vec<Note>,
    /// What was compiled, for `mend check` to print.
    pub summary: Summary,
}

impl Compilation {
    /// How many diagnostics are errors (`mend check` exits non-zero, `serve` refuses to start).
    pub fn error_count(&self) -> usize {
        error_count(&self.diagnostics)
    }
}

/// Counts of what a compile produced; lessons, words and minutes count what learners see
/// (drafts excluded and counted on their own).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Courses compiled.
    pub courses: usize,
    /// Modules across all courses.
    pub modules: usize,
    /// Non-draft lessons.
    pub lessons: usize,
    /// Draft lessons.
    pub drafts: usize,
    /// Worksheets.
    pub worksheets: usize,
    /// Downloadable files under `files/`.
    pub files: usize,
    /// Words in non-draft lessons.
    pub words: usize,
    /// Estimated reading minutes of non-draft lessons.
    pub minutes: u64,
}

/// Compiles the content folder at `root` once (use [`Compiler`] to recompile cheaply).
///
/// # Errors
/// [`ContentError`] only when `root` itself is missing, not a folder or unreadable; every
/// problem inside the content is a [`Diagnostic`] in the returned [`Compilation`].
pub fn compile(root: &Path) -> Result<Compilation, ContentError> {
    Compiler::new(root).compile()
}

/// [`compile`], with email overrides checked by `check` as well (what `mend check` and
/// `mend serve` use).
///
/// # Errors
/// As [`compile`].
pub fn compile_with(root: &Path, check: Arc<dyn EmailCheck>) -> Result<Compilation, ContentError> {
    Compiler::new(root).with_email_check(check).compile()
}

/// Content hashes are sha256 in lowercase hex.
fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests;
