//! `/courses/{course}/track`: where a learner chooses (or changes) their track in a course
//! with one per partner. A plain form of radio buttons that works without JavaScript; the
//! choice and its rules live in [`crate::learning`] and [`crate::domain::tracks`].

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::content::{Course, Track};
use crate::error::{AppError, FieldProblem};
use crate::learning;
use crate::web::courses::{audience_of, visible_course};
use crate::web::forms::FormFeedback;
use crate::web::learner::{learner_at, refusal};
use crate::web::pages::see_other;
use crate::web::session::{CsrfForm, CurrentUser, page_context};
use crate::web::state::AppState;
use crate::web::views::{CourseSummary, course_url, track_url};

/// The track form: no choice at all is re-shown with a message rather than refused.
#[derive(Debug, Deserialize)]
pub struct TrackForm {
    #[serde(default)]
    track: Option<String>,
}

/// A track as the page offers it.
#[derive(Debug, Serialize)]
pub struct TrackOption<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
}

impl<'a> From<&'a Track> for TrackOption<'a> {
    fn from(track: &'a Track) -> Self {
        Self { id: &track.id, title: &track.title, description: &track.description }
    }
}

/// A course the learner may see that has tracks, or 404 (a course without tracks has no
/// track page).
fn course_with_tracks<'a>(
    req: &HttpRequest,
    catalog: &'a crate::content::Catalog,
    slug: &str,
) -> Result<&'a Course, AppError> {
    let course = visible_course(catalog, slug, audience_of(req))?;
    if course.tracks.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(course)
}

/// `GET /courses/{course}/track`: the choice, with the learner's current track selected.
pub async fn show_track(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let course = course_with_tracks(&req, &catalog, &path)?;
    let current = learning::current_track(learner_at(&state, &catalog, &user, &course.slug))
        .await
        .map_err(|e| refusal(e, &user, course))?;
    let form = FormFeedback::fresh(json!({ "track": current.unwrap_or_default() }));
    track_page(&req, &state, course, &form, StatusCode::OK)
}

/// `POST /courses/{course}/track`: stores the choice and returns to the course page; no
/// choice, or one the course does not offer, re-shows the form (422) with the message.
pub async fn choose_track(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<TrackForm>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let course = course_with_tracks(&req, &catalog, &path)?;
    let Some(chosen) = form.track.filter(|t| !t.is_empty()) else {
        let message = "Choose the track that fits you best; you can change it later.";
        return reshow(&req, &state, course, "", message.to_owned());
    };
    let at = learner_at(&state, &catalog, &user, &course.slug);
    match learning::choose_track(at, Some(chosen.clone())).await {
        Ok(_) => Ok(see_other(&course_url(&course.slug))),
        Err(error) => match refusal(error, &user, course) {
            AppError::InvalidField { message, .. } => {
                reshow(&req, &state, course, &chosen, message)
            }
            other => Err(other),
        },
    }
}

fn reshow(
    req: &HttpRequest,
    state: &AppState,
    course: &Course,
    typed: &str,
    message: String,
) -> Result<HttpResponse, AppError> {
    let problem = FieldProblem { field: "track".to_owned(), message };
    let form = FormFeedback::with_errors(json!({ "track": typed }), vec![problem]);
    track_page(req, state, course, &form, StatusCode::UNPROCESSABLE_ENTITY)
}

fn track_page(
    req: &HttpRequest,
    state: &AppState,
    course: &Course,
    form: &FormFeedback,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(req);
    form.insert_into(&mut context);
    context.insert("course", &CourseSummary::of(course, audience_of(req)));
    context.insert("track_url", &track_url(&course.slug));
    let options: Vec<TrackOption<'_>> = course.tracks.iter().map(TrackOption::from).collect();
    context.insert("tracks", &options);
    state.page_with_status("pages/course_track.html", status, &context)
}
