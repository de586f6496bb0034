//! The learner's control over mail on the web: the Notifications page under the account (a
//! form that works without JavaScript) and the unsubscribe pages an email's link opens, which
//! need no sign-in: the signed token is the authority (RFC 8058 one-click).

use std::collections::{BTreeMap, HashMap};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::{Value, json};

use crate::content::Catalog;
use crate::domain::account::FieldError;
use crate::domain::ids::UserId;
use crate::domain::notifications::{Preferences, SendWindow, Topic, format_local_time};
use crate::error::AppError;
use crate::notifications::{Choices, NotificationError, NotificationSettings, Unsubscribed};
use crate::web::forms::{self, FormFeedback, SavedQuery};
use crate::web::pages::see_other;
use crate::web::session::{CsrfForm, CurrentUser, page_context};
use crate::web::state::AppState;

/// Where the Notifications page lives (other pages and mail link here).
pub const NOTIFICATIONS_PAGE: &str = "/account/notifications";

const TEMPLATE: &str = "pages/account/notifications.html";

/// The hidden field listing the courses the form showed, so an unticked box (which a browser
/// does not send) turns that course's reminders off, and a course enrolled in after the page
/// was opened keeps its switch.
const COURSE_LIST: &str = "courses";

/// One course's switch as the page shows it.
#[derive(Debug, Serialize)]
struct CourseView {
    slug: String,
    title: String,
    /// The checkbox's name and id.
    field: String,
    enabled: bool,
}

fn course_field(slug: &str) -> String {
    format!("reminders-{slug}")
}

/// The learner's courses with titles from the catalog (a course no longer in it shows its
/// slug, so its switch can still be turned off).
fn course_views(settings: &NotificationSettings, catalog: Option<&Catalog>) -> Vec<CourseView> {
    settings
        .courses
        .iter()
        .map(|course| {
            let title = catalog
                .and_then(|c| c.course(&course.course_slug))
                .map_or_else(|| course.course_slug.clone(), |c| c.title.clone());
            CourseView {
                slug: course.course_slug.clone(),
                title,
                field: course_field(&course.course_slug),
                enabled: course.enabled,
            }
        })
        .collect()
}

/// The form's values from stored settings.
fn stored_values(settings: &NotificationSettings, catalog: Option<&Catalog>) -> Value {
    let p = &settings.preferences;
    let courses = course_views(settings, catalog);
    json!({
        "new_lessons": p.new_lessons, "partner_updates": p.partner_updates,
        "digest": p.digest, "discreet": p.discreet,
        "window_start": format_local_time(p.window.start()),
        "window_end": format_local_time(p.window.end()),
        "course_list": course_list(&courses), "courses": courses,
    })
}

fn course_list(courses: &[CourseView]) -> String {
    courses.iter().map(|c| c.slug.as_str()).collect::<Vec<_>>().join(" ")
}

/// Renders the page with its values, the zone the window is in, and any problems.
fn render(
    req: &HttpRequest,
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    mut values: Value,
    errors: &[FieldError],
) -> Result<HttpResponse, AppError> {
    values["time_zone"] = Value::from(user.time_zone.name());
    let mut context = page_context(req);
    FormFeedback::with_errors(values, forms::problems(errors)).insert_into(&mut context);
    state.page_with_status(TEMPLATE, status, &context)
}

/// `GET /account/notifications`: which mail the learner gets, when, and how discreetly.
pub async fn show_notifications(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    let settings = state.notifications.settings(user.id).await?;
    let catalog = state.catalog.current();
    let mut values = stored_values(&settings, catalog.as_deref());
    values["saved"] = Value::from(query.saved.is_some());
    render(&req, &state, &user, StatusCode::OK, values, &[])
}

/// The submitted form, field by field: the course switches are named per course.
type NotificationForm = HashMap<String, String>;

/// A ticked checkbox is sent (with any value); an unticked one is not.
fn ticked(form: &NotificationForm, name: &str) -> bool {
    form.contains_key(name)
}

fn text<'a>(form: &'a NotificationForm, name: &str) -> &'a str {
    form.get(name).map_or("", String::as_str)
}

/// The learner's choices from the form, or every problem by field.
fn parse_form(form: &NotificationForm) -> Result<Choices, Vec<FieldError>> {
    let window = SendWindow::parse(text(form, "window_start"), text(form, "window_end"))?;
    let preferences = Preferences {
        new_lessons: ticked(form, "new_lessons"),
        partner_updates: ticked(form, "partner_updates"),
        digest: ticked(form, "digest"),
        discreet: ticked(form, "discreet"),
        window,
    };
    let reminders: BTreeMap<String, bool> = text(form, COURSE_LIST)
        .split_whitespace()
        .map(|slug| (slug.to_owned(), ticked(form, &course_field(slug))))
        .collect();
    Ok(Choices { preferences, reminders })
}

/// What was typed, for the form shown again (the courses from storage, ticked as submitted).
fn submitted_values(
    form: &NotificationForm,
    settings: &NotificationSettings,
    catalog: Option<&Catalog>,
) -> Value {
    let listed: Vec<&str> = text(form, COURSE_LIST).split_whitespace().collect();
    let mut courses = course_views(settings, catalog);
    for course in courses.iter_mut().filter(|c| listed.contains(&c.slug.as_str())) {
        course.enabled = ticked(form, &course.field);
    }
    json!({
        "new_lessons": ticked(form, "new_lessons"),
        "partner_updates": ticked(form, "partner_updates"),
        "digest": ticked(form, "digest"), "discreet": ticked(form, "discreet"),
        "window_start": text(form, "window_start"), "window_end": text(form, "window_end"),
        "course_list": course_list(&courses), "courses": courses,
    })
}

