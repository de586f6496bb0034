//! Access codes: short, random, easy to read aloud or type from paper, and forgiving of case,
//! spaces and dashes when redeemed.

use std::fmt;

use rand::Rng;

/// Letters and digits nobody confuses: no 0/O, 1/I/L, so a code read from paper works.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// Characters of randomness in a code (31^10, about 49 bits).
const LENGTH: usize = 10;

/// A well-formed access code in its canonical form, `ABCD-EFGH-JK`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccessCode(String);

impl AccessCode {
    /// A new random code.
    pub fn generate(rng: &mut impl Rng) -> Self {
        let raw: String = (0..LENGTH)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        Self::group(&raw)
    }

    /// Reads what a learner typed: case, spaces and dashes do not matter. `None` when it cannot
    /// be a code, so obvious typos are refused without a database round trip.
    pub fn parse(input: &str) -> Option<Self> {
        let raw: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid = raw.len() == LENGTH && raw.bytes().all(|b| ALPHABET.contains(&b));
        valid.then(|| Self::group(&raw))
    }

    fn group(raw: &str) -> Self {
        let (a, rest) = raw.split_at(4);
        let (b, c) = rest.split_at(4);
        Self(format!("{a}-{b}-{c}"))
    }

    /// The canonical form, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccessCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_grouped_and_unambiguous() {
        let mut rng = rand::rng();
        for _ in 0..200 {
            let code = AccessCode::generate(&mut rng);
            let s = code.as_str();
            assert_eq!(s.len(), 12);
            assert_eq!((&s[4..5], &s[9..10]), ("-", "-"));
            assert!(!s.contains(['0', 'O', '1', 'I', 'L']), "{s}");
            assert_eq!(AccessCode::parse(s).unwrap(), code);
        }
    }

    #[test]
    fn parsing_ignores_case_spaces_and_dashes() {
        let code = AccessCode::parse("abcd-efgh-jk").unwrap();
        assert_eq!(code.as_str(), "ABCD-EFGH-JK");
        assert_eq!(AccessCode::parse(" abcdefghjk ").unwrap(), code);
        assert_eq!(AccessCode::parse("ab cd ef gh jk").unwrap(), code);
    }

    #[test]
    fn impossible_codes_are_refused() {
        assert_eq!(AccessCode::parse(""), None);
        assert_eq!(AccessCode::parse("ABCD-EFGH-J"), None, "too short");
        assert_eq!(AccessCode::parse("ABCD-EFGH-JKM"), None, "too long");
        assert_eq!(AccessCode::parse("ABCD-EFGH-J0"), None, "ambiguous digit");
        assert_eq!(AccessCode::parse("ÀBCD-EFGH-JK"), None);
    }
}
