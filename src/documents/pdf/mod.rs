//! Worksheets as PDF through krilla (chosen over typst-as-a-library on build time and binary
//! size; see BENCHMARKS.md): A4, embedded subset fonts, page numbers, date and revision in
//! every footer.

mod fonts;
mod layout;

use krilla::Document as Pdf;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::TextDirection;

use self::fonts::Fonts;
use self::layout::{LEFT, Op, PAGE_HEIGHT, PAGE_WIDTH, Pen, RIGHT, Style};
use super::model::{Block, Document, Orphan, Question, Response, SIGNERS, Signing};
use super::{
    BULLET, DocumentError, ORPHANED_HEADING, choice_mark, footer_text, long_date, tick_mark,
};

/// Renders `document` as a PDF file.
///
/// # Errors
/// [`DocumentError::Font`] if the embedded fonts do not parse, [`DocumentError::Pdf`] if
/// krilla cannot write the file.
pub fn render(document: &Document) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts::load()?;
    let mut pen = Pen::new(&fonts);
    flow(&mut pen, document);
    let pages = std::mem::take(&mut pen.pages);
    let mut pdf = Pdf::new();
    pdf.set_metadata(
        Metadata::new()
            .title(format!("{} — {}", document.title, document.course_title))
            .creator("Mend".to_string()),
    );
    let footer = footer_text(&document.stamp);
    let total = pages.len();
    for (index, ops) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or(DocumentError::Pdf("A4 is not a valid page size".to_string()))?;
        let mut page = pdf.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, &fonts, op);
        }
        let number = format!("Page {} of {total}", index + 1);
        draw_footer(&mut surface, &fonts, &footer, &number);
        surface.finish();
        page.finish();
    }
    pdf.finish().map_err(|error| DocumentError::Pdf(format!("{error:?}")))
}

/// Everything above the footer, in reading order.
fn flow(pen: &mut Pen<'_>, document: &Document) {
    pen.text(&document.course_title, Style::muted(10.0), 0.0);
    pen.gap(4.0);
    pen.text(&document.title, Style::bold(20.0), 0.0);
    pen.gap(10.0);
    for block in &document.blocks {
        match block {
            Block::Heading(text) => heading(pen, text),
            Block::Paragraph(text) => {
                pen.text(text, Style::regular(10.5), 0.0);
                pen.gap(5.0);
            }
            Block::Bullet(text) => pen.marked(BULLET, text, Style::regular(10.5), 6.0),
            Block::Question(question) => self::question(pen, question),
        }
    }
    if !document.orphaned.is_empty() {
        orphaned(pen, &document.orphaned);
    }
    if let Some(signing) = &document.signing {
        signatures(pen, signing);
    }
}

fn heading(pen: &mut Pen<'_>, text: &str) {
    pen.gap(10.0);
    // A heading never sits alone at the foot of a page.
    pen.keep(60.0);
    pen.text(text, Style::bold(13.0), 0.0);
    pen.gap(2.0);
}

fn question(pen: &mut Pen<'_>, question: &Question) {
    pen.gap(4.0);
    pen.keep(48.0);
    pen.text(&question.label, Style::bold(11.0), 0.0);
    let help = question.help_line();
    if !help.is_empty() {
        pen.text(&help, Style::muted(9.0), 0.0);
    }
    pen.gap(3.0);
    response(pen, &question.response);
    pen.gap(8.0);
}

fn response(pen: &mut Pen<'_>, response: &Response) {
    let answer = Style::regular(11.0);
    match response {
        Response::Lines(count) => pen.rules(*count, 22.0),
        Response::Text(text) => pen.text(text, answer, 0.0),
        Response::Items(items) => {
            for item in items {
                pen.marked(BULLET, item, answer, 0.0);
            }
        }
        Response::Tick(ticked) => pen.marked(tick_mark(*ticked), "Yes", answer, 0.0),
        Response::Choice { options, chosen } => {
            for (index, option) in options.iter().enumerate() {
                pen.marked(choice_mark(*chosen == Some(index)), option, answer, 0.0);
            }
        }
    }
}

fn orphaned(pen: &mut Pen<'_>, orphans: &[Orphan]) {
    heading(pen, ORPHANED_HEADING);
    for orphan in orphans {
        pen.keep(40.0);
        pen.text(&orphan.field, Style::bold(10.0), 0.0);
        pen.text(&orphan.answer, Style::regular(11.0), 0.0);
        pen.gap(6.0);
    }
}

fn signatures(pen: &mut Pen<'_>, signing: &Signing) {
    heading(pen, "Signatures");
    if let Some(hash) = &signing.revision_hash {
        pen.text(&format!("Signed revision, content hash {hash}"), Style::muted(8.5), 0.0);
    }
    for signature in &signing.signed {
        pen.gap(10.0);
        pen.keep(40.0);
        pen.text(&signature.full_name, Style::bold(13.0), 0.0);
        pen.text(&format!("Signed on {}", long_date(signature.date)), Style::muted(9.0), 0.0);
    }
    for _ in signing.signed.len()..SIGNERS {
        pen.signature_lines(["Full name and signature", "Date"]);
    }
}

fn draw(surface: &mut Surface<'_>, fonts: &Fonts, op: &Op) {
    match op {
        Op::Text { x, y, style, text } => {
            let face = if style.bold { &fonts.bold } else { &fonts.regular };
            surface.set_fill(Some(Fill {
                paint: luma::Color::new(style.gray).into(),
                ..Fill::default()
            }));
            surface.draw_text(
                Point::from_xy(*x, *y),
                face.pdf.clone(),
                style.size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Op::Rule { x1, x2, y } => {
            let mut path = PathBuilder::new();
            path.move_to(*x1, *y);
            path.line_to(*x2, *y);
            let Some(path) = path.finish() else {
                return;
            };
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke {
                paint: luma::Color::new(150).into(),
                width: 0.6,
                ..Stroke::default()
            }));
            surface.draw_path(&path);
            surface.set_stroke(None);
        }
    }
}

/// Date and revision on the left, the page number on the right, on every page.
fn draw_footer(surface: &mut Surface<'_>, fonts: &Fonts, footer: &str, number: &str) {
    let style = Style::muted(8.0);
    let y = PAGE_HEIGHT - 36.0;
    let footer = fonts.regular.drawable(footer);
    draw(surface, fonts, &Op::Text { x: LEFT, y, style, text: footer });
    let x = RIGHT - fonts.regular.width(number, style.size);
    draw(surface, fonts, &Op::Text { x, y, style, text: number.to_string() });
}
