//! A learner's own worksheets over HTML forms that work without JavaScript: "My worksheets",
//! the form generated from the declared fields (save a draft, mark as finished), the history
//! with "Restore this version", and the filled downloads. Each page is one call into
//! [`crate::worksheets`] in one blocking-pool hop; the answers never reach a log.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::content::{Catalog, Field, FieldKind, Worksheet, WorksheetBlock};
use crate::domain::worksheet::{Answers, Status, WorksheetKey};
use crate::error::{AppError, FieldProblem, Problem};
use crate::web::api::worksheets::{actor, key, run};
use crate::web::downloads::{self, Caching, Download, FormatQuery};
use crate::web::forms::{FormFeedback, SavedQuery};
use crate::web::pages::see_other;
use crate::web::session::{CsrfForm, CurrentUser, page_context};
use crate::web::state::AppState;
use crate::web::views;
use crate::web::{sharing, signing};
use crate::worksheets::{self, HistoryEntry, Opened, WorksheetError};

/// The URL of a worksheet's page: the learner's own copy, or (ending in `.partner`) their
/// partner's copy shared with them.
pub(crate) fn own_url(key: &WorksheetKey) -> String {
    format!("/worksheets/{key}")
}

/// The form name (and input id) of a field's answer, as the API names it in errors.
fn input_name(field: &str) -> String {
    format!("answers.{field}")
}

/// One option of a `choice`, as a radio button.
#[derive(Debug, Serialize)]
pub struct OptionView<'a> {
    pub value: &'a str,
    pub id: String,
    pub checked: bool,
}

/// A field as a form input, with what is saved (or was just typed) in it.
#[derive(Debug, Serialize)]
pub struct InputView<'a> {
    /// `answers.<field>`: the input's name and id, and what error messages link to.
    pub name: String,
    pub label: &'a str,
    pub help: &'a str,
    pub required: bool,
    /// `short`, `long`, `list`, `checkbox`, `date` or `choice`.
    pub kind: &'static str,
    /// The text in a text input or textarea (a list one item per line).
    pub value: String,
    /// A ticked checkbox.
    pub checked: bool,
    pub options: Vec<OptionView<'a>>,
    /// After a conflict: the newest saved answer, when it differs from what was typed, shown
    /// beside the learner's own unsaved text.
    pub saved_elsewhere: Option<String>,
}

/// A piece of the form: the author's prose, or an input.
#[derive(Debug, Serialize)]
pub struct FormBlock<'a> {
    pub html: Option<&'a str>,
    pub input: Option<InputView<'a>>,
}

fn kind_name(kind: &FieldKind) -> &'static str {
    match kind {
        FieldKind::Short => "short",
        FieldKind::Long => "long",
        FieldKind::List => "list",
        FieldKind::Checkbox => "checkbox",
        FieldKind::Date => "date",
        FieldKind::Choice { .. } => "choice",
    }
}

/// An answer as the text an input shows: a list one item per line.
fn as_input_text(answer: Option<&Value>) -> String {
    match answer {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n")
        }
        Some(Value::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

fn input<'a>(field: &'a Field, answers: &Answers) -> InputView<'a> {
    let answer = answers.get(&field.id);
    let value = as_input_text(answer);
    let name = input_name(&field.id);
    let options = match &field.kind {
        FieldKind::Choice { options } => options
            .iter()
            .enumerate()
            .map(|(index, option)| OptionView {
                value: option,
                id: format!("{name}-{index}"),
                checked: value == *option,
            })
            .collect(),
        _ => Vec::new(),
    };
    InputView {
        name,
        label: &field.label,
        help: &field.help,
        required: field.required,
        kind: kind_name(&field.kind),
        checked: answer.and_then(Value::as_bool).unwrap_or(false),
        value,
        options,
        saved_elsewhere: None,
    }
}

/// What a saved answer reads as beside a typed one ("Yes" for a ticked box, "(empty)").
fn as_shown(answer: Option<&Value>) -> String {
    match answer {
        Some(Value::Bool(true)) => "Yes".to_owned(),
        Some(Value::Bool(false)) | Some(Value::Null) | None => "(empty)".to_owned(),
        other => match as_input_text(other) {
            text if text.trim().is_empty() => "(empty)".to_owned(),
            text => text,
        },
    }
}

