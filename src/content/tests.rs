//! End-to-end tests: real folders in a temp dir, exact diagnostics, catalog look-ups.

use std::fs;
use std::path::Path;

use proptest::prelude::*;
use tempfile::TempDir;

use super::*;

const COURSE: &str = "title = \"C\"\nsummary = \"S\"\nenrollment = \"code\"\npublished = true\n[reminders]\ninactive_days = 5\n";
const MODULE: &str = "title = \"M\"\n";

/// A content root with one course `c`, module `01-m` and the given extra files.
fn content(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "c/course.toml", COURSE);
    write(dir.path(), "c/01-m/module.toml", MODULE);
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn lesson(title: &str, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\n+++\n{body}")
}

/// Diagnostics as (path relative to the root, line, col, severity, message).
fn diags(dir: &TempDir) -> Vec<(String, u32, u32, Severity, String)> {
    let compilation = compile(dir.path()).unwrap();
    compilation
        .diagnostics
        .iter()
        .map(|d| {
            let rel = d.path.strip_prefix(dir.path()).unwrap_or(&d.path).display().to_string();
            (rel, d.line, d.col, d.severity, d.message.clone())
        })
        .collect()
}

fn one(dir: &TempDir) -> (String, u32, u32, Severity, String) {
    let all = diags(dir);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.into_iter().next().unwrap()
}

fn err(path: &str, line: u32, col: u32, message: &str) -> (String, u32, u32, Severity, String) {
    (path.into(), line, col, Severity::Error, message.into())
}

fn warn(path: &str, line: u32, col: u32, message: &str) -> (String, u32, u32, Severity, String) {
    (path.into(), line, col, Severity::Warning, message.into())
}

const L1: &str = "c/01-m/01-a.md";
const L2: &str = "c/01-m/02-b.md";

#[test]
fn a_clean_course_compiles_into_a_catalog() {
    let dir = content(&[
        (L1, &lesson("A", "## Intro\n\nSee [b](02-b.md#deep) and [card](../files/card.txt).\n")),
        (L2, "+++\ntitle = \"B\"\nrequires = [\"a\"]\nunlock_after_days = 3\n+++\n## Deep\n"),
        ("c/01-m/03-d.md", "+++\ntitle = \"D\"\ndraft = true\n+++\n"),
        ("c/01-m/04-e.md", "---\ntitle: E\nminutes: 9\n---\nlast\n"),
        ("c/files/card.txt", "card"),
        ("c/index.md", "Welcome to [the first lesson](01-m/01-a.md).\n"),
    ]);
    let compilation = compile(dir.path()).unwrap();
    assert!(compilation.diagnostics.is_empty(), "{:#?}", compilation.diagnostics);
    let catalog = compilation.catalog.unwrap();
    let course = catalog.course("c").unwrap();
    assert_eq!(
        (course.enrollment, course.published, course.reminders.tiers.clone()),
        (Enrollment::Code, true, vec![5])
    );
    assert!(course.landing_html.contains("href=\"/courses/c/lessons/a\""));
    let a = catalog.lesson("c", "a").unwrap();
    assert!(a.lesson.html.contains("href=\"/courses/c/lessons/b#deep\""), "{}", a.lesson.html);
    assert!(a.lesson.html.contains("href=\"/courses/c/files/card.txt\""));
    assert_eq!(a.lesson.downloads, [LessonDownload::File("card.txt".into())]);
    assert!(!course.public_downloads, "course files are for enrolled learners by default");
    assert_eq!(a.lesson.content_hash.len(), 64);
    let b = catalog.lesson("c", "b").unwrap();
    assert_eq!(
        (b.prev.map(|l| l.slug.as_str()), b.next.map(|l| l.slug.as_str())),
        (Some("a"), Some("e"))
    );
    assert_eq!(
        (b.lesson.unlock_after_days, b.lesson.requires.clone()),
        (Some(3), vec!["a".to_string()])
    );
    assert!(catalog.lesson("c", "d").unwrap().lesson.draft);
    assert_eq!(catalog.lesson("c", "e").unwrap().lesson.minutes, 9);
    assert_eq!(
        (compilation.summary.lessons, compilation.summary.drafts, compilation.summary.files),
        (3, 1, 1)
    );
    assert!(catalog.file("c", "card.txt").unwrap().path.ends_with("files/card.txt"));
    assert!(catalog.file("c", "../course.toml").is_none());
}

#[test]
fn malformed_toml_is_reported_at_the_toml_span() {
    let dir = content(&[
        (L1, &lesson("A", "")),
        ("c/01-m/module.toml", "title = \"M\"\nsummary = \"unterminated\n"),
    ]);
    let (path, line, col, severity, message) = one(&dir);
    assert_eq!(
        (path.as_str(), line, col, severity),
        ("c/01-m/module.toml", 2, 24, Severity::Error)
    );
    assert!(message.contains("basic string"), "{message}");
}

