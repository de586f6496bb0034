//! The incremental compiler: content folder in, catalog and diagnostics out.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::cache::{FileCache, Generations, Loaded};
use super::catalog::EmailPart;
use super::catalog::{
    Catalog, CatalogFile, Course, EmailOverride, Enrollment, Lesson, Module, Reminders, Worksheet,
    mime_for,
};
use super::checks;
use super::diagnostics::{Diagnostic, Note, Source};
use super::frontmatter::parse_toml;
use super::lesson::{self, Body, Front};
use super::links::LinkContext;
use super::markdown::{self, Input, LessonLink, Rendered};
use super::scan::{self, CourseLayout, EmailLayout, LessonFile, ModuleLayout};
use super::tracks::{self, Named, TrackMeta};
use super::worksheet;
use super::{Compilation, ContentError, EmailCheck, Summary};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseMeta {
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    enrollment: Enrollment,
    #[serde(default)]
    published: bool,
    #[serde(default)]
    public_downloads: bool,
    #[serde(default)]
    reminders: Reminders,
    #[serde(default)]
    tracks: Vec<TrackMeta>,
    /// A Markdown file beside course.toml with where to turn in a crisis.
    #[serde(default)]
    support: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModuleMeta {
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    tracks: Vec<Spanned<String>>,
}

impl ModuleMeta {
    fn track_ids(&self) -> Vec<String> {
        self.tracks.iter().map(|t| t.get_ref().clone()).collect()
    }
}

/// A lesson file whose front matter parsed, on its way into the catalog.
pub(crate) struct Unit<'a> {
    pub file: &'a LessonFile,
    pub module: usize,
    pub loaded: Loaded,
    pub front: Arc<Front>,
    pub body: Arc<Body>,
}

impl Unit<'_> {
    /// The lesson's slug (front matter override or file name).
    pub fn slug(&self) -> &str {
        lesson::slug_of(&self.front, &self.file.file_slug)
    }

    /// For diagnostics pointing into the lesson file.
    pub fn source(&self) -> Source<'_> {
        Source::new(&self.file.path, &self.loaded.text)
    }
}

type Parsed<T> = Result<Arc<T>, Diagnostic>;

/// Compiles a content folder again and again, re-parsing and re-rendering only files whose
/// text changed (or whose links' meaning changed because lessons were added, renamed or moved).
#[derive(Debug)]
pub struct Compiler {
    root: PathBuf,
    files: FileCache,
    fronts: Generations<Arc<str>, Parsed<Front>>,
    bodies: Generations<(Arc<str>, u64), Arc<Body>>,
    worksheets: Generations<(Arc<str>, u64), Arc<worksheet::Compiled>>,
    pages: Generations<(Arc<str>, u64), Arc<Rendered>>,
    email_check: Option<Arc<dyn EmailCheck>>,
}

