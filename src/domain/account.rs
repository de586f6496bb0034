//! Account inputs, parsed once at the edge so the rest of Mend never sees an unchecked value.

use std::fmt;
use std::str::FromStr;

use unicode_normalization::UnicodeNormalization;

/// What was wrong with an account field; the message is safe to show to the person typing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: &'static str,
}

impl FieldError {
    fn new(field: &'static str, message: &'static str) -> Self {
        Self { field, message }
    }
}

/// An email address, trimmed and lower-cased so one person has one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` shapes up to 254 characters; delivery proves the rest.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let email = input.trim().to_lowercase();
        let invalid = || FieldError::new("email", "Enter an email address like name@example.org.");
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name shown to a partner and on signatures: 1–80 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims, normalises to NFC and checks the length (in characters, not bytes). Control,
    /// bidirectional-override and invisible characters are refused, so one learner cannot
    /// pose as "Admin" to another.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let name: String = input.trim().nfc().collect();
        match name.chars().count() {
            0 => Err(FieldError::new("display_name", "Tell us what to call you.")),
            81.. => {
                Err(FieldError::new("display_name", "Use at most 80 characters for your name."))
            }
            _ if name.chars().any(|c| c.is_control() || is_hidden(c)) => {
                Err(FieldError::new("display_name", "Use letters, numbers and punctuation only."))
            }
            _ => Ok(Self(name)),
        }
    }

    /// The trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Characters that reorder or hide text: bidi embeddings, overrides and isolates, zero-width
/// spaces and joiners, directional marks and the byte-order mark.
fn is_hidden(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{FEFF}')
}

/// A new password: 8–128 characters of any kind, no composition rules (NIST SP 800-63B).
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    /// Checks length in characters; common-password screening is the auth module's job.
    pub fn parse(input: String) -> Result<Self, FieldError> {
        match input.chars().count() {
            0..8 => Err(FieldError::new("password", "Use at least 8 characters.")),
            129.. => Err(FieldError::new("password", "Use at most 128 characters.")),
            _ => Ok(Self(input)),
        }
    }

    /// The password itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Learner,
    Author,
    Admin,
}

impl Role {
    /// Every role, least power first.
    pub const ALL: [Self; 3] = [Self::Learner, Self::Author, Self::Admin];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Learner => "learner",
            Self::Author => "author",
            Self::Admin => "admin",
        }
    }

    /// Authors and admins see drafts, unpublished courses and content diagnostics.
    pub fn can_author(self) -> bool {
        matches!(self, Self::Author | Self::Admin)
    }
}

impl FromStr for Role {
    type Err = FieldError;

    /// Reads the stored spelling back (also what operators type).
    fn from_str(input: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == input)
            .ok_or(FieldError::new("role", "use learner, author or admin"))
    }
}

/// An IANA time zone chrono-tz knows, so drip dates and "opens on" are the learner's own days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    /// Where an account starts until the learner (or their browser) says otherwise.
    pub const UTC: Self = Self(chrono_tz::Tz::UTC);

    /// Accepts only exact IANA names ("Europe/London"), as offered by the profile's list.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        input
            .trim()
            .parse()
            .map(Self)
            .map_err(|_| FieldError::new("time_zone", "Choose a time zone from the list."))
    }

    /// The IANA name, as stored.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_their_stored_spelling() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert_eq!("Admin".parse::<Role>().unwrap_err().field, "role");
        assert!(
            !Role::Learner.can_author() && Role::Author.can_author() && Role::Admin.can_author()
        );
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(TimeZone::parse(" Europe/London ").unwrap().name(), "Europe/London");
        assert_eq!(TimeZone::parse("Mars/Olympus").unwrap_err().field, "time_zone");
        assert!(TimeZone::parse("").is_err());
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("  Sam@Example.ORG ").unwrap().as_str(), "sam@example.org");
        for bad in ["", "sam", "sam@", "@example.org", "sam@example", "a b@example.org", "sam@.org"]
        {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Alex ").unwrap().as_str(), "Alex");
        assert_eq!(DisplayName::parse("   ").unwrap_err().field, "display_name");
        assert!(DisplayName::parse(&"é".repeat(80)).is_ok());
        assert!(DisplayName::parse(&"é".repeat(81)).is_err());
    }

    #[test]
    fn display_names_refuse_hidden_characters_and_are_nfc() {
        for c in ('\u{202A}'..='\u{202E}')
            .chain('\u{2066}'..='\u{2069}')
            .chain('\u{200B}'..='\u{200F}')
            .chain(['\u{FEFF}'])
        {
            assert!(DisplayName::parse(&format!("Ad{c}min")).is_err(), "{c:?}");
        }
        assert_eq!(DisplayName::parse("Zoe\u{301}").unwrap().as_str(), "Zo\u{e9}");
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        assert!(NewPassword::parse("short".into()).is_err());
        assert!(NewPassword::parse("ñññññññ".into()).is_err());
        assert!(NewPassword::parse("ññññññññ".into()).is_ok());
        assert!(NewPassword::parse("x".repeat(129)).is_err());
        assert!(
            !format!("{:?}", NewPassword::parse("secret123".into()).unwrap()).contains("secret")
        );
    }
}
