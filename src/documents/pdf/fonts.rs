//! The fonts every PDF embeds, compiled into the binary: DejaVu Sans regular and bold
//! (Bitstream Vera licence, `fonts/dejavu/LICENSE`), which cover Latin, Greek and Cyrillic
//! with their accents (ä, ß, é, ø) and many symbols.
//!
//! DejaVu has no emoji. Rather than ship a colour emoji font (about 10 MB), any character the
//! font lacks is drawn as U+FFFD "�", the Unicode replacement character, so a missing glyph is
//! visibly a stand-in and never an invisible gap. DOCX and Markdown keep the original text;
//! word processors and viewers fall back to their own emoji fonts.

use krilla::text::Font;
use rustybuzz::{Face, UnicodeBuffer};

use crate::documents::DocumentError;

const REGULAR: &[u8] = include_bytes!("../../../fonts/dejavu/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../../fonts/dejavu/DejaVuSans-Bold.ttf");

/// What stands in for a character the font cannot draw.
const REPLACEMENT: char = '\u{FFFD}';

/// One typeface: the handle krilla embeds and the shaper that measures it.
pub(super) struct Typeface {
    pub pdf: Font,
    shaper: Face<'static>,
}

/// The two weights a worksheet uses.
pub(super) struct Fonts {
    pub regular: Typeface,
    pub bold: Typeface,
}

impl Fonts {
    /// Parses the embedded fonts (cheap: no copy, tables read lazily).
    pub fn load() -> Result<Self, DocumentError> {
        Ok(Self { regular: Typeface::load(REGULAR)?, bold: Typeface::load(BOLD)? })
    }
}

impl Typeface {
    fn load(data: &'static [u8]) -> Result<Self, DocumentError> {
        let pdf = Font::new(data.into(), 0).ok_or(DocumentError::Font)?;
        let shaper = Face::from_slice(data, 0).ok_or(DocumentError::Font)?;
        Ok(Self { pdf, shaper })
    }

    /// Width of `text` at `size` points, shaped as krilla will shape it.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        let shaped = rustybuzz::shape(&self.shaper, &[], buffer);
        let units: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
        units as f32 * size / self.shaper.units_per_em() as f32
    }

    /// `text` with every character the font lacks replaced by [`REPLACEMENT`].
    pub fn drawable(&self, text: &str) -> String {
        text.chars()
            .map(|c| match c {
                c if c.is_control() => ' ',
                c if self.shaper.glyph_index(c).is_some() => c,
                _ => REPLACEMENT,
            })
            .collect()
    }
}
