//! The one schema both backends share. Hand-kept: `diesel print-schema` against
//! PostgreSQL gives the same except that JSON columns are `JsonDoc` (JSONB on
//! PostgreSQL, TEXT on SQLite) instead of `Jsonb`.

diesel::table! {
    use diesel::sql_types::*;

    activities (id) {
        id -> Text,
        user_id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        category -> Text,
        default_duration -> Integer,
        energy_level -> Text,
        icon -> Nullable<Text>,
        is_active -> Bool,
        sort_order -> Integer,
        times_used -> Integer,
        last_used -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    asset_tags (asset_id, tag) {
        asset_id -> Text,
        user_id -> Text,
        tag -> Text,
    }
}

diesel::table! {
    assets (id) {
        id -> Text,
        user_id -> Text,
        project_id -> Nullable<Text>,
        client_id -> Nullable<Text>,
        #[sql_name = "type"]
        asset_type -> Text,
        category -> Nullable<Text>,
        name -> Text,
        storage_path -> Text,
        url -> Text,
        thumbnail_url -> Nullable<Text>,
        file_size -> BigInt,
        mime_type -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sha256 -> Nullable<Text>,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        thumbnail_path -> Nullable<Text>,
        original_name -> Nullable<Text>,
    }
}

diesel::table! {
    business_days (user_id, day) {
        user_id -> Text,
        day -> Date,
        mrr -> Numeric,
        pipeline -> Numeric,
    }
}

diesel::table! {
    goal_progress (goal_id, at) {
        goal_id -> Text,
        at -> Timestamp,
        delta -> Integer,
    }
}

diesel::table! {
    weekly_notes (user_id, week_start) {
        user_id -> Text,
        week_start -> Date,
        went_well -> Nullable<Text>,
        to_change -> Nullable<Text>,
        intentions -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        user_id -> Text,
        client_id -> Text,
        project_id -> Nullable<Text>,
        amount -> Numeric,
        paid_at -> Timestamp,
    }
}

diesel::table! {
    storage_deletions (storage_key) {
        storage_key -> Text,
        queued_at -> Timestamp,
        attempts -> Integer,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::JsonDoc;

    audit_logs (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        action -> Text,
        entity_type -> Nullable<Text>,
        entity_id -> Nullable<Text>,
        details -> JsonDoc,
        ip_address -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    auth_flows (id_hash) {
        id_hash -> Text,
        verifier -> Text,
        next_path -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        consumed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    calendar_feeds (user_id) {
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    day_closings (user_id, day) {
        user_id -> Text,
        day -> Date,
        note -> Nullable<Text>,
        planned_blocks -> Integer,
        done_blocks -> Integer,
        planned_minutes -> Integer,
        done_minutes -> Integer,
        closed_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::JsonDoc;

    clients (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        company -> Nullable<Text>,
        industry -> Nullable<Text>,
        website_url -> Nullable<Text>,
        github_url -> Nullable<Text>,
        vercel_url -> Nullable<Text>,
        figma_url -> Nullable<Text>,
        credentials -> Nullable<Text>,
        status -> Text,
        health_score -> Text,
        contract_value -> Nullable<Numeric>,
        monthly_retainer -> Nullable<Numeric>,
        payment_status -> Text,
        last_contacted -> Nullable<Timestamp>,
        next_followup -> Nullable<Timestamp>,
        followup_cadence_days -> Integer,
        referred_by -> Nullable<Text>,
        notes -> Nullable<Text>,
        metadata -> JsonDoc,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        retainer_hours_per_month -> Nullable<Integer>,
    }
}

diesel::table! {
    goals (id) {
        id -> Text,
        user_id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        #[sql_name = "type"]
        goal_type -> Text,
        target_value -> Nullable<Integer>,
        current_value -> Integer,
        start_date -> Nullable<Date>,
        due_date -> Nullable<Date>,
        completed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        counts_category -> Nullable<Text>,
        counts_activity_id -> Nullable<Text>,
        recurs -> Bool,
        period_start -> Nullable<Date>,
        counts_event -> Nullable<Text>,
    }
}

diesel::table! {
    goal_periods (goal_id, period_start) {
        goal_id -> Text,
        period_start -> Date,
        period_end -> Date,
        target_value -> Nullable<Integer>,
        achieved -> Integer,
    }
}

diesel::table! {
    local_credentials (user_id) {
        user_id -> Text,
        email_lower -> Text,
        password_hash -> Text,
        password_changed_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    opportunities (id) {
        id -> Text,
        client_id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        value -> Nullable<Numeric>,
        is_ai_generated -> Bool,
        is_dismissed -> Bool,
        is_converted -> Bool,
        converted_project_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        dismissed_reason -> Nullable<Text>,
    }
}

diesel::table! {
    projects (id) {
        id -> Text,
        client_id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        #[sql_name = "type"]
        project_type -> Text,
        status -> Text,
        priority -> Text,
        start_date -> Nullable<Date>,
        due_date -> Nullable<Date>,
        budget -> Nullable<Numeric>,
        paid_amount -> Numeric,
        repository_url -> Nullable<Text>,
        staging_url -> Nullable<Text>,
        production_url -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        estimated_hours -> Nullable<Integer>,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Nullable<Text>,
        kind -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        auth_time -> Nullable<Timestamp>,
        last_seen_at -> Timestamp,
        idle_expires_at -> Timestamp,
        absolute_expires_at -> Timestamp,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        sb_session_id -> Nullable<Text>,
        sb_access_token -> Nullable<Text>,
        sb_refresh_token -> Nullable<Text>,
        sb_access_expires_at -> Nullable<Timestamp>,
        refresh_lease_until -> Nullable<Timestamp>,
        version -> Integer,
    }
}

diesel::table! {
    task_assets (task_id, asset_id) {
        task_id -> Text,
        asset_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tasks (id) {
        id -> Text,
        user_id -> Text,
        project_id -> Nullable<Text>,
        client_id -> Nullable<Text>,
        activity_id -> Nullable<Text>,
        goal_id -> Nullable<Text>,
        title -> Text,
        description -> Nullable<Text>,
        category -> Text,
        priority -> Text,
        status -> Text,
        scheduled_date -> Nullable<Date>,
        scheduled_time -> Nullable<Text>,
        time_block_minutes -> Integer,
        energy_level -> Text,
        completed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        routine_id -> Nullable<Text>,
        routine_date -> Nullable<Date>,
    }
}

diesel::table! {
    routines (id) {
        id -> Text,
        user_id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        category -> Text,
        priority -> Text,
        energy_level -> Text,
        project_id -> Nullable<Text>,
        activity_id -> Nullable<Text>,
        goal_id -> Nullable<Text>,
        start_time -> Nullable<Text>,
        minutes -> Integer,
        cadence -> Text,
        weekdays -> Integer,
        starts_on -> Date,
        until -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    routine_skips (routine_id, on_date) {
        routine_id -> Text,
        on_date -> Date,
    }
}

diesel::table! {
    undo_actions (id) {
        id -> Text,
        user_id -> Text,
        payload -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::sql::JsonDoc;

    users (id) {
        id -> Text,
        email -> Text,
        name -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        preferences -> JsonDoc,
        timezone -> Text,
        auth_provider -> Text,
        auth_issuer -> Text,
        auth_subject -> Text,
        is_admin -> Bool,
        disabled_at -> Nullable<Timestamp>,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        data_version -> BigInt,
    }
}

diesel::joinable!(activities -> users (user_id));
diesel::joinable!(asset_tags -> assets (asset_id));
diesel::joinable!(assets -> clients (client_id));
diesel::joinable!(assets -> projects (project_id));
diesel::joinable!(assets -> users (user_id));
diesel::joinable!(audit_logs -> users (user_id));
diesel::joinable!(calendar_feeds -> users (user_id));
diesel::joinable!(clients -> users (user_id));
diesel::joinable!(day_closings -> users (user_id));
diesel::joinable!(goal_periods -> goals (goal_id));
diesel::joinable!(goal_progress -> goals (goal_id));
diesel::joinable!(goals -> users (user_id));
diesel::joinable!(local_credentials -> users (user_id));
diesel::joinable!(opportunities -> clients (client_id));
diesel::joinable!(payments -> clients (client_id));
diesel::joinable!(payments -> users (user_id));
diesel::joinable!(projects -> clients (client_id));
diesel::joinable!(routine_skips -> routines (routine_id));
diesel::joinable!(routines -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(task_assets -> assets (asset_id));
diesel::joinable!(task_assets -> tasks (task_id));
diesel::joinable!(tasks -> activities (activity_id));
diesel::joinable!(tasks -> goals (goal_id));
diesel::joinable!(tasks -> projects (project_id));

diesel::allow_tables_to_appear_in_same_query!(
    business_days,
    goal_progress,
    day_closings,
    weekly_notes,
    payments,
    activities,
    asset_tags,
    assets,
    audit_logs,
    auth_flows,
    calendar_feeds,
    clients,
    goal_periods,
    goals,
    local_credentials,
    login_throttle,
    opportunities,
    projects,
    routine_skips,
    routines,
    sessions,
    task_assets,
    tasks,
    undo_actions,
    users,
);
