//! Worksheet documents checked by real readers: poppler (`pdftotext`, `pdfinfo`, `pdffonts`)
//! for PDFs, docx-rs's reader and LibreOffice for DOCX, pulldown-cmark for Markdown. Built from
//! the sample course's worksheets, and once as the running app (on SQLite: storage plays no part
//! in a blank download) sends one, so what people download is what these tests read.
//!
//! Where poppler or LibreOffice is missing the tests that need them are reported as ignored,
//! unless `MEND_REQUIRE_DOCUMENT_READERS=1` (as in CI) makes them run and fail.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly on any unexpected error"
)]

#[path = "../integration/logs.rs"]
mod logs;
#[path = "../integration/runner.rs"]
#[expect(dead_code, reason = "each test binary needs only some of the requirements")]
mod runner;
#[path = "../integration/smtp.rs"]
#[expect(dead_code, reason = "the document tests use only part of the shared fixtures")]
mod smtp;
#[path = "../integration/support.rs"]
#[expect(dead_code, reason = "the document tests use only part of the shared fixtures")]
mod support;

mod readers;

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use mend::content::{Catalog, Course, Worksheet};
use mend::documents::{self, Answers, Document, Filled, ORPHANED_HEADING, Signature, Signing};
use serde_json::json;

use readers::{docx_text, libreoffice_text, markdown_text, pdf_fonts, pdf_pages, pdf_text};

const COURSE: &str = "rebuilding-trust";
const REVISION_HASH: &str = "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f";

fn catalog() -> Arc<Catalog> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    mend::content::compile(&root).unwrap().catalog.unwrap()
}

