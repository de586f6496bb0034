//! The learner's mail choices over JSON: the same fields as the Notifications page, through
//! the same [`crate::notifications`] calls.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::notifications::{LocalMinute, Preferences, SendWindow, format_local_time};
use crate::error::{AppError, Problem};
use crate::notifications::{Choices, NotificationSettings};
use crate::web::forms;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// One course's inactivity reminders.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseRemindersOut {
    /// The course slug.
    course: String,
    title: String,
    reminders: bool,
}

/// What mail the learner gets, when, and how discreetly. Security mail is not listed: it
/// always goes out.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationsOut {
    /// "New lessons are open" mail (at most one a day).
    new_lessons: bool,
    /// Mail about the partner link after an invitation was accepted.
    partner_updates: bool,
    /// The weekly digest (off unless turned on).
    digest: bool,
    /// Neutral sender and subjects, no course, lesson or worksheet titles in any mail.
    discreet: bool,
    /// When mail may start to arrive each day: an RFC 3339 `partial-time` in `time_zone`.
    #[schema(example = "09:00:00")]
    window_start: String,
    /// When mail stops arriving each day, in `time_zone` (`24:00:00` is midnight at the end
    /// of the day).
    #[schema(example = "20:00:00")]
    window_end: String,
    /// The learner's IANA time zone (changed with the profile, not here).
    #[schema(example = "Europe/London")]
    time_zone: String,
    /// Every enrolment's reminder switch, oldest first.
    courses: Vec<CourseRemindersOut>,
}

/// One course's reminder switch to set.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CourseRemindersIn {
    /// The slug of a course the learner is enrolled in.
    course: String,
    reminders: bool,
}

/// `PUT /api/v1/me/notifications` body: every choice; a GET's answer can be sent back as it is
/// (`time_zone` and course titles are ignored).
#[derive(Debug, Deserialize, ToSchema)]
pub struct NotificationsIn {
    new_lessons: bool,
    partner_updates: bool,
    digest: bool,
    discreet: bool,
    /// `HH:MM` or `HH:MM:SS`, in the learner's time zone.
    #[schema(example = "09:00")]
    window_start: String,
    /// `HH:MM` or `HH:MM:SS`, later than the start; `24:00` (or `00:00`) is the end of the day.
    #[schema(example = "20:00")]
    window_end: String,
    /// Courses to switch; courses left out keep their switch.
    #[serde(default)]
    courses: Vec<CourseRemindersIn>,
}

fn partial_time(minute: LocalMinute) -> String {
    format!("{}:00", format_local_time(minute))
}

fn to_out(
    settings: NotificationSettings,
    user: &CurrentUser,
    state: &AppState,
) -> NotificationsOut {
    let catalog = state.catalog.current();
    let p = settings.preferences;
    let courses = settings
        .courses
        .into_iter()
        .map(|c| CourseRemindersOut {
            title: catalog
                .as_deref()
                .and_then(|catalog| catalog.course(&c.course_slug))
                .map_or_else(|| c.course_slug.clone(), |course| course.title.clone()),
            course: c.course_slug,
            reminders: c.enabled,
        })
        .collect();
    NotificationsOut {
        new_lessons: p.new_lessons,
        partner_updates: p.partner_updates,
        digest: p.digest,
        discreet: p.discreet,
        window_start: partial_time(p.window.start()),
        window_end: partial_time(p.window.end()),
        time_zone: user.time_zone.name().to_owned(),
        courses,
    }
}

/// The learner's notification choices (the defaults until they change any).
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "me", security(("bearer" = [])),
    responses((status = 200, description = "The learner's choices", body = NotificationsOut),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn show(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let settings = state.notifications.settings(user.id).await?;
    Ok(HttpResponse::Ok().json(to_out(settings, &user, &state)))
}

/// Replaces the learner's notification choices; the same choices again write nothing.
#[utoipa::path(put, path = "/api/v1/me/notifications", tag = "me", security(("bearer" = [])),
    request_body = NotificationsIn,
    responses((status = 200, description = "Saved (or unchanged): the choices now in force", body = NotificationsOut),
        (status = 400, description = "The body is not JSON, is malformed, or was sent without Content-Type: application/json", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Signed in with the cookie but without `X-CSRF-Token`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or of the wrong type, a time is not valid (`window_start`, `window_end`), or `courses` names a course the learner is not enrolled in", body = Problem, content_type = "application/problem+json")))]
pub async fn save(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    body: web::Json<NotificationsIn>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let window = SendWindow::parse(&body.window_start, &body.window_end)
        .map_err(|errors| AppError::InvalidFields(forms::problems(&errors)))?;
    let preferences = Preferences {
        new_lessons: body.new_lessons,
        partner_updates: body.partner_updates,
        digest: body.digest,
        discreet: body.discreet,
        window,
    };
    let reminders = body.courses.into_iter().map(|c| (c.course, c.reminders)).collect();
    let ip = crate::web::session::client_address(&req).to_string();
    state.notifications.save(user.id, Choices { preferences, reminders }, Some(ip)).await?;
    let settings = state.notifications.settings(user.id).await?;
    Ok(HttpResponse::Ok().json(to_out(settings, &user, &state)))
}
