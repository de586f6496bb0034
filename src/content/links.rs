//! Resolving the relative links authors write into the site URLs learners follow.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// What a course contains, as far as links need to know: enough to turn
/// `../02-x/01-y.md#z` into `/courses/c/lessons/y#z` and to refuse links to nothing.
#[derive(Debug, Clone, Default)]
pub struct LinkContext {
    course: String,
    /// Lesson file path relative to the course root (`01-a/02-b.md`) to its slug.
    lessons: HashMap<String, String>,
    worksheets: HashSet<String>,
    /// Paths relative to the course's `files/` folder.
    files: HashSet<String>,
    fingerprint: u64,
}

/// Where a link leads once resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// Leave the URL as written (external, mail, site-absolute).
    Keep,
    /// An anchor in the same document.
    SamePage(String),
    /// Another (or the same) lesson, with an optional anchor to check later.
    Lesson { slug: String, anchor: Option<String>, url: String },
    /// A worksheet of the course, by slug, and its URL (with the anchor, if any).
    Worksheet { slug: String, url: String },
    /// A file under `files/`, by its path there, and its URL.
    File { path: String, url: String },
}

/// Why a link cannot be followed; the message is shown to the author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkError {
    /// A scheme such as `javascript:` or `data:` that must never reach a learner's browser.
    UnsafeScheme(String),
    /// A `..` that leaves the course folder.
    Escapes,
    MissingLesson,
    MissingWorksheet,
    MissingFile,
    /// A relative link to something that is not a lesson, worksheet or file.
    Unlinkable,
    /// An image pointing at something other than a file under `files/` or an external URL.
    ImageNotFile,
}

impl LinkError {
    /// The author-facing message for a link written as `dest`.
    pub fn message(&self, dest: &str) -> String {
        match self {
            Self::UnsafeScheme(s) => {
                format!("link scheme `{s}:` is not allowed; the link was removed")
            }
            Self::Escapes => format!("link \"{dest}\" leaves the course folder"),
            Self::MissingLesson => format!("link to missing lesson \"{dest}\""),
            Self::MissingWorksheet => format!("link to missing worksheet \"{dest}\""),
            Self::MissingFile => format!("link to missing file \"{dest}\""),
            Self::Unlinkable => format!(
                "link \"{dest}\" is not a lesson (.md), a worksheet (worksheets/*.md) or a file under files/"
            ),
            Self::ImageNotFile => {
                format!("image \"{dest}\" must be a file under files/ or an https:// URL")
            }
        }
    }

    /// Unsafe schemes are neutralised, so they only warn; everything else is a broken link.
    pub fn is_warning(&self) -> bool {
        matches!(self, Self::UnsafeScheme(_))
    }
}

/// Schemes a learner's browser may follow.
const SAFE_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

impl LinkContext {
    /// Builds the context for one course from its lesson paths (relative to the course root,
    /// `/`-separated) with their slugs, its worksheet slugs and its file paths under `files/`.
    pub fn new(
        course: impl Into<String>,
        lessons: impl IntoIterator<Item = (String, String)>,
        worksheets: impl IntoIterator<Item = String>,
        files: impl IntoIterator<Item = String>,
    ) -> Self {
        let mut ctx = Self {
            course: course.into(),
            lessons: lessons.into_iter().collect(),
            worksheets: worksheets.into_iter().collect(),
            files: files.into_iter().collect(),
            fingerprint: 0,
        };
        ctx.fingerprint = ctx.compute_fingerprint();
        ctx
    }

    /// The course slug URLs are built under.
    pub fn course(&self) -> &str {
        &self.course
    }

    /// A fingerprint of everything resolution depends on: rendered HTML cached under one
    /// fingerprint stays valid while the fingerprint does not change.
    pub(crate) fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    fn compute_fingerprint(&self) -> u64 {
        let mut lessons: Vec<_> = self.lessons.iter().collect();
        lessons.sort();
        let mut worksheets: Vec<_> = self.worksheets.iter().collect();
        worksheets.sort();
        let mut files: Vec<_> = self.files.iter().collect();
        files.sort();
        let mut hasher = DefaultHasher::new();
        (&self.course, lessons, worksheets, files).hash(&mut hasher);
        hasher.finish()
    }

    /// The URL of a file under `files/`.
    pub(crate) fn file_url(&self, path: &str) -> String {
        file_url(&self.course, path)
    }

    /// Resolves a link written in a document living in folder `from_dir` (relative to the
    /// course root, no leading or trailing `/`).
    pub(crate) fn resolve(&self, from_dir: &str, dest: &str) -> Result<Target, LinkError> {
        let trimmed = dest.trim();
        if let Some(scheme) = scheme_of(trimmed) {
            return if SAFE_SCHEMES.contains(&scheme.as_str()) {
                Ok(Target::Keep)
            } else {
                Err(LinkError::UnsafeScheme(scheme))
            };
        }
        if trimmed.starts_with('/') {
            return Ok(Target::Keep);
        }
        if let Some(anchor) = trimmed.strip_prefix('#') {
            return Ok(Target::SamePage(anchor.to_string()));
        }
        let (path, anchor) = match trimmed.split_once('#') {
            Some((p, a)) => (p, Some(a.to_string())),
            None => (trimmed, None),
        };
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        let joined = join(from_dir, &percent_decode(path)).ok_or(LinkError::Escapes)?;
        self.classify(&joined, anchor)
    }

