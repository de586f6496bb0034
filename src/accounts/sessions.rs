//! Signing in and out, and checking a session token on every request.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::accounts::{AccountError, Accounts, Client, normalise};
use crate::auth::password::{MAX_CANDIDATE_BYTES, Verified};
use crate::auth::rate_limit::Limit;
use crate::auth::tokens;
use crate::db::models::session::{self, NewSession, Session};
use crate::db::models::user::{self, User};
use crate::db::{DbConnection, DbError};
use crate::domain::account::Email;
use crate::domain::ids::UserId;

/// A session without "remember me" lasts this long after the last activity (sliding).
const SESSION_TTL: Duration = Duration::hours(12);
/// "Remember me": signed in for 30 days after the last activity.
const REMEMBERED_TTL: Duration = Duration::days(30);
/// `last_seen_at` is written at most this often, not on every request.
const TOUCH_EVERY: Duration = Duration::minutes(5);
/// Sign-in attempts per IP address.
const SIGN_IN_LIMIT: Limit = Limit { max: 30, window: Duration::minutes(15) };
/// Longest user agent kept for the sessions page.
const MAX_USER_AGENT_CHARS: usize = 256;

/// What a sign-in form or API call sends.
#[derive(Debug)]
pub struct Credentials {
    pub email: String,
    pub password: String,
    pub remember: bool,
}

/// A new (or renewed) session token.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub remember: bool,
}

/// What a genuine, unexpired session token claims, before the database confirms the session
/// is still live.
#[derive(Debug, Clone)]
pub struct ClaimedSession {
    pub session_id: String,
    /// The token's subject: the account's id as text.
    user_id: String,
}

/// The account and session behind a valid token; `renewed` holds a fresh token when the old
/// one is past half its life (sliding renewal).
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: User,
    pub session: Session,
    pub renewed: Option<SignedIn>,
}

fn ttl(remember: bool) -> Duration {
    if remember { REMEMBERED_TTL } else { SESSION_TTL }
}

impl Accounts {
    /// Checks the password and opens a session. Unknown addresses, deactivated accounts and
    /// wrong passwords all fail the same way, after the same amount of hashing.
    pub async fn sign_in(
        &self,
        credentials: Credentials,
        client: &Client,
    ) -> Result<SignedIn, AccountError> {
        let key = format!("sign-in:{}", normalise(&credentials.email));
        self.limit("sign-in", SIGN_IN_LIMIT, client, None)?;
        self.backoff.check(&key, self.now())?;
        let usable = credentials.password.len() <= MAX_CANDIDATE_BYTES;
        let found = match Email::parse(&credentials.email) {
            Ok(email) if usable => self.find_active(email).await?,
            _ => None,
        };
        let password = if usable { credentials.password } else { String::new() };
        let stored = found.as_ref().map(|u| u.password_hash.clone());
        match (found, self.passwords.verify(password, stored).await?) {
            (Some(user), Verified::Yes { rehash }) => {
                self.backoff.clear(&key);
                self.open_session(user.id, rehash, credentials.remember, client).await
            }
            _ => {
                self.backoff.fail(&key, self.now());
                Err(AccountError::BadCredentials)
            }
        }
    }

    async fn find_active(&self, email: Email) -> Result<Option<User>, AccountError> {
        let found = self
            .db
            .run(move |conn| user::find_by_email(conn, email.as_str()).map_err(DbError::from))
            .await?;
        Ok(found.filter(|u| u.deactivated_at.is_none()))
    }

    /// Creates a session row (storing an upgraded password hash if there is one) and its token.
    pub(super) async fn open_session(
        &self,
        user_id: i64,
        rehash: Option<String>,
        remember: bool,
        client: &Client,
    ) -> Result<SignedIn, AccountError> {
        let now = self.now();
        let expires_at = now + ttl(remember);
        let sid = tokens::generate();
        let user_agent: String = client.user_agent.chars().take(MAX_USER_AGENT_CHARS).collect();
        let id = sid.clone();
        self.db
            .transaction(move |conn| {
                if let Some(hash) = rehash {
                    user::set_password_hash(conn, user_id, &hash, now.naive_utc())?;
                }
                let new = NewSession {
                    id: &id,
                    user_id,
                    user_agent: &user_agent,
                    remember,
                    created_at: now.naive_utc(),
                    last_seen_at: now.naive_utc(),
                    expires_at: expires_at.naive_utc(),
                };
                session::insert(conn, &new).map_err(AccountError::from)
            })
            .await?;
        let token = self.tokens.issue(user_id, &sid, now, expires_at)?;
        Ok(SignedIn { token, expires_at, remember })
    }

