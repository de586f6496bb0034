//! The rules for reflections: what an answer may be, how a path names one, and when partners
//! see each other's answers. An answer is private until both partners have answered and both
//! chose to share; either can withdraw at any time, which hides both again. Pure: the
//! reflections service feeds it what is stored.

use std::fmt;

use crate::content::is_placeholder_id as is_id;
use crate::domain::worksheet::is_slug;

/// Longest answer, in characters: a few pages of writing.
pub const ANSWER_MAX: usize = 10_000;

/// Which reflection a page or API path names for the signed-in learner: their own answer to
/// prompt `reflection` of `lesson` in `course`. One learner can never address another's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReflectionKey {
    pub course: String,
    pub lesson: String,
    pub reflection: String,
}

impl ReflectionKey {
    /// The key from path segments; `None` when one could not name anything (the caller
    /// answers 404 without a lookup).
    pub fn parse(course: &str, lesson: &str, reflection: &str) -> Option<Self> {
        let valid = is_slug(course) && is_slug(lesson) && is_id(reflection);
        valid.then(|| Self {
            course: course.to_owned(),
            lesson: lesson.to_owned(),
            reflection: reflection.to_owned(),
        })
    }
}

impl fmt::Display for ReflectionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.course, self.lesson, self.reflection)
    }
}

/// Why an answer cannot be saved; the message never repeats what was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AnswerProblem {
    #[error("Please write something before saving. A few words are enough.")]
    Empty,
    #[error("This answer is too long to save (10,000 characters at most).")]
    TooLong,
    #[error("This answer holds a character we can't accept (a control character).")]
    ControlCharacter,
}

/// The answer as stored: trimmed at the ends, not empty, not too long, no control characters
/// but tabs and line breaks.
pub fn answer(typed: &str) -> Result<&str, AnswerProblem> {
    let text = typed.trim();
    if text.is_empty() {
        return Err(AnswerProblem::Empty);
    }
    if text.chars().count() > ANSWER_MAX {
        return Err(AnswerProblem::TooLong);
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(AnswerProblem::ControlCharacter);
    }
    Ok(text)
}

/// Where one partner stands on one prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Nothing written yet.
    Unanswered,
    /// Answered, kept private (never shared, or shared and withdrawn).
    Private,
    /// Answered, and willing to share once the partner has answered and shares too.
    Sharing,
}

impl Side {
    /// From what is stored: whether there is an answer, and its share flag.
    pub fn of(answered: bool, share: bool) -> Self {
        match (answered, share) {
            (false, _) => Self::Unanswered,
            (true, false) => Self::Private,
            (true, true) => Self::Sharing,
        }
    }
}

/// What a learner sees of a prompt beside their own answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    /// No partner link: the answer is a private journal entry.
    Journal,
    /// Linked, but the learner keeps this answer to themselves (or has not answered).
    Private,
    /// The learner shares; the partner's answer stays hidden until they have answered and
    /// share too (which of the two is missing is not said).
    Waiting,
    /// Both answered and both share: each sees the other's answer.
    Revealed,
}

impl Reveal {
    /// Whether the partner's answer is shown.
    pub fn shows_partner(self) -> bool {
        self == Self::Revealed
    }

    /// A stable name for the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Journal => "journal",
            Self::Private => "private",
            Self::Waiting => "waiting",
            Self::Revealed => "revealed",
        }
    }
}

/// The reveal rule. `partner` is `None` without a partner link.
pub fn reveal(me: Side, partner: Option<Side>) -> Reveal {
    match (me, partner) {
        (_, None) => Reveal::Journal,
        (Side::Sharing, Some(Side::Sharing)) => Reveal::Revealed,
        (Side::Sharing, Some(_)) => Reveal::Waiting,
        (Side::Unanswered | Side::Private, Some(_)) => Reveal::Private,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Taking a share back, as a learner unticking "share" does: the answer stays, private.
    fn withdrawn(side: Side) -> Side {
        match side {
            Side::Sharing => Side::Private,
            other => other,
        }
    }

    /// One partner's history on a prompt, as the table enumerates it.
    #[derive(Debug, Clone, Copy)]
    enum Step {
        NotAnswered,
        AnsweredPrivately,
        AnsweredShared,
        SharedThenWithdrawn,
    }

    const STEPS: [Step; 4] = [
        Step::NotAnswered,
        Step::AnsweredPrivately,
        Step::AnsweredShared,
        Step::SharedThenWithdrawn,
    ];

    fn side(step: Step) -> Side {
        match step {
            Step::NotAnswered => Side::of(false, false),
            Step::AnsweredPrivately => Side::of(true, false),
            Step::AnsweredShared => Side::of(true, true),
            Step::SharedThenWithdrawn => withdrawn(Side::of(true, true)),
        }
    }

    #[test]
    fn answers_are_revealed_only_when_both_answered_and_both_share() {
        for a in STEPS {
            for b in STEPS {
                let (mine, theirs) =
                    (reveal(side(a), Some(side(b))), reveal(side(b), Some(side(a))));
                let both = matches!((a, b), (Step::AnsweredShared, Step::AnsweredShared));
                assert_eq!(mine.shows_partner(), both, "{a:?} / {b:?}");
                assert_eq!(
                    mine.shows_partner(),
                    theirs.shows_partner(),
                    "symmetric: {a:?} / {b:?}"
                );
                let expected = match a {
                    _ if both => Reveal::Revealed,
                    Step::AnsweredShared => Reveal::Waiting,
                    _ => Reveal::Private,
                };
                assert_eq!(mine, expected, "{a:?} / {b:?}");
            }
        }
    }

    #[test]
    fn without_a_partner_every_answer_is_a_journal_entry() {
        for a in STEPS {
            assert_eq!(reveal(side(a), None), Reveal::Journal, "{a:?}");
        }
    }

    #[test]
    fn withdrawing_after_the_reveal_hides_both_again() {
        let (me, partner) = (Side::Sharing, Side::Sharing);
        assert_eq!(reveal(me, Some(partner)), Reveal::Revealed);
        assert_eq!(reveal(withdrawn(me), Some(partner)), Reveal::Private);
        assert_eq!(reveal(partner, Some(withdrawn(me))), Reveal::Waiting);
        assert_eq!(withdrawn(Side::Unanswered), Side::Unanswered);
    }

    #[test]
    fn answers_are_trimmed_and_checked() {
        assert_eq!(answer("  I felt heard.\n\nReally.  "), Ok("I felt heard.\n\nReally."));
        assert_eq!(answer(" \n\t "), Err(AnswerProblem::Empty));
        assert_eq!(answer(&"a".repeat(ANSWER_MAX)), Ok("a".repeat(ANSWER_MAX).as_str()));
        assert_eq!(answer(&"é".repeat(ANSWER_MAX + 1)), Err(AnswerProblem::TooLong));
        assert_eq!(answer("a\u{0}b"), Err(AnswerProblem::ControlCharacter));
        assert_eq!(answer("a\u{1b}b"), Err(AnswerProblem::ControlCharacter));
    }

    #[test]
    fn keys_name_only_well_formed_paths() {
        let key = ReflectionKey::parse("rebuilding-trust", "first-steps", "what_i_need").unwrap();
        assert_eq!(key.to_string(), "rebuilding-trust/first-steps/what_i_need");
        assert!(ReflectionKey::parse("Course", "l", "r").is_none());
        assert!(ReflectionKey::parse("c", "l", "with-dash").is_none());
        assert!(ReflectionKey::parse("c", "", "r").is_none());
    }
}
