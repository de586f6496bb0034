//! The immutable, compiled content the web layer serves from.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use super::Audience;

/// Every course, compiled once: shared read-only between request handlers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Catalog {
    courses: Vec<Course>,
    #[serde(skip)]
    by_slug: HashMap<String, usize>,
}

/// Who may enrol in a course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Enrollment {
    /// Anyone with an account.
    #[default]
    Open,
    /// Anyone holding an enrolment code.
    Code,
    /// Only people an admin invites.
    Invite,
}

/// When and how often inactive learners are nudged by email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reminders {
    /// Days without activity before each nudge, strictly increasing: `inactive_days = 7` or
    /// `inactive_days = [3, 7, 14]` in course.toml (one mail per tier).
    #[serde(rename = "inactive_days", default = "default_tiers", deserialize_with = "tiers")]
    pub tiers: Vec<u32>,
    /// Nudges sent at most, per enrolment.
    #[serde(default = "default_max_nudges")]
    pub max_nudges: u32,
}

fn default_tiers() -> Vec<u32> {
    vec![7]
}

fn default_max_nudges() -> u32 {
    3
}

impl Default for Reminders {
    fn default() -> Self {
        Self { tiers: default_tiers(), max_nudges: default_max_nudges() }
    }
}

/// Reads `inactive_days` as one number or a list, and refuses what could never nudge sensibly:
/// an empty list, zero days, or tiers out of order. The error lands on the value's line.
fn tiers<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<u32>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Written {
        One(i64),
        Many(Vec<i64>),
    }
    let written = <Written as serde::Deserialize>::deserialize(deserializer).map_err(|_| {
        serde::de::Error::custom(
            "inactive_days is a number of days or a list of them, like 7 or [3, 7, 14]",
        )
    })?;
    let days = match written {
        Written::One(days) => vec![days],
        Written::Many(days) => days,
    };
    validate_tiers(&days).map_err(serde::de::Error::custom)
}

fn validate_tiers(days: &[i64]) -> Result<Vec<u32>, &'static str> {
    if days.is_empty() {
        return Err("inactive_days needs at least one tier, like [7]");
    }
    let tiers: Vec<u32> = days
        .iter()
        .map(|d| u32::try_from(*d).ok().filter(|d| *d > 0))
        .collect::<Option<_>>()
        .ok_or("inactive_days must be whole days greater than 0")?;
    if tiers.windows(2).any(|pair| pair[0] >= pair[1]) {
        return Err("inactive_days tiers must be strictly increasing, like [3, 7, 14]");
    }
    Ok(tiers)
}

/// The built-in reminder templates a course may override under `emails/<name>/`.
pub const REMINDER_EMAILS: [&str; 3] = ["nudge", "new_lessons", "digest"];

/// One part of an email override, named by its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EmailPart {
    /// `subject.txt`: one line once rendered.
    Subject,
    /// `preview.txt` (optional): the hidden line inboxes show after the subject.
    Preview,
    /// `body.txt`: the plain-text body, before the footer every reminder gets.
    BodyText,
    /// `body.html`: an HTML fragment, placed in the reminder layout before the footer.
    BodyHtml,
}

impl EmailPart {
    /// Every part, in the order an author would write them.
    pub const ALL: [Self; 4] = [Self::Subject, Self::Preview, Self::BodyText, Self::BodyHtml];

    /// The file the part is read from.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Subject => "subject.txt",
            Self::Preview => "preview.txt",
            Self::BodyText => "body.txt",
            Self::BodyHtml => "body.html",
        }
    }

    /// Whether an override must have this part (a missing preview falls back to the built-in).
    pub fn required(self) -> bool {
        self != Self::Preview
    }
}

/// A course's own wording for one reminder template: tera sources, checked by the mail layer
/// at compile time (see [`super::EmailCheck`]) and rendered instead of the built-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailOverride {
    /// The `emails/<name>/` folder, for diagnostics.
    pub dir: PathBuf,
    /// The template sources by part; every required part is present.
    pub parts: BTreeMap<EmailPart, String>,
}

