//! Enrolling in a course, and making the access codes that some courses ask for.

use chrono::{DateTime, NaiveDate, Utc};

use crate::content::{Catalog, Enrollment as Policy};
use crate::db::models::access_code::{self, NewAccessCode};
use crate::db::models::enrollment::{self, NewEnrollment};
use crate::db::{DbConnection, DbError};
use crate::domain::access_code::AccessCode;
use crate::domain::enrollment::{
    self as rules, Admission, Enroller, EnrollmentStatus, Existing, Refusal,
};
use crate::domain::ids::UserId;

use super::{LearnerCourse, utc};

/// What an enrol request did; enrolling twice is not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollOutcome {
    /// A new enrolment.
    Created,
    /// An expired (or, by an admin, revoked) enrolment made active again, progress kept.
    Reenrolled,
    /// The learner was already enrolled; nothing changed.
    AlreadyEnrolled,
}

/// Why an enrolment was refused; every message is safe to show the learner.
#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error("there is no such course")]
    NoSuchCourse,
    #[error("Enter the access code you were given.")]
    CodeRequired,
    #[error(
        "That access code isn't valid for this course. It may be mistyped, used up or expired."
    )]
    InvalidCode,
    #[error("this course is by invitation only")]
    InviteOnly,
    #[error("your enrolment in this course was withdrawn")]
    Revoked,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for EnrollError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(error.into())
    }
}

impl From<Refusal> for EnrollError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::CodeRequired => Self::CodeRequired,
            Refusal::InviteOnly => Self::InviteOnly,
            Refusal::Revoked => Self::Revoked,
        }
    }
}

/// A learner enrols themselves in a published course, following its policy (open, code or
/// invite). A code is spent only when it creates or renews an enrolment, in the same
/// transaction, so a failure gives the use back.
pub async fn enroll(
    at: LearnerCourse<'_>,
    access_code: Option<&str>,
) -> Result<EnrollOutcome, EnrollError> {
    submit(at, Enroller::Learner, access_code).await
}

/// An admin enrols a learner in any course (published or not), whatever its policy; also the
/// way to restore a revoked enrolment.
pub async fn admin_enroll(at: LearnerCourse<'_>) -> Result<EnrollOutcome, EnrollError> {
    submit(at, Enroller::Admin, None).await
}

async fn submit(
    at: LearnerCourse<'_>,
    by: Enroller,
    code: Option<&str>,
) -> Result<EnrollOutcome, EnrollError> {
    let visible = |c: &&crate::content::Course| c.published || by == Enroller::Admin;
    let course =
        at.catalog.course(at.course_slug).filter(visible).ok_or(EnrollError::NoSuchCourse)?;
    let request = Request {
        user_id: at.user_id,
        course_slug: course.slug.clone(),
        policy: course.enrollment,
        by,
        code: code.map(str::to_owned),
        now: at.clock.now(),
    };
    at.db.transaction(move |conn| request.apply(conn)).await
}

/// One enrol request, owned so it can run on the blocking pool.
struct Request {
    user_id: UserId,
    course_slug: String,
    policy: Policy,
    by: Enroller,
    code: Option<String>,
    now: DateTime<Utc>,
}

impl Request {
    /// Must run in a write transaction (the code use and the enrolment commit together).
    fn apply(self, conn: &mut DbConnection) -> Result<EnrollOutcome, EnrollError> {
        let existing = enrollment::find(conn, self.user_id, &self.course_slug)?;
        if let Some(row) = &existing {
            let status =
                EnrollmentStatus::parse(&row.status).as_of(row.expires_at.map(utc), self.now);
            if rules::existing(status, self.by)? == Existing::AlreadyEnrolled {
                return Ok(EnrollOutcome::AlreadyEnrolled);
            }
        }
        let now = self.now.naive_utc();
        match existing {
            // Renewed by the learner's other request meanwhile: theirs stands.
            Some(row) if enrollment::reactivate(conn, row.id, now)? == 0 => {
                Ok(EnrollOutcome::AlreadyEnrolled)
            }
            Some(_) => self.admit(conn).map(|()| EnrollOutcome::Reenrolled),
            None => self.create(conn),
        }
    }

    /// Inserts first and admits second: losing a race with the same learner's other request
    /// then spends no code, and a refused admission rolls the insert back with the transaction.
    fn create(&self, conn: &mut DbConnection) -> Result<EnrollOutcome, EnrollError> {
        let now = self.now.naive_utc();
        let new = NewEnrollment {
            user_id: self.user_id,
            course_slug: &self.course_slug,
            enrolled_at: now,
            updated_at: now,
        };
        if !enrollment::insert_if_absent(conn, &new)? {
            return Ok(EnrollOutcome::AlreadyEnrolled);
        }
        self.admit(conn).map(|()| EnrollOutcome::Created)
    }

    /// Applies the course policy to the enrolment just written: for code courses spends one use
    /// of the code and records it on the enrolment. An error rolls the enrolment back.
    fn admit(&self, conn: &mut DbConnection) -> Result<(), EnrollError> {
        match rules::admission(self.policy, self.by, self.code.is_some())? {
            Admission::Free => Ok(()),
            Admission::WithCode => {
                let typed = self.code.as_deref().unwrap_or_default();
                let code = AccessCode::parse(typed).ok_or(EnrollError::InvalidCode)?;
                let now = self.now.naive_utc();
                let id = access_code::redeem(conn, code.as_str(), &self.course_slug, now)?
                    .ok_or(EnrollError::InvalidCode)?;
                enrollment::set_access_code(conn, self.user_id, &self.course_slug, id)?;
                Ok(())
            }
        }
    }
}

/// Why an access code could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error("there is no course {0:?} in the content")]
    NoSuchCourse(String),
    #[error("course {0:?} does not use access codes (its enrollment is not \"code\")")]
    NotCodeCourse(String),
    #[error("--max-uses must be between 1 and {}", i32::MAX)]
    MaxUses,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Makes a new random access code for a `code` course. `expires_on` is the last UTC day it
/// works. Returns the code to hand out.
pub fn create_access_code(
    conn: &mut DbConnection,
    catalog: &Catalog,
    course_slug: &str,
    max_uses: Option<u32>,
    expires_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<AccessCode, CodeError> {
    let course = catalog
        .course(course_slug)
        .ok_or_else(|| CodeError::NoSuchCourse(course_slug.to_owned()))?;
    if course.enrollment != Policy::Code {
        return Err(CodeError::NotCodeCourse(course_slug.to_owned()));
    }
    let max_uses = max_uses
        .map(|n| i32::try_from(n).ok().filter(|n| *n > 0).ok_or(CodeError::MaxUses))
        .transpose()?;
    let code = AccessCode::generate(&mut rand::rng());
    let new = NewAccessCode {
        code: code.as_str(),
        course_slug,
        max_uses,
        expires_at: expires_on
            .and_then(|day| day.succ_opt())
            .map(|day| day.and_time(chrono::NaiveTime::MIN)),
        created_by: None,
        created_at: now.naive_utc(),
        note: "",
    };
    access_code::insert(conn, &new).map_err(DbError::from)?;
    Ok(code)
}
