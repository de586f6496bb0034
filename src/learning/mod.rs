//! What a learner does with a course — enrol, read, complete, pause — as units of work over
//! the catalog, the clock and the database. The web layer calls these; the rules themselves live
//! in [`crate::domain`] and the queries in [`crate::db::models`].

mod course;
mod enroll;
mod plan;

pub use course::{
    Completion, CourseView, DashboardEntry, LearningError, LessonEntry, check_open_on,
    choose_track, complete_lesson, course_view, current_track, dashboard, has_access, pause,
    resume, uncomplete_lesson, view_lesson, view_lesson_on,
};
pub use enroll::{CodeError, EnrollError, EnrollOutcome, admin_enroll, create_access_code, enroll};

/// One learner in one course: what every learner action needs. Handlers build it from the
/// application state and the signed-in user; admins name the learner they act for.
#[derive(Debug, Clone, Copy)]
pub struct LearnerCourse<'a> {
    pub db: &'a crate::db::Database,
    pub clock: &'a dyn crate::clock::Clock,
    pub catalog: &'a std::sync::Arc<crate::content::Catalog>,
    pub user_id: crate::domain::ids::UserId,
    pub course_slug: &'a str,
}

/// Converts a stored UTC timestamp (diesel's naive time) into an instant.
fn utc(naive: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    naive.and_utc()
}
