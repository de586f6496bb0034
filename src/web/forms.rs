//! Re-showing a form after a problem: what was typed (never passwords) and what was wrong, in
//! the shape `templates/partials/forms.html` prints as the error summary at the top (linked to
//! each field) and the message beside each field.

use std::collections::BTreeMap;

use serde_json::Value;
use tera::Context;

use crate::domain::account::FieldError;
use crate::error::FieldProblem;

/// What a form page shows besides its fields. Field names double as the inputs' ids, so the
/// summary links straight to each field.
#[derive(Debug, Clone)]
pub struct FormFeedback {
    values: Value,
    errors: Vec<FieldProblem>,
}

impl FormFeedback {
    /// A form as first shown: `values` prefilled, nothing wrong yet.
    pub fn fresh(values: Value) -> Self {
        Self { values, errors: Vec::new() }
    }

    /// A form re-shown with what was typed and its problems, in the order of the form.
    pub fn with_errors(values: Value, errors: Vec<FieldProblem>) -> Self {
        Self { values, errors }
    }

    /// Adds `values`, `errors` (by field, for the messages beside fields) and `error_summary`
    /// (in order, for the box at the top) to a page's context.
    pub fn insert_into(&self, context: &mut Context) {
        let by_field: BTreeMap<&str, &str> =
            self.errors.iter().map(|e| (e.field.as_str(), e.message.as_str())).collect();
        context.insert("errors", &by_field);
        context.insert("error_summary", &self.errors);
        context.insert("values", &self.values);
    }
}

impl From<&FieldError> for FieldProblem {
    fn from(error: &FieldError) -> Self {
        Self { field: error.field.to_owned(), message: error.message.to_owned() }
    }
}

/// Account field errors as problems a form shows.
pub fn problems(errors: &[FieldError]) -> Vec<FieldProblem> {
    errors.iter().map(FieldProblem::from).collect()
}

/// `?saved=…` on the page a form redirects back to after storing it (post/redirect/get), so the
/// page can say "Saved"; the value says what was saved when a page has several forms.
#[derive(Debug, serde::Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    pub saved: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(source: &str, feedback: &FormFeedback) -> String {
        let mut tera = tera::Tera::new();
        let forms = include_str!("../../templates/partials/forms.html");
        tera.add_raw_templates(vec![("partials/forms.html", forms), ("page.html", source)])
            .unwrap();
        tera.autoescape_on(vec![".html"]);
        let mut context = Context::new();
        feedback.insert_into(&mut context);
        tera.render("page.html", &context).unwrap()
    }

    const PAGE: &str = r#"{{ <ErrorSummary errors={error_summary} /> }}{{ <Field id="email" label="Email" errors={errors} type="email" value={values.email} hint="Yours" /> }}{{ <Field id="password" label="Password" errors={errors} type="password" /> }}"#;

    #[test]
    fn a_re_shown_form_links_the_summary_to_each_field_and_keeps_what_was_typed() {
        let errors = vec![FieldProblem { field: "email".into(), message: "Enter <one>.".into() }];
        let html = render(PAGE, &FormFeedback::with_errors(json!({"email": "a@b"}), errors));
        assert!(html.contains(r##"<a href="#email">Enter &lt;one&gt;.</a>"##), "{html}");
        assert!(html.contains(r#"id="email-error""#), "{html}");
        assert!(html.contains(r#"aria-describedby="email-error email-hint""#), "{html}");
        assert!(html.contains(r#"aria-invalid="true""#), "{html}");
        assert!(html.contains(r#"value="a@b""#), "{html}");
        assert!(!html.contains(r#"password-error"#), "{html}");
    }

    #[test]
    fn a_fresh_form_has_no_summary_and_only_hints() {
        let html = render(PAGE, &FormFeedback::fresh(json!({"email": ""})));
        assert!(!html.contains("error-summary"), "{html}");
        assert!(!html.contains("aria-invalid"), "{html}");
        assert!(html.contains(r#"aria-describedby="email-hint""#), "{html}");
    }
}
