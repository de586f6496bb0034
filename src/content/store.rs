//! The catalog being served, swapped atomically when content is recompiled, together with what
//! the last compile said (so authors can see why an edit is not live yet).

use std::sync::Arc;

use arc_swap::ArcSwapOption;
use chrono::{DateTime, Utc};

use super::changes::{LessonChange, lesson_changes, same_content};
use super::{Catalog, Compilation, Diagnostic, Summary};

/// The outcome of the most recent compile, good or bad.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CompileStatus {
    /// When it finished.
    pub compiled_at: DateTime<Utc>,
    /// Whether its catalog went live.
    pub published: bool,
    /// Every error and warning it reported.
    pub diagnostics: Vec<Diagnostic>,
    /// What it compiled.
    pub summary: Summary,
}

/// What the live build changed compared with the build that was live before it, so an author
/// can see that an edit went live and nothing else moved. Kept until a build with different
/// content goes live (a broken build changes nothing learners see, so it does not replace this).
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuildChanges {
    /// When the live build was compiled.
    pub built_at: DateTime<Utc>,
    /// When the build before it was compiled; `None` for the first build since the server
    /// started (there is nothing to compare it with).
    pub since: Option<DateTime<Utc>>,
    /// The lessons edited, added and removed; empty when nothing changed.
    pub lessons: Vec<LessonChange>,
}

/// Lock-free access to the live catalog for every request; writers swap whole catalogs.
#[derive(Debug, Default)]
pub struct CatalogStore {
    live: ArcSwapOption<Catalog>,
    status: ArcSwapOption<CompileStatus>,
    changes: ArcSwapOption<BuildChanges>,
}

impl CatalogStore {
    /// An empty store: nothing is served until a compile without errors is published.
    pub fn new() -> Self {
        Self::default()
    }

    /// The catalog to serve, if any compile has succeeded.
    pub fn current(&self) -> Option<Arc<Catalog>> {
        self.live.load_full()
    }

    /// The most recent compile's outcome.
    pub fn status(&self) -> Option<Arc<CompileStatus>> {
        self.status.load_full()
    }

    /// What the live build changed, once a build has gone live.
    pub fn changes(&self) -> Option<Arc<BuildChanges>> {
        self.changes.load_full()
    }

    /// Records a compile; its catalog replaces the live one only when it has no errors, so a
    /// broken edit never takes a working course offline.
    pub fn publish(&self, compilation: Compilation, now: DateTime<Utc>) {
        let published = compilation.catalog.is_some();
        if let Some(catalog) = compilation.catalog {
            self.record_changes(&catalog, now);
            self.live.store(Some(catalog));
        }
        let status = CompileStatus {
            compiled_at: now,
            published,
            diagnostics: compilation.diagnostics,
            summary: compilation.summary,
        };
        self.status.store(Some(Arc::new(status)));
    }

    /// Compares a catalog about to go live with the one it replaces (one writer at a time: the
    /// start-up compile, then the watcher's thread). A rebuild to the same content keeps the
    /// list, so touching a file does not hide what the last real edit changed.
    fn record_changes(&self, catalog: &Catalog, now: DateTime<Utc>) {
        let was = self.live.load_full();
        if was.as_deref().is_some_and(|was| same_content(was, catalog)) {
            return;
        }
        let since = self.changes.load().as_ref().map(|c| c.built_at);
        let lessons = was.map(|was| lesson_changes(&was, catalog)).unwrap_or_default();
        self.changes.store(Some(Arc::new(BuildChanges { built_at: now, since, lessons })));
    }
}
