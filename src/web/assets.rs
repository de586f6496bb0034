//! Static files (CSS, fonts, a little JS) embedded in the binary and served under content-hashed
//! names, so browsers may cache them forever and a new release is picked up at once.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::error::AppError;
use crate::web::state::AppState;

#[derive(rust_embed::Embed)]
#[folder = "static/"]
struct StaticFiles;

/// Maps each embedded file to its hashed URL, and back.
#[derive(Debug, Default)]
pub struct AssetManifest {
    /// `app.css` -> `/static/app.3f9c1a2b7d.css`, for templates.
    urls: BTreeMap<String, String>,
    /// `app.3f9c1a2b7d.css` -> `app.css`, for serving.
    files: HashMap<String, String>,
}

impl AssetManifest {
    /// Hashes every embedded file once, at start-up.
    pub fn build() -> Self {
        let mut manifest = Self::default();
        for name in StaticFiles::iter() {
            let Some(file) = StaticFiles::get(&name) else {
                continue;
            };
            let hash = hex::encode(&file.metadata.sha256_hash()[..5]);
            let hashed = hashed_name(&name, &hash);
            manifest.urls.insert(name.to_string(), format!("/static/{hashed}"));
            manifest.files.insert(hashed, name.to_string());
        }
        manifest
    }

    /// URLs keyed by a template-friendly name (`app.css` becomes `app_css`).
    pub fn template_urls(&self) -> BTreeMap<String, String> {
        self.urls
            .iter()
            .map(|(name, url)| (name.replace(['.', '/', '-'], "_"), url.clone()))
            .collect()
    }

    fn lookup(&self, hashed: &str) -> Option<(Cow<'static, [u8]>, &str)> {
        let name = self.files.get(hashed)?;
        StaticFiles::get(name).map(|file| (file.data, name.as_str()))
    }
}

/// `css/app.css` + `ab12` -> `css/app.ab12.css`; names without an extension get a suffix.
fn hashed_name(name: &str, hash: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.{hash}.{ext}"),
        _ => format!("{name}.{hash}"),
    }
}

/// Serves one hashed asset with a year-long immutable cache.
pub async fn serve(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (data, name) = state.assets.lookup(&path).ok_or(AppError::NotFound)?;
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    Ok(HttpResponse::Ok()
        .content_type(mime.essence_str())
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(data.into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_file_gets_a_hashed_url_that_resolves() {
        let manifest = AssetManifest::build();
        let url = manifest.urls.get("app.css").expect("app.css is embedded");
        assert!(url.starts_with("/static/app.") && url.ends_with(".css"), "{url}");
        let hashed = url.trim_start_matches("/static/");
        assert!(manifest.lookup(hashed).is_some());
        assert!(manifest.lookup("app.css").is_none(), "unhashed names are not served");
    }

    #[test]
    fn hashed_names_keep_the_extension_last() {
        assert_eq!(hashed_name("fonts/a.woff2", "00ff"), "fonts/a.00ff.woff2");
        assert_eq!(hashed_name("LICENSE", "00ff"), "LICENSE.00ff");
    }
}
