//! One file per table: the rows, the forms that write them, and the queries that read them.

pub mod audit;
pub mod email_token;
pub mod outbox;
pub mod personal_data;
pub mod session;
pub mod user;
