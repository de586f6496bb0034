//! Check-ins over JSON: the same [`crate::checkins`] calls the pages make, one database hop
//! per request. Only the signed-in learner's own check-ins are ever reachable; days are RFC
//! 3339 full dates (`2026-12-03`) in the learner's stored zone.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::admin::csv_export::Sheet;
use crate::checkins::{self, Record};
use crate::domain::checkins::{self as rules, Draft, Patterns, TimeOfDay, TriggerGroup};
use crate::error::{AppError, Problem};
use crate::web::admin::csv::{Batch, stream};
use crate::web::checkins::{WeeksQuery, actor, run};
use crate::web::session::CurrentUser;
use crate::web::state::AppState;
use crate::web::support::support_url;

/// The longest range one list answers: a year and a day.
const MAX_RANGE_DAYS: i64 = 366;

/// One day's check-in.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinOut {
    /// The learner's local day, `YYYY-MM-DD`.
    #[schema(value_type = String, format = Date)]
    date: NaiveDate,
    /// 1 (very low) to 5 (good).
    mood: u8,
    /// The mood in words: "Very low", "Low", "In between", "Okay" or "Good".
    mood_words: &'static str,
    /// Strength of urges or distress, 0 to 10.
    intensity: u8,
    triggers: Vec<String>,
    helped: Vec<String>,
    /// The private note ("" when none).
    note: String,
    /// `morning`, `afternoon`, `evening` or `night`: when the learner first checked in.
    time_of_day: &'static str,
    checked_in_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Still the learner's today, so `PUT /api/v1/checkins/today` changes it.
    editable: bool,
}

fn time_of_day_name(part: TimeOfDay) -> &'static str {
    match part {
        TimeOfDay::Morning => "morning",
        TimeOfDay::Afternoon => "afternoon",
        TimeOfDay::Evening => "evening",
        TimeOfDay::Night => "night",
    }
}

impl CheckinOut {
    fn of(record: Record) -> Self {
        let checkin = record.checkin;
        Self {
            date: record.day,
            mood: checkin.mood.get(),
            mood_words: checkin.mood.words(),
            intensity: checkin.intensity.get(),
            triggers: checkin.triggers,
            helped: checkin.helped,
            note: checkin.note,
            time_of_day: time_of_day_name(record.time_of_day),
            checked_in_at: record.checked_in_at,
            updated_at: record.updated_at,
            editable: record.editable,
        }
    }
}

/// `?from=&to=`: RFC 3339 full dates, both inclusive; the last four weeks when absent.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RangeQuery {
    /// First day, `YYYY-MM-DD` (default: 27 days before `to`).
    #[serde(default)]
    from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: the learner's today).
    #[serde(default)]
    to: Option<String>,
}

/// A day as typed, `YYYY-MM-DD` with a four-digit year (chrono's `%Y` would also take
/// `-262143`, where the range arithmetic below has no room).
fn date(text: &str, field: &'static str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .filter(|day| (1..=9999).contains(&day.year()))
        .ok_or_else(|| AppError::InvalidField {
            field,
            message: "Use a date like 2026-12-03.".into(),
        })
}

impl RangeQuery {
    /// The range asked for, or 422 naming the field that is wrong.
    fn range(&self, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), AppError> {
        let to = self.to.as_deref().map_or(Ok(today), |t| date(t, "to"))?;
        let from = self.from.as_deref().map_or(Ok(to - Duration::days(27)), |f| date(f, "from"))?;
        if from > to {
            let message = "The first day comes after the last.".into();
            return Err(AppError::InvalidField { field: "from", message });
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            let message = "Ask for at most a year at a time.".into();
            return Err(AppError::InvalidField { field: "from", message });
        }
        Ok((from, to))
    }
}

/// The learner's check-ins in a range of days, oldest first; days without one are absent.
#[utoipa::path(get, path = "/api/v1/checkins", tag = "checkins", security(("bearer" = [])),
    params(RangeQuery),
    responses((status = 200, description = "The check-ins in the range", body = [CheckinOut]),
        (status = 400, description = "The query string could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` or `to` is not a date, `from` is after `to`, or the range is over a year (the field is named)", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, AppError> {
    let actor = actor(&state, &user);
    let (from, to) = query.range(rules::local_day(actor.now, actor.zone))?;
    let records = run(&state, move |conn| checkins::list(conn, &actor, from, to)).await?;
    Ok(HttpResponse::Ok().json(records.into_iter().map(CheckinOut::of).collect::<Vec<_>>()))
}

/// `PUT /api/v1/checkins/today`: today's check-in, whole.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckinRequest {
    /// 1 (very low) to 5 (good).
    mood: Option<i64>,
    /// Strength of urges or distress, 0 to 10.
    intensity: Option<i64>,
    /// Up to 12, each under 40 characters.
    #[serde(default)]
    triggers: Vec<String>,
    /// Up to 12, each under 40 characters.
    #[serde(default)]
    helped: Vec<String>,
    /// Up to 1,000 characters.
    #[serde(default)]
    note: String,
}

/// What saving today's check-in did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedOut {
    checkin: CheckinOut,
    /// `false` when it was identical to what was stored, so nothing was written.
    changed: bool,
    /// On a day with strength 8 or more: the support page of the learner's course.
    #[serde(skip_serializing_if = "Option::is_none")]
    support_url: Option<String>,
}

