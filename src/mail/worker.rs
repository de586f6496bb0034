//! The outbox worker: claim due messages, send each, record what happened. Several instances
//! can run against one database; the claim's lease makes each message go to one worker.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use futures_util::stream::{self, StreamExt};
use lettre::message::Mailbox;
use tokio::sync::mpsc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::clock::SharedClock;
use diesel::QueryResult;

use crate::db::models::outbox::{self, OutboxMessage};
use crate::db::{Database, DbConnection};
use crate::mail::deferred::with_words;
use crate::mail::message::compose;
use crate::mail::{DeferredMail, MailError, Mailer, retry};

/// Messages claimed per run. Enough to keep [`SEND_CONCURRENCY`] connections busy (a full
/// batch is claimed again at once, see [`OutboxWorker::spawn`]), few enough that even one
/// recipient's chain, sent in order, cannot outlast the lease: 25 × the 30 s SMTP timeout is
/// 12.5 min < [`LEASE`].
const BATCH_SIZE: i64 = 25;

/// Recipients of a batch served at once: one per pooled SMTP connection, so none waits for a
/// connection while holding its claim. Each row is still marked sent or failed on its own.
const SEND_CONCURRENCY: usize = crate::mail::mailer::SMTP_CONNECTIONS as usize;

/// How long a claim keeps other workers away. A worker that dies mid-batch delays its messages
/// by this much; it must exceed a full batch at the SMTP timeout (see [`BATCH_SIZE`]).
const LEASE: Duration = Duration::minutes(15);

/// Sends queued mail: one instance per process, driven by [`OutboxWorker::spawn`] in `serve`
/// or by [`OutboxWorker::run_once`] from tests and commands.
#[derive(Debug, Clone)]
pub struct OutboxWorker {
    db: Database,
    mailer: Mailer,
    clock: SharedClock,
    from: Mailbox,
    /// Writes the words of mail queued as facts (reminders); `None` where none is queued.
    deferred: Option<Arc<dyn DeferredMail>>,
}

/// Stops the background loop: explicitly with [`WorkerHandle::stop`], or when dropped.
#[derive(Debug)]
pub struct WorkerHandle {
    stop: watch::Sender<()>,
    task: JoinHandle<()>,
}

impl WorkerHandle {
    /// Asks the loop to stop after its current run and waits for it.
    pub async fn stop(self) {
        // An error only means the loop has already ended.
        let _ = self.stop.send(());
        if let Err(error) = self.task.await {
            tracing::error!(%error, "outbox worker ended abnormally");
        }
    }
}

impl OutboxWorker {
    /// A worker sending `from` the given address through `mailer`; "now" comes from `clock`.
    pub fn new(db: Database, mailer: Mailer, clock: SharedClock, from: Mailbox) -> Self {
        Self { db, mailer, clock, from, deferred: None }
    }

    /// The same worker, rendering mail queued as facts with `deferred` when it sends it.
    #[must_use]
    pub fn with_deferred(self, deferred: Arc<dyn DeferredMail>) -> Self {
        Self { deferred: Some(deferred), ..self }
    }

    /// Claims one batch of due messages and tries each once. Returns how many were delivered;
    /// failures are recorded on their rows and rescheduled, not returned. An `Err` means the
    /// database could not be reached.
    pub async fn run_once(&self) -> Result<usize, MailError> {
        self.run_batch().await.map(|(_, delivered)| delivered)
    }

    /// Runs [`Self::run_once`] every `interval` until the handle is stopped or dropped, inside
    /// the caller's current span. A full batch means a backlog, so the next is claimed at once
    /// instead of after `interval`: sending speed is the transport's, not the timer's.
    pub fn spawn(self, interval: StdDuration) -> WorkerHandle {
        let (stop, mut stopped) = watch::channel(());
        let span = tracing::Span::current();
        let task = tokio::spawn(
            async move {
                loop {
                    let backlog = match self.run_batch().await {
                        Ok((claimed, _)) => claimed == BATCH_SIZE as usize,
                        Err(error) => {
                            tracing::error!(error = %error.log_reason(), "outbox run failed");
                            false
                        }
                    };
                    if backlog && stopped.has_changed().is_ok_and(|changed| !changed) {
                        continue;
                    }
                    tokio::select! {
                        _ = stopped.changed() => break,
                        () = tokio::time::sleep(interval) => {}
                    }
                }
            }
            .instrument(span),
        );
        WorkerHandle { stop, task }
    }

    /// One claim and its deliveries: how many rows were claimed, how many delivered.
    ///
    /// Sending and recording run side by side: outcomes are written as soon as the previous
    /// write has committed, all that arrived meanwhile in one transaction (group commit). Each
    /// row still gets its own outcome (sent, or failed and rescheduled); what is shared is the
    /// commit, which on SQLite with `synchronous = FULL` costs an fsync and would otherwise cap
    /// sending at one message per fsync. A crash can leave only the messages of the commit in
    /// flight sent but unrecorded; they go again after the lease with the same `Message-ID`.
    async fn run_batch(&self) -> Result<(usize, usize), MailError> {
        let claimed = self.claim().await?;
        let count = claimed.len();
        let (outcomes, mut recorded) = mpsc::unbounded_channel();
        let send_all = async move {
            let outcomes = outcomes;
            stream::iter(by_recipient(claimed))
                .for_each_concurrent(SEND_CONCURRENCY, |chain| {
                    self.attempt_in_order(chain, &outcomes)
                })
                .await;
        };
        let record_all = async {
            let (mut delivered, mut first_error) = (0, None);
            let mut group = Vec::new();
            while recorded.recv_many(&mut group, BATCH_SIZE as usize).await > 0 {
                match self.record(std::mem::take(&mut group)).await {
                    Ok(sent) => delivered += sent,
                    Err(error) => first_error = first_error.or(Some(error)),
                }
            }
            (delivered, first_error)
        };
        let ((), (delivered, first_error)) = tokio::join!(send_all, record_all);
        first_error.map_or(Ok((count, delivered)), Err)
    }

