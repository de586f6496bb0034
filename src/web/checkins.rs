//! The daily check-in over HTML forms that work without JavaScript: today's one-minute form
//! (`/checkin`), the private patterns (`/checkin/patterns`), the CSV download and the choice
//! to show a partner a glance. Each page is one unit of work in [`crate::checkins`]; what the
//! learner wrote never reaches a log. Wording is warm: missing days are gaps, never a streak.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::checkins::{self, Actor, CheckinError, HomeCourse, Record, Sharing};
use crate::content::Track;
use crate::db::DbConnection;
use crate::domain::checkins::{
    self as rules, Draft, HELPED_DEFAULTS, Mood, Patterns, ScaleWords, TRIGGER_DEFAULTS, Weeks,
    intensity_scale,
};
use crate::domain::worksheet::WorksheetKey;
use crate::error::{AppError, FieldProblem};
use crate::web::charts::{Bar, Labels, Scale, bar_chart, line_chart};
use crate::web::forms::{FormFeedback, SavedQuery};
use crate::web::pages::see_other;
use crate::web::session::{CsrfForm, CurrentUser, page_context};
use crate::web::state::AppState;
use crate::web::support::support_url;

/// Where the check-in lives.
pub const CHECKIN: &str = "/checkin";

/// The worksheet whose answers seed the tags offered, and its two lists.
const TRIGGER_PLAN: &str = "trigger-plan";
const PLAN_TRIGGERS: &str = "known_triggers";
const PLAN_HELPED: &str = "what_helps";

/// How many tags each list offers as ticks.
const OFFERED: usize = 16;

/// The check-in actor of a signed-in learner, at the clock's now, in their stored zone.
pub(crate) fn actor(state: &AppState, user: &CurrentUser) -> Actor {
    Actor {
        keyring: state.keyring.clone(),
        user: user.id,
        zone: user.time_zone,
        now: state.clock.now(),
    }
}

/// Runs one check-in unit of work on the blocking pool.
pub(crate) async fn run<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&mut DbConnection) -> Result<T, CheckinError> + Send + 'static,
) -> Result<T, AppError> {
    Ok(state.db.run(work).await?)
}

/// One tag offered as a tick box.
#[derive(Debug, Serialize)]
struct Tick {
    name: String,
    label: String,
    checked: bool,
}

/// One step of a radio scale.
#[derive(Debug, Serialize)]
struct Step {
    value: u8,
    words: String,
    checked: bool,
}

/// What the learner's own lists offer: their trigger plan, then what they noted lately.
struct Offered {
    triggers: Vec<String>,
    helped: Vec<String>,
}

/// The two lists of the learner's trigger plans (any course), when they filled one in. Reads
/// only; a plan never saved, or a course not joined, offers nothing.
fn plan_tags(
    conn: &mut DbConnection,
    sheets: &crate::worksheets::Actor,
) -> Result<Offered, CheckinError> {
    let mut offered = Offered { triggers: Vec::new(), helped: Vec::new() };
    for course in sheets.catalog.courses() {
        if !course.worksheets.contains_key(TRIGGER_PLAN) {
            continue;
        }
        let key = WorksheetKey {
            course: course.slug.clone(),
            worksheet: TRIGGER_PLAN.to_owned(),
            of_partner: false,
        };
        let answers = match crate::worksheets::open(conn, sheets, &key) {
            Ok(opened) => opened.answers,
            Err(crate::worksheets::WorksheetError::Db(error)) => return Err(error.into()),
            // A plan that is not there (or cannot be opened) only means fewer suggestions;
            // the check-in itself must never fail for it.
            Err(_) => continue,
        };
        let list = |field: &str| -> Vec<String> {
            answers.get(field).and_then(Value::as_array).map_or_else(Vec::new, |items| {
                items.iter().filter_map(Value::as_str).map(str::to_owned).collect()
            })
        };
        offered.triggers.extend(list(PLAN_TRIGGERS));
        offered.helped.extend(list(PLAN_HELPED));
    }
    Ok(offered)
}

