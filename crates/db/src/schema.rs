//! The tables of both backends, written by hand to match migrations/postgres and
//! migrations/sqlite (a test checks the two trees give the same columns).

diesel::table! {
    installation_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Text,
        slug -> Text,
        currency -> Text,
        locale -> Text,
        goal -> BigInt,
        min_pledge -> BigInt,
        max_pledge -> BigInt,
        starts_at -> Timestamp,
        ends_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        title_kk -> Text,
        title_ru -> Text,
        title_en -> Text,
        summary_kk -> Text,
        summary_ru -> Text,
        summary_en -> Text,
        story_kk -> Text,
        story_ru -> Text,
        story_en -> Text,
        state -> Text,
        closed_at -> Nullable<Timestamp>,
        successor_id -> Nullable<Text>,
        allows_monthly -> Bool,
        source -> Text,
        imported_from -> Nullable<Text>,
    }
}

diesel::table! {
    campaign_presets (campaign_id, position) {
        campaign_id -> Text,
        position -> Integer,
        amount -> BigInt,
        label_kk -> Text,
        label_ru -> Text,
        label_en -> Text,
        is_default -> Bool,
    }
}

diesel::table! {
    budget_lines (id) {
        id -> Text,
        campaign_id -> Text,
        position -> Integer,
        key -> Text,
        tier -> Text,
        target -> Nullable<BigInt>,
        title_kk -> Text,
        title_ru -> Text,
        title_en -> Text,
    }
}

