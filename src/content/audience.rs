//! Who sees what of the catalog: the one place that decides draft and unpublished visibility.
//! Learner rules, outlines, pagers and page headers all ask here instead of reading `draft`.

use super::catalog::{Catalog, Course, Lesson, Module};

/// Which lessons and courses a reader may see: learners never see drafts nor unpublished
/// courses; authors previewing see everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Reads the course as a learner does.
    Learner,
    /// An author or admin previewing drafts and unpublished courses.
    AuthorPreview,
}

impl Audience {
    /// Whether `lesson` is visible to this audience.
    pub fn sees(self, lesson: &Lesson) -> bool {
        !lesson.draft || self == Self::AuthorPreview
    }

    /// Whether `course` is visible: unpublished courses only to authors previewing.
    pub fn sees_course(self, course: &Course) -> bool {
        course.published || self == Self::AuthorPreview
    }
}

impl Course {
    /// The lessons `audience` sees, in course order, each with its module.
    pub fn lessons_for(&self, audience: Audience) -> impl Iterator<Item = (&Module, &Lesson)> {
        self.modules.iter().flat_map(move |m| {
            m.lessons.iter().filter(move |l| audience.sees(l)).map(move |l| (m, l))
        })
    }
}

impl Catalog {
    /// The courses `audience` sees, in catalog order.
    pub fn courses_for(&self, audience: Audience) -> impl Iterator<Item = &Course> {
        self.courses().iter().filter(move |c| audience.sees_course(c))
    }
}