    /// Sends one recipient's messages one after another, so they arrive in the order they
    /// were queued ("your password was changed" after the reset link, not before), handing
    /// each outcome to the recorder.
    async fn attempt_in_order(
        &self,
        chain: Vec<OutboxMessage>,
        outcomes: &mpsc::UnboundedSender<Outcome>,
    ) {
        for message in chain {
            // The recorder outlives every sender, so this cannot fail.
            let _ = outcomes.send(self.attempt(message).await);
        }
    }

    async fn claim(&self) -> Result<Vec<OutboxMessage>, MailError> {
        let now = self.clock.now().naive_utc();
        self.write(move |conn| outbox::claim_due(conn, now, BATCH_SIZE, LEASE)).await
    }

    /// One outbox query in its own write transaction on the blocking pool.
    async fn write<T, F>(&self, work: F) -> Result<T, MailError>
    where
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db.transaction(move |conn| work(conn).map_err(MailError::from)).await
    }

    /// Tries to send one claimed message, and says what should be recorded on its row.
    #[tracing::instrument(skip_all, fields(outbox_id = message.id, kind = %message.kind))]
    async fn attempt(&self, message: OutboxMessage) -> Outcome {
        let attempt = message.attempts + 1;
        let id = message.id;
        let composed = with_words(message, self.deferred.as_deref())
            .and_then(|message| compose(&self.from, &message, self.clock.now()));
        let sent = match composed {
            Ok(mime) => self.mailer.send(mime).await,
            Err(error) => Err(error),
        };
        let at = self.clock.now().naive_utc();
        let failure = match sent {
            Ok(()) => {
                tracing::info!(attempt, "email sent");
                None
            }
            Err(error) => {
                let retry_at = retry::delay_after(attempt).map(|delay| at + delay);
                tracing::warn!(
                    attempt,
                    giving_up = retry_at.is_none(),
                    reason = %error.log_reason(),
                    "email not sent"
                );
                Some(Failure { detail: error.to_string(), retry_at })
            }
        };
        Outcome { id, attempt, at, failure }
    }

    /// Writes a group of outcomes in one transaction, each on its own row; returns how many
    /// were deliveries.
    async fn record(&self, group: Vec<Outcome>) -> Result<usize, MailError> {
        self.write(move |conn| {
            let mut delivered = 0;
            for outcome in &group {
                match &outcome.failure {
                    None => {
                        outbox::mark_sent(conn, outcome.id, outcome.at)?;
                        delivered += 1;
                    }
                    Some(failure) => {
                        let Failure { detail, retry_at } = failure;
                        outbox::mark_failed(conn, outcome.id, outcome.attempt, detail, *retry_at)?;
                    }
                }
            }
            Ok(delivered)
        })
        .await
    }
}

/// What one attempt came to, on its way to the row.
#[derive(Debug)]
struct Outcome {
    id: i64,
    /// The attempt's number, counting from 1.
    attempt: i32,
    at: chrono::NaiveDateTime,
    /// `None` when the transport accepted the message.
    failure: Option<Failure>,
}

/// Why an attempt failed (stored on the row, never logged: it can quote the recipient) and
/// when to try again (`None`: give up).
#[derive(Debug)]
struct Failure {
    detail: String,
    retry_at: Option<chrono::NaiveDateTime>,
}

/// The claimed batch as one chain per recipient, each in claim order (due time, then id), the
/// chains in the order their first message was claimed.
fn by_recipient(claimed: Vec<OutboxMessage>) -> Vec<Vec<OutboxMessage>> {
    let mut chains: Vec<Vec<OutboxMessage>> = Vec::new();
    for message in claimed {
        match chains.iter_mut().find(|chain| chain[0].recipient == message.recipient) {
            Some(chain) => chain.push(message),
            None => chains.push(vec![message]),
        }
    }
    chains
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    fn message(id: i64, recipient: &str) -> OutboxMessage {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap().naive_utc();
        OutboxMessage {
            id,
            kind: "test".into(),
            recipient: recipient.into(),
            subject: "Hello".into(),
            body_text: "Words".into(),
            body_html: None,
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: at,
            locked_until: None,
            last_error: None,
            dedupe_key: None,
            created_at: at,
            sent_at: None,
            list_unsubscribe: None,
            auto_submitted: false,
            payload: None,
        }
    }

    #[test]
    fn each_recipients_messages_stay_in_claim_order() {
        let claimed = vec![message(1, "a"), message(2, "b"), message(3, "a"), message(4, "c")];
        let ids: Vec<Vec<i64>> =
            by_recipient(claimed).iter().map(|c| c.iter().map(|m| m.id).collect()).collect();
        assert_eq!(ids, [vec![1, 3], vec![2], vec![4]]);
    }

    #[test]
    fn the_lease_outlasts_a_batch_at_the_smtp_timeout() {
        let timeout = Duration::from_std(crate::mail::mailer::SMTP_TIMEOUT).unwrap();
        assert!(timeout * i32::try_from(BATCH_SIZE).unwrap() < LEASE);
    }
}
