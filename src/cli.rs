//! The `mend` command line: what each command does, in one place.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use crate::accounts::{self, AccountError, Registration};
use crate::auth::keyring::KeyringError;
use crate::clock::{Clock, SystemClock};
use crate::config::{FlagOverrides, RawSettings, Settings};
use crate::domain::account::{DisplayName, Email, NewPassword, Role, TimeZone};
use crate::startup::{self, Application, StartupError};

/// Mend: a course platform for recovery curricula.
#[derive(Debug, Parser)]
#[command(name = "mend", version, about)]
pub struct Cli {
    /// Settings file (default: ./mend.toml when it exists).
    #[arg(long, global = true, value_name = "PATH", env = "MEND_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve learners, authors and admins over HTTP.
    Serve(ServeArgs),
    /// Compile the content without serving: print every problem and a summary.
    Check {
        /// The content folder (default: the content_dir setting).
        dir: Option<PathBuf>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage access codes for courses with `enrollment = "code"`.
    #[command(subcommand)]
    Code(CodeCommand),
    /// Manage the keys worksheet answers are encrypted with.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Inactivity nudges, new-lesson mail and digests (`serve` scans on its own every interval).
    #[command(subcommand)]
    Reminders(RemindersCommand),
    /// Write a consistent copy of the SQLite database to PATH.
    Backup {
        /// Where to write the copy (must not exist yet).
        path: PathBuf,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (overrides MEND_BIND).
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
    /// Recompile the content when it changes, keep serving the last good version on errors,
    /// and show drafts (for authors).
    #[arg(long)]
    watch: bool,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from stdin, or prompted for on a terminal.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = role_parser(), default_value = "learner")]
        role: Role,
        /// Display name (default: the part of the email before the @).
        #[arg(long)]
        name: Option<String>,
    },
    /// Change an account's role; the change is recorded in the audit log.
    Role {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = role_parser())]
        role: Role,
    },
}

/// `--role`: the stored spellings, listed in `--help` and checked by clap.
fn role_parser() -> impl TypedValueParser<Value = Role> {
    PossibleValuesParser::new(Role::ALL.map(Role::as_str)).try_map(|name| name.parse::<Role>())
}

#[derive(Debug, Subcommand)]
enum CodeCommand {
    /// Make a new random access code for a course and print it.
    Create {
        /// The course slug (its folder name in the content).
        #[arg(long)]
        course: String,
        /// How many learners may enrol with it (default: unlimited).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(i32::MAX)))]
        max_uses: Option<u32>,
        /// The last day (UTC) it works, as YYYY-MM-DD (default: never expires).
        #[arg(long, value_name = "YYYY-MM-DD")]
        expires: Option<chrono::NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Add a new key and re-encrypt every saved answer under it, in small batches while Mend
    /// keeps serving; older keys stay readable, so it can be run again if interrupted.
    Rotate {
        /// Revisions re-encrypted per transaction.
        #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        batch: i64,
    },
}

#[derive(Debug, Subcommand)]
enum RemindersCommand {
    /// Scan once: queue every reminder that is due and print, per learner id, what was sent
    /// and why the rest is not due.
    RunOnce {
        /// Decide and print, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// Decide as of this instant instead of now (RFC 3339, e.g. 2026-12-09T09:30:00Z).
        #[arg(long, value_name = "RFC3339", value_parser = parse_instant)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
}

/// `--now`: RFC 3339 only, so a time is never read in an unstated zone.
fn parse_instant(value: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(value).map(|at| at.with_timezone(&chrono::Utc)).map_err(
        |e| {
            format!(
                "{e}: expected an RFC 3339 date and time with its offset, e.g. 2026-12-09T09:30:00Z"
            )
        },
    )
}

/// A command failed; `code` is the process exit status.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl From<StartupError> for Failure {
    fn from(error: StartupError) -> Self {
        Self { code: error.exit_code(), message: error.to_string() }
    }
}

fn failed(message: impl ToString) -> Failure {
    Failure { message: message.to_string(), code: 1 }
}

/// Runs the parsed command line and reports failure as one line on stderr.
pub fn run(cli: Cli) -> ExitCode {
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            // One line, whatever the cause printed (libpq's messages span several).
            let message: Vec<&str> = failure.message.lines().map(str::trim).collect();
            eprintln!("mend: error: {}", message.join(" "));
            ExitCode::from(failure.code)
        }
    }
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    let flags = match &cli.command {
        Command::Serve(args) => FlagOverrides { bind: args.bind.clone(), watch: args.watch },
        _ => FlagOverrides::default(),
    };
    let raw = RawSettings::gather(cli.config.as_deref(), &flags).map_err(StartupError::from)?;
    let settings = Settings::from_raw(&raw).map_err(StartupError::from)?;
    crate::telemetry::init(&settings.log);
    match cli.command {
        Command::Serve(_) => serve(settings),
        Command::Check { dir } => check(dir.as_deref().unwrap_or(&settings.content_dir)),
        Command::Migrate => migrate(&settings),
        Command::User(UserCommand::Create { email, role, name }) => {
            create_user(&settings, &email, role, name.as_deref())
        }
        Command::User(UserCommand::Role { email, role }) => change_role(&settings, &email, role),
        Command::Code(CodeCommand::Create { course, max_uses, expires }) => {
            create_code(&settings, &course, max_uses, expires)
        }
        Command::Keys(KeysCommand::Rotate { batch }) => rotate_keys(&settings, batch),
        Command::Reminders(RemindersCommand::RunOnce { dry_run, now }) => {
            run_reminders_once(&settings, dry_run, now)
        }
        Command::Backup { path } => backup(&settings, &path),
    }
}

