//! Partners: invitations, links, ending them, and what each partner can see of the other.

use mend::db::Database;
use mend::db::models::partnership::{self, ActiveLink, EndReason, NewInvitation, STATUS_PENDING};
use mend::domain::account::Role;
use mend::domain::ids::UserId;
use mend::partners::Ended;

use crate::both_backends;
use crate::support::{PASSWORD, TestDb, epoch};

/// A learner account made directly in the database.
fn learner(conn: &mut mend::db::DbConnection, email: &str) -> UserId {
    let account = mend::accounts::Registration::parse(email, "Sam", PASSWORD.into()).unwrap();
    let user =
        mend::accounts::create_verified_user(conn, &account, Role::Learner, epoch()).unwrap();
    UserId::from(user.id)
}

both_backends! {
    async fn a_link_holds_one_slot_per_learner_and_ends_in_one_transaction(test_db: TestDb) {
        let db = Database::connect(&test_db.url, 2).unwrap();
        db.migrate().unwrap();
        let mut conn = db.connection().unwrap();
        let conn = &mut *conn;
        let now = epoch().naive_utc();
        let (ana, ben) = (learner(conn, "ana@example.com"), learner(conn, "ben@example.com"));
        let new = NewInvitation {
            inviter_id: ana,
            invite_email: "ben@example.com",
            invite_token_hash: "hash",
            status: STATUS_PENDING,
            created_at: now,
            expires_at: now + mend::partners::INVITATION_VALID,
        };
        let invitation = partnership::insert(conn, &new).unwrap();
        assert!(partnership::claim_slot(conn, ana, invitation, now).unwrap());
        let second = partnership::insert(conn, &NewInvitation { invite_token_hash: "other", ..new }).unwrap();
        assert!(!partnership::claim_slot(conn, ana, second, now).unwrap(), "one link per learner");
        assert_eq!(partnership::active_for_user(conn, ana).unwrap(), None, "pending is not linked");

        assert_eq!(partnership::activate(conn, invitation, ben, now).unwrap(), 1);
        assert!(partnership::claim_slot(conn, ben, invitation, now).unwrap());
        let link = ActiveLink { id: invitation, partner: ben };
        assert_eq!(partnership::active_for_user(conn, ana).unwrap(), Some(link));
        let seen_by_ben = partnership::active_for_user(conn, ben).unwrap().unwrap();
        assert_eq!(seen_by_ben.partner, ana);

        let notice = mend::partners::ended_notice(
            &mend::templates::EmailTemplates::load().unwrap(),
            &url::Url::parse("http://mend.test").unwrap(),
        ).unwrap();
        let ended = mend::db::write_transaction(conn, |conn| {
            mend::partners::end_within(conn, ben, EndReason::Ended, &notice, now)
        }).unwrap();
        assert_eq!(ended, Some(Ended::Link(ActiveLink { id: invitation, partner: ana })));
        assert_eq!(partnership::active_for_user(conn, ana).unwrap(), None);
        assert_eq!(partnership::active_for_user(conn, ben).unwrap(), None);
        assert!(partnership::claim_slot(conn, ana, second, now).unwrap(), "the slot is free again");
        let again = mend::db::write_transaction(conn, |conn| {
            mend::partners::end_within(conn, ben, EndReason::Ended, &notice, now)
        }).unwrap();
        assert_eq!(again, None);
    }
}
