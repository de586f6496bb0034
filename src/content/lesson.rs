//! One lesson: strict front matter, rendered body, and the catalog entry built from both.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::catalog::{Lesson, Reflection};
use super::diagnostics::{Diagnostic, Source};
use super::frontmatter::{self, Split};
use super::links::LinkContext;
use super::markdown::{self, Input, Rendered, Slugger};
use super::placeholder::{self, Placeholder, is_id, lines_with_offsets};
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
    #[serde(default)]
    reflections: Vec<ReflectionMeta>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReflectionMeta {
    id: String,
    label: String,
    #[serde(default)]
    help: String,
}

/// A reflection prompt as declared in front matter, with the offset of its `id`.
#[derive(Debug, Clone)]
pub(crate) struct Declared {
    pub id: String,
    pub label: String,
    pub help: String,
    pub at: usize,
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
    /// Reflection prompts declared, each id once.
    pub reflections: Vec<Declared>,
    pub body_offset: usize,
    /// Problems with values that parsed but make no sense.
    pub diagnostics: Vec<Diagnostic>,
}

/// A lesson's rendered body and its heading ids (targets for links from other lessons).
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub rendered: Rendered,
    pub ids: HashSet<String>,
    /// The declared reflections in the order they are placed, with their HTML offsets.
    pub reflections: Vec<Reflection>,
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
    let reflections = declared_reflections(&meta.reflections, &split, source, &mut diagnostics);
    Ok(Front {
        title: meta.title,
        summary: meta.summary,
        minutes: meta.minutes,
        unlock_after_days: meta.unlock_after_days,
        requires: requires.collect(),
        draft: meta.draft,
        tracks: tracks.collect(),
        slug,
        reflections,
        body_offset: split.body_offset,
        diagnostics,
    })
}

/// Checks the declared reflections (id shape, duplicates, a label); returns the usable ones.
fn declared_reflections(
    metas: &[ReflectionMeta],
    split: &Split<'_>,
    source: &Source<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Declared> {
    let mut declared: Vec<Declared> = Vec::new();
    for (index, meta) in metas.iter().enumerate() {
        let earlier = metas[..index].iter().filter(|m| m.id == meta.id).count();
        let at = split.locate_value("id", &meta.id, earlier);
        if !is_id(&meta.id) {
            let message = format!("reflection id \"{}\" must use only a-z, 0-9 and _", meta.id);
            diags.push(source.error(at, message));
        } else if earlier > 0 {
            diags.push(source.error(at, format!("duplicate reflection id \"{}\"", meta.id)));
        } else if meta.label.trim().is_empty() {
            let message = format!("reflection \"{}\" needs a label (the question)", meta.id);
            diags.push(source.error(at, message));
        } else {
            let (id, label, help) = (meta.id.clone(), meta.label.clone(), meta.help.clone());
            declared.push(Declared { id, label, help, at });
        }
    }
    declared
}

/// Renders a lesson body; `rel` is the lesson's path relative to the course root. A body with
/// reflection placeholders is rendered in pieces between them (one id space for headings), so
/// each prompt stands between whole blocks of HTML.
pub(crate) fn render_body(
    source: &Source<'_>,
    front: &Front,
    rel: &str,
    links: &LinkContext,
) -> Body {
    let markdown = source.text.get(front.body_offset..).unwrap_or_default();
    let dir = rel.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut problems = Vec::new();
    let cuts = find_cuts(source, front.body_offset, markdown, &mut problems);
    let mut slugger = Slugger::default();
    let mut whole = Rendered::default();
    let mut html = String::new();
    let mut placed = Vec::new();
    let mut from = 0;
    for cut in cuts.iter().map(Some).chain([None]) {
        let to = cut.map_or(markdown.len(), |c| c.start);
        let piece = markdown.get(from..to).unwrap_or_default();
        let input = Input { source, markdown: piece, offset: front.body_offset + from, links, dir };
        let part = markdown::render(&input, &mut slugger);
        html.push_str(&part.html);
        whole.absorb(part);
        if let Some(cut) = cut {
            placed.push((cut, html.len()));
            from = cut.end;
        }
    }
    whole.html = html.into();
    let pending = std::mem::take(&mut whole.pending);
    whole.pending = markdown::check_same_page(pending, &slugger, &mut whole.diagnostics);
    let reflections = place_reflections(&front.reflections, &placed, source, &mut problems);
    whole.diagnostics.extend(problems);
    Body { rendered: whole, ids: slugger.into_ids(), reflections }
}

/// A `{{ reflection "id" }}` line of a lesson body: its byte range in the body and its id.
struct Cut<'a> {
    start: usize,
    end: usize,
    id: &'a str,
    /// Offset in the file, for diagnostics.
    at: usize,
}

