//! `/admin/reports`: per-course reports (funnel, activity, completion per lesson, median time
//! to complete, quiet learners), each with an accessible SVG chart and its data table, and a
//! CSV download of the counts. Small counts are hidden ([`Cells`], `MEND_REPORT_MIN_CELL`).

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::admin::csv_export::{CONTENT_TYPE, Sheet};
use crate::admin::reports::{
    Cells, CourseReport, DEFAULT_INACTIVE_DAYS, MAX_INACTIVE_DAYS, QuietLearner,
};
use crate::content::Course;
use crate::domain::ids::EnrollmentId;
use crate::error::AppError;
use crate::reminders::{NudgeOutcome, NudgeTargets, skip_text};
use crate::web::admin::{actor, admin_context};
use crate::web::charts::{Bar, Labels, bar_chart};
use crate::web::session::{Admin, CsrfForm};
use crate::web::state::AppState;
use crate::web::{RouteTable, get};

/// The report pages' routes.
pub fn routes(table: &mut RouteTable) {
    table.at("/admin/reports", |r| r.route(get().to(index)));
    table.at("/admin/reports/{course}", |r| r.route(get().to(course_page)));
    table.at("/admin/reports/{course}/report.csv", |r| r.route(get().to(course_csv)));
    table.at("/admin/reports/{course}/nudges", |r| r.route(web::post().to(send_nudges)));
}

/// The report's query string: how many quiet days count as inactive, and the keyset cursor of
/// the quiet-learner list. Read as text, so a bad value is a 422 naming the field.
#[derive(Debug, Deserialize, Default)]
pub struct ReportQuery {
    inactive_days: Option<String>,
    after: Option<String>,
}

impl ReportQuery {
    /// `inactive_days` (1 to 365, default 14) and `after` (an enrolment id, default 0).
    pub fn parse(&self) -> Result<(u32, i64), AppError> {
        let days = match self.inactive_days.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_INACTIVE_DAYS,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=MAX_INACTIVE_DAYS).contains(d))
                .ok_or_else(|| AppError::InvalidField {
                    field: "inactive_days",
                    message: format!("Enter a whole number of days from 1 to {MAX_INACTIVE_DAYS}."),
                })?,
        };
        let after = match self.after.as_deref().map(str::trim) {
            None | Some("") => 0,
            Some(text) => text.parse::<i64>().ok().filter(|a| *a >= 0).ok_or_else(|| {
                AppError::InvalidField { field: "after", message: "Not a list position.".into() }
            })?,
        };
        Ok((days, after))
    }
}

/// One course in the list of reports.
#[derive(Debug, Serialize)]
struct CourseLink {
    slug: String,
    title: String,
    published: bool,
}

/// `GET /admin/reports`: every course in the catalog (published or not), each linking to its
/// report.
pub async fn index(
    _admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let catalog = state.catalog()?;
    let courses: Vec<CourseLink> = catalog
        .courses()
        .iter()
        .map(|c| CourseLink {
            slug: c.slug.clone(),
            title: c.title.clone(),
            published: c.published,
        })
        .collect();
    let mut context = admin_context(&req, "reports");
    context.insert("courses", &courses);
    context.insert("min_cell", &cells(&state).min());
    state.page("admin/reports.html", &context)
}

/// A report row as shown: a label and its (possibly suppressed) count in words.
#[derive(Debug, Serialize)]
struct Row {
    label: String,
    module: String,
    shown: String,
}

/// Reads `slug`'s report (404 for a course not in the catalog).
pub async fn read_report(
    state: &AppState,
    slug: &str,
    query: &ReportQuery,
) -> Result<CourseReport, AppError> {
    let (days, after) = query.parse()?;
    let catalog = state.catalog()?;
    let course: &Course = catalog.course(slug).ok_or(AppError::NotFound)?;
    Ok(state.admin.course_report(course, days, after).await?)
}

/// The small-cell rule in force.
pub fn cells(state: &AppState) -> Cells {
    Cells::new(state.settings.report_min_cell)
}

fn funnel_rows(report: &CourseReport, cells: Cells) -> Vec<(String, i64, String)> {
    [
        ("Enrolled", report.enrolled),
        ("Started", report.started),
        ("Halfway", report.halfway),
        ("Completed", report.completed),
    ]
    .into_iter()
    .map(|(label, n)| (label.to_owned(), n, cells.text(n)))
    .collect()
}

fn bars(rows: &[(String, i64, String)], cells: Cells) -> Vec<Bar> {
    rows.iter()
        .map(|(label, n, shown)| Bar {
            label: label.clone(),
            value: cells.visible(*n),
            shown: shown.clone(),
        })
        .collect()
}

