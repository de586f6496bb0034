//! Markdown to sanitised HTML: heading ids and table of contents, callouts, checked links.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::{Arc, LazyLock};

use pulldown_cmark::{BlockQuoteKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

use super::catalog::{LessonDownload, TocEntry};
use super::diagnostics::{Diagnostic, Severity, Source};
use super::links::{LinkContext, LinkError, Target};

/// A rendered piece of Markdown and what the course-wide checks still need from it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rendered {
    /// Shared, so catalogs built from cached renders do not copy it.
    pub html: Arc<str>,
    pub toc: Vec<TocEntry>,
    pub words: usize,
    /// Links into lessons, checked (anchors, drafts) once every document is rendered.
    pub pending: Vec<LessonLink>,
    /// Worksheets and files linked (not images), each once, in order of first mention.
    pub downloads: Vec<LessonDownload>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Rendered {
    /// Takes in what one more piece of the same document found (all but its HTML, which the
    /// caller joins): headings, words, links, downloads and problems.
    pub(crate) fn absorb(&mut self, part: Rendered) {
        self.toc.extend(part.toc);
        self.words += part.words;
        self.pending.extend(part.pending);
        for download in part.downloads {
            self.note_download(download);
        }
        self.diagnostics.extend(part.diagnostics);
    }

    /// Adds a linked download unless it is already listed.
    fn note_download(&mut self, download: LessonDownload) {
        if !self.downloads.contains(&download) {
            self.downloads.push(download);
        }
    }
}

/// A link into a lesson (or, with `lesson: None`, to an anchor in the same document).
#[derive(Debug, Clone)]
pub(crate) struct LessonLink {
    /// Target lesson slug; `None` for `#anchor` links within the document.
    pub lesson: Option<String>,
    pub anchor: Option<String>,
    /// The link as written, for messages.
    pub dest: String,
    /// Where the link is, for diagnostics about it.
    pub place: Diagnostic,
}

impl LessonLink {
    /// A diagnostic about this link.
    pub fn report(&self, severity: Severity, message: String) -> Diagnostic {
        Diagnostic { severity, message, ..self.place.clone() }
    }

    /// Whether the link names an anchor that is not among `ids`.
    pub fn misses_anchor(&self, ids: impl Fn(&str) -> bool) -> bool {
        self.anchor.as_deref().is_some_and(|anchor| !ids(anchor))
    }

    /// The error for an anchor that does not exist.
    pub fn missing_anchor(&self) -> Diagnostic {
        self.report(Severity::Error, format!("link to missing anchor \"{}\"", self.dest))
    }
}

/// Hands out GitHub-style heading slugs, unique within one document (`x`, `x-1`, `x-2`).
#[derive(Debug, Default)]
pub(crate) struct Slugger {
    seen: HashSet<String>,
}

impl Slugger {
    /// A unique id for a heading with this text.
    pub fn slug(&mut self, text: &str) -> String {
        let base = github_slug(text);
        let mut candidate = base.clone();
        let mut n = 0;
        while self.seen.contains(&candidate) {
            n += 1;
            candidate = format!("{base}-{n}");
        }
        self.seen.insert(candidate.clone());
        candidate
    }

    /// Whether a heading with this id exists.
    pub fn contains(&self, id: &str) -> bool {
        self.seen.contains(id)
    }

    /// All ids handed out, for checking links into this document from elsewhere.
    pub fn into_ids(self) -> HashSet<String> {
        self.seen
    }
}

/// GitHub's anchor algorithm: lowercase, drop punctuation, spaces become hyphens.
pub(crate) fn github_slug(text: &str) -> String {
    let slug: String = text
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect();
    if slug.is_empty() { "section".into() } else { slug }
}

/// Where a piece of Markdown comes from and what its links may point at.
pub(crate) struct Input<'a> {
    pub source: &'a Source<'a>,
    /// The Markdown to render: the whole body or one segment of it.
    pub markdown: &'a str,
    /// Byte offset of `markdown` in the original file.
    pub offset: usize,
    pub links: &'a LinkContext,
    /// Folder of the document relative to the course root, for relative links.
    pub dir: &'a str,
}