/// The reflection placeholder lines of a body. Other `{{` lines are lesson text; one that
/// mentions `reflection` but is not well formed is reported.
fn find_cuts<'a>(
    source: &Source<'_>,
    body_offset: usize,
    body: &'a str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Cut<'a>> {
    let mut cuts = Vec::new();
    for (start, line) in lines_with_offsets(body) {
        let at = body_offset + start;
        match placeholder::parse(line, "reflection") {
            Placeholder::Id(id) => cuts.push(Cut { start, end: start + line.len(), id, at }),
            Placeholder::Malformed if line.contains("reflection") => diags.push(source.error(
                at,
                "malformed reflection placeholder; write it as {{ reflection \"id\" }} on its own line",
            )),
            Placeholder::Malformed | Placeholder::None => {}
        }
    }
    cuts
}

/// Every declared reflection placed exactly once, every placed one declared; returns the
/// placed ones in order with their HTML offsets.
fn place_reflections(
    declared: &[Declared],
    placed: &[(&Cut<'_>, usize)],
    source: &Source<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Reflection> {
    let mut reflections: Vec<Reflection> = Vec::new();
    for (cut, html_at) in placed {
        let Some(found) = declared.iter().find(|d| d.id == cut.id) else {
            let message =
                format!("reflection \"{}\" is placed but not declared in the front matter", cut.id);
            diags.push(source.error(cut.at, message));
            continue;
        };
        if reflections.iter().any(|r| r.id == cut.id) {
            let message = format!("reflection \"{}\" is placed more than once", cut.id);
            diags.push(source.error(cut.at, message));
            continue;
        }
        let (id, label, help) = (found.id.clone(), found.label.clone(), found.help.clone());
        reflections.push(Reflection { id, label, help, at: *html_at });
    }
    for unused in declared.iter().filter(|d| !reflections.iter().any(|r| r.id == d.id)) {
        diags.push(source.error(
            unused.at,
            format!(
                "reflection \"{}\" is declared but never placed; add {{{{ reflection \"{}\" }}}} to the body",
                unused.id, unused.id
            ),
        ));
    }
    reflections
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
        reflections: body.reflections.clone(),
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

    #[test]
    fn reflections_are_placed_between_blocks_of_html() {
        let text = "+++\ntitle = \"Hi\"\n[[reflections]]\nid = \"a\"\nlabel = \"Why?\"\n+++\n\
                    # One\n\nBefore.\n\n{{ reflection \"a\" }}\n\nAfter.\n";
        let out = compile_lesson_source("01-m/01-x.md", text, &LinkContext::default());
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let lesson = out.lesson.unwrap();
        let [prompt] = lesson.reflections.as_slice() else { panic!("{:?}", lesson.reflections) };
        assert_eq!((prompt.id.as_str(), prompt.label.as_str()), ("a", "Why?"));
        let (before, after) = lesson.html.split_at(prompt.at);
        assert!(before.ends_with("<p>Before.</p>\n"), "{before}");
        assert_eq!(after, "<p>After.</p>\n");
        assert!(!lesson.html.contains("reflection"), "{}", lesson.html);
    }

    #[test]
    fn undeclared_unused_duplicate_and_malformed_reflections_are_errors() {
        let text = "+++\ntitle = \"Hi\"\n[[reflections]]\nid = \"a\"\nlabel = \"A\"\n\
                    [[reflections]]\nid = \"a\"\nlabel = \"Again\"\n[[reflections]]\n\
                    id = \"unused\"\nlabel = \"U\"\n+++\n{{ reflection \"a\" }}\n\
                    {{ reflection \"a\" }}\n{{ reflection \"b\" }}\n{{ reflection b }}\n\
                    {{ other }}\n";
        let out = compile_lesson_source("01-m/01-x.md", text, &LinkContext::default());
        let mut got: Vec<_> =
            out.diagnostics.iter().map(|d| (d.line, d.message.as_str())).collect();
        got.sort();
        assert_eq!(
            got,
            [
                (7, "duplicate reflection id \"a\""),
                (
                    10,
                    "reflection \"unused\" is declared but never placed; add {{ reflection \"unused\" }} to the body"
                ),
                (14, "reflection \"a\" is placed more than once"),
                (15, "reflection \"b\" is placed but not declared in the front matter"),
                (
                    16,
                    "malformed reflection placeholder; write it as {{ reflection \"id\" }} on its own line"
                ),
            ],
            "{got:?}"
        );
    }
}
