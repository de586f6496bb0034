//! One lesson: strict front matter, rendered body, and the catalog entry built from both.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::catalog::Lesson;
use super::diagnostics::{Diagnostic, Source};
use super::frontmatter;
use super::links::LinkContext;
use super::markdown::{self, Input, Rendered};
use super::scan::is_slug;

/// Reading speed used when a lesson does not say how long it takes.
const WORDS_PER_MINUTE: usize = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonMeta {
    title: String,
    #[serde(default)]
    summary: String,
    minutes: Option<u32>,
    unlock_after_days: Option<u32>,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(default)]
    draft: bool,
    slug: Option<String>,
    #[serde(default)]
    tracks: Vec<String>,
}

/// A lesson's parsed front matter with the offsets later checks point at.
#[derive(Debug, Clone)]
pub(crate) struct Front {
    pub title: String,
    pub summary: String,
    pub minutes: Option<u32>,
    pub unlock_after_days: Option<u32>,
    /// Required lesson slugs with the offset each is written at.
    pub requires: Vec<(String, usize)>,
    pub draft: bool,
    /// Track ids the lesson is for, each with the offset it is written at; empty: its module's.
    pub tracks: Vec<(String, usize)>,
    /// `slug =` override with its offset.
    pub slug: Option<(String, usize)>,
    pub body_offset: usize,
    /// Problems with values that parsed but make no sense.
    pub diagnostics: Vec<Diagnostic>,
}

/// A lesson's rendered body and its heading ids (targets for links from other lessons).
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub rendered: Rendered,
    pub ids: HashSet<String>,
}

/// Parses and checks a lesson's front matter.
pub(crate) fn parse_front(source: &Source<'_>) -> Result<Front, Diagnostic> {
    let split = frontmatter::split(source)?;
    let meta: LessonMeta = split.parse(source)?;
    let mut diagnostics = Vec::new();
    if meta.title.trim().is_empty() {
        diagnostics.push(
            source.error(split.locate_value("title", &meta.title, 0), "title must not be empty"),
        );
    }
    if meta.minutes == Some(0) {
        diagnostics.push(source.error(split.locate_key("minutes"), "minutes must be at least 1"));
    }
    let slug = meta.slug.map(|s| {
        let at = split.locate_value("slug", &s, 0);
        if !is_slug(&s) {
            diagnostics.push(source.error(
                at,
                format!("slug \"{s}\" must use only lowercase letters, digits and hyphens"),
            ));
        }
        (s, at)
    });
    let requires = meta.requires.into_iter().map(|r| {
        let at = split.locate_after("requires", &r);
        (r, at)
    });
    let tracks = meta.tracks.into_iter().map(|t| {
        let at = split.locate_after("tracks", &t);
        (t, at)
    });
    Ok(Front {
        title: meta.title,
        summary: meta.summary,
        minutes: meta.minutes,
        unlock_after_days: meta.unlock_after_days,
        requires: requires.collect(),
        draft: meta.draft,
        tracks: tracks.collect(),
        slug,
        body_offset: split.body_offset,
        diagnostics,
    })
}

/// Renders a lesson body; `rel` is the lesson's path relative to the course root.
pub(crate) fn render_body(
    source: &Source<'_>,
    front: &Front,
    rel: &str,
    links: &LinkContext,
) -> Body {
    let input = Input {
        source,
        markdown: source.text.get(front.body_offset..).unwrap_or_default(),
        offset: front.body_offset,
        links,
        dir: rel.rsplit_once('/').map_or("", |(dir, _)| dir),
    };
    let (rendered, ids) = markdown::render_document(&input);
    Body { rendered, ids }
}

/// The tracks a lesson is for: its own, else its module's (`module_tracks`).
pub(crate) fn tracks_of(front: &Front, module_tracks: &[String]) -> Vec<String> {
    if front.tracks.is_empty() {
        return module_tracks.to_vec();
    }
    front.tracks.iter().map(|(t, _)| t.clone()).collect()
}

