//! Tracks: choosing and changing a learner's track keeps progress; progress, resume and
//! completion count the track's lessons; the track page, the API and `mend check`.

use std::path::Path;
use std::sync::Arc;

use diesel::prelude::*;
use mend::accounts::{self, Registration};
use mend::clock::TestClock;
use mend::content::Catalog;
use mend::db::Database;
use mend::db::schema::enrollments;
use mend::domain::account::Role;
use mend::domain::ids::UserId;
use mend::domain::tracks::{self, Choice};
use mend::learning::{self, LearningError};
use serde_json::{Value, json};

use crate::both_backends;
use crate::learner_web::{COURSE, enrolled, text};
use crate::support::{TestApp, TestDb, epoch, lessons_done, sample_content};

const COURSE_TOML: &str = "title = \"T\"\nenrollment = \"open\"\npublished = true\n\
    [[tracks]]\nid = \"betrayed\"\ntitle = \"For the partner who was betrayed\"\n\
    [[tracks]]\nid = \"betraying\"\ntitle = \"For the partner who broke trust\"\n";

/// `together` (everyone), `hurt` (betrayed), `steady` and `honest` (betraying), `end` (everyone).
fn write_content(root: &Path) {
    let module = root.join("t/01-m");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(root.join("t/course.toml"), COURSE_TOML).unwrap();
    std::fs::write(module.join("module.toml"), "title = \"M\"\n").unwrap();
    let lessons = [
        ("together", ""),
        ("hurt", "tracks = [\"betrayed\"]"),
        ("steady", "tracks = [\"betraying\"]"),
        ("honest", "tracks = [\"betraying\"]"),
        ("end", ""),
    ];
    for (i, (name, extra)) in lessons.iter().enumerate() {
        let text = format!("+++\ntitle = \"{name}\"\n{extra}\n+++\n\nAbout {name}.\n");
        std::fs::write(module.join(format!("{:02}-{name}.md", i + 1)), text).unwrap();
    }
}

struct Env {
    db: Database,
    clock: Arc<TestClock>,
    catalog: Arc<Catalog>,
    _content: tempfile::TempDir,
}

fn env(test_db: &TestDb) -> Env {
    let db = Database::connect(&test_db.url, 4).unwrap();
    db.migrate().unwrap();
    let content = tempfile::tempdir().unwrap();
    write_content(content.path());
    let compilation = mend::content::compile(content.path()).unwrap();
    let catalog = compilation.catalog.unwrap_or_else(|| panic!("{:?}", compilation.diagnostics));
    Env { db, clock: TestClock::at(epoch()), catalog, _content: content }
}

impl Env {
    fn at(&self, user_id: UserId) -> learning::LearnerCourse<'_> {
        learning::LearnerCourse {
            db: &self.db,
            clock: self.clock.as_ref(),
            catalog: &self.catalog,
            user_id,
            course_slug: "t",
        }
    }

    async fn learner(&self, email: &str) -> UserId {
        let account = Registration::parse(email, "Sam", crate::support::PASSWORD.into()).unwrap();
        let mut conn = self.db.connection().unwrap();
        let id = UserId::from(
            accounts::create_verified_user(&mut conn, &account, Role::Learner, epoch()).unwrap().id,
        );
        drop(conn);
        learning::enroll(self.at(id), None).await.unwrap();
        id
    }

    async fn view(&self, user: UserId) -> learning::CourseView {
        learning::course_view(self.at(user)).await.unwrap()
    }

    async fn choose(&self, user: UserId, track: Option<&str>) -> Option<String> {
        learning::choose_track(self.at(user), track.map(str::to_owned)).await.unwrap()
    }

    async fn complete(&self, user: UserId, lesson: &str) -> Result<bool, LearningError> {
        learning::complete_lesson(self.at(user), lesson).await.map(|c| c.course_complete)
    }

    fn enrolment(&self) -> (Option<String>, Option<chrono::NaiveDateTime>, chrono::NaiveDateTime) {
        enrollments::table
            .select((enrollments::track, enrollments::completed_at, enrollments::updated_at))
            .first(&mut *self.db.connection().unwrap())
            .unwrap()
    }
}

fn slugs(view: &learning::CourseView) -> Vec<&str> {
    view.lessons.iter().map(|l| l.slug.as_str()).collect()
}

