//! Signing a couple's agreement in the browser, without JavaScript: the "Sign this version"
//! form under the worksheet, the signatures given on the version shown, the agreement in force
//! and its download. The rules (who signs what, when it is in force) are the worksheets
//! service's; this only shows them and posts to it.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::content::Worksheet;
use crate::domain::worksheet::missing_required;
use crate::error::AppError;
use crate::web::api::worksheets::{actor, key, run};
use crate::web::downloads::{self, FormatLink, FormatQuery};
use crate::web::pages::see_other;
use crate::web::session::{CsrfForm, CurrentUser};
use crate::web::state::AppState;
use crate::web::worksheets::{own_url, revision_number, send_filled};
use crate::worksheets::{self, Opened, SignatureInfo};

/// Where the agreement box sits on the worksheet page, so a sign form lands back on it.
const ANCHOR: &str = "#agreement";

/// A signature as the page reads it: "Signed by Alex on 2 March 2026".
#[derive(Debug, Serialize)]
pub struct SignatureLine {
    pub name: String,
    pub date: String,
    pub by_you: bool,
}

/// The agreement in force, shown above the version being worked on.
#[derive(Debug, Serialize)]
pub struct InForceView {
    pub revision: u32,
    /// The day the second signature was given.
    pub since: String,
    pub names: Vec<String>,
    /// The newest version is the one in force (no later edit waits for signatures).
    pub current: bool,
    pub downloads: Vec<FormatLink>,
}

/// The agreement box of a `signatures = true` worksheet.
#[derive(Debug, Serialize)]
pub struct AgreementView {
    /// The version shown, which the sign form signs.
    pub revision: u32,
    /// The accounts are linked and the worksheet is the couple's, so it can be signed.
    pub signable: bool,
    pub signatures: Vec<SignatureLine>,
    /// Every required question of the version shown is answered, so it can be signed.
    pub complete: bool,
    /// The learner has signed the version shown.
    pub signed_by_you: bool,
    /// The partner has signed the version shown.
    pub signed_by_partner: bool,
    pub in_force: Option<InForceView>,
}

fn day(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%-d %B %Y").to_string()
}

fn line(signature: &SignatureInfo, user: &CurrentUser) -> SignatureLine {
    SignatureLine {
        name: signature.full_name.clone(),
        date: day(signature.signed_at, user.time_zone),
        by_you: signature.signer == Some(user.id),
    }
}

/// The agreement box for the page of `opened` at `url`, or `None` for a worksheet nobody signs.
pub fn agreement_view(
    opened: &Opened,
    worksheet: &Worksheet,
    user: &CurrentUser,
    url: &str,
) -> Option<AgreementView> {
    if !worksheet.signatures {
        return None;
    }
    let signatures: Vec<SignatureLine> = opened.signatures.iter().map(|s| line(s, user)).collect();
    let in_force = opened.in_force.map(|revision| InForceView {
        revision,
        since: opened
            .in_force_signatures
            .iter()
            .map(|s| s.signed_at)
            .max()
            .map_or_else(String::new, |at| day(at, user.time_zone)),
        names: opened.in_force_signatures.iter().map(|s| s.full_name.clone()).collect(),
        current: revision == opened.revision,
        downloads: downloads::format_links(&format!("{url}/agreement")),
    });
    Some(AgreementView {
        revision: opened.revision,
        signable: worksheet.shared && opened.linked && !opened.read_only && opened.revision > 0,
        complete: missing_required(&worksheet.fields, &opened.answers).is_empty(),
        signed_by_you: signatures.iter().any(|s| s.by_you),
        signed_by_partner: signatures.iter().any(|s| !s.by_you),
        signatures,
        in_force,
    })
}

/// The sign form: the version the learner read and their typed full name (text: a flattened
/// form reads every value as a string).
#[derive(Debug, Deserialize)]
pub struct SignForm {
    revision: String,
    full_name: String,
}

/// `POST /worksheets/{id}/sign`: signs the version shown, then back to the agreement box.
pub async fn sign(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<SignForm>,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(&state, &user)?, key(&path)?);
    let base = revision_number(&form.revision, "revision")?;
    let url = own_url(&key);
    let name = form.full_name;
    run(&state, move |conn| worksheets::sign(conn, &actor, &key, base, &name)).await?;
    Ok(see_other(&format!("{url}{ANCHOR}")))
}

/// `GET /worksheets/{id}/agreement/download`: the agreement in force (the newest version both
/// partners signed), with both signatures, even while a later edit waits for them. Not found
/// when none is in force; never cached.
pub async fn download_agreement(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    query: web::Query<FormatQuery>,
) -> Result<HttpResponse, AppError> {
    send_filled(&req, &state, &user, &path, &query, worksheets::agreement).await
}
