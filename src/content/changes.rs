//! What changed between two builds of the content, lesson by lesson, so an author can confirm
//! that an edit went live (and that nothing else moved with it).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::{Catalog, Course, Lesson};

/// How a lesson differs from the build before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Its source file's content hash differs.
    Edited,
    /// No lesson with its slug was in the build before.
    Added,
    /// It was in the build before and is no longer.
    Removed,
}

/// One lesson that changed, named as the author knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LessonChange {
    /// The course's title (from the newer build when the course is in both).
    pub course: String,
    /// The lesson's title, from the build it is in (the newer one unless it was removed).
    pub lesson: String,
    /// What happened to it.
    pub kind: ChangeKind,
}

/// Every lesson that differs between `before` and `after`, keyed by course and lesson slug
/// (the ids progress is stored under), course by course: edits and additions in the newer
/// build's order, then removals in the older one's. A lesson moved to another module with the
/// same text is not a change.
pub fn lesson_changes(before: &Catalog, after: &Catalog) -> Vec<LessonChange> {
    let gone = before.courses().iter().filter(|c| after.course(&c.slug).is_none());
    after
        .courses()
        .iter()
        .flat_map(|course| course_changes(before.course(&course.slug), Some(course)))
        .chain(gone.flat_map(|course| course_changes(Some(course), None)))
        .collect()
}

/// Whether two builds compiled to the same content (every course's hash alike): a rebuild
/// after an editor touched a file, or saved it unchanged, is the same build again.
pub(crate) fn same_content(before: &Catalog, after: &Catalog) -> bool {
    fn hashes(catalog: &Catalog) -> impl Iterator<Item = (&str, &str)> {
        catalog.courses().iter().map(|c| (c.slug.as_str(), c.content_hash.as_str()))
    }
    hashes(before).eq(hashes(after))
}

fn course_changes(before: Option<&Course>, after: Option<&Course>) -> Vec<LessonChange> {
    let Some(course) = after.or(before) else {
        return Vec::new();
    };
    let change = |lesson: &Lesson, kind| LessonChange {
        course: course.title.clone(),
        lesson: lesson.title.clone(),
        kind,
    };
    let old: HashMap<&str, &Lesson> = lessons(before).map(|l| (l.slug.as_str(), l)).collect();
    let new: HashSet<&str> = lessons(after).map(|l| l.slug.as_str()).collect();
    let mut changes: Vec<LessonChange> = lessons(after)
        .filter_map(|lesson| match old.get(lesson.slug.as_str()) {
            None => Some(change(lesson, ChangeKind::Added)),
            Some(was) if was.content_hash != lesson.content_hash => {
                Some(change(lesson, ChangeKind::Edited))
            }
            Some(_) => None,
        })
        .collect();
    let removed = lessons(before).filter(|l| !new.contains(l.slug.as_str()));
    changes.extend(removed.map(|lesson| change(lesson, ChangeKind::Removed)));
    changes
}

/// A course's lessons in order, drafts included (authors edit drafts too).
fn lessons(course: Option<&Course>) -> impl Iterator<Item = &Lesson> {
    course.into_iter().flat_map(|c| &c.modules).flat_map(|m| &m.lessons)
}