impl EmailOverride {
    /// The source of one part, if the author wrote it.
    pub fn part(&self, part: EmailPart) -> Option<&str> {
        self.parts.get(&part).map(String::as_str)
    }
}

/// A course: what a learner enrols in.
#[derive(Debug, Clone, Serialize)]
pub struct Course {
    /// Folder name; the course's stable id and URL segment.
    pub slug: String,
    /// Shown on the course card and page.
    pub title: String,
    /// One or two sentences for the course card.
    pub summary: String,
    /// Who may enrol.
    pub enrollment: Enrollment,
    /// Unpublished courses are visible to authors only.
    pub published: bool,
    /// Files under `files/` download for anyone who may see the course, not only enrolled
    /// learners, authors and admins (`public_downloads = true` in course.toml).
    pub public_downloads: bool,
    /// Inactivity nudges for this course.
    pub reminders: Reminders,
    /// The paths through the course, one per partner (`[[tracks]]` in course.toml); empty
    /// when everyone reads every lesson.
    pub tracks: Vec<Track>,
    /// The course's own reminder wording, by template name (`nudge`, `new_lessons`, `digest`).
    #[serde(skip)]
    pub email_overrides: BTreeMap<String, EmailOverride>,
    /// The rendered `index.md`, empty when there is none.
    pub landing_html: String,
    /// The rendered support page (`support = "support.md"` in course.toml): where to turn in a
    /// crisis. `None` when the course has none, and the built-in text is shown instead.
    pub support_html: Option<String>,
    /// Modules in `NN-` order.
    pub modules: Vec<Module>,
    /// Worksheets by slug.
    pub worksheets: BTreeMap<String, Worksheet>,
    /// Downloads by path relative to `files/`.
    pub files: BTreeMap<String, CatalogFile>,
    /// sha256 over everything the course is compiled from; changes whenever any of it does.
    pub content_hash: String,
    #[serde(skip)]
    pub(crate) lesson_index: HashMap<String, (usize, usize)>,
}

/// A group of lessons (a folder `NN-slug/` with `module.toml`).
#[derive(Debug, Clone, Serialize)]
pub struct Module {
    /// Folder name without `NN-`; stable across reordering.
    pub slug: String,
    /// Shown as the module heading.
    pub title: String,
    /// Shown under the module heading.
    pub summary: String,
    /// Lessons in `NN-` order, drafts included.
    pub lessons: Vec<Lesson>,
}

/// One lesson; its slug is the stable key progress is stored under.
#[derive(Debug, Clone, Serialize)]
pub struct Lesson {
    /// File name without `NN-` and `.md` (or `slug =`); the key progress is stored under.
    pub slug: String,
    /// Shown as the lesson heading and in navigation.
    pub title: String,
    /// Shown in lesson lists.
    pub summary: String,
    /// Reading time: from front matter, else words / 200 rounded up, at least 1.
    pub minutes: u32,
    /// Drip: days after enrolment before the lesson opens.
    pub unlock_after_days: Option<u32>,
    /// Lesson slugs that must be completed first.
    pub requires: Vec<String>,
    /// Drafts are kept for author preview and hidden from learners.
    pub draft: bool,
    /// The tracks whose learners see the lesson: its own `tracks`, else its module's. Empty
    /// means everyone: a "together" lesson.
    pub tracks: Vec<String>,
    /// Sanitised HTML, rendered once at compile time (shared with the compiler's cache).
    pub html: Arc<str>,
    /// Headings with their ids, for the in-page table of contents.
    pub toc: Vec<TocEntry>,
    /// The worksheets and files the lesson links to, in order of first mention, for the
    /// lesson's "Downloads and worksheets" box (images are part of the text, not listed).
    pub downloads: Vec<LessonDownload>,
    /// Word count of the body, for reading-time estimates.
    pub words: usize,
    /// The lesson's reflection prompts in the order they are placed, each with where in
    /// [`Lesson::html`] its answer form goes.
    pub reflections: Vec<Reflection>,
    /// sha256 (hex) of the source file.
    pub content_hash: String,
    /// The Markdown file the lesson was compiled from.
    pub source: PathBuf,
}

