//! Browser tests: the real application in a real headless Chromium, driven over WebDriver.
//! Without Chromium and chromedriver installed each test is reported as ignored, unless
//! `MEND_REQUIRE_BROWSER=1` (as in CI) makes it run and fail.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly on any unexpected error"
)]

#[path = "../integration/logs.rs"]
mod logs;
#[path = "../integration/runner.rs"]
#[expect(dead_code, reason = "each test binary needs only some of the requirements")]
mod runner;
#[path = "../integration/smtp.rs"]
#[expect(dead_code, reason = "the browser tests use only part of the shared fixtures")]
mod smtp;
#[path = "../integration/support.rs"]
#[expect(dead_code, reason = "the browser tests use only part of the shared fixtures")]
mod support;

mod axe;
mod harness;

mod accessibility;
mod admin_import;
mod admin_people;
mod admin_reports;
mod checkins;
mod contract;
mod forms;
mod journey;
mod navigation;
mod notifications;
mod pages;
mod partners;
mod reflections;
mod safety;
mod tracks;
mod worksheets;

fn main() {
    runner::main();
}
