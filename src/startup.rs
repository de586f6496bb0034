//! Building the application: check the environment, open storage, bind, and assemble the one
//! route table. `serve` and the integration tests go through the same [`Application::build`].

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders, NormalizePath, TrailingSlash, from_fn};
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::accounts::Accounts;
use crate::auth::csrf::CsrfKey;
use crate::auth::jwt::SessionTokens;
use crate::auth::keyring::{Keyring, KeyringError};
use crate::auth::keys::{KeyError, SecretKey};
use crate::auth::unsubscribe::UnsubscribeKey;
use crate::clock::SharedClock;
use crate::config::{ConfigError, Settings};
use crate::content::{self, CatalogStore, ContentError, WatchHandle};
use crate::db::{self, Database, DbConnection, DbError};
use crate::mail::{DeferredMail, MailError, Mailer, OutboxWorker, PartnerUpdates};
use crate::notifications::Notifications;
use crate::partners::Partners;
use crate::reminders::{Mailing, ReminderScheduler, ReminderWords, Reminders};
use crate::templates::{EmailTemplates, PageTemplates};
use crate::web::assets::AssetManifest;
use crate::web::session::SessionCookies;
use crate::web::state::AppState;
use crate::worksheets::Notices;

/// Why Mend could not start; each names the setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("DATABASE_URL={url}: {source}")]
    Database { url: String, source: DbError },
    #[error("MEND_DATA_DIR={path:?}: {reason}")]
    DataDir { path: String, reason: String },
    #[error("MEND_CONTENT_DIR={path:?}: {reason}")]
    ContentDir { path: String, reason: String },
    #[error("MEND_BIND={bind}: cannot listen there: {reason}")]
    Bind { bind: String, reason: String },
    #[error("templates: {0}")]
    Templates(#[from] tera::Error),
    #[error(
        "the content has {errors} error(s); fix them (see `mend check`) or use `serve --watch`"
    )]
    ContentErrors { errors: usize },
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("secret key: {0}")]
    SecretKey(#[from] KeyError),
    #[error("encryption keys: {0}")]
    Keyring(#[from] KeyringError),
    #[error("password hashing self-test failed: {0}")]
    Passwords(#[from] crate::auth::password::HashError),
}

impl StartupError {
    /// 2 for anything the operator can fix in the settings, 1 for a fault in Mend itself.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Templates(_) | Self::ContentErrors { .. } => 1,
            _ => 2,
        }
    }
}

/// The keys worksheet answers are sealed with: `MEND_ENCRYPTION_KEY`, else
/// `<data_dir>/encryption_keys` (generated on first start).
pub fn load_keyring(settings: &Settings) -> Result<Keyring, StartupError> {
    let configured = settings.encryption_key.as_ref().map(|key| key.expose());
    Ok(Keyring::load(configured, &settings.data_dir)?)
}

/// Opens the configured database's connection pool and applies pending migrations.
pub fn open_database(settings: &Settings) -> Result<Database, StartupError> {
    let db_error = |source| database_error(settings, source);
    let db = Database::connect(&settings.database_url, settings.db_pool_size).map_err(db_error)?;
    log_migrations(db.migrate().map_err(db_error)?);
    Ok(db)
}

/// One migrated connection, for short-lived CLI commands.
pub fn open_connection(settings: &Settings) -> Result<DbConnection, StartupError> {
    let mut conn =
        db::establish(&settings.database_url).map_err(|e| database_error(settings, e))?;
    log_migrations(db::run_migrations(&mut conn).map_err(|e| database_error(settings, e))?);
    Ok(conn)
}

/// Connecting and migrating block, so they run on the blocking pool.
async fn open_database_off_thread(settings: &Settings) -> Result<Database, StartupError> {
    let owned = settings.clone();
    tokio::task::spawn_blocking(move || open_database(&owned))
        .await
        .map_err(|e| database_error(settings, DbError::Connect(e.to_string())))?
}

fn database_error(settings: &Settings, source: DbError) -> StartupError {
    StartupError::Database { url: format!("{:?}", settings.database_url), source }
}

fn log_migrations(applied: usize) {
    if applied > 0 {
        tracing::info!(applied, "applied database migrations");
    }
}

/// The data dir holds generated keys and file-transport mail: it must exist and be writable.
pub fn ensure_data_dir(path: &Path) -> Result<(), StartupError> {
    let fail = |reason: String| StartupError::DataDir { path: path.display().to_string(), reason };
    std::fs::create_dir_all(path).map_err(|e| fail(format!("cannot create it: {e}")))?;
    let probe = path.join(".mend-write-check");
    std::fs::write(&probe, b"ok").map_err(|e| fail(format!("cannot write there: {e}")))?;
    std::fs::remove_file(&probe).map_err(|e| fail(format!("cannot write there: {e}")))
}