/// One partner's path through a course: the lessons written for them plus the "together" ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Track {
    /// `[a-z0-9-]+`, unique in the course; what an enrolment stores and lessons name.
    pub id: String,
    /// Shown beside the choice ("For the partner who was betrayed").
    pub title: String,
    /// A sentence or two helping a learner recognise their track.
    pub description: String,
    /// What the check-in's 0–10 scale measures for this track, when the author said.
    #[serde(skip)]
    pub(crate) checkin_scale: Option<String>,
}

impl Track {
    /// The check-in scale's wording when a track does not set `checkin_scale`.
    pub const DEFAULT_CHECKIN_SCALE: &'static str = "urges or distress";

    /// What the check-in's 0–10 scale measures for learners on this track ("distress",
    /// "urges"), so each partner is asked about their own experience.
    pub fn checkin_scale(&self) -> &str {
        self.checkin_scale.as_deref().unwrap_or(Self::DEFAULT_CHECKIN_SCALE)
    }
}

impl Lesson {
    /// Whether learners on track `id` see this lesson (a "together" lesson is for everyone).
    pub fn is_for_track(&self, id: &str) -> bool {
        super::tracks::includes(&self.tracks, id)
    }

    /// Whether the lesson is for every track: both partners read it.
    pub fn is_together(&self) -> bool {
        self.tracks.is_empty()
    }
}

/// One heading of a lesson, for its table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TocEntry {
    /// 1 to 6.
    pub level: u8,
    /// The heading's `id`, usable as `#id`.
    pub id: String,
    /// The heading's plain text.
    pub text: String,
}

/// Something a lesson links for learners to take away.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum LessonDownload {
    /// A worksheet of the course, by slug.
    Worksheet(String),
    /// A file under the course's `files/`, by its path there.
    File(String),
}

/// A fillable template that partners complete (possibly together) and may sign.
#[derive(Debug, Clone, Serialize)]
pub struct Worksheet {
    /// File name without `.md`; the key answers are stored under.
    pub slug: String,
    /// Shown as the worksheet heading.
    pub title: String,
    /// Shown in worksheet lists.
    pub summary: String,
    /// Partners fill in one shared copy.
    pub shared: bool,
    /// Partners sign the completed worksheet.
    pub signatures: bool,
    /// Fields in declaration order.
    pub fields: Vec<Field>,
    /// The body: rendered HTML interleaved with the places where fields go.
    pub blocks: Vec<WorksheetBlock>,
    /// sha256 (hex) of the source file.
    pub content_hash: String,
}

/// A reflection prompt of a lesson: declared in front matter, placed with
/// `{{ reflection "id" }}`. Each learner answers it privately; partners may reveal theirs to
/// each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reflection {
    /// `[a-z0-9_]+`, unique in the lesson; answers are stored under it.
    pub id: String,
    /// The question, shown above the answer box.
    pub label: String,
    /// Hint shown under the question; empty for none.
    pub help: String,
    /// Byte offset in the lesson's HTML where the prompt stands (always between two rendered
    /// blocks, so splitting the HTML there never cuts an element).
    pub at: usize,
}

/// A typed input of a worksheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// `[a-z0-9_]+`, unique in the worksheet; answers are stored under it.
    pub id: String,
    /// Which input to show and how to store the answer.
    pub kind: FieldKind,
    /// Shown beside the input.
    pub label: String,
    /// Hint shown under the input; empty for none.
    pub help: String,
    /// Whether the worksheet can be completed with this field empty.
    pub required: bool,
}

