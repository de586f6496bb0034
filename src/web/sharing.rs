//! Who can see a worksheet, said on its page, and the "Share with my partner" / "Stop
//! sharing" toggle for a private one; the partner reads a shared private worksheet on a page
//! of its own, read-only. Sharing itself is the worksheets service's.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::content::{Catalog, Worksheet};
use crate::error::AppError;
use crate::web::api::worksheets::{actor, key, run};
use crate::web::downloads;
use crate::web::pages::see_other;
use crate::web::session::{CsrfForm, CurrentUser, page_context};
use crate::web::state::AppState;
use crate::web::views;
use crate::web::worksheets::{form_blocks, own_url};
use crate::worksheets::{self, Opened};

/// The sharing line and toggle of a worksheet page.
#[derive(Debug, Serialize)]
pub struct SharingView {
    /// Who can see (and change) this worksheet, in plain words.
    pub who_can_see: &'static str,
    /// For a private worksheet while linked: `true` offers "Share with my partner", `false`
    /// offers "Stop sharing". `None`: nothing to toggle.
    pub offer_share: Option<bool>,
}

/// Who can see `opened` and what the learner can change about it.
pub fn sharing_view(opened: &Opened, worksheet: &Worksheet) -> SharingView {
    let who_can_see = match (worksheet.shared, opened.linked, opened.shared_with_partner) {
        _ if opened.read_only => {
            "Your partner shared this with you to read. Only they can change it."
        }
        (true, true, _) => "You and your partner both see and edit this.",
        (true, false, _) => {
            "Only you can see this. Once you link accounts with your partner, you write this \
             one together."
        }
        (false, _, true) => "You and your partner can see this. Only you can change it.",
        (false, true, false) => "Only you can see this, unless you choose to share it.",
        (false, false, false) => "Only you can see this.",
    };
    let private_and_linked = !worksheet.shared && opened.linked && !opened.read_only;
    SharingView {
        who_can_see,
        offer_share: private_and_linked.then_some(!opened.shared_with_partner),
    }
}

/// The toggle's form: `share` is `yes` or `no`.
#[derive(Debug, Deserialize)]
pub struct ShareForm {
    share: String,
}

/// `POST /worksheets/{id}/share`: shares the learner's private worksheet with their partner
/// to read, or stops sharing it; then back to the worksheet.
pub async fn share(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<ShareForm>,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(&state, &user)?, key(&path)?);
    let shared = match form.share.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return Err(AppError::InvalidField {
                field: "share",
                message: "choose to share or to stop sharing".into(),
            });
        }
    };
    let url = own_url(&key);
    run(&state, move |conn| worksheets::share_with_partner(conn, &actor, &key, shared)).await?;
    Ok(see_other(&url))
}

/// The page the partner sees for a private worksheet shared with them: the questions with the
/// answers, nothing to edit.
pub fn read_only_page(
    req: &HttpRequest,
    state: &AppState,
    catalog: &Catalog,
    opened: &Opened,
) -> Result<HttpResponse, AppError> {
    let key = &opened.key;
    let worksheet = catalog.worksheet(&key.course, &key.worksheet).ok_or(AppError::NotFound)?;
    let url = own_url(key);
    let mut context = page_context(req);
    context.insert("worksheet", &views::WorksheetSummary::of(&key.course, worksheet));
    context.insert("url", &url);
    context.insert("blocks", &form_blocks(worksheet, &opened.answers));
    context.insert("sharing", &sharing_view(opened, worksheet));
    context.insert("filled", &downloads::format_links(&url));
    state.page("pages/worksheet_shared.html", &context)
}
