//! Building the application: check the environment, open storage, bind, and assemble the one
//! route table. `serve` and the integration tests go through the same [`Application::build`].

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, NormalizePath, TrailingSlash};
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::clock::SharedClock;
use crate::config::{ConfigError, Settings};
use crate::db::{self, Database, DbConnection, DbError};
use crate::mail::{MailError, Mailer, OutboxWorker, WorkerHandle};
use crate::state::AppState;
use crate::web::assets::AssetManifest;
use crate::web::templates::Templates;

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
    #[error(transparent)]
    Mail(#[from] MailError),
}

impl StartupError {
    /// 2 for anything the operator can fix in the settings, 1 for a fault in Mend itself.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Templates(_) => 1,
            _ => 2,
        }
    }
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

fn database_error(settings: &Settings, source: DbError) -> StartupError {
    StartupError::Database {
        url: format!("{:?}", settings.database_url),
        source,
    }
}

fn log_migrations(applied: usize) {
    if applied > 0 {
        tracing::info!(applied, "applied database migrations");
    }
}

/// The data dir holds generated keys and file-transport mail: it must exist and be writable.
pub fn ensure_data_dir(path: &Path) -> Result<(), StartupError> {
    let fail = |reason: String| StartupError::DataDir {
        path: path.display().to_string(),
        reason,
    };
    std::fs::create_dir_all(path).map_err(|e| fail(format!("cannot create it: {e}")))?;
    let probe = path.join(".mend-write-check");
    std::fs::write(&probe, b"ok").map_err(|e| fail(format!("cannot write there: {e}")))?;
    std::fs::remove_file(&probe).map_err(|e| fail(format!("cannot write there: {e}")))
}

/// The content dir holds the courses; without it there is nothing to serve.
pub fn ensure_content_dir(path: &Path) -> Result<(), StartupError> {
    let fail = |reason: &str| StartupError::ContentDir {
        path: path.display().to_string(),
        reason: reason.into(),
    };
    match std::fs::read_dir(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(fail("no such directory")),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(fail("not a directory")),
        Err(_) => Err(fail("cannot read it")),
    }
}

/// How often the outbox worker looks for due mail.
const OUTBOX_INTERVAL: Duration = Duration::from_secs(5);

/// A built, bound application, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    outbox: WorkerHandle,
}

impl Application {
    /// Checks the environment, opens storage and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings, clock: SharedClock) -> Result<Self, StartupError> {
        ensure_content_dir(&settings.content_dir)?;
        ensure_data_dir(&settings.data_dir)?;
        let blocking_settings = settings.clone();
        let db = tokio::task::spawn_blocking(move || open_database(&blocking_settings))
            .await
            .map_err(|e| database_error(&settings, DbError::Connect(e.to_string())))??;
        let outbox = outbox_worker(&settings, &db, &clock)?;
        let assets = Arc::new(AssetManifest::build());
        let templates = Arc::new(Templates::load(&assets)?);
        let state = AppState {
            settings: Arc::new(settings),
            db,
            templates,
            assets,
            clock,
        };
        let listener = TcpListener::bind(state.settings.bind).map_err(|e| StartupError::Bind {
            bind: state.settings.bind.to_string(),
            reason: e.to_string(),
        })?;
        let port = listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or(state.settings.bind.port());
        let server = serve(listener, state.clone()).map_err(|e| StartupError::Bind {
            bind: state.settings.bind.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            port,
            server,
            outbox: outbox.spawn(OUTBOX_INTERVAL),
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then lets in-flight requests finish (up to 30 s) and the
    /// outbox worker finish its current run.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.outbox.stop().await;
        served
    }
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
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(crate::web::errors::renderer())
            .wrap(security_headers())
            .wrap(NormalizePath::new(TrailingSlash::MergeOnly))
            .wrap(TracingLogger::default())
            .app_data(data.clone())
            .configure(crate::web::routes)
            .default_service(web::to(crate::web::errors::not_found))
    })
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Headers every response carries: no framing, no sniffing, no referrers, no third parties.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ))
}