#[test]
fn unknown_keys_are_errors_in_every_file_kind() {
    let dir = content(&[
        (L1, "+++\ntitle = \"A\"\ndraught = true\n+++\n"),
        ("c/course.toml", "title = \"C\"\nenrolment = \"open\"\n"),
        (
            "c/worksheets/w.md",
            "+++\ntitle = \"W\"\n[[fields]]\nid = \"x\"\ntype = \"short\"\nlabel = \"X\"\nrequird = true\n+++\n{{ field \"x\" }}\n",
        ),
    ]);
    let all = diags(&dir);
    let places: Vec<_> = all.iter().map(|d| (d.0.as_str(), d.1, d.2)).collect();
    assert_eq!(
        places,
        [("c/01-m/01-a.md", 3, 1), ("c/course.toml", 2, 1), ("c/worksheets/w.md", 7, 1)]
    );
    assert!(all[0].4.starts_with("unknown field `draught`"), "{}", all[0].4);
    assert!(all[1].4.starts_with("unknown field `enrolment`"), "{}", all[1].4);
    assert!(all[2].4.starts_with("unknown field `requird`"), "{}", all[2].4);
}

#[test]
fn invalid_utf8_points_at_the_first_bad_byte() {
    let dir = content(&[]);
    fs::write(dir.path().join(L1), b"+++\ntitle = \"A\"\n+++\nab\xffcd\n").unwrap();
    assert_eq!(one(&dir), err(L1, 4, 3, "file is not valid UTF-8 (save it as UTF-8)"));
}

