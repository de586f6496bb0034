//! Integration tests: one binary, each test with its own app, port, database and clock.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly on any unexpected error"
)]

mod logs;
#[expect(dead_code, reason = "the integration tests need no browser")]
mod runner;
mod smtp;
mod support;

mod accounts;
mod admin_audit;
mod admin_codes_outbox;
mod admin_enrolments;
mod admin_nudges;
mod admin_people;
mod admin_reports;
mod author_tools;
mod authorization;

mod checkins;
mod cli;
mod contract_pages;
mod courses;
mod delivery;
mod downloads;
mod edge_input;
mod error_pages;
mod flow;
mod health;
mod learner_api;
mod learner_web;
mod learning;
mod mail;
mod notifications;
mod openapi;
mod pages;
mod partner_mail;
mod partners;
mod reflections;
mod reminder_emails;
mod reminders;
mod reminders_fortnight;
mod safety;
mod storage;
mod tracks;
mod worksheet_pages;
mod worksheets;

fn main() {
    runner::main();
}