both_backends! {
    async fn choosing_and_changing_a_track_keeps_progress(test_db: TestDb) {
        let env = env(&test_db);
        let learner = env.learner("a@example.org").await;
        let unchosen = env.view(learner).await;
        assert_eq!(slugs(&unchosen), ["together", "hurt", "steady", "honest", "end"]);
        assert!(unchosen.invites_track && unchosen.track.is_none());
        env.complete(learner, "together").await.unwrap();
        env.complete(learner, "hurt").await.unwrap();
        env.complete(learner, "steady").await.unwrap();

        assert_eq!(env.choose(learner, Some("betrayed")).await.as_deref(), Some("betrayed"));
        let betrayed = env.view(learner).await;
        assert_eq!(slugs(&betrayed), ["together", "hurt", "end"]);
        assert_eq!((betrayed.progress.done, betrayed.progress.total), (2, 3));
        assert_eq!((betrayed.track.as_deref(), betrayed.invites_track), (Some("betrayed"), false));

        assert_eq!(env.choose(learner, Some("betraying")).await.as_deref(), Some("betraying"));
        let betraying = env.view(learner).await;
        assert_eq!(slugs(&betraying), ["together", "steady", "honest", "end"]);
        assert_eq!((betraying.progress.done, betraying.progress.total), (2, 4));

        env.choose(learner, None).await;
        let everything = env.view(learner).await;
        assert_eq!((everything.progress.done, everything.progress.total), (3, 5), "nothing was lost");
        assert!(everything.invites_track);
    }

    async fn choosing_the_same_track_again_writes_nothing_and_unknown_tracks_are_refused(test_db: TestDb) {
        let env = env(&test_db);
        let learner = env.learner("a@example.org").await;
        env.choose(learner, Some("betrayed")).await;
        let before = env.enrolment();
        env.clock.advance(chrono::Duration::hours(1));
        env.choose(learner, Some("betrayed")).await;
        assert_eq!(env.enrolment(), before, "an unchanged choice is not written");
        let unknown = learning::choose_track(env.at(learner), Some("both".into())).await;
        assert!(matches!(unknown, Err(LearningError::UnknownTrack(_))), "{unknown:?}");
        assert_eq!(learning::current_track(env.at(learner)).await.unwrap().as_deref(), Some("betrayed"));
    }

    async fn resume_and_completion_count_only_the_track_lessons(test_db: TestDb) {
        let env = env(&test_db);
        let learner = env.learner("a@example.org").await;
        env.choose(learner, Some("betrayed")).await;
        assert_eq!(env.view(learner).await.resume.as_deref(), Some("together"));
        assert!(!env.complete(learner, "together").await.unwrap());
        assert_eq!(env.view(learner).await.resume.as_deref(), Some("hurt"));
        assert!(!env.complete(learner, "hurt").await.unwrap());
        assert!(matches!(env.complete(learner, "steady").await, Err(LearningError::OtherTrack)));
        assert!(env.complete(learner, "end").await.unwrap(), "the betrayed track is done");
        assert!(env.enrolment().1.is_some());

        // On the other track two lessons are still to do: the course is no longer complete.
        env.choose(learner, Some("betraying")).await;
        let view = env.view(learner).await;
        assert!(!view.progress.complete);
        assert_eq!(view.resume.as_deref(), Some("steady"));
        assert_eq!(env.enrolment().1, None, "completion is recounted for the new track");

        // Partners may be on different tracks.
        let partner = env.learner("b@example.org").await;
        env.choose(partner, Some("betraying")).await;
        assert_eq!(env.view(partner).await.progress.total, 4);
    }

    async fn the_track_page_offers_the_choice_and_the_outline_follows_it(app: TestApp) {
        let learner = enrolled(&app).await;
        let (_, course) = text(learner.get(COURSE).await).await;
        assert!(course.contains("Choose your track"), "{course}");
        let track = format!("{COURSE}/track");
        let (status, page) = text(learner.get(&track).await).await;
        assert_eq!(status, 200);
        assert!(page.contains(r#"type="radio" id="track-betrayed" name="track" value="betrayed""#), "{page}");
        let (status, none) = text(learner.submit(&track, &[]).await).await;
        assert_eq!(status, 422);
        assert!(none.contains("<title>Error: Mend</title>"), "neutral, and says something went wrong: {none}");
        assert_eq!(learner.submit(&track, &[("track", "both")]).await.status(), 422);

        let welcome = format!("{COURSE}/lessons/welcome");
        assert_eq!(learner.submit(&format!("{welcome}/complete"), &[]).await.status(), 303);
        let chosen = learner.submit(&track, &[("track", "betrayed")]).await;
        assert_eq!((chosen.status().as_u16(), chosen.headers()["location"].to_str().unwrap()), (303, COURSE));
        let (_, course) = text(learner.get(COURSE).await).await;
        assert!(course.contains("Your track: <strong>For the partner who was betrayed</strong>"), "{course}");
        assert!(course.contains("Your needs matter"), "the track's own lessons are listed");
        assert!(!course.contains("The involved partner"), "the other track's lessons are not listed");
        assert!(course.contains("Together"));
        let own = own_total("betrayed");
        assert_eq!(lessons_done(&course), Some((1, own)), "{course}");
        assert!(course.contains(&format!(" · {own} lessons · ")), "the header counts their own lessons: {course}");

        let (status, other) = text(learner.get(&format!("{COURSE}/lessons/the-involved-partners-first-steps")).await).await;
        assert_eq!(status, 404);
        assert!(other.contains("This lesson is on another track"), "{other}");
        assert!(other.contains(&track), "it leads to the track page");
        let (_, dashboard) = text(learner.get("/dashboard").await).await;
        assert!(dashboard.contains("Your track: For the partner who was betrayed"), "{dashboard}");

        assert_eq!(learner.submit(&track, &[("track", "betraying")]).await.status(), 303);
        let (_, course) = text(learner.get(COURSE).await).await;
        assert_eq!(lessons_done(&course), Some((1, own_total("betraying"))), "progress kept");
    }

    async fn the_track_api_reads_and_sets_the_track(app: TestApp) {
        let token = crate::learner_api::token(&app).await;
        let url = format!("{}/api/v1/courses/rebuilding-trust/track", app.address);
        let get = || app.client.get(&url).bearer_auth(&token);
        let put = |body: Value| app.client.put(&url).bearer_auth(&token).json(&body);
        assert_eq!(get().send().await.unwrap().status(), 404, "not enrolled");
        assert_eq!(put(json!({ "track": "betrayed" })).send().await.unwrap().status(), 404);
        let enrol = format!("{}/api/v1/courses/rebuilding-trust/enroll", app.address);
        let code = json!({ "access_code": app.sample_access_code() });
        assert_eq!(app.client.post(&enrol).bearer_auth(&token).json(&code).send().await.unwrap().status(), 201);

        let read: Value = get().send().await.unwrap().json().await.unwrap();
        assert_eq!(read["track"], Value::Null);
        assert_eq!(read["tracks"][0]["id"], "betrayed");
        assert_eq!(read["tracks"][1]["title"], "For the partner who broke trust");
        let saved: Value = put(json!({ "track": "betraying" })).send().await.unwrap().json().await.unwrap();
        assert_eq!(saved["track"], "betraying");
        assert_eq!(get().send().await.unwrap().json::<Value>().await.unwrap()["track"], "betraying");

        let refused = put(json!({ "track": "both" })).send().await.unwrap();
        assert_eq!(refused.status(), 422);
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "track", "{problem}");

        let outline: Value = app.client.get(format!("{}/api/v1/courses/rebuilding-trust", app.address))
            .bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(outline["track"], "betraying");
        assert_eq!(outline["progress"]["total"], own_total("betraying"));
        let lesson = format!("{}/api/v1/courses/rebuilding-trust/lessons/your-needs-matter", app.address);
        let other = app.client.get(&lesson).bearer_auth(&token).send().await.unwrap();
        assert_eq!(other.status(), 404);
        assert_eq!(other.json::<Value>().await.unwrap()["type"], "/problems/other-track");

        let cleared: Value = put(json!({ "track": null })).send().await.unwrap().json().await.unwrap();
        assert_eq!(cleared["track"], Value::Null);
    }

    async fn mend_check_places_track_problems_at_their_lines(test_db: TestDb) {
        drop(test_db);
        let dir = tempfile::tempdir().unwrap();
        let content = crate::support::copy_of_sample_content(dir.path());
        let lesson = content.join("rebuilding-trust/05-boundaries/03-holding-boundaries-with-kindness.md");
        let text = std::fs::read_to_string(&lesson).unwrap();
        std::fs::write(&lesson, text.replacen("minutes = 6\n", "minutes = 6\ntracks = [\"both\"]\n", 1)).unwrap();
        let compilation = mend::content::compile(&content).unwrap();
        let found: Vec<String> = compilation
            .diagnostics
            .iter()
            .map(|d| {
                let rel = d.path.strip_prefix(&content).unwrap().display().to_string();
                format!("{rel}:{}:{}: {}: {}", d.line, d.col, d.severity, d.message)
            })
            .collect();
        assert_eq!(
            found,
            ["rebuilding-trust/05-boundaries/03-holding-boundaries-with-kindness.md:5:11: error: unknown track \"both\"; course.toml declares \"betrayed\", \"betraying\"".to_owned()]
        );
    }
}

/// Lessons a learner on `track` sees in the sample course.
fn own_total(track: &str) -> usize {
    let catalog = mend::content::compile(&sample_content()).unwrap().catalog.unwrap();
    let course = catalog.course("rebuilding-trust").unwrap();
    tracks::lessons(course, Choice::of(course, Some(track))).count()
}
