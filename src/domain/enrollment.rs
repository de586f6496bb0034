//! Who may enrol in a course and what an existing enrolment allows: the rules behind the enrol
//! button, independent of how enrolments are stored.

use chrono::{DateTime, Utc};

use crate::content::Enrollment;

/// The stored state of an enrolment (`enrollments.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollmentStatus {
    /// Learning.
    Active,
    /// Every lesson done.
    Completed,
    /// Past its expiry date.
    Expired,
    /// Withdrawn by an admin.
    Revoked,
}

impl EnrollmentStatus {
    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }

    /// Reads a stored value; anything unknown is treated as revoked, which grants nothing.
    pub fn parse(stored: &str) -> Self {
        match stored {
            "active" => Self::Active,
            "completed" => Self::Completed,
            "expired" => Self::Expired,
            _ => Self::Revoked,
        }
    }

    /// The status as of `now`: an active or completed enrolment past `expires_at` is expired.
    pub fn as_of(self, expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match self {
            Self::Active | Self::Completed if expires_at.is_some_and(|at| at <= now) => {
                Self::Expired
            }
            other => other,
        }
    }

    /// Whether lessons may be read and completed.
    pub fn grants_access(self) -> bool {
        matches!(self, Self::Active | Self::Completed)
    }
}

/// Who is asking to enrol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enroller {
    /// The learner, for themselves.
    Learner,
    /// An admin, enrolling someone (bypasses codes and invitations).
    Admin,
}

/// How a new enrolment is admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// No further check.
    Free,
    /// Only by redeeming the access code given.
    WithCode,
}

/// Why an enrolment is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The course needs an access code and none was given.
    #[error("this course needs an access code")]
    CodeRequired,
    /// The course is by invitation: only admins enrol people.
    #[error("this course is by invitation only")]
    InviteOnly,
    /// An admin withdrew this learner's enrolment; only an admin can restore it.
    #[error("your enrolment in this course was withdrawn")]
    Revoked,
}

/// Decides a new enrolment from the course's policy: open admits anyone, code needs a code,
/// invite needs an admin; admins are always admitted.
pub fn admission(policy: Enrollment, by: Enroller, has_code: bool) -> Result<Admission, Refusal> {
    match (by, policy) {
        (Enroller::Admin, _) | (Enroller::Learner, Enrollment::Open) => Ok(Admission::Free),
        (Enroller::Learner, Enrollment::Code) if has_code => Ok(Admission::WithCode),
        (Enroller::Learner, Enrollment::Code) => Err(Refusal::CodeRequired),
        (Enroller::Learner, Enrollment::Invite) => Err(Refusal::InviteOnly),
    }
}

/// What to do when the learner already has an enrolment row in the course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Still valid: enrolling again changes nothing.
    AlreadyEnrolled,
    /// Expired (or restored by an admin): admit as new, keeping earlier progress and schedule.
    Reenroll,
}

/// Decides a second enrolment: harmless while valid, a fresh admission once expired, and
/// reserved to admins after a revocation.
pub fn existing(status: EnrollmentStatus, by: Enroller) -> Result<Existing, Refusal> {
    match (status, by) {
        (EnrollmentStatus::Active | EnrollmentStatus::Completed, _) => {
            Ok(Existing::AlreadyEnrolled)
        }
        (EnrollmentStatus::Expired, _) | (EnrollmentStatus::Revoked, Enroller::Admin) => {
            Ok(Existing::Reenroll)
        }
        (EnrollmentStatus::Revoked, Enroller::Learner) => Err(Refusal::Revoked),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_courses_admit_anyone_without_a_code() {
        assert_eq!(admission(Enrollment::Open, Enroller::Learner, false), Ok(Admission::Free));
        assert_eq!(admission(Enrollment::Open, Enroller::Learner, true), Ok(Admission::Free));
    }

    #[test]
    fn code_courses_need_a_code_from_learners() {
        assert_eq!(
            admission(Enrollment::Code, Enroller::Learner, false),
            Err(Refusal::CodeRequired)
        );
        assert_eq!(admission(Enrollment::Code, Enroller::Learner, true), Ok(Admission::WithCode));
    }

    #[test]
    fn invite_courses_admit_only_through_admins() {
        assert_eq!(
            admission(Enrollment::Invite, Enroller::Learner, true),
            Err(Refusal::InviteOnly)
        );
        assert_eq!(admission(Enrollment::Invite, Enroller::Admin, false), Ok(Admission::Free));
        assert_eq!(admission(Enrollment::Code, Enroller::Admin, false), Ok(Admission::Free));
    }

    #[test]
    fn enrolling_twice_is_harmless_and_expired_enrolments_can_be_renewed() {
        use EnrollmentStatus::*;
        assert_eq!(existing(Active, Enroller::Learner), Ok(Existing::AlreadyEnrolled));
        assert_eq!(existing(Completed, Enroller::Learner), Ok(Existing::AlreadyEnrolled));
        assert_eq!(existing(Expired, Enroller::Learner), Ok(Existing::Reenroll));
        assert_eq!(existing(Revoked, Enroller::Learner), Err(Refusal::Revoked));
        assert_eq!(existing(Revoked, Enroller::Admin), Ok(Existing::Reenroll));
    }

    #[test]
    fn status_round_trips_and_expires_with_time() {
        for s in [EnrollmentStatus::Active, EnrollmentStatus::Completed, EnrollmentStatus::Expired]
        {
            assert_eq!(EnrollmentStatus::parse(s.as_str()), s);
        }
        assert_eq!(EnrollmentStatus::parse("bogus"), EnrollmentStatus::Revoked);
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let active = EnrollmentStatus::Active;
        assert_eq!(active.as_of(Some(now), now), EnrollmentStatus::Expired);
        assert_eq!(active.as_of(Some(now + chrono::Duration::seconds(1)), now), active);
        assert_eq!(active.as_of(None, now), active);
        assert!(!EnrollmentStatus::Revoked.as_of(None, now).grants_access());
        assert!(EnrollmentStatus::Completed.grants_access());
    }
}