#[test]
fn huge_files_are_refused_before_reading() {
    let dir = content(&[(L1, &lesson("A", ""))]);
    let file = fs::File::create(dir.path().join(L2)).unwrap();
    file.set_len(50 * 1024 * 1024).unwrap();
    assert_eq!(one(&dir), err(L2, 1, 1, "file is 50.0 MB; source files are limited to 4 MB"));
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_not_followed() {
    let dir = content(&[(L1, &lesson("A", "")), ("c/files/a.txt", "a")]);
    std::os::unix::fs::symlink(dir.path().join("c/files"), dir.path().join("c/files/again"))
        .unwrap();
    std::os::unix::fs::symlink("self", dir.path().join("c/files/self")).unwrap();
    let all = diags(&dir);
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!(all[0], warn("c/files/again", 1, 1, "ignored: folder loop or nesting too deep"));
    assert_eq!((all[1].0.as_str(), all[1].3), ("c/files/self", Severity::Error));
    assert!(all[1].4.starts_with("cannot read: "), "{}", all[1].4);
}

#[test]
fn requires_cycles_and_missing_requirements() {
    let dir = content(&[
        (L1, "+++\ntitle = \"A\"\nrequires = [\"b\"]\n+++\n"),
        (L2, "+++\ntitle = \"B\"\nrequires = [\"a\", \"ghost\"]\n+++\n"),
    ]);
    assert_eq!(
        diags(&dir),
        [
            err(L2, 3, 13, "requires cycle: a -> b -> a"),
            err(L2, 3, 18, "requires unknown lesson \"ghost\""),
        ]
    );
}

#[test]
fn links_to_and_requirements_of_drafts_warn() {
    let dir = content(&[
        (L1, "+++\ntitle = \"A\"\nrequires = [\"b\"]\n+++\nSee [b](02-b.md).\n"),
        (L2, "+++\ntitle = \"B\"\ndraft = true\n+++\nSee [a](01-a.md).\n"),
    ]);
    assert_eq!(
        diags(&dir),
        [
            warn(L1, 3, 13, "requires draft lesson \"b\"; learners can never complete it"),
            warn(L1, 5, 5, "link to draft lesson \"02-b.md\"; learners cannot open it"),
        ]
    );
    assert!(compile(dir.path()).unwrap().catalog.is_some());
}

#[test]
fn broken_links_are_errors_at_the_link() {
    let body = "[x](../../../../etc/passwd)\n[y](nope.md)\n[z](02-b.md#nowhere)\n[w](../worksheets/none.md)\n  [v](../files/none.pdf)\n";
    let dir = content(&[(L1, &lesson("A", body)), (L2, &lesson("B", "## Here\n"))]);
    assert_eq!(
        diags(&dir),
        [
            err(L1, 4, 1, "link \"../../../../etc/passwd\" leaves the course folder"),
            err(L1, 5, 1, "link to missing lesson \"nope.md\""),
            err(L1, 6, 1, "link to missing anchor \"02-b.md#nowhere\""),
            err(L1, 7, 1, "link to missing worksheet \"../worksheets/none.md\""),
            err(L1, 8, 3, "link to missing file \"../files/none.pdf\""),
        ]
    );
}

#[test]
fn empty_course_is_an_error() {
    let dir = content(&[]);
    assert_eq!(
        one(&dir),
        err("c/course.toml", 1, 1, "course has no lessons; add NN-module/NN-lesson.md files")
    );
}

#[test]
fn duplicate_slugs_are_reported_in_both_places() {
    let dir = content(&[(L1, &lesson("A", "")), (L2, "+++\ntitle = \"B\"\nslug = \"a\"\n+++\n")]);
    let all = diags(&dir);
    assert_eq!(all.len(), 2, "{all:#?}");
    assert_eq!((all[0].0.as_str(), all[0].1, all[0].2), (L1, 1, 1));
    assert_eq!((all[1].0.as_str(), all[1].1, all[1].2), (L2, 3, 8));
    assert!(all[0].4.starts_with("duplicate lesson slug \"a\" (also used by "), "{}", all[0].4);
    assert!(all[1].4.ends_with("01-a.md)"), "{}", all[1].4);
}

#[test]
fn lesson_without_front_matter_is_an_error() {
    let dir = content(&[(L1, "# Just markdown\n")]);
    let (path, line, col, _, message) = one(&dir);
    assert_eq!((path.as_str(), line, col), (L1, 1, 1));
    assert!(message.starts_with("missing front matter"));
}

#[test]
fn stray_files_and_folders_warn() {
    let dir = content(&[
        (L1, &lesson("A", "")),
        ("c/notes.txt", "x"),
        ("c/drafts/x.md", "x"),
        ("c/01-m/readme.md", "x"),
    ]);
    assert_eq!(
        diags(&dir),
        [
            warn(
                "c/01-m/readme.md",
                1,
                1,
                "ignored: a module folder holds module.toml and NN-slug.md lessons"
            ),
            warn(
                "c/drafts",
                1,
                1,
                "ignored: module folders are named NN-slug (or are worksheets/, files/ or emails/)"
            ),
            warn(
                "c/notes.txt",
                1,
                1,
                "ignored: a course folder holds only course.toml, index.md, the support page course.toml names, and folders"
            ),
        ]
    );
}

#[test]
fn the_support_page_course_toml_names_is_compiled_and_other_pages_are_ignored() {
    let dir = content(&[
        (L1, &lesson("A", "")),
        ("c/course.toml", &format!("support = \"help.md\"\n{COURSE}")),
        ("c/help.md", "## Someone to talk to\n\nRead [the first lesson](01-m/01-a.md).\n"),
        ("c/notes.md", "x"),
    ]);
    let stray = "ignored: a course folder holds only course.toml, index.md, the support page course.toml names, and folders";
    assert_eq!(diags(&dir), [warn("c/notes.md", 1, 1, stray)]);
    let catalog = compile(dir.path()).unwrap().catalog.unwrap();
    let html = catalog.course("c").unwrap().support_html.clone().unwrap();
    assert!(html.contains("Someone to talk to"), "{html}");
    assert!(
        html.contains("href=\"/courses/c/lessons/a\""),
        "links resolve like a lesson's: {html}"
    );
}

#[test]
fn without_support_the_course_has_none_and_a_missing_file_names_its_line() {
    let dir = content(&[(L1, &lesson("A", ""))]);
    let catalog = compile(dir.path()).unwrap().catalog.unwrap();
    assert_eq!(catalog.course("c").unwrap().support_html, None, "the built-in text is shown");

    let dir = content(&[
        (L1, &lesson("A", "")),
        (
            "c/course.toml",
            &format!("{}support = \"crisis.md\"\n", COURSE.split("[reminders]").next().unwrap()),
        ),
    ]);
    let message = "support page \"crisis.md\" not found: it must be a Markdown file beside course.toml, like support = \"support.md\"";
    assert_eq!(one(&dir), err("c/course.toml", 5, 1, message));
    assert!(compile(dir.path()).unwrap().catalog.is_none());
}

#[test]
fn missing_alt_text_warns_and_keeps_the_catalog() {
    let dir = content(&[
        (L1, &lesson("A", "Look:\n\n![](../files/p.svg)\n")),
        ("c/files/p.svg", "<svg/>"),
    ]);
    assert_eq!(
        one(&dir),
        warn(L1, 6, 1, "image has no alt text; describe it for learners using screen readers")
    );
    assert!(compile(dir.path()).unwrap().catalog.is_some());
}

const SHEET: &str = "c/worksheets/plan.md";

#[test]
fn worksheet_fields_are_checked() {
    let text = "+++\ntitle = \"Plan\"\nshared = true\nsignatures = true\n\
[[fields]]\nid = \"a\"\ntype = \"short\"\nlabel = \"A\"\n\
[[fields]]\nid = \"a\"\ntype = \"long\"\nlabel = \"A again\"\n\
[[fields]]\nid = \"pick\"\ntype = \"choice\"\nlabel = \"Pick\"\n\
[[fields]]\nid = \"unused\"\ntype = \"date\"\nlabel = \"U\"\n+++\n\
Intro\n{{ field \"a\" }}\n{{ field \"a\" }}\n{{ field \"ghost\" }}\n";
    let dir = content(&[(L1, &lesson("A", "")), (SHEET, text)]);
    assert_eq!(
        diags(&dir),
        [
            err(SHEET, 10, 6, "duplicate field id \"a\""),
            err(SHEET, 14, 6, "choice field \"pick\" needs `options = [\"...\", ...]`"),
            err(
                SHEET,
                18,
                6,
                "field \"unused\" is declared but never placed; add {{ field \"unused\" }} to the body"
            ),
            err(SHEET, 24, 1, "field \"a\" is placed more than once"),
            err(SHEET, 25, 1, "field \"ghost\" is placed but not declared in the front matter"),
        ]
    );
}

#[test]
fn unknown_field_type_is_an_error_at_the_value() {
    let text = "+++\ntitle = \"P\"\n[[fields]]\nid = \"a\"\ntype = \"essay\"\nlabel = \"A\"\n+++\n{{ field \"a\" }}\n";
    let dir = content(&[(L1, &lesson("A", "")), (SHEET, text)]);
    let (path, line, col, _, message) = one(&dir);
    assert_eq!((path.as_str(), line, col), (SHEET, 5, 8));
    assert!(message.starts_with("unknown variant `essay`"), "{message}");
}

#[test]
fn worksheet_blocks_interleave_html_and_fields() {
    let text = "+++\ntitle = \"P\"\nshared = true\n[[fields]]\nid = \"when\"\ntype = \"choice\"\nlabel = \"When\"\noptions = [\"Weekly\", \"Monthly\"]\n+++\n# Plan\n{{ field \"when\" }}\nDone.\n";
    let dir = content(&[(L1, &lesson("A", "[plan](../worksheets/plan.md)\n")), (SHEET, text)]);
    let compilation = compile(dir.path()).unwrap();
    assert!(compilation.diagnostics.is_empty(), "{:#?}", compilation.diagnostics);
    let catalog = compilation.catalog.unwrap();
    let sheet = catalog.worksheet("c", "plan").unwrap();
    assert_eq!(
        sheet.blocks,
        [
            WorksheetBlock::Html("<h1 id=\"plan\">Plan</h1>\n".into()),
            WorksheetBlock::Field("when".into()),
            WorksheetBlock::Html("<p>Done.</p>\n".into()),
        ]
    );
    assert_eq!(
        sheet.fields[0].kind,
        FieldKind::Choice { options: vec!["Weekly".into(), "Monthly".into()] }
    );
    assert!(sheet.shared && !sheet.signatures);
    assert!(catalog.lesson("c", "a").unwrap().lesson.html.contains("/courses/c/worksheets/plan"));
}

#[test]
fn unusable_roots_are_content_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(compile(&dir.path().join("nope")), Err(ContentError::Missing(_))));
    write(dir.path(), "file", "x");
    assert!(matches!(compile(&dir.path().join("file")), Err(ContentError::NotADirectory(_))));
}

