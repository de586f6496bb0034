//! Worksheets: typed fields declared in front matter, placed in the body with `{{ field "id" }}`.

use std::collections::HashSet;

use serde::Deserialize;

use super::catalog::{Field, FieldKind, Worksheet, WorksheetBlock};
use super::diagnostics::{Diagnostic, Source};
use super::frontmatter::{self, Split};
use super::links::LinkContext;
use super::markdown::{self, Input, LessonLink, Slugger};
use super::placeholder::{self, Placeholder, is_id, lines_with_offsets};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorksheetMeta {
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    shared: bool,
    #[serde(default)]
    signatures: bool,
    #[serde(default)]
    fields: Vec<FieldMeta>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldMeta {
    id: String,
    #[serde(rename = "type")]
    kind: FieldType,
    label: String,
    #[serde(default)]
    help: String,
    #[serde(default)]
    required: bool,
    options: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FieldType {
    Short,
    Long,
    List,
    Checkbox,
    Date,
    Choice,
}

/// A compiled worksheet, or `None` when its front matter is unusable, plus what was wrong.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub worksheet: Option<Worksheet>,
    /// Links into lessons' anchors, checked once every lesson is rendered.
    pub pending: Vec<LessonLink>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Compiles worksheet `slug` from its file text.
pub(crate) fn compile(
    source: &Source<'_>,
    slug: &str,
    hash: String,
    links: &LinkContext,
) -> Compiled {
    let mut diagnostics = Vec::new();
    let parsed = frontmatter::split(source)
        .and_then(|split| Ok((split.parse::<WorksheetMeta>(source)?, split)));
    let (meta, split) = match parsed {
        Ok(ok) => ok,
        Err(diag) => {
            return Compiled { worksheet: None, pending: Vec::new(), diagnostics: vec![diag] };
        }
    };
    let fields = check_fields(&meta.fields, &split, source, &mut diagnostics);
    let (blocks, pending) = render_blocks(source, &split, links, &mut diagnostics);
    check_placement(&fields, &blocks, &split, source, &mut diagnostics);
    let worksheet = Worksheet {
        slug: slug.to_string(),
        title: meta.title,
        summary: meta.summary,
        shared: meta.shared,
        signatures: meta.signatures,
        fields,
        blocks: blocks.into_iter().map(|(block, _)| block).collect(),
        content_hash: hash,
    };
    Compiled { worksheet: Some(worksheet), pending, diagnostics }
}

/// Validates declarations; returns the usable fields.
fn check_fields(
    metas: &[FieldMeta],
    split: &Split<'_>,
    source: &Source<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Field> {
    let mut seen = HashSet::new();
    let mut fields = Vec::new();
    for (index, meta) in metas.iter().enumerate() {
        let earlier = metas[..index].iter().filter(|m| m.id == meta.id).count();
        let at = split.locate_value("id", &meta.id, earlier);
        if !is_id(&meta.id) {
            diags.push(
                source.error(at, format!("field id \"{}\" must use only a-z, 0-9 and _", meta.id)),
            );
        }
        if !seen.insert(meta.id.clone()) {
            diags.push(source.error(at, format!("duplicate field id \"{}\"", meta.id)));
            continue;
        }
        match field_kind(meta) {
            Ok(kind) => fields.push(Field {
                id: meta.id.clone(),
                kind,
                label: meta.label.clone(),
                help: meta.help.clone(),
                required: meta.required,
            }),
            Err(message) => diags.push(source.error(at, message)),
        }
    }
    fields
}

fn field_kind(meta: &FieldMeta) -> Result<FieldKind, String> {
    let kind = match meta.kind {
        FieldType::Short => FieldKind::Short,
        FieldType::Long => FieldKind::Long,
        FieldType::List => FieldKind::List,
        FieldType::Checkbox => FieldKind::Checkbox,
        FieldType::Date => FieldKind::Date,
        FieldType::Choice => match &meta.options {
            Some(options) if !options.is_empty() => {
                return Ok(FieldKind::Choice { options: options.clone() });
            }
            _ => {
                return Err(format!(
                    "choice field \"{}\" needs `options = [\"...\", ...]`",
                    meta.id
                ));
            }
        },
    };
    match meta.options {
        Some(_) => Err(format!("field \"{}\" has options but is not of type \"choice\"", meta.id)),
        None => Ok(kind),
    }
}

/// Splits the body at placeholder lines, rendering the Markdown between them.
/// Each block keeps the offset it came from, for placement diagnostics.
fn render_blocks(
    source: &Source<'_>,
    split: &Split<'_>,
    links: &LinkContext,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<(WorksheetBlock, usize)>, Vec<LessonLink>) {
    let mut blocks = Vec::new();
    let mut slugger = Slugger::default();
    let mut pending = Vec::new();
    let mut segment_start = 0;
    let mut render_segment = |start: usize,
                              end: usize,
                              blocks: &mut Vec<_>,
                              diags: &mut Vec<Diagnostic>| {
        let markdown = &split.body[start..end];
        if markdown.trim().is_empty() {
            return;
        }
        let input =
            Input { source, markdown, offset: split.body_offset + start, links, dir: "worksheets" };
        let rendered = markdown::render(&input, &mut slugger);
        diags.extend(rendered.diagnostics);
        pending.extend(rendered.pending);
        blocks.push((WorksheetBlock::Html(rendered.html.to_string()), split.body_offset + start));
    };
    for (line_start, line) in lines_with_offsets(split.body) {
        match placeholder::parse(line, "field") {
            Placeholder::None => continue,
            Placeholder::Malformed => diags.push(source.error(
                split.body_offset + line_start,
                "malformed field placeholder; write it as {{ field \"id\" }} on its own line",
            )),
            Placeholder::Id(id) => {
                render_segment(segment_start, line_start, &mut blocks, diags);
                blocks
                    .push((WorksheetBlock::Field(id.to_string()), split.body_offset + line_start));
            }
        }
        segment_start = line_start + line.len();
    }
    render_segment(segment_start, split.body.len(), &mut blocks, diags);
    let other_lessons = markdown::check_same_page(pending, &slugger, diags);
    (blocks, other_lessons)
}

/// Every declared field placed exactly once, every placed field declared.
fn check_placement(
    fields: &[Field],
    blocks: &[(WorksheetBlock, usize)],
    split: &Split<'_>,
    source: &Source<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let declared: HashSet<&str> = fields.iter().map(|f| f.id.as_str()).collect();
    let mut placed = HashSet::new();
    for (block, at) in blocks {
        let WorksheetBlock::Field(id) = block else {
            continue;
        };
        if !declared.contains(id.as_str()) {
            diags.push(source.error(
                *at,
                format!("field \"{id}\" is placed but not declared in the front matter"),
            ));
        } else if !placed.insert(id.as_str()) {
            diags.push(source.error(*at, format!("field \"{id}\" is placed more than once")));
        }
    }
    for field in fields.iter().filter(|f| !placed.contains(f.id.as_str())) {
        diags.push(source.error(
            split.locate_value("id", &field.id, 0),
            format!(
                "field \"{}\" is declared but never placed; add {{{{ field \"{}\" }}}} to the body",
                field.id, field.id
            ),
        ));
    }
}
