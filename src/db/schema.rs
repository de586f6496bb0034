//! The one schema both backends share. Kept by hand in step with `migrations/{sqlite,postgres}`;
//! the `schema_matches_migrations` test selects every column below on both databases.

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        email_verified_at -> Nullable<Timestamp>,
        time_zone -> Text,
        locale -> Text,
        failed_logins -> Integer,
        last_failed_login_at -> Nullable<Timestamp>,
        deactivated_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        search_key -> Text,
        discreet_titles -> Bool,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        user_agent -> Text,
        remember -> Bool,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        new_email -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    access_codes (id) {
        id -> BigInt,
        code -> Text,
        course_slug -> Text,
        max_uses -> Nullable<Integer>,
        uses -> Integer,
        expires_at -> Nullable<Timestamp>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        note -> Text,
    }
}

diesel::table! {
    enrollments (id) {
        id -> BigInt,
        user_id -> BigInt,
        course_slug -> Text,
        status -> Text,
        access_code_id -> Nullable<BigInt>,
        enrolled_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        paused_at -> Nullable<Timestamp>,
        paused_seconds -> BigInt,
        completed_at -> Nullable<Timestamp>,
        last_activity_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        reminders_enabled -> Bool,
        track -> Nullable<Text>,
    }
}

diesel::table! {
    lesson_progress (id) {
        id -> BigInt,
        user_id -> BigInt,
        course_slug -> Text,
        lesson_slug -> Text,
        first_viewed_at -> Nullable<Timestamp>,
        unlocked_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        content_hash -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    partnerships (id) {
        id -> BigInt,
        inviter_id -> BigInt,
        invitee_id -> Nullable<BigInt>,
        invite_email -> Nullable<Text>,
        invite_token_hash -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        ended_reason -> Nullable<Text>,
        ended_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    partnership_members (user_id) {
        user_id -> BigInt,
        partnership_id -> BigInt,
        joined_at -> Timestamp,
    }
}

diesel::table! {
    progress_shares (id) {
        id -> BigInt,
        partnership_id -> BigInt,
        owner_id -> BigInt,
        course_slug -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    worksheets (id) {
        id -> BigInt,
        owner_id -> BigInt,
        partnership_id -> Nullable<BigInt>,
        course_slug -> Text,
        worksheet_slug -> Text,
        status -> Text,
        revision -> Integer,
        shared_with_partner -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    worksheet_revisions (id) {
        id -> BigInt,
        worksheet_id -> BigInt,
        number -> Integer,
        author_id -> Nullable<BigInt>,
        template_hash -> Text,
        content_hash -> Text,
        key_id -> Text,
        nonce -> Binary,
        ciphertext -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reflection_answers (id) {
        id -> BigInt,
        user_id -> BigInt,
        course_slug -> Text,
        lesson_slug -> Text,
        reflection_id -> Text,
        key_id -> Text,
        nonce -> Binary,
        ciphertext -> Binary,
        share -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    signatures (id) {
        id -> BigInt,
        worksheet_id -> BigInt,
        revision -> Integer,
        user_id -> Nullable<BigInt>,
        full_name -> Text,
        content_hash -> Text,
        signed_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        list_unsubscribe -> Nullable<Text>,
        auto_submitted -> Bool,
        payload -> Nullable<Text>,
    }
}

diesel::table! {
    reminder_log (id) {
        id -> BigInt,
        user_id -> BigInt,
        course_slug -> Text,
        kind -> Text,
        outbox_id -> Nullable<BigInt>,
        sent_at -> Timestamp,
        enrollment_id -> Nullable<BigInt>,
        tier -> Nullable<Integer>,
        dedupe_key -> Nullable<Text>,
    }
}

diesel::table! {
    notification_preferences (user_id) {
        user_id -> BigInt,
        new_lessons -> Bool,
        partner_updates -> Bool,
        digest -> Bool,
        discreet -> Bool,
        window_start_minute -> Integer,
        window_end_minute -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        detail -> Text,
        created_at -> Timestamp,
        ip -> Nullable<Text>,
    }
}

diesel::table! {
    enrollment_invitations (id) {
        id -> BigInt,
        email -> Text,
        display_name -> Text,
        course_slug -> Text,
        enrollment_expires_at -> Nullable<Timestamp>,
        token_hash -> Text,
        invited_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        link_expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        accepted_by -> Nullable<BigInt>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    checkins (id) {
        id -> BigInt,
        user_id -> BigInt,
        local_date -> Date,
        time_zone -> Text,
        key_id -> Text,
        nonce -> Binary,
        ciphertext -> Binary,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    checkin_shares (user_id) {
        user_id -> BigInt,
        partnership_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(email_tokens -> users (user_id));
diesel::joinable!(enrollments -> users (user_id));
diesel::joinable!(enrollments -> access_codes (access_code_id));
diesel::joinable!(lesson_progress -> users (user_id));
diesel::joinable!(partnership_members -> partnerships (partnership_id));
diesel::joinable!(progress_shares -> partnerships (partnership_id));
diesel::joinable!(worksheets -> partnerships (partnership_id));
diesel::joinable!(worksheet_revisions -> worksheets (worksheet_id));
diesel::joinable!(signatures -> worksheets (worksheet_id));
diesel::joinable!(reminder_log -> outbox (outbox_id));
diesel::joinable!(notification_preferences -> users (user_id));
diesel::joinable!(reflection_answers -> users (user_id));
diesel::joinable!(checkins -> users (user_id));
diesel::joinable!(checkin_shares -> partnerships (partnership_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    email_tokens,
    access_codes,
    enrollments,
    lesson_progress,
    partnerships,
    partnership_members,
    progress_shares,
    worksheets,
    worksheet_revisions,
    reflection_answers,
    signatures,
    outbox,
    reminder_log,
    notification_preferences,
    audit_log,
    enrollment_invitations,
    checkins,
    checkin_shares,
);