#[test]
fn display_shows_path_position_and_caret() {
    let dir = content(&[(L1, &lesson("A", "See [foo](foo.md) now.\n"))]);
    let compilation = compile(dir.path()).unwrap();
    let shown = compilation.diagnostics[0].to_string();
    let expected_tail = "c/01-m/01-a.md:4:5: error: link to missing lesson \"foo.md\"\n  |\n4 | See [foo](foo.md) now.\n  |     ^";
    assert!(shown.ends_with(expected_tail), "{shown}");
}

#[test]
fn recompiling_reuses_unchanged_lessons_and_sees_edits() {
    let dir = content(&[(L1, &lesson("A", "[b](02-b.md)\n")), (L2, &lesson("B", "one\n"))]);
    let mut compiler = Compiler::new(dir.path());
    let first = compiler.compile().unwrap().catalog.unwrap();
    write(dir.path(), L2, &lesson("B", "two two\n"));
    let second = compiler.compile().unwrap().catalog.unwrap();
    assert_eq!(
        first.lesson("c", "a").unwrap().lesson.html,
        second.lesson("c", "a").unwrap().lesson.html
    );
    assert_eq!(second.lesson("c", "b").unwrap().lesson.html, "<p>two two</p>\n".into());
    assert_ne!(first.course("c").unwrap().content_hash, second.course("c").unwrap().content_hash);
    fs::rename(dir.path().join(L2), dir.path().join("c/01-m/02-renamed.md")).unwrap();
    let third = compiler.compile().unwrap();
    assert_eq!(third.diagnostics[0].message, "link to missing lesson \"02-b.md\"");
}

#[test]
fn the_sample_course_compiles_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let compilation = compile(&root).unwrap();
    let shown: Vec<String> = compilation.diagnostics.iter().map(ToString::to_string).collect();
    assert!(shown.is_empty(), "{}", shown.join("\n\n"));
    assert!(compilation.catalog.is_some());
}

/// Whether rendered HTML contains anything executable: a script element, an `on…` attribute,
/// or a `javascript:`/`data:` URL in a URL attribute.
fn is_dangerous(html: &str) -> bool {
    let lower = html.to_ascii_lowercase();
    lower.contains("<script") || tags(&lower).iter().any(|tag| tag_is_dangerous(tag))
}

fn tags(html: &str) -> Vec<&str> {
    html.split('<').skip(1).map(|rest| rest.split('>').next().unwrap_or(rest)).collect()
}

fn tag_is_dangerous(tag: &str) -> bool {
    let decoded =
        tag.replace("&#58;", ":").replace("&colon;", ":").replace(['\t', '\n', '\r', ' '], " ");
    let names_on = decoded.split([' ', '/', '"', '\'']).any(|word| {
        word.starts_with("on")
            && word.contains('=')
            && word[..word.find('=').unwrap_or(0)].chars().all(|c| c.is_ascii_alphabetic())
    });
    let squeezed: String = decoded.chars().filter(|c| !c.is_whitespace()).collect();
    names_on
        || [
            "href=\"javascript:",
            "src=\"javascript:",
            "href=\"data:",
            "src=\"data:",
            "href=javascript:",
            "src=data:",
        ]
        .iter()
        .any(|bad| squeezed.contains(bad))
}