/// Renders Markdown, checking and rewriting its links; ids are drawn from `slugger`.
pub(crate) fn render(input: &Input<'_>, slugger: &mut Slugger) -> Rendered {
    let mut events: Vec<(Event<'_>, Range<usize>)> =
        Parser::new_ext(input.markdown, options()).into_offset_iter().collect();
    let mut out = Rendered { toc: assign_heading_ids(&mut events, slugger), ..Rendered::default() };
    let missing_alt = images_missing_alt(&events);
    let mut words = WordCounter::default();
    let mut raw_html = false;
    let mut rewritten = Vec::with_capacity(events.len());
    for (index, (event, range)) in events.into_iter().enumerate() {
        let at = input.offset + range.start;
        if missing_alt.contains(&index) {
            out.diagnostics.push(input.source.warning(
                at,
                "image has no alt text; describe it for learners using screen readers",
            ));
        }
        raw_html |= matches!(event, Event::Html(_) | Event::InlineHtml(_));
        words.feed(&event);
        rewritten.push(transform(event, at, input, &mut out));
    }
    out.words = words.count;
    let mut html = String::with_capacity(input.markdown.len() * 3 / 2);
    html::push_html(&mut html, rewritten.into_iter());
    if raw_html {
        html = SANITIZER.clean(&html).to_string();
    }
    out.html = html.into();
    out
}

/// Renders a whole document and checks its same-page anchors.
pub(crate) fn render_document(input: &Input<'_>) -> (Rendered, HashSet<String>) {
    let mut slugger = Slugger::default();
    let mut rendered = render(input, &mut slugger);
    let pending = std::mem::take(&mut rendered.pending);
    rendered.pending = check_same_page(pending, &slugger, &mut rendered.diagnostics);
    (rendered, slugger.into_ids())
}

/// Reports same-page anchors missing from `ids`; returns the links into other lessons.
pub(crate) fn check_same_page(
    pending: Vec<LessonLink>,
    ids: &Slugger,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<LessonLink> {
    let (same, other): (Vec<_>, Vec<_>) = pending.into_iter().partition(|p| p.lesson.is_none());
    diagnostics.extend(
        same.iter()
            .filter(|p| p.misses_anchor(|a| ids.contains(a)))
            .map(LessonLink::missing_anchor),
    );
    other
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_GFM
}

/// Gives every heading a unique id and returns the table of contents.
fn assign_heading_ids(
    events: &mut [(Event<'_>, Range<usize>)],
    slugger: &mut Slugger,
) -> Vec<TocEntry> {
    let mut toc = Vec::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, .. }) = events[i].0 {
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j].0, Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j].0 {
                    text.push_str(t);
                }
                j += 1;
            }
            let id = slugger.slug(&text);
            if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i].0 {
                *slot = Some(CowStr::from(id.clone()));
            }
            toc.push(TocEntry { level: level as u8, id, text: text.trim().to_string() });
            i = j;
        }
        i += 1;
    }
    toc
}

/// Indexes of image starts with no text before their end.
fn images_missing_alt(events: &[(Event<'_>, Range<usize>)]) -> HashSet<usize> {
    let mut missing = HashSet::new();
    let mut open: Option<(usize, bool)> = None;
    for (i, (event, _)) in events.iter().enumerate() {
        match event {
            Event::Start(Tag::Image { .. }) => open = Some((i, false)),
            Event::Text(t) | Event::Code(t) if !t.trim().is_empty() => {
                open = open.map(|(start, _)| (start, true));
            }
            Event::End(TagEnd::Image) => {
                if let Some((start, false)) = open.take() {
                    missing.insert(start);
                }
            }
            _ => {}
        }
    }
    missing
}

/// Rewrites links and images, and turns GitHub alerts into callouts.
fn transform<'e>(event: Event<'e>, at: usize, input: &Input<'_>, out: &mut Rendered) -> Event<'e> {
    match event {
        Event::Start(Tag::Link { link_type, dest_url, title, id })
            if link_type != LinkType::Email =>
        {
            let dest_url = rewrite(&dest_url, at, false, input, out);
            Event::Start(Tag::Link { link_type, dest_url, title, id })
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            let dest_url = rewrite(&dest_url, at, true, input, out);
            Event::Start(Tag::Image { link_type, dest_url, title, id })
        }
        Event::Start(Tag::BlockQuote(Some(kind))) => Event::Html(callout_open(kind).into()),
        Event::End(TagEnd::BlockQuote(Some(_))) => Event::Html("</aside>\n".into()),
        other => other,
    }
}

/// The URL a link or image ends up with; broken or unsafe ones become `#`.
fn rewrite<'e>(
    dest: &str,
    at: usize,
    image: bool,
    input: &Input<'_>,
    out: &mut Rendered,
) -> CowStr<'e> {
    let resolved = if image {
        input.links.resolve_image(input.dir, dest)
    } else {
        input.links.resolve(input.dir, dest)
    };
    let record = |out: &mut Rendered, lesson: Option<String>, anchor: Option<String>| {
        let place = input.source.error(at, String::new());
        let dest = dest.to_string();
        out.pending.push(LessonLink { lesson, anchor, dest, place });
    };
    match resolved {
        Ok(Target::Keep) => CowStr::from(dest.to_string()),
        Ok(Target::SamePage(anchor)) => {
            if !anchor.is_empty() {
                record(out, None, Some(anchor));
            }
            CowStr::from(dest.to_string())
        }
        Ok(Target::Lesson { slug, anchor, url }) => {
            record(out, Some(slug), anchor);
            url.into()
        }
        Ok(Target::Worksheet { slug, url }) => {
            out.note_download(LessonDownload::Worksheet(slug));
            url.into()
        }
        Ok(Target::File { path, url }) => {
            if !image {
                out.note_download(LessonDownload::File(path));
            }
            url.into()
        }
        Err(err) => {
            out.diagnostics.push(link_diagnostic(&err, dest, at, input.source));
            CowStr::Borrowed("#")
        }
    }
}

