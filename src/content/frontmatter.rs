//! Splitting `+++` TOML / `---` YAML front matter off a file and parsing it strictly.

use serde::de::DeserializeOwned;

use super::diagnostics::{Diagnostic, Source};

/// Which syntax the front matter block uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Toml,
    Yaml,
}

/// A file split into its front matter and body, with byte offsets into the original text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Split<'a> {
    format: Format,
    /// The text between the delimiter lines.
    pub meta: &'a str,
    /// Byte offset of `meta` in the original file.
    pub meta_offset: usize,
    /// The Markdown after the closing delimiter.
    pub body: &'a str,
    /// Byte offset of `body` in the original file.
    pub body_offset: usize,
}

/// Splits front matter off `source`; a file without it, or with an unclosed block, is an error.
pub(crate) fn split<'a>(source: &Source<'a>) -> Result<Split<'a>, Diagnostic> {
    let text = source.text;
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let (first, after_first) = line_at(text, start);
    let format = match first.trim_end() {
        "+++" => Format::Toml,
        "---" => Format::Yaml,
        _ => {
            return Err(source.error(
                start,
                "missing front matter: start the file with a `+++` line, then `title = \"...\"`, then `+++`",
            ));
        }
    };
    let mut pos = after_first;
    while pos < text.len() {
        let (line, next) = line_at(text, pos);
        if line.trim_end() == first.trim_end() {
            return Ok(Split {
                format,
                meta: &text[after_first..pos],
                meta_offset: after_first,
                body: &text[next..],
                body_offset: next,
            });
        }
        pos = next;
    }
    Err(source
        .error(start, format!("front matter opened with `{}` is never closed", first.trim_end())))
}

/// The line starting at `pos` (without its newline) and the offset of the next line.
fn line_at(text: &str, pos: usize) -> (&str, usize) {
    match text[pos..].find('\n') {
        Some(i) => (&text[pos..pos + i], pos + i + 1),
        None => (&text[pos..], text.len()),
    }
}

impl Split<'_> {
    /// Deserializes the front matter, reporting syntax errors and unknown keys at their place.
    pub fn parse<T: DeserializeOwned>(&self, source: &Source<'_>) -> Result<T, Diagnostic> {
        match self.format {
            Format::Toml => parse_toml(source, self.meta, self.meta_offset),
            Format::Yaml => parse_yaml(source, self.meta, self.meta_offset),
        }
    }

    /// Offset in the original file of the first line setting `key`, so that checks made after
    /// parsing can still point at the offending entry (falls back to the front matter's start).
    pub fn locate_key(&self, key: &str) -> usize {
        self.key_lines(key).next().map_or(self.meta_offset, |(at, _)| at)
    }

    /// Offset of `value` on the `nth` (0-based) line that sets `key` to exactly that value.
    pub fn locate_value(&self, key: &str, value: &str, nth: usize) -> usize {
        self.key_lines(key)
            .filter_map(|(at, line)| {
                let rest = line[key.len()..].trim_start().strip_prefix(['=', ':'])?;
                let written = rest.trim();
                let unquoted = written.trim_matches(|c| c == '"' || c == '\'');
                (unquoted == value).then(|| at + line.len() - rest.trim_start().len())
            })
            .nth(nth)
            .unwrap_or_else(|| self.locate_key(key))
    }

    /// Offset of `needle` (preferably quoted) after the line setting `key` (for list items).
    pub fn locate_after(&self, key: &str, needle: &str) -> usize {
        let start = self.locate_key(key);
        let rel = start - self.meta_offset;
        locate_in(&self.meta[rel..], start, needle)
    }

    /// Lines (with their offsets) that start, after indentation, with `key` and then `=` or `:`.
    fn key_lines<'k>(&self, key: &'k str) -> impl Iterator<Item = (usize, &str)> + 'k
    where
        Self: 'k,
    {
        let meta = self.meta;
        let base = self.meta_offset;
        meta.split_inclusive('\n')
            .scan(0, |pos, line| {
                let start = *pos;
                *pos += line.len();
                Some((start, line))
            })
            .filter_map(move |(start, line)| {
                let trimmed = line.trim_start().trim_start_matches("- ");
                let after = trimmed.strip_prefix(key)?.trim_start();
                after
                    .starts_with(['=', ':'])
                    .then(|| (base + start + line.len() - trimmed.len(), trimmed.trim_end()))
            })
    }
}

