//! The outside programs and parsers that read our documents back, as a person's tools would.

use std::path::{Path, PathBuf};
use std::process::Command;

use docx_rs::{DocumentChild, FooterChild, Paragraph, ParagraphChild, RunChild};
use pulldown_cmark::{Event, Options, Parser};
use tempfile::TempDir;

/// `program` on PATH. The runner reports these tests as ignored where the readers are missing
/// (`Requirement::DocumentReaders`), so reaching here without one is a failure.
fn require(program: &str, package: &str) -> PathBuf {
    crate::runner::find_program(&[program])
        .unwrap_or_else(|| panic!("{program} is not installed (Debian: apt-get install {package})"))
}

/// Writes `bytes` to `name` in a fresh temp dir.
fn scratch(name: &str, bytes: &[u8]) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

fn run(program: &Path, args: &[&std::ffi::OsStr]) -> String {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{program:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The text `pdftotext` extracts, in reading order.
pub fn pdf_text(pdf: &[u8]) -> String {
    let program = require("pdftotext", "poppler-utils");
    let (_dir, path) = scratch("document.pdf", pdf);
    run(&program, &[path.as_os_str(), "-".as_ref()])
}

/// The page count `pdfinfo` reports.
pub fn pdf_pages(pdf: &[u8]) -> u32 {
    let program = require("pdfinfo", "poppler-utils");
    let (_dir, path) = scratch("document.pdf", pdf);
    let info = run(&program, &[path.as_os_str()]);
    let pages = info.lines().find_map(|line| line.strip_prefix("Pages:")).unwrap();
    pages.trim().parse().unwrap()
}

/// One row of `pdffonts`.
#[derive(Debug)]
pub struct PdfFont {
    pub name: String,
    pub embedded: bool,
}

/// The fonts `pdffonts` lists, and whether each is embedded.
pub fn pdf_fonts(pdf: &[u8]) -> Vec<PdfFont> {
    let program = require("pdffonts", "poppler-utils");
    let (_dir, path) = scratch("document.pdf", pdf);
    let listing = run(&program, &[path.as_os_str()]);
    // Columns: name type [type] encoding emb sub uni object ID; read from the right.
    let fonts = listing
        .lines()
        .skip(2)
        .map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            let embedded = columns.len() >= 7 && columns[columns.len() - 5] == "yes";
            PdfFont { name: columns.first().unwrap_or(&"").to_string(), embedded }
        })
        .collect::<Vec<_>>();
    assert!(!fonts.is_empty(), "pdffonts listed no fonts:\n{listing}");
    fonts
}

/// Every run's text, one line per paragraph, body then footers, as docx-rs's reader parses it.
pub fn docx_text(docx: &[u8]) -> String {
    let parsed = docx_rs::read_docx(docx).unwrap();
    let body = parsed.document.children.iter().filter_map(|child| match child {
        DocumentChild::Paragraph(paragraph) => Some(&**paragraph),
        _ => None,
    });
    let footers = parsed.document.section_property.get_footers();
    let footer =
        footers.iter().flat_map(|(_, footer)| &footer.children).filter_map(|child| match child {
            FooterChild::Paragraph(paragraph) => Some(&**paragraph),
            _ => None,
        });
    body.chain(footer).map(paragraph_text).collect::<Vec<_>>().join("\n")
}

fn paragraph_text(paragraph: &Paragraph) -> String {
    let runs = paragraph.children.iter().filter_map(|child| match child {
        ParagraphChild::Run(run) => Some(run),
        _ => None,
    });
    let mut text = String::new();
    for child in runs.flat_map(|run| &run.children) {
        match child {
            RunChild::Text(t) => text.push_str(&t.text),
            RunChild::Break(_) | RunChild::Tab(_) => text.push(' '),
            _ => {}
        }
    }
    text
}

/// Converts each `(name, docx)` to PDF with headless LibreOffice and returns each one's text.
pub fn libreoffice_text(files: &[(&str, &[u8])]) -> Vec<String> {
    let office = require("soffice", "libreoffice-writer-nogui");
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = Vec::new();
    for (name, bytes) in files {
        let path = dir.path().join(format!("{name}.docx"));
        std::fs::write(&path, bytes).unwrap();
        inputs.push(path);
    }
    // Its own profile, so parallel tests (and a desktop LibreOffice) do not share a lock.
    let profile = format!("-env:UserInstallation=file://{}/profile", dir.path().display());
    let mut args: Vec<&std::ffi::OsStr> =
        vec![profile.as_ref(), "--headless".as_ref(), "--convert-to".as_ref(), "pdf".as_ref()];
    args.extend(["--outdir".as_ref(), dir.path().as_os_str()]);
    args.extend(inputs.iter().map(|path| path.as_os_str()));
    run(&office, &args);
    files
        .iter()
        .map(|(name, _)| {
            let pdf = std::fs::read(dir.path().join(format!("{name}.pdf")))
                .unwrap_or_else(|error| panic!("LibreOffice wrote no {name}.pdf: {error}"));
            pdf_text(&pdf)
        })
        .collect()
}

/// What a Markdown reader sees: the text, and each task-list box (ticked or not) in order.
pub struct ReadMarkdown {
    pub text: String,
    pub tasks: Vec<bool>,
}

pub fn markdown_text(markdown: &str) -> ReadMarkdown {
    let mut read = ReadMarkdown { text: String::new(), tasks: Vec::new() };
    for event in Parser::new_ext(markdown, Options::ENABLE_TASKLISTS) {
        match event {
            Event::Text(text) | Event::Code(text) => read.text.push_str(&text),
            Event::SoftBreak | Event::HardBreak | Event::End(_) => read.text.push(' '),
            Event::TaskListMarker(ticked) => read.tasks.push(ticked),
            _ => {}
        }
    }
    read
}