/// Everything the form page reads, in one unit of work.
struct FormFacts {
    today: Option<Record>,
    offered: Offered,
    sharing: Sharing,
    home: Option<HomeCourse>,
}

async fn form_facts(state: &AppState, user: &CurrentUser) -> Result<FormFacts, AppError> {
    let actor = actor(state, user);
    let sheets = crate::web::api::worksheets::actor(state, user)?;
    run(state, move |conn| {
        let mut offered = plan_tags(conn, &sheets)?;
        let (triggers, helped) = checkins::recent_tags(conn, &actor)?;
        offered.triggers.extend(triggers);
        offered.helped.extend(helped);
        Ok(FormFacts {
            today: checkins::today(conn, &actor)?,
            offered,
            sharing: checkins::sharing(conn, actor.user)?,
            home: checkins::home_course(conn, actor.user)?,
        })
    })
    .await
}

/// Tick boxes for `chosen` (ticked, first) and then what is `offered`, each once.
fn ticks(field: &str, chosen: &[String], offered: &[String], defaults: &[&str]) -> Vec<Tick> {
    let own: Vec<String> = chosen.iter().chain(offered).cloned().collect();
    let limit = OFFERED.max(chosen.len());
    rules::suggestions(&own, defaults, limit)
        .into_iter()
        .enumerate()
        .map(|(index, label)| Tick {
            name: format!("{field}.{index}"),
            checked: chosen.iter().any(|c| c.to_lowercase() == label.to_lowercase()),
            label,
        })
        .collect()
}

/// The form's inputs: what is saved today, or what was just typed.
struct Shown<'a> {
    mood: Option<i64>,
    intensity: Option<i64>,
    triggers: &'a [String],
    helped: &'a [String],
    note: &'a str,
    other_triggers: &'a str,
    other_helped: &'a str,
}

/// The words of the 0–10 scale for the learner whose first open course is `home`: what their
/// track asks about, or both urges and distress without one.
fn scale_for(state: &AppState, home: Option<&HomeCourse>) -> ScaleWords {
    let catalog = state.catalog().ok();
    let track = home.and_then(|home| {
        let course = catalog.as_ref()?.course(&home.slug)?;
        course.track(home.track.as_deref()?).map(|track| track.checkin_scale().to_owned())
    });
    intensity_scale(track.as_deref().unwrap_or(Track::DEFAULT_CHECKIN_SCALE))
}

fn insert_form(
    context: &mut tera::Context,
    shown: &Shown<'_>,
    offered: &Offered,
    scale: &ScaleWords,
) {
    let moods: Vec<Step> = Mood::ALL
        .iter()
        .map(|(value, words)| Step {
            value: *value,
            words: (*words).to_owned(),
            checked: shown.mood == Some(i64::from(*value)),
        })
        .collect();
    let steps: Vec<Step> = (0..=10u8)
        .map(|value| Step {
            value,
            words: match value {
                0 => format!("0, {}", scale.low),
                10 => format!("10, {}", scale.high),
                _ => value.to_string(),
            },
            checked: shown.intensity == Some(i64::from(value)),
        })
        .collect();
    context.insert("moods", &moods);
    context.insert("steps", &steps);
    context.insert("scale", scale);
    context.insert(
        "trigger_ticks",
        &ticks("triggers", shown.triggers, &offered.triggers, &TRIGGER_DEFAULTS),
    );
    context
        .insert("helped_ticks", &ticks("helped", shown.helped, &offered.helped, &HELPED_DEFAULTS));
    context.insert("note", shown.note);
    context.insert("other_triggers", shown.other_triggers);
    context.insert("other_helped", shown.other_helped);
}

fn insert_common(context: &mut tera::Context, facts: &FormFacts, user: &CurrentUser) {
    context.insert("sharing", &sharing_words(facts.sharing));
    context.insert("checked_in", &facts.today.is_some());
    context.insert("time_zone", user.time_zone.name());
}

