//! What a learner chose about the mail Mend sends them: which kinds, when in their day, and how
//! discreetly. Security mail (verify, reset, changed email or password) is not governed here: it
//! always goes out, and is always neutral.

use std::fmt;

use chrono::{
    DateTime, Days, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use crate::domain::account::FieldError;

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
            .unwrap_or_else(|| now.checked_add_signed(Duration::days(1)).unwrap_or(now))
    }

    /// The instants the window opens on local `date`: usually one, two when the start happens
    /// twice, the first existing minute after the start when a gap swallows it.
    fn openings_on(self, zone: Tz, date: NaiveDate) -> Vec<DateTime<Utc>> {
        let midnight = date.and_time(NaiveTime::MIN);
        let Some(start) = midnight.checked_add_signed(Duration::minutes(i64::from(self.start)))
        else {
            return Vec::new();
        };
        (0..=24 * 60)
            .map_while(|minute| start.checked_add_signed(Duration::minutes(minute)))
            .map(|local| zone.from_local_datetime(&local))
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

/// A time of day as a learner types it (`09:00`, `9:00` or `09:00:00`, as time inputs and
/// RFC 3339 partial-time send it), in minutes after midnight; `24:00` is the end of the day.
/// Seconds other than `00` are refused: the window is kept to the minute.
pub fn parse_local_time(text: &str) -> Option<LocalMinute> {
    let text = text.trim();
    let (hm, seconds) = match text.split(':').collect::<Vec<_>>()[..] {
        [h, m] => ((h, m), "00"),
        [h, m, s] => ((h, m), s),
        _ => return None,
    };
    let number = |part: &str, digits: std::ops::RangeInclusive<usize>| {
        (digits.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u16>().ok())
            .flatten()
    };
    let (hours, minutes) = (number(hm.0, 1..=2)?, number(hm.1, 2..=2)?);
    if number(seconds, 2..=2)? != 0 || minutes > 59 || hours > 24 || (hours == 24 && minutes > 0) {
        return None;
    }
    Some(hours * 60 + minutes)
}

/// `HH:MM` for minutes after midnight (`24:00` for the end of the day), as time inputs show it.
pub fn format_local_time(minute: LocalMinute) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

impl SendWindow {
    /// The window from two typed times (form fields `window_start` and `window_end`): each
    /// problem names its field. An end of `00:00` means midnight at the end of the day, which a
    /// browser's time input cannot write as `24:00`.
    pub fn parse(start: &str, end: &str) -> Result<Self, Vec<FieldError>> {
        let start = parse_local_time(start).filter(|m| *m < 24 * 60).ok_or(FieldError {
            field: "window_start",
            message: "Enter the time mail may start to arrive, like 09:00.",
        });
        let end =
            parse_local_time(end).map(|m| if m == 0 { 24 * 60 } else { m }).ok_or(FieldError {
                field: "window_end",
                message: "Enter the time mail should stop arriving, like 20:00.",
            });
        match (start, end) {
            (Ok(start), Ok(end)) => Self::new(start, end).map_err(|_| {
                vec![FieldError {
                    field: "window_end",
                    message: "The end must be later in the day than the start.",
                }]
            }),
            (start, end) => Err(start.err().into_iter().chain(end.err()).collect()),
        }
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

impl Preferences {
    /// These choices with one kind of mail stopped, as an unsubscribe link asks; reminders for
    /// a course are a switch on the enrolment, not here, so they leave the choices as they are.
    pub fn stopping(self, topic: Topic) -> Self {
        match topic {
            Topic::Reminders(_) => self,
            Topic::NewLessons => Self { new_lessons: false, ..self },
            Topic::Digest => Self { digest: false, ..self },
            Topic::PartnerUpdates => Self { partner_updates: false, ..self },
        }
    }

    /// The kinds of mail `self` stops that `before` still sent, so whatever of them is already
    /// queued can be withdrawn too: turning mail off must not leave one more in the outbox.
    pub fn topics_stopped(&self, before: &Self) -> Vec<Topic> {
        [
            (Topic::NewLessons, before.new_lessons && !self.new_lessons),
            (Topic::Digest, before.digest && !self.digest),
            (Topic::PartnerUpdates, before.partner_updates && !self.partner_updates),
        ]
        .into_iter()
        .filter_map(|(topic, stopped)| stopped.then_some(topic))
        .collect()
    }

    /// The names of the choices that differ between `self` and `other`, for the audit log.
    pub fn changed_fields(&self, other: &Self) -> Vec<&'static str> {
        [
            ("new_lessons", self.new_lessons != other.new_lessons),
            ("partner_updates", self.partner_updates != other.partner_updates),
            ("digest", self.digest != other.digest),
            ("discreet", self.discreet != other.discreet),
            ("window", self.window != other.window),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_kinds_turned_off_are_stopped() {
        let before = Preferences { digest: true, ..Preferences::default() };
        let after = Preferences { new_lessons: false, digest: false, discreet: false, ..before };
        assert_eq!(after.topics_stopped(&before), [Topic::NewLessons, Topic::Digest]);
        assert!(before.topics_stopped(&after).is_empty(), "turning mail on stops nothing");
        assert!(before.topics_stopped(&before).is_empty());
    }

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
    #[test]
    fn typed_times_parse_to_minutes_and_junk_is_refused() {
        for (text, minute) in
            [("09:00", 540), ("9:05", 545), ("20:00:00", 1200), ("00:00", 0), ("24:00", 1440)]
        {
            assert_eq!(parse_local_time(text), Some(minute), "{text}");
        }
        for bad in
            ["", "9", "9:5", "25:00", "24:01", "12:60", "12:00:30", "-1:00", "ab:cd", "1:2:3:4"]
        {
            assert_eq!(parse_local_time(bad), None, "{bad:?}");
        }
        assert_eq!(format_local_time(545), "09:05");
        assert_eq!(format_local_time(1440), "24:00");
    }

    #[test]
    fn a_typed_window_names_the_field_that_is_wrong() {
        assert_eq!(SendWindow::parse("09:00", "20:00"), Ok(SendWindow::DEFAULT));
        assert_eq!(SendWindow::parse("21:00", "00:00").map(|w| w.end()), Ok(1440));
        let fields = |r: Result<SendWindow, Vec<FieldError>>| {
            r.unwrap_err().into_iter().map(|e| e.field).collect::<Vec<_>>()
        };
        assert_eq!(fields(SendWindow::parse("nine", "20:00")), ["window_start"]);
        assert_eq!(fields(SendWindow::parse("24:00", "20:00")), ["window_start"]);
        assert_eq!(fields(SendWindow::parse("09:00", "")), ["window_end"]);
        assert_eq!(fields(SendWindow::parse("x", "y")), ["window_start", "window_end"]);
        assert_eq!(fields(SendWindow::parse("20:00", "09:00")), ["window_end"]);
    }

    #[test]
    fn stopping_a_topic_turns_off_only_that_choice() {
        let all = Preferences { digest: true, ..Preferences::default() };
        assert!(!all.stopping(Topic::Digest).digest);
        assert_eq!(all.stopping(Topic::Digest).changed_fields(&all), ["digest"]);
        assert!(!all.stopping(Topic::NewLessons).new_lessons);
        assert!(!all.stopping(Topic::PartnerUpdates).partner_updates);
        assert_eq!(all.stopping(Topic::Reminders(1.into())), all);
    }
}