/// Saves today's check-in (the learner's local day in their stored zone); earlier days can no
/// longer be changed and cannot be addressed.
#[utoipa::path(put, path = "/api/v1/checkins/today", tag = "checkins", security(("bearer" = [])),
    request_body = CheckinRequest,
    responses((status = 200, description = "Saved (or unchanged)", body = SavedOut),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A cookie session without `X-CSRF-Token`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or not valid; each is named (`mood`, `intensity`, `triggers`, `helped`, `note`)", body = Problem, content_type = "application/problem+json")))]
pub async fn save_today(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: web::Json<CheckinRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let draft = Draft {
        mood: body.mood,
        intensity: body.intensity,
        triggers: body.triggers,
        helped: body.helped,
        note: body.note,
    };
    let checkin = draft.parse().map_err(crate::checkins::CheckinError::Invalid)?;
    let actor = actor(&state, &user);
    let (saved, course) = run(&state, move |conn| {
        let saved = checkins::save_today(conn, &actor, checkin)?;
        let hard = saved.record.checkin.intensity.suggests_support();
        let course = if hard { checkins::home_course(conn, actor.user)? } else { None };
        Ok((saved, course))
    })
    .await?;
    let out = SavedOut {
        changed: saved.changed,
        checkin: CheckinOut::of(saved.record),
        support_url: course.map(|home| support_url(&home.slug)),
    };
    Ok(HttpResponse::Ok().json(out))
}

/// Triggers noted in one group of check-ins.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    /// The weekday or the part of the day, in words.
    label: &'static str,
    check_ins: usize,
    /// Triggers noted, each counted once per check-in.
    mentions: usize,
    /// The most noted, at most three.
    top: Vec<String>,
}

/// One day of the window: `null` values where there was no check-in.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayOut {
    #[schema(value_type = String, format = Date)]
    date: NaiveDate,
    mood: Option<u8>,
    intensity: Option<u8>,
}

/// A tag and on how many hard days it helped.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagOut {
    tag: String,
    count: usize,
}

/// The learner's patterns over a window ending today.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatternsOut {
    weeks: u32,
    #[schema(value_type = String, format = Date)]
    from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    to: NaiveDate,
    /// Every day of the window, oldest first.
    days: Vec<DayOut>,
    check_ins: usize,
    average_mood: Option<f64>,
    average_intensity: Option<f64>,
    /// Monday first.
    by_weekday: Vec<GroupOut>,
    /// Morning, afternoon, evening, night.
    by_time_of_day: Vec<GroupOut>,
    /// Days with mood at most 2 or strength at least 7.
    hard_days: usize,
    helped_on_hard_days: Vec<TagOut>,
}

fn groups(groups: Vec<TriggerGroup>) -> Vec<GroupOut> {
    groups
        .into_iter()
        .map(|g| GroupOut {
            label: g.label,
            check_ins: g.check_ins,
            mentions: g.mentions,
            top: g.top,
        })
        .collect()
}

impl PatternsOut {
    fn of(weeks: u32, p: Patterns) -> Self {
        Self {
            weeks,
            from: p.from,
            to: p.to,
            days: p
                .days
                .into_iter()
                .map(|d| DayOut { date: d.day, mood: d.mood, intensity: d.intensity })
                .collect(),
            check_ins: p.check_ins,
            average_mood: p.average_mood,
            average_intensity: p.average_intensity,
            by_weekday: groups(p.by_weekday),
            by_time_of_day: groups(p.by_time_of_day),
            hard_days: p.hard_days,
            helped_on_hard_days: p
                .helped_on_hard_days
                .into_iter()
                .map(|t| TagOut { tag: t.tag, count: t.count })
                .collect(),
        }
    }
}

/// The figures of the pattern view, for the last 4, 12 or 52 weeks.
#[utoipa::path(get, path = "/api/v1/checkins/patterns", tag = "checkins", security(("bearer" = [])),
    params(WeeksQuery),
    responses((status = 200, description = "The patterns", body = PatternsOut),
        (status = 400, description = "The query string could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`weeks` is not 4, 12 or 52", body = Problem, content_type = "application/problem+json")))]
pub async fn patterns(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<WeeksQuery>,
) -> Result<HttpResponse, AppError> {
    let weeks = query.weeks()?;
    let actor = actor(&state, &user);
    let patterns = run(&state, move |conn| checkins::patterns(conn, &actor, weeks)).await?;
    Ok(HttpResponse::Ok().json(PatternsOut::of(weeks.get(), patterns)))
}

/// The CSV's columns.
const COLUMNS: [&str; 9] = [
    "date",
    "time_zone",
    "checked_in_at",
    "mood",
    "mood_words",
    "urges_or_distress",
    "triggers",
    "helped",
    "note",
];

/// Every check-in of the learner as CSV (RFC 4180, UTF-8 with BOM, cells that a spreadsheet
/// would run as formulas made inert); also served at `/checkin/export` for the browser.
#[utoipa::path(get, path = "/api/v1/checkins/export", tag = "checkins", security(("bearer" = [])),
    responses((status = 200, description = "An attachment, `Cache-Control: no-store`", content_type = "text/csv"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json")))]
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let (keyring, owner) = (state.keyring.clone(), user.id);
    let today = crate::web::downloads::today_for(&req, &state);
    let filename = format!("check-ins-{today}.csv");
    let fetch = move |conn: &mut crate::db::DbConnection, _: Option<()>| {
        let records = checkins::export_of(conn, &keyring, owner)?;
        let rows = records
            .into_iter()
            .map(|r| {
                vec![
                    r.day.to_string(),
                    r.time_zone,
                    r.checked_in_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    r.checkin.mood.get().to_string(),
                    r.checkin.mood.words().to_owned(),
                    r.checkin.intensity.get().to_string(),
                    r.checkin.triggers.join("; "),
                    r.checkin.helped.join("; "),
                    r.checkin.note,
                ]
            })
            .collect();
        Ok::<_, AppError>(Batch { rows, next: None })
    };
    Ok(stream(&state, &filename, Sheet::new(&COLUMNS), fetch))
}