fn sharing_words(sharing: Sharing) -> &'static str {
    match sharing {
        Sharing::NoPartner => "no_partner",
        Sharing::Shared => "shared",
        Sharing::NotShared => "not_shared",
    }
}

/// `GET /checkin`: today's form, filled with today's check-in when there is one; after a save,
/// a short thank-you (and, after a hard day, a gentle pointer to the course's support page).
pub async fn show_checkin(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AppError> {
    let facts = form_facts(&state, &user).await?;
    let mut context = page_context(&req);
    FormFeedback::fresh(Value::Null).insert_into(&mut context);
    let empty = Vec::new();
    let saved = facts.today.as_ref().map(|r| &r.checkin);
    let shown = Shown {
        mood: saved.map(|c| i64::from(c.mood.get())),
        intensity: saved.map(|c| i64::from(c.intensity.get())),
        triggers: saved.map_or(&empty, |c| &c.triggers),
        helped: saved.map_or(&empty, |c| &c.helped),
        note: saved.map_or("", |c| c.note.as_str()),
        other_triggers: "",
        other_helped: "",
    };
    insert_form(&mut context, &shown, &facts.offered, &scale_for(&state, facts.home.as_ref()));
    insert_common(&mut context, &facts, &user);
    let confirmation = match (query.saved.as_deref(), saved) {
        (Some("sharing"), _) => Some(json!({ "sharing": true })),
        (Some(_), Some(checkin)) => {
            let hard = checkin.intensity.suggests_support();
            let support = facts.home.as_ref().filter(|_| hard).map(|home| support_url(&home.slug));
            Some(json!({ "hard": hard, "support": support }))
        }
        _ => None,
    };
    context.insert("confirmation", &confirmation);
    state.page("pages/checkin.html", &context)
}

/// The tags of one list: the ticked boxes and the ones typed in (one per line or comma).
fn tags_from(form: &HashMap<String, String>, field: &str, other: &str) -> Vec<String> {
    let prefix = format!("{field}.");
    let mut ticked: Vec<(&String, &String)> =
        form.iter().filter(|(key, _)| key.starts_with(&prefix)).collect();
    ticked.sort_by_key(|(key, _)| {
        key.trim_start_matches(&prefix).parse::<usize>().unwrap_or(usize::MAX)
    });
    let typed = form.get(other).map_or("", String::as_str);
    ticked
        .into_iter()
        .map(|(_, value)| value.clone())
        .chain(typed.split(['\n', ',']).map(str::to_owned))
        .collect()
}

fn number(form: &HashMap<String, String>, field: &str) -> Option<i64> {
    form.get(field).and_then(|value| value.trim().parse().ok())
}

/// `POST /checkin`: saves today's check-in, then back to the page with a thank-you; problems
/// re-show the form with what was typed and each message beside its field.
pub async fn save_checkin(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let draft = Draft {
        mood: number(&form, "mood"),
        intensity: number(&form, "intensity"),
        triggers: tags_from(&form, "triggers", "other_triggers"),
        helped: tags_from(&form, "helped", "other_helped"),
        note: form.get("note").cloned().unwrap_or_default(),
    };
    let problems = match draft.clone().parse() {
        Ok(checkin) => {
            let actor = actor(&state, &user);
            run(&state, move |conn| checkins::save_today(conn, &actor, checkin)).await?;
            return Ok(see_other(&format!("{CHECKIN}?saved=today")));
        }
        Err(problems) => problems,
    };
    let facts = form_facts(&state, &user).await?;
    let mut context = page_context(&req);
    let problems: Vec<FieldProblem> = problems
        .into_iter()
        .map(|p| FieldProblem { field: p.field.to_owned(), message: p.message.to_owned() })
        .collect();
    FormFeedback::with_errors(Value::Null, problems).insert_into(&mut context);
    let ticked = |field: &str| tags_from(&form, field, "");
    let (triggers, helped) = (ticked("triggers"), ticked("helped"));
    let shown = Shown {
        mood: draft.mood,
        intensity: draft.intensity,
        triggers: &triggers,
        helped: &helped,
        note: &draft.note,
        other_triggers: form.get("other_triggers").map_or("", String::as_str),
        other_helped: form.get("other_helped").map_or("", String::as_str),
    };
    insert_form(&mut context, &shown, &facts.offered, &scale_for(&state, facts.home.as_ref()));
    insert_common(&mut context, &facts, &user);
    context.insert("confirmation", &Value::Null);
    state.page_with_status("pages/checkin.html", StatusCode::UNPROCESSABLE_ENTITY, &context)
}

/// The sharing form: `share` is `yes` or `no`.
#[derive(Debug, Deserialize)]
pub struct SharingForm {
    share: String,
}

/// `POST /checkin/sharing`: lets the partner see "checked in today" and the weekly mood
/// average, or stops it; back to the check-in page.
pub async fn set_sharing(
    state: web::Data<AppState>,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<SharingForm>,
) -> Result<HttpResponse, AppError> {
    let share = match form.share.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            let message = "Choose whether to share.".to_owned();
            return Err(AppError::InvalidField { field: "share", message });
        }
    };
    let actor = actor(&state, &user);
    run(&state, move |conn| checkins::set_sharing(conn, &actor, share)).await?;
    Ok(see_other(&format!("{CHECKIN}?saved=sharing")))
}