/// Marks every input whose typed answer differs from the newest saved one, so both show.
fn compare_with(blocks: &mut [FormBlock<'_>], typed: &Answers, saved: &Answers) {
    for input in blocks.iter_mut().filter_map(|b| b.input.as_mut()) {
        let id = input.name.trim_start_matches("answers.");
        let (mine, theirs) = (as_shown(typed.get(id)), as_shown(saved.get(id)));
        if mine != theirs {
            input.saved_elsewhere = Some(theirs);
        }
    }
}

/// The worksheet body as a form, each input where the author placed its field.
pub fn form_blocks<'a>(worksheet: &'a Worksheet, answers: &Answers) -> Vec<FormBlock<'a>> {
    worksheet
        .blocks
        .iter()
        .filter_map(|block| match block {
            WorksheetBlock::Html(html) => Some(FormBlock { html: Some(html), input: None }),
            WorksheetBlock::Field(id) => {
                let field = worksheet.fields.iter().find(|f| &f.id == id)?;
                Some(FormBlock { html: None, input: Some(input(field, answers)) })
            }
        })
        .collect()
}

/// The answers a submitted form holds, for every current field: what was typed, a list split
/// into its non-empty lines, a ticked box as `true`, and `null` for anything left empty (so a
/// cleared answer is cleared).
pub fn answers_from_form(worksheet: &Worksheet, form: &HashMap<String, String>) -> Answers {
    worksheet
        .fields
        .iter()
        .map(|field| {
            let typed = form.get(&input_name(&field.id)).map(String::as_str).unwrap_or("");
            let value = match &field.kind {
                FieldKind::Checkbox => {
                    if typed.is_empty() {
                        Value::Null
                    } else {
                        Value::Bool(true)
                    }
                }
                FieldKind::List => {
                    let items: Vec<Value> = typed
                        .lines()
                        .map(str::trim)
                        .filter(|line| !line.is_empty())
                        .map(|line| Value::String(line.to_owned()))
                        .collect();
                    if items.is_empty() { Value::Null } else { Value::Array(items) }
                }
                _ if typed.trim().is_empty() => Value::Null,
                _ => Value::String(typed.to_owned()),
            };
            (field.id.clone(), value)
        })
        .collect()
}

/// An answer to a removed question, as the page lists it.
#[derive(Debug, Serialize)]
struct OrphanView {
    field: String,
    answer: String,
}

fn orphans(orphaned: &Answers) -> Vec<OrphanView> {
    orphaned
        .iter()
        .map(|(field, answer)| OrphanView {
            // Its label went with the question; the id in words is what is left.
            field: views::name_in_words(field),
            answer: as_input_text(Some(answer)),
        })
        .filter(|orphan| !orphan.answer.is_empty())
        .collect()
}

/// A worksheet of the catalog, for the page around its form.
fn catalog_worksheet<'a>(
    catalog: &'a crate::content::Catalog,
    key: &WorksheetKey,
) -> Result<&'a Worksheet, AppError> {
    catalog.worksheet(&key.course, &key.worksheet).ok_or(AppError::NotFound)
}

/// `GET /worksheets`: every worksheet of the learner's courses, with where each stands.
pub async fn my_worksheets(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let actor = actor(&state, &user)?;
    let summaries = run(&state, move |conn| worksheets::list(conn, &actor)).await?;
    let items: Vec<_> = summaries
        .iter()
        .map(|summary| {
            serde_json::json!({
                "url": own_url(&summary.key),
                "title": summary.title,
                "shared": summary.shared,
                "status": status_words(summary.status, summary.revision),
            })
        })
        .collect();
    let mut context = page_context(&req);
    context.insert("worksheets", &items);
    state.page("pages/my_worksheets.html", &context)
}

/// "Not started", "Draft", "Finished": where a worksheet stands, in words.
fn status_words(status: Status, revision: u32) -> &'static str {
    match (status, revision) {
        (Status::Finished, _) => "Finished",
        (Status::Draft, 0) => "Not started",
        (Status::Draft, _) => "Draft",
    }
}

/// How the form page is shown: as saved, after a save, or re-shown with what was typed.
struct FormPage<'a> {
    /// The catalog `opened` was read against: the page shows the same questions the service
    /// sorted the answers by, even when the content reloads during the request.
    catalog: &'a Catalog,
    opened: &'a Opened,
    /// What the inputs show: the saved answers, or what was just typed.
    answers: &'a Answers,
    feedback: FormFeedback,
    notice: Option<String>,
    status: StatusCode,
    /// After a conflict: show the newest saved answers beside the typed ones.
    compare: bool,
}