/// `POST /account/notifications`: stores the choices and goes back to the page saying so; a
/// problem shows the form again (422) with what was typed and each problem by its field.
pub async fn save_notifications(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<NotificationForm>,
) -> Result<HttpResponse, AppError> {
    let errors = match parse_form(&form) {
        Ok(choices) => {
            match state.notifications.save(user.id, choices, Some(client_ip(&req))).await {
                Ok(_) => return Ok(see_other(&format!("{NOTIFICATIONS_PAGE}?saved=1"))),
                Err(NotificationError::UnknownCourse(_)) => vec![FieldError {
                    field: COURSE_LIST,
                    message: "One of these courses is no longer yours. Please check the list again.",
                }],
                Err(other) => return Err(other.into()),
            }
        }
        Err(errors) => errors,
    };
    let settings = state.notifications.settings(user.id).await?;
    let catalog = state.catalog.current();
    let values = submitted_values(&form, &settings, catalog.as_deref());
    render(&req, &state, &user, StatusCode::UNPROCESSABLE_ENTITY, values, &errors)
}

/// The kind of mail a link stops, in words that name no course or subject.
fn kind_of_mail(topic: Topic) -> &'static str {
    match topic {
        Topic::Reminders(_) => "reminders for one of your courses",
        Topic::NewLessons => "emails when new lessons open",
        Topic::Digest => "the weekly update",
        Topic::PartnerUpdates => "updates about the account linked with yours",
    }
}

/// An unsubscribe page: never indexed, never sending a referrer, never cached.
fn unsubscribe_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    values: Value,
) -> Result<HttpResponse, AppError> {
    let mut context = page_context(req);
    context.insert("values", &values);
    let mut response = state.page_with_status("pages/unsubscribe.html", status, &context)?;
    let headers = response.headers_mut();
    headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        header::HeaderValue::from_static("noindex, nofollow"),
    );
    Ok(response)
}

/// Whose link and for which mail, or the page saying the link does not work (404).
fn verified(state: &AppState, token: &str) -> Option<(UserId, Topic)> {
    state.unsubscribe.verify(token)
}

fn bad_link(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, AppError> {
    unsubscribe_page(req, state, StatusCode::NOT_FOUND, json!({ "step": "bad_link" }))
}

/// `GET|HEAD /unsubscribe/{token}`: asks to confirm, naming only the kind of mail, and changes
/// nothing (mail scanners open links).
pub async fn show_unsubscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some((user, topic)) = verified(&state, &token) else { return bad_link(&req, &state) };
    let step = match state.notifications.still_sent(user, topic).await {
        Ok(true) => "confirm",
        Ok(false) => "already",
        Err(NotificationError::NotFound) => return bad_link(&req, &state),
        Err(other) => return Err(other.into()),
    };
    let values = json!({ "step": step, "kind": kind_of_mail(topic), "token": *token });
    unsubscribe_page(&req, &state, StatusCode::OK, values)
}

/// `POST /unsubscribe/{token}`: stops that mail at once, with no sign-in and no CSRF token
/// (mail clients post `List-Unsubscribe=One-Click` cross-site); a repeat answers the same.
pub async fn unsubscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some((user, topic)) = verified(&state, &token) else { return bad_link(&req, &state) };
    match state.notifications.unsubscribe(user, topic, Some(client_ip(&req))).await {
        Ok(outcome) => {
            tracing::info!(
                user_id = %user,
                topic = %topic.code(),
                repeat = outcome == Unsubscribed::AlreadyStopped,
                "unsubscribed"
            );
            let values = json!({ "step": "done", "kind": kind_of_mail(topic) });
            unsubscribe_page(&req, &state, StatusCode::OK, values)
        }
        Err(NotificationError::NotFound) => bad_link(&req, &state),
        Err(other) => Err(other.into()),
    }
}

/// The client address as the audit log records it (see [`crate::web::session::client_address`]).
fn client_ip(req: &HttpRequest) -> String {
    crate::web::session::client_address(req).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> NotificationForm {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn unticked_boxes_are_off_and_only_listed_courses_change() {
        let submitted = form(&[
            ("courses", "one two"),
            ("reminders-two", "on"),
            ("reminders-three", "on"),
            ("discreet", "on"),
            ("window_start", "08:00"),
            ("window_end", "21:30"),
        ]);
        let choices = parse_form(&submitted).unwrap();
        let p = choices.preferences;
        assert!(p.discreet && !p.digest && !p.new_lessons && !p.partner_updates);
        assert_eq!((p.window.start(), p.window.end()), (480, 1290));
        let expected: BTreeMap<String, bool> =
            [("one".to_owned(), false), ("two".to_owned(), true)].into_iter().collect();
        assert_eq!(choices.reminders, expected, "three was not on the page: left alone");
    }

    #[test]
    fn a_missing_window_names_both_fields() {
        let errors = parse_form(&form(&[("digest", "on")])).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["window_start", "window_end"]);
    }

    #[test]
    fn unsubscribe_pages_name_the_kind_of_mail_and_no_course() {
        for topic in
            [Topic::Reminders(3.into()), Topic::NewLessons, Topic::Digest, Topic::PartnerUpdates]
        {
            let kind = kind_of_mail(topic);
            assert!(!kind.is_empty() && !kind.contains('3'), "{kind}");
        }
    }
}
