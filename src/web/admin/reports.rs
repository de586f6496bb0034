//! `/admin/reports`: per-course reports (funnel, activity, completion per lesson, median time
//! to complete, quiet learners), each with an accessible SVG chart and its data table, and a
//! CSV download of the counts. Small counts are hidden ([`Cells`], `MEND_REPORT_MIN_CELL`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::admin::csv_export::{CONTENT_TYPE, Sheet};
use crate::admin::reports::{
    Cells, CourseReport, DEFAULT_INACTIVE_DAYS, MAX_INACTIVE_DAYS, QuietLearner,
};
use crate::content::Course;
use crate::error::AppError;
use crate::web::admin::admin_context;
use crate::web::admin::charts::{Bar, Labels, bar_chart};
use crate::web::session::Admin;
use crate::web::state::AppState;
use crate::web::{RouteTable, get};

/// The report pages' routes.
pub fn routes(table: &mut RouteTable) {
    table.at("/admin/reports", |r| r.route(get().to(index)));
    table.at("/admin/reports/{course}", |r| r.route(get().to(course_page)));
    table.at("/admin/reports/{course}/report.csv", |r| r.route(get().to(course_csv)));
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
    state.page("admin/report.html", &context)
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