fn form_page(
    req: &HttpRequest,
    state: &AppState,
    user: &CurrentUser,
    page: FormPage<'_>,
) -> Result<HttpResponse, AppError> {
    let catalog = page.catalog;
    let worksheet = catalog_worksheet(catalog, &page.opened.key)?;
    let course = catalog.course(&page.opened.key.course).ok_or(AppError::NotFound)?;
    let url = own_url(&page.opened.key);
    let mut context = page_context(req);
    page.feedback.insert_into(&mut context);
    context.insert("course", &views::CourseSummary::of(course, views::Audience::Learner));
    context.insert("worksheet", &views::WorksheetSummary::of(&course.slug, worksheet));
    context.insert("url", &url);
    context.insert("revision", &page.opened.revision);
    context.insert("finished", &(page.opened.status == Status::Finished));
    let mut blocks = form_blocks(worksheet, page.answers);
    if page.compare {
        compare_with(&mut blocks, page.answers, &page.opened.answers);
    }
    context.insert("blocks", &blocks);
    context.insert("orphans", &orphans(&page.opened.orphaned));
    context.insert("notice", &page.notice);
    context.insert("time_zone", user.time_zone.name());
    let saved_at =
        page.opened.saved_at.map(|at| views::when(at, state.clock.now(), user.time_zone));
    context.insert("saved_at", &saved_at);
    context.insert("filled", &downloads::format_links(&url));
    context.insert("agreement", &signing::agreement_view(page.opened, worksheet, user, &url));
    context.insert("sharing", &sharing::sharing_view(page.opened, worksheet));
    state.page_with_status("pages/worksheet_form.html", page.status, &context)
}

/// `GET /worksheets/{id}`: the form with the newest answers.
pub async fn show_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(&state, &user)?, key(&path)?);
    let catalog = Arc::clone(&actor.catalog);
    let opened = run(&state, move |conn| worksheets::open(conn, &actor, &key)).await?;
    if opened.read_only {
        return sharing::read_only_page(&req, &state, &catalog, &opened);
    }
    let notice = match query.saved.as_deref() {
        Some("finished") => Some("Saved and marked as finished. You can still make changes."),
        Some("restored") => Some("Saved: the earlier version is back, as the newest."),
        Some(_) => Some("Saved."),
        None => None,
    };
    let page = FormPage {
        catalog: &catalog,
        opened: &opened,
        answers: &opened.answers,
        feedback: FormFeedback::fresh(Value::Null),
        notice: notice.map(str::to_owned),
        status: StatusCode::OK,
        compare: false,
    };
    form_page(&req, &state, &user, page)
}

/// What the form's buttons ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    Save,
    Finish,
}

/// What a form post did, for the page that follows.
enum Posted {
    Saved(Intent),
    /// Not saved (invalid answers), or saved but not finished (required ones missing), or
    /// based on an older revision: the form comes back with the typed text.
    Again {
        opened: Box<Opened>,
        problems: Vec<FieldProblem>,
        status: StatusCode,
        notice: &'static str,
    },
}

/// Saves the typed answers, then for "Mark as finished" finishes at the new revision; one unit
/// of work either way. Refusals come back with the newest revision so the page can be shown.
fn save_and_finish(
    conn: &mut crate::db::DbConnection,
    actor: &worksheets::Actor,
    key: &WorksheetKey,
    base: u32,
    answers: &Answers,
    intent: Intent,
) -> Result<Posted, WorksheetError> {
    let saved = match worksheets::save(conn, actor, key, base, answers) {
        Ok(saved) => saved,
        Err(WorksheetError::Invalid(problems)) => {
            let opened = Box::new(worksheets::open(conn, actor, key)?);
            let notice = "Some answers could not be saved. Nothing was changed.";
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(Posted::Again { opened, problems: named(problems), status, notice });
        }
        Err(WorksheetError::Conflict(current)) => {
            let notice = "This worksheet was saved from somewhere else since you opened it. \
                          Your text below is not saved yet. Where the saved version differs, \
                          it is shown under your answer: keep what you want and save again.";
            let status = StatusCode::CONFLICT;
            return Ok(Posted::Again { opened: current, problems: Vec::new(), status, notice });
        }
        Err(other) => return Err(other),
    };
    if intent == Intent::Save {
        return Ok(Posted::Saved(intent));
    }
    match worksheets::finish(conn, actor, key, saved.revision) {
        Ok(_) => Ok(Posted::Saved(intent)),
        Err(WorksheetError::Unfinished(problems)) => {
            let opened = Box::new(worksheets::open(conn, actor, key)?);
            let notice = "Your answers are saved as a draft. A few questions still need an \
                          answer before it can be marked as finished.";
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(Posted::Again { opened, problems: named(problems), status, notice })
        }
        Err(other) => Err(other),
    }
}