diesel::table! {
    pledges (id) {
        id -> Text,
        campaign_id -> Text,
        amount -> BigInt,
        currency -> Text,
        donor_name -> Nullable<Text>,
        email -> Nullable<Text>,
        anonymous -> Bool,
        hide_amount -> Bool,
        message -> Nullable<Text>,
        subscribe -> Bool,
        state -> Text,
        received -> BigInt,
        refunded -> BigInt,
        disputed -> BigInt,
        method -> Text,
        reference -> Nullable<Text>,
        provider_session_id -> Nullable<Text>,
        provider_payment_id -> Nullable<Text>,
        checkout_url -> Nullable<Text>,
        flag -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        counted_at -> Nullable<Timestamp>,
        provider -> Nullable<Text>,
        locale -> Nullable<Text>,
        decline_reason -> Nullable<Text>,
        subscription_id -> Nullable<Text>,
        receipt_code -> Nullable<Text>,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> Text,
        campaign_id -> Text,
        first_pledge_id -> Text,
        amount -> BigInt,
        currency -> Text,
        email -> Text,
        provider -> Text,
        provider_subscription_id -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        cancelled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> Text,
        campaign_id -> Text,
        pledge_id -> Text,
        kind -> Text,
        amount -> BigInt,
        currency -> Text,
        source -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    campaign_totals (campaign_id, shard) {
        campaign_id -> Text,
        shard -> SmallInt,
        net_raised -> BigInt,
        counted_pledges -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        state -> Text,
        resource_id -> Nullable<Text>,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    staff_users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    donor_links (id) {
        id -> Text,
        email -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    donor_sessions (id) {
        id -> Text,
        email -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    staff_sessions (id) {
        id -> Text,
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        actor_id -> Nullable<Text>,
        action -> Text,
        subject -> Text,
        details -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Text,
        provider -> Text,
        event_id -> Text,
        event_type -> Text,
        payload -> Text,
        outcome -> Text,
        detail -> Nullable<Text>,
        pledge_id -> Nullable<Text>,
        received_at -> Timestamp,
    }
}

diesel::table! {
    news_posts (id) {
        id -> Text,
        campaign_id -> Text,
        slug -> Text,
        title -> Text,
        body_markdown -> Text,
        body_html -> Text,
        status -> Text,
        author_id -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
        first_published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        plan_line -> Nullable<Text>,
        marks_done -> Bool,
    }
}

diesel::table! {
    subscribers (id) {
        id -> Text,
        campaign_id -> Text,
        email -> Text,
        status -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        unsubscribed_at -> Nullable<Timestamp>,
        locale -> Nullable<Text>,
    }
}

diesel::table! {
    subscription_tokens (token_hash) {
        token_hash -> Text,
        subscriber_id -> Text,
        purpose -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    comments (id) {
        id -> Text,
        campaign_id -> Text,
        name -> Text,
        body -> Text,
        status -> Text,
        created_at -> Timestamp,
        moderated_at -> Nullable<Timestamp>,
        moderated_by -> Nullable<Text>,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Text,
        recipient -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        headers -> Text,
        kind -> Text,
        dedupe_key -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    refunds (id) {
        id -> Text,
        pledge_id -> Text,
        amount -> BigInt,
        currency -> Text,
        status -> Text,
        provider_refund_id -> Nullable<Text>,
        requested_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    disputes (dispute_id) {
        dispute_id -> Text,
        pledge_id -> Text,
        held -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Events counted in a sliding window, shared by every server instance: see the migration
    /// `shared_limits` and `demeu_api::limit_store`.
    limit_events (id) {
        id -> Text,
        scope -> Text,
        key -> Text,
        counted_at -> Timestamp,
    }
}

diesel::table! {
    /// Failed sign-ins per account (a SHA-256) and client address since the pair's last success.
    sign_in_failures (account, client) {
        account -> Text,
        client -> Text,
        failures -> Integer,
        last_failed_at -> Timestamp,
    }
}

diesel::table! {
    /// "Join the mentors' team" applications: personal data, for staff only (migration
    /// `volunteers`; `campaign_news::volunteer`).
    volunteers (id) {
        id -> Text,
        campaign_id -> Text,
        name -> Text,
        city -> Text,
        contact -> Text,
        about -> Text,
        age_confirmed -> Bool,
        locale -> Nullable<Text>,
        status -> Text,
        staff_note -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    stored_files (hash) {
        hash -> Text,
        content_type -> Text,
        size -> BigInt,
        bytes -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pictures (id) {
        id -> Text,
        campaign_id -> Nullable<Text>,
        role -> Text,
        position -> Integer,
        width -> Integer,
        height -> Integer,
        alt_kk -> Text,
        alt_ru -> Text,
        alt_en -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    picture_variants (picture_id, name, format) {
        picture_id -> Text,
        name -> Text,
        format -> Text,
        width -> Integer,
        height -> Integer,
        file_hash -> Text,
    }
}

diesel::table! {
    foundation (id) {
        id -> Integer,
        name_kk -> Text,
        name_ru -> Text,
        name_en -> Text,
        legal_form -> Text,
        registration_number -> Text,
        address -> Text,
        phone -> Text,
        email -> Text,
        website -> Text,
        bank_details -> Text,
        offer_kk -> Text,
        offer_ru -> Text,
        offer_en -> Text,
        privacy_kk -> Text,
        privacy_ru -> Text,
        privacy_en -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    expenses (id) {
        id -> Text,
        campaign_id -> Text,
        line_key -> Text,
        amount -> BigInt,
        currency -> Text,
        spent_on -> Text,
        payee -> Text,
        payee_kind -> Text,
        description_kk -> Text,
        description_ru -> Text,
        description_en -> Text,
        over_budget_reason -> Nullable<Text>,
        reverses -> Nullable<Text>,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
    }
}

diesel::table! {
    expense_evidence (expense_id, position) {
        expense_id -> Text,
        position -> Integer,
        kind -> Text,
        file_hash -> Text,
        thumb_hash -> Nullable<Text>,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
    }
}

diesel::joinable!(budget_lines -> campaigns (campaign_id));
diesel::joinable!(expense_evidence -> expenses (expense_id));
diesel::joinable!(pictures -> campaigns (campaign_id));
diesel::joinable!(picture_variants -> pictures (picture_id));
diesel::joinable!(picture_variants -> stored_files (file_hash));
diesel::joinable!(campaign_presets -> campaigns (campaign_id));
diesel::joinable!(pledges -> campaigns (campaign_id));
diesel::joinable!(ledger_entries -> pledges (pledge_id));
diesel::joinable!(campaign_totals -> campaigns (campaign_id));
diesel::joinable!(staff_sessions -> staff_users (user_id));
diesel::joinable!(subscription_tokens -> subscribers (subscriber_id));
diesel::joinable!(refunds -> pledges (pledge_id));
diesel::joinable!(disputes -> pledges (pledge_id));
diesel::joinable!(volunteers -> campaigns (campaign_id));
diesel::joinable!(subscriptions -> campaigns (campaign_id));

diesel::allow_tables_to_appear_in_same_query!(
    installation_secrets,
    campaigns,
    campaign_presets,
    stored_files,
    foundation,
    pictures,
    picture_variants,
    budget_lines,
    pledges,
    ledger_entries,
    campaign_totals,
    idempotency_keys,
    staff_users,
    staff_sessions,
    audit_log,
    webhook_events,
    news_posts,
    subscribers,
    subscription_tokens,
    comments,
    mail_outbox,
    refunds,
    disputes,
    limit_events,
    sign_in_failures,
    volunteers,
    subscriptions,
    donor_links,
    donor_sessions,
    expenses,
    expense_evidence,
);
