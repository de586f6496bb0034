//! axe-core in the page under test: inject the vendored engine over WebDriver, run the WCAG 2.1
//! AA and best-practice rules, and report what it finds.

use std::fmt;

use serde::Deserialize;
use serde_json::json;

use crate::harness::Browser;

/// axe-core, vendored from npm (see `fixtures/README.md`).
const AXE_SOURCE: &str = include_str!("fixtures/axe.min.js");

/// The rule sets we hold pages to.
const TAGS: &[&str] = &["wcag2a", "wcag2aa", "wcag21aa", "best-practice"];

/// Runs axe on the current page and hands back its violations as JSON-friendly data. Only the
/// fields we print come back, so the WebDriver response stays small.
const RUN_AXE: &str = r#"
const [tags, done] = [arguments[0], arguments[arguments.length - 1]];
axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })
  .then(result => done({ violations: result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({ target: n.target.map(String), summary: n.failureSummary || "" })),
  })) }))
  .catch(error => done({ error: String(error) }));
"#;

/// One failed rule on one page.
#[derive(Debug, Deserialize)]
pub struct Violation {
    pub id: String,
    pub impact: Option<String>,
    pub help: String,
    pub nodes: Vec<Node>,
}

/// One element that failed a rule.
#[derive(Debug, Deserialize)]
pub struct Node {
    pub target: Vec<String>,
    pub summary: String,
}

#[derive(Debug, Deserialize)]
struct Outcome {
    #[serde(default)]
    violations: Vec<Violation>,
    error: Option<String>,
}

impl Violation {
    /// Serious and critical violations fail a test; minor and moderate ones are printed.
    pub fn is_blocking(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let impact = self.impact.as_deref().unwrap_or("unknown");
        writeln!(f, "  {} [{impact}]: {}", self.id, self.help)?;
        for node in &self.nodes {
            let summary = node.summary.replace('\n', " ");
            writeln!(f, "    at {}: {summary}", node.target.join(" "))?;
        }
        Ok(())
    }
}

/// Injects axe into the page that is open (a WebDriver script is not subject to the page's
/// Content-Security-Policy) and runs it.
pub async fn check(browser: &Browser) -> Vec<Violation> {
    let client = &browser.client;
    let loaded = client.execute(&format!("{AXE_SOURCE}\nreturn typeof axe;"), vec![]).await;
    assert_eq!(loaded.unwrap(), json!("object"), "axe-core loaded into the page");
    let outcome = client.execute_async(RUN_AXE, vec![json!(TAGS)]).await.unwrap();
    let outcome: Outcome = serde_json::from_value(outcome).unwrap();
    if let Some(error) = outcome.error {
        panic!("axe.run failed: {error}");
    }
    outcome.violations
}