fn named(problems: Vec<crate::domain::worksheet::AnswerProblem>) -> Vec<FieldProblem> {
    problems
        .into_iter()
        .map(|p| FieldProblem { field: input_name(&p.field), message: p.message.to_owned() })
        .collect()
}

/// `POST /worksheets/{id}`: "Save draft" (any answers) or "Mark as finished" (required ones
/// checked); then back to the form with a notice, or the form again with what was typed.
pub async fn save_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(&state, &user)?, key(&path)?);
    let catalog = Arc::clone(&actor.catalog);
    let worksheet = catalog_worksheet(&catalog, &key)?;
    let typed = answers_from_form(worksheet, &form);
    let base = revision_number(form.get("revision").map_or("", String::as_str), "revision")?;
    let intent = if form.get("action").is_some_and(|a| a == "finish") {
        Intent::Finish
    } else {
        Intent::Save
    };
    let (work_key, answers) = (key.clone(), typed.clone());
    let posted =
        run(&state, move |conn| save_and_finish(conn, &actor, &work_key, base, &answers, intent))
            .await?;
    match posted {
        Posted::Saved(Intent::Save) => Ok(see_other(&format!("{}?saved=draft", own_url(&key)))),
        Posted::Saved(Intent::Finish) => {
            Ok(see_other(&format!("{}?saved=finished", own_url(&key))))
        }
        Posted::Again { opened, problems, status, notice } => {
            let page = FormPage {
                catalog: &catalog,
                opened: &opened,
                answers: &typed,
                feedback: FormFeedback::with_errors(Value::Null, problems),
                notice: Some(notice.to_owned()),
                compare: status == StatusCode::CONFLICT,
                status,
            };
            form_page(&req, &state, &user, page)
        }
    }
}

/// A revision in the history page.
#[derive(Debug, Serialize)]
struct RevisionView {
    number: u32,
    when: String,
    by: &'static str,
    changed: Vec<String>,
    newest: bool,
}

fn revision_view(
    entry: &HistoryEntry,
    worksheet: &Worksheet,
    user: &CurrentUser,
    now: chrono::DateTime<chrono::Utc>,
    newest: bool,
) -> RevisionView {
    let label = |id: &String| {
        worksheet.fields.iter().find(|f| &f.id == id).map_or_else(
            || format!("{id} (a question no longer in this worksheet)"),
            |f| f.label.clone(),
        )
    };
    RevisionView {
        number: entry.number,
        when: views::when(entry.saved_at, now, user.time_zone),
        by: if entry.author == Some(user.id) { "you" } else { "your partner" },
        changed: entry.changed.iter().map(label).collect(),
        newest,
    }
}

/// `GET /worksheets/{id}/history`: every revision, newest first, with what changed.
pub async fn show_history(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(&state, &user)?, key(&path)?);
    let catalog = Arc::clone(&actor.catalog);
    let worksheet = catalog_worksheet(&catalog, &key)?;
    let work_key = key.clone();
    let entries = run(&state, move |conn| worksheets::history(conn, &actor, &work_key)).await?;
    let now = state.clock.now();
    let revisions: Vec<RevisionView> = entries
        .iter()
        .enumerate()
        .map(|(index, entry)| revision_view(entry, worksheet, &user, now, index == 0))
        .collect();
    let mut context = page_context(&req);
    context.insert("worksheet", &views::WorksheetSummary::of(&key.course, worksheet));
    context.insert("url", &own_url(&key));
    context.insert("revisions", &revisions);
    context.insert("newest", &entries.first().map_or(0, |e| e.number));
    state.page("pages/worksheet_history.html", &context)
}

/// The restore form: the revision to bring back and the newest one the learner saw (text:
/// a flattened form reads every value as a string).
#[derive(Debug, Deserialize)]
pub struct RestoreForm {
    revision: String,
    restore: String,
}

/// A revision number from a form, or 422 naming the field.
pub(crate) fn revision_number(text: &str, field: &'static str) -> Result<u32, AppError> {
    text.trim().parse().map_err(|_| AppError::InvalidField {
        field,
        message: "reload the page and try again".into(),
    })
}

/// `POST /worksheets/{id}/restore`: the earlier revision becomes the newest; back to the form.
pub async fn restore(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<RestoreForm>,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(&state, &user)?, key(&path)?);
    let base = revision_number(&form.revision, "revision")?;
    let number = revision_number(&form.restore, "restore")?;
    let work_key = key.clone();
    run(&state, move |conn| worksheets::restore(conn, &actor, &work_key, base, number)).await?;
    Ok(see_other(&format!("{}?saved=restored", own_url(&key))))
}

