//! Per-file caches that make recompiling after one edit cheap.

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::diagnostics::{Diagnostic, Severity, Source};

/// Largest source file read; larger ones are reported, not read (checked before reading).
pub(crate) const MAX_SOURCE_BYTES: u64 = 4 * 1024 * 1024;

/// A source file's text and its sha256 (hex).
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub text: Arc<str>,
    pub hash: Arc<str>,
}

/// Values kept from one compile to the next. Entries not used during a compile are dropped at
/// [`Generations::finish`], so deleted files do not linger.
#[derive(Debug)]
pub(crate) struct Generations<K, V> {
    current: HashMap<PathBuf, (K, V)>,
    next: HashMap<PathBuf, (K, V)>,
}

impl<K, V> Default for Generations<K, V> {
    fn default() -> Self {
        Self { current: HashMap::new(), next: HashMap::new() }
    }
}

impl<K: PartialEq + Clone, V: Clone> Generations<K, V> {
    /// The value for `path` if it was made under the same `key`, else a new one from `make`.
    pub fn get_or_make(&mut self, path: &Path, key: K, make: impl FnOnce() -> V) -> V {
        let value = match self.current.remove(path) {
            Some((old_key, value)) if old_key == key => value,
            _ => make(),
        };
        self.next.insert(path.to_path_buf(), (key, value.clone()));
        value
    }

    /// Ends a compile: what was not asked for is forgotten.
    pub fn finish(&mut self) {
        self.current = std::mem::take(&mut self.next);
    }
}

/// File size and modification time: a changed file changes at least one of them.
pub(crate) type Stamp = (u64, Option<SystemTime>);

/// Reads source files, re-reading only those whose size or modification time changed.
#[derive(Debug, Default)]
pub(crate) struct FileCache {
    files: Generations<Stamp, Result<Loaded, Diagnostic>>,
}

impl FileCache {
    /// The text of a source file, or why it cannot be used.
    pub fn load(&mut self, path: &Path) -> Result<Loaded, Diagnostic> {
        let meta = fs::metadata(path).map_err(|err| unreadable(path, &err))?;
        let stamp = (meta.len(), meta.modified().ok());
        self.files.get_or_make(path, stamp, || read_source(path, &meta))
    }

    /// Ends a compile (see [`Generations::finish`]).
    pub fn finish(&mut self) {
        self.files.finish();
    }
}

fn unreadable(path: &Path, err: &std::io::Error) -> Diagnostic {
    Diagnostic::whole_file(path, Severity::Error, format!("cannot read: {err}"))
}

/// Reads a file as UTF-8, refusing files over the size limit before reading them.
fn read_source(path: &Path, meta: &Metadata) -> Result<Loaded, Diagnostic> {
    let too_big = || {
        Diagnostic::whole_file(
            path,
            Severity::Error,
            format!(
                "file is {:.1} MB; source files are limited to 4 MB",
                meta.len() as f64 / 1_048_576.0
            ),
        )
    };
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    File::open(path)
        .and_then(|file| file.take(MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|err| unreadable(path, &err))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(too_big());
    }
    let hash: Arc<str> = super::sha256_hex(&bytes).into();
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Loaded { text: text.into(), hash }),
        Err(err) => Err(invalid_utf8(path, err.as_bytes(), err.utf8_error().valid_up_to())),
    }
}

/// Points at the first byte that is not UTF-8.
fn invalid_utf8(path: &Path, bytes: &[u8], valid_up_to: usize) -> Diagnostic {
    let valid = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or_default();
    Source::new(path, valid).error(valid_up_to, "file is not valid UTF-8 (save it as UTF-8)")
}
