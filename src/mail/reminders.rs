//! Rendering the reminder mails (nudge, new lessons, weekly digest) from
//! `templates/emails/<name>/{subject.txt, preview.txt, body.txt, body.html}`, or from a
//! course's own wording under `content/<course>/emails/<name>/`.
//!
//! Every template gets one context (listed in [`variables`]). In discreet mode (the default)
//! templates show no course, lesson or worksheet title and link only to the app; `mend check`
//! renders every override with sentinel titles and rejects one that would show them.
//! Bodies are fragments: the footer (why you get this, "Manage notifications", "Unsubscribe")
//! and the HTML layout with its hidden preview line are added here, so no override can drop
//! the way out.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Value, json};
use tera::{Context, Tera};

use crate::content::{Course, EmailCheck, EmailOverride, EmailPart, EmailProblem, Lesson};
use crate::mail::{MailError, RenderedEmail};
use crate::templates::EmailTemplates;

/// Who a reminder goes to, and the links every reminder carries.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    /// Greeting name.
    pub display_name: &'a str,
    /// Neutral subjects, no titles, one link to the app.
    pub discreet: bool,
    /// One-click unsubscribe for this kind of mail (the footer link).
    pub unsubscribe_url: &'a str,
    /// The Notifications page.
    pub preferences_url: &'a str,
    /// The site, without a trailing slash.
    pub base_url: &'a str,
}

/// What a reminder says.
#[derive(Debug, Clone)]
pub enum ReminderMail<'a> {
    /// Inactivity nudge for one enrolment.
    Nudge {
        /// The course.
        course: &'a Course,
        /// 1-based tier.
        tier: u32,
        /// Whole days since the last activity.
        inactive_days: u32,
        /// Where to pick up, if anything is open.
        next_lesson: Option<&'a Lesson>,
    },
    /// Lessons opened by the drip schedule since the last such mail.
    NewLessons {
        /// The lessons, with their courses, in course order.
        opened: Vec<(&'a Course, &'a Lesson)>,
    },
    /// The opt-in weekly digest.
    Digest {
        /// Lessons completed in the learner's local week.
        completed_this_week: u32,
        /// Worksheets saved in the learner's local week.
        worksheets_saved_this_week: u32,
        /// The next lesson to read, if any.
        next: Option<(&'a Course, &'a Lesson)>,
    },
}

impl ReminderMail<'_> {
    /// The template name, also the outbox kind.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Nudge { .. } => "nudge",
            Self::NewLessons { .. } => "new_lessons",
            Self::Digest { .. } => "digest",
        }
    }

    /// The one course the mail is about, whose override applies: the nudge's course, the
    /// course of every opened lesson when they share one, the digest's next lesson's course.
    fn course(&self) -> Option<&Course> {
        match self {
            Self::Nudge { course, .. } => Some(course),
            Self::NewLessons { opened } => {
                let (first, _) = opened.first()?;
                opened.iter().all(|(c, _)| c.slug == first.slug).then_some(*first)
            }
            Self::Digest { next, .. } => next.map(|(course, _)| course),
        }
    }
}

/// Renders one reminder for one recipient, with the course's override when the mail concerns
/// one course and it has one. The preview line is inside the HTML body.
pub fn render_reminder(
    templates: &EmailTemplates,
    mail: &ReminderMail<'_>,
    to: &Recipient<'_>,
) -> Result<RenderedEmail, MailError> {
    let name = mail.name();
    let custom = mail.course().and_then(|course| course.email_overrides.get(name));
    let vars = variables(&Facts::of(mail), to);
    render_with(templates, name, custom, &vars)
}

/// A course and lesson as the templates see them.
#[derive(Debug, Clone, Copy)]
struct LessonRef<'a> {
    course_title: &'a str,
    course_slug: &'a str,
    title: &'a str,
    slug: &'a str,
}

impl<'a> LessonRef<'a> {
    fn of(course: &'a Course, lesson: &'a Lesson) -> Self {
        Self {
            course_title: &course.title,
            course_slug: &course.slug,
            title: &lesson.title,
            slug: &lesson.slug,
        }
    }

    fn json(&self, base_url: &str) -> Value {
        json!({
            "title": self.title,
            "course_title": self.course_title,
            "url": lesson_url(base_url, self.course_slug, self.slug),
        })
    }
}