fn render_any(markdown: &str) -> String {
    let text = format!("+++\ntitle = \"x\"\n+++\n{markdown}");
    let links = LinkContext::new(
        "c",
        [("01-m/01-a.md".to_string(), "a".to_string())],
        [],
        ["x.png".to_string()],
    );
    compile_lesson_source("01-m/01-a.md", &text, &links)
        .lesson
        .map(|l| l.html.to_string())
        .unwrap_or_default()
}

fn markdown_with_html() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("<script>alert(1)</script>".to_string()),
        Just("<img src=x onerror=alert(1)>".to_string()),
        Just("<a href=\"javascript:alert(1)\">x</a>".to_string()),
        Just("[x](javascript:alert(1))".to_string()),
        Just("[x](JaVaScRiPt&#58;alert(1))".to_string()),
        Just("![x](data:text/html;base64,PHNjcmlwdD4=)".to_string()),
        Just("<javascript:alert(1)>".to_string()),
        Just("<div onclick=\"x()\">".to_string()),
        Just("<svg onload=alert(1)>".to_string()),
        Just("<iframe src=\"data:text/html,x\"></iframe>".to_string()),
        Just("[r]: java\tscript:alert(1)\n\n[r]".to_string()),
        Just("> [!TIP]\n> x".to_string()),
        Just("\n\n".to_string()),
        Just("`code` **b** _i_ ~~s~~ - [ ] t".to_string()),
        "[ -~\n]{0,40}",
    ];
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn rendered_html_is_never_executable(markdown in markdown_with_html()) {
        let html = render_any(&markdown);
        prop_assert!(!is_dangerous(&html), "{markdown:?} rendered as {html:?}");
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let links = LinkContext::default();
        let _ = compile_lesson_source("01-m/01-a.md", &text, &links);
        let _ = render_any(&text);
    }
}

#[test]
fn the_danger_detector_detects_danger() {
    assert!(is_dangerous("<p><a href=\"javascript:x\">"));
    assert!(is_dangerous("<img src=x onerror=alert(1)>"));
    assert!(is_dangerous("<SCRIPT>"));
    assert!(!is_dangerous("<p>onerror= is just text &lt;script&gt;</p>"));
}