/// The median in words, hidden when it is taken over too few completions.
fn median_text(report: &CourseReport, cells: Cells) -> String {
    match report.median_days {
        _ if cells.hides(report.median_over) => {
            format!("not shown (fewer than {} completions)", cells.min())
        }
        Some(days) => format!("{days:.1} days"),
        None => "nobody has completed the course yet".to_owned(),
    }
}

/// `GET /admin/reports/{course}`: the report page.
pub async fn course_page(
    _admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ReportQuery>,
    flash: web::Query<NudgeFlash>,
) -> Result<HttpResponse, AppError> {
    let report = read_report(&state, &path, &query).await?;
    let cells = cells(&state);
    let funnel = funnel_rows(&report, cells);
    let lessons: Vec<(String, i64, String)> = report
        .lessons
        .iter()
        .map(|l| (l.title.clone(), l.completed, cells.text(l.completed)))
        .collect();
    let funnel_svg = bar_chart(
        Labels {
            id: "funnel-chart",
            title: "Funnel",
            desc: "How many learners enrolled, started, reached halfway and completed the course.",
            categories: "Stage",
            values: "Learners",
        },
        &bars(&funnel, cells),
    );
    let lessons_svg = bar_chart(
        Labels {
            id: "lessons-chart",
            title: "Completion per lesson",
            desc: "How many learners finished each lesson, in course order: where people stop.",
            categories: "Lesson",
            values: "Learners who finished it",
        },
        &bars(&lessons, cells),
    );
    let lesson_rows: Vec<Row> = report
        .lessons
        .iter()
        .map(|l| Row {
            label: l.title.clone(),
            module: l.module.clone(),
            shown: cells.text(l.completed),
        })
        .collect();
    let funnel_rows: Vec<Row> = funnel
        .into_iter()
        .map(|(label, _, shown)| Row { label, module: String::new(), shown })
        .collect();
    let quiet: &[QuietLearner] = &report.inactive;
    let mut context = admin_context(&req, "reports");
    context.insert("report", &report);
    context.insert("funnel", &funnel_rows);
    context.insert("lessons", &lesson_rows);
    context.insert("funnel_svg", &funnel_svg);
    context.insert("lessons_svg", &lessons_svg);
    context.insert("active_7", &cells.text(report.active_7));
    context.insert("active_30", &cells.text(report.active_30));
    context.insert("median", &median_text(&report, cells));
    context.insert("quiet", quiet);
    context.insert("min_cell", &cells.min());
    context.insert("flash", &flash.text());
    state.page("admin/report.html", &context)
}

/// The ticked quiet learners of the report's nudge form: `e<enrolment id>` for each ticked
/// box, `l<enrolment id>` for each learner listed, used when `everyone` is ticked.
#[derive(Debug, Deserialize)]
pub struct NudgeForm {
    #[serde(default)]
    everyone: String,
    #[serde(default)]
    inactive_days: String,
    #[serde(flatten)]
    picked: HashMap<String, String>,
}

impl NudgeForm {
    /// The enrolments chosen: every listed one with "everyone" ticked, else the ticked ones.
    fn enrollments(&self) -> Vec<EnrollmentId> {
        let prefix = if self.everyone == "on" { 'l' } else { 'e' };
        let ids = self.picked.keys().filter_map(|key| key.strip_prefix(prefix)?.parse().ok());
        ids.map(|id: i64| EnrollmentId::from(id)).collect()
    }
}

/// `POST /admin/reports/{course}/nudges`: queues a gentle nudge for each chosen learner it may
/// go to and comes back to the report saying how many went and why the rest did not.
pub async fn send_nudges(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<NudgeForm>,
) -> Result<HttpResponse, AppError> {
    let course = path.into_inner();
    let targets = NudgeTargets::Enrollments(form.enrollments());
    let now = state.clock.now();
    let outcome =
        state.reminders.nudge_now(actor(&admin, &req), course.clone(), targets, now).await?;
    let days = form.inactive_days.trim().parse::<u32>().unwrap_or(DEFAULT_INACTIVE_DAYS);
    let location = format!("/admin/reports/{course}?{}", flash_query(days, &outcome));
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish())
}

/// The report's query after a nudge: the same window, and the outcome as counts and codes.
fn flash_query(days: u32, outcome: &NudgeOutcome) -> String {
    let skipped: Vec<String> =
        outcome.skipped.iter().map(|(code, n)| format!("{code}:{n}")).collect();
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("inactive_days", &days.to_string())
        .append_pair("nudged", &outcome.queued.to_string())
        .append_pair("waiting", &outcome.waiting_for_window.to_string())
        .append_pair("skipped", &skipped.join(","))
        .finish()
}