/// What a mail says, without the catalog types, so `mend check` can render sample facts.
#[derive(Debug, Clone)]
enum Facts<'a> {
    Nudge { course: (&'a str, &'a str), tier: u32, inactive_days: u32, next: Option<LessonRef<'a>> },
    NewLessons { opened: Vec<LessonRef<'a>> },
    Digest { completed: u32, saved: u32, next: Option<LessonRef<'a>> },
}

impl<'a> Facts<'a> {
    fn of(mail: &ReminderMail<'a>) -> Self {
        match mail {
            ReminderMail::Nudge { course, tier, inactive_days, next_lesson } => Self::Nudge {
                course: (&course.title, &course.slug),
                tier: *tier,
                inactive_days: *inactive_days,
                next: next_lesson.map(|lesson| LessonRef::of(course, lesson)),
            },
            ReminderMail::NewLessons { opened } => Self::NewLessons {
                opened: opened.iter().map(|(c, l)| LessonRef::of(c, l)).collect(),
            },
            ReminderMail::Digest { completed_this_week, worksheets_saved_this_week, next } => {
                Self::Digest {
                    completed: *completed_this_week,
                    saved: *worksheets_saved_this_week,
                    next: next.map(|(c, l)| LessonRef::of(c, l)),
                }
            }
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Nudge { .. } => "nudge",
            Self::NewLessons { .. } => "new_lessons",
            Self::Digest { .. } => "digest",
        }
    }
}

/// The template variables, by name: the contract with authors of overrides.
type Vars = BTreeMap<&'static str, Value>;

fn lesson_url(base_url: &str, course: &str, lesson: &str) -> String {
    format!("{base_url}/courses/{course}/lessons/{lesson}")
}

/// Every variable a reminder template may use. Shared: `kind`, `display_name`, `discreet`,
/// `base_url`, `app_url`, `preferences_url`, `unsubscribe_url`. Nudge: `course_title`,
/// `course_url`, `tier`, `inactive_days`, `next_lesson` ({title, course_title, url} or none).
/// New lessons: `count`, `lessons` (list of {title, course_title, url}), `course_title` and
/// `course_url` (when all are in one course, else none). Digest: `completed_this_week`,
/// `worksheets_saved_this_week`, `next` ({title, course_title, url} or none).
fn variables(facts: &Facts<'_>, to: &Recipient<'_>) -> Vars {
    let base = to.base_url;
    let mut vars = Vars::from([
        ("kind", json!(facts.name())),
        ("display_name", json!(to.display_name)),
        ("discreet", json!(to.discreet)),
        ("base_url", json!(base)),
        ("app_url", json!(format!("{base}/dashboard"))),
        ("preferences_url", json!(to.preferences_url)),
        ("unsubscribe_url", json!(to.unsubscribe_url)),
    ]);
    let course_url = |slug: &str| json!(format!("{base}/courses/{slug}"));
    match facts {
        Facts::Nudge { course: (title, slug), tier, inactive_days, next } => {
            vars.insert("course_title", json!(title));
            vars.insert("course_url", course_url(slug));
            vars.insert("tier", json!(tier));
            vars.insert("inactive_days", json!(inactive_days));
            vars.insert("next_lesson", next.map_or(Value::Null, |l| l.json(base)));
        }
        Facts::NewLessons { opened } => {
            let one =
                opened.first().filter(|f| opened.iter().all(|l| l.course_slug == f.course_slug));
            vars.insert("count", json!(opened.len()));
            vars.insert("lessons", opened.iter().map(|l| l.json(base)).collect());
            vars.insert("course_title", one.map_or(Value::Null, |l| json!(l.course_title)));
            vars.insert("course_url", one.map_or(Value::Null, |l| course_url(l.course_slug)));
        }
        Facts::Digest { completed, saved, next } => {
            vars.insert("completed_this_week", json!(completed));
            vars.insert("worksheets_saved_this_week", json!(saved));
            vars.insert("next", next.map_or(Value::Null, |l| l.json(base)));
        }
    }
    vars
}

fn context_of(vars: &Vars) -> Context {
    let mut context = Context::new();
    for (name, value) in vars {
        context.insert(*name, value);
    }
    context
}

fn render_with(
    templates: &EmailTemplates,
    name: &str,
    custom: Option<&EmailOverride>,
    vars: &Vars,
) -> Result<RenderedEmail, MailError> {
    let mut context = context_of(vars);
    let part = |part| render_part(templates, name, custom, part, &context);
    let subject = one_line(&part(EmailPart::Subject)?);
    let preview = one_line(&part(EmailPart::Preview)?);
    let text = part(EmailPart::BodyText)?;
    let html = part(EmailPart::BodyHtml)?;
    context.insert("subject", &subject);
    context.insert("preview", &preview);
    context.insert("content", &html);
    let footer = render_named(templates, "emails/reminder_footer.txt", &context)?;
    let body_html = render_named(templates, "emails/reminder_layout.html", &context)?;
    let body_text = format!("{}\n\n{}\n", text.trim_end(), footer.trim_end());
    Ok(RenderedEmail { kind: name.to_owned(), subject, body_text, body_html })
}

/// One part from the override when it has it, else the built-in template.
fn render_part(
    templates: &EmailTemplates,
    name: &str,
    custom: Option<&EmailOverride>,
    part: EmailPart,
    context: &Context,
) -> Result<String, MailError> {
    match custom.and_then(|email| email.part(part)) {
        Some(source) => {
            let html = part == EmailPart::BodyHtml;
            templates.render_str(source, context, html).map_err(|source| MailError::Template {
                name: format!("course override emails/{name}/{}", part.file_name()),
                source,
            })
        }
        None => render_named(templates, &format!("emails/{name}/{}", part.file_name()), context),
    }
}

fn render_named(
    templates: &EmailTemplates,
    template: &str,
    context: &Context,
) -> Result<String, MailError> {
    templates
        .render(template, context)
        .map_err(|source| MailError::Template { name: template.to_owned(), source })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Marks every title and course link in the sample facts `mend check` renders, so a template
/// that would show one in discreet mode is caught even through filters such as `upper` or
/// `truncate`.
const SENTINEL: &str = "zqx";

/// Sample facts for template `name`, with sentinel titles and slugs.
fn sample(name: &str) -> Option<Facts<'static>> {
    let lesson = |n: usize| LessonRef {
        course_title: "Zqx Course Title",
        course_slug: "zqx-course",
        title: ["Zqx First Lesson", "Zqx Second Lesson"][n % 2],
        slug: ["zqx-first", "zqx-second"][n % 2],
    };
    match name {
        "nudge" => Some(Facts::Nudge {
            course: ("Zqx Course Title", "zqx-course"),
            tier: 2,
            inactive_days: 8,
            next: Some(lesson(0)),
        }),
        "new_lessons" => Some(Facts::NewLessons { opened: vec![lesson(0), lesson(1)] }),
        "digest" => Some(Facts::Digest { completed: 2, saved: 1, next: Some(lesson(1)) }),
        _ => None,
    }
}

const SAMPLE_LINKS: Recipient<'static> = Recipient {
    display_name: "Sam",
    discreet: true,
    unsubscribe_url: "https://mend.example/unsubscribe/sample",
    preferences_url: "https://mend.example/account/notifications",
    base_url: "https://mend.example",
};

/// Checks course email overrides for `mend check` and live reload: each part must parse, use
/// only the variables the mail provides, render with sample facts in both modes, and in
/// discreet mode show no title or course link anywhere.
pub struct OverrideCheck {
    templates: EmailTemplates,
}

impl fmt::Debug for OverrideCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OverrideCheck")
    }
}