#[test]
fn watch_recompiles_after_an_edit_and_stops_when_dropped() {
    let dir = content(&[(L1, &lesson("A", "before\n"))]);
    let (sender, receiver) = std::sync::mpsc::channel();
    let handle = watch(dir.path().to_path_buf(), move |result| {
        let _ = sender.send(
            result
                .map(|c| c.catalog.map(|cat| cat.lesson("c", "a").map(|v| v.lesson.html.clone()))),
        );
    })
    .unwrap();
    write(dir.path(), L1, &lesson("A", "after\n"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = None;
    while std::time::Instant::now() < deadline {
        if let Ok(Ok(Some(Some(html)))) =
            receiver.recv_timeout(std::time::Duration::from_millis(200))
        {
            seen = Some(html);
            if seen.as_deref() == Some("<p>after</p>\n") {
                break;
            }
        }
    }
    assert_eq!(seen.as_deref(), Some("<p>after</p>\n"));
    drop(handle);
}

#[test]
fn catalog_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Catalog>();
    shareable::<Compilation>();
    shareable::<Compiler>();
}

/// [`content`] with one lesson, so the course itself is complete.
fn course_with(files: &[(&str, &str)]) -> TempDir {
    let dir = content(files);
    write(dir.path(), L1, &lesson("A", "Text.\n"));
    dir
}

fn with_reminders(reminders: &str) -> TempDir {
    let dir = course_with(&[]);
    let toml = format!("title = \"C\"\npublished = true\n[reminders]\n{reminders}\n");
    write(dir.path(), "c/course.toml", &toml);
    dir
}

#[test]
fn inactive_days_takes_a_number_or_a_list_of_tiers() {
    for (written, tiers) in
        [("inactive_days = 5", vec![5]), ("inactive_days = [3, 7, 14]", vec![3, 7, 14])]
    {
        let dir = with_reminders(written);
        let compilation = compile(dir.path()).unwrap();
        let catalog = compilation.catalog.expect("compiles");
        assert_eq!(catalog.course("c").unwrap().reminders.tiers, tiers, "{written}");
    }
    let dir = with_reminders("max_nudges = 2");
    let catalog = compile(dir.path()).unwrap().catalog.unwrap();
    assert_eq!(catalog.course("c").unwrap().reminders, Reminders { tiers: vec![7], max_nudges: 2 });
}

#[test]
fn bad_tiers_are_reported_on_their_line() {
    let cases = [
        ("inactive_days = []", "inactive_days needs at least one tier, like [7]"),
        ("inactive_days = 0", "inactive_days must be whole days greater than 0"),
        ("inactive_days = [3, -1]", "inactive_days must be whole days greater than 0"),
        (
            "inactive_days = [3, 7, 7]",
            "inactive_days tiers must be strictly increasing, like [3, 7, 14]",
        ),
        (
            "inactive_days = [7, 3]",
            "inactive_days tiers must be strictly increasing, like [3, 7, 14]",
        ),
        (
            "inactive_days = \"weekly\"",
            "inactive_days is a number of days or a list of them, like 7 or [3, 7, 14]",
        ),
    ];
    for (written, message) in cases {
        let dir = with_reminders(written);
        let (path, line, col, severity, got) = one(&dir);
        assert_eq!(
            (path.as_str(), line, severity),
            ("c/course.toml", 4, Severity::Error),
            "{written}"
        );
        assert_eq!(col, 17, "{written}");
        assert_eq!(got, message, "{written}");
    }
}

#[derive(Debug)]
struct FlagsBraces;

impl EmailCheck for FlagsBraces {
    fn check(&self, _name: &str, email: &EmailOverride) -> Vec<EmailProblem> {
        EmailPart::ALL
            .into_iter()
            .filter_map(|part| {
                let text = email.part(part)?;
                let (line, rest) = text.lines().enumerate().find(|(_, l)| l.contains("{{ bad"))?;
                let col = rest.find("{{ bad")? + 1;
                Some(EmailProblem { part, line: line + 1, col, message: "bad variable".into() })
            })
            .collect()
    }
}

const NUDGE_PARTS: [(&str, &str); 3] = [
    ("c/emails/nudge/subject.txt", "A note from us\n"),
    ("c/emails/nudge/body.txt", "Hello {{ display_name }}.\n"),
    ("c/emails/nudge/body.html", "<p>Hello {{ display_name }}.</p>\n"),
];

#[test]
fn email_overrides_compile_into_the_course() {
    let dir = course_with(&NUDGE_PARTS);
    write(dir.path(), "c/emails/nudge/preview.txt", "Just checking in\n");
    let compilation = compile(dir.path()).unwrap();
    assert!(compilation.diagnostics.is_empty(), "{:#?}", compilation.diagnostics);
    let catalog = compilation.catalog.unwrap();
    let course = catalog.course("c").unwrap();
    let nudge = &course.email_overrides["nudge"];
    assert_eq!(nudge.part(EmailPart::Subject), Some("A note from us\n"));
    assert_eq!(nudge.part(EmailPart::Preview), Some("Just checking in\n"));
    assert_eq!(course.email_overrides.len(), 1);
    // Editing an override changes the course hash, so caches keyed on it notice.
    let before = course.content_hash.clone();
    write(dir.path(), "c/emails/nudge/body.txt", "Hi.\n");
    let after = compile(dir.path()).unwrap().catalog.unwrap();
    assert_ne!(after.course("c").unwrap().content_hash, before);
}

#[test]
fn unknown_templates_missing_parts_and_stray_files_are_reported() {
    let dir = course_with(&[
        ("c/emails/nudj/subject.txt", "x"),
        ("c/emails/digest/subject.txt", "x"),
        ("c/emails/digest/body.txt", "x"),
        ("c/emails/digest/notes.md", "x"),
        ("c/emails/readme.txt", "x"),
    ]);
    assert_eq!(
        diags(&dir),
        [
            err("c/emails/digest", 1, 1, "email override \"digest\" has no body.html"),
            warn(
                "c/emails/digest/notes.md",
                1,
                1,
                "ignored: an email folder holds subject.txt, preview.txt, body.txt and body.html"
            ),
            err(
                "c/emails/nudj",
                1,
                1,
                "unknown email template \"nudj\" (templates: nudge, new_lessons, digest)"
            ),
            warn("c/emails/readme.txt", 1, 1, "ignored: emails/ holds one folder per template"),
        ]
    );
    assert!(compile(dir.path()).unwrap().catalog.is_none());
}

#[test]
fn the_injected_email_check_reports_in_the_part_file() {
    let dir = course_with(&NUDGE_PARTS);
    write(dir.path(), "c/emails/nudge/body.txt", "Hello.\n\nSee {{ bad }} here.\n");
    // Without the check only the files are looked at.
    assert!(compile(dir.path()).unwrap().diagnostics.is_empty());
    let compilation = compile_with(dir.path(), Arc::new(FlagsBraces)).unwrap();
    let d = &compilation.diagnostics[0];
    assert_eq!(compilation.diagnostics.len(), 1);
    assert!(d.path.ends_with("c/emails/nudge/body.txt"), "{}", d.path.display());
    assert_eq!((d.line, d.col, d.message.as_str()), (3, 5, "bad variable"));
    assert!(compilation.catalog.is_none(), "a broken override withholds the catalog");
}

/// Compiles `dir` and returns its catalog, which must have no errors.
fn catalog_of(dir: &TempDir) -> Arc<Catalog> {
    compile(dir.path()).unwrap().catalog.expect("no errors")
}

fn changes_as_text(before: &Catalog, after: &Catalog) -> Vec<(String, String, ChangeKind)> {
    lesson_changes(before, after).into_iter().map(|c| (c.course, c.lesson, c.kind)).collect()
}

#[test]
fn lesson_changes_are_edits_by_content_hash_additions_and_removals() {
    let dir = content(&[
        ("c/01-m/01-a.md", &lesson("A", "First.")),
        ("c/01-m/02-b.md", &lesson("B", "Second.")),
        ("c/01-m/03-c.md", &lesson("Gone", "Third.")),
    ]);
    let before = catalog_of(&dir);
    assert!(lesson_changes(&before, &before).is_empty(), "the same build changes nothing");
    write(dir.path(), "c/01-m/01-a.md", &lesson("A", "First, rewritten."));
    fs::remove_file(dir.path().join("c/01-m/03-c.md")).unwrap();
    write(dir.path(), "c/01-m/04-d.md", &lesson("New", "Fourth."));
    // Same text in another module (same slug, same hash): moved, not changed.
    fs::remove_file(dir.path().join("c/01-m/02-b.md")).unwrap();
    write(dir.path(), "c/02-n/module.toml", MODULE);
    write(dir.path(), "c/02-n/01-b.md", &lesson("B", "Second."));
    let after = catalog_of(&dir);
    let c = || "C".to_owned();
    assert_eq!(
        changes_as_text(&before, &after),
        vec![
            (c(), "A".to_owned(), ChangeKind::Edited),
            (c(), "New".to_owned(), ChangeKind::Added),
            (c(), "Gone".to_owned(), ChangeKind::Removed),
        ]
    );
}

#[test]
fn a_course_that_appears_or_disappears_lists_all_its_lessons() {
    let dir = content(&[("c/01-m/01-a.md", &lesson("A", "First."))]);
    let one = catalog_of(&dir);
    write(dir.path(), "d/course.toml", "title = \"D\"\npublished = true\n");
    write(dir.path(), "d/01-m/module.toml", MODULE);
    write(dir.path(), "d/01-m/01-x.md", &lesson("X", "Ex."));
    let two = catalog_of(&dir);
    assert_eq!(changes_as_text(&one, &two), vec![("D".into(), "X".into(), ChangeKind::Added)]);
    assert_eq!(changes_as_text(&two, &one), vec![("D".into(), "X".into(), ChangeKind::Removed)]);
}

#[test]
fn the_store_keeps_what_each_live_build_changed_since_the_one_before() {
    let dir = content(&[("c/01-m/01-a.md", &lesson("A", "First."))]);
    let store = CatalogStore::new();
    let at = |h: u32| chrono::DateTime::from_timestamp(i64::from(h) * 3600, 0).unwrap();
    store.publish(compile(dir.path()).unwrap(), at(1));
    let first = store.changes().unwrap();
    assert_eq!((first.since, first.lessons.len()), (None, 0), "nothing to compare with");
    store.publish(compile(dir.path()).unwrap(), at(2));
    assert_eq!(store.changes().unwrap().built_at, at(1), "the same content is the same build");
    write(dir.path(), "c/01-m/01-a.md", "+++\ntitel = \"broken\"\n+++\n");
    store.publish(compile(dir.path()).unwrap(), at(2));
    assert_eq!(store.changes().unwrap().built_at, at(1), "a broken build is not live");
    write(dir.path(), "c/01-m/01-a.md", &lesson("A", "Fixed."));
    store.publish(compile(dir.path()).unwrap(), at(3));
    let fixed = store.changes().unwrap();
    assert_eq!(fixed.since, Some(at(1)), "compared with the last build that went live");
    assert_eq!(fixed.lessons.len(), 1);
    assert_eq!(fixed.lessons[0].kind, ChangeKind::Edited);
}

#[test]
fn unpublished_courses_get_a_note_on_their_published_line() {
    let dir = content(&[("c/01-m/01-a.md", &lesson("A", "First."))]);
    assert!(compile(dir.path()).unwrap().notes.is_empty(), "published courses get no note");
    write(dir.path(), "c/course.toml", "title = \"C\"\n\npublished = false\n[reminders]\n");
    write(dir.path(), "d/course.toml", "title = \"D\"\n");
    write(dir.path(), "d/01-m/module.toml", MODULE);
    write(dir.path(), "d/01-m/01-x.md", &lesson("X", "Ex."));
    let compilation = compile(dir.path()).unwrap();
    assert_eq!(compilation.error_count(), 0, "{:?}", compilation.diagnostics);
    let notes: Vec<String> = compilation
        .notes
        .iter()
        .map(|n| n.to_string().replace(&dir.path().display().to_string(), ""))
        .collect();
    assert_eq!(
        notes,
        [
            "/c/course.toml:3: note: course \"c\" is unpublished; learners cannot see it",
            "/d/course.toml:1: note: course \"d\" is unpublished; learners cannot see it",
        ]
    );
}

/// A course with two tracks: `id` values on lines 4 and 7.
const TRACKED: &str = "title = \"C\"\npublished = true\n[[tracks]]\nid = \"betrayed\"\ntitle = \"B\"\ncheckin_scale = \"distress\"\n[[tracks]]\nid = \"betraying\"\ntitle = \"I\"\n";

fn tracked(files: &[(&str, &str)]) -> TempDir {
    let dir = content(files);
    write(dir.path(), "c/course.toml", TRACKED);
    dir
}

fn on_track(title: &str, track: &str, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\ntracks = [\"{track}\"]\n+++\n{body}")
}

#[test]
fn tracks_compile_with_module_tracks_inherited_and_lesson_tracks_kept() {
    let dir = tracked(&[
        (L1, &lesson("A", "Together.\n")),
        (L2, &on_track("B", "betrayed", "Mine.\n")),
        ("c/02-n/module.toml", "title = \"N\"\ntracks = [\"betraying\"]\n"),
        ("c/02-n/01-e.md", &lesson("E", "Theirs.\n")),
        ("c/02-n/02-f.md", &on_track("F", "betraying", "Also theirs.\n")),
    ]);
    let compilation = compile(dir.path()).unwrap();
    assert!(compilation.diagnostics.is_empty(), "{:#?}", compilation.diagnostics);
    let catalog = compilation.catalog.unwrap();
    let course = catalog.course("c").unwrap();
    let ids: Vec<&str> = course.tracks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["betrayed", "betraying"]);
    assert_eq!(course.track("betrayed").unwrap().checkin_scale(), "distress");
    assert_eq!(course.track("betraying").unwrap().checkin_scale(), "urges or distress");
    let tracks = |slug: &str| catalog.lesson("c", slug).unwrap().lesson.tracks.clone();
    assert!(tracks("a").is_empty() && catalog.lesson("c", "a").unwrap().lesson.is_together());
    assert_eq!(tracks("b"), ["betrayed"]);
    assert_eq!(tracks("e"), ["betraying"], "a lesson without tracks takes its module's");
    let b = catalog.lesson("c", "b").unwrap().lesson;
    assert!(b.is_for_track("betrayed") && !b.is_for_track("betraying"));
}

