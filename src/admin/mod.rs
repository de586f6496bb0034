//! Admin services: the units of work behind the admin console and the admin API. Each writes
//! its audit entry in the same transaction as its change.

pub mod enrolments;
