//! The newcomer's path over HTML on both databases: course page -> register -> signed in on
//! the course -> confirm the address from the mail, and every form re-shown with its errors
//! beside the fields, in the summary at the top, and with what was typed.

use mend::domain::account::Role;

use crate::both_backends;
use crate::learner_web::text;
use crate::support::{Browser, PASSWORD, TestApp};

const COURSE: &str = "/courses/rebuilding-trust";

/// A form's path, what is typed, the status it answers, the fields with errors and the values
/// the re-shown form keeps.
type FormCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a [&'a str], &'a [&'a str]);

/// The page shows `field`'s problem beside it (tied by `aria-describedby`) and in the summary
/// at the top, linked to the field.
fn shows_error(page: &str, field: &str, what: &str) {
    assert!(page.contains(r#"class="error-summary""#), "{what}: a summary\n{page}");
    assert!(
        page.contains(&format!(r##"<a href="#{field}">"##)),
        "{what}: linked to {field}\n{page}"
    );
    assert!(page.contains(&format!(r#"id="{field}-error""#)), "{what}: beside {field}\n{page}");
    let described = format!(r#"aria-describedby="{field}-error"#);
    assert!(page.contains(&described), "{what}: {field} described by its error\n{page}");
}

/// The error summary links and the field messages are sentences, not field names.
fn reads_as_sentences(page: &str, what: &str) {
    for raw in ["access_code:", "display_name:", "current_password:", "time_zone:"] {
        assert!(!page.contains(raw), "{what}: no raw field name {raw}\n{page}");
    }
}

both_backends! {
    async fn registering_from_a_course_lands_signed_in_on_it_and_confirming_returns_there(app: TestApp) {
        let browser = Browser::new(&app);
        let enrol = browser.submit(&format!("{COURSE}/enroll"), &[("access_code", "")]).await;
        let sign_in = enrol.headers()["location"].to_str().unwrap().to_owned();
        let (_, page) = text(browser.get(&sign_in).await).await;
        let register = "/account/register?next=%2Fcourses%2Frebuilding-trust";
        assert!(page.contains(register), "sign-in offers registering with the way back\n{page}");
        let (_, form) = text(browser.get(register).await).await;
        assert!(form.contains(r#"name="next" value="/courses/rebuilding-trust""#), "{form}");

        let fields = [("email", "new@example.test"), ("display_name", "Robin"),
            ("password", PASSWORD), ("next", COURSE)];
        let registered = browser.submit("/account/register", &fields).await;
        assert_eq!(registered.status(), 303);
        assert_eq!(registered.headers()["location"], COURSE, "back on the course");
        let (status, course) = text(browser.get(COURSE).await).await;
        assert_eq!(status, 200);
        assert!(course.contains("Your account") && course.contains("Sign out"), "signed in\n{course}");
        assert!(course.contains(r#"name="access_code""#), "ready to enrol\n{course}");

        let link = app.link_to("new@example.test", 1, "/account/verify").await;
        assert!(link.contains("next=%2Fcourses%2Frebuilding-trust"), "{link}");
        let (_, confirm) = text(browser.get(&link).await).await;
        assert!(confirm.contains(r#"name="next" value="/courses/rebuilding-trust""#), "{confirm}");
        let token = link.split("token=").nth(1).unwrap();
        let fields = [("token", token), ("next", COURSE)];
        let (status, done) = text(browser.submit("/account/verify", &fields).await).await;
        assert_eq!(status, 200);
        assert!(done.contains(r#"href="/courses/rebuilding-trust">Carry on where you were"#), "{done}");
        let (_, course) = text(browser.get(COURSE).await).await;
        assert!(course.contains("Sign out"), "still signed in");
        assert!(!course.contains("Please confirm your email address"), "confirmed\n{course}");
    }

    async fn a_confirmation_link_in_another_browser_confirms_but_does_not_sign_in(app: TestApp) {
        let browser = Browser::new(&app);
        let fields = [("email", "elsewhere@example.test"), ("display_name", "Robin"),
            ("password", PASSWORD), ("next", COURSE)];
        assert_eq!(browser.submit("/account/register", &fields).await.status(), 303);
        let link = app.link_to("elsewhere@example.test", 1, "/account/verify").await;
        let token = link.split("token=").nth(1).unwrap();
        let phone = Browser::new(&app);
        let fields = [("token", token), ("next", COURSE)];
        let (status, done) = text(phone.submit("/account/verify", &fields).await).await;
        assert_eq!(status, 200);
        assert!(done.contains("your email is confirmed"), "{done}");
        let sign_in = r#"href="/account/sign-in?next=%2Fcourses%2Frebuilding-trust">Sign in"#;
        assert!(done.contains(sign_in), "offers signing in with the way back\n{done}");
        assert_eq!(phone.account_status().await, 401, "a mail link alone signs nobody in");
    }

    async fn a_used_confirmation_link_offers_a_new_one_on_the_same_page(app: TestApp) {
        let browser = Browser::new(&app);
        assert_eq!(browser.register("used@example.test").await.status(), 303);
        let first = app.link_to("used@example.test", 1, "/account/verify").await;
        assert_eq!(browser.submit("/account/verify/resend", &[]).await.status(), 200);
        let token = first.split("token=").nth(1).unwrap();
        let (status, page) = text(browser.submit("/account/verify", &[("token", token)]).await).await;
        assert_eq!(status, 400, "the newer link voided this one");
        assert!(page.contains("This link has expired or was already used"), "{page}");
        assert!(page.contains(r#"action="/account/verify/resend""#), "a button for a new one\n{page}");
        assert!(page.contains("Send me a new link"), "{page}");

        let visitor = Browser::new(&app);
        let (status, page) = text(visitor.submit("/account/verify", &[("token", token)]).await).await;
        assert_eq!(status, 400);
        assert!(page.contains(r#"href="/account/sign-in?next=/account""#), "{page}");
        app.read_all_mail().await;
    }

    async fn a_refused_access_code_re_shows_the_course_page_with_the_code(app: TestApp) {
        let learner = app.signed_in_as("coded@example.test", Role::Learner).await;
        let cases = [("NOPE-NOPE", "That access code isn"), ("", "Enter the access code you were given."),
            ("   ", "Enter the access code you were given.")];
        for (typed, message) in cases {
            let response = learner.submit(&format!("{COURSE}/enroll"), &[("access_code", typed)]).await;
            let (status, page) = text(response).await;
            assert_eq!(status, 422, "{typed:?}");
            shows_error(&page, "access_code", typed);
            reads_as_sentences(&page, typed);
            assert!(page.contains(message), "{typed:?}: {message}\n{page}");
            assert!(page.contains(&format!(r#"value="{typed}""#)), "{typed:?} kept\n{page}");
            assert!(page.contains("Course outline") && page.contains("<h1>"), "page intact\n{page}");
        }
        let code = app.sample_access_code();
        let enrolled = learner.submit(&format!("{COURSE}/enroll"), &[("access_code", &code)]).await;
        assert_eq!(enrolled.status(), 303, "the right code still works");
    }

    async fn every_account_form_shows_errors_beside_fields_and_keeps_what_was_typed(app: TestApp) {
        let visitor = Browser::new(&app);
        let long_name = "N".repeat(81);
        let cases: [FormCase; 4] = [
            ("/account/register", vec![("email", "not-an-email"), ("display_name", &long_name), ("password", "short")],
                422, &["email", "display_name", "password"], &["not-an-email", &long_name]),
            ("/account/sign-in", vec![("email", "nobody@example.test"), ("password", "a wrong password")],
                401, &["email"], &["nobody@example.test"]),
            ("/account/forgot", vec![("email", "nope")], 422, &["email"], &["nope"]),
            ("/account/reset", vec![("token", "kept-token"), ("password", "short")], 422, &["password"], &["kept-token"]),
        ];
        for (path, fields, status, errors, kept) in &cases {
            check_form(&visitor, path, fields, *status, errors, kept).await;
        }

        let learner = app.signed_in_as("forms@example.test", Role::Learner).await;
        let cases: [FormCase; 4] = [
            ("/account/profile", vec![("display_name", &long_name), ("time_zone", "Mars/Olympus")],
                422, &["display_name", "time_zone"], &[&long_name]),
            ("/account/password", vec![("current_password", "not the one"), ("password", "a fresh long one")],
                422, &["current_password"], &[]),
            ("/account/email", vec![("email", "still-not-an-email"), ("current_password", PASSWORD)],
                422, &["email"], &["still-not-an-email"]),
            ("/account/delete", vec![("password", "not the one")], 422, &["password"], &[]),
        ];
        for (path, fields, status, errors, kept) in &cases {
            check_form(&learner, path, fields, *status, errors, kept).await;
        }
    }

    async fn a_used_reset_link_says_so_and_offers_a_new_one(app: TestApp) {
        let browser = Browser::new(&app);
        let fields = [("token", "no-such-token"), ("password", "a long new password")];
        let (status, page) = text(browser.submit("/account/reset", &fields).await).await;
        assert_eq!(status, 400);
        shows_error_without_field(&page);
        assert!(page.contains(r#"href="/account/forgot""#), "{page}");
    }

    async fn the_reset_page_button_signs_in_and_saving_the_profile_says_saved(app: TestApp) {
        let learner = app.signed_in_as("saved@example.test", Role::Learner).await;
        let fields = [("display_name", "Robin"), ("time_zone", "Europe/London")];
        let saved = learner.submit("/account/profile", &fields).await;
        assert_eq!(saved.status(), 303);
        let location = saved.headers()["location"].to_str().unwrap().to_owned();
        let (_, page) = text(learner.get(&location).await).await;
        assert!(page.contains("Saved"), "{page}");
        assert!(page.contains(r#"value="Robin""#), "{page}");
        let (_, fresh) = text(learner.get("/account/profile").await).await;
        assert!(!fresh.contains("Saved."), "only right after saving\n{fresh}");

        let visitor = Browser::new(&app);
        visitor.forgot("saved@example.test").await;
        let link = app.link_to("saved@example.test", 1, "/account/reset").await;
        let (status, done) = text(visitor.reset(&link, "a long new password").await).await;
        assert_eq!(status, 200);
        assert!(done.contains(r#"href="/account/sign-in">Sign in"#), "{done}");
        app.read_all_mail().await;
    }
}

/// A bad reset link is named in the summary, linked to the notice that offers a new link.
fn shows_error_without_field(page: &str) {
    assert!(page.contains(r##"<a href="#token">"##), "{page}");
    assert!(page.contains(r#"id="token""#), "{page}");
}

/// Submits `fields` to `path` and checks each named field's error and every kept value.
async fn check_form(
    browser: &Browser<'_>,
    path: &str,
    fields: &[(&str, &str)],
    status: u16,
    errors: &[&str],
    kept: &[&str],
) {
    let (got, page) = text(browser.submit(path, fields).await).await;
    assert_eq!(got, status, "{path}\n{page}");
    for field in errors {
        shows_error(&page, field, path);
    }
    reads_as_sentences(&page, path);
    for value in kept {
        assert!(page.contains(&format!(r#"value="{value}""#)), "{path} keeps {value}\n{page}");
    }
    for (name, value) in fields {
        if name.contains("password") {
            assert!(!page.contains(value), "{path} never echoes a password\n{page}");
        }
    }
}