#[test]
fn unknown_tracks_are_errors_where_they_are_written() {
    let dir = tracked(&[
        (L1, "+++\ntitle = \"A\"\ntracks = [\"betrayed\", \"both\"]\n+++\n"),
        (L2, &lesson("B", "")),
        ("c/02-n/module.toml", "title = \"N\"\ntracks = [\"bystander\"]\n"),
        ("c/02-n/01-e.md", &lesson("E", "")),
    ]);
    let declares = "course.toml declares \"betrayed\", \"betraying\"";
    assert_eq!(
        diags(&dir),
        [
            err(L1, 3, 23, &format!("unknown track \"both\"; {declares}")),
            err("c/02-n/module.toml", 2, 11, &format!("unknown track \"bystander\"; {declares}")),
        ]
    );
    let plain = content(&[(L1, &on_track("A", "betrayed", ""))]);
    assert_eq!(
        one(&plain),
        err(L1, 3, 11, "unknown track \"betrayed\"; declare it in course.toml with [[tracks]]")
    );
}

#[test]
fn track_ids_must_be_slugs_and_unique() {
    let dir = content(&[(L1, &lesson("A", ""))]);
    let course = "title = \"C\"\n[[tracks]]\nid = \"Betrayed\"\ntitle = \"B\"\n[[tracks]]\nid = \"x\"\ntitle = \"X\"\n[[tracks]]\nid = \"x\"\ntitle = \"Y\"\n";
    write(dir.path(), "c/course.toml", course);
    assert_eq!(
        diags(&dir),
        [
            err(
                "c/course.toml",
                3,
                6,
                "track id \"Betrayed\" must use only lowercase letters, digits and hyphens"
            ),
            err("c/course.toml", 9, 6, "duplicate track id \"x\""),
        ]
    );
}

