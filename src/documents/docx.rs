//! Worksheets as DOCX through docx-rs, for people who want to type into Word or LibreOffice:
//! A4, heading styles (so the navigator lists the questions), underscore-leader lines to write
//! on, page numbers as fields in the footer.

use std::io::Cursor;

use docx_rs::{
    AlignmentType, Docx, Footer, NumPages, PageMargin, PageNum, Paragraph, Run, RunFonts, Style,
    StyleType, Tab, TabLeaderType, TabValueType,
};

use super::model::{Block, Document, Orphan, Question, Response, SIGNERS, Signing};
use super::{
    BULLET, DocumentError, ORPHANED_HEADING, choice_mark, footer_text, long_date, tick_mark,
};

/// A4 in twentieths of a point, with 2 cm margins.
const PAGE: (u32, u32) = (11_906, 16_838);
const MARGIN: i32 = 1_134;
/// Width between the margins, where writing lines end.
const MEASURE: usize = 11_906 - 2 * 1_134;
const FONT: &str = "DejaVu Sans";
const MUTED: &str = "595959";

/// Renders `document` as a DOCX file.
///
/// # Errors
/// [`DocumentError::Docx`] if the archive cannot be written.
pub fn render(document: &Document) -> Result<Vec<u8>, DocumentError> {
    let mut docx = setup().add_paragraph(muted(&document.course_title, 20)).add_paragraph(
        Paragraph::new().style("Title").add_run(Run::new().add_text(&document.title)),
    );
    for block in &document.blocks {
        docx = match block {
            Block::Heading(text) => docx.add_paragraph(heading(text)),
            Block::Paragraph(text) => docx.add_paragraph(text_paragraph(text)),
            Block::Bullet(text) => docx.add_paragraph(marked(BULLET, text)),
            Block::Question(question) => self::question(docx, question),
        };
    }
    if !document.orphaned.is_empty() {
        docx = orphaned(docx, &document.orphaned);
    }
    if let Some(signing) = &document.signing {
        docx = signatures(docx, signing);
    }
    let mut bytes = Cursor::new(Vec::new());
    docx.footer(footer(&footer_text(&document.stamp)))
        .pack(&mut bytes)
        .map_err(|error| DocumentError::Docx(error.to_string()))?;
    Ok(bytes.into_inner())
}

/// Page, fonts and the styles the paragraphs refer to.
fn setup() -> Docx {
    let fonts = RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT).east_asia(FONT);
    let margin = PageMargin::new().top(MARGIN).bottom(MARGIN).left(MARGIN).right(MARGIN);
    let style = |id: &str, name: &str, size: usize| {
        Style::new(id, StyleType::Paragraph).name(name).size(size).bold().next("Normal")
    };
    Docx::new()
        .page_size(PAGE.0, PAGE.1)
        .page_margin(margin)
        .default_fonts(fonts)
        .default_size(21)
        .add_style(style("Title", "Title", 40))
        .add_style(style("Heading1", "heading 1", 26).outline_lvl(0))
        .add_style(style("Heading2", "heading 2", 22).outline_lvl(1))
}

fn heading(text: &str) -> Paragraph {
    Paragraph::new().style("Heading1").keep_next(true).add_run(Run::new().add_text(text))
}

/// A paragraph of small grey text.
fn muted(text: &str, size: usize) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text).size(size).color(MUTED))
}

/// Multi-line text as one paragraph with line breaks.
fn text_paragraph(text: &str) -> Paragraph {
    let mut run = Run::new();
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            run = run.add_break(docx_rs::BreakType::TextWrapping);
        }
        run = run.add_text(line);
    }
    Paragraph::new().add_run(run)
}

/// A marker (bullet, box, circle) then the text.
fn marked(marker: &str, text: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(format!("{marker}\u{a0}{text}")))
}

/// An empty line to write on: a tab to the right margin drawn as underscores.
fn writing_line(caption: &str) -> Paragraph {
    Paragraph::new()
        .add_tab(Tab::new().val(TabValueType::Right).leader(TabLeaderType::Underscore).pos(MEASURE))
        .add_run(Run::new().add_text(caption).color(MUTED).add_tab())
}

fn question(mut docx: Docx, question: &Question) -> Docx {
    docx = docx.add_paragraph(
        Paragraph::new()
            .style("Heading2")
            .keep_next(true)
            .add_run(Run::new().add_text(&question.label)),
    );
    let help = question.help_line();
    if !help.is_empty() {
        docx = docx.add_paragraph(muted(&help, 18).keep_next(true));
    }
    match &question.response {
        Response::Lines(count) => {
            (0..*count).fold(docx, |docx, _| docx.add_paragraph(writing_line("")))
        }
        Response::Text(text) => docx.add_paragraph(text_paragraph(text)),
        Response::Items(items) => {
            items.iter().fold(docx, |docx, item| docx.add_paragraph(marked(BULLET, item)))
        }
        Response::Tick(ticked) => docx.add_paragraph(marked(tick_mark(*ticked), "Yes")),
        Response::Choice { options, chosen } => {
            options.iter().enumerate().fold(docx, |docx, (index, option)| {
                docx.add_paragraph(marked(choice_mark(*chosen == Some(index)), option))
            })
        }
    }
}

fn orphaned(mut docx: Docx, orphans: &[Orphan]) -> Docx {
    docx = docx.add_paragraph(heading(ORPHANED_HEADING));
    for orphan in orphans {
        docx = docx
            .add_paragraph(
                Paragraph::new().keep_next(true).add_run(Run::new().add_text(&orphan.field).bold()),
            )
            .add_paragraph(text_paragraph(&orphan.answer));
    }
    docx
}

fn signatures(mut docx: Docx, signing: &Signing) -> Docx {
    docx = docx.add_paragraph(heading("Signatures"));
    if let Some(hash) = &signing.revision_hash {
        docx = docx.add_paragraph(muted(&format!("Signed revision, content hash {hash}"), 16));
    }
    for signature in &signing.signed {
        docx = docx
            .add_paragraph(
                Paragraph::new()
                    .keep_next(true)
                    .add_run(Run::new().add_text(&signature.full_name).bold().size(26)),
            )
            .add_paragraph(muted(&format!("Signed on {}", long_date(signature.date)), 18));
    }
    for _ in signing.signed.len()..SIGNERS {
        docx = docx
            .add_paragraph(writing_line("Full name and signature "))
            .add_paragraph(writing_line("Date "));
    }
    docx
}

/// Date and revision, then "Page N of M" as fields the word processor fills in.
fn footer(text: &str) -> Footer {
    let paragraph = Paragraph::new()
        .add_tab(Tab::new().val(TabValueType::Right).pos(MEASURE))
        .add_run(Run::new().add_text(text).size(16).color(MUTED).add_tab().add_text("Page "))
        .add_page_num(PageNum::new())
        .add_run(Run::new().add_text(" of ").size(16).color(MUTED))
        .add_num_pages(NumPages::new())
        .align(AlignmentType::Left);
    Footer::new().add_paragraph(paragraph)
}