fn serve(settings: Settings) -> Result<(), Failure> {
    tracing::info!(settings = %settings.redacted_summary(), "starting mend {}", env!("CARGO_PKG_VERSION"));
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings, Arc::new(SystemClock)).await?;
        tracing::info!(port = app.port(), "listening");
        app.run_until_stopped().await.map_err(failed)
    })
}

/// Exit 0 when clean, 1 on errors, 2 when the folder cannot be used at all. Notes (such as an
/// unpublished course) are printed with the diagnostics but never change the exit code.
fn check(dir: &std::path::Path) -> Result<(), Failure> {
    let check = startup::email_check().map_err(|e| Failure { message: e.to_string(), code: 2 })?;
    let compilation = crate::content::compile_with(dir, check)
        .map_err(|e| Failure { message: e.to_string(), code: 2 })?;
    for diagnostic in &compilation.diagnostics {
        eprintln!("{diagnostic}");
    }
    for note in &compilation.notes {
        eprintln!("{note}");
    }
    let s = &compilation.summary;
    let errors = compilation.error_count();
    let warnings = compilation.diagnostics.len() - errors;
    #[expect(clippy::print_stdout, reason = "the summary is this command's output")]
    {
        println!(
            "{} course(s), {} module(s), {} lesson(s) + {} draft(s), {} worksheet(s), {} file(s), {} words, about {} min of reading",
            s.courses, s.modules, s.lessons, s.drafts, s.worksheets, s.files, s.words, s.minutes
        );
        println!("{errors} error(s), {warnings} warning(s)");
    }
    if errors > 0 {
        Err(Failure { message: format!("{errors} error(s) in {}", dir.display()), code: 1 })
    } else {
        Ok(())
    }
}

fn migrate(settings: &Settings) -> Result<(), Failure> {
    startup::open_connection(settings)?;
    eprintln!("mend: database is up to date");
    Ok(())
}

fn create_user(
    settings: &Settings,
    email: &str,
    role: Role,
    name: Option<&str>,
) -> Result<(), Failure> {
    let email = Email::parse(email).map_err(failed)?;
    let default_name = email.as_str().split('@').next().unwrap_or_default().to_owned();
    let display_name = DisplayName::parse(name.unwrap_or(&default_name)).map_err(failed)?;
    let password = NewPassword::parse(read_password()?).map_err(failed)?;
    let account = Registration { email, display_name, password, time_zone: TimeZone::UTC };
    let mut conn = startup::open_connection(settings)?;
    let created = accounts::create_verified_user(&mut conn, &account, role, SystemClock.now())
        .map_err(|error| about(&account.email, error))?;
    eprintln!("mend: created {} account #{} for {}", role.as_str(), created.id, created.email);
    Ok(())
}

/// Sets the role; the service records who had which role before.
fn change_role(settings: &Settings, email: &str, role: Role) -> Result<(), Failure> {
    let email = Email::parse(email).map_err(failed)?;
    let mut conn = startup::open_connection(settings)?;
    let changed = accounts::set_role(&mut conn, &email, role, "cli", SystemClock.now())
        .map_err(|error| about(&email, error))?;
    eprintln!("mend: account #{} is now {}", changed.id, role.as_str());
    Ok(())
}

/// An account error, naming the address (the operator typed it, so it is no secret here).
fn about(email: &Email, error: AccountError) -> Failure {
    match error {
        AccountError::AccountExists => {
            failed(format!("an account for {} already exists", email.as_str()))
        }
        AccountError::NoSuchAccount => failed(format!("no account for {}", email.as_str())),
        other => failed(other),
    }
}

