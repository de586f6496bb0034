//! Streaming a CSV export: the header first, then one database batch at a time, each read in
//! its own short unit of work, so a large export neither holds the whole file in memory nor a
//! connection for the whole download. Bytes come from [`crate::admin::csv_export::Sheet`].

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;

use crate::admin::csv_export::{CONTENT_TYPE, Sheet};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::web::state::AppState;

/// How many rows an export reads per unit of work.
pub const BATCH_ROWS: i64 = 500;

/// One batch of an export: its rows, and where the next batch starts (`None`: the last one).
#[derive(Debug)]
pub struct Batch<K> {
    pub rows: Vec<Vec<String>>,
    pub next: Option<K>,
}

/// Where the export is: the header not yet sent, a batch to read from a cursor, or done.
enum Step<K> {
    Header,
    From(Option<K>),
    Done,
}

/// A `200 text/csv` attachment named `filename`, streamed (chunked) batch by batch: `fetch`
/// reads the batch after a cursor (`None`: from the start) on a pooled connection. A failure
/// after the first bytes cannot change the status any more: it is logged and the download is
/// cut short, so the browser reports it as failed rather than saving half a file as whole.
pub fn stream<K, F>(state: &AppState, filename: &str, sheet: Sheet, fetch: F) -> HttpResponse
where
    K: Send + 'static,
    F: Fn(&mut DbConnection, Option<K>) -> Result<Batch<K>, AppError> + Clone + Send + 'static,
{
    let db = state.db.clone();
    let body = futures_util::stream::unfold(Step::Header, move |step| {
        let (db, sheet, fetch) = (db.clone(), sheet.clone(), fetch.clone());
        async move {
            let (bytes, next) = match step {
                Step::Done => return None,
                Step::Header => (sheet.header().map_err(internal), Step::From(None)),
                Step::From(cursor) => match db.run(move |conn| fetch(conn, cursor)).await {
                    Ok(batch) => {
                        let next = batch.next.map_or(Step::Done, |k| Step::From(Some(k)));
                        (sheet.rows(batch.rows).map_err(internal), next)
                    }
                    Err(error) => (Err(error), Step::Done),
                },
            };
            let next = if bytes.is_err() { Step::Done } else { next };
            Some((bytes.map(Bytes::from).inspect_err(log_cut_short), next))
        }
    });
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((header::CONTENT_DISPOSITION, attachment(filename)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

fn internal(error: crate::admin::csv_export::CsvError) -> AppError {
    AppError::Internal(Box::new(error))
}

fn log_cut_short(error: &AppError) {
    tracing::error!(error = %crate::error::cause_chain(error), "CSV export cut short");
}

/// `attachment; filename="…"` with anything but a safe file-name character replaced, so a
/// name can never break out of the header.
fn attachment(filename: &str) -> String {
    let safe: String = filename
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    format!("attachment; filename=\"{safe}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_names_cannot_break_the_header() {
        assert_eq!(
            attachment("audit-2026-03-02.csv"),
            "attachment; filename=\"audit-2026-03-02.csv\""
        );
        assert_eq!(attachment("a\"b\r\nc.csv"), "attachment; filename=\"a_b__c.csv\"");
    }
}
