//! Walking `content/`: which folders are courses, modules, lessons, worksheets and files.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::catalog::{EmailPart, REMINDER_EMAILS};
use super::diagnostics::{Diagnostic, Severity};

/// Deepest folder nesting followed under `files/`.
const MAX_FILES_DEPTH: usize = 16;

/// The files one course folder is made of.
#[derive(Debug, Default)]
pub(crate) struct CourseLayout {
    pub slug: String,
    pub dir: PathBuf,
    pub course_toml: Option<PathBuf>,
    pub index_md: Option<PathBuf>,
    pub modules: Vec<ModuleLayout>,
    /// Worksheet slug and path, by slug.
    pub worksheets: Vec<(String, PathBuf)>,
    /// Path relative to `files/` (`/`-separated) and absolute, canonical path.
    pub files: Vec<(String, PathBuf)>,
    /// `emails/<name>/` folders overriding reminder templates.
    pub emails: Vec<EmailLayout>,
    /// Other Markdown files beside course.toml, by file name: the support page course.toml
    /// names is one; the compiler reports the rest as ignored.
    pub pages: Vec<(String, PathBuf)>,
}

/// An `emails/<name>/` folder: the parts found in it.
#[derive(Debug)]
pub(crate) struct EmailLayout {
    pub name: String,
    pub dir: PathBuf,
    pub parts: Vec<(EmailPart, PathBuf)>,
}

/// A module folder `NN-slug/`.
#[derive(Debug)]
pub(crate) struct ModuleLayout {
    pub slug: String,
    pub module_toml: Option<PathBuf>,
    pub lessons: Vec<LessonFile>,
}

/// A lesson file `NN-slug.md`.
#[derive(Debug, Clone)]
pub(crate) struct LessonFile {
    /// Path relative to the course root, `/`-separated: what links are resolved against.
    pub rel: String,
    pub path: PathBuf,
    /// The slug from the file name (front matter may override it).
    pub file_slug: String,
}

/// A folder entry with a UTF-8 name, not hidden.
struct Entry {
    name: String,
    path: PathBuf,
    is_dir: bool,
}