/// Compiles the content once at start. Without `--watch`, errors stop start-up (after every
/// diagnostic is logged); with it, Mend starts anyway so the author can fix them while it runs.
fn compile_content(
    settings: &Settings,
    store: &CatalogStore,
    clock: &SharedClock,
) -> Result<(), StartupError> {
    let compilation = content::compile_with(&settings.content_dir, email_check()?)
        .map_err(|e| content_dir_error(settings, e))?;
    log_diagnostics(&compilation.diagnostics);
    let errors = compilation.error_count();
    store.publish(compilation, clock.now());
    if errors > 0 && !settings.watch {
        return Err(StartupError::ContentErrors { errors });
    }
    Ok(())
}

/// The mail layer's check of course email overrides, for every compile of the content.
pub fn email_check() -> Result<Arc<dyn content::EmailCheck>, StartupError> {
    Ok(Arc::new(crate::mail::reminders::OverrideCheck::new()?))
}

fn content_dir_error(settings: &Settings, error: ContentError) -> StartupError {
    let reason = match error {
        ContentError::Missing(_) => "no such directory".to_owned(),
        ContentError::NotADirectory(_) => "not a directory".to_owned(),
        other => other.to_string(),
    };
    StartupError::ContentDir { path: settings.content_dir.display().to_string(), reason }
}

/// Content diagnostics name files and lines of course text, never anything a learner wrote.
fn log_diagnostics(diagnostics: &[content::Diagnostic]) {
    for diagnostic in diagnostics {
        if diagnostic.is_error() {
            tracing::error!("content: {diagnostic}");
        } else {
            tracing::warn!("content: {diagnostic}");
        }
    }
}

/// With `--watch`, recompiles on every change; a compile with errors keeps the last good
/// catalog live.
fn watch_content(state: &AppState) -> Result<WatchHandle, StartupError> {
    let store = state.catalog.clone();
    let clock = state.clock.clone();
    let on_change = move |result: Result<content::Compilation, ContentError>| match result {
        Ok(compilation) => {
            log_diagnostics(&compilation.diagnostics);
            let live = compilation.catalog.is_some();
            store.publish(compilation, clock.now());
            tracing::info!(live, "content recompiled");
        }
        Err(error) => tracing::error!(%error, "content folder unusable"),
    };
    content::watch_with(state.settings.content_dir.clone(), email_check()?, on_change)
        .map_err(|e| content_dir_error(&state.settings, e))
}

/// How often the outbox worker looks for due mail.
const OUTBOX_INTERVAL: Duration = Duration::from_secs(5);

/// A built, bound application, ready to run.
pub struct Application {
    address: SocketAddr,
    server: Server,
    /// Keeps the content watcher alive for as long as the server runs.
    watcher: Option<WatchHandle>,
    /// Started by [`Application::run_until_stopped`] unless taken first.
    outbox: Option<OutboxWorker>,
    /// The reminder scheduler, likewise.
    reminders: Option<ReminderScheduler>,
    reminder_interval: Duration,
}

