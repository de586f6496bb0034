//! Settings: defaults < `mend.toml` < `MEND_*` environment < command-line flags.
//!
//! Every value remembers where it came from, so a bad one is reported as the operator wrote it
//! (`MEND_BIND="nonsense"`, `bind in mend.toml`), and secrets are redacted whenever settings are
//! shown.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use url::Url;

/// Where a setting's value came from, for error messages and the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Env(&'static str),
    Flag(&'static str),
}

/// One recognised setting: its key in `mend.toml`, its environment variable and its default.
struct Key {
    name: &'static str,
    env: &'static str,
    default: Option<&'static str>,
}

const KEYS: &[Key] = &[
    Key { name: "database_url", env: "DATABASE_URL", default: Some("sqlite://data/mend.db") },
    Key { name: "content_dir", env: "MEND_CONTENT_DIR", default: Some("content") },
    Key { name: "bind", env: "MEND_BIND", default: Some("127.0.0.1:8080") },
    Key { name: "data_dir", env: "MEND_DATA_DIR", default: Some("data") },
    Key { name: "base_url", env: "MEND_BASE_URL", default: None },
    Key { name: "smtp_url", env: "MEND_SMTP_URL", default: None },
    Key { name: "mail_from", env: "MEND_MAIL_FROM", default: Some("Mend <no-reply@localhost>") },
    Key { name: "secret_key", env: "MEND_SECRET_KEY", default: None },
    Key { name: "encryption_key", env: "MEND_ENCRYPTION_KEY", default: None },
    Key { name: "db_pool_size", env: "MEND_DB_POOL_SIZE", default: Some("8") },
    Key { name: "log", env: "MEND_LOG", default: Some("info") },
    Key { name: "watch", env: "MEND_WATCH", default: Some("false") },
    Key { name: "reminder_interval_seconds", env: "MEND_REMINDER_INTERVAL", default: Some("60") },
    Key { name: "trusted_proxies", env: "MEND_TRUSTED_PROXIES", default: Some("") },
    Key { name: "report_min_cell", env: "MEND_REPORT_MIN_CELL", default: Some("5") },
    Key {
        name: "quick_exit_url",
        env: "MEND_QUICK_EXIT_URL",
        default: Some("https://www.bbc.co.uk/weather"),
    },
];

/// A setting that could not be used, phrased the way the operator wrote it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path}: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("{path}: unknown setting `{key}` (known: {known})")]
    UnknownKey { path: PathBuf, key: String, known: String },
    #[error("{setting}: {reason}")]
    Invalid { setting: String, reason: String },
}

/// A raw value and where it came from.
#[derive(Debug, Clone)]
struct Sourced {
    value: String,
    origin: Origin,
}

/// Values gathered from all layers, before they are checked.
#[derive(Debug, Default)]
pub struct RawSettings {
    values: BTreeMap<&'static str, Sourced>,
}

/// Flags given on the command line that override everything else.
#[derive(Debug, Default, Clone)]
pub struct FlagOverrides {
    pub bind: Option<String>,
    /// `serve --watch`.
    pub watch: bool,
}

impl RawSettings {
    /// Gathers defaults, the optional config file, the process environment and the flags.
    pub fn gather(config_file: Option<&Path>, flags: &FlagOverrides) -> Result<Self, ConfigError> {
        let mut raw = Self::defaults();
        let file = config_file.map(Path::to_path_buf).or_else(|| {
            let default = PathBuf::from("mend.toml");
            default.exists().then_some(default)
        });
        if let Some(path) = file {
            raw.merge_file(&path)?;
        }
        raw.merge_env(|var| std::env::var(var).ok());
        if let Some(bind) = &flags.bind {
            raw.set("bind", bind.clone(), Origin::Flag("--bind"));
        }
        if flags.watch {
            raw.set("watch", "true".into(), Origin::Flag("--watch"));
        }
        Ok(raw)
    }

    /// Built-in defaults only.
    pub fn defaults() -> Self {
        let mut raw = Self::default();
        for key in KEYS {
            if let Some(value) = key.default {
                raw.set(key.name, value.to_owned(), Origin::Default);
            }
        }
        raw
    }

    /// Sets one value by its `mend.toml` name; unknown names are ignored by design of callers.
    pub fn set(&mut self, name: &str, value: String, origin: Origin) {
        if let Some(key) = KEYS.iter().find(|k| k.name == name) {
            self.values.insert(key.name, Sourced { value, origin });
        }
    }

