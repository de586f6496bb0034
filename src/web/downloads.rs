//! Downloads: blank worksheets as PDF, DOCX or Markdown, a course's own files, the lesson's
//! "Downloads and worksheets" box, and the one response every download goes out with (type,
//! RFC 6266 file name, caching, an inert CSP). Everything is looked up in the compiled catalog
//! by id: no path from a request ever reaches the disk.

use std::sync::Arc;

use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::content::{Catalog, Course, Lesson, LessonDownload, Worksheet, file_url};
use crate::documents::{Document, Format};
use crate::error::{AppError, Problem};
use crate::learning;
use crate::web::courses::{audience_of, visible_course};
use crate::web::learner::{learner_at, refusal};
use crate::web::session::CurrentUser;
use crate::web::state::AppState;
use crate::web::views::{self, own_worksheet_url, worksheet_url};

/// Who may keep a copy of a download, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// The browser that asked, for a few minutes (blank worksheets, course files).
    Private,
    /// Nobody, not even the browser's cache: a filled worksheet holds someone's answers.
    NoStore,
}

impl Caching {
    fn header_value(self) -> &'static str {
        match self {
            Self::Private => "private, max-age=300",
            Self::NoStore => "no-store",
        }
    }
}

/// A file on its way to the browser: every download route builds one and sends it with
/// [`Download::respond`], so headers cannot differ between routes.
#[derive(Debug)]
pub struct Download {
    /// What the browser saves it as; any Unicode (an ASCII fallback is sent beside it).
    pub file_name: String,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The file itself.
    pub bytes: Vec<u8>,
    /// Who may keep a copy.
    pub caching: Caching,
    /// Shown in the browser (images) instead of saved.
    pub inline: bool,
}

/// Downloads are inert documents: no script, no plugins, no network, only their own styles.
const DOWNLOAD_CSP: &str = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'";

impl Download {
    /// A worksheet rendered in `format`, saved as "<worksheet title>.<extension>".
    pub fn document(title: &str, format: Format, bytes: Vec<u8>, caching: Caching) -> Self {
        Self {
            file_name: format!("{}.{}", safe_file_name(title), format.extension()),
            content_type: format.content_type(),
            bytes,
            caching,
            inline: false,
        }
    }

    /// The response: type, disposition with both file names, caching and the inert CSP.
    pub fn respond(self) -> HttpResponse {
        HttpResponse::Ok()
            .content_type(self.content_type)
            .insert_header(disposition(&self.file_name, self.inline))
            .insert_header((header::CACHE_CONTROL, self.caching.header_value()))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            // An SVG opened on its own is a document that could run script: never let it.
            .insert_header((header::CONTENT_SECURITY_POLICY, DOWNLOAD_CSP))
            .body(self.bytes)
    }
}

/// `Content-Disposition` per RFC 6266: `filename="…"` in ASCII for old clients and
/// `filename*=UTF-8''…` (RFC 5987) with the real name.
fn disposition(file_name: &str, inline: bool) -> ContentDisposition {
    let ascii = ascii_fallback(file_name);
    let mut parameters = vec![DispositionParam::Filename(ascii)];
    parameters.push(DispositionParam::FilenameExt(ExtendedValue {
        charset: Charset::Ext("UTF-8".to_owned()),
        language_tag: None,
        value: file_name.as_bytes().to_vec(),
    }));
    let disposition = if inline { DispositionType::Inline } else { DispositionType::Attachment };
    ContentDisposition { disposition, parameters }
}

/// `name` with every character outside printable ASCII (and the quote and backslash a
/// quoted-string would have to escape) replaced by `_`.
fn ascii_fallback(name: &str) -> String {
    name.chars()
        .map(
            |c| {
                if (c.is_ascii_graphic() || c == ' ') && !matches!(c, '"' | '\\') { c } else { '_' }
            },
        )
        .collect()
}

/// A title as a file name every system accepts: no path separators, reserved or control
/// characters, no leading dots, and never empty.
fn safe_file_name(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '-'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() { "worksheet".to_owned() } else { trimmed.to_owned() }
}

/// The `?format=` of a document download.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `pdf`, `docx` or `md`.
    format: Option<String>,
}

