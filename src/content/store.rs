//! The catalog being served, swapped atomically when content is recompiled, together with what
//! the last compile said (so authors can see why an edit is not live yet).

use std::sync::Arc;

use arc_swap::ArcSwapOption;
use chrono::{DateTime, Utc};

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

/// Lock-free access to the live catalog for every request; writers swap whole catalogs.
#[derive(Debug, Default)]
pub struct CatalogStore {
    live: ArcSwapOption<Catalog>,
    status: ArcSwapOption<CompileStatus>,
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

    /// Records a compile; its catalog replaces the live one only when it has no errors, so a
    /// broken edit never takes a working course offline.
    pub fn publish(&self, compilation: Compilation, now: DateTime<Utc>) {
        let published = compilation.catalog.is_some();
        if let Some(catalog) = compilation.catalog {
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
}