impl Compiler {
    /// A compiler for the content folder at `root`; nothing is read until [`Compiler::compile`].
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            files: FileCache::default(),
            fronts: Generations::default(),
            bodies: Generations::default(),
            worksheets: Generations::default(),
            pages: Generations::default(),
            email_check: None,
        }
    }

    /// Also checks email overrides with `check` (template syntax, variables, discretion), which
    /// needs the mail renderer this layer does not know. Without it only their files are checked.
    #[must_use]
    pub fn with_email_check(mut self, check: Arc<dyn EmailCheck>) -> Self {
        self.email_check = Some(check);
        self
    }

    /// Compiles everything, reusing what is unchanged since the previous call.
    ///
    /// # Errors
    /// [`ContentError`] when the content root is missing, not a folder or unreadable.
    pub fn compile(&mut self) -> Result<Compilation, ContentError> {
        let _span = tracing::debug_span!("compile_content", root = %self.root.display()).entered();
        check_root(&self.root)?;
        let mut diagnostics = Vec::new();
        let layouts = scan::scan_root(&self.root, &mut diagnostics);
        let courses: Vec<Option<Course>> =
            layouts.iter().map(|l| self.course(l, &mut diagnostics)).collect();
        let notes = self.unpublished_notes(&layouts, &courses);
        self.finish();
        let incomplete = courses.iter().any(Option::is_none);
        let courses: Vec<Course> = courses.into_iter().flatten().collect();
        let summary = Summary::of(&courses);
        diagnostics.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
        let failed = incomplete || diagnostics.iter().any(Diagnostic::is_error);
        let catalog = (!failed).then(|| Arc::new(Catalog::new(courses)));
        tracing::debug!(
            ?summary,
            diagnostics = diagnostics.len(),
            ok = !failed,
            "content compiled"
        );
        Ok(Compilation { catalog, diagnostics, notes, summary })
    }

    /// A note for each compiled course that is unpublished, on its `published` line (or the
    /// first line when the setting is left out, which means unpublished).
    fn unpublished_notes(
        &mut self,
        layouts: &[CourseLayout],
        courses: &[Option<Course>],
    ) -> Vec<Note> {
        let mut notes = Vec::new();
        for (layout, course) in layouts.iter().zip(courses) {
            let Some(path) = layout.course_toml.as_deref() else { continue };
            if course.as_ref().is_none_or(|c| c.published) {
                continue;
            }
            let line = self.files.load(path).ok().and_then(|f| key_line(&f.text, "published"));
            notes.push(Note {
                path: path.to_path_buf(),
                line: line.unwrap_or(1),
                message: format!(
                    "course \"{}\" is unpublished; learners cannot see it",
                    layout.slug
                ),
            });
        }
        notes
    }

    fn finish(&mut self) {
        self.files.finish();
        self.fronts.finish();
        self.bodies.finish();
        self.worksheets.finish();
        self.pages.finish();
    }

    /// Compiles one course; `None` when it has errors that leave nothing sensible to show.
    fn course(&mut self, layout: &CourseLayout, diags: &mut Vec<Diagnostic>) -> Option<Course> {
        let meta = layout.course_toml.as_deref().and_then(|p| self.toml::<CourseMeta>(p, diags));
        let modules: Vec<Option<(ModuleMeta, Loaded)>> =
            layout.modules.iter().map(|m| self.module_meta(m, diags)).collect();
        let fronts = self.lesson_fronts(layout, diags);
        let links = LinkContext::new(
            layout.slug.clone(),
            fronts.iter().map(|(file, _, _, front)| {
                (file.rel.clone(), lesson::slug_of(front, &file.file_slug).to_string())
            }),
            layout.worksheets.iter().map(|(slug, _)| slug.clone()),
            layout.files.iter().map(|(rel, _)| rel.clone()),
        );
        let units = self.render_lessons(fronts, &links, diags);
        let (worksheets, mut pending) = self.compile_worksheets(layout, &links, diags);
        let landing = match &layout.index_md {
            Some(path) => self.page(path, &links, diags, &mut pending).0,
            None => String::new(),
        };
        let support_file = meta.as_ref().map(|(meta, _)| meta.support.as_deref());
        let (support, support_hash) =
            self.support(layout, support_file, &links, diags, &mut pending);
        checks::course(layout, &units, &pending, diags);
        check_tracks(layout, meta.as_ref(), &modules, &units, diags);
        let (email_overrides, email_hashes) = self.email_overrides(&layout.emails, diags);
        let (meta, course_hash) = meta?;
        let modules: Vec<(ModuleMeta, Loaded)> = modules.into_iter().collect::<Option<_>>()?;
        Some(
            Course {
                content_hash: course_hash_of(
                    &format!("{}{email_hashes}{support_hash}", course_hash.hash),
                    &modules,
                    &units,
                    &worksheets,
                    layout,
                ),
                modules: assemble_modules(&layout.modules, modules, &units),
                lesson_index: HashMap::new(),
                slug: layout.slug.clone(),
                title: meta.title,
                summary: meta.summary,
                enrollment: meta.enrollment,
                published: meta.published,
                public_downloads: meta.public_downloads,
                reminders: meta.reminders,
                tracks: meta.tracks.iter().map(TrackMeta::to_track).collect(),
                email_overrides,
                landing_html: landing,
                support_html: support,
                worksheets,
                files: catalog_files(&layout.files),
            }
            .indexed(),
        )
    }

    /// Reads every complete `emails/<name>/` override and checks it; also returns the parts'
    /// hashes for the course hash. Incomplete folders were reported by the scan and are left out.
    fn email_overrides(
        &mut self,
        layouts: &[EmailLayout],
        diags: &mut Vec<Diagnostic>,
    ) -> (BTreeMap<String, EmailOverride>, String) {
        let mut overrides = BTreeMap::new();
        let mut hashes = String::new();
        for layout in layouts {
            let mut parts = BTreeMap::new();
            let mut complete = true;
            for (part, path) in &layout.parts {
                match self.files.load(path) {
                    Ok(loaded) => {
                        hashes.push_str(&format!(
                            "{}/{}={}",
                            layout.name,
                            part.file_name(),
                            loaded.hash
                        ));
                        parts.insert(*part, loaded.text.to_string());
                    }
                    Err(diag) => {
                        complete = false;
                        diags.push(diag);
                    }
                }
            }
            complete &= EmailPart::ALL.iter().all(|p| !p.required() || parts.contains_key(p));
            if !complete {
                continue;
            }
            let email = EmailOverride { dir: layout.dir.clone(), parts };
            self.check_email(&layout.name, &email, diags);
            overrides.insert(layout.name.clone(), email);
        }
        (overrides, hashes)
    }

    /// Runs the injected email check and places its findings in the part files.
    fn check_email(&self, name: &str, email: &EmailOverride, diags: &mut Vec<Diagnostic>) {
        let Some(check) = &self.email_check else {
            return;
        };
        for problem in check.check(name, email) {
            let path = email.dir.join(problem.part.file_name());
            let text = email.part(problem.part).unwrap_or_default();
            let source = Source::new(&path, text);
            let offset = source.offset_of(problem.line, problem.col);
            diags.push(source.error(offset, problem.message));
        }
    }

    /// Loads and parses a TOML file (course.toml, module.toml), keeping its text and hash.
    fn toml<T: for<'de> Deserialize<'de>>(
        &mut self,
        path: &Path,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(T, Loaded)> {
        let loaded = self.files.load(path).map_err(|d| diags.push(d)).ok()?;
        let source = Source::new(path, &loaded.text);
        let meta = parse_toml(&source, &loaded.text, 0).map_err(|d| diags.push(d)).ok()?;
        Some((meta, loaded))
    }

    fn module_meta(
        &mut self,
        module: &ModuleLayout,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(ModuleMeta, Loaded)> {
        self.toml(module.module_toml.as_deref()?, diags)
    }

    /// Reads every lesson and parses its front matter (cached by content hash).
    fn lesson_fronts<'a>(
        &mut self,
        layout: &'a CourseLayout,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<(&'a LessonFile, usize, Loaded, Arc<Front>)> {
        let mut out = Vec::new();
        for (index, module) in layout.modules.iter().enumerate() {
            for file in &module.lessons {
                let Ok(loaded) = self.files.load(&file.path).map_err(|d| diags.push(d)) else {
                    continue;
                };
                let front = self.fronts.get_or_make(&file.path, loaded.hash.clone(), || {
                    lesson::parse_front(&Source::new(&file.path, &loaded.text)).map(Arc::new)
                });
                match front {
                    Ok(front) => {
                        diags.extend(front.diagnostics.iter().cloned());
                        out.push((file, index, loaded, front));
                    }
                    Err(diag) => diags.push(diag),
                }
            }
        }
        out
    }

    /// Renders lesson bodies (cached by content hash and link fingerprint).
    fn render_lessons<'a>(
        &mut self,
        fronts: Vec<(&'a LessonFile, usize, Loaded, Arc<Front>)>,
        links: &LinkContext,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<Unit<'a>> {
        let fingerprint = links.fingerprint();
        fronts
            .into_iter()
            .map(|(file, module, loaded, front)| {
                let key = (loaded.hash.clone(), fingerprint);
                let body = self.bodies.get_or_make(&file.path, key, || {
                    Arc::new(lesson::render_body(
                        &Source::new(&file.path, &loaded.text),
                        &front,
                        &file.rel,
                        links,
                    ))
                });
                diags.extend(body.rendered.diagnostics.iter().cloned());
                Unit { file, module, loaded, front, body }
            })
            .collect()
    }

    fn compile_worksheets(
        &mut self,
        layout: &CourseLayout,
        links: &LinkContext,
        diags: &mut Vec<Diagnostic>,
    ) -> (BTreeMap<String, Worksheet>, Vec<LessonLink>) {
        let mut sheets = BTreeMap::new();
        let mut pending = Vec::new();
        for (slug, path) in &layout.worksheets {
            let Ok(loaded) = self.files.load(path).map_err(|d| diags.push(d)) else {
                continue;
            };
            let key = (loaded.hash.clone(), links.fingerprint());
            let compiled = self.worksheets.get_or_make(path, key, || {
                Arc::new(worksheet::compile(
                    &Source::new(path, &loaded.text),
                    slug,
                    loaded.hash.to_string(),
                    links,
                ))
            });
            diags.extend(compiled.diagnostics.iter().cloned());
            pending.extend(compiled.pending.iter().cloned());
            if let Some(sheet) = &compiled.worksheet {
                sheets.insert(slug.clone(), sheet.clone());
            }
        }
        (sheets, pending)
    }

    /// Renders a course page (`index.md`, the support page: plain Markdown, no front matter,
    /// links checked like a lesson's) with its text's hash; empty when it cannot be read.
    fn page(
        &mut self,
        path: &Path,
        links: &LinkContext,
        diags: &mut Vec<Diagnostic>,
        pending: &mut Vec<LessonLink>,
    ) -> (String, Arc<str>) {
        let Ok(loaded) = self.files.load(path).map_err(|d| diags.push(d)) else {
            return (String::new(), Arc::from(""));
        };
        let key = (loaded.hash.clone(), links.fingerprint());
        let rendered = self.pages.get_or_make(path, key, || {
            let source = Source::new(path, &loaded.text);
            let input =
                Input { source: &source, markdown: &loaded.text, offset: 0, links, dir: "" };
            Arc::new(markdown::render_document(&input).0)
        });
        diags.extend(rendered.diagnostics.iter().cloned());
        pending.extend(rendered.pending.iter().cloned());
        (rendered.html.to_string(), loaded.hash)
    }

    /// The support page `file` names (`Some(None)`: course.toml names none; `None`: course.toml
    /// did not parse), rendered, with its hash; every other Markdown file beside course.toml
    /// is reported as ignored. A name that is not there is an error on its course.toml line.
    fn support(
        &mut self,
        layout: &CourseLayout,
        file: Option<Option<&str>>,
        links: &LinkContext,
        diags: &mut Vec<Diagnostic>,
        pending: &mut Vec<LessonLink>,
    ) -> (Option<String>, String) {
        let named = file.flatten();
        let others = layout.pages.iter().filter(|(name, _)| Some(name.as_str()) != named);
        for (_, path) in others {
            if file.is_some() {
                scan::ignore(path, scan::STRAY_COURSE_FILE, diags);
            }
        }
        let Some(named) = named else { return (None, String::new()) };
        match layout.pages.iter().find(|(name, _)| name == named) {
            Some((_, path)) => {
                let (html, hash) = self.page(path, links, diags, pending);
                (Some(html), format!("support={hash}"))
            }
            None => {
                self.missing_support(layout, named, diags);
                (None, String::new())
            }
        }
    }

    /// The error for a `support =` naming no Markdown file beside course.toml.
    fn missing_support(&mut self, layout: &CourseLayout, named: &str, diags: &mut Vec<Diagnostic>) {
        let Some(path) = layout.course_toml.as_deref() else { return };
        let Ok(loaded) = self.files.load(path) else { return };
        let source = Source::new(path, &loaded.text);
        let line = key_line(&loaded.text, "support").and_then(|l| usize::try_from(l).ok());
        let offset = source.offset_of(line.unwrap_or(1), 1);
        diags.push(source.error(
            offset,
            format!(
                "support page \"{named}\" not found: it must be a Markdown file beside course.toml, like support = \"support.md\""
            ),
        ));
    }
}

