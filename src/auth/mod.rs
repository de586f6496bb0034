//! Who is asking: passwords now; sessions, CSRF and rate limits as the accounts work lands.

pub mod password;