/// The learner's own worksheet, filled from its newest revision, as PDF, DOCX or Markdown.
/// Only its owner can address it; it is never cached anywhere.
#[utoipa::path(get, path = "/api/v1/worksheets/{id}/download", tag = "worksheets",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "`course.worksheet`"), FormatQuery),
    responses(
        (status = 200, description = "The filled worksheet as an attachment, `Cache-Control: no-store`",
            content(
                (Vec<u8> = "application/pdf"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                (String = "text/markdown"))),
        (status = 400, description = "The query string could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such worksheet, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`format` is missing or not pdf, docx or md, or a parameter holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn download_filled(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    query: web::Query<FormatQuery>,
) -> Result<HttpResponse, AppError> {
    let newest = |conn: &mut _, actor: &_, key: &_, date| {
        worksheets::document(conn, actor, key, date).map(Some)
    };
    send_filled(&req, &state, &user, &path, &query, newest).await
}

/// Which printed version of a worksheet a filled download sends: its newest revision, or the
/// agreement in force (`None` when there is none, which is "not found").
pub(crate) type Printed = fn(
    &mut crate::db::DbConnection,
    &worksheets::Actor,
    &WorksheetKey,
    chrono::NaiveDate,
) -> Result<Option<crate::documents::Document>, WorksheetError>;

/// Sends the version `printed` picks of the learner's worksheet in `path` as an attachment in
/// the asked format, rendered on the blocking pool and never cached anywhere.
pub(crate) async fn send_filled(
    req: &HttpRequest,
    state: &AppState,
    user: &CurrentUser,
    path: &str,
    query: &FormatQuery,
    printed: Printed,
) -> Result<HttpResponse, AppError> {
    let (actor, key) = (actor(state, user)?, key(path)?);
    let format = query.format()?;
    let date = downloads::today_for(req, state);
    let document = run(state, move |conn| printed(conn, &actor, &key, date))
        .await?
        .ok_or(AppError::NotFound)?;
    let title = document.title.clone();
    let bytes = downloads::render(format, document).await?;
    Ok(Download::document(&title, format, bytes, Caching::NoStore).respond())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;

    fn boundary_plan() -> Worksheet {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        let catalog = crate::content::compile(&root).unwrap().catalog.unwrap();
        catalog.worksheet("rebuilding-trust", "boundary-plan").unwrap().clone()
    }

    #[test]
    fn a_form_is_read_into_answers_for_every_current_field() {
        let mut sheet = boundary_plan();
        sheet.fields.push(Field {
            id: "steps".into(),
            kind: FieldKind::List,
            label: "Steps".into(),
            help: String::new(),
            required: false,
        });
        let form: HashMap<String, String> = [
            ("answers.need", "Feeling safe"),
            ("answers.boundary", "  "),
            ("answers.steps", "Breathe\n\n  Walk  \n"),
            ("answers.not_a_field", "ignored"),
            ("revision", "3"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let answers = answers_from_form(&sheet, &form);
        assert_eq!(answers["need"], json!("Feeling safe"));
        assert_eq!(answers["boundary"], Value::Null, "blank text clears the answer");
        assert_eq!(answers["steps"], json!(["Breathe", "Walk"]), "a list is its non-empty lines");
        assert_eq!(answers["review_date"], Value::Null);
        assert!(!answers.contains_key("not_a_field") && !answers.contains_key("revision"));
    }

    #[test]
    fn the_form_shows_saved_answers_in_their_inputs() {
        let sheet = boundary_plan();
        let answers: Answers = [
            ("need".to_owned(), json!("Feeling safe")),
            ("review_date".to_owned(), json!("2027-01-31")),
        ]
        .into_iter()
        .collect();
        let blocks = form_blocks(&sheet, &answers);
        let inputs: Vec<&InputView<'_>> = blocks.iter().filter_map(|b| b.input.as_ref()).collect();
        assert_eq!(inputs.len(), sheet.fields.len(), "every field once");
        let need = inputs.iter().find(|i| i.name == "answers.need").unwrap();
        assert_eq!((need.kind, need.value.as_str(), need.required), ("long", "Feeling safe", true));
        let date = inputs.iter().find(|i| i.name == "answers.review_date").unwrap();
        assert_eq!((date.kind, date.value.as_str()), ("date", "2027-01-31"));
        assert!(blocks.iter().any(|b| b.html.is_some()), "the author's prose stays in place");
        assert_eq!(as_input_text(Some(&json!(["a", "b"]))), "a\nb");
    }
}
