//! What every handler can reach: storage, content, templates, assets, the clock and accounts.

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::auth::csrf::CsrfKey;
use crate::auth::keyring::Keyring;
use crate::auth::unsubscribe::UnsubscribeKey;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::content::{Catalog, CatalogStore};
use crate::db::Database;
use crate::error::AppError;
use crate::notifications::Notifications;
use crate::partners::Partners;
use crate::templates::PageTemplates;
use crate::web::assets::AssetManifest;
use crate::web::session::SessionCookies;

/// Shared, cheaply cloned application state (one `Arc` per field that is expensive to copy).
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Database,
    pub templates: Arc<PageTemplates>,
    pub assets: Arc<AssetManifest>,
    pub clock: SharedClock,
    /// The live course catalog, swapped whole when content is recompiled.
    pub catalog: Arc<CatalogStore>,
    /// Registering, signing in, sessions and passwords.
    pub accounts: Arc<Accounts>,
    /// Seals and opens worksheet answers.
    pub keyring: Keyring,
    /// Renders partner mail about worksheets.
    pub notices: crate::worksheets::Notices,
    /// Invitations, partner links and what partners share.
    pub partners: Arc<Partners>,
    /// The admin console's services.
    pub admin: Arc<crate::admin::Console>,
    /// The learner's mail choices and one-click unsubscribing.
    pub notifications: Arc<Notifications>,
    /// Checks the signed unsubscribe links in mail (no sign-in needed to use one).
    pub unsubscribe: UnsubscribeKey,
    /// Enrolling by email, cohort imports, the enrolment list, bulk actions and exports.
    pub enrolments: Arc<crate::admin::enrolments::EnrolmentAdmin>,
    /// Reminder mail: an admin's "send a gentle nudge now" goes through the scheduler's path.
    pub reminders: crate::reminders::Reminders,
    pub csrf: CsrfKey,
    pub cookies: SessionCookies,
}

impl AppState {
    /// The live catalog, or 503 while no compile has succeeded.
    pub(crate) fn catalog(&self) -> Result<Arc<Catalog>, AppError> {
        self.catalog
            .current()
            .ok_or_else(|| AppError::NotReady("the course content has errors".into()))
    }
}
