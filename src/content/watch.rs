//! Recompiling when content changes, for `mend serve --watch`.

use std::path::PathBuf;
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use std::sync::Arc;

use super::{Compilation, Compiler, ContentError, EmailCheck};

/// How long the watcher waits for a burst of saves to settle before recompiling.
const DEBOUNCE: Duration = Duration::from_millis(100);

/// Keeps the watcher alive; dropping it stops watching.
pub struct WatchHandle {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

impl std::fmt::Debug for WatchHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WatchHandle")
    }
}

/// Watches `root` and calls `on_change` with a fresh (incremental) compile after each burst of
/// changes. The compiler's cache is warmed before watching starts, without calling `on_change`:
/// callers compile once themselves at start.
///
/// # Errors
/// [`ContentError`] when the first compile finds the root unusable or watching cannot start.
pub fn watch(
    root: PathBuf,
    on_change: impl Fn(Result<Compilation, ContentError>) + Send + 'static,
) -> Result<WatchHandle, ContentError> {
    start(Compiler::new(root.clone()), root, on_change)
}

/// [`watch`], checking email overrides with `check` on every recompile, so a broken override
/// keeps the last good catalog live like any other broken edit.
///
/// # Errors
/// As [`watch`].
pub fn watch_with(
    root: PathBuf,
    check: Arc<dyn EmailCheck>,
    on_change: impl Fn(Result<Compilation, ContentError>) + Send + 'static,
) -> Result<WatchHandle, ContentError> {
    start(Compiler::new(root.clone()).with_email_check(check), root, on_change)
}

fn start(
    mut compiler: Compiler,
    root: PathBuf,
    on_change: impl Fn(Result<Compilation, ContentError>) + Send + 'static,
) -> Result<WatchHandle, ContentError> {
    compiler.compile()?;
    let handler = move |events: DebounceEventResult| {
        match &events {
            Ok(events) if events.is_empty() => return,
            Ok(events) => tracing::debug!(count = events.len(), "content changed"),
            Err(errors) => tracing::warn!(?errors, "content watcher reported errors"),
        }
        on_change(compiler.compile());
    };
    let watch_error = |source| ContentError::Watch { path: root.clone(), source };
    let mut debouncer = new_debouncer(DEBOUNCE, None, handler).map_err(watch_error)?;
    debouncer.watch(&root, RecursiveMode::Recursive).map_err(watch_error)?;
    Ok(WatchHandle { _debouncer: debouncer })
}