impl FormatQuery {
    /// The format asked for, or 422 naming `format`.
    pub fn format(&self) -> Result<Format, AppError> {
        self.format.as_deref().and_then(Format::from_extension).ok_or_else(|| {
            AppError::InvalidField { field: "format", message: "choose pdf, docx or md".into() }
        })
    }
}

/// Renders `document` on the blocking pool (PDF layout takes milliseconds of CPU).
///
/// # Errors
/// [`AppError::Internal`] when the renderer or the pool fails; neither says anything of the
/// document's content.
pub async fn render(format: Format, document: Document) -> Result<Vec<u8>, AppError> {
    web::block(move || format.render(&document))
        .await
        .map_err(|error| AppError::Internal(Box::new(error)))?
        .map_err(|error| AppError::Internal(Box::new(error)))
}

/// Today in the reader's time zone (UTC for visitors): the date printed on a document.
pub fn today_for(req: &HttpRequest, state: &AppState) -> NaiveDate {
    let now = state.clock.now();
    match CurrentUser::of(req) {
        Some(user) => now.with_timezone(&user.time_zone).date_naive(),
        None => now.date_naive(),
    }
}

/// A worksheet blank, as a counsellor hands it out, for anyone who may see the course page.
#[utoipa::path(get, path = "/api/v1/courses/{course}/worksheets/{worksheet}/download",
    tag = "courses",
    params(("course" = String, Path, description = "Course slug"),
        ("worksheet" = String, Path, description = "Worksheet slug"), FormatQuery),
    responses(
        (status = 200, description = "The blank worksheet as an attachment (`Content-Disposition` with `filename*`)",
            content(
                (Vec<u8> = "application/pdf"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                (String = "text/markdown"))),
        (status = 400, description = "The query string could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course or worksheet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`format` is missing or not pdf, docx or md, or a parameter holds a control character", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The course content is not compiled yet", body = Problem, content_type = "application/problem+json")))]
pub async fn download_blank(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<FormatQuery>,
) -> Result<HttpResponse, AppError> {
    let (course_slug, worksheet_slug) = path.into_inner();
    let catalog = state.catalog()?;
    let course = visible_course(&catalog, &course_slug, audience_of(&req))?;
    let worksheet = course.worksheets.get(&worksheet_slug).ok_or(AppError::NotFound)?;
    let format = query.format()?;
    let document = Document::blank(course, worksheet, today_for(&req, &state));
    let bytes = render(format, document).await?;
    Ok(Download::document(&worksheet.title, format, bytes, Caching::Private).respond())
}

/// `/courses/{course}/files/{path}`: a file under the course's `files/`. Only files the
/// compiler found there are known, and only enrolled learners, authors and admins get them
/// unless the course sets `public_downloads`; everyone else gets 404, as if there were none.
pub async fn download_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (course_slug, file_path) = path.into_inner();
    let catalog = state.catalog()?;
    let course = visible_course(&catalog, &course_slug, audience_of(&req))?;
    let file = course.files.get(&file_path).ok_or(AppError::NotFound)?.clone();
    may_download_files(&req, &state, &catalog, course).await?;
    let file_name = file.path.file_name().map(|n| n.to_string_lossy().into_owned());
    let bytes = web::block(move || std::fs::read(&file.path))
        .await
        .map_err(|error| AppError::Internal(Box::new(error)))?
        // Deleted since the last compile: gone, as far as anyone can tell.
        .map_err(|_| AppError::NotFound)?;
    Ok(Download {
        file_name: file_name.unwrap_or_else(|| "download".to_owned()),
        content_type: file.mime,
        bytes,
        caching: Caching::Private,
        inline: file.mime.starts_with("image/"),
    }
    .respond())
}

/// Course files are for enrolled learners (an enrolment that still grants access), authors
/// and admins, or for everyone who sees the course when it sets `public_downloads`.
async fn may_download_files(
    req: &HttpRequest,
    state: &AppState,
    catalog: &Arc<Catalog>,
    course: &Course,
) -> Result<(), AppError> {
    if course.public_downloads {
        return Ok(());
    }
    let user = CurrentUser::of(req).ok_or(AppError::NotFound)?;
    if user.role.can_author() {
        return Ok(());
    }
    let at = learner_at(state, catalog, &user, &course.slug);
    match learning::has_access(at).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AppError::NotFound),
        Err(error) => Err(refusal(error, &user, course)),
    }
}