/// The 1-based line where a top-level `key = …` is set in a TOML file, if it is.
fn key_line(text: &str, key: &str) -> Option<u32> {
    let top_level = text.lines().take_while(|line| !line.trim_start().starts_with('['));
    let index = top_level.enumerate().find_map(|(i, line)| {
        let rest = line.trim_start().strip_prefix(key)?;
        rest.trim_start().starts_with('=').then_some(i)
    })?;
    u32::try_from(index + 1).ok()
}

fn check_root(root: &Path) -> Result<(), ContentError> {
    let meta = std::fs::metadata(root).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ContentError::Missing(root.to_path_buf()),
        _ => ContentError::Unreadable { path: root.to_path_buf(), source },
    })?;
    if !meta.is_dir() {
        return Err(ContentError::NotADirectory(root.to_path_buf()));
    }
    std::fs::read_dir(root)
        .map(drop)
        .map_err(|source| ContentError::Unreadable { path: root.to_path_buf(), source })
}

/// Runs the track checks with the track ids course.toml and each module.toml name.
fn check_tracks(
    layout: &CourseLayout,
    meta: Option<&(CourseMeta, Loaded)>,
    modules: &[Option<(ModuleMeta, Loaded)>],
    units: &[Unit<'_>],
    diags: &mut Vec<Diagnostic>,
) {
    let ids: Vec<Spanned<String>> =
        meta.iter().flat_map(|(m, _)| m.tracks.iter().map(|t| t.id().clone())).collect();
    let course = layout.course_toml.as_deref().zip(meta).map(|(path, (_, loaded))| Named {
        path,
        text: &loaded.text,
        ids: &ids,
    });
    let modules: Vec<Option<Named<'_>>> = layout
        .modules
        .iter()
        .zip(modules)
        .map(|(layout, meta)| {
            let path = layout.module_toml.as_deref()?;
            let (meta, loaded) = meta.as_ref()?;
            Some(Named { path, text: &loaded.text, ids: &meta.tracks })
        })
        .collect();
    tracks::check(course, &modules, units, diags);
}

fn assemble_modules(
    layouts: &[ModuleLayout],
    metas: Vec<(ModuleMeta, Loaded)>,
    units: &[Unit<'_>],
) -> Vec<Module> {
    layouts
        .iter()
        .zip(metas)
        .enumerate()
        .map(|(index, (layout, (meta, _)))| {
            let tracks = meta.track_ids();
            Module {
                slug: layout.slug.clone(),
                lessons: units
                    .iter()
                    .filter(|u| u.module == index)
                    .map(|u| build_lesson(u, &tracks))
                    .collect(),
                title: meta.title,
                summary: meta.summary,
            }
        })
        .collect()
}

fn build_lesson(unit: &Unit<'_>, module_tracks: &[String]) -> Lesson {
    let (front, body, path) = (&unit.front, &unit.body, &unit.file.path);
    lesson::build(front, body, unit.slug(), &unit.loaded.hash, path, module_tracks)
}

fn catalog_files(files: &[(String, PathBuf)]) -> BTreeMap<String, CatalogFile> {
    files
        .iter()
        .map(|(rel, path)| {
            let size = std::fs::metadata(path).map_or(0, |m| m.len());
            (rel.clone(), CatalogFile { path: path.clone(), mime: mime_for(rel), size })
        })
        .collect()
}

/// One hash over every source of the course, in order, so any edit changes it.
fn course_hash_of(
    course_toml: &str,
    modules: &[(ModuleMeta, Loaded)],
    units: &[Unit<'_>],
    worksheets: &BTreeMap<String, Worksheet>,
    layout: &CourseLayout,
) -> String {
    let mut all = String::from(course_toml);
    for (_, loaded) in modules {
        all.push_str(&loaded.hash);
    }
    for unit in units {
        all.push_str(&format!("{}={}", unit.file.rel, unit.loaded.hash));
    }
    for sheet in worksheets.values() {
        all.push_str(&sheet.content_hash);
    }
    for (rel, path) in &layout.files {
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        all.push_str(&format!("{rel}:{size}"));
    }
    super::sha256_hex(all.as_bytes())
}

impl Course {
    /// Fills the slug index used by lesson look-ups.
    fn indexed(mut self) -> Self {
        self.lesson_index = self
            .modules
            .iter()
            .enumerate()
            .flat_map(|(m, module)| {
                module
                    .lessons
                    .iter()
                    .enumerate()
                    .map(move |(l, lesson)| (lesson.slug.clone(), (m, l)))
            })
            .collect();
        self
    }
}

impl Summary {
    /// Counts what learners will see (drafts are counted separately).
    fn of(courses: &[Course]) -> Self {
        let mut summary = Summary { courses: courses.len(), ..Summary::default() };
        for course in courses {
            summary.modules += course.modules.len();
            summary.worksheets += course.worksheets.len();
            summary.files += course.files.len();
            for lesson in course.modules.iter().flat_map(|m| &m.lessons) {
                if lesson.draft {
                    summary.drafts += 1;
                    continue;
                }
                summary.lessons += 1;
                summary.words += lesson.words;
                summary.minutes += u64::from(lesson.minutes);
            }
        }
        summary
    }
}