/// `?weeks=4|12|52` on the patterns (4 when absent).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WeeksQuery {
    /// 4, 12 or 52.
    #[serde(default)]
    weeks: Option<String>,
}

impl WeeksQuery {
    /// The window asked for, or 422 naming `weeks`.
    pub(crate) fn weeks(&self) -> Result<Weeks, AppError> {
        let Some(text) = self.weeks.as_deref() else { return Ok(Weeks::default()) };
        text.trim().parse().ok().and_then(Weeks::new).ok_or_else(|| AppError::InvalidField {
            field: "weeks",
            message: "Choose 4, 12 or 52 weeks.".into(),
        })
    }
}

/// A short date on a chart axis or in a table: "Thu 3 Dec".
fn short_day(day: NaiveDate) -> String {
    day.format("%a %-d %b").to_string()
}

/// One day of the patterns' data table.
#[derive(Debug, Serialize)]
struct DayRow {
    day: String,
    mood: String,
    intensity: u8,
}

fn insert_charts(context: &mut tera::Context, patterns: &Patterns, scale: &ScaleWords) {
    let axis = (short_day(patterns.from), short_day(patterns.to));
    let axis = (axis.0.as_str(), axis.1.as_str());
    let moods: Vec<Option<u8>> = patterns.days.iter().map(|d| d.mood).collect();
    let mood_scale = Scale { min: 1, max: 5, min_label: "Very low", max_label: "Good" };
    let mood = Labels {
        id: "mood-chart",
        title: "Mood over time",
        desc: "One point per day you checked in; days without a check-in are gaps in the line.",
        categories: "Day",
        values: "Mood",
    };
    context.insert("mood_svg", &line_chart(mood, mood_scale, &moods, axis));
    let strengths: Vec<Option<u8>> = patterns.days.iter().map(|d| d.intensity).collect();
    let strength_scale = Scale { min: 0, max: 10, min_label: "0", max_label: "10" };
    let strength = Labels {
        id: "intensity-chart",
        title: &scale.label,
        desc: mood.desc,
        categories: "Day",
        values: &scale.short,
    };
    context.insert("intensity_svg", &line_chart(strength, strength_scale, &strengths, axis));
    let rows: Vec<DayRow> = patterns
        .days
        .iter()
        .filter_map(|d| {
            let mood = Mood::new(d.mood?)?;
            Some(DayRow {
                day: short_day(d.day),
                mood: format!("{} ({})", mood.words(), mood.get()),
                intensity: d.intensity?,
            })
        })
        .collect();
    context.insert("day_rows", &rows);
    let groups = |id, title, desc, groups: &[rules::TriggerGroup]| {
        let bars: Vec<Bar> = groups
            .iter()
            .map(|g| Bar {
                label: g.label.to_owned(),
                value: Some(i64::try_from(g.mentions).unwrap_or(0)),
                shown: g.mentions.to_string(),
            })
            .collect();
        bar_chart(Labels { id, title, desc, categories: "When", values: "Triggers noted" }, &bars)
    };
    let weekday_desc = "How many triggers you noted on each day of the week.";
    context.insert(
        "weekday_svg",
        &groups("weekday-chart", "Triggers by weekday", weekday_desc, &patterns.by_weekday),
    );
    let part_desc = "How many triggers you noted by the time of day you checked in.";
    context.insert(
        "time_svg",
        &groups("time-chart", "Triggers by time of day", part_desc, &patterns.by_time_of_day),
    );
    let helped: Vec<Bar> = patterns
        .helped_on_hard_days
        .iter()
        .map(|t| Bar {
            label: t.tag.clone(),
            value: Some(i64::try_from(t.count).unwrap_or(0)),
            shown: t.count.to_string(),
        })
        .collect();
    let helped_labels = Labels {
        id: "helped-chart",
        title: "What helped on hard days",
        desc: "How often each thing helped on the days that were hardest.",
        categories: "What helped",
        values: "Hard days",
    };
    context.insert("helped_svg", &bar_chart(helped_labels, &helped));
}