    fn merge_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            ConfigError::Malformed { path: path.to_path_buf(), reason: e.message().to_owned() }
        })?;
        for (name, value) in table {
            if !KEYS.iter().any(|k| k.name == name) {
                let known = KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ");
                return Err(ConfigError::UnknownKey { path: path.to_path_buf(), key: name, known });
            }
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                _ => {
                    let reason = format!("`{name}` must be a string or a number");
                    return Err(ConfigError::Malformed { path: path.to_path_buf(), reason });
                }
            };
            self.set(&name, value, Origin::File(path.to_path_buf()));
        }
        Ok(())
    }

    fn merge_env(&mut self, lookup: impl Fn(&str) -> Option<String>) {
        for key in KEYS {
            if let Some(value) = lookup(key.env).filter(|v| !v.is_empty()) {
                self.values.insert(key.name, Sourced { value, origin: Origin::Env(key.env) });
            }
        }
    }

    fn get(&self, name: &str) -> Option<&Sourced> {
        self.values.get(name)
    }

    /// Names a setting the way its value was given, for error messages.
    fn describe(&self, name: &'static str) -> String {
        let Some(sourced) = self.get(name) else {
            return name.to_owned();
        };
        match &sourced.origin {
            Origin::Env(var) => format!("{var}={:?}", redact(name, &sourced.value)),
            Origin::Flag(flag) => format!("{flag} {:?}", sourced.value),
            Origin::File(path) => {
                format!("{name} = {:?} in {}", redact(name, &sourced.value), path.display())
            }
            Origin::Default => format!("{name} (default {:?})", sourced.value),
        }
    }

    fn invalid(&self, name: &'static str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid { setting: self.describe(name), reason: reason.into() }
    }
}

/// Which database the settings point at.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file (the embedded default).
    Sqlite(PathBuf),
    /// A PostgreSQL connection string, kept whole for libpq.
    Postgres(String),
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact("database_url", url)),
        }
    }
}

impl DatabaseUrl {
    /// Parses `sqlite://path`, `sqlite:path` or `postgres(ql)://…`.
    pub fn parse(value: &str) -> Result<Self, String> {
        if let Some(path) =
            value.strip_prefix("sqlite://").or_else(|| value.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("the SQLite path is empty (expected sqlite://path/to/mend.db)".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Url::parse(value).map_err(|e| format!("not a valid PostgreSQL URL: {e}"))?;
            return Ok(Self::Postgres(value.to_owned()));
        }
        Err("unsupported database (expected sqlite://path or postgres://user@host/db)".into())
    }
}

/// A secret value that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The checked, typed settings every part of Mend reads.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub content_dir: PathBuf,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub base_url: Url,
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    pub secret_key: Option<Secret>,
    pub encryption_key: Option<Secret>,
    pub db_pool_size: u32,
    pub log: String,
    /// Recompile content when it changes (authoring mode).
    pub watch: bool,
    /// How often `serve` scans for reminders that have fallen due.
    pub reminder_interval: std::time::Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client (empty: the TCP peer is the
    /// client, and the header is ignored).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Report counts below this many learners are shown as "fewer than N", so a small cohort
    /// cannot be singled out (0 or 1: every count shown as it is).
    pub report_min_cell: u32,
    /// Where every page's "Quick exit" sends someone who needs to leave Mend at once: a
    /// neutral site (a weather forecast by default), never anything that hints at Mend.
    pub quick_exit_url: Url,
}

/// `MEND_TRUSTED_PROXIES`: IP addresses separated by commas or spaces.
fn parse_proxies(text: &str) -> Result<Vec<std::net::IpAddr>, String> {
    text.split([',', ' '])
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse().map_err(|_| format!("{part:?} is not an IP address (e.g. 10.0.0.1)"))
        })
        .collect()
}

