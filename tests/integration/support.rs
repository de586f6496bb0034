//! Test fixtures: a fresh database per test on SQLite or PostgreSQL, and the real application
//! spawned on a random port against it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use mend::clock::TestClock;
use mend::config::{DatabaseUrl, Origin, RawSettings, Settings};
use mend::db::Database;
use mend::db::models::outbox;
use mend::mail::OutboxWorker;
use mend::startup::Application;
use tempfile::TempDir;
use tracing::Instrument;

use crate::logs::LogCapture;
use crate::smtp::{Received, SmtpSink};

/// The server secret every test app uses, so tests can forge tokens with the right key.
pub const TEST_SECRET_HEX: &str =
    "6d656e642d746573742d7365637265742d6b65792d3235362d626974732d2121";

/// The unsubscribe links a test app signs (it runs with [`TEST_SECRET_HEX`]).
pub fn unsubscribe_key() -> mend::auth::unsubscribe::UnsubscribeKey {
    let secret = mend::auth::keys::SecretKey::from_hex(TEST_SECRET_HEX).unwrap();
    mend::auth::unsubscribe::UnsubscribeKey::new(&secret)
}

/// Partner-update mail as a test app at `base_url` sends it, for tests that call services
/// directly.
pub fn partner_updates(base_url: &str) -> mend::mail::PartnerUpdates {
    let emails = Arc::new(mend::templates::EmailTemplates::load().unwrap());
    mend::mail::PartnerUpdates::new(emails, url::Url::parse(base_url).unwrap(), unsubscribe_key())
}

/// Which database a test body runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists only for one test, dropped afterwards.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub dir: TempDir,
    pg_name: Option<(String, String)>,
    /// Set by [`TestDb::destroy`]: there is nothing left to check at teardown.
    destroyed: std::sync::atomic::AtomicBool,
}

impl TestDb {
    /// A fresh, empty database, or `None` when PostgreSQL is not configured and not required.
    pub fn create(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let url = DatabaseUrl::Sqlite(dir.path().join("db/mend.db"));
                Some(Self { url, dir, pg_name: None, destroyed: Default::default() })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url()?;
                let name = format!("mend_test_{}", random_suffix());
                let mut admin = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
                    panic!("MEND_TEST_POSTGRES_URL is set but unreachable: {e}")
                });
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).unwrap();
                let url = with_database(&admin_url, &name);
                Some(Self {
                    url: DatabaseUrl::Postgres(url),
                    dir,
                    pg_name: Some((admin_url, name)),
                    destroyed: Default::default(),
                })
            }
        }
    }

    /// The URL as an operator would write it in `DATABASE_URL`.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    /// Makes the database vanish under a running application.
    pub fn destroy(&self) {
        self.destroyed.store(true, std::sync::atomic::Ordering::Relaxed);
        match (&self.url, &self.pg_name) {
            (DatabaseUrl::Sqlite(path), _) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            (DatabaseUrl::Postgres(_), Some((admin_url, name))) => {
                drop_pg_database(admin_url, name)
            }
            (DatabaseUrl::Postgres(_), None) => {}
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.pg_name {
            drop_pg_database(admin_url, name);
        }
    }
}

fn drop_pg_database(admin_url: &str, name: &str) {
    if let Ok(mut admin) = PgConnection::establish(admin_url) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin);
    }
}

/// `MEND_TEST_POSTGRES_URL`, or a loud failure when `MEND_REQUIRE_POSTGRES=1` and it is missing.
fn postgres_admin_url() -> Option<String> {
    match std::env::var("MEND_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("MEND_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
            panic!("MEND_REQUIRE_POSTGRES=1 but MEND_TEST_POSTGRES_URL is not set")
        }
        _ => None,
    }
}

fn with_database(admin_url: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin_url).unwrap();
    url.set_path(name);
    url.to_string()
}

fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..12).map(|_| char::from(b'a' + rng.random_range(0..26))).collect()
}

/// Where the repository's sample course lives.
pub fn sample_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// A private, editable copy of the sample course.
pub fn copy_of_sample_content(into: &Path) -> PathBuf {
    let target = into.join("content");
    copy_dir(&sample_content(), &target);
    target
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Polls `check` until it returns `Some`, failing after `deadline` (no fixed sleeps).
pub async fn eventually<T, F, Fut>(what: &str, deadline: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = std::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(started.elapsed() < deadline, "timed out waiting for {what}");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// Settings for a test: port 0, its own data dir and database.
pub fn test_settings(db: &TestDb) -> Settings {
    Settings::from_raw(&raw_test_settings(db)).unwrap()
}

/// The raw settings behind [`test_settings`], for tests that add their own.
pub fn raw_test_settings(db: &TestDb) -> RawSettings {
    let mut raw = RawSettings::defaults();
    let mut set = |name: &str, value: String| raw.set(name, value, Origin::Default);
    set("database_url", db.url_string());
    set("bind", "127.0.0.1:0".into());
    set("data_dir", db.dir.path().join("data").display().to_string());
    set("content_dir", sample_content().display().to_string());
    set("db_pool_size", "4".into());
    raw
}

/// A running application and its database, its clock, and the SMTP server its mail goes to.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub test_db: TestDb,
    pub clock: Arc<TestClock>,
    pub mail: SmtpSink,
    pub db: Database,
    /// The app's own outbox worker, driven by the test instead of a timer: due mail is sent when
    /// a test waits for it.
    outbox: OutboxWorker,
    /// How many messages to each address the test has read (see [`TestApp::mail_to`]); mail
    /// left unsent or unread fails the test when the app is dropped.
    mail_read: Mutex<HashMap<String, usize>>,
    logs: LogCapture,
}

/// A fixed, readable start time for every test clock.
pub fn epoch() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z").unwrap().with_timezone(&Utc)
}