fn link_diagnostic(err: &LinkError, dest: &str, at: usize, source: &Source<'_>) -> Diagnostic {
    let severity = if err.is_warning() { Severity::Warning } else { Severity::Error };
    source.at(at, severity, err.message(dest))
}

fn callout_open(kind: BlockQuoteKind) -> String {
    let (class, title) = match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    };
    format!(
        "<aside class=\"callout callout-{class}\" role=\"note\" aria-label=\"{title}\">\n<p class=\"callout-title\">{title}</p>\n"
    )
}

/// Counts words across text events, so a word split by smart punctuation counts once.
#[derive(Debug, Default)]
struct WordCounter {
    count: usize,
    in_word: bool,
}

impl WordCounter {
    fn feed(&mut self, event: &Event<'_>) {
        match event {
            Event::Text(t) | Event::Code(t) => {
                for c in t.chars() {
                    let word_char = !c.is_whitespace();
                    if word_char && !self.in_word {
                        self.count += 1;
                    }
                    self.in_word = word_char;
                }
            }
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. })
            | Event::End(
                TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link,
            ) => {}
            _ => self.in_word = false,
        }
    }
}

/// Ammonia configured to keep what the renderer itself produces (callouts, ids, task lists)
/// and to drop scripts, event handlers and unsafe URL schemes.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(["aside", "input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_generic_attributes(["id", "class", "role", "aria-label"])
        .link_rel(None);
    builder
});

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn html(markdown: &str) -> Rendered {
        let ctx = LinkContext::new(
            "c",
            [("01-m/01-a.md".to_string(), "a".to_string())],
            ["plan".to_string()],
            ["x.svg".to_string(), "card.pdf".to_string()],
        );
        let input = Input {
            source: &Source::new(Path::new("l.md"), markdown),
            markdown,
            offset: 0,
            links: &ctx,
            dir: "01-m",
        };
        render_document(&input).0
    }

    #[test]
    fn headings_get_deduplicated_github_ids_and_toc() {
        let out = html("## What transparency is *not*\n\n## What transparency is *not*\n");
        assert!(out.html.contains("<h2 id=\"what-transparency-is-not\">"), "{}", out.html);
        assert!(out.html.contains("<h2 id=\"what-transparency-is-not-1\">"));
        assert_eq!(out.toc[1].text, "What transparency is not");
    }

    #[test]
    fn alerts_become_accessible_callouts() {
        let out = html("> [!TIP]\n> Breathe.\n");
        assert!(out.html.starts_with(
            "<aside class=\"callout callout-tip\" role=\"note\" aria-label=\"Tip\">\n<p class=\"callout-title\">Tip</p>"
        ), "{}", out.html);
        assert!(out.html.trim_end().ends_with("</aside>"));
    }

    #[test]
    fn links_images_and_missing_alt() {
        let out = html("[a](01-a.md#x) ![](../files/x.svg) [s](#nowhere)\n");
        assert!(out.html.contains("href=\"/courses/c/lessons/a#x\""), "{}", out.html);
        assert!(out.html.contains("src=\"/courses/c/files/x.svg\""));
        let messages: Vec<_> =
            out.diagnostics.iter().map(|d| (d.col, d.message.as_str())).collect();
        assert_eq!(
            messages,
            [
                (16, "image has no alt text; describe it for learners using screen readers"),
                (36, "link to missing anchor \"#nowhere\""),
            ]
        );
        assert_eq!(out.pending.len(), 1);
        assert_eq!(out.pending[0].missing_anchor().message, "link to missing anchor \"01-a.md#x\"");
    }

    #[test]
    fn linked_worksheets_and_files_are_recorded_once_and_images_are_not() {
        let out = html(
            "![Path](../files/x.svg) [card](../files/card.pdf) [plan](../worksheets/plan.md) \
             [again](../files/card.pdf) [lesson](01-a.md)\n",
        );
        assert_eq!(
            out.downloads,
            [LessonDownload::File("card.pdf".into()), LessonDownload::Worksheet("plan".into())]
        );
    }

    #[test]
    fn raw_html_is_sanitised_and_words_counted() {
        let out = html("Don't <b onclick=\"x()\">panic</b>\n\n<script>alert(1)</script>\n");
        assert!(!out.html.contains("onclick") && !out.html.contains("<script"), "{}", out.html);
        assert_eq!(out.words, 2);
    }

    #[test]
    fn sanitising_keeps_what_the_renderer_produces() {
        let out =
            html("<b>raw</b>\n\n## Title\n\n- [x] done\n\n> [!NOTE]\n> n\n\n```rust\nx\n```\n");
        for kept in [
            "<h2 id=\"title\">",
            "<input disabled=\"\" type=\"checkbox\" checked=\"\">",
            "<aside class=\"callout callout-note\" role=\"note\" aria-label=\"Note\">",
            "<code class=\"language-rust\">",
        ] {
            assert!(out.html.contains(kept), "{kept} missing from {}", out.html);
        }
    }
}
