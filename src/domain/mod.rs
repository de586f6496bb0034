//! Pure rules of the product: no actix, no diesel. Input is parsed into these types at the edge.

pub mod access_code;
pub mod account;
pub mod checkins;
pub mod device;
pub mod drip;
pub mod enrollment;
pub mod ids;
pub mod notifications;
pub mod progress;
pub mod reflections;
pub mod reminders;
pub mod return_path;
pub mod search;
pub mod tracks;
pub mod utc;
pub mod worksheet;
