//! One file per table: the rows, the forms that write them, and the queries that read them.

pub mod access_code;
pub mod audit;
pub mod checkin;
pub mod checkin_share;
pub mod email_token;
pub mod enrollment;
pub mod enrollment_admin;
pub mod enrollment_invitation;
pub mod lesson_progress;
pub mod notification_preference;
pub mod outbox;
pub mod partnership;
pub mod people;
pub mod personal_data;
pub mod progress_share;
pub mod reflection_answer;
pub mod reminder_log;
pub mod report;
pub mod session;
pub mod signature;
pub mod user;
pub mod worksheet;
