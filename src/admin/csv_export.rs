//! The one CSV writer every admin export uses, so each one opens cleanly in a spreadsheet and
//! none can be turned against the person opening it:
//! - RFC 4180: comma separated, CRLF line ends, fields with commas, quotes or line breaks quoted
//!   and inner quotes doubled (the `csv` crate);
//! - UTF-8 with a byte order mark first, so Excel reads accents, emoji and RTL names correctly;
//! - formula-injection protection: a cell starting with `=`, `+`, `-`, `@`, tab or carriage
//!   return is prefixed with `'`, so a learner named `=HYPERLINK(…)` is shown, never run.
//!
//! Exports are written in batches ([`Sheet::rows`]), so a streamed response never holds the
//! whole file.

use std::borrow::Cow;

/// The UTF-8 byte order mark that starts every export.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The media type of every export.
pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// Writing a CSV batch failed (only possible through a bug: the writer targets memory).
#[derive(Debug, thiserror::Error)]
#[error("could not write CSV: {0}")]
pub struct CsvError(String);

/// One export's columns, and the encoder for its header and row batches.
#[derive(Debug, Clone)]
pub struct Sheet {
    columns: Vec<&'static str>,
}

impl Sheet {
    /// An export with these column names (plain words, in order).
    pub fn new(columns: &[&'static str]) -> Self {
        Self { columns: columns.to_vec() }
    }

    /// How many columns each row has.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// The file's first bytes: the byte order mark and the header line.
    pub fn header(&self) -> Result<Vec<u8>, CsvError> {
        let mut bytes = BOM.to_vec();
        bytes.extend(encode(std::iter::once(self.columns.iter().copied()))?);
        Ok(bytes)
    }

    /// A batch of rows, each cell protected against formula injection. A row whose length is
    /// not [`Sheet::width`] is a bug in the export; it is written anyway (the `csv` crate is
    /// told to allow it) rather than failing a download halfway.
    pub fn rows<R, C>(&self, rows: R) -> Result<Vec<u8>, CsvError>
    where
        R: IntoIterator<Item = C>,
        C: IntoIterator,
        C::Item: AsRef<str>,
    {
        let protected = rows.into_iter().map(|row| {
            row.into_iter().map(|cell| protect(cell.as_ref()).into_owned()).collect::<Vec<_>>()
        });
        encode(protected)
    }
}

/// `cell` made safe to open in a spreadsheet: prefixed with `'` when it starts with a
/// character a spreadsheet reads as the start of a formula (or strips before one).
pub fn protect(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// RFC 4180 records (CRLF, quoting only where needed).
fn encode<R, C>(records: R) -> Result<Vec<u8>, CsvError>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    for record in records {
        writer.write_record(record).map_err(|e| CsvError(e.to_string()))?;
    }
    writer.into_inner().map_err(|e| CsvError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_back(bytes: &[u8]) -> Vec<Vec<String>> {
        let text = std::str::from_utf8(bytes).unwrap().trim_start_matches('\u{feff}');
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
    }

    #[test]
    fn the_header_starts_with_a_bom_and_lines_end_in_crlf() {
        let sheet = Sheet::new(&["email", "name"]);
        let header = sheet.header().unwrap();
        assert!(header.starts_with(BOM));
        assert_eq!(&header[BOM.len()..], b"email,name\r\n");
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted_per_rfc_4180() {
        let sheet = Sheet::new(&["a", "b", "c"]);
        let rows = [["Lee, Sam", "say \"hi\"", "two\nlines"]];
        let bytes = sheet.rows(rows).unwrap();
        assert_eq!(bytes, b"\"Lee, Sam\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
        assert_eq!(read_back(&bytes), vec![vec!["Lee, Sam", "say \"hi\"", "two\nlines"]]);
    }

    #[test]
    fn formula_cells_are_prefixed_and_others_are_untouched() {
        for risky in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"] {
            assert_eq!(protect(risky), format!("'{risky}"), "{risky:?}");
        }
        for safe in ["", "Sam", "1-2", "a=b", "'quoted", "עברית", "😊 Robin", " =x"] {
            assert_eq!(protect(safe), safe, "{safe:?}");
        }
        let sheet = Sheet::new(&["name"]);
        let back = read_back(&sheet.rows([["=cmd|' /C calc'!A0"]]).unwrap());
        assert_eq!(back, vec![vec!["'=cmd|' /C calc'!A0"]]);
    }

    #[test]
    fn markup_emoji_and_right_to_left_text_survive_a_round_trip() {
        let names = ["<script>alert(1)</script>", "Zoë \"Z\" 😊", "مرحبا بالعالم", "\u{202e}abc"];
        let sheet = Sheet::new(&["name"]);
        let mut bytes = sheet.header().unwrap();
        bytes.extend(sheet.rows(names.iter().map(|n| [*n])).unwrap());
        let back = read_back(&bytes);
        assert_eq!(back[0], vec!["name"]);
        let read: Vec<&str> = back[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(read, names);
    }
}
