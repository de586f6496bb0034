//! Search keys: what the admin People search compares, computed here rather than by the
//! database so SQLite (whose `lower()` only folds ASCII) and PostgreSQL match exactly alike.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds `text` for matching: compatibility-decomposed, accents (combining marks) dropped,
/// lower-cased, whitespace runs collapsed to one space. "Zoë  Ångström" becomes
/// "zoe angstrom", so a search for "zoe" or "ANGST" finds it.
pub fn fold(text: &str) -> String {
    let folded: String =
        text.nfkd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The stored key of an account: its address and display name, folded, one space apart.
pub fn account_key(email: &str, display_name: &str) -> String {
    format!("{} {}", fold(email), fold(display_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_case_accents_and_extra_spaces() {
        assert_eq!(fold("Zoë  Ångström"), "zoe angstrom");
        assert_eq!(fold("ÉLODIE"), "elodie");
        assert_eq!(fold("Ｆｕｌｌ"), "full", "compatibility forms fold too");
        assert_eq!(fold("שלום"), "שלום", "scripts without case are kept");
        assert_eq!(fold("😀 <b>"), "😀 <b>");
    }

    #[test]
    fn the_account_key_holds_address_and_name() {
        assert_eq!(account_key("ana@example.com", "Ana Peña"), "ana@example.com ana pena");
    }
}
