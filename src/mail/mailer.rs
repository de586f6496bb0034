//! Where mail goes: a real SMTP server, `.eml` files in the data dir, or memory (unit tests).

use std::path::Path;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::stub::AsyncStubTransport;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Settings;
use crate::mail::MailError;

/// How long one SMTP conversation may take; well inside the worker's lease, so a hung server
/// cannot make a message look abandoned and be sent twice.
pub(crate) const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// SMTP connections kept open to the server, and so messages in flight at once (the worker
/// sends this many concurrently). A few connections already reach hundreds of messages a second
/// on loopback (BENCHMARKS.md); more would only look like a flood to a small relay, which many
/// limit to a handful of connections per client.
pub const SMTP_CONNECTIONS: u32 = 4;

/// How long an unused pooled connection stays open: long enough to carry one worker run into
/// the next (the loop polls every few seconds), short enough not to hold a relay's slot idle.
const SMTP_IDLE: Duration = Duration::from_secs(60);

/// The transport the outbox worker sends through, chosen once from the settings.
#[derive(Debug, Clone)]
pub enum Mailer {
    /// `MEND_SMTP_URL`: `smtp://host:port` (plain), `smtp://…?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host` (TLS from the first byte).
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// No SMTP configured: each message becomes a `.eml` file, so `serve` works out of the box.
    File(AsyncFileTransport<Tokio1Executor>),
    /// Keeps messages in memory, for unit tests.
    Stub(AsyncStubTransport),
}

impl Mailer {
    /// SMTP when `MEND_SMTP_URL` is set, otherwise files in `<data_dir>/outbox/`.
    pub fn from_settings(settings: &Settings) -> Result<Self, MailError> {
        match &settings.smtp_url {
            Some(url) => Self::smtp(url.expose()),
            None => Self::file(&settings.data_dir.join("outbox")),
        }
    }

    /// An SMTP transport from a URL in lettre's connection-URL format, over a pool of up to
    /// [`SMTP_CONNECTIONS`] connections reused from message to message. A pooled connection is
    /// checked before reuse, so one the server dropped is replaced rather than failing a send.
    /// The pool runs its idle-connection reaper on the current Tokio runtime, so outside one
    /// this is an error rather than lettre's panic; dropping the last clone also needs the
    /// runtime (it closes the connections there), which `serve` and the tests provide.
    pub fn smtp(url: &str) -> Result<Self, MailError> {
        tokio::runtime::Handle::try_current().map_err(|_| MailError::NoRuntime)?;
        let pool = PoolConfig::new().max_size(SMTP_CONNECTIONS).idle_timeout(SMTP_IDLE);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(MailError::SmtpUrl)?
            .timeout(Some(SMTP_TIMEOUT))
            .pool_config(pool)
            .build();
        Ok(Self::Smtp(transport))
    }

    /// A file transport writing into `dir`, created if missing.
    pub fn file(dir: &Path) -> Result<Self, MailError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| MailError::OutboxDir { path: dir.display().to_string(), source })?;
        Ok(Self::File(AsyncFileTransport::new(dir)))
    }

    /// An in-memory transport that accepts everything.
    pub fn stub() -> Self {
        Self::Stub(AsyncStubTransport::new_ok())
    }

    /// Hands one message to the transport; `Ok` means it was accepted.
    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        match self {
            Self::Smtp(transport) => {
                transport.send(message).await.map(drop).map_err(MailError::Smtp)
            }
            Self::File(transport) => {
                transport.send(message).await.map(drop).map_err(MailError::File)
            }
            Self::Stub(transport) => transport.send(message).await.map_err(MailError::Stub),
        }
    }

    /// What the stub transport has accepted so far (empty for the real transports).
    pub async fn stub_messages(&self) -> Vec<(Envelope, String)> {
        match self {
            Self::Stub(transport) => transport.messages().await,
            Self::Smtp(_) | Self::File(_) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Origin, RawSettings};

    fn settings_with(smtp_url: Option<&str>) -> Settings {
        let mut raw = RawSettings::defaults();
        if let Some(url) = smtp_url {
            raw.set("smtp_url", url.to_owned(), Origin::Default);
        }
        Settings::from_raw(&raw).unwrap()
    }

    #[test]
    fn smtp_outside_a_runtime_is_an_error_not_a_panic() {
        assert!(matches!(Mailer::smtp("smtp://127.0.0.1:2525"), Err(MailError::NoRuntime)));
    }

    #[tokio::test]
    async fn smtp_when_configured_otherwise_files() {
        let with_smtp = Mailer::from_settings(&settings_with(Some("smtp://127.0.0.1:2525")));
        assert!(matches!(with_smtp, Ok(Mailer::Smtp(_))));

        let dir = tempfile::tempdir().unwrap();
        let mut settings = settings_with(None);
        settings.data_dir = dir.path().join("data");
        assert!(matches!(Mailer::from_settings(&settings), Ok(Mailer::File(_))));
        assert!(dir.path().join("data/outbox").is_dir());
    }

    #[tokio::test]
    async fn the_stub_keeps_what_it_was_given() {
        let mailer = Mailer::stub();
        let message = Message::builder()
            .from("no-reply@mend.test".parse().unwrap())
            .to("sam@example.test".parse().unwrap())
            .subject("Hello")
            .body("Words".to_owned())
            .unwrap();
        mailer.send(message).await.unwrap();
        let kept = mailer.stub_messages().await;
        assert_eq!(kept.len(), 1);
        assert!(kept[0].1.contains("Subject: Hello"));
    }
}
