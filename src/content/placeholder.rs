//! Placeholder lines shared by worksheets (`{{ field "id" }}`) and lessons
//! (`{{ reflection "id" }}`): one parser, so both read the same shape the same way.

/// What one line of a body is, for a given placeholder keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholder<'a> {
    /// Ordinary text.
    None,
    /// Starts with `{{` but is not `{{ keyword "id" }}`.
    Malformed,
    /// `{{ keyword "id" }}`, with the id.
    Id(&'a str),
}

/// Recognises `{{ keyword "id" }}` on its own line.
pub(crate) fn parse<'a>(line: &'a str, keyword: &str) -> Placeholder<'a> {
    let trimmed = line.trim();
    let Some(inner) = trimmed.strip_prefix("{{").and_then(|s| s.strip_suffix("}}")) else {
        return if trimmed.starts_with("{{") { Placeholder::Malformed } else { Placeholder::None };
    };
    let Some(rest) = inner.trim().strip_prefix(keyword) else {
        return Placeholder::Malformed;
    };
    let quoted = rest.trim();
    match quoted.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(id) if !id.is_empty() && !id.contains('"') => Placeholder::Id(id),
        _ => Placeholder::Malformed,
    }
}

/// Each line with its starting offset, newline included in the line.
pub(crate) fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split_inclusive('\n').scan(0, |offset, line| {
        let start = *offset;
        *offset += line.len();
        Some((start, line))
    })
}

/// Whether `id` may name a worksheet field or a reflection: a-z, 0-9 and `_` (the domain
/// checks ids in request paths with it too).
pub fn is_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised_per_keyword() {
        assert_eq!(parse("{{ field \"a_1\" }}\n", "field"), Placeholder::Id("a_1"));
        assert_eq!(parse("  {{reflection \"x\"}}", "reflection"), Placeholder::Id("x"));
        assert_eq!(parse("{{ field \"a\" }}", "reflection"), Placeholder::Malformed);
        assert_eq!(parse("{{ field a }}", "field"), Placeholder::Malformed);
        assert_eq!(parse("{{ field \"a\"", "field"), Placeholder::Malformed);
        assert_eq!(parse("Some {{ text }}", "field"), Placeholder::None);
    }

    #[test]
    fn lines_keep_their_offsets() {
        let got: Vec<_> = lines_with_offsets("ab\ncd\n\ne").collect();
        assert_eq!(got, [(0, "ab\n"), (3, "cd\n"), (6, "\n"), (7, "e")]);
    }
}