/// One entry of a lesson's "Downloads and worksheets" box.
#[derive(Debug, Serialize)]
pub struct DownloadItem {
    /// The worksheet's title, or the file's name in words.
    pub title: String,
    /// A file's type and size ("PDF, 48 KB"); `None` for worksheets.
    pub details: Option<String>,
    /// The file itself, or where the worksheet is filled in (or read, for authors previewing).
    pub url: String,
    /// What the worksheet link says: "Fill in online", or "Open online" for a preview.
    pub open_label: &'static str,
    /// A worksheet's blank copies, one per format; empty for files.
    pub blank: Vec<FormatLink>,
}

/// A link to a document in one format.
#[derive(Debug, Serialize)]
pub struct FormatLink {
    /// "PDF", "Word", "Markdown".
    pub label: &'static str,
    /// The download URL.
    pub url: String,
}

/// A worksheet's downloads in every format, from the page at `page` (`<page>/download`).
pub fn format_links(page: &str) -> Vec<FormatLink> {
    Format::ALL
        .into_iter()
        .map(|format| FormatLink {
            label: format.label(),
            url: format!("{page}/download?format={}", format.extension()),
        })
        .collect()
}

/// The blank copies of a worksheet, one link per format.
pub fn blank_links(course: &str, worksheet: &Worksheet) -> Vec<FormatLink> {
    format_links(&worksheet_url(course, &worksheet.slug))
}

/// What `lesson` links for learners to take away, in the order it mentions them. `fill_in`:
/// the reader is a learner of the course, so worksheets link to their own copy to fill in;
/// otherwise (authors previewing) to the worksheet's page.
pub fn lesson_downloads(course: &Course, lesson: &Lesson, fill_in: bool) -> Vec<DownloadItem> {
    lesson
        .downloads
        .iter()
        .filter_map(|download| match download {
            LessonDownload::Worksheet(slug) => {
                let worksheet = course.worksheets.get(slug)?;
                let (url, open_label) = if fill_in {
                    (own_worksheet_url(&course.slug, slug), "Fill in online")
                } else {
                    (worksheet_url(&course.slug, slug), "Open online")
                };
                Some(DownloadItem {
                    title: worksheet.title.clone(),
                    details: None,
                    url,
                    open_label,
                    blank: blank_links(&course.slug, worksheet),
                })
            }
            LessonDownload::File(path) => {
                let file = course.files.get(path)?;
                Some(DownloadItem {
                    title: title_of_file(path),
                    details: Some(format!("{}, {}", kind_of_file(path), size_in_words(file.size))),
                    url: file_url(&course.slug, path),
                    open_label: "Download",
                    blank: Vec::new(),
                })
            }
        })
        .collect()
}

/// `files/boundary-plan_template.pdf` as "Boundary plan template".
fn title_of_file(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    match views::name_in_words(stem) {
        words if words.is_empty() => name.to_owned(),
        words => words,
    }
}

/// The kind of file, as people name it: "PDF", "Word", "Text", "Image (SVG)".
fn kind_of_file(path: &str) -> String {
    let extension = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if let Some(format) = Format::from_extension(&extension) {
        return format.label().to_owned();
    }
    match extension.as_str() {
        "txt" => "Text".to_owned(),
        "csv" => "Spreadsheet (CSV)".to_owned(),
        "ics" => "Calendar".to_owned(),
        "mp3" => "Audio (MP3)".to_owned(),
        "mp4" => "Video (MP4)".to_owned(),
        "svg" | "png" | "jpg" | "jpeg" | "gif" | "webp" => {
            format!("Image ({})", extension.to_ascii_uppercase())
        }
        "" => "File".to_owned(),
        other => other.to_ascii_uppercase(),
    }
}