/// What kind of input a field takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FieldKind {
    /// One line of text.
    Short,
    /// Paragraphs of text.
    Long,
    /// A list of short items.
    List,
    /// Yes or no.
    Checkbox,
    /// A calendar date.
    Date,
    /// One of fixed options.
    Choice {
        /// The options offered, in order.
        options: Vec<String>,
    },
}

/// A piece of a worksheet body, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum WorksheetBlock {
    /// Rendered, sanitised Markdown.
    Html(String),
    /// The field with this id goes here.
    Field(String),
}

/// A downloadable file under a course's `files/` folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogFile {
    /// Absolute path on disk, always inside the course's `files/` folder.
    pub path: PathBuf,
    /// `Content-Type` to serve it with.
    pub mime: &'static str,
    /// Size in bytes when compiled.
    pub size: u64,
}

/// A lesson with the context a lesson page shows.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LessonView<'a> {
    /// The lesson's module, for breadcrumbs.
    pub module: &'a Module,
    /// The lesson itself.
    pub lesson: &'a Lesson,
    /// The previous published (non-draft) lesson, across modules.
    pub prev: Option<&'a Lesson>,
    /// The next published (non-draft) lesson, across modules.
    pub next: Option<&'a Lesson>,
}

impl Catalog {
    /// Builds the catalog from compiled courses, in the given order.
    pub(crate) fn new(courses: Vec<Course>) -> Self {
        let by_slug = courses.iter().enumerate().map(|(i, c)| (c.slug.clone(), i)).collect();
        Self { courses, by_slug }
    }

    /// All courses, ordered by folder name.
    pub fn courses(&self) -> &[Course] {
        &self.courses
    }

    /// A course by slug.
    pub fn course(&self, slug: &str) -> Option<&Course> {
        self.by_slug.get(slug).and_then(|&i| self.courses.get(i))
    }

    /// A lesson with its module and learner-facing neighbours.
    pub fn lesson(&self, course: &str, lesson: &str) -> Option<LessonView<'_>> {
        self.course(course)?.lesson(lesson)
    }

    /// A worksheet by course and slug.
    pub fn worksheet(&self, course: &str, slug: &str) -> Option<&Worksheet> {
        self.course(course)?.worksheets.get(slug)
    }

    /// A download by its path relative to the course's `files/` folder. Only files found under
    /// `files/` at compile time are known, so nothing else on disk can be served.
    pub fn file(&self, course: &str, relative_path: &str) -> Option<&CatalogFile> {
        self.course(course)?.files.get(relative_path)
    }
}

impl Course {
    /// A track of the course by id.
    pub fn track(&self, id: &str) -> Option<&Track> {
        self.tracks.iter().find(|t| t.id == id)
    }

    /// A lesson with its module and the nearest non-draft lessons around it.
    pub fn lesson(&self, slug: &str) -> Option<LessonView<'_>> {
        let &(m, l) = self.lesson_index.get(slug)?;
        let module = self.modules.get(m)?;
        let lesson = module.lessons.get(l)?;
        let learner = Audience::Learner;
        // Walk outwards from the lesson's own position: no per-request list of every lesson.
        let earlier_modules = self.modules[..m].iter().rev().flat_map(|m| m.lessons.iter().rev());
        let prev =
            module.lessons[..l].iter().rev().chain(earlier_modules).find(|x| learner.sees(x));
        let later_modules = self.modules[m + 1..].iter().flat_map(|m| &m.lessons);
        let next = module.lessons[l + 1..].iter().chain(later_modules).find(|x| learner.sees(x));
        Some(LessonView { module, lesson, prev, next })
    }
}

/// The MIME type for a file name, by extension.
pub(crate) fn mime_for(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "txt" | "md" => "text/plain; charset=utf-8",
        "pdf" => "application/pdf",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "csv" => "text/csv; charset=utf-8",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ics" => "text/calendar; charset=utf-8",
        _ => "application/octet-stream",
    }
}
