//! The tera environments, embedded in the binary so one file is all a deployment needs. Pages
//! and emails are parsed into separate environments (as crates.io keeps its email templates
//! apart): a page can never extend an email layout, and mail renders without anything of HTTP.

use std::collections::BTreeMap;

use rust_embed::RustEmbed;
use tera::{Context, Tera};

/// Everything under `templates/` except the emails: pages, their base and partials.
#[derive(rust_embed::Embed)]
#[folder = "templates/"]
#[include = "*.html"]
#[include = "*.txt"]
#[exclude = "emails/*"]
struct PageFiles;

/// `templates/emails/<name>/{subject.txt, body.txt, body.html}`, named `emails/…` as before.
#[derive(rust_embed::Embed)]
#[folder = "templates/emails/"]
#[prefix = "emails/"]
#[include = "*.html"]
#[include = "*.txt"]
struct EmailFiles;

/// The page templates, with what every page links to in the global context: the asset URLs
/// and the quick exit, so no page (an error page included) can be rendered without them.
pub struct PageTemplates(Tera);

impl PageTemplates {
    /// Parses every embedded page; a broken template stops start-up with its name and line.
    /// `asset_urls` maps template-friendly names (`app_css`) to hashed URLs; `quick_exit_url`
    /// is where the "Quick exit" on every page leaves for.
    pub fn load(
        asset_urls: &BTreeMap<String, String>,
        quick_exit_url: &str,
    ) -> Result<Self, tera::Error> {
        let mut tera = parse::<PageFiles>()?;
        tera.global_context().insert("assets", asset_urls);
        tera.global_context().insert("quick_exit_url", quick_exit_url);
        Ok(Self(tera))
    }

    /// Renders a page to a string.
    pub fn render(&self, name: &str, context: &Context) -> Result<String, tera::Error> {
        self.0.render(name, context)
    }
}

/// The email templates: HTML parts are escaped, subjects and text bodies are not.
pub struct EmailTemplates(Tera);

impl EmailTemplates {
    /// Parses every embedded email template.
    pub fn load() -> Result<Self, tera::Error> {
        parse::<EmailFiles>().map(Self)
    }

    /// Renders one part, e.g. `emails/verify_email/subject.txt`.
    pub fn render(&self, name: &str, context: &Context) -> Result<String, tera::Error> {
        self.0.render(name, context)
    }

    /// Renders a template given as source (a course's email override) with the same filters;
    /// `html` turns escaping on. Such a template cannot extend or include others.
    pub fn render_str(
        &self,
        source: &str,
        context: &Context,
        html: bool,
    ) -> Result<String, tera::Error> {
        self.0.render_str(source, context, html)
    }
}

/// One environment holding every file of `Files`, autoescaping `.html` only.
fn parse<Files: RustEmbed>() -> Result<Tera, tera::Error> {
    let mut tera = Tera::new();
    let sources: Vec<(String, String)> = Files::iter()
        .filter_map(|name| {
            let file = Files::get(&name)?;
            Some((name.to_string(), String::from_utf8_lossy(&file.data).into_owned()))
        })
        .collect();
    tera.add_raw_templates(sources)?;
    tera.autoescape_on(vec![".html"]);
    Ok(tera)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_emails_live_in_separate_environments() {
        let pages = PageTemplates::load(&BTreeMap::new(), "https://example.org/").unwrap();
        let emails = EmailTemplates::load().unwrap();
        let context = Context::new();
        assert!(pages.render("emails/verify_email/subject.txt", &context).is_err());
        assert!(emails.render("pages/error.html", &context).is_err());
        assert!(emails.render("emails/verify_email/subject.txt", &context).is_ok());
    }
}
