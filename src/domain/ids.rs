//! Typed row ids. Every table's key is a plain integer in the database; here each one gets its
//! own type, so a call such as `set_access_code(conn, user_id, course, access_code_id)` cannot
//! compile with its ids swapped. The database layer converts at its edge (`get` and `From<i64>`);
//! nothing above it handles a bare `i64` id.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// The stored integer, for the database layer.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An account (`users.id`).
    UserId
);
id_type!(
    /// One learner's place in one course (`enrollments.id`).
    EnrollmentId
);
id_type!(
    /// An access code that admits learners to a course (`access_codes.id`).
    AccessCodeId
);
id_type!(
    /// A filled-in worksheet: one learner's, or one couple's (`worksheets.id`).
    WorksheetId
);
id_type!(
    /// An invitation between two learners, and the link it becomes (`partnerships.id`).
    PartnershipId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_print_as_numbers() {
        let id = UserId::from(42);
        assert_eq!(id.get(), 42);
        assert_eq!(id.to_string(), "42");
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
    }
}