/// Lists a folder sorted by name, skipping hidden entries; unreadable entries are reported.
fn entries(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<Entry> {
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(err) => {
            diags.push(Diagnostic::whole_file(
                dir,
                Severity::Error,
                format!("cannot read folder: {err}"),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for entry in read {
        match entry {
            Ok(entry) => out.extend(classify(&entry, diags)),
            Err(err) => report_io(dir, &err, diags),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// An entry worth looking at: UTF-8 name, not hidden, and stat-able.
fn classify(entry: &fs::DirEntry, diags: &mut Vec<Diagnostic>) -> Option<Entry> {
    let path = entry.path();
    let Some(name) = entry.file_name().to_str().map(str::to_string) else {
        ignore(&path, "ignored: file name is not UTF-8", diags);
        return None;
    };
    if name.starts_with('.') {
        return None;
    }
    // The directory entry's type needs no extra system call; only symlinks are followed, and
    // a dangling or looping one cannot be stat'ed and is reported.
    let is_dir = match entry.file_type() {
        Ok(kind) if !kind.is_symlink() => Ok(kind.is_dir()),
        _ => fs::metadata(&path).map(|meta| meta.is_dir()),
    };
    match is_dir {
        Ok(is_dir) => Some(Entry { name, is_dir, path }),
        Err(err) => {
            report_io(&path, &err, diags);
            None
        }
    }
}

/// Warns that something in the content folder is not part of any course.
pub(crate) fn ignore(path: &Path, message: &str, diags: &mut Vec<Diagnostic>) {
    diags.push(Diagnostic::whole_file(path, Severity::Warning, message));
}

fn report_io(path: &Path, err: &std::io::Error, diags: &mut Vec<Diagnostic>) {
    diags.push(Diagnostic::whole_file(path, Severity::Error, format!("cannot read: {err}")));
}

/// Splits `NN-slug` into its order number and slug.
pub(crate) fn ordered(name: &str) -> Option<(u32, &str)> {
    let (number, slug) = name.split_once('-')?;
    let order = number.parse().ok().filter(|_| number.bytes().all(|b| b.is_ascii_digit()))?;
    (!slug.is_empty()).then_some((order, slug))
}

/// Slugs are URL segments and database keys: lowercase ASCII letters, digits and hyphens.
pub(crate) fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn check_slug(slug: &str, path: &Path, what: &str, diags: &mut Vec<Diagnostic>) -> bool {
    let ok = is_slug(slug);
    if !ok {
        diags.push(Diagnostic::whole_file(
            path,
            Severity::Error,
            format!("{what} slug \"{slug}\" must use only lowercase letters, digits and hyphens"),
        ));
    }
    ok
}

/// Finds the courses under the content root (each sub-folder is one).
pub(crate) fn scan_root(root: &Path, diags: &mut Vec<Diagnostic>) -> Vec<CourseLayout> {
    let mut courses = Vec::new();
    for entry in entries(root, diags) {
        if !entry.is_dir {
            ignore(&entry.path, "ignored: only course folders belong in the content root", diags);
        } else if check_slug(&entry.name, &entry.path, "course", diags) {
            courses.push(scan_course(entry.name, entry.path, diags));
        }
    }
    courses
}

/// Why a file beside course.toml is left out.
pub(crate) const STRAY_COURSE_FILE: &str = "ignored: a course folder holds only course.toml, index.md, the support page course.toml names, and folders";

fn scan_course(slug: String, dir: PathBuf, diags: &mut Vec<Diagnostic>) -> CourseLayout {
    let mut course = CourseLayout { slug, ..CourseLayout::default() };
    for entry in entries(&dir, diags) {
        match (entry.is_dir, entry.name.as_str()) {
            (false, "course.toml") => course.course_toml = Some(entry.path),
            (false, "index.md") => course.index_md = Some(entry.path),
            (true, "worksheets") => course.worksheets = scan_worksheets(&entry.path, diags),
            (true, "files") => course.files = scan_files(&entry.path, diags),
            (true, "emails") => course.emails = scan_emails(&entry.path, diags),
            (true, name) => match ordered(name) {
                Some((_, module_slug)) => {
                    if check_slug(module_slug, &entry.path, "module", diags) {
                        let module =
                            scan_module(module_slug.to_string(), &entry.name, entry.path, diags);
                        course.modules.push(module);
                    }
                }
                None => ignore(
                    &entry.path,
                    "ignored: module folders are named NN-slug (or are worksheets/, files/ or emails/)",
                    diags,
                ),
            },
            (false, name) if name.ends_with(".md") => course.pages.push((entry.name, entry.path)),
            (false, _) => ignore(&entry.path, STRAY_COURSE_FILE, diags),
        }
    }
    require(course.course_toml.is_some(), &dir, "course folder has no course.toml", diags);
    course.dir = dir;
    course
}

fn scan_module(
    slug: String,
    folder: &str,
    dir: PathBuf,
    diags: &mut Vec<Diagnostic>,
) -> ModuleLayout {
    let mut module = ModuleLayout { slug, module_toml: None, lessons: Vec::new() };
    for entry in entries(&dir, diags) {
        let lesson_slug = entry.name.strip_suffix(".md").and_then(ordered).map(|(_, s)| s);
        match (entry.is_dir, entry.name.as_str(), lesson_slug) {
            (false, "module.toml", _) => module.module_toml = Some(entry.path),
            (false, _, Some(file_slug)) => module.lessons.push(LessonFile {
                rel: format!("{folder}/{}", entry.name),
                file_slug: file_slug.to_string(),
                path: entry.path,
            }),
            _ => ignore(
                &entry.path,
                "ignored: a module folder holds module.toml and NN-slug.md lessons",
                diags,
            ),
        }
    }
    require(module.module_toml.is_some(), &dir, "module folder has no module.toml", diags);
    module
}

/// Reports a folder that lacks the settings file it must have (`found` is false).
fn require(found: bool, dir: &Path, missing: &'static str, diags: &mut Vec<Diagnostic>) {
    if !found {
        diags.push(Diagnostic::whole_file(dir, Severity::Error, missing));
    }
}

fn scan_worksheets(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<(String, PathBuf)> {
    let mut sheets = Vec::new();
    for entry in entries(dir, diags) {
        match entry.name.strip_suffix(".md").filter(|_| !entry.is_dir) {
            Some(slug) if check_slug(slug, &entry.path, "worksheet", diags) => {
                sheets.push((slug.to_string(), entry.path))
            }
            Some(_) => {}
            None => ignore(&entry.path, "ignored: worksheets/ holds only <slug>.md files", diags),
        }
    }
    sheets
}

/// Lists `emails/<name>/` overrides: unknown names and missing parts are errors (a typo would
/// otherwise silently keep the built-in wording), stray files are warnings.
fn scan_emails(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<EmailLayout> {
    let mut emails = Vec::new();
    for entry in entries(dir, diags) {
        if !entry.is_dir {
            ignore(&entry.path, "ignored: emails/ holds one folder per template", diags);
        } else if !REMINDER_EMAILS.contains(&entry.name.as_str()) {
            let known = REMINDER_EMAILS.join(", ");
            let message = format!("unknown email template \"{}\" (templates: {known})", entry.name);
            diags.push(Diagnostic::whole_file(&entry.path, Severity::Error, message));
        } else {
            emails.push(scan_email(entry.name, entry.path, diags));
        }
    }
    emails
}

fn scan_email(name: String, dir: PathBuf, diags: &mut Vec<Diagnostic>) -> EmailLayout {
    let mut parts = Vec::new();
    for entry in entries(&dir, diags) {
        let part = EmailPart::ALL.into_iter().find(|p| p.file_name() == entry.name);
        match part.filter(|_| !entry.is_dir) {
            Some(part) => parts.push((part, entry.path)),
            None => ignore(
                &entry.path,
                "ignored: an email folder holds subject.txt, preview.txt, body.txt and body.html",
                diags,
            ),
        }
    }
    for part in EmailPart::ALL.into_iter().filter(|p| p.required()) {
        let found = parts.iter().any(|(p, _)| *p == part);
        let message = format!("email override \"{name}\" has no {}", part.file_name());
        if !found {
            diags.push(Diagnostic::whole_file(&dir, Severity::Error, message));
        }
    }
    EmailLayout { name, dir, parts }
}

/// Lists every file under `files/`, refusing symlinks that lead outside it or loop.
fn scan_files(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    let Ok(base) = fs::canonicalize(dir) else {
        diags.push(Diagnostic::whole_file(dir, Severity::Error, "cannot resolve files/ folder"));
        return files;
    };
    let mut visited = HashSet::from([base.clone()]);
    walk_files(&base, dir, "", 0, &mut visited, &mut files, diags);
    files
}

fn walk_files(
    base: &Path,
    dir: &Path,
    prefix: &str,
    depth: usize,
    visited: &mut HashSet<PathBuf>,
    files: &mut Vec<(String, PathBuf)>,
    diags: &mut Vec<Diagnostic>,
) {
    for entry in entries(dir, diags) {
        let rel = format!("{prefix}{}", entry.name);
        let Some(real) = fs::canonicalize(&entry.path).ok().filter(|real| real.starts_with(base))
        else {
            ignore(&entry.path, "ignored: links outside files/", diags);
            continue;
        };
        if !entry.is_dir {
            files.push((rel, real));
        } else if depth >= MAX_FILES_DEPTH || !visited.insert(real) {
            ignore(&entry.path, "ignored: folder loop or nesting too deep", diags);
        } else {
            walk_files(base, &entry.path, &format!("{rel}/"), depth + 1, visited, files, diags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_names_and_slugs() {
        assert_eq!(ordered("01-welcome"), Some((1, "welcome")));
        assert_eq!(ordered("welcome"), None);
        assert_eq!(ordered("+1-x"), None);
        assert!(is_slug("rebuilding-trust") && !is_slug("Rebuilding") && !is_slug("a_b"));
    }
}