/// The catalog entry for a lesson; `module_tracks` are its module's `tracks`.
pub(crate) fn build(
    front: &Front,
    body: &Body,
    slug: &str,
    content_hash: &str,
    source: &Path,
    module_tracks: &[String],
) -> Lesson {
    let words = body.rendered.words;
    Lesson {
        slug: slug.to_string(),
        title: front.title.clone(),
        summary: front.summary.clone(),
        minutes: front.minutes.unwrap_or_else(|| estimated_minutes(words)),
        unlock_after_days: front.unlock_after_days,
        requires: front.requires.iter().map(|(r, _)| r.clone()).collect(),
        draft: front.draft,
        tracks: tracks_of(front, module_tracks),
        html: body.rendered.html.clone(),
        toc: body.rendered.toc.clone(),
        downloads: body.rendered.downloads.clone(),
        words,
        content_hash: content_hash.to_string(),
        source: source.to_path_buf(),
    }
}

/// Reading time at 200 words a minute, rounded up, at least one minute.
fn estimated_minutes(words: usize) -> u32 {
    u32::try_from(words.div_ceil(WORDS_PER_MINUTE).max(1)).unwrap_or(u32::MAX)
}

/// The slug a lesson is known by: `slug =` in front matter, else the file name's.
pub(crate) fn slug_of<'a>(front: &'a Front, file_slug: &'a str) -> &'a str {
    front.slug.as_ref().map_or(file_slug, |(s, _)| s.as_str())
}

/// What compiling one lesson's text in isolation gives.
#[derive(Debug, Clone)]
pub struct LessonOutput {
    /// The lesson, unless its front matter is unusable.
    pub lesson: Option<Lesson>,
    /// Everything wrong with it that can be seen without the rest of the course (links to
    /// anchors in other lessons are not checked).
    pub diagnostics: Vec<Diagnostic>,
}

/// Compiles one lesson from memory: the entry point for fuzzing and for previews of unsaved
/// text. `relative_path` is the lesson's path relative to the course root
/// (`01-module/02-lesson.md`); it also names the file in diagnostics.
pub fn compile_lesson_source(relative_path: &str, text: &str, links: &LinkContext) -> LessonOutput {
    let path = PathBuf::from(relative_path);
    let source = Source::new(&path, text);
    let front = match parse_front(&source) {
        Ok(front) => front,
        Err(diag) => {
            return LessonOutput { lesson: None, diagnostics: vec![diag] };
        }
    };
    let body = render_body(&source, &front, relative_path, links);
    let file_name = relative_path.rsplit('/').next().unwrap_or(relative_path);
    let file_slug = file_name.strip_suffix(".md").unwrap_or(file_name);
    let file_slug = super::scan::ordered(file_slug).map_or(file_slug, |(_, s)| s);
    let hash = super::sha256_hex(text.as_bytes());
    let lesson = build(&front, &body, slug_of(&front, file_slug), &hash, &path, &[]);
    let mut diagnostics = front.diagnostics;
    diagnostics.extend(body.rendered.diagnostics);
    LessonOutput { lesson: Some(lesson), diagnostics }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_estimate_rounds_up_with_a_floor_of_one() {
        assert_eq!(estimated_minutes(0), 1);
        assert_eq!(estimated_minutes(200), 1);
        assert_eq!(estimated_minutes(201), 2);
    }

    #[test]
    fn in_memory_lesson_compiles_with_override_slug() {
        let text = "+++\ntitle = \"Hi\"\nslug = \"hello\"\nrequires = [\"a\"]\n+++\n# Hi\n";
        let out = compile_lesson_source("01-m/01-x.md", text, &LinkContext::default());
        let lesson = out.lesson.unwrap();
        assert_eq!((lesson.slug.as_str(), lesson.minutes, lesson.requires.len()), ("hello", 1, 1));
        assert!(out.diagnostics.is_empty());
    }

    #[test]
    fn empty_title_and_zero_minutes_are_errors() {
        let text = "+++\ntitle = \"\"\nminutes = 0\n+++\n";
        let out = compile_lesson_source("01-m/01-x.md", text, &LinkContext::default());
        let got: Vec<_> =
            out.diagnostics.iter().map(|d| (d.line, d.col, d.message.as_str())).collect();
        assert_eq!(got, [(2, 9, "title must not be empty"), (3, 1, "minutes must be at least 1")]);
    }
}
