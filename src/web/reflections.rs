//! Reflections over HTML forms that work without JavaScript: the answer form under each
//! prompt of a lesson (with "share with my partner when they have answered too" for linked
//! learners), and the "Reflections" page with every answer by course and lesson, the revealed
//! ones beside the partner's. The rules live in [`crate::domain::reflections`], the work in
//! [`crate::reflections`]; answers never reach a log.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::content::{Catalog, Lesson};
use crate::domain::reflections::{ReflectionKey, Reveal};
use crate::error::AppError;
use crate::reflections::{self, Actor, Entry, Saved};
use crate::web::courses;
use crate::web::learner;
use crate::web::pages::see_other;
use crate::web::session::{CsrfForm, CurrentUser, page_context};
use crate::web::state::AppState;
use crate::web::views::{self, lesson_url};

/// The signed-in learner acting on reflections now.
pub(crate) fn actor(state: &AppState, user: &CurrentUser) -> Result<Actor, AppError> {
    Ok(Actor {
        catalog: state.catalog()?,
        keyring: state.keyring.clone(),
        user: user.id,
        now: state.clock.now(),
    })
}

/// The key named by a path; anything that could not name a prompt is "not found".
pub(crate) fn key(course: &str, lesson: &str, id: &str) -> Result<ReflectionKey, AppError> {
    ReflectionKey::parse(course, lesson, id).ok_or(AppError::NotFound)
}

/// Saves a learner's answer in one unit of work, after checking they may work in the lesson
/// now (refused as reading it would be: 403 not enrolled or locked, 404 no such lesson).
pub(crate) async fn save(
    state: &AppState,
    user: &CurrentUser,
    key: ReflectionKey,
    answer: String,
    share: bool,
) -> Result<Saved, AppError> {
    let actor = actor(state, user)?;
    let (hop_state, user) = (state.clone(), user.clone());
    state
        .db
        .run(move |conn| {
            let catalog = Arc::clone(&actor.catalog);
            let course = catalog.course(&key.course).ok_or(AppError::NotFound)?;
            learner::check_open_on(conn, &hop_state, &catalog, &user, course, &key.lesson)?;
            Ok(reflections::save(conn, &actor, &key, &answer, share)?)
        })
        .await
}

/// The anchor of a prompt on its lesson page.
fn anchor(id: &str) -> String {
    format!("reflection-{id}")
}

/// The id (and error-summary target) of a prompt's answer box.
fn input_id(id: &str) -> String {
    format!("reflection-{id}-answer")
}

/// Where a saved answer sends the learner back to: its prompt, saying it is saved.
fn saved_url(key: &ReflectionKey) -> String {
    let id = &key.reflection;
    format!("{}?saved={id}#{}", lesson_url(&key.course, &key.lesson), anchor(id))
}

/// What a re-shown lesson page keeps of a refused answer: the text as typed and why.
#[derive(Debug, Clone)]
pub struct Typed {
    pub reflection: String,
    pub answer: String,
    pub share: bool,
    pub message: String,
}

/// The partner's revealed answer, for the page.
#[derive(Debug, Serialize)]
struct PartnerView {
    name: String,
    answer: String,
}

fn partner_view(entry: &Entry) -> Option<PartnerView> {
    let theirs = entry.partner.as_ref()?;
    Some(PartnerView { name: theirs.name.clone(), answer: theirs.answer.clone() })
}

/// A prompt with its form, as the lesson page shows it.
#[derive(Debug, Serialize)]
pub struct PromptView {
    anchor: String,
    input: String,
    label: String,
    help: String,
    action: String,
    /// What the answer box holds: the saved answer, or what was just typed.
    answer: String,
    share: bool,
    /// A partner link exists, so the share choice is offered.
    linked: bool,
    /// Where the answer stands, in words.
    status: &'static str,
    partner: Option<PartnerView>,
    /// Just saved ("Saved.").
    saved: bool,
    /// Read by an author or admin previewing: the prompt without a form.
    preview: bool,
}

/// Where an answer stands, warmly, in words the page shows beside it.
fn status_words(reveal: Reveal, answered: bool) -> &'static str {
    match reveal {
        Reveal::Journal => "Only you can see what you write here: it is your private journal.",
        Reveal::Private if answered => "Only you can see this answer.",
        Reveal::Private => "Only you will see what you write here, unless you choose to share it.",
        Reveal::Waiting => {
            "You chose to share this. Your answers appear side by side once your partner has \
             answered and chosen to share too."
        }
        Reveal::Revealed => "You both chose to share, so you can read each other's answers.",
    }
}

fn prompt_view(lesson_path: &str, entry: &Entry, saved: Option<&str>) -> PromptView {
    let id = &entry.key.reflection;
    PromptView {
        anchor: anchor(id),
        input: input_id(id),
        label: entry.label.clone(),
        help: entry.help.clone(),
        action: format!("{lesson_path}/reflections/{id}"),
        answer: entry.mine.as_ref().map(|m| m.answer.clone()).unwrap_or_default(),
        share: entry.mine.as_ref().is_some_and(|m| m.share),
        linked: entry.linked(),
        status: status_words(entry.reveal, entry.mine.is_some()),
        partner: partner_view(entry),
        saved: saved == Some(id.as_str()),
        preview: false,
    }
}

