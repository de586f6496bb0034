//! What every handler can reach: storage, content, templates, assets, the clock and accounts.

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::auth::csrf::CsrfKey;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::content::CatalogStore;
use crate::db::Database;
use crate::web::assets::AssetManifest;
use crate::web::session::SessionCookies;
use crate::web::templates::Templates;

/// Shared, cheaply cloned application state (one `Arc` per field that is expensive to copy).
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Database,
    pub templates: Arc<Templates>,
    pub assets: Arc<AssetManifest>,
    pub clock: SharedClock,
    /// The live course catalog, swapped whole when content is recompiled.
    pub catalog: Arc<CatalogStore>,
    /// Registering, signing in, sessions and passwords.
    pub accounts: Arc<Accounts>,
    pub csrf: CsrfKey,
    pub cookies: SessionCookies,
}