impl TestApp {
    /// Spawns the real application on a random port with a fresh database.
    pub async fn create(backend: Backend) -> Option<Self> {
        Self::create_with(backend, |_| {}).await
    }

    /// Like [`TestApp::create`], with settings adjusted first (e.g. another content folder).
    pub async fn create_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Option<Self> {
        let test_db = TestDb::create(backend)?;
        let mail = SmtpSink::start();
        let mut raw = raw_test_settings(&test_db);
        raw.set("smtp_url", mail.url(), Origin::Default);
        raw.set("secret_key", TEST_SECRET_HEX.into(), Origin::Default);
        let mut settings = Settings::from_raw(&raw).unwrap();
        adjust(&mut settings);
        let clock = TestClock::at(epoch());
        let mut app = Application::build(settings, clock.clone()).await.unwrap();
        let outbox = app.take_outbox().expect("the app's outbox worker");
        let instance = format!("127.0.0.1:{}", app.port());
        let logs = LogCapture::start(instance.clone());
        actix_web::rt::spawn(app.run_until_stopped());
        let db = Database::connect(&test_db.url, 2).unwrap();
        let address = format!("http://{instance}");
        let client = Self::browser();
        let mail_read = Mutex::default();
        Some(Self { address, client, test_db, clock, mail, db, outbox, mail_read, logs })
    }

    /// A fresh client with its own cookie jar: another browser or device.
    pub fn browser() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap()
    }

    /// Waits for the `count`-th message to `to`, sending due mail meanwhile; every message to
    /// `to` returned counts as read.
    pub async fn mail_to(&self, to: &str, count: usize) -> Vec<Received> {
        let what = format!("mail {count} to {to}");
        let received = eventually(&what, std::time::Duration::from_secs(10), || async {
            self.send_due_mail().await;
            let received = received_by(&self.mail.received(), to);
            (received.len() >= count).then_some(received)
        })
        .await;
        lock(&self.mail_read).insert(to.to_owned(), received.len());
        received
    }

    /// Sends all due mail and returns everything received, marking it read: for tests whose
    /// mail is a side effect they do not check.
    pub async fn read_all_mail(&self) -> Vec<Received> {
        while self.send_due_mail().await > 0 {}
        let received = self.mail.received();
        let mut read = lock(&self.mail_read);
        for to in received.iter().flat_map(|m| &m.to) {
            read.insert(to.clone(), received_by(&received, to).len());
        }
        received
    }

    /// Runs the app's outbox worker once (returning how many it sent), under the app's `instance` like its own loop would be.
    async fn send_due_mail(&self) -> usize {
        let span = tracing::info_span!("outbox", instance = %self.logs.instance());
        self.outbox.run_once().instrument(span).await.unwrap()
    }

    /// What this app has logged so far (its requests and its outbox runs), and nothing else.
    pub fn logs(&self) -> String {
        self.logs.text()
    }

    /// Fails the test on mail that was queued but never sent, or sent but never read: as
    /// crates.io's test app fails on jobs left in the queue.
    fn assert_mail_settled(&self) {
        let mut conn = self.db.connection().unwrap();
        for status in [outbox::STATUS_PENDING, outbox::STATUS_FAILED] {
            let left = outbox::count_by_status(&mut conn, status).unwrap();
            assert_eq!(left, 0, "{left} queued mail(s) left {status}: the test never sent them");
        }
        let received = self.mail.received();
        let read = lock(&self.mail_read);
        for to in received.iter().flat_map(|m| &m.to) {
            let unread = received_by(&received, to).len() - read.get(to).copied().unwrap_or(0);
            assert_eq!(unread, 0, "{unread} mail(s) to {to} never read by the test");
        }
    }

    /// The path and query of the link to `path` in the latest mail to `to`.
    pub async fn link_to(&self, to: &str, count: usize, path: &str) -> String {
        let mail = self.mail_to(to, count).await;
        let text = mail[count - 1].parsed().body_text(0).unwrap().into_owned();
        let start = text.find(&format!("{}{path}", self.address)).expect("a link in the mail");
        let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
        link[self.address.len()..].to_owned()
    }

    /// GET a path on the app.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let destroyed = self.test_db.destroyed.load(std::sync::atomic::Ordering::Relaxed);
        if !std::thread::panicking() && !destroyed {
            self.assert_mail_settled();
        }
    }
}

