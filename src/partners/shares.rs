//! Progress sharing: while linked, a learner may show their partner their progress in a course
//! they are enrolled in, and take it back at any time. Nothing is shared by default.

use std::sync::Arc;

use crate::content::Catalog;
use crate::db::models::enrollment;
use crate::db::models::partnership::{self, ActiveLink};
use crate::db::models::progress_share::{self, Share};
use crate::domain::ids::UserId;
use crate::learning;
use crate::partners::{PartnerError, Partners};

/// One course's progress a partner shows the learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedProgress {
    pub course_slug: String,
    pub course_title: String,
    pub done: usize,
    pub total: usize,
}

impl Partners {
    /// Shows the learner's progress in `course` to their partner (again is harmless).
    pub async fn share_progress(&self, user: UserId, course: String) -> Result<(), PartnerError> {
        let now = self.now().naive_utc();
        self.db
            .transaction(move |conn| {
                let link = partnership::active_for_user(conn, user)?.ok_or(PartnerError::NoLink)?;
                if enrollment::find(conn, user, &course)?.is_none() {
                    return Err(PartnerError::NoSuchCourse);
                }
                let share = Share { partnership: link.id, owner: user, course_slug: &course };
                progress_share::insert_if_absent(conn, share, now)?;
                Ok(())
            })
            .await
    }

    /// Stops showing the learner's progress in `course` (when it was not shown, nothing changes).
    pub async fn unshare_progress(&self, user: UserId, course: String) -> Result<(), PartnerError> {
        self.db
            .transaction(move |conn| {
                let link = partnership::active_for_user(conn, user)?.ok_or(PartnerError::NoLink)?;
                let share = Share { partnership: link.id, owner: user, course_slug: &course };
                progress_share::delete(conn, share)?;
                Ok(())
            })
            .await
    }

    /// The progress the learner's partner shows them, course by course; `NoLink` without one.
    pub async fn partner_progress(
        &self,
        user: UserId,
        catalog: &Arc<Catalog>,
    ) -> Result<Vec<SharedProgress>, PartnerError> {
        let (link, shared) = self
            .db
            .run(move |conn| {
                let link: ActiveLink =
                    partnership::active_for_user(conn, user)?.ok_or(PartnerError::NoLink)?;
                let shared = progress_share::courses_shared_by(conn, link.id, link.partner)?;
                Ok::<_, PartnerError>((link, shared))
            })
            .await?;
        if shared.is_empty() {
            return Ok(Vec::new());
        }
        let entries = learning::dashboard(&self.db, &*self.clock, catalog, link.partner)
            .await
            .map_err(|error| match error {
                learning::LearningError::Db(error) => PartnerError::Database(error),
                _ => PartnerError::NoSuchCourse,
            })?;
        let progress =
            entries.into_iter().filter(|e| shared.contains(&e.course_slug)).filter_map(|e| {
                let course = catalog.course(&e.course_slug)?;
                Some(SharedProgress {
                    course_title: course.title.clone(),
                    done: e.view.progress.done,
                    total: e.view.progress.total,
                    course_slug: e.course_slug,
                })
            });
        Ok(progress.collect())
    }
}