    /// Resolves an image source: only files and external URLs make sense.
    pub(crate) fn resolve_image(&self, from_dir: &str, dest: &str) -> Result<Target, LinkError> {
        match self.resolve(from_dir, dest)? {
            Target::Keep => Ok(Target::Keep),
            file @ Target::File { .. } => Ok(file),
            _ => Err(LinkError::ImageNotFile),
        }
    }

    fn classify(&self, joined: &str, anchor: Option<String>) -> Result<Target, LinkError> {
        if let Some(rest) = joined.strip_prefix("files/") {
            return if self.files.contains(rest) {
                Ok(Target::File { url: self.file_url(rest), path: rest.to_string() })
            } else {
                Err(LinkError::MissingFile)
            };
        }
        let Some(stem) = joined.strip_suffix(".md") else {
            return Err(LinkError::Unlinkable);
        };
        if let Some(slug) = stem.strip_prefix("worksheets/") {
            return if self.worksheets.contains(slug) {
                let url = format!("/courses/{}/worksheets/{}", self.course, encode_path(slug));
                let url = with_anchor(url, anchor.as_deref());
                Ok(Target::Worksheet { url, slug: slug.to_string() })
            } else {
                Err(LinkError::MissingWorksheet)
            };
        }
        let slug = self.lessons.get(joined).ok_or(LinkError::MissingLesson)?;
        let url = format!("/courses/{}/lessons/{}", self.course, slug);
        Ok(Target::Lesson {
            url: with_anchor(url, anchor.as_deref()),
            slug: slug.clone(),
            anchor: anchor.filter(|a| !a.is_empty()),
        })
    }
}

/// The URL a file under a course's `files/` is downloaded from (`path` relative to `files/`).
pub fn file_url(course: &str, path: &str) -> String {
    format!("/courses/{course}/files/{}", encode_path(path))
}

fn with_anchor(url: String, anchor: Option<&str>) -> String {
    match anchor {
        Some(a) if !a.is_empty() => format!("{url}#{}", encode_path(a)),
        _ => url,
    }
}

/// The URL scheme as a browser would read it (tabs and newlines removed, case folded), or
/// `None` for a relative reference.
pub(crate) fn scheme_of(url: &str) -> Option<String> {
    let cleaned: String = url
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if cleaned.starts_with("//") {
        return Some("https".into());
    }
    let colon = cleaned.find(':')?;
    let scheme = &cleaned[..colon];
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// Joins a relative path onto a folder, resolving `.` and `..`; `None` when it climbs out.
fn join(from_dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = from_dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Decodes `%XX` escapes so `my%20file.pdf` finds `my file.pdf`; leaves invalid input as is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Percent-encodes everything but unreserved characters and `/`.
pub(crate) fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> LinkContext {
        LinkContext::new(
            "c",
            [
                ("01-a/01-one.md".to_string(), "one".to_string()),
                ("02-b/01-two.md".into(), "two".into()),
            ],
            ["plan".to_string()],
            ["card.txt".to_string(), "images/x y.svg".into()],
        )
    }

    #[test]
    fn lesson_links_become_lesson_urls_with_anchor() {
        let target = ctx().resolve("01-a", "../02-b/01-two.md#intro").unwrap();
        assert_eq!(
            target,
            Target::Lesson {
                slug: "two".into(),
                anchor: Some("intro".into()),
                url: "/courses/c/lessons/two#intro".into()
            }
        );
    }

    #[test]
    fn worksheets_and_files_are_rewritten() {
        let c = ctx();
        assert_eq!(
            c.resolve("01-a", "../worksheets/plan.md"),
            Ok(Target::Worksheet { slug: "plan".into(), url: "/courses/c/worksheets/plan".into() })
        );
        assert_eq!(
            c.resolve("01-a", "../files/images/x%20y.svg"),
            Ok(Target::File {
                path: "images/x y.svg".into(),
                url: "/courses/c/files/images/x%20y.svg".into()
            })
        );
        assert_eq!(c.resolve_image("01-a", "../01-a/01-one.md"), Err(LinkError::ImageNotFile));
    }

    #[test]
    fn broken_and_escaping_links_are_errors() {
        let c = ctx();
        assert_eq!(c.resolve("01-a", "missing.md"), Err(LinkError::MissingLesson));
        assert_eq!(c.resolve("01-a", "../../../etc/passwd"), Err(LinkError::Escapes));
        assert_eq!(c.resolve("01-a", "../files/nope.pdf"), Err(LinkError::MissingFile));
        assert_eq!(c.resolve("01-a", "../worksheets/nope.md"), Err(LinkError::MissingWorksheet));
        assert_eq!(c.resolve("01-a", "../course.toml"), Err(LinkError::Unlinkable));
    }

    #[test]
    fn schemes_are_read_like_a_browser_does() {
        let c = ctx();
        assert_eq!(c.resolve("", "https://example.org"), Ok(Target::Keep));
        assert_eq!(
            c.resolve("", " JaVa\tScript:alert(1)"),
            Err(LinkError::UnsafeScheme("javascript".into()))
        );
        assert_eq!(c.resolve("", "data:text/html,x"), Err(LinkError::UnsafeScheme("data".into())));
        assert_eq!(c.resolve("", "#top"), Ok(Target::SamePage("top".into())));
    }
}