/// The messages among `received` addressed to `to`.
fn received_by(received: &[Received], to: &str) -> Vec<Received> {
    received.iter().filter(|m| m.to.iter().any(|t| t == to)).cloned().collect()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Fixture for TestApp {
    async fn create(backend: Backend) -> Option<Self> {
        TestApp::create(backend).await
    }
}

impl Fixture for TestDb {
    async fn create(backend: Backend) -> Option<Self> {
        TestDb::create(backend)
    }
}

/// Anything a backend-parameterised test body can be given.
pub trait Fixture: Sized {
    async fn create(backend: Backend) -> Option<Self>;
}

/// Writes each test body once and registers it for SQLite and for PostgreSQL:
/// `both_backends! { async fn name(app: TestApp) { ... } }` makes `name::sqlite` and
/// `name::postgres`; the runner reports the PostgreSQL half as ignored when there is no server.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($arg:ident: $fixture:ty) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($arg: $fixture) $body

            $crate::test_case! {
                async fn sqlite() {
                    $crate::support::run_on::<$fixture, _>($crate::support::Backend::Sqlite, body).await;
                }
            }

            $crate::test_case! {
                needs [Postgres]
                async fn postgres() {
                    $crate::support::run_on::<$fixture, _>($crate::support::Backend::Postgres, body).await;
                }
            }
        }
    )*};
}

/// Creates the fixture on `backend` and runs a test body with it.
pub async fn run_on<F: Fixture, Fut: std::future::Future<Output = ()>>(
    backend: Backend,
    body: impl FnOnce(F) -> Fut,
) {
    let fixture = F::create(backend).await;
    body(fixture.unwrap_or_else(|| panic!("no {backend:?} database for this test"))).await;
}

/// The password every test account uses.
pub const PASSWORD: &str = "a quiet walk by the river";

/// One browser (its own cookie jar) on a test app.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self { app, client: TestApp::browser() }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.app.address)).send().await.unwrap()
    }

    /// The CSRF token this browser's forms carry right now.
    pub async fn csrf(&self) -> String {
        let html = self.get("/account/sign-in").await.text().await.unwrap();
        token_in(&html)
    }

    /// Posts a form the way the page would, CSRF token included.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &token));
        self.client.post(format!("{}{path}", self.app.address)).form(&form).send().await.unwrap()
    }

    pub async fn register(&self, email: &str) -> reqwest::Response {
        let fields = [("email", email), ("display_name", "Robin"), ("password", PASSWORD)];
        self.submit("/account/register", &fields).await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit("/account/sign-in", &[("email", email), ("password", password)]).await
    }

    pub async fn forgot(&self, email: &str) -> reqwest::Response {
        self.submit("/account/forgot", &[("email", email)]).await
    }

    pub async fn reset(&self, link: &str, password: &str) -> reqwest::Response {
        let token = link.split("token=").nth(1).unwrap();
        self.submit("/account/reset", &[("token", token), ("password", password)]).await
    }

    pub async fn account_status(&self) -> reqwest::StatusCode {
        self.get("/account").await.status()
    }
}

/// The first "N of M lessons done" on a page or in an element's text, as `(N, M)`: whole
/// numbers, so "1 of" never matches "11 of".
pub fn lessons_done(text: &str) -> Option<(usize, usize)> {
    let words: Vec<&str> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    words.windows(5).find_map(|w| match w {
        [done, "of", total, "lessons", "done"] => Some((done.parse().ok()?, total.parse().ok()?)),
        _ => None,
    })
}

pub fn token_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

impl TestApp {
    /// A browser signed in as a new account with `role` (created as an operator would).
    pub async fn signed_in_as(
        &self,
        email: &str,
        role: mend::domain::account::Role,
    ) -> Browser<'_> {
        let account = mend::accounts::Registration::parse(email, "Sam", PASSWORD.into()).unwrap();
        let db = mend::db::Database::connect(&self.test_db.url, 1).unwrap();
        let mut conn = db.connection().unwrap();
        mend::accounts::create_verified_user(&mut conn, &account, role, epoch()).unwrap();
        let browser = Browser::new(self);
        let response = browser.sign_in(email, PASSWORD).await;
        assert!(response.status().is_redirection(), "sign-in: {}", response.status());
        browser
    }
}

impl TestApp {
    /// A fresh access code for the sample course.
    pub fn sample_access_code(&self) -> String {
        let compilation = mend::content::compile(&sample_content()).unwrap();
        let catalog = compilation.catalog.unwrap();
        let mut conn = self.db.connection().unwrap();
        let now = epoch();
        mend::learning::create_access_code(&mut conn, &catalog, "rebuilding-trust", None, None, now)
            .unwrap()
            .to_string()
    }
}