impl OverrideCheck {
    /// A checker with its own copy of the built-in email templates.
    pub fn new() -> Result<Self, tera::Error> {
        Ok(Self { templates: EmailTemplates::load()? })
    }
}

impl EmailCheck for OverrideCheck {
    fn check(&self, name: &str, email: &EmailOverride) -> Vec<EmailProblem> {
        let Some(facts) = sample(name) else {
            return vec![problem(EmailPart::Subject, 1, 1, format!("unknown template {name:?}"))];
        };
        let known = variables(&facts, &SAMPLE_LINKS);
        let mut problems: Vec<EmailProblem> = EmailPart::ALL
            .into_iter()
            .filter_map(|part| Some((part, email.part(part)?)))
            .flat_map(|(part, source)| static_problems(part, source, &known))
            .collect();
        if problems.is_empty() {
            problems.extend(self.rendering_problems(name, email, &facts));
        }
        problems
    }
}

fn problem(part: EmailPart, line: usize, col: usize, message: String) -> EmailProblem {
    EmailProblem { part, line, col, message }
}

/// Syntax errors and unknown variables, found without rendering.
fn static_problems(part: EmailPart, source: &str, known: &Vars) -> Vec<EmailProblem> {
    let mut tera = Tera::new();
    if let Err(error) = tera.add_raw_template("override", source) {
        let (line, col, message) = located(&error);
        return vec![problem(part, line, col, message)];
    }
    let Ok(used) = tera.get_template_variables("override") else {
        return Vec::new();
    };
    let mut unknown: Vec<&str> = used.into_iter().filter(|v| !known.contains_key(v)).collect();
    unknown.sort_unstable();
    let names: Vec<&str> = known.keys().copied().collect();
    unknown
        .into_iter()
        .map(|variable| {
            let (line, col) = first_use(source, variable);
            let message = format!(
                "unknown variable `{variable}` (this template knows: {})",
                names.join(", ")
            );
            problem(part, line, col, message)
        })
        .collect()
}

