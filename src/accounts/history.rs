//! A learner's "Account history": what the programme team (or the system) did to their
//! account, when, and the address only when the learner acted themselves: the entries of the
//! audit log whose target is their account.

use crate::accounts::{AccountError, Accounts};
use crate::db::DbError;
use crate::db::models::audit::{self, Filter};
use crate::domain::ids::UserId;

/// How many of their newest entries a learner sees on their account page.
pub const HISTORY_ENTRIES: i64 = 20;

/// Who took an action on a learner's account, as the learner is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActedBy {
    /// The learner.
    You,
    /// An admin (never named: the learner sees that it was the programme, not who).
    Programme,
    /// The operator at the command line or a scheduled job.
    System,
}

/// One line of a learner's account history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    pub action: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub by: ActedBy,
    /// Only on the learner's own actions; another person's address is never shown.
    pub ip: Option<String>,
}

impl Accounts {
    /// The newest entries about `user_id`'s account (reads only).
    pub async fn history(&self, user_id: UserId) -> Result<Vec<HistoryEntry>, AccountError> {
        let filter = Filter {
            target_type: Some("user".to_owned()),
            target_id: Some(user_id.to_string()),
            ..Filter::default()
        };
        let entries = self
            .db
            .run(move |conn| {
                audit::list(conn, &filter, None, HISTORY_ENTRIES).map_err(DbError::from)
            })
            .await?;
        Ok(entries.into_iter().map(|entry| owned_view(entry, user_id)).collect())
    }
}

fn owned_view(entry: audit::Entry, owner: UserId) -> HistoryEntry {
    let by = match entry.actor_id {
        Some(id) if id == owner.get() => ActedBy::You,
        Some(_) => ActedBy::Programme,
        None => ActedBy::System,
    };
    HistoryEntry {
        action: entry.action,
        at: entry.created_at.and_utc(),
        ip: entry.ip.filter(|_| by == ActedBy::You),
        by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(actor_id: Option<i64>) -> audit::Entry {
        audit::Entry {
            id: 1,
            actor_id,
            action: "user.role_changed".into(),
            target_type: "user".into(),
            target_id: "7".into(),
            detail: "{}".into(),
            created_at: chrono::NaiveDateTime::default(),
            ip: Some("203.0.113.9".into()),
        }
    }

    #[test]
    fn a_learner_sees_their_own_address_but_never_anyone_elses() {
        let owner = UserId::from(7);
        let own = owned_view(entry(Some(7)), owner);
        assert_eq!((own.by, own.ip.as_deref()), (ActedBy::You, Some("203.0.113.9")));
        let admin = owned_view(entry(Some(1)), owner);
        assert_eq!((admin.by, admin.ip), (ActedBy::Programme, None));
        let system = owned_view(entry(None), owner);
        assert_eq!((system.by, system.ip), (ActedBy::System, None));
    }
}
