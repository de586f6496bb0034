//! The in-process scheduler of `mend serve`: one scan every interval, as of the injectable
//! clock, until stopped. Several instances each run one; on PostgreSQL the scan lock lets one
//! of them scan per tick.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::clock::SharedClock;

use super::{Reminders, ScanMode};

/// Runs [`Reminders::scan`] on a timer.
#[derive(Debug, Clone)]
pub struct ReminderScheduler {
    reminders: Reminders,
    clock: SharedClock,
}

/// Stops the scheduler: explicitly with [`SchedulerHandle::stop`], or when dropped.
#[derive(Debug)]
pub struct SchedulerHandle {
    stop: watch::Sender<()>,
    task: JoinHandle<()>,
}

impl SchedulerHandle {
    /// Asks the loop to stop after its current scan and waits for it.
    pub async fn stop(self) {
        // An error only means the loop has already ended.
        let _ = self.stop.send(());
        if let Err(error) = self.task.await {
            tracing::error!(%error, "reminder scheduler ended abnormally");
        }
    }
}

impl ReminderScheduler {
    /// A scheduler scanning with `reminders` as of `clock`.
    pub fn new(reminders: Reminders, clock: SharedClock) -> Self {
        Self { reminders, clock }
    }

    /// The service it drives (tests scan on demand through it).
    pub fn reminders(&self) -> &Reminders {
        &self.reminders
    }

    /// One scan as of the clock's now, queueing what is due; failures are logged, not
    /// returned (the next tick tries again).
    pub async fn tick(&self) {
        if let Err(error) = self.reminders.scan(self.clock.now(), ScanMode::Send).await {
            tracing::error!(%error, "reminder scan failed");
        }
    }

    /// Scans every `interval` (the first at once) until the handle is stopped or dropped,
    /// inside the caller's current span.
    pub fn spawn(self, interval: Duration) -> SchedulerHandle {
        let (stop, mut stopped) = watch::channel(());
        let span = tracing::Span::current();
        let task = tokio::spawn(
            async move {
                loop {
                    self.tick().await;
                    tokio::select! {
                        _ = stopped.changed() => break,
                        () = tokio::time::sleep(interval) => {}
                    }
                }
            }
            .instrument(span),
        );
        SchedulerHandle { stop, task }
    }
}