/// Offset of `needle` (preferably quoted) within `meta`, else of `meta` itself.
pub(crate) fn locate_in(meta: &str, meta_offset: usize, needle: &str) -> usize {
    let quoted = format!("\"{needle}\"");
    meta.find(&quoted).or_else(|| meta.find(needle)).map_or(meta_offset, |i| meta_offset + i)
}

/// Parses TOML found at `offset` of the source, using the toml crate's span for errors.
pub(crate) fn parse_toml<T: DeserializeOwned>(
    source: &Source<'_>,
    text: &str,
    offset: usize,
) -> Result<T, Diagnostic> {
    toml::from_str(text).map_err(|err| {
        let at = err.span().map_or(offset, |span| offset + span.start);
        source.error(at, err.message().trim().to_string())
    })
}

fn parse_yaml<T: DeserializeOwned>(
    source: &Source<'_>,
    text: &str,
    offset: usize,
) -> Result<T, Diagnostic> {
    serde_saphyr::from_str(text).map_err(|err| {
        let inner = Source::new(source.path, text);
        let at = err.location().map_or(offset, |loc| {
            let line = usize::try_from(loc.line()).unwrap_or(1);
            let col = usize::try_from(loc.column()).unwrap_or(1);
            offset + inner.offset_of(line, col)
        });
        source.error(at, yaml_message(&err))
    })
}

/// The first line of saphyr's message, without its own position suffix.
fn yaml_message(err: &serde_saphyr::Error) -> String {
    let rendered = err.without_snippet().to_string();
    let first = rendered.lines().next().unwrap_or("invalid YAML front matter");
    match first.find(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Meta {
        title: String,
    }

    fn parse(text: &str) -> Result<(Meta, usize), Diagnostic> {
        let source = Source::new(Path::new("l.md"), text);
        let split = split(&source)?;
        Ok((split.parse(&source)?, split.body_offset))
    }

    #[test]
    fn toml_and_yaml_front_matter_parse() {
        let (meta, body) = parse("+++\ntitle = \"A\"\n+++\nbody").unwrap();
        assert_eq!((meta.title.as_str(), body), ("A", 20));
        let (meta, _) = parse("---\ntitle: B\n---\nbody").unwrap();
        assert_eq!(meta.title, "B");
    }

    #[test]
    fn unknown_toml_key_points_at_the_key() {
        let err = parse("+++\ntitle = \"A\"\ntitel = \"B\"\n+++\n").unwrap_err();
        assert_eq!((err.line, err.col), (3, 1));
        assert!(err.message.starts_with("unknown field `titel`"), "{}", err.message);
    }

    #[test]
    fn unknown_yaml_key_points_at_the_key() {
        let err = parse("---\ntitle: A\ntitel: B\n---\n").unwrap_err();
        assert_eq!((err.line, err.col), (3, 1));
        assert!(err.message.contains("unknown field `titel`"), "{}", err.message);
    }

    #[test]
    fn malformed_toml_points_into_the_file() {
        let err = parse("+++\ntitle = \"A\"\nminutes = = 3\n+++\n").unwrap_err();
        assert_eq!((err.line, err.col), (3, 11));
    }

    #[test]
    fn missing_and_unclosed_front_matter_are_errors() {
        let err = parse("# Hello\n").unwrap_err();
        assert_eq!((err.line, err.col), (1, 1));
        assert!(err.message.starts_with("missing front matter"));
        let err = parse("+++\ntitle = \"A\"\n").unwrap_err();
        assert_eq!(err.message, "front matter opened with `+++` is never closed");
    }
}
