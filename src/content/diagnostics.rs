//! Author-facing diagnostics in the `path:line:col: severity: message` format of rustc and Zola.

use std::cell::OnceCell;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// How bad a problem is: errors withhold the catalog, warnings only inform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The content cannot be published until this is fixed.
    Error,
    /// Publishable, but probably not what the author meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// How many of `diagnostics` are errors: the number authors are told to fix.
pub fn error_count(diagnostics: &[Diagnostic]) -> usize {
    diagnostics.iter().filter(|d| d.is_error()).count()
}

/// One problem found in the content, pointing into the original file so an author can fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The file (or folder) as reached from the content root the compiler was given.
    pub path: PathBuf,
    /// 1-based line in the original file, front matter included.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub col: u32,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in the author's terms.
    pub message: String,
    /// The offending line, shown under the message with a caret; `None` for whole-file problems.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// A problem with a whole file or folder rather than a place inside it.
    pub(crate) fn whole_file(path: &Path, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            line: 1,
            col: 1,
            severity,
            message: message.into(),
            source_line: None,
        }
    }

    /// Whether this diagnostic withholds the catalog.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.path.display(),
            self.line,
            self.col,
            self.severity,
            self.message
        )?;
        let Some(source) = &self.source_line else {
            return Ok(());
        };
        let number = self.line.to_string();
        let gutter = " ".repeat(number.len());
        // Keep tabs so the caret lines up with the text as the terminal shows it.
        let pad: String = source
            .chars()
            .take(self.col.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "\n{gutter} |\n{number} | {source}\n{gutter} | {pad}^")
    }
}

/// Something an author should know that is not a problem, such as a course left unpublished
/// on purpose: `mend check` prints it as `path:line: note: message`, and it never counts as an
/// error or a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The file it is about, as reached from the content root.
    pub path: PathBuf,
    /// 1-based line of the setting it is about.
    pub line: u32,
    /// What the author should know.
    pub message: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: note: {}", self.path.display(), self.line, self.message)
    }
}

/// A file's text with the path it is reported under, for turning byte offsets into positions.
#[derive(Debug, Clone)]
pub(crate) struct Source<'a> {
    /// Path shown in diagnostics.
    pub path: &'a Path,
    /// The whole original file.
    pub text: &'a str,
    /// Offsets of line starts, built on the first diagnostic so that files with many
    /// problems are not rescanned for each one.
    line_starts: OnceCell<Vec<usize>>,
}

impl<'a> Source<'a> {
    /// Pairs a path with its text.
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        Self { path, text, line_starts: OnceCell::new() }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0).chain(self.text.match_indices('\n').map(|(i, _)| i + 1)).collect()
        })
    }

    /// A diagnostic at byte `offset` of the original file (clamped to the text).
    pub fn at(&self, offset: usize, severity: Severity, message: impl Into<String>) -> Diagnostic {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let starts = self.line_starts();
        let line = starts.partition_point(|&start| start <= offset);
        let line_start = starts[line - 1];
        let line_end = starts.get(line).map_or(self.text.len(), |&next| next - 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        Diagnostic {
            path: self.path.to_path_buf(),
            line: saturate(line),
            col: saturate(col),
            severity,
            message: message.into(),
            source_line: Some(self.text[line_start..line_end].trim_end_matches('\r').into()),
        }
    }

    /// An error at byte `offset`.
    pub fn error(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        self.at(offset, Severity::Error, message)
    }

    /// A warning at byte `offset`.
    pub fn warning(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        self.at(offset, Severity::Warning, message)
    }

    /// Byte offset of a 1-based line and column, for parsers that report positions.
    pub fn offset_of(&self, line: usize, col: usize) -> usize {
        let line_start = if line <= 1 {
            0
        } else {
            self.text.match_indices('\n').nth(line - 2).map_or(self.text.len(), |(i, _)| i + 1)
        };
        let rest = &self.text[line_start..];
        line_start + rest.char_indices().nth(col.saturating_sub(1)).map_or(rest.len(), |(i, _)| i)
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_rustc_style_with_caret() {
        let text = "+++\ntitle = \"x\"\n+++\nSee [foo](foo.md).\n";
        let source = Source::new(Path::new("content/x/01-a/02-b.md"), text);
        let diag =
            source.error(text.find("[foo]").unwrap_or(0), "link to missing lesson \"foo.md\"");
        assert_eq!(
            diag.to_string(),
            "content/x/01-a/02-b.md:4:5: error: link to missing lesson \"foo.md\"\n  |\n4 | See [foo](foo.md).\n  |     ^"
        );
    }

    #[test]
    fn offset_of_round_trips_with_at() {
        let text = "ab\ncdé\nfg";
        let source = Source::new(Path::new("f"), text);
        let offset = source.offset_of(2, 3);
        let diag = source.warning(offset, "m");
        assert_eq!((diag.line, diag.col), (2, 3));
    }

    #[test]
    fn whole_file_has_no_source_line() {
        let diag = Diagnostic::whole_file(Path::new("c"), Severity::Warning, "stray file");
        assert_eq!(diag.to_string(), "c:1:1: warning: stray file");
    }
}
