//! Feeds arbitrary bytes through front matter parsing, Markdown rendering and link rewriting.
//! Invariants: no panic, and nothing executable survives in the rendered HTML.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mend::content::{LinkContext, compile_lesson_source};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let links = LinkContext::new(
        "course",
        [
            ("01-start/01-welcome.md".to_string(), "welcome".to_string()),
            ("02-next/01-more.md".to_string(), "more".to_string()),
        ],
        ["plan".to_string()],
        ["card.txt".to_string(), "images/path.svg".to_string()],
    );
    // Lessons usually carry front matter; also try the input as a body under valid front matter.
    for candidate in [text.to_string(), format!("+++\ntitle = \"t\"\n+++\n{text}")] {
        let out = compile_lesson_source("01-start/01-welcome.md", &candidate, &links);
        if let Some(lesson) = out.lesson {
            let html = lesson.html.to_ascii_lowercase();
            assert!(!html.contains("<script"), "script survived: {html}");
            assert!(
                !html.contains("href=\"javascript:"),
                "javascript: survived: {html}"
            );
        }
    }
});