impl Settings {
    /// Checks every raw value, turning the first bad one into a one-line error.
    pub fn from_raw(raw: &RawSettings) -> Result<Self, ConfigError> {
        let text = |name: &'static str| raw.get(name).map(|s| s.value.clone());
        let required =
            |name: &'static str| text(name).ok_or_else(|| raw.invalid(name, "is required"));
        let database_url = DatabaseUrl::parse(&required("database_url")?)
            .map_err(|reason| raw.invalid("database_url", reason))?;
        let bind: SocketAddr = required("bind")?.parse().map_err(|_| {
            raw.invalid("bind", "not an address (expected host:port, e.g. 127.0.0.1:8080)")
        })?;
        let base_url = match text("base_url") {
            Some(url) => parse_base_url(&url).map_err(|reason| raw.invalid("base_url", reason))?,
            None => default_base_url(bind).map_err(|reason| raw.invalid("bind", reason))?,
        };
        let db_pool_size = required("db_pool_size")?
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=256).contains(n))
            .ok_or_else(|| raw.invalid("db_pool_size", "expected a whole number from 1 to 256"))?;
        let reminder_interval = required("reminder_interval_seconds")?
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=86_400).contains(n))
            .map(std::time::Duration::from_secs)
            .ok_or_else(|| {
                raw.invalid("reminder_interval_seconds", "expected whole seconds from 1 to 86400")
            })?;
        let report_min_cell =
            required("report_min_cell")?.parse::<u32>().ok().filter(|n| *n <= 1000).ok_or_else(
                || raw.invalid("report_min_cell", "expected a whole number from 0 to 1000"),
            )?;
        let quick_exit_url = parse_quick_exit_url(&required("quick_exit_url")?)
            .map_err(|reason| raw.invalid("quick_exit_url", reason))?;
        Ok(Self {
            quick_exit_url,
            report_min_cell,
            database_url,
            content_dir: PathBuf::from(required("content_dir")?),
            bind,
            data_dir: PathBuf::from(required("data_dir")?),
            base_url,
            smtp_url: text("smtp_url").map(Secret),
            mail_from: required("mail_from")?,
            secret_key: text("secret_key").map(Secret),
            encryption_key: text("encryption_key").map(Secret),
            db_pool_size,
            log: required("log")?,
            watch: match required("watch")?.as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => return Err(raw.invalid("watch", "expected true or false")),
            },
            reminder_interval,
            trusted_proxies: parse_proxies(&required("trusted_proxies")?)
                .map_err(|reason| raw.invalid("trusted_proxies", reason))?,
        })
    }

    /// The effective settings as `key = value` pairs with secrets redacted, for the start-up log.
    pub fn redacted_summary(&self) -> String {
        let secret = |s: &Option<Secret>| {
            if s.is_some() { "[set]" } else { "[generated in data dir]" }
        };
        format!(
            "database_url={:?} content_dir={:?} bind={} data_dir={:?} base_url={} smtp={} \
             mail_from={:?} secret_key={} encryption_key={} db_pool_size={} watch={} \
             trusted_proxies={:?} quick_exit_url={}",
            self.database_url,
            self.content_dir,
            self.bind,
            self.data_dir,
            self.base_url,
            if self.smtp_url.is_some() { "[set]" } else { "files in data dir" },
            self.mail_from,
            secret(&self.secret_key),
            secret(&self.encryption_key),
            self.db_pool_size,
            self.watch,
            self.trusted_proxies,
            self.quick_exit_url,
        )
    }
}

fn parse_base_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected an http:// or https:// URL with a host".into());
    }
    Ok(url)
}

/// The quick exit leaves for an absolute https URL (plain http only to this machine, for
/// development and tests): a relative link would stay on Mend, and a `javascript:` or `data:`
/// one would not take the person anywhere safe.
fn parse_quick_exit_url(value: &str) -> Result<Url, String> {
    let expected = "expected an absolute https:// URL, e.g. https://www.bbc.co.uk/weather";
    let url = Url::parse(value).map_err(|_| expected.to_owned())?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(expected.to_owned()),
    }
}

