//! The test runner for the integration and browser binaries (`harness = false`): every test is
//! registered by [`both_backends!`](crate::both_backends) or [`test_case!`](crate::test_case),
//! and one whose database or browser is missing here is reported as *ignored*, not as passed.
//! libtest-mimic keeps libtest's command line (`cargo test NAME`, `--ignored`, `--exact`) and its
//! closing "test result: …" line, which CI reads.

use std::path::PathBuf;

/// What a test needs from the machine besides SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// A PostgreSQL server at `MEND_TEST_POSTGRES_URL`; `MEND_REQUIRE_POSTGRES=1` makes it
    /// mandatory (the test runs and fails without it).
    Postgres,
    /// Chromium and chromedriver on `PATH`; `MEND_REQUIRE_BROWSER=1` makes them mandatory.
    Browser,
    /// poppler (`pdftotext`, `pdfinfo`, `pdffonts`) and LibreOffice (`soffice`) on `PATH`, which
    /// read our documents back; `MEND_REQUIRE_DOCUMENT_READERS=1` makes them mandatory.
    DocumentReaders,
}

impl Requirement {
    /// Why a test needing this is skipped here, or `None` when it can run (or must).
    fn missing(self) -> Option<&'static str> {
        match self {
            Requirement::Postgres if required("MEND_REQUIRE_POSTGRES") || postgres_configured() => {
                None
            }
            Requirement::Postgres => Some("MEND_TEST_POSTGRES_URL is not set"),
            Requirement::Browser if required("MEND_REQUIRE_BROWSER") || browser_installed() => None,
            Requirement::Browser => Some("chromedriver or chromium is not installed"),
            Requirement::DocumentReaders
                if required("MEND_REQUIRE_DOCUMENT_READERS") || document_readers_installed() =>
            {
                None
            }
            Requirement::DocumentReaders => Some("poppler-utils or LibreOffice is not installed"),
        }
    }
}

fn required(variable: &str) -> bool {
    std::env::var(variable).as_deref() == Ok("1")
}

fn postgres_configured() -> bool {
    std::env::var("MEND_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty())
}

fn browser_installed() -> bool {
    find_program(&["chromedriver"]).is_some() && find_chromium().is_some()
}

fn document_readers_installed() -> bool {
    ["pdftotext", "pdfinfo", "pdffonts", "soffice"].iter().all(|p| find_program(&[p]).is_some())
}

/// The Chromium binary the browser tests drive.
pub fn find_chromium() -> Option<PathBuf> {
    find_program(&["chromium", "chromium-browser", "google-chrome"])
}

/// The first of `names` found on `PATH`.
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// One registered test: `module` and `name` give its libtest-style path.
pub struct TestCase {
    pub module: &'static str,
    pub name: &'static str,
    pub needs: &'static [Requirement],
    pub run: fn(),
}

inventory::collect!(TestCase);

impl TestCase {
    /// The test as libtest-mimic runs it: `accounts::register::sqlite`, ignored when a
    /// requirement is missing (the note goes to stderr, so a green run shows what it skipped).
    fn trial(&self) -> libtest_mimic::Trial {
        let module = self.module.split_once("::").map_or("", |(_crate, rest)| rest);
        let name = if module.is_empty() {
            self.name.to_owned()
        } else {
            format!("{module}::{}", self.name)
        };
        let missing: Vec<&str> = self.needs.iter().filter_map(|need| need.missing()).collect();
        let run = self.run;
        libtest_mimic::Trial::test(name, move || {
            run();
            Ok(())
        })
        .with_ignored_flag(!missing.is_empty())
    }
}

/// Runs every registered test (in name order) with libtest's arguments and exit code.
pub fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials: Vec<libtest_mimic::Trial> =
        inventory::iter::<TestCase>.into_iter().map(TestCase::trial).collect();
    trials.sort_by(|a, b| a.name().cmp(b.name()));
    libtest_mimic::run(&args, trials).exit();
}

/// Runs an async test body on its own actix system, as `#[actix_web::test]` does.
pub fn block_on(body: impl std::future::Future<Output = ()>) {
    actix_web::rt::System::new().block_on(body);
}

/// Registers one test that runs once (not per backend), optionally with requirements:
/// `test_case! { async fn name() { ... } }`, `test_case! { fn name() { ... } }`, or
/// `test_case! { needs [Browser, Postgres] async fn name() { ... } }`.
#[macro_export]
macro_rules! test_case {
    ($(#[$meta:meta])* $(needs [$($need:ident),*])? async fn $name:ident() $body:block) => {
        $(#[$meta])*
        fn $name() {
            $crate::runner::block_on(async $body);
        }
        $crate::test_case!(@register $name [$($($need),*)?]);
    };
    ($(#[$meta:meta])* $(needs [$($need:ident),*])? fn $name:ident() $body:block) => {
        $(#[$meta])*
        fn $name() $body
        $crate::test_case!(@register $name [$($($need),*)?]);
    };
    (@register $name:ident [$($need:ident),*]) => {
        inventory::submit! {
            $crate::runner::TestCase {
                module: module_path!(),
                name: stringify!($name),
                needs: &[$($crate::runner::Requirement::$need),*],
                run: $name,
            }
        }
    };
}

/// Every `.rs` file under `tests/`, recursively.
fn test_sources(dir: &std::path::Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).into_iter().flatten().flatten();
    entries
        .flat_map(|entry| {
            let path = entry.path();
            if path.is_dir() { test_sources(&path) } else { vec![path] }
        })
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect()
}

crate::test_case! {
    /// With `harness = false`, a `#[test]` or `#[actix_web::test]` function is compiled out
    /// without a word and would never run: every test goes through the runner's macros.
    fn every_test_is_registered_with_the_runner() {
        let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
        let attributes = ["#[test]", "#[actix_web::test]", "#[tokio::test]"];
        let unregistered: Vec<String> = test_sources(&tests)
            .iter()
            .flat_map(|path| {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                let found = text.lines().any(|line| attributes.contains(&line.trim()));
                found.then(|| path.display().to_string())
            })
            .collect();
        assert!(unregistered.is_empty(), "use test_case! or both_backends! in {unregistered:?}");
    }
}