/// An author's or admin's preview of a prompt: the question, no form, no answers.
fn preview_view(lesson: &Lesson, id: &str) -> Option<PromptView> {
    let prompt = lesson.reflections.iter().find(|r| r.id == id)?;
    Some(PromptView {
        anchor: anchor(id),
        input: input_id(id),
        label: prompt.label.clone(),
        help: prompt.help.clone(),
        action: String::new(),
        answer: String::new(),
        share: false,
        linked: false,
        status: "Learners answer this privately here.",
        partner: None,
        saved: false,
        preview: true,
    })
}

/// One piece of the lesson page: author HTML, then the prompt placed after it (if any).
#[derive(Debug, Serialize)]
pub struct LessonPart<'a> {
    html: &'a str,
    reflection: Option<PromptView>,
}

/// What the lesson page shows of its prompts: each learner entry, or previews for authors.
pub enum Prompts<'a> {
    Learner { entries: &'a [Entry], saved: Option<&'a str>, typed: Option<&'a Typed> },
    Preview,
}

/// The lesson's HTML cut where its prompts stand, each prompt with its form.
pub fn lesson_parts<'a>(
    course: &str,
    lesson: &'a Lesson,
    prompts: &Prompts<'_>,
) -> Vec<LessonPart<'a>> {
    let path = lesson_url(course, &lesson.slug);
    let mut parts = Vec::new();
    let mut from = 0;
    for placed in &lesson.reflections {
        let html = lesson.html.get(from..placed.at).unwrap_or_default();
        from = placed.at;
        let reflection = match prompts {
            Prompts::Preview => preview_view(lesson, &placed.id),
            Prompts::Learner { entries, saved, typed } => {
                entries.iter().find(|e| e.key.reflection == placed.id).map(|entry| {
                    let mut view = prompt_view(&path, entry, *saved);
                    if let Some(typed) = typed.filter(|t| t.reflection == placed.id) {
                        view.answer.clone_from(&typed.answer);
                        view.share = typed.share;
                    }
                    view
                })
            }
        };
        parts.push(LessonPart { html, reflection });
    }
    parts.push(LessonPart { html: lesson.html.get(from..).unwrap_or_default(), reflection: None });
    parts
}

/// The answer form's fields.
#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    answer: String,
    /// The box "share with my partner when they have answered too", ticked.
    #[serde(default)]
    share: Option<String>,
}

/// `POST /courses/{course}/lessons/{lesson}/reflections/{id}`: saves the answer and goes back
/// to the prompt; a refused answer re-shows the lesson (422) with the text as typed.
pub async fn save_answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String, String)>,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let (course, lesson, id) = path.into_inner();
    let key = key(&course, &lesson, &id)?;
    let share = form.share.is_some();
    match save(&state, &user, key.clone(), form.answer.clone(), share).await {
        Ok(_) => Ok(see_other(&saved_url(&key))),
        Err(AppError::InvalidField { message, .. }) => {
            let typed = Typed { reflection: id, answer: form.answer, share, message };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            courses::lesson_page(&req, &state, &course, &lesson, status, None, Some(typed)).await
        }
        Err(other) => Err(other),
    }
}

/// The field problem a re-shown lesson page lists in its error summary.
pub fn problem(typed: &Typed) -> crate::error::FieldProblem {
    crate::error::FieldProblem {
        field: input_id(&typed.reflection),
        message: typed.message.clone(),
    }
}

/// One answer on the "Reflections" page.
#[derive(Debug, Serialize)]
struct AnswerView {
    label: String,
    answer: String,
    status: &'static str,
    partner: Option<PartnerView>,
    url: String,
}

/// A lesson's answers on the "Reflections" page.
#[derive(Debug, Serialize)]
struct LessonGroup {
    course: String,
    title: String,
    url: String,
    answers: Vec<AnswerView>,
}

/// The course and lesson titles an answer is listed under (slugs in words once gone).
fn titles(catalog: &Catalog, key: &ReflectionKey) -> (String, String) {
    let course = catalog.course(&key.course);
    let course_title =
        course.map_or_else(|| views::name_in_words(&key.course), |c| c.title.clone());
    let lesson_title = catalog
        .lesson(&key.course, &key.lesson)
        .map_or_else(|| views::name_in_words(&key.lesson), |v| v.lesson.title.clone());
    (course_title, lesson_title)
}

/// Every answer grouped by course and lesson, in the order listed (by course, then lesson).
fn grouped(catalog: &Catalog, entries: &[Entry]) -> Vec<LessonGroup> {
    let mut groups: Vec<LessonGroup> = Vec::new();
    for entry in entries {
        let url = lesson_url(&entry.key.course, &entry.key.lesson);
        let answer = AnswerView {
            label: entry.label.clone(),
            answer: entry.mine.as_ref().map(|m| m.answer.clone()).unwrap_or_default(),
            status: status_words(entry.reveal, true),
            partner: partner_view(entry),
            url: format!("{url}#{}", anchor(&entry.key.reflection)),
        };
        match groups.last_mut() {
            Some(group) if group.url == url => group.answers.push(answer),
            _ => {
                let (course, title) = titles(catalog, &entry.key);
                groups.push(LessonGroup { course, title, url, answers: vec![answer] });
            }
        }
    }
    groups
}

/// `GET /reflections`: the learner's answers by course and lesson, revealed ones beside the
/// partner's.
pub async fn my_reflections(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let actor = actor(&state, &user)?;
    let catalog = Arc::clone(&actor.catalog);
    let entries =
        state.db.run(move |conn| reflections::list(conn, &actor)).await.map_err(AppError::from)?;
    let mut context = page_context(&req);
    context.insert("groups", &grouped(&catalog, &entries));
    state.page("pages/reflections.html", &context)
}
