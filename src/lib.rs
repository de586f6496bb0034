//! Mend: an online course platform for recovery curricula.
//!
//! The folders tell the architecture: `content` compiles Markdown, `db` stores, `web` speaks
//! HTTP, `domain` holds the rules, `learning` applies them for one learner over the database,
//! `auth` knows who is asking, `partners` links two learners and guards what they share,
//! `mail` sends what the others queue, `notifications` keeps what mail each learner wants.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod checkins;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod db;
pub mod documents;
pub mod domain;
pub mod error;
pub mod learning;
pub mod mail;
pub mod notifications;
pub mod partners;
pub mod reflections;
pub mod reminders;
pub mod startup;
pub mod telemetry;
pub mod templates;
pub mod web;
pub mod worksheets;
