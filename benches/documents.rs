//! Document rendering cost: the sample course's relationship contract, filled in with
//! non-ASCII answers and signed by both partners, rendered as PDF and as DOCX.

use std::path::Path;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use mend::documents::{self, Answers, Document, Filled, Signature, Signing};

/// The filled, signed contract, or `None` (after saying why) when the sample does not compile.
fn contract() -> Option<Document> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let catalog = mend::content::compile(&root).ok()?.catalog?;
    let course = catalog.course("rebuilding-trust")?;
    let worksheet = catalog.worksheet("rebuilding-trust", "relationship-contract")?;
    let answers: Answers = serde_json::from_value(serde_json::json!({
        "fidelity_means": "Ehrlichkeit, auch wenn es schwer fällt. ".repeat(12),
        "boundaries": ["Keine geheimen Chats", "Spaziergänge zu zweit", "Smørrebrød am Fredag"],
        "if_crossed": "Wir machen eine Pause und reden am nächsten Abend in Ruhe. ".repeat(8),
        "support_people": "Frau Weiß (Beraterin)\nOur group in Aarhus",
        "check_in_rhythm": "Fortnightly",
        "review_date": "2027-03-01",
        "both_agree": true,
    }))
    .ok()?;
    let date = NaiveDate::from_ymd_opt(2026, 12, 1)?;
    let signing = Signing {
        signed: vec![
            Signature { full_name: "Jörg Weiß".into(), date },
            Signature { full_name: "Søren Ødegård".into(), date },
        ],
        revision_hash: Some(worksheet.content_hash.clone()),
    };
    let filled = Filled {
        answers: &answers,
        revision: 3,
        worksheet_hash: &worksheet.content_hash,
        signing: Some(&signing),
    };
    Some(Document::filled(course, worksheet, filled, date))
}

fn render(c: &mut Criterion) {
    let Some(document) = contract() else {
        eprintln!("the sample course did not compile; nothing to benchmark");
        return;
    };
    let mut group = c.benchmark_group("filled_contract");
    group.bench_function("pdf", |b| b.iter(|| documents::pdf(&document)));
    group.bench_function("docx", |b| b.iter(|| documents::docx(&document)));
    group.bench_function("markdown", |b| b.iter(|| documents::markdown(&document)));
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