/// What the report says after a nudge (post/redirect/get). Only known reason codes are shown,
/// in the page's own words, so a crafted link cannot put text on the page.
#[derive(Debug, Default, Deserialize)]
pub struct NudgeFlash {
    nudged: Option<String>,
    #[serde(default)]
    waiting: String,
    #[serde(default)]
    skipped: String,
}

impl NudgeFlash {
    /// "3 nudges queued; 1 skipped: reminders turned off." `None` after no nudge.
    fn text(&self) -> Option<String> {
        let queued: usize = self.nudged.as_deref()?.parse().ok()?;
        let waiting: usize = self.waiting.parse().unwrap_or(0);
        let reasons: Vec<(&str, usize)> = self
            .skipped
            .split(',')
            .filter_map(|pair| {
                let (code, n) = pair.split_once(':')?;
                Some((skip_text(code)?, n.parse().ok()?))
            })
            .collect();
        let mut text = match queued {
            0 => "No nudges queued".to_owned(),
            1 => "1 nudge queued".to_owned(),
            n => format!("{n} nudges queued"),
        };
        if waiting > 0 {
            text.push_str(&format!(" ({waiting} will wait until their send window opens)"));
        }
        text.push_str(&skipped_text(&reasons));
        text.push('.');
        Some(text)
    }
}

fn skipped_text(reasons: &[(&str, usize)]) -> String {
    let total: usize = reasons.iter().map(|(_, n)| n).sum();
    match reasons {
        [] => String::new(),
        [(reason, _)] => format!("; {total} skipped: {reason}"),
        many => {
            let parts: Vec<String> = many.iter().map(|(r, n)| format!("{r} ({n})")).collect();
            format!("; {total} skipped: {}", parts.join(", "))
        }
    }
}

/// The report's counts as CSV rows `(section, module, item, value)`: no names, no answers.
pub fn csv_rows(report: &CourseReport, cells: Cells) -> Vec<[String; 4]> {
    let mut rows: Vec<[String; 4]> = funnel_rows(report, cells)
        .into_iter()
        .map(|(label, _, shown)| ["funnel".into(), String::new(), label, shown])
        .collect();
    rows.push([
        "activity".into(),
        String::new(),
        "Active in the last 7 days".into(),
        cells.text(report.active_7),
    ]);
    rows.push([
        "activity".into(),
        String::new(),
        "Active in the last 30 days".into(),
        cells.text(report.active_30),
    ]);
    rows.extend(
        report
            .lessons
            .iter()
            .map(|l| ["lesson".into(), l.module.clone(), l.title.clone(), cells.text(l.completed)]),
    );
    rows.push([
        "time".into(),
        String::new(),
        "Median days to complete".into(),
        median_csv(report, cells),
    ]);
    rows
}

fn median_csv(report: &CourseReport, cells: Cells) -> String {
    match report.median_days {
        _ if cells.hides(report.median_over) => format!("fewer than {} completions", cells.min()),
        Some(days) => format!("{days:.1}"),
        None => String::new(),
    }
}

/// `GET /admin/reports/{course}/report.csv`: the report's counts as a CSV download.
pub async fn course_csv(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let report = read_report(&state, &path, &query).await?;
    let sheet = Sheet::new(&["section", "module", "item", "learners"]);
    let internal = |e| AppError::Internal(Box::new(e));
    let mut body = sheet.header().map_err(internal)?;
    body.extend(sheet.rows(csv_rows(&report, cells(&state))).map_err(internal)?);
    let safe: String = report
        .course
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"report-{safe}.csv\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flash(nudged: &str, waiting: &str, skipped: &str) -> Option<String> {
        let flash = NudgeFlash {
            nudged: Some(nudged.to_owned()),
            waiting: waiting.to_owned(),
            skipped: skipped.to_owned(),
        };
        flash.text()
    }

    #[test]
    fn the_flash_says_what_was_queued_and_why_the_rest_were_not() {
        let text = flash("3", "0", "reminders_off:1");
        assert_eq!(text.as_deref(), Some("3 nudges queued; 1 skipped: reminders turned off."));
        let text = flash("1", "1", "");
        assert_eq!(
            text.as_deref(),
            Some("1 nudge queued (1 will wait until their send window opens).")
        );
        let text = flash("0", "", "paused:2,not_enrolled:1");
        let expected =
            "No nudges queued; 3 skipped: taking a break (2), not enrolled in this course (1).";
        assert_eq!(text.as_deref(), Some(expected));
        assert_eq!(NudgeFlash::default().text(), None, "no nudge, no flash");
    }

    #[test]
    fn a_crafted_flash_puts_no_text_of_its_own_on_the_page() {
        let text = flash("2", "x", "<script>:1,paused:lots");
        assert_eq!(text.as_deref(), Some("2 nudges queued."));
        assert_eq!(flash("many", "", ""), None);
    }
}