impl OverrideCheck {
    /// Renders every part with the sample facts, discreet and not; in discreet mode the output
    /// must not contain the sentinel.
    fn rendering_problems(
        &self,
        name: &str,
        email: &EmailOverride,
        facts: &Facts<'_>,
    ) -> Vec<EmailProblem> {
        let mut problems = Vec::new();
        for discreet in [false, true] {
            let context = context_of(&variables(facts, &Recipient { discreet, ..SAMPLE_LINKS }));
            for part in EmailPart::ALL {
                let Some(source) = email.part(part) else {
                    continue;
                };
                match render_part(&self.templates, name, Some(email), part, &context) {
                    Err(MailError::Template { source: error, .. }) => {
                        let (line, col, message) = located(&error);
                        problems.push(problem(part, line, col, message));
                    }
                    Err(other) => problems.push(problem(part, 1, 1, other.to_string())),
                    Ok(text) if discreet && text.to_lowercase().contains(SENTINEL) => {
                        problems.push(discretion_problem(part, source));
                    }
                    Ok(_) => {}
                }
            }
            if !problems.is_empty() {
                break;
            }
        }
        problems
    }
}

/// Variables that carry a title or a course link.
const TITLED: [&str; 7] =
    ["course_title", "course_url", "next_lesson", "lessons", "next", "lesson", "title"];

fn discretion_problem(part: EmailPart, source: &str) -> EmailProblem {
    let first = TITLED.iter().filter_map(|v| find_word(source, v)).min();
    let (line, col) = first.map_or((1, 1), |offset| line_col(source, offset));
    let message = format!(
        "in discreet mode {} would show a course or lesson title or a course link; \
         put it inside {{% if not discreet %}} … {{% endif %}}",
        part.file_name()
    );
    problem(part, line, col, message)
}

/// Line, column (both 1-based) and message of a tera error, from its span when it has one.
fn located(error: &tera::Error) -> (usize, usize, String) {
    match error.kind() {
        tera::ErrorKind::SyntaxError(report) => {
            let span = report.span();
            let message = format!("template does not parse: {}", report.message());
            (span.start_line.max(1), span.start_col + 1, message)
        }
        tera::ErrorKind::RenderingError(report) => {
            let span = report.span();
            let message = format!("template fails with sample values: {}", report.message());
            (span.start_line.max(1), span.start_col + 1, message)
        }
        other => (1, 1, other.to_string()),
    }
}

/// Where `variable` is first used as a whole word (line and column), 1:1 if nowhere.
fn first_use(source: &str, variable: &str) -> (usize, usize) {
    find_word(source, variable).map_or((1, 1), |offset| line_col(source, offset))
}

fn find_word(source: &str, variable: &str) -> Option<usize> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    source.match_indices(variable).map(|(i, _)| i).find(|&i| {
        let before = source[..i].chars().next_back().is_none_or(|c| !word(c));
        let after = source[i + variable.len()..].chars().next().is_none_or(|c| !word(c));
        before && after
    })
}

fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::content::Catalog;

    const BANNED: [&str; 10] = [
        "recover", "addict", "betray", "affair", "sex", "porn", "trauma", "contract", "intimacy",
        "relapse",
    ];

    fn sample_catalog() -> std::sync::Arc<Catalog> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        crate::content::compile(&root).unwrap().catalog.unwrap()
    }

    fn to(discreet: bool) -> Recipient<'static> {
        Recipient { discreet, ..SAMPLE_LINKS }
    }

    /// The hidden preview line of the HTML body.
    fn preview(email: &RenderedEmail) -> &str {
        let start = email.body_html.find("mso-hide:all;\">").unwrap() + "mso-hide:all;\">".len();
        let rest = &email.body_html[start..];
        &rest[..rest.find("&#8203;").unwrap()]
    }

    fn lessons(course: &Course) -> Vec<&Lesson> {
        course.modules.iter().flat_map(|m| &m.lessons).collect()
    }

    /// Every reminder the sample course could produce: each lesson as the next one, each as
    /// newly opened (alone and all together), with and without a next lesson.
    fn every_mail(course: &Course) -> Vec<ReminderMail<'_>> {
        let all = lessons(course);
        let mut mails = vec![
            ReminderMail::Nudge { course, tier: 1, inactive_days: 3, next_lesson: None },
            ReminderMail::NewLessons { opened: all.iter().map(|l| (course, *l)).collect() },
            ReminderMail::Digest {
                completed_this_week: 0,
                worksheets_saved_this_week: 0,
                next: None,
            },
        ];
        for lesson in all {
            mails.push(ReminderMail::Nudge {
                course,
                tier: 3,
                inactive_days: 15,
                next_lesson: Some(lesson),
            });
            mails.push(ReminderMail::NewLessons { opened: vec![(course, lesson)] });
            mails.push(ReminderMail::Digest {
                completed_this_week: 1,
                worksheets_saved_this_week: 2,
                next: Some((course, lesson)),
            });
        }
        mails
    }

    #[test]
    fn discreet_reminders_name_nothing_of_the_sample_course() {
        let templates = EmailTemplates::load().unwrap();
        let catalog = sample_catalog();
        let mut checked = 0;
        for course in catalog.courses() {
            let mut titles = vec![course.title.to_lowercase(), course.slug.clone()];
            titles.extend(lessons(course).iter().map(|l| l.title.to_lowercase()));
            titles.extend(course.worksheets.values().map(|w| w.title.to_lowercase()));
            for mail in every_mail(course) {
                let email = render_reminder(&templates, &mail, &to(true)).unwrap();
                let parts = [
                    ("subject", email.subject.to_lowercase()),
                    ("preview", preview(&email).to_lowercase()),
                    ("text", email.body_text.to_lowercase()),
                    ("html", email.body_html.to_lowercase()),
                ];
                for (part, text) in &parts {
                    assert!(!text.trim().is_empty(), "{} {part} is empty", mail.name());
                    for word in BANNED.iter().map(|w| w.to_string()).chain(titles.iter().cloned()) {
                        assert!(
                            !text.contains(&word),
                            "{} {part} contains {word:?}:\n{text}",
                            mail.name()
                        );
                    }
                }
                checked += 1;
            }
        }
        assert!(checked > 30, "only {checked} mails checked");
    }

    #[test]
    fn discreet_subjects_come_from_a_small_fixed_set() {
        let templates = EmailTemplates::load().unwrap();
        let catalog = sample_catalog();
        let mut subjects: Vec<String> = catalog
            .courses()
            .iter()
            .flat_map(every_mail)
            .map(|mail| render_reminder(&templates, &mail, &to(true)).unwrap().subject)
            .collect();
        subjects.sort();
        subjects.dedup();
        assert_eq!(subjects, ["A note from Mend", "Something new on Mend", "Your weekly update"]);
    }

    #[test]
    fn discreet_bodies_link_only_to_the_app_and_the_footer() {
        let templates = EmailTemplates::load().unwrap();
        let catalog = sample_catalog();
        let course = &catalog.courses()[0];
        for mail in every_mail(course) {
            let email = render_reminder(&templates, &mail, &to(true)).unwrap();
            let links: Vec<&str> =
                email.body_text.split_whitespace().filter(|w| w.starts_with("https://")).collect();
            assert_eq!(
                links,
                [
                    "https://mend.example/dashboard",
                    "https://mend.example/account/notifications",
                    "https://mend.example/unsubscribe/sample"
                ],
                "{}",
                mail.name()
            );
            let hrefs = email.body_html.matches("href=").count();
            assert_eq!(hrefs, 3, "{}: {}", mail.name(), email.body_html);
        }
    }

    #[test]
    fn every_reminder_has_the_footer_and_an_inline_styled_html_part() {
        let templates = EmailTemplates::load().unwrap();
        let catalog = sample_catalog();
        for discreet in [true, false] {
            for mail in every_mail(&catalog.courses()[0]).iter().take(3) {
                let email = render_reminder(&templates, mail, &to(discreet)).unwrap();
                assert_eq!(email.kind, mail.name());
                assert!(
                    email.body_text.contains(
                        "Manage notifications: https://mend.example/account/notifications"
                    )
                );
                assert!(
                    email
                        .body_text
                        .contains("Unsubscribe: https://mend.example/unsubscribe/sample")
                );
                assert!(email.body_text.contains("You are getting this because"));
                assert!(email.body_html.contains(">Manage notifications</a>"));
                assert!(
                    email.body_html.contains("href=\"https://mend.example/unsubscribe/sample\"")
                );
                assert!(!email.body_html.contains("<img") && !email.body_html.contains("<link"));
                assert!(!email.body_html.contains("<style") && !email.body_html.contains("class="));
                assert!(!preview(&email).trim().is_empty());
                assert!(!email.subject.contains('\n'));
            }
        }
    }

    #[test]
    fn outside_discreet_mode_mails_name_the_course_and_list_the_lessons() {
        let templates = EmailTemplates::load().unwrap();
        let catalog = sample_catalog();
        let course = &catalog.courses()[0];
        let all = lessons(course);
        let nudge =
            ReminderMail::Nudge { course, tier: 1, inactive_days: 4, next_lesson: Some(all[1]) };
        let email = render_reminder(&templates, &nudge, &to(false)).unwrap();
        assert_eq!(email.subject, format!("A note about {}", course.title));
        assert!(email.body_text.contains("It has been 4 days"));
        assert!(email.body_text.contains(&format!("Next: {}", all[1].title)));
        let url = format!("https://mend.example/courses/{}/lessons/{}", course.slug, all[1].slug);
        assert!(email.body_text.contains(&url), "{}", email.body_text);
        let opened = ReminderMail::NewLessons { opened: vec![(course, all[2]), (course, all[3])] };
        let email = render_reminder(&templates, &opened, &to(false)).unwrap();
        assert_eq!(email.subject, format!("New lessons in {}", course.title));
        assert!(email.body_text.contains("2 new lessons have opened"));
        assert!(email.body_text.contains(&format!("- {}", all[2].title)), "{}", email.body_text);
        let one = ReminderMail::NewLessons { opened: vec![(course, all[2])] };
        let email = render_reminder(&templates, &one, &to(true)).unwrap();
        assert!(email.body_text.contains("A new lesson has opened"), "{}", email.body_text);
        // HTML escapes what it shows.
        let escaped = render_reminder(
            &templates,
            &nudge,
            &Recipient { display_name: "<b>Sam</b>", ..to(false) },
        )
        .unwrap();
        assert!(escaped.body_html.contains("&lt;b&gt;Sam"));
        assert!(escaped.body_text.contains("Hello <b>Sam</b>,"));
    }

    fn custom(parts: &[(EmailPart, &str)]) -> EmailOverride {
        EmailOverride {
            dir: PathBuf::from("c/emails/nudge"),
            parts: parts.iter().map(|(p, s)| (*p, (*s).to_owned())).collect(),
        }
    }

    const GOOD: [(EmailPart, &str); 3] = [
        (
            EmailPart::Subject,
            "{% if discreet %}Thinking of you{% else %}{{ course_title }} is waiting{% endif %}\n",
        ),
        (EmailPart::BodyText, "Hi {{ display_name }}, we saved your place.\n{{ app_url }}\n"),
        (EmailPart::BodyHtml, "<p>Hi {{ display_name }}, we saved your place.</p>\n"),
    ];

    #[test]
    fn a_course_override_replaces_the_wording_but_keeps_the_footer() {
        let templates = EmailTemplates::load().unwrap();
        let catalog = sample_catalog();
        let mut course = catalog.courses()[0].clone();
        course.email_overrides.insert("nudge".into(), custom(&GOOD));
        let mail =
            ReminderMail::Nudge { course: &course, tier: 1, inactive_days: 3, next_lesson: None };
        let email = render_reminder(&templates, &mail, &to(true)).unwrap();
        assert_eq!(email.subject, "Thinking of you");
        assert!(email.body_text.starts_with("Hi Sam, we saved your place."));
        assert!(email.body_text.contains("Unsubscribe: https://mend.example/unsubscribe/sample"));
        assert!(email.body_html.contains("<p>Hi Sam, we saved your place.</p>"));
        // No preview.txt: the built-in preview is used.
        assert_eq!(preview(&email), "No rush: everything is where you left it.");
        let loud = render_reminder(&templates, &mail, &to(false)).unwrap();
        assert_eq!(loud.subject, format!("{} is waiting", course.title));
        // Other kinds, and mail about several courses, keep the built-in wording.
        let digest = ReminderMail::Digest {
            completed_this_week: 0,
            worksheets_saved_this_week: 0,
            next: None,
        };
        assert_eq!(
            render_reminder(&templates, &digest, &to(true)).unwrap().subject,
            "Your weekly update"
        );
    }

    fn check(name: &str, parts: &[(EmailPart, &str)]) -> Vec<(EmailPart, usize, usize, String)> {
        let checker = OverrideCheck::new().unwrap();
        checker
            .check(name, &custom(parts))
            .into_iter()
            .map(|p| (p.part, p.line, p.col, p.message))
            .collect()
    }

    fn with(part: EmailPart, source: &'static str) -> Vec<(EmailPart, &'static str)> {
        let mut parts: Vec<_> = GOOD.iter().filter(|(p, _)| *p != part).copied().collect();
        parts.push((part, source));
        parts
    }

    #[test]
    fn overrides_that_are_fine_pass_the_check() {
        assert_eq!(check("nudge", &GOOD), []);
        let list = "{% for lesson in lessons %}{% if not discreet %}{{ lesson.title }}{% endif %}{% endfor %}{{ count }}\n";
        assert_eq!(check("new_lessons", &with(EmailPart::BodyText, list)), []);
    }

    #[test]
    fn unknown_variables_are_reported_where_they_are_used() {
        let problems = check(
            "nudge",
            &with(EmailPart::BodyText, "Hi {{ display_name }}.\nSee {{ lesson_title }}.\n"),
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        let (part, line, col, message) = &problems[0];
        assert_eq!((*part, *line, *col), (EmailPart::BodyText, 2, 8));
        assert!(
            message.starts_with("unknown variable `lesson_title` (this template knows: app_url,"),
            "{message}"
        );
        // A variable of another template is unknown here.
        let problems =
            check("digest", &with(EmailPart::BodyText, "{{ completed_this_week }} {{ tier }}\n"));
        let in_body: Vec<_> =
            problems.iter().filter(|p| p.0 == EmailPart::BodyText).map(|p| (p.1, p.2)).collect();
        assert_eq!(in_body, [(1, 30)], "{problems:?}");
    }

    #[test]
    fn templates_that_do_not_parse_are_reported_at_the_error() {
        let problems =
            check("nudge", &with(EmailPart::BodyHtml, "<p>Hi</p>\n<p>{% if discreet %}x</p>\n"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, EmailPart::BodyHtml);
        assert!(problems[0].1 >= 2, "{problems:?}");
    }

    #[test]
    fn titles_in_discreet_mode_are_rejected_in_any_part() {
        let cases = [
            (EmailPart::Subject, "A note about {{ course_title }}\n", (1, 17)),
            (
                EmailPart::Subject,
                "A note about {{ course_title | upper | truncate(length=4) }}\n",
                (1, 17),
            ),
            (
                EmailPart::BodyText,
                "Hello.\n{% if next_lesson %}{{ next_lesson.title }}{% endif %}\n",
                (2, 7),
            ),
            (EmailPart::BodyHtml, "<a href=\"{{ course_url }}\">Open</a>\n", (1, 13)),
            (EmailPart::Preview, "{{ course_title }}\n", (1, 4)),
        ];
        for (part, source, at) in cases {
            let problems = check("nudge", &with(part, source));
            assert_eq!(problems.len(), 1, "{source}: {problems:?}");
            let (got_part, line, col, message) = &problems[0];
            assert_eq!((*got_part, (*line, *col)), (part, at), "{source}");
            assert!(message.starts_with("in discreet mode"), "{message}");
        }
    }

    #[test]
    fn the_sample_course_compiles_with_the_override_check() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        let check: std::sync::Arc<dyn EmailCheck> =
            std::sync::Arc::new(OverrideCheck::new().unwrap());
        let compilation = crate::content::compile_with(&root, check).unwrap();
        assert_eq!(compilation.error_count(), 0, "{:#?}", compilation.diagnostics);
    }
}
