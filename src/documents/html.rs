//! The compiled worksheet prose (sanitised HTML from our own Markdown renderer) flattened into
//! headings, paragraphs and bullets, which is all a printed worksheet needs.

use super::model::Block;

/// What the text inside an element becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Heading,
    Paragraph,
    Bullet,
}

/// Block elements; anything else (emphasis, links, code) only contributes its text.
fn kind_of(tag: &str) -> Option<Kind> {
    match tag {
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => Some(Kind::Heading),
        "li" => Some(Kind::Bullet),
        "p" | "div" | "blockquote" | "pre" | "td" | "th" | "dt" | "dd" | "figcaption" => {
            Some(Kind::Paragraph)
        }
        _ => None,
    }
}

/// Splits `html` into blocks, in order, with entities decoded and whitespace collapsed.
pub(super) fn blocks(html: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut stack = vec![Kind::Paragraph];
    let mut text = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let closing = tag.starts_with('/');
        let name = tag.trim_start_matches('/').split([' ', '\n', '/']).next().unwrap_or("");
        let name = name.to_ascii_lowercase();
        if name == "br" {
            text.push('\n');
        }
        let Some(kind) = kind_of(&name) else {
            continue;
        };
        flush(&mut out, &mut text, stack.last().copied().unwrap_or(Kind::Paragraph));
        if closing {
            if stack.len() > 1 {
                stack.pop();
            }
        } else {
            // A paragraph inside a list item is still that bullet.
            let inherited = if stack.last() == Some(&Kind::Bullet) { Kind::Bullet } else { kind };
            stack.push(inherited);
        }
    }
    text.push_str(rest);
    flush(&mut out, &mut text, Kind::Paragraph);
    out
}

fn flush(out: &mut Vec<Block>, text: &mut String, kind: Kind) {
    let collapsed = decode(&text.split_whitespace().collect::<Vec<_>>().join(" "));
    text.clear();
    if collapsed.is_empty() {
        return;
    }
    out.push(match kind {
        Kind::Heading => Block::Heading(collapsed),
        Kind::Paragraph => Block::Paragraph(collapsed),
        Kind::Bullet => Block::Bullet(collapsed),
    });
}

/// Decodes the entities an HTML serialiser writes: the named five, `&nbsp;` and numeric ones.
fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let character = entity(&rest[1..end])?;
            Some((character, end))
        });
        match decoded {
            Some((character, end)) => {
                out.push(character);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_and_bullets_come_out_in_order() {
        let html = "<h2 id=\"a\">Our <em>boundaries</em></h2>\n<p>One &amp; two\nlines</p>\
                    <ul><li>first</li><li><p>loose</p></li></ul>";
        assert_eq!(
            blocks(html),
            vec![
                Block::Heading("Our boundaries".into()),
                Block::Paragraph("One & two lines".into()),
                Block::Bullet("first".into()),
                Block::Bullet("loose".into()),
            ]
        );
    }

    #[test]
    fn entities_decode_and_stray_ampersands_survive() {
        assert_eq!(decode("&lt;x&gt; &#233;&#xF8; R&D &bogus;"), "<x> éø R&D &bogus;");
    }
}
