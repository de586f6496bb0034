//! One file per table: the rows, the forms that write them, and the queries that read them.

pub mod outbox;
pub mod user;