/// Without `MEND_BASE_URL`, links in mail point at the bound address (localhost for 0.0.0.0).
fn default_base_url(bind: SocketAddr) -> Result<Url, String> {
    let host = match bind.ip() {
        ip if ip.is_unspecified() => "localhost".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    Url::parse(&format!("http://{host}:{}/", bind.port())).map_err(|e| e.to_string())
}

/// Hides passwords inside URLs and whole secret values.
fn redact(name: &str, value: &str) -> String {
    match name {
        "secret_key" | "encryption_key" => "[redacted]".to_owned(),
        "database_url" | "smtp_url" => match Url::parse(value) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("redacted"));
                url.to_string()
            }
            _ => value.to_owned(),
        },
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_with(pairs: &[(&str, &str)]) -> RawSettings {
        let mut raw = RawSettings::defaults();
        raw.merge_env(|var| pairs.iter().find(|(k, _)| *k == var).map(|(_, v)| v.to_string()));
        raw
    }

    #[test]
    fn defaults_give_sqlite_in_data_dir() {
        let settings = Settings::from_raw(&RawSettings::defaults()).unwrap();
        assert_eq!(settings.database_url, DatabaseUrl::Sqlite("data/mend.db".into()));
        assert_eq!(settings.base_url.as_str(), "http://127.0.0.1:8080/");
    }

    #[test]
    fn trusted_proxies_are_ip_addresses_and_anything_else_is_named() {
        assert_eq!(parse_proxies("").unwrap(), Vec::<std::net::IpAddr>::new());
        let parsed = parse_proxies("10.0.0.1, ::1").unwrap();
        assert_eq!(
            parsed,
            ["10.0.0.1".parse::<std::net::IpAddr>().unwrap(), "::1".parse().unwrap()]
        );
        assert!(parse_proxies("10.0.0.0/8").unwrap_err().contains("\"10.0.0.0/8\""));
    }

    #[test]
    fn environment_overrides_defaults() {
        let raw =
            raw_with(&[("DATABASE_URL", "postgres://u:pw@db/mend"), ("MEND_BIND", "0.0.0.0:9000")]);
        let settings = Settings::from_raw(&raw).unwrap();
        assert_eq!(settings.bind.port(), 9000);
        assert_eq!(settings.base_url.as_str(), "http://localhost:9000/");
        assert!(!format!("{:?}", settings.database_url).contains("pw"));
        assert_eq!(settings.reminder_interval, std::time::Duration::from_secs(60));
        let raw = raw_with(&[("MEND_REMINDER_INTERVAL", "15")]);
        let settings = Settings::from_raw(&raw).unwrap();
        assert_eq!(settings.reminder_interval, std::time::Duration::from_secs(15));
        let raw = raw_with(&[("MEND_REMINDER_INTERVAL", "0")]);
        let message = Settings::from_raw(&raw).unwrap_err().to_string();
        assert!(message.starts_with("MEND_REMINDER_INTERVAL=\"0\""), "{message}");
    }

    #[test]
    fn bad_values_name_the_variable_and_value() {
        let raw = raw_with(&[("MEND_BIND", "nonsense")]);
        let message = Settings::from_raw(&raw).unwrap_err().to_string();
        assert!(message.starts_with("MEND_BIND=\"nonsense\": not an address"), "{message}");

        let raw = raw_with(&[("DATABASE_URL", "mysql://x")]);
        let message = Settings::from_raw(&raw).unwrap_err().to_string();
        assert!(message.contains("DATABASE_URL=\"mysql://x\": unsupported database"), "{message}");
    }

    #[test]
    fn secrets_never_show_in_summaries_or_errors() {
        let raw =
            raw_with(&[("MEND_SECRET_KEY", "hunter2hunter2"), ("MEND_SMTP_URL", "smtp://a:pw@h")]);
        let settings = Settings::from_raw(&raw).unwrap();
        let shown = format!("{} {:?}", settings.redacted_summary(), settings);
        assert!(!shown.contains("hunter2") && !shown.contains("pw@"), "{shown}");
    }

    #[test]
    fn the_quick_exit_goes_to_an_absolute_https_url_only() {
        let settings = Settings::from_raw(&RawSettings::defaults()).unwrap();
        assert_eq!(settings.quick_exit_url.as_str(), "https://www.bbc.co.uk/weather");
        let raw = raw_with(&[("MEND_QUICK_EXIT_URL", "https://example.org/forecast")]);
        let settings = Settings::from_raw(&raw).unwrap();
        assert_eq!(settings.quick_exit_url.as_str(), "https://example.org/forecast");
        let local = raw_with(&[("MEND_QUICK_EXIT_URL", "http://127.0.0.1:9/")]);
        assert!(Settings::from_raw(&local).is_ok(), "plain http to this machine, for tests");
        for bad in ["http://example.org/", "/weather", "javascript:alert(1)", "data:text/html,x"] {
            let raw = raw_with(&[("MEND_QUICK_EXIT_URL", bad)]);
            let message = Settings::from_raw(&raw).unwrap_err().to_string();
            assert!(message.starts_with("MEND_QUICK_EXIT_URL="), "{message}");
            assert!(message.contains("absolute https://"), "{message}");
        }
    }

    #[test]
    fn config_file_rejects_unknown_keys_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mend.toml");
        std::fs::write(&path, "bind = \"127.0.0.1:1\"\ncontent_dri = \"x\"\n").unwrap();
        let err = RawSettings::gather(Some(&path), &FlagOverrides::default()).unwrap_err();
        assert!(err.to_string().contains("unknown setting `content_dri`"));

        std::fs::write(&path, "bind = \"127.0.0.1:1\"\n").unwrap();
        let flags = FlagOverrides { bind: Some("127.0.0.1:2".into()), watch: false };
        let raw = RawSettings::gather(Some(&path), &flags).unwrap();
        assert_eq!(Settings::from_raw(&raw).unwrap().bind.port(), 2);
    }
}
