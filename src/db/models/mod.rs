//! One file per table: the rows, the forms that write them, and the queries that read them.

pub mod email_token;
pub mod outbox;
pub mod session;
pub mod user;
