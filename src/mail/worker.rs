//! The outbox worker: claim due messages, send each, record what happened. Several instances
//! can run against one database; the claim's lease makes each message go to one worker.

use std::time::Duration as StdDuration;

use chrono::Duration;
use futures_util::stream::{self, StreamExt};
use lettre::message::Mailbox;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::clock::SharedClock;
use diesel::QueryResult;

use crate::db::models::outbox::{self, OutboxMessage};
use crate::db::{Database, DbConnection};
use crate::mail::message::compose;
use crate::mail::{MailError, Mailer, retry};

/// Messages claimed per run. Large enough that a backlog drains at the transport's pace
/// (50 messages across [`SEND_CONCURRENCY`] connections), small enough that a slow server
/// cannot hold a batch near the lease: 50 / 4 rounds × 30 s timeout ≈ 6.5 min < [`LEASE`].
const BATCH_SIZE: i64 = 50;

/// Messages of a batch in flight at once: one per pooled SMTP connection, so none waits for a
/// connection while holding its claim. Each is still marked sent or failed on its own.
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
        Self { db, mailer, clock, from }
    }

    /// Claims one batch of due messages and tries each once. Returns how many were delivered;
    /// failures are recorded on their rows and rescheduled, not returned. An `Err` means the
    /// database could not be reached.
    pub async fn run_once(&self) -> Result<usize, MailError> {
        let claimed = self.claim().await?;
        let mut outcomes = stream::iter(claimed)
            .map(|message| self.deliver(message))
            .buffer_unordered(SEND_CONCURRENCY);
        let mut delivered = 0;
        let mut first_error = None;
        // Every started delivery is driven to its end even after a database error, so no row
        // is left half-recorded while its siblings are abandoned mid-send.
        while let Some(outcome) = outcomes.next().await {
            match outcome {
                Ok(true) => delivered += 1,
                Ok(false) => {}
                Err(error) => first_error = first_error.or(Some(error)),
            }
        }
        first_error.map_or(Ok(delivered), Err)
    }

    /// Runs [`Self::run_once`] every `interval` until the handle is stopped or dropped, inside
    /// the caller's current span.
    pub fn spawn(self, interval: StdDuration) -> WorkerHandle {
        let (stop, mut stopped) = watch::channel(());
        let span = tracing::Span::current();
        let task = tokio::spawn(
            async move {
                loop {
                    if let Err(error) = self.run_once().await {
                        tracing::error!(error = %error.log_reason(), "outbox run failed");
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

    /// Sends one claimed message and records the outcome; `Ok(true)` when it was delivered.
    #[tracing::instrument(skip_all, fields(outbox_id = message.id, kind = %message.kind))]
    async fn deliver(&self, message: OutboxMessage) -> Result<bool, MailError> {
        let attempt = message.attempts + 1;
        let sent = match compose(&self.from, &message, self.clock.now()) {
            Ok(mime) => self.mailer.send(mime).await,
            Err(error) => Err(error),
        };
        let id = message.id;
        let now = self.clock.now().naive_utc();
        match sent {
            Ok(()) => {
                self.write(move |conn| outbox::mark_sent(conn, id, now)).await?;
                tracing::info!(attempt, "email sent");
                Ok(true)
            }
            Err(error) => {
                let retry_at = retry::delay_after(attempt).map(|delay| now + delay);
                tracing::warn!(
                    attempt,
                    giving_up = retry_at.is_none(),
                    reason = %error.log_reason(),
                    "email not sent"
                );
                let detail = error.to_string();
                self.write(move |conn| outbox::mark_failed(conn, id, attempt, &detail, retry_at))
                    .await?;
                Ok(false)
            }
        }
    }
}
