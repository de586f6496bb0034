//! Course compiler benchmarks: a generated 1,000-lesson (~5 MB) course, compiled cold and
//! incrementally, against raw pulldown-cmark parse + render of the same Markdown.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use mend::content::{Compiler, compile};
use pulldown_cmark::{Options, Parser, html};

const MODULES: usize = 20;
const LESSONS_PER_MODULE: usize = 50;

fn lesson_path(module: usize, lesson: usize) -> String {
    format!("{:02}-module-{module}/{:02}-lesson-{module}-{lesson}.md", module + 1, lesson + 1)
}

/// One paragraph of realistic prose with inline formatting.
fn paragraph(seed: usize) -> String {
    let sentences = [
        "Trust is rebuilt in small, *repeated* acts of honesty rather than in one grand gesture.",
        "When a trigger arrives, name it out loud and give each other a **pause** before reacting.",
        "Write down what you noticed, what you felt, and what you needed in that moment.",
        "Agree on a time each week to check in, even when things feel \"fine\" on the surface.",
        "Repair is not the same as forgetting; it is choosing to stay curious about each other's pain.",
        "The involved partner's task is steady transparency; the betrayed partner's is honest feedback.",
    ];
    (0..6).map(|i| sentences[(seed + i) % sentences.len()]).collect::<Vec<_>>().join(" ")
}

/// A ~5 KB lesson with headings, lists, a table, code, an alert, footnotes and links.
fn lesson_text(module: usize, lesson: usize, variant: usize) -> String {
    let seed = module * LESSONS_PER_MODULE + lesson + variant;
    let mut text = format!(
        "+++\ntitle = \"Lesson {module}.{lesson}\"\nsummary = \"Practice {seed}\"\n+++\n\n"
    );
    let _ = write!(text, "Intro for variant {variant}. {}\n\n", paragraph(seed));
    for section in 0..5 {
        let _ = write!(
            text,
            "## Section {section}: what we practise\n\n{}\n\n",
            paragraph(seed + section)
        );
        let _ = write!(
            text,
            "- [ ] Try the exercise together\n- [x] Read the previous lesson\n- Notice ~~blame~~ needs[^{section}]\n\n"
        );
        let _ = write!(text, "[^{section}]: A note on section {section}.\n\n");
    }
    let target = (seed * 7 + 3) % (MODULES * LESSONS_PER_MODULE);
    let (m, l) = (target / LESSONS_PER_MODULE, target % LESSONS_PER_MODULE);
    let _ = write!(
        text,
        "See [a related lesson](../{}#section-2-what-we-practise).\n\n",
        lesson_path(m, l)
    );
    text.push_str("> [!TIP]\n> Take a breath before you answer.\n\n");
    text.push_str("| Day | Check-in | Minutes |\n|-----|----------|--------:|\n| Mon | Feelings | 10 |\n| Thu | Plans | 15 |\n\n");
    text.push_str("```text\nI noticed ... I felt ... I need ...\n```\n\n");
    if seed.is_multiple_of(20) {
        text.push_str("<div class=\"exercise\"><b>Raw HTML</b> from an author.</div>\n\n");
    }
    text.push_str(&paragraph(seed + 9));
    text.push('\n');
    text
}

fn write_course(root: &Path) -> Vec<String> {
    let course = root.join("bench");
    fs::create_dir_all(&course).ok();
    fs::write(course.join("course.toml"), "title = \"Bench\"\n").ok();
    let mut bodies = Vec::new();
    for module in 0..MODULES {
        let dir = course.join(format!("{:02}-module-{module}", module + 1));
        fs::create_dir_all(&dir).ok();
        fs::write(dir.join("module.toml"), format!("title = \"Module {module}\"\n")).ok();
        for lesson in 0..LESSONS_PER_MODULE {
            let text = lesson_text(module, lesson, 0);
            fs::write(course.join(lesson_path(module, lesson)), &text).ok();
            bodies.push(text);
        }
    }
    bodies
}

fn raw_render(bodies: &[String]) -> usize {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_GFM;
    bodies
        .iter()
        .map(|text| {
            let mut out = String::new();
            html::push_html(&mut out, Parser::new_ext(text, options));
            out.len()
        })
        .sum()
}

fn benches(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let bodies = write_course(dir.path());
    let bytes: usize = bodies.iter().map(String::len).sum();
    eprintln!("generated {} lessons, {bytes} bytes of Markdown", bodies.len());
    let root = dir.path().to_path_buf();
    let check = compile(&root).map(|c| (c.catalog.is_some(), c.diagnostics.len()));
    eprintln!("catalog built, diagnostics: {check:?}");

    c.bench_function("cold compile (1,000 lessons)", |b| b.iter(|| compile(&root)));

    let mut compiler = Compiler::new(&root);
    let _ = compiler.compile();
    let edited = root.join("bench").join(lesson_path(3, 7));
    let mut variant = 0;
    c.bench_function("recompile after one lesson changed", |b| {
        b.iter(|| {
            variant += 1;
            fs::write(&edited, lesson_text(3, 7, variant)).ok();
            compiler.compile()
        });
    });

    c.bench_function("raw pulldown-cmark parse+render", |b| b.iter(|| raw_render(&bodies)));
}

criterion_group!(compile_benches, benches);
criterion_main!(compile_benches);
