//! Worksheets as Markdown: plain text that reads well as it is and renders anywhere.

use std::fmt::Write as _;

use super::model::{Block, Document, Question, Response, SIGNERS, Signing};
use super::{DocumentError, ORPHANED_HEADING, footer_text, long_date};

/// Writing space in a blank Markdown worksheet: one line to write on.
const BLANK_LINE: &str =
    "\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_";

/// Renders `document` as UTF-8 Markdown.
///
/// # Errors
/// None today; the signature matches the other renderers.
pub fn render(document: &Document) -> Result<Vec<u8>, DocumentError> {
    let mut out = String::new();
    line(&mut out, &format!("*{}*", escape(&document.course_title)));
    line(&mut out, &format!("# {}", escape(&document.title)));
    for block in &document.blocks {
        match block {
            Block::Heading(text) => line(&mut out, &format!("## {}", escape(text))),
            Block::Paragraph(text) => line(&mut out, &escape(text)),
            Block::Bullet(text) => {
                let _ = writeln!(out, "- {}", escape(text));
            }
            Block::Question(question) => self::question(&mut out, question),
        }
    }
    if !document.orphaned.is_empty() {
        line(&mut out, &format!("## {ORPHANED_HEADING}"));
        for orphan in &document.orphaned {
            line(&mut out, &format!("**{}**", escape(&orphan.field)));
            line(&mut out, &escape(&orphan.answer).replace('\n', "  \n"));
        }
    }
    if let Some(signing) = &document.signing {
        signatures(&mut out, signing);
    }
    let _ = writeln!(out, "---\n\n{}", escape(&footer_text(&document.stamp)));
    Ok(out.into_bytes())
}

/// A paragraph: the text and a blank line after it.
fn line(out: &mut String, text: &str) {
    let _ = writeln!(out, "{text}\n");
}

fn question(out: &mut String, question: &Question) {
    line(out, &format!("### {}", escape(&question.label)));
    let help = question.help_line();
    if !help.is_empty() {
        line(out, &format!("*{}*", escape(&help)));
    }
    match &question.response {
        Response::Lines(count) => {
            let lines = vec![BLANK_LINE; usize::from(*count)];
            line(out, &lines.join("\n\n"));
        }
        Response::Text(text) => line(out, &escape(text).replace('\n', "  \n")),
        Response::Items(items) => list(out, items.iter().map(|item| format!("- {}", escape(item)))),
        Response::Tick(ticked) => {
            line(out, &format!("- [{}] Yes", if *ticked { "x" } else { " " }))
        }
        Response::Choice { options, chosen } => list(
            out,
            options.iter().enumerate().map(|(index, option)| {
                let mark = if *chosen == Some(index) { "x" } else { " " };
                format!("- [{mark}] {}", escape(option))
            }),
        ),
    }
}

fn list(out: &mut String, items: impl Iterator<Item = String>) {
    for item in items {
        let _ = writeln!(out, "{item}");
    }
    out.push('\n');
}

fn signatures(out: &mut String, signing: &Signing) {
    line(out, "## Signatures");
    if let Some(hash) = &signing.revision_hash {
        line(out, &format!("Signed revision, content hash `{hash}`"));
    }
    for signature in &signing.signed {
        line(
            out,
            &format!(
                "**{}**  \nSigned on {}",
                escape(&signature.full_name),
                long_date(signature.date)
            ),
        );
    }
    for _ in signing.signed.len()..SIGNERS {
        line(out, &format!("Full name and signature: {BLANK_LINE} Date: {BLANK_LINE}"));
    }
}

/// Backslash-escapes what Markdown would otherwise read as markup in learner-written text.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_in_answers_is_escaped() {
        assert_eq!(escape("*not* <b>bold</b> #1"), "\\*not\\* \\<b\\>bold\\</b\\> \\#1");
    }
}
