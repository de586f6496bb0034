//! Downloads over HTTP: blank worksheets in three formats for anyone who sees the course, course
//! files for enrolled learners, authors and admins (or everyone with `public_downloads`), the
//! lesson's "Downloads and worksheets" box, and traversal payloads against every download route.
//! What the documents say is checked by real readers in tests/documents.

use mend::domain::account::Role;
use serde_json::Value;

use crate::both_backends;
use crate::learner_web::{COURSE, enrolled, text};
use crate::support::{Backend, TestApp, copy_of_sample_content};
use crate::test_case;

const BLANK: &str = "/courses/rebuilding-trust/worksheets/boundary-plan/download";
const API_BLANK: &str = "/api/v1/courses/rebuilding-trust/worksheets/boundary-plan/download";
const CARD: &str = "/courses/rebuilding-trust/files/daily-check-in.txt";

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_owned()
}

/// Text from course.toml and from /etc/passwd: neither may ever come back.
fn leaks(body: &[u8]) -> bool {
    let body = String::from_utf8_lossy(body);
    body.contains("enrollment = ") || body.contains("root:") || body.contains("[reminders]")
}

both_backends! {
    async fn a_visitor_downloads_a_blank_worksheet_in_every_format(app: TestApp) {
        for (base, format, content_type, magic) in [
            (BLANK, "pdf", "application/pdf", &b"%PDF-"[..]),
            (BLANK, "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK"),
            (BLANK, "md", "text/markdown; charset=utf-8", b"*Rebuilding Trust Together*"),
            (API_BLANK, "pdf", "application/pdf", b"%PDF-"),
        ] {
            let response = app.get(&format!("{base}?format={format}")).await;
            assert_eq!(response.status(), 200, "{base} {format}");
            assert_eq!(header(&response, "content-type"), content_type);
            assert_eq!(
                header(&response, "content-disposition"),
                format!("attachment; filename=\"My boundary plan.{format}\"; filename*=UTF-8''My%20boundary%20plan.{format}")
            );
            assert_eq!(header(&response, "cache-control"), "private, max-age=300");
            assert_eq!(header(&response, "x-content-type-options"), "nosniff");
            let body = response.bytes().await.unwrap();
            assert!(body.starts_with(magic), "{format} starts like a {format} file");
        }
        let head = TestApp::browser().head(format!("{}{BLANK}?format=md", app.address)).send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD answers like GET");
    }

    async fn an_unknown_or_missing_format_is_refused_naming_the_field(app: TestApp) {
        for query in ["?format=exe", "?format=PDF", "?format=..%2F..%2Fcourse.toml", "", "?format="] {
            let response = app.get(&format!("{API_BLANK}{query}")).await;
            assert_eq!(response.status(), 422, "{query}");
            assert_eq!(header(&response, "content-type"), "application/problem+json");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], "format", "{query}: {problem}");
        }
        let (status, page) = text(app.get(&format!("{BLANK}?format=exe")).await).await;
        assert_eq!(status, 422);
        assert!(page.contains("<html") && page.contains("choose pdf, docx or md"), "{page}");
        let post = app.client.post(format!("{}{BLANK}?format=pdf", app.address)).send().await.unwrap();
        assert_eq!(post.status(), 405);
        assert!(header(&post, "allow").contains("GET"));
    }

    async fn the_worksheet_page_offers_its_blank_copies(app: TestApp) {
        let (status, page) = text(app.get("/courses/rebuilding-trust/worksheets/boundary-plan").await).await;
        assert_eq!(status, 200);
        for format in ["pdf", "docx", "md"] {
            assert!(page.contains(&format!("href=\"{BLANK}?format={format}\" download")), "{format}: {page}");
        }
        assert!(page.contains(">Word<span class=\"visually-hidden\"> (My boundary plan, blank)</span>"), "{page}");
    }

    async fn course_files_are_for_enrolled_learners_authors_and_admins(app: TestApp) {
        assert_eq!(app.get(CARD).await.status(), 404, "a visitor is told nothing exists");
        let stranger = app.signed_in_as("stranger@example.org", Role::Learner).await;
        assert_eq!(stranger.get(CARD).await.status(), 404, "not enrolled: 404, not 403");

        let learner = enrolled(&app).await;
        let response = learner.get(CARD).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-type"), "text/plain; charset=utf-8");
        assert_eq!(
            header(&response, "content-disposition"),
            "attachment; filename=\"daily-check-in.txt\"; filename*=UTF-8''daily%2Dcheck%2Din.txt"
        );
        assert_eq!(header(&response, "cache-control"), "private, max-age=300");
        assert!(!response.text().await.unwrap().is_empty());

        for (email, role) in [("author@example.org", Role::Author), ("admin@example.org", Role::Admin)] {
            let staff = app.signed_in_as(email, role).await;
            assert_eq!(staff.get(CARD).await.status(), 200, "{role:?}");
        }
    }

    async fn traversal_payloads_never_leave_the_catalog(app: TestApp) {
        let author = app.signed_in_as("author@example.org", Role::Author).await;
        let on_disk = mend::content::compile(&crate::support::sample_content()).unwrap();
        let course_toml = on_disk.catalog.unwrap().course("rebuilding-trust").unwrap()
            .files.values().next().unwrap().path
            .parent().unwrap().parent().unwrap().join("course.toml");
        let absolute = course_toml.display().to_string();
        let encoded_absolute: String = url::form_urlencoded::byte_serialize(absolute.as_bytes()).collect();
        let payloads = [
            "../course.toml".to_owned(),
            "..%2Fcourse.toml".to_owned(),
            "%2e%2e%2fcourse.toml".to_owned(),
            "%2e%2e/%2e%2e/%2e%2e/etc/passwd".to_owned(),
            "%252e%252e%252fcourse.toml".to_owned(),
            "images%2F..%2F..%2Fcourse.toml".to_owned(),
            "..%5C..%5Ccourse.toml".to_owned(),
            "..\\..\\course.toml".to_owned(),
            "%2Fetc%2Fpasswd".to_owned(),
            "/etc/passwd".to_owned(),
            encoded_absolute,
            format!("/{absolute}"),
            "C:%5CWindows%5Cwin.ini".to_owned(),
        ];
        let routes = [
            "/courses/rebuilding-trust/files/{}".to_owned(),
            "/courses/rebuilding-trust/worksheets/{}/download?format=md".to_owned(),
            "/api/v1/courses/rebuilding-trust/worksheets/{}/download?format=md".to_owned(),
            "/courses/{}/worksheets/boundary-plan/download?format=md".to_owned(),
            "/api/v1/courses/{}/worksheets/boundary-plan/download?format=md".to_owned(),
        ];
        for route in &routes {
            for payload in &payloads {
                let path = route.replace("{}", payload);
                for response in [app.get(&path).await, author.get(&path).await] {
                    let status = response.status();
                    let body = response.bytes().await.unwrap();
                    assert_eq!(status, 404, "{path}");
                    assert!(!leaks(&body), "{path} leaked {}", String::from_utf8_lossy(&body));
                }
            }
            // A NUL never reaches a handler: the edge refuses it, naming the parameter.
            let path = route.replace("{}", "boundary-plan%00.md");
            let response = author.get(&path).await;
            assert_eq!(response.status(), 422, "{path}");
            assert!(!leaks(&response.bytes().await.unwrap()));
        }
    }

    async fn the_lesson_page_lists_what_it_links_with_type_and_size(app: TestApp) {
        let author = app.signed_in_as("author@example.org", Role::Author).await;
        let (status, page) = text(author.get(&format!("{COURSE}/lessons/how-to-use-this-course-together")).await).await;
        assert_eq!(status, 200);
        assert!(page.contains("<h2 id=\"downloads-title\">Downloads and worksheets</h2>"), "{page}");
        assert!(page.contains(&format!("<a href=\"{CARD}\" download>Daily check in (Text, 2 KB)</a>")), "{page}");

        let (_, plan) = text(author.get(&format!("{COURSE}/lessons/your-boundary-plan")).await).await;
        assert!(plan.contains("<span class=\"downloads__title\">My boundary plan</span>"), "{plan}");
        assert!(plan.contains("href=\"/courses/rebuilding-trust/worksheets/boundary-plan\">Open online"), "{plan}");
        assert!(plan.contains(&format!("Blank copy: <a href=\"{BLANK}?format=pdf\" download>PDF")), "{plan}");
        assert!(!plan.contains("recovery-path.svg\" download"), "images are part of the text, not the box");

        let (_, welcome) = text(author.get(&format!("{COURSE}/lessons/welcome")).await).await;
        assert!(!welcome.contains("Downloads and worksheets"), "no box when a lesson links nothing");
    }
}

test_case! {
    /// Access is about the course setting, not storage: one backend is enough.
    async fn public_downloads_opens_course_files_to_everyone_who_sees_the_course() {
        let scratch = tempfile::tempdir().unwrap();
        let content = copy_of_sample_content(scratch.path());
        let course_toml = content.join("rebuilding-trust/course.toml");
        let original = std::fs::read_to_string(&course_toml).unwrap();
        std::fs::write(&course_toml, format!("public_downloads = true\n{original}")).unwrap();
        let app = TestApp::create_with(Backend::Sqlite, |settings| settings.content_dir = content.clone())
            .await
            .unwrap();
        assert_eq!(app.get(CARD).await.status(), 200);
        let image = app.get("/courses/rebuilding-trust/files/images/recovery-path.svg").await;
        assert_eq!(header(&image, "content-type"), "image/svg+xml");
        assert!(header(&image, "content-disposition").starts_with("inline; "));
        let csp = header(&image, "content-security-policy");
        assert!(csp.starts_with("sandbox;") && csp.contains("default-src 'none'"), "{csp}");
        assert_eq!(app.get("/courses/rebuilding-trust/files/missing.txt").await.status(), 404);
    }
}