    /// The account behind a session token, if the token is genuine and current and its session
    /// is still live in the database (so revocation takes effect at once). One blocking-pool
    /// hop; pages on a hot path fold [`Accounts::check_session`] into their own hop instead.
    pub async fn authenticate(
        self: &Arc<Self>,
        token: &str,
    ) -> Result<Authenticated, AccountError> {
        let claimed = self.verify_token(token)?;
        let accounts = Arc::clone(self);
        self.db.run(move |conn| accounts.check_session(conn, &claimed)).await
    }

    /// Checks a session token's signature and lifetime, without the database: what a request
    /// claims before [`Accounts::check_session`] confirms it.
    pub fn verify_token(&self, token: &str) -> Result<ClaimedSession, AccountError> {
        let claims = self.tokens.verify(token, self.now()).map_err(|error| {
            tracing::debug!(%error, "session token refused");
            AccountError::NotSignedIn
        })?;
        Ok(ClaimedSession { session_id: claims.sid, user_id: claims.sub })
    }

    /// Confirms a claimed session against the sessions table on the caller's connection, so a
    /// page can check the session and read its own data in one hop. Writes only when due: at
    /// most every few minutes to record activity, and past half-life to slide the session on.
    pub fn check_session(
        &self,
        conn: &mut DbConnection,
        claimed: &ClaimedSession,
    ) -> Result<Authenticated, AccountError> {
        let now = self.now();
        let (session, user) = session::find_live(conn, &claimed.session_id, now.naive_utc())?
            .filter(|(_, user)| user.id.to_string() == claimed.user_id)
            .ok_or(AccountError::NotSignedIn)?;
        let renewed = self.renew_if_due(conn, &session, now)?;
        Ok(Authenticated { user, session, renewed })
    }

    /// Sliding renewal: records activity now and then, and past half-life extends the session
    /// and issues a fresh token so an active learner is never signed out mid-lesson.
    fn renew_if_due(
        &self,
        conn: &mut DbConnection,
        session: &Session,
        now: DateTime<Utc>,
    ) -> Result<Option<SignedIn>, AccountError> {
        let ttl = ttl(session.remember);
        let renew = session.expires_at.and_utc() - now < ttl / 2;
        if !renew && now - session.last_seen_at.and_utc() < TOUCH_EVERY {
            return Ok(None);
        }
        let expires_at = if renew { now + ttl } else { session.expires_at.and_utc() };
        session::touch(conn, &session.id, now.naive_utc(), expires_at.naive_utc())?;
        if !renew {
            return Ok(None);
        }
        let token = self.tokens.issue(session.user_id, &session.id, now, expires_at)?;
        Ok(Some(SignedIn { token, expires_at, remember: session.remember }))
    }

    /// Ends one of the user's sessions (this device, or one chosen on the sessions page).
    pub async fn sign_out(&self, user_id: UserId, session_id: String) -> Result<(), AccountError> {
        let (user_id, now) = (user_id.get(), self.now().naive_utc());
        self.db
            .run(move |conn| {
                session::revoke(conn, user_id, &session_id, now).map_err(DbError::from)
            })
            .await?;
        Ok(())
    }

    /// Ends every session of the user, on every device.
    pub async fn sign_out_everywhere(&self, user_id: UserId) -> Result<(), AccountError> {
        let (user_id, now) = (user_id.get(), self.now().naive_utc());
        self.db
            .run(move |conn| session::revoke_all(conn, user_id, now).map_err(DbError::from))
            .await?;
        Ok(())
    }

    /// The user's live sessions, most recent first.
    pub async fn sessions(&self, user_id: UserId) -> Result<Vec<Session>, AccountError> {
        let (user_id, now) = (user_id.get(), self.now().naive_utc());
        Ok(self
            .db
            .run(move |conn| session::list_live(conn, user_id, now).map_err(DbError::from))
            .await?)
    }
}
