//! Times in JSON. The database keeps naive UTC; every JSON document says so, as an RFC 3339
//! date-time with `Z` (`2026-12-01T20:07:59.579165Z`), never a naive time a client must guess.
//! Use with `#[serde(serialize_with = "crate::domain::utc::serialize")]` (or `::optional`).

use chrono::NaiveDateTime;
use serde::{Serialize, Serializer};

/// Serialises a naive UTC time as RFC 3339 with `Z`.
pub fn serialize<S: Serializer>(at: &NaiveDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    at.and_utc().serialize(serializer)
}

/// [`serialize`] for a time that may be missing (`null`).
pub fn optional<S: Serializer>(
    at: &Option<NaiveDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    at.map(|at| at.and_utc()).serialize(serializer)
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize)]
    struct Times {
        #[serde(serialize_with = "super::serialize")]
        at: chrono::NaiveDateTime,
        #[serde(serialize_with = "super::optional")]
        maybe: Option<chrono::NaiveDateTime>,
    }

    #[test]
    fn times_end_in_z() {
        let at = chrono::DateTime::from_timestamp(1_796_155_679, 0).unwrap().naive_utc();
        let json = serde_json::to_string(&Times { at, maybe: Some(at) }).unwrap();
        assert_eq!(json, r#"{"at":"2026-12-01T20:07:59Z","maybe":"2026-12-01T20:07:59Z"}"#);
    }
}