impl Application {
    /// Checks the environment, compiles the content, opens storage and binds the listener
    /// (port 0 picks a free port).
    pub async fn build(mut settings: Settings, clock: SharedClock) -> Result<Self, StartupError> {
        ensure_data_dir(&settings.data_dir)?;
        let secret =
            SecretKey::load(settings.secret_key.as_ref().map(|s| s.expose()), &settings.data_dir)?;
        let keyring = load_keyring(&settings)?;
        let listener = bind(&mut settings)?;
        let address = settings.bind;
        let catalog = Arc::new(CatalogStore::new());
        compile_content(&settings, &catalog, &clock)?;
        let db = open_database_off_thread(&settings).await?;
        let assets = Arc::new(AssetManifest::build());
        let templates = Arc::new(PageTemplates::load(
            &assets.template_urls(),
            settings.quick_exit_url.as_str(),
        )?);
        let emails = Arc::new(EmailTemplates::load()?);
        let unsubscribe = UnsubscribeKey::new(&secret);
        let mailing = Mailing::new(emails.clone(), unsubscribe.clone(), &settings.base_url);
        let words: Arc<dyn DeferredMail> =
            Arc::new(ReminderWords::new(mailing.clone(), catalog.clone()));
        let outbox = outbox_worker(&settings, &db, &clock)?.with_deferred(words.clone());
        let updates =
            PartnerUpdates::new(emails.clone(), settings.base_url.clone(), unsubscribe.clone());
        let nudges = Reminders::new(db.clone(), catalog.clone(), mailing);
        let reminders = ReminderScheduler::new(nudges.clone(), clock.clone());
        let reminder_interval = settings.reminder_interval;
        let accounts = Arc::new(Accounts::new(
            db.clone(),
            clock.clone(),
            SessionTokens::new(&secret, &settings.base_url.origin().ascii_serialization()),
            emails.clone(),
            settings.base_url.clone(),
            keyring.clone(),
            updates.clone(),
        )?);
        let notices = Notices::new(updates.clone());
        let partners = Arc::new(Partners::new(
            db.clone(),
            clock.clone(),
            emails.clone(),
            settings.base_url.clone(),
            keyring.clone(),
            updates,
        ));
        let admin = Arc::new(crate::admin::Console::new(db.clone(), clock.clone(), words));
        let notifications = Arc::new(Notifications::new(db.clone(), clock.clone()));
        let enrolments = Arc::new(crate::admin::enrolments::EnrolmentAdmin::new(
            db.clone(),
            clock.clone(),
            emails,
            settings.base_url.clone(),
        ));
        let watch = settings.watch;
        let cookies = SessionCookies::for_base_url(&settings.base_url);
        let settings = Arc::new(settings);
        let state = AppState {
            settings,
            db,
            templates,
            assets,
            clock,
            catalog,
            accounts,
            keyring,
            notices,
            partners,
            admin,
            notifications,
            unsubscribe,
            enrolments,
            reminders: nudges,
            csrf: CsrfKey::new(&secret),
            cookies,
        };
        let watcher = if watch { Some(watch_content(&state)?) } else { None };
        let bind_error = |e: std::io::Error| StartupError::Bind {
            bind: state.settings.bind.to_string(),
            reason: e.to_string(),
        };
        let server = serve(listener, state.clone()).map_err(bind_error)?;
        Ok(Self {
            address,
            server,
            watcher,
            outbox: Some(outbox),
            reminders: Some(reminders),
            reminder_interval,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Hands this application's outbox worker to the caller, who then drives it (tests send due
    /// mail on demand with [`OutboxWorker::run_once`]); the application then starts no worker
    /// loop of its own, so there is still only one.
    pub fn take_outbox(&mut self) -> Option<OutboxWorker> {
        self.outbox.take()
    }

    /// Hands this application's reminder scheduler to the caller (tests scan on demand with
    /// [`ReminderScheduler::tick`]); the application then runs no scheduler of its own.
    pub fn take_reminders(&mut self) -> Option<ReminderScheduler> {
        self.reminders.take()
    }

    /// Serves until SIGINT/SIGTERM, then lets in-flight requests finish (up to 30 s) and the
    /// outbox worker and reminder scheduler finish their current runs. Their logs carry the
    /// same `instance` as the requests' (the bound address), so each instance's work can be
    /// told apart.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let span = tracing::info_span!("outbox", instance = %self.address);
        let outbox = self.outbox.map(|worker| span.in_scope(|| worker.spawn(OUTBOX_INTERVAL)));
        let span = tracing::info_span!("reminders", instance = %self.address);
        let interval = self.reminder_interval;
        let reminders = self.reminders.map(|s| span.in_scope(|| s.spawn(interval)));
        let served = self.server.await;
        if let Some(handle) = outbox {
            handle.stop().await;
        }
        if let Some(handle) = reminders {
            handle.stop().await;
        }
        drop(self.watcher);
        served
    }
}

/// Binds the listener first, so that with port 0 (tests) the settings, and the base URL that
/// links and the origin check use when it was derived from the bind address, name the real port.
fn bind(settings: &mut Settings) -> Result<TcpListener, StartupError> {
    let bind_error = |e: std::io::Error| StartupError::Bind {
        bind: settings.bind.to_string(),
        reason: e.to_string(),
    };
    let listener = TcpListener::bind(settings.bind).map_err(bind_error)?;
    let bound = listener.local_addr().map_err(bind_error)?;
    if settings.bind.port() == 0 && settings.base_url.port() == Some(0) {
        // Infallible for http(s) URLs with a host, which `Settings` guarantees.
        let _ = settings.base_url.set_port(Some(bound.port()));
    }
    settings.bind = bound;
    Ok(listener)
}

/// The outbox worker for these settings; a bad `MEND_SMTP_URL` or `MEND_MAIL_FROM` stops
/// start-up here rather than failing every send later.
fn outbox_worker(
    settings: &Settings,
    db: &Database,
    clock: &SharedClock,
) -> Result<OutboxWorker, StartupError> {
    let mailer = Mailer::from_settings(settings)?;
    let from = crate::mail::message::sender(settings)?;
    Ok(OutboxWorker::new(db.clone(), mailer, clock.clone(), from))
}

fn serve(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let https = state.settings.base_url.scheme() == "https";
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(crate::web::session::middleware))
            .wrap(crate::web::errors::renderer())
            .wrap(security_headers(https))
            .wrap(NormalizePath::new(TrailingSlash::MergeOnly))
            // gzip or brotli by `Accept-Encoding` (with `Vary`), error pages and assets included.
            .wrap(Compress::default())
            .wrap(TracingLogger::<crate::telemetry::PrivateRootSpan>::new())
            .app_data(data.clone())
            .app_data(crate::web::errors::form_config())
            .app_data(crate::web::errors::json_config())
            .configure(crate::web::routes)
            .default_service(web::to(crate::web::errors::not_found))
    })
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Headers every response carries: no framing, no sniffing, no referrers, no third parties, no
/// caching of personal pages (static assets set their own `Cache-Control`), and HSTS when the
/// site is served over https.
fn security_headers(https: bool) -> DefaultHeaders {
    let headers = if https {
        DefaultHeaders::new()
            .add(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    } else {
        DefaultHeaders::new()
    };
    headers
        .add(("Cache-Control", "no-store"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"))
}
