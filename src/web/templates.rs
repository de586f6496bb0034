//! Tera templates, embedded in the binary so one file is all a deployment needs.

use actix_web::HttpResponse;
use tera::{Context, Tera};

use crate::error::AppError;
use crate::web::assets::AssetManifest;

#[derive(rust_embed::Embed)]
#[folder = "templates/"]
#[include = "*.html"]
#[include = "*.txt"]
struct TemplateFiles;

/// The compiled templates, with the values every page needs (asset URLs) in the global context.
pub struct Templates {
    tera: Tera,
}

impl Templates {
    /// Parses every embedded template; a broken template stops start-up with its name and line.
    pub fn load(assets: &AssetManifest) -> Result<Self, tera::Error> {
        let mut tera = Tera::new();
        let sources: Vec<(String, String)> = TemplateFiles::iter()
            .filter_map(|name| {
                let file = TemplateFiles::get(&name)?;
                Some((name.to_string(), String::from_utf8_lossy(&file.data).into_owned()))
            })
            .collect();
        tera.add_raw_templates(sources)?;
        tera.autoescape_on(vec![".html"]);
        tera.global_context().insert("assets", &assets.template_urls());
        Ok(Self { tera })
    }

    /// Renders a template to a string.
    pub fn render(&self, name: &str, context: &Context) -> Result<String, tera::Error> {
        self.tera.render(name, context)
    }

    /// Renders a full HTML page response.
    pub fn page(&self, name: &str, context: &Context) -> Result<HttpResponse, AppError> {
        let body = self.render(name, context)?;
        Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
    }
}
