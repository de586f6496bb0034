//! A learner's track in a course over JSON: the same [`crate::learning`] calls as the track
//! page. Not being enrolled is a 404 here: there is no track to read or set.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::content::{Course, Track};
use crate::error::{AppError, Problem};
use crate::learning::{self, LearningError};
use crate::web::courses::{audience_of, visible_course};
use crate::web::learner::{learner_at, refusal};
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// A track a course offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackOut {
    id: String,
    title: String,
    description: String,
}

impl From<&Track> for TrackOut {
    fn from(track: &Track) -> Self {
        Self {
            id: track.id.clone(),
            title: track.title.clone(),
            description: track.description.clone(),
        }
    }
}

/// The learner's track (`null` until chosen, and always in a course without tracks) and the
/// tracks the course offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackChoiceOut {
    track: Option<String>,
    tracks: Vec<TrackOut>,
}

/// `PUT` body: a track id of the course, or `null` to show every lesson again.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TrackIn {
    track: Option<String>,
}

fn choice_out(course: &Course, track: Option<String>) -> TrackChoiceOut {
    TrackChoiceOut { track, tracks: course.tracks.iter().map(TrackOut::from).collect() }
}

/// Refusals as the track resource sees them: no enrolment means no track (404).
fn refused(error: LearningError, user: &CurrentUser, course: &Course) -> AppError {
    match error {
        LearningError::NotEnrolled => AppError::NotFound,
        other => refusal(other, user, course),
    }
}

/// The learner's track in a course and the tracks offered.
#[utoipa::path(get, path = "/api/v1/courses/{course}/track", tag = "courses",
    security(("bearer" = [])), params(("course" = String, Path, description = "Course slug")),
    responses((status = 200, description = "The learner's track and the course's tracks", body = TrackChoiceOut),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course, or not enrolled in it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path parameter holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let course = visible_course(&catalog, &path, audience_of(&req))?;
    let track = learning::current_track(learner_at(&state, &catalog, &user, &course.slug))
        .await
        .map_err(|e| refused(e, &user, course))?;
    Ok(HttpResponse::Ok().json(choice_out(course, track)))
}

/// Chooses, changes or (with `null`) clears the learner's track; progress is kept.
#[utoipa::path(put, path = "/api/v1/courses/{course}/track", tag = "courses",
    security(("bearer" = [])), request_body = TrackIn,
    params(("course" = String, Path, description = "Course slug")),
    responses((status = 200, description = "Saved (or unchanged): the track now in force", body = TrackChoiceOut),
        (status = 400, description = "The body is not JSON, is malformed, or was sent without Content-Type: application/json", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Signed in with the cookie but without `X-CSRF-Token`, or access to the course ended", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such course, or not enrolled in it", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`track` is not a track of this course or not a string, or a path parameter holds a control character", body = Problem, content_type = "application/problem+json")))]
pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
    body: web::Json<TrackIn>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let course = visible_course(&catalog, &path, audience_of(&req))?;
    let at = learner_at(&state, &catalog, &user, &course.slug);
    let track = learning::choose_track(at, body.into_inner().track)
        .await
        .map_err(|e| refused(e, &user, course))?;
    Ok(HttpResponse::Ok().json(choice_out(course, track)))
}