/// Prompts twice on a terminal; otherwise reads one line from stdin (for scripts).
fn read_password() -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(failed)?;
        let second = rpassword::prompt_password("Repeat password: ").map_err(failed)?;
        if first != second {
            return Err(failed("the passwords did not match"));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(failed)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Compiles the content to check the course, then stores the code and prints it on stdout
/// (alone, so scripts can capture it).
fn create_code(
    settings: &Settings,
    course: &str,
    max_uses: Option<u32>,
    expires: Option<chrono::NaiveDate>,
) -> Result<(), Failure> {
    let compilation = crate::content::compile(&settings.content_dir).map_err(failed)?;
    let catalog = compilation
        .catalog
        .ok_or_else(|| failed("the content has errors; run `mend check` to see them"))?;
    let mut conn = startup::open_connection(settings)?;
    let now = SystemClock.now();
    let code =
        crate::learning::create_access_code(&mut conn, &catalog, course, max_uses, expires, now)
            .map_err(failed)?;
    #[expect(clippy::print_stdout, reason = "the code is this command's output")]
    {
        println!("{code}");
    }
    eprintln!("mend: created an access code for {course}");
    Ok(())
}

/// Adds a key to the keyring file, then re-encrypts in batches; prints counts and key ids
/// (derived names, not keys), never a key or an answer.
fn rotate_keys(settings: &Settings, batch: i64) -> Result<(), Failure> {
    startup::ensure_data_dir(&settings.data_dir)?;
    let keyring = startup::load_keyring(settings)?;
    let mut conn = startup::open_connection(settings)?;
    let key_id = match keyring.add_key() {
        Ok(key_id) => {
            eprintln!("mend: added encryption key {key_id}; re-encrypting saved answers");
            key_id
        }
        // Configured keys live in the setting: the operator appends the new one there first.
        Err(KeyringError::Configured) => {
            let key_id = keyring.primary_id();
            eprintln!(
                "mend: MEND_ENCRYPTION_KEY is set, so no key was added (append the new key \
                 there first); re-encrypting under its newest key {key_id}"
            );
            key_id
        }
        Err(error) => return Err(failed(error)),
    };
    let done = crate::worksheets::rotate(&mut conn, &keyring, batch).map_err(failed)?;
    let answers = crate::reflections::rotate(&mut conn, &keyring, batch).map_err(failed)?;
    let checkins = crate::checkins::rotate(&mut conn, &keyring, batch).map_err(failed)?;
    eprintln!(
        "mend: re-encrypted {} revision(s), {} reflection answer(s) and {} check-in(s) in {} \
         batch(es) under key {key_id}; older keys stay in the keyring so any copy made before \
         now still opens",
        done.resealed,
        answers.rows,
        checkins.rows,
        done.batches + answers.batches + checkins.batches
    );
    Ok(())
}

/// One reminder scan on its own connection; prints one line per learner id and decision
/// (never an address or a name), then the totals.
fn run_reminders_once(
    settings: &Settings,
    dry_run: bool,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), Failure> {
    use crate::reminders::{Mailing, ScanMode};
    let compilation = crate::content::compile(&settings.content_dir).map_err(failed)?;
    let catalog = compilation
        .catalog
        .ok_or_else(|| failed("the content has errors; run `mend check` to see them"))?;
    startup::ensure_data_dir(&settings.data_dir)?;
    let secret = crate::auth::keys::SecretKey::load(
        settings.secret_key.as_ref().map(|s| s.expose()),
        &settings.data_dir,
    )
    .map_err(StartupError::from)?;
    let templates = Arc::new(crate::templates::EmailTemplates::load().map_err(failed)?);
    let unsubscribe = crate::auth::unsubscribe::UnsubscribeKey::new(&secret);
    let mailing = Mailing::new(templates, unsubscribe, &settings.base_url);
    let mut conn = startup::open_connection(settings)?;
    let mode = if dry_run { ScanMode::DryRun } else { ScanMode::Send };
    let now = now.unwrap_or_else(|| SystemClock.now());
    let report =
        crate::reminders::scan_on(&mut conn, &catalog, &mailing, now, mode).map_err(failed)?;
    #[expect(clippy::print_stdout, reason = "the report is this command's output")]
    {
        for line in &report.lines {
            println!("{line}");
        }
        println!("{}", report.summary());
    }
    Ok(())
}

fn backup(settings: &Settings, path: &std::path::Path) -> Result<(), Failure> {
    startup::open_connection(settings)?;
    crate::db::backup::backup(&settings.database_url, path).map_err(failed)?;
    eprintln!("mend: wrote a consistent copy of the database to {}", path.display());
    Ok(())
}