fn worksheet<'c>(catalog: &'c Catalog, slug: &str) -> (&'c Course, &'c Worksheet) {
    (catalog.course(COURSE).unwrap(), catalog.worksheet(COURSE, slug).unwrap())
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

/// The relationship contract as a couple fills it in, in German, Danish and French, with one
/// emoji and one answer to a question the author has since removed.
fn contract_answers() -> Answers {
    let answers = json!({
        "fidelity_means": "Ehrlichkeit, auch wenn es schwer fällt. Wir sagen einander die Wahrheit, \
                           bevor der andere fragen muss. 💛",
        "boundaries": ["Keine geheimen Chats", "Spaziergänge zu zweit, jeden Sonntag", "Smørrebrød am Fredag"],
        "if_crossed": "Wir machen eine Pause, atmen durch und reden am nächsten Abend in Ruhe.",
        "support_people": "Frau Weiß (Beraterin)\nOur group in Aarhus",
        "check_in_rhythm": "Fortnightly",
        "review_date": "2027-03-01",
        "both_agree": true,
        "old_promise": "Café crème every Friday, à deux",
    });
    serde_json::from_value(answers).unwrap()
}

fn signing() -> Signing {
    Signing {
        signed: vec![
            Signature { full_name: "Jörg Weiß".into(), date: today() },
            Signature {
                full_name: "Søren Ødegård".into(),
                date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            },
        ],
        revision_hash: Some(REVISION_HASH.into()),
    }
}

fn filled_contract(catalog: &Catalog, answers: &Answers, signing: &Signing) -> Document {
    let (course, contract) = worksheet(catalog, "relationship-contract");
    let filled = Filled {
        answers,
        revision: 3,
        worksheet_hash: &contract.content_hash,
        signing: Some(signing),
    };
    Document::filled(course, contract, filled, today())
}

fn blank_boundary_plan(catalog: &Catalog) -> Document {
    let (course, plan) = worksheet(catalog, "boundary-plan");
    Document::blank(course, plan, today())
}

/// Squeezes whitespace so wrapped lines compare as the words a reader sees.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What every filled contract reader must find, whatever the format.
fn assert_contract_text(text: &str) {
    let text = words(text);
    for expected in [
        "Rebuilding Trust Together",
        "Our relationship contract",
        "What fidelity means to us now",
        "Ehrlichkeit, auch wenn es schwer fällt.",
        "Spaziergänge zu zweit, jeden Sonntag",
        "Smørrebrød am Fredag",
        "Frau Weiß (Beraterin)",
        "2027-03-01",
        "Jörg Weiß",
        "Søren Ødegård",
        "Signed on 1 December 2026",
        "Signed on 2 December 2026",
        REVISION_HASH,
        "Revision 3",
        ORPHANED_HEADING,
        "Café crème every Friday, à deux",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
}

test_case! {
    needs [DocumentReaders]
    fn filled_contract_pdf_reads_back_with_answers_signatures_and_page_numbers() {
        let catalog = catalog();
        let pdf = documents::pdf(&filled_contract(&catalog, &contract_answers(), &signing())).unwrap();
        let (text, pages) = (pdf_text(&pdf), pdf_pages(&pdf));
        assert_contract_text(&text);
        // DejaVu has no emoji: it is drawn as the replacement character, never dropped silently.
        assert!(text.contains("muss. \u{FFFD}"), "{text}");
        for page in 1..=pages {
            assert!(
                text.contains(&format!("Page {page} of {pages}")),
                "page {page} unnumbered:\n{text}"
            );
        }
    }
}

test_case! {
    needs [DocumentReaders]
    fn pdf_fonts_are_embedded() {
        let catalog = catalog();
        let pdf = documents::pdf(&filled_contract(&catalog, &contract_answers(), &signing())).unwrap();
        let fonts = pdf_fonts(&pdf);
        assert!(fonts.iter().any(|font| font.name.contains("DejaVuSans-Bold")), "{fonts:?}");
        assert!(fonts.iter().any(|font| font.name.contains("DejaVuSans")), "{fonts:?}");
        assert!(fonts.iter().all(|font| font.embedded), "{fonts:?}");
    }
}

test_case! {
    needs [DocumentReaders]
    fn blank_boundary_plan_pdf_has_the_questions_and_no_answers() {
        let catalog = catalog();
        let pdf = documents::pdf(&blank_boundary_plan(&catalog)).unwrap();
        let text = pdf_text(&pdf);
        let text = words(&text);
        for expected in [
            "Rebuilding Trust Together",
            "My boundary plan",
            "The need I want to protect",
            "My boundary, in one sentence",
            "When I will look at this plan again",
            "Blank worksheet",
            "1 December 2026",
            "Page 1 of",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
        assert!(!text.contains("Signatures"), "a private plan has no signature lines:\n{text}");
    }
}

test_case! {
    needs [DocumentReaders]
    fn long_answers_flow_onto_numbered_pages() {
        let catalog = catalog();
        let mut answers = contract_answers();
        let long = "Wir hören einander zu, ohne uns zu unterbrechen. ".repeat(400);
        answers.insert("if_crossed".into(), json!(long));
        let pdf = documents::pdf(&filled_contract(&catalog, &answers, &signing())).unwrap();
        let (text, pages) = (pdf_text(&pdf), pdf_pages(&pdf));
        assert!(pages >= 3, "400 sentences fit on {pages} pages");
        assert!(text.contains(&format!("Page {pages} of {pages}")), "{text}");
        assert_contract_text(&text);
    }
}

test_case! {
    needs [DocumentReaders]
    fn unsigned_contract_leaves_lines_for_both_signatures() {
        let catalog = catalog();
        let document = filled_contract(&catalog, &contract_answers(), &Signing::default());
        let pdf = documents::pdf(&document).unwrap();
        let text = pdf_text(&pdf);
        assert_eq!(text.matches("Full name and signature").count(), 2, "{text}");
        assert!(!text.contains("Signed on"), "{text}");
    }
}

test_case! {
    fn filled_contract_docx_reads_back_through_a_docx_parser() {
        let catalog = catalog();
        let docx =
            documents::docx(&filled_contract(&catalog, &contract_answers(), &signing())).unwrap();
        let text = docx_text(&docx);
        assert_contract_text(&text);
        // Word processors draw emoji from their own fonts, so DOCX keeps them.
        assert!(text.contains('💛'), "{text}");
    }
}

test_case! {
    needs [DocumentReaders]
    fn docx_opens_cleanly_in_libreoffice() {
        let catalog = catalog();
        let contract =
            documents::docx(&filled_contract(&catalog, &contract_answers(), &signing())).unwrap();
        let plan = documents::docx(&blank_boundary_plan(&catalog)).unwrap();
        let texts = libreoffice_text(&[("contract", &contract), ("plan", &plan)]);
        assert_contract_text(&texts[0]);
        assert!(texts[0].contains("Page 1 of"), "{}", texts[0]);
        let plan_text = words(&texts[1]);
        assert!(plan_text.contains("My boundary, in one sentence"), "{plan_text}");
        assert!(plan_text.contains("Blank worksheet"), "{plan_text}");
    }
}

test_case! {
    fn markdown_reads_back_with_answers_and_ticked_boxes() {
        let catalog = catalog();
        let markdown =
            documents::markdown(&filled_contract(&catalog, &contract_answers(), &signing())).unwrap();
        let read = markdown_text(&String::from_utf8(markdown).unwrap());
        assert_contract_text(&read.text);
        assert!(read.text.contains('💛'));
        // Fortnightly (the second option) and the agreement box are ticked; nothing else is.
        assert_eq!(read.tasks, vec![false, true, false, true]);
    }
}

test_case! {
    fn answers_that_look_like_markdown_stay_text() {
        let catalog = catalog();
        let mut answers = contract_answers();
        answers.insert("fidelity_means".into(), json!("*Never* <b>hide</b> [anything](x) # 1"));
        let markdown = documents::markdown(&filled_contract(&catalog, &answers, &signing())).unwrap();
        let read = markdown_text(&String::from_utf8(markdown).unwrap());
        assert!(words(&read.text).contains("*Never* <b>hide</b> [anything](x) # 1"), "{}", read.text);
    }
}

test_case! {
    fn a_choice_the_author_has_since_removed_is_kept_as_written() {
        let catalog = catalog();
        let mut answers = contract_answers();
        answers.insert("check_in_rhythm".into(), json!("Jeden zweiten Tag"));
        let markdown = documents::markdown(&filled_contract(&catalog, &answers, &signing())).unwrap();
        let read = markdown_text(&String::from_utf8(markdown).unwrap());
        assert!(read.text.contains("Jeden zweiten Tag"), "{}", read.text);
        // Only the agreement box is left as a task: no option claims to be chosen.
        assert_eq!(read.tasks, vec![true]);
    }
}

test_case! {
    needs [DocumentReaders]
    // The download a visitor gets from the running app, read back as they would read it.
    async fn a_blank_worksheet_downloaded_over_http_reads_back_as_pdf_and_docx() {
        let app = support::TestApp::create(support::Backend::Sqlite).await.unwrap();
        let fetch = |format: &'static str| {
            let url = format!(
                "{}/courses/{COURSE}/worksheets/boundary-plan/download?format={format}",
                app.address
            );
            let client = app.client.clone();
            async move { client.get(url).send().await.unwrap().bytes().await.unwrap() }
        };
        let pdf = fetch("pdf").await;
        let docx = fetch("docx").await;
        for text in [pdf_text(&pdf), docx_text(&docx)] {
            for expected in ["Rebuilding Trust Together", "My boundary plan", "The need I want to protect", "Blank worksheet"] {
                assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
            }
        }
        let rendered = documents::pdf(&blank_boundary_plan(&catalog())).unwrap();
        assert_eq!(pdf_pages(&pdf), pdf_pages(&rendered), "the same document as rendered directly");
    }
}

fn main() {
    runner::main();
}