#[test]
fn a_module_left_empty_for_a_track_is_a_warning() {
    let dir = tracked(&[
        (L1, &on_track("A", "betrayed", "")),
        (L2, &on_track("B", "betrayed", "")),
        ("c/02-n/module.toml", "title = \"N\"\ntracks = [\"betraying\"]\n"),
        ("c/02-n/01-e.md", &on_track("E", "betrayed", "")),
        ("c/03-o/module.toml", "title = \"O\"\ntracks = [\"betrayed\"]\n"),
        ("c/03-o/01-f.md", &lesson("F", "")),
    ]);
    let message = |t: &str| {
        format!(
            "no lesson of this module is for track \"{t}\"; learners on it will not see the module"
        )
    };
    assert_eq!(
        diags(&dir),
        [
            warn("c/01-m/module.toml", 1, 1, &message("betraying")),
            warn("c/02-n/module.toml", 2, 11, &message("betraying")),
        ]
    );
}

#[test]
fn requires_and_links_into_another_track_are_warnings() {
    let dir = tracked(&[
        (L1, &on_track("A", "betrayed", "")),
        (L2, "+++\ntitle = \"B\"\nrequires = [\"a\"]\n+++\nSee [a](01-a.md).\n"),
        ("c/01-m/03-c.md", &on_track("C", "betraying", "")),
        ("c/01-m/04-d.md", &on_track("D", "betrayed", "Back to [a](01-a.md).\n")),
    ]);
    assert_eq!(
        diags(&dir),
        [
            warn(
                L2,
                3,
                13,
                "requires \"a\", which learners on track \"betraying\" cannot see; for them the requirement is skipped"
            ),
            warn(
                L2,
                5,
                5,
                "link to \"01-a.md\", a lesson learners on track \"betraying\" cannot open"
            ),
        ]
    );
}

#[test]
fn a_course_toml_that_does_not_parse_hides_no_track_errors_behind_it() {
    let dir = tracked(&[(L1, &on_track("A", "betrayed", ""))]);
    write(dir.path(), "c/course.toml", &format!("{TRACKED}summary = 3\n"));
    let (path, line, _, severity, _) = one(&dir);
    assert_eq!((path.as_str(), line, severity), ("c/course.toml", 10, Severity::Error));
}
