//! A small flow layout for A4 pages: wraps text to the measure, breaks pages, and records what
//! to draw so the footer can say "Page 1 of N" once N is known.

use super::fonts::{Fonts, Typeface};

/// A4 in PDF points.
pub(super) const PAGE_WIDTH: f32 = 595.28;
pub(super) const PAGE_HEIGHT: f32 = 841.89;
/// 2 cm margins left and right, a little more at the bottom for the footer.
pub(super) const LEFT: f32 = 56.7;
pub(super) const RIGHT: f32 = PAGE_WIDTH - 56.7;
const TOP: f32 = 56.7;
const BOTTOM: f32 = PAGE_HEIGHT - 70.0;

/// How a run of text looks.
#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    pub bold: bool,
    pub size: f32,
    /// 0 is black, 255 white.
    pub gray: u8,
}

impl Style {
    pub const fn regular(size: f32) -> Self {
        Self { bold: false, size, gray: 0 }
    }

    pub const fn bold(size: f32) -> Self {
        Self { bold: true, size, gray: 0 }
    }

    pub const fn muted(size: f32) -> Self {
        Self { bold: false, size, gray: 90 }
    }

    fn line_height(self) -> f32 {
        self.size * 1.45
    }
}

/// One thing to draw on a page, in page coordinates (origin top left, y down).
#[derive(Debug, Clone)]
pub(super) enum Op {
    /// Text on a baseline.
    Text { x: f32, y: f32, style: Style, text: String },
    /// A thin horizontal line to write on.
    Rule { x1: f32, x2: f32, y: f32 },
}

/// Lays content out top to bottom across as many pages as it needs.
pub(super) struct Pen<'f> {
    fonts: &'f Fonts,
    pub pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'f> Pen<'f> {
    pub fn new(fonts: &'f Fonts) -> Self {
        Self { fonts, pages: vec![Vec::new()], y: TOP }
    }

    fn face(&self, style: Style) -> &'f Typeface {
        if style.bold { &self.fonts.bold } else { &self.fonts.regular }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// Starts a new page unless `height` still fits on this one.
    pub fn keep(&mut self, height: f32) {
        if self.y + height > BOTTOM && self.y > TOP {
            self.pages.push(Vec::new());
            self.y = TOP;
        }
    }

    /// Vertical space, dropped at the top of a page.
    pub fn gap(&mut self, height: f32) {
        if self.y > TOP {
            self.y += height;
        }
    }

    /// Wrapped text starting `indent` points in; `\n` starts a new line.
    pub fn text(&mut self, text: &str, style: Style, indent: f32) {
        let face = self.face(style);
        let drawable = face.drawable(text);
        for line in drawable
            .split('\n')
            .flat_map(|line| wrap(face, line, style.size, RIGHT - LEFT - indent))
        {
            self.keep(style.line_height());
            let baseline = self.y + style.size;
            self.push(Op::Text { x: LEFT + indent, y: baseline, style, text: line });
            self.y += style.line_height();
        }
    }

    /// Text with a marker (bullet, box, circle) hanging in the margin before it.
    pub fn marked(&mut self, marker: &str, text: &str, style: Style, indent: f32) {
        self.keep(style.line_height());
        let marker = self.face(style).drawable(marker);
        self.push(Op::Text { x: LEFT + indent, y: self.y + style.size, style, text: marker });
        self.text(text, style, indent + style.size * 1.4);
    }

    /// `count` ruled lines to write on, `spacing` apart, across the measure.
    pub fn rules(&mut self, count: u8, spacing: f32) {
        for _ in 0..count {
            self.keep(spacing);
            self.y += spacing;
            self.push(Op::Rule { x1: LEFT, x2: RIGHT, y: self.y });
        }
        self.y += spacing * 0.4;
    }

    /// Two side-by-side lines to sign on, captioned underneath.
    pub fn signature_lines(&mut self, captions: [&str; 2]) {
        let caption = Style::muted(8.0);
        self.keep(36.0 + caption.line_height());
        self.y += 36.0;
        let split = LEFT + (RIGHT - LEFT) * 0.62;
        self.push(Op::Rule { x1: LEFT, x2: split - 18.0, y: self.y });
        self.push(Op::Rule { x1: split, x2: RIGHT, y: self.y });
        let baseline = self.y + caption.size + 2.0;
        for (x, text) in [(LEFT, captions[0]), (split, captions[1])] {
            self.push(Op::Text { x, y: baseline, style: caption, text: text.to_string() });
        }
        self.y += caption.line_height() + 4.0;
    }
}

/// Greedy line breaking at spaces; a word wider than the measure is broken between characters.
fn wrap(face: &Typeface, line: &str, size: f32, width: f32) -> Vec<String> {
    let space = face.width(" ", size);
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut used = 0.0;
    for word in line.split(' ').filter(|word| !word.is_empty()) {
        let word_width = face.width(word, size);
        if !current.is_empty() && used + space + word_width > width {
            lines.push(std::mem::take(&mut current));
            used = 0.0;
        }
        if word_width > width {
            let (pieces, last) = break_word(face, word, size, width);
            lines.extend(pieces);
            used = face.width(&last, size);
            current = last;
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
            used += space;
        }
        current.push_str(word);
        used += word_width;
    }
    lines.push(current);
    lines
}

/// Splits an over-long word into full-width pieces and the remainder.
fn break_word(face: &Typeface, word: &str, size: f32, width: f32) -> (Vec<String>, String) {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for c in word.chars() {
        current.push(c);
        if face.width(&current, size) > width && current.chars().count() > 1 {
            current.pop();
            pieces.push(std::mem::take(&mut current));
            current.push(c);
        }
    }
    (pieces, current)
}