/// "48 KB", "1.2 MB": sizes rounded up, so nothing reads as "0 KB".
fn size_in_words(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    if bytes < MB {
        format!("{} KB", bytes.div_ceil(KB).max(1))
    } else {
        let tenths = (bytes * 10).div_ceil(MB);
        format!("{}.{} MB", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_of(file_name: &str) -> String {
        disposition(file_name, false).to_string()
    }

    #[test]
    fn the_disposition_names_the_file_in_ascii_and_in_utf8() {
        assert_eq!(
            header_of("Boundary plan.pdf"),
            "attachment; filename=\"Boundary plan.pdf\"; filename*=UTF-8''Boundary%20plan.pdf"
        );
        assert_eq!(
            header_of("Vertrag für uns – 💛.md"),
            "attachment; filename=\"Vertrag f_r uns _ _.md\"; \
             filename*=UTF-8''Vertrag%20f%C3%BCr%20uns%20%E2%80%93%20%F0%9F%92%9B.md"
        );
        assert_eq!(
            header_of("a\"b\\c.txt"),
            "attachment; filename=\"a_b_c.txt\"; filename*=UTF-8''a%22b%5Cc.txt"
        );
        assert!(disposition("x.svg", true).to_string().starts_with("inline; "));
    }

    #[test]
    fn titles_become_file_names_without_separators_or_leading_dots() {
        assert_eq!(safe_file_name("Our plan: week 1/2"), "Our plan- week 1-2");
        assert_eq!(safe_file_name("..\\..\\etc"), "-..-etc");
        assert_eq!(safe_file_name(" \u{7} "), "-");
        assert_eq!(safe_file_name("..."), "worksheet");
        assert_eq!(safe_file_name("Søren's contract"), "Søren's contract");
    }

    #[test]
    fn only_the_three_formats_are_accepted() {
        let format =
            |value: Option<&str>| FormatQuery { format: value.map(str::to_owned) }.format();
        assert_eq!(format(Some("pdf")).ok(), Some(Format::Pdf));
        assert_eq!(format(Some("docx")).ok(), Some(Format::Docx));
        assert_eq!(format(Some("md")).ok(), Some(Format::Markdown));
        for bad in [None, Some("PDF"), Some("exe"), Some("../pdf"), Some("")] {
            match format(bad) {
                Err(AppError::InvalidField { field, .. }) => assert_eq!(field, "format"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn filled_documents_are_never_stored() {
        let download = Download::document("Plan", Format::Docx, vec![1], Caching::NoStore);
        let response = download.respond();
        let value = |name| response.headers().get(name).unwrap().to_str().unwrap();
        assert_eq!(value(header::CACHE_CONTROL), "no-store");
        assert_eq!(value(header::CONTENT_TYPE), Format::Docx.content_type());
        let disposition = value(header::CONTENT_DISPOSITION);
        assert!(disposition.starts_with("attachment; filename=\"Plan.docx\""), "{disposition}");
    }

    #[test]
    fn a_learner_fills_in_a_linked_worksheet_and_an_author_previews_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        let catalog = crate::content::compile(&root).unwrap().catalog.unwrap();
        let course = catalog.course("rebuilding-trust").unwrap();
        let lesson = catalog.lesson("rebuilding-trust", "your-boundary-plan").unwrap().lesson;
        let learner = lesson_downloads(course, lesson, true);
        assert_eq!(learner[0].url, "/worksheets/rebuilding-trust.boundary-plan");
        assert_eq!(learner[0].open_label, "Fill in online");
        assert_eq!(learner[0].blank.len(), 3);
        let preview = lesson_downloads(course, lesson, false);
        assert_eq!(preview[0].url, "/courses/rebuilding-trust/worksheets/boundary-plan");
        assert_eq!(preview[0].open_label, "Open online");
    }

    #[test]
    fn files_are_described_by_name_kind_and_size() {
        assert_eq!(title_of_file("forms/boundary-plan_template.pdf"), "Boundary plan template");
        assert_eq!(title_of_file("übung.txt"), "Übung");
        assert_eq!(kind_of_file("a.PDF"), "PDF");
        assert_eq!(kind_of_file("a.docx"), "Word");
        assert_eq!(kind_of_file("a.txt"), "Text");
        assert_eq!(kind_of_file("images/a.svg"), "Image (SVG)");
        assert_eq!(kind_of_file("README"), "File");
        assert_eq!(kind_of_file("a.odt"), "ODT");
        assert_eq!(size_in_words(0), "1 KB");
        assert_eq!(size_in_words(48 * 1024), "48 KB");
        assert_eq!(size_in_words(48 * 1024 + 1), "49 KB");
        assert_eq!(size_in_words(1_258_291), "1.2 MB");
    }
}
