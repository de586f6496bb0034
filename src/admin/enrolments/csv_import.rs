//! Reading a cohort spreadsheet: `email,name,course,expires_at` with a header row (any order,
//! extra columns ignored), UTF-8 with or without a byte-order mark, RFC 4180 quoting (commas,
//! quotes and line breaks inside quoted fields), CRLF or LF. Each row keeps the line it starts
//! on, so the preview can say "line 14".

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// The largest file accepted (10 MB): a cohort of tens of thousands of rows fits many times.
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;

/// The limit as people read it, for the 413 message.
pub const MAX_IMPORT_LABEL: &str = "10 MB";

/// Why a whole file was refused (row problems are reported per row instead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("The file is larger than the {MAX_IMPORT_LABEL} limit.")]
    TooLarge,
    #[error(
        "The file is not UTF-8 text (first bad byte on line {line}). Save it as \"CSV UTF-8\" and try again."
    )]
    NotUtf8 { line: u64 },
    #[error("The file is empty: it needs a header row such as email,name,course,expires_at.")]
    Empty,
    #[error("The header row has no \"{0}\" column (the columns are email,name,course,expires_at).")]
    MissingColumn(&'static str),
    #[error("The file could not be read as CSV near line {line}.")]
    Malformed { line: u64 },
}

/// One data row as written in the file, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    pub email: String,
    pub name: String,
    pub course: String,
    pub expires_at: String,
}

/// Where each known column is in the header.
struct Columns {
    email: usize,
    name: Option<usize>,
    course: usize,
    expires_at: Option<usize>,
}

impl Columns {
    fn find(header: &csv::StringRecord) -> Result<Self, FileError> {
        let position = |name: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
        Ok(Self {
            email: position("email").ok_or(FileError::MissingColumn("email"))?,
            name: position("name"),
            course: position("course").ok_or(FileError::MissingColumn("course"))?,
            expires_at: position("expires_at"),
        })
    }

    fn row(&self, line: u64, record: &csv::StringRecord) -> RawRow {
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim().to_owned();
        RawRow {
            line,
            email: cell(Some(self.email)),
            name: cell(self.name),
            course: cell(Some(self.course)),
            expires_at: cell(self.expires_at),
        }
    }
}

/// Checks the bytes are UTF-8 text, naming the line of the first bad byte.
pub fn decode(bytes: &[u8]) -> Result<&str, FileError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(FileError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|error| {
        let before = bytes.get(..error.valid_up_to()).unwrap_or_default();
        let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
        FileError::NotUtf8 { line }
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Every data row of the file; rows with no cell filled in are skipped (a spreadsheet's
/// trailing blank lines).
pub fn parse(bytes: &[u8]) -> Result<Vec<RawRow>, FileError> {
    let text = decode(bytes)?;
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(error)) => return Err(malformed(&error)),
        None => return Err(FileError::Empty),
    };
    let columns = Columns::find(&header)?;
    let mut rows = Vec::new();
    let mut lines = LineCounter::new(text.as_bytes());
    for record in records {
        let record = record.map_err(|e| malformed(&e))?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let offset = record.position().map_or(0, csv::Position::byte);
        let line = lines.line_at(usize::try_from(offset).unwrap_or(usize::MAX));
        rows.push(columns.row(line, &record));
    }
    Ok(rows)
}

/// Which line a record starts on, from its byte offset. The reader's own line count lags
/// behind after a CRLF or a blank line (it takes the position before skipping line breaks),
/// so the breaks are counted here, once over the whole file.
struct LineCounter<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self { text, at: 0, line: 1 }
    }

    /// The line of the first byte at or after `offset` that is not a line break.
    fn line_at(&mut self, offset: usize) -> u64 {
        let mut start = offset.max(self.at);
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let between = self.text.get(self.at..start).unwrap_or_default();
        self.line += between.iter().filter(|b| **b == b'\n').count() as u64;
        self.at = start;
        self.line
    }
}

fn malformed(error: &csv::Error) -> FileError {
    FileError::Malformed { line: error.position().map_or(0, csv::Position::line) }
}

/// Reads an expiry cell: empty (no expiry), a date `YYYY-MM-DD` (access lasts through that UTC
/// day) or an RFC 3339 time. `None` when it is none of these.
pub fn parse_expiry(cell: &str) -> Option<Option<NaiveDateTime>> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Some(None);
    }
    if let Ok(day) = NaiveDate::parse_from_str(cell, "%Y-%m-%d") {
        return day.succ_opt().map(|next| Some(next.and_time(NaiveTime::MIN)));
    }
    DateTime::parse_from_rfc3339(cell).ok().map(|at| Some(at.with_timezone(&Utc).naive_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_in_any_order_bom_crlf_and_quoted_fields() {
        let file = "\u{feff}course,extra,Email,name\r\nbasics,x,a@example.org,\"Lee, \"\"Sam\"\"\nSecond\"\r\n,,,\r\nbasics,,b@example.org,B\r\n";
        let rows = parse(file.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].email, "a@example.org");
        assert_eq!(rows[0].name, "Lee, \"Sam\"\nSecond");
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].line, 5);
        assert_eq!(rows[1].expires_at, "");
        let lf = parse(b"email,course\na@b.cd,x\n\nb@b.cd,y\n").unwrap();
        assert_eq!(lf.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
    }

    #[test]
    fn whole_file_problems_are_named() {
        assert_eq!(parse(b""), Err(FileError::Empty));
        assert_eq!(parse(b"name,course\nx,y\n"), Err(FileError::MissingColumn("email")));
        assert_eq!(parse(b"email,course\na@b.c,x\n\xff\n"), Err(FileError::NotUtf8 { line: 3 }));
        let big = vec![b'a'; MAX_IMPORT_BYTES + 1];
        assert_eq!(parse(&big), Err(FileError::TooLarge));
    }

    #[test]
    fn expiry_cells() {
        assert_eq!(parse_expiry(""), Some(None));
        let through = parse_expiry("2027-01-31").unwrap().unwrap();
        assert_eq!(through.to_string(), "2027-02-01 00:00:00");
        assert!(parse_expiry("2027-01-31T10:00:00+01:00").unwrap().is_some());
        assert_eq!(parse_expiry("31/01/2027"), None);
    }
}