/// `GET /checkin/patterns?weeks=4|12|52`: the learner's own patterns, for them only: mood and
/// strength over time, triggers by weekday and time of day, what helped on hard days; each
/// chart with its data table.
pub async fn show_patterns(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<WeeksQuery>,
) -> Result<HttpResponse, AppError> {
    let weeks = query.weeks()?;
    let actor = actor(&state, &user);
    let (patterns, home) = run(&state, move |conn| {
        Ok((checkins::patterns(conn, &actor, weeks)?, checkins::home_course(conn, actor.user)?))
    })
    .await?;
    let scale = scale_for(&state, home.as_ref());
    let mut context = page_context(&req);
    insert_charts(&mut context, &patterns, &scale);
    context.insert("patterns", &patterns);
    context.insert("weeks", &weeks.get());
    context.insert("choices", &Weeks::CHOICES);
    context.insert("scale", &scale);
    context.insert("from", &short_day(patterns.from));
    context.insert("to", &short_day(patterns.to));
    context.insert("average_mood", &patterns.average_mood.map(mood_in_words));
    state.page("pages/checkin_patterns.html", &context)
}

/// The glance the learner's partner shares with them, for the partner page (`None`: nothing
/// shared, or no link).
pub(crate) async fn partner_glance(
    state: &AppState,
    user: &CurrentUser,
) -> Result<(Option<rules::PartnerGlance>, Sharing), AppError> {
    let actor = actor(state, user);
    run(state, move |conn| {
        Ok((checkins::partner_glance(conn, &actor)?, checkins::sharing(conn, actor.user)?))
    })
    .await
}

/// A partner's shared glance as the partner page words it.
pub(crate) fn glance_view(glance: &rules::PartnerGlance) -> Value {
    json!({
        "today": glance.checked_in_today,
        "average": glance.weekly_mood_average.map(mood_in_words),
    })
}

/// A mean mood as "3.4, about “In between”".
fn mood_in_words(mean: f64) -> String {
    let nearest = [1u8, 2, 3, 4, 5]
        .into_iter()
        .min_by(|a, b| (f64::from(*a) - mean).abs().total_cmp(&(f64::from(*b) - mean).abs()))
        .and_then(Mood::new)
        .map_or("", Mood::words);
    format!("{mean:.1}, about “{nearest}”")
}
