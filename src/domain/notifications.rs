//! What a learner chose about the mail Mend sends them: which kinds, when in their day, and how
//! discreetly. Security mail (verify, reset, changed email or password) is not governed here: it
//! always goes out, and is always neutral.

use std::fmt;

use chrono::{
    DateTime, Days, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

/// One kind of non-essential mail a learner can stop with one click. Each unsubscribe link is
/// signed for one learner and one topic ([`crate::auth::unsubscribe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Inactivity nudges for one enrolment (one course).
    Reminders(crate::domain::ids::EnrollmentId),
    /// "New lessons are open" mail.
    NewLessons,
    /// The opt-in weekly digest.
    Digest,
    /// Partner events after an accepted invitation (accepted, ended, waiting, signed).
    PartnerUpdates,
}

impl Topic {
    /// The compact, stable form used inside unsubscribe tokens: `r42`, `n`, `d`, `p`. It names
    /// no course, so a link read over a shoulder says nothing.
    pub fn code(self) -> String {
        match self {
            Self::Reminders(enrollment) => format!("r{enrollment}"),
            Self::NewLessons => "n".to_owned(),
            Self::Digest => "d".to_owned(),
            Self::PartnerUpdates => "p".to_owned(),
        }
    }

    /// Reads [`Topic::code`] back; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "n" => Some(Self::NewLessons),
            "d" => Some(Self::Digest),
            "p" => Some(Self::PartnerUpdates),
            _ => {
                let digits = code.strip_prefix('r')?;
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                digits.parse::<i64>().ok().map(|id| Self::Reminders(id.into()))
            }
        }
    }
}

/// Minutes after local midnight.
pub type LocalMinute = u16;

/// The part of the learner's day mail may arrive in, in their own time zone. Mail that falls
/// due outside it waits for the next opening. Start is before end (no window spans midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendWindow {
    start: LocalMinute,
    end: LocalMinute,
}

/// Why a send window was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// A time outside 00:00–24:00.
    #[error("times run from 00:00 to 24:00")]
    OutOfRange,
    /// Start not before end.
    #[error("the window must start before it ends")]
    Empty,
}

impl SendWindow {
    /// 09:00–20:00, the default for everyone who has not chosen.
    pub const DEFAULT: Self = Self { start: 9 * 60, end: 20 * 60 };

    /// A window from `start` to `end` minutes after local midnight (`end` may be 1440).
    pub fn new(start: LocalMinute, end: LocalMinute) -> Result<Self, WindowError> {
        if start >= 24 * 60 || end > 24 * 60 {
            return Err(WindowError::OutOfRange);
        }
        if start >= end {
            return Err(WindowError::Empty);
        }
        Ok(Self { start, end })
    }

    /// Minutes after local midnight the window opens.
    pub fn start(self) -> LocalMinute {
        self.start
    }

    /// Minutes after local midnight the window closes.
    pub fn end(self) -> LocalMinute {
        self.end
    }

    /// Whether `now` falls inside the window on the learner's wall clock (start inclusive, end
    /// exclusive). During a DST overlap both passes through a wall-clock hour count.
    pub fn contains(self, zone: Tz, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&zone);
        let minute = local.hour() * 60 + local.minute();
        u32::from(self.start) <= minute && minute < u32::from(self.end)
    }

    /// The first instant at or after `now` inside the window: `now` itself when open. A start
    /// swallowed by a DST gap opens at the first wall-clock minute that exists after it; a start
    /// that happens twice opens at the first pass not already behind `now`.
    pub fn next_open(self, zone: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
        if self.contains(zone, now) {
            return now;
        }
        let today = now.with_timezone(&zone).date_naive();
        // A window wholly inside a gap does not exist that day; the next day's will.
        (0..=3)
            .filter_map(|offset| today.checked_add_days(Days::new(offset)))
            .flat_map(|date| self.openings_on(zone, date))
            .filter(|at| *at > now && self.contains(zone, *at))
            .min()
            .unwrap_or(now + Duration::days(1))
    }

    /// The instants the window opens on local `date`: usually one, two when the start happens
    /// twice, the first existing minute after the start when a gap swallows it.
    fn openings_on(self, zone: Tz, date: NaiveDate) -> Vec<DateTime<Utc>> {
        let start = date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(self.start));
        (0..=24 * 60)
            .map(|minute| zone.from_local_datetime(&(start + Duration::minutes(minute))))
            .find_map(|mapped| match mapped {
                LocalResult::Single(at) => Some(vec![at.with_timezone(&Utc)]),
                LocalResult::Ambiguous(first, second) => {
                    Some(vec![first.with_timezone(&Utc), second.with_timezone(&Utc)])
                }
                LocalResult::None => None,
            })
            .unwrap_or_default()
    }
}

impl Default for SendWindow {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for SendWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: LocalMinute| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}–{}", hm(self.start), hm(self.end))
    }
}

/// A learner's choices. The defaults are the product's promise: nudges and new-lesson mail on,
/// the digest off until asked for, and discreet mode on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    /// "New lessons are open" mail.
    pub new_lessons: bool,
    /// Partner events after an accepted invitation.
    pub partner_updates: bool,
    /// The weekly digest (opt-in).
    pub digest: bool,
    /// Neutral sender, neutral subjects, no titles anywhere in the mail.
    pub discreet: bool,
    /// When in the learner's day mail may arrive.
    pub window: SendWindow,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            new_lessons: true,
            partner_updates: true,
            digest: false,
            discreet: true,
            window: SendWindow::DEFAULT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_codes_round_trip_and_reject_anything_else() {
        for topic in
            [Topic::Reminders(42.into()), Topic::NewLessons, Topic::Digest, Topic::PartnerUpdates]
        {
            assert_eq!(Topic::from_code(&topic.code()), Some(topic));
        }
        for bad in ["", "r", "r-1", "r1x", "x", "nn", "r+1"] {
            assert_eq!(Topic::from_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn windows_must_be_inside_the_day_and_not_empty() {
        assert_eq!(SendWindow::new(9 * 60, 20 * 60), Ok(SendWindow::DEFAULT));
        assert_eq!(SendWindow::new(0, 1440).map(|w| w.to_string()), Ok("00:00–24:00".into()));
        assert_eq!(SendWindow::new(600, 600), Err(WindowError::Empty));
        assert_eq!(SendWindow::new(700, 600), Err(WindowError::Empty));
        assert_eq!(SendWindow::new(1440, 1440), Err(WindowError::OutOfRange));
        assert_eq!(SendWindow::new(0, 1441), Err(WindowError::OutOfRange));
    }

    #[test]
    fn discreet_mode_is_on_and_the_digest_off_by_default() {
        let defaults = Preferences::default();
        assert!(defaults.discreet && !defaults.digest && defaults.new_lessons);
        assert_eq!(defaults.window.to_string(), "09:00–20:00");
    }
}
