//! The schema and the data layer on both backends: migrations, constraints, money.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use lauf::db::models::clients::{self, Client};
use lauf::db::schema::clients as c;
use lauf::db::{self, AnyConnection, Json, PoolOptions};
use lauf::domain::*;

use crate::helpers::{Backend, TestDb, skip, spawn_app, spawn_app_at};
use crate::on_both_backends;

on_both_backends!(
    every_timestamp_a_request_writes_comes_from_the_app_clock,
    migrations_run_up_and_down_and_up_again,
    the_database_refuses_values_outside_the_enums,
    the_database_refuses_rows_pointing_at_nothing,
    money_round_trips_exactly_and_sums_in_sql,
    deleting_a_user_takes_their_workspace_with_them,
);

fn table_exists(conn: &mut AnyConnection, table: &str) -> bool {
    diesel::sql_query(format!("SELECT 1 FROM {table} WHERE 1 = 0"))
        .execute(conn)
        .is_ok()
}

/// The migrations in `migrations/sqlite` and in `migrations/postgres` (the same steps).
const MIGRATIONS: usize = 17;

async fn migrations_run_up_and_down_and_up_again(backend: Backend) {
    let Some((_db, target)) = TestDb::empty(backend) else {
        return skip(backend);
    };
    let pool = db::build_pool(
        &target,
        &PoolOptions {
            max_size: 1,
            ..Default::default()
        },
    )
    .unwrap();
    let mut conn = pool.get().unwrap();
    assert!(!table_exists(&mut conn, "tasks"));

    let applied = db::run_migrations(&mut conn).unwrap();
    assert_eq!(applied.len(), MIGRATIONS, "{applied:?}");
    for table in [
        "users",
        "local_credentials",
        "sessions",
        "login_throttle",
        "audit_logs",
        "activities",
        "goals",
        "clients",
        "projects",
        "opportunities",
        "tasks",
        "assets",
        "asset_tags",
        "task_assets",
        "calendar_feeds",
        "storage_deletions",
        "auth_flows",
        "day_closings",
    ] {
        assert!(
            table_exists(&mut conn, table),
            "{table} missing after migrating up"
        );
    }
    assert!(
        db::run_migrations(&mut conn).unwrap().is_empty(),
        "a second run applies nothing"
    );

    let reverted = db::revert_all_migrations(&mut conn).unwrap();
    assert_eq!(reverted.len(), MIGRATIONS);
    for table in ["users", "tasks", "clients", "sessions"] {
        assert!(
            !table_exists(&mut conn, table),
            "{table} still there after migrating down"
        );
    }
    assert_eq!(
        db::run_migrations(&mut conn).unwrap().len(),
        MIGRATIONS,
        "migrating up again works"
    );
}

fn raw_task(user: &UserId, category: &str) -> String {
    format!(
        "INSERT INTO tasks (id, user_id, title, category, created_at, updated_at) VALUES ('{}', '{user}', 'x', '{category}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        TaskId::generate()
    )
}

fn kind_of(result: QueryResult<usize>) -> Option<DatabaseErrorKind> {
    match result {
        Err(Error::DatabaseError(kind, _)) => Some(kind),
        _ => None,
    }
}

async fn the_database_refuses_values_outside_the_enums(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.signed_in_user("ana@example.com").await;
    let user = app.user_id("ana@example.com");
    let mut conn = app.conn();

    assert!(
        diesel::sql_query(raw_task(&user, "DESIGN"))
            .execute(&mut *conn)
            .is_ok()
    );
    assert_eq!(
        kind_of(diesel::sql_query(raw_task(&user, "design")).execute(&mut *conn)),
        Some(DatabaseErrorKind::CheckViolation)
    );
    assert_eq!(
        kind_of(diesel::sql_query(raw_task(&user, "MEETING")).execute(&mut *conn)),
        Some(DatabaseErrorKind::CheckViolation)
    );
    let bad_time = format!(
        "INSERT INTO tasks (id, user_id, title, category, scheduled_date, scheduled_time, created_at, updated_at) VALUES ('{}', '{user}', 'x', 'CODE', '2026-01-01', '25:00', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        TaskId::generate()
    );
    assert_eq!(
        kind_of(diesel::sql_query(bad_time).execute(&mut *conn)),
        Some(DatabaseErrorKind::CheckViolation)
    );
    let done_without_time = format!(
        "INSERT INTO tasks (id, user_id, title, category, status, created_at, updated_at) VALUES ('{}', '{user}', 'x', 'CODE', 'DONE', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        TaskId::generate()
    );
    assert_eq!(
        kind_of(diesel::sql_query(done_without_time).execute(&mut *conn)),
        Some(DatabaseErrorKind::CheckViolation)
    );
    assert_eq!(app.count("tasks"), 1, "only the valid row was stored");
}

async fn the_database_refuses_rows_pointing_at_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut conn = app.conn();
    let nobody = UserId::generate();
    assert_eq!(
        kind_of(diesel::sql_query(raw_task(&nobody, "CODE")).execute(&mut *conn)),
        Some(DatabaseErrorKind::ForeignKeyViolation)
    );

    app.signed_in_user("ana@example.com").await;
    let user = app.user_id("ana@example.com");
    let dangling_link = format!(
        "INSERT INTO task_assets (task_id, asset_id, created_at) VALUES ('{}', '{}', CURRENT_TIMESTAMP)",
        TaskId::generate(),
        AssetId::generate()
    );
    assert_eq!(
        kind_of(diesel::sql_query(dangling_link).execute(&mut *conn)),
        Some(DatabaseErrorKind::ForeignKeyViolation)
    );
    let orphan_project = format!(
        "INSERT INTO projects (id, client_id, name, created_at, updated_at) VALUES ('{}', '{}', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        ProjectId::generate(),
        ClientId::generate()
    );
    assert_eq!(
        kind_of(diesel::sql_query(orphan_project).execute(&mut *conn)),
        Some(DatabaseErrorKind::ForeignKeyViolation)
    );
    assert!(
        diesel::sql_query(raw_task(&user, "CODE"))
            .execute(&mut *conn)
            .is_ok()
    );
}

fn client_with(
    user: &UserId,
    name: &str,
    contract: Option<Money>,
    retainer: Option<Money>,
) -> Client {
    let now = lauf::clock::Clock::system().stamp();
    Client {
        id: ClientId::generate(),
        user_id: user.clone(),
        name: name.into(),
        email: None,
        phone: None,
        company: None,
        industry: None,
        website_url: None,
        github_url: None,
        vercel_url: None,
        figma_url: None,
        credentials: None,
        status: ClientStatus::Active,
        health_score: HealthScore::Green,
        contract_value: contract,
        monthly_retainer: retainer,
        retainer_hours_per_month: None,
        payment_status: PaymentStatus::Current,
        last_contacted: Some(now),
        next_followup: None,
        followup_cadence_days: 14,
        referred_by: None,
        notes: None,
        metadata: Json(serde_json::json!({"tier": "gold"})),
        created_at: now,
        updated_at: now,
    }
}

async fn money_round_trips_exactly_and_sums_in_sql(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.signed_in_user("ana@example.com").await;
    let user = app.user_id("ana@example.com");
    let mut conn = app.conn();
    let amounts = [
        "12345678.91",
        "0.10",
        "0.20",
        "0.01",
        "99999999.99",
        "7",
        "100.00",
        "60",
        "12.30",
    ];
    let mut expected_sum = rust_decimal::Decimal::ZERO;
    let mut stored = Vec::new();
    for (i, text) in amounts.iter().enumerate() {
        let amount = Money::parse(text).unwrap();
        expected_sum += amount.amount();
        let client = client_with(
            &user,
            &format!("Client {i}"),
            Some(amount),
            Some(Money::parse("0.10").unwrap()),
        );
        clients::insert(&mut conn, &client).unwrap();
        stored.push(client);
    }

    for client in &stored {
        let back = clients::find(&mut conn, &user, &client.id)
            .unwrap()
            .unwrap();
        assert_eq!(back, *client, "the row reads back exactly as written");
        assert_eq!(
            back.contract_value.unwrap().to_string(),
            client.contract_value.unwrap().to_string()
        );
    }
    let seven = clients::find(&mut conn, &user, &stored[5].id)
        .unwrap()
        .unwrap();
    assert_eq!(seven.contract_value.unwrap().to_string(), "7.00");

    // SUM, comparison and ORDER BY happen in SQL, and are numeric on both backends.
    let sum: Option<lauf::db::types::Total> = c::table
        .filter(c::user_id.eq(&user))
        .select(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::Numeric>,
        >("SUM(contract_value)"))
        .first(&mut *conn)
        .unwrap();
    assert_eq!(
        sum.map(|t| t.0),
        Some(expected_sum),
        "SUM in SQL is the exact decimal sum"
    );
    assert!(
        expected_sum > rust_decimal::Decimal::from(100_000_000),
        "the total exceeds one column's range"
    );
    let above_sixty: Vec<String> = c::table
        .filter(c::contract_value.gt(Money::parse("60").unwrap()))
        .order(c::contract_value.asc())
        .select(c::name)
        .load(&mut *conn)
        .unwrap();
    assert_eq!(
        above_sixty,
        vec!["Client 6", "Client 0", "Client 4"],
        "100 > 60 numerically, not lexically"
    );
}

async fn deleting_a_user_takes_their_workspace_with_them(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let user = app.user_id("ana@example.com");
    let mut conn = app.conn();
    clients::insert(&mut conn, &client_with(&user, "Acme", None, None)).unwrap();
    assert!(
        app.count("activities") > 0,
        "new accounts start with a catalog"
    );
    assert!(app.count("sessions") > 0);

    diesel::delete(lauf::db::schema::users::table.find(&user))
        .execute(&mut *conn)
        .unwrap();
    for table in [
        "clients",
        "activities",
        "sessions",
        "local_credentials",
        "audit_logs",
    ] {
        assert_eq!(app.count(table), 0, "{table} rows outlived their user");
    }
    let res = browser.get("/").await;
    assert_eq!(res.status, 303, "the deleted user's browser is logged out");
}

/// Another process holding SQLite's write lock: a write waits the busy timeout,
/// then answers a readable 503 and saves nothing; once the lock is gone the same
/// form saves once.
#[actix_web::test]
async fn a_busy_sqlite_database_answers_503_and_saves_nothing() {
    use diesel::connection::SimpleConnection;
    let app = crate::helpers::spawn_app(Backend::Sqlite).await.unwrap();
    let browser = app.signed_in_user("busy@example.com").await;
    let lauf::db::DatabaseTarget::Sqlite(path) = &app.settings.database else {
        unreachable!()
    };
    let mut holder = diesel::SqliteConnection::establish(&path.display().to_string()).unwrap();
    holder.batch_execute("BEGIN IMMEDIATE").unwrap();
    let form = browser.get("/clients/new").await;
    let fields = [
        ("name", "Locked Out Ltd"),
        ("status", "ACTIVE"),
        ("health_score", "GREEN"),
        ("payment_status", "CURRENT"),
        ("followup_cadence_days", "14"),
    ];
    let started = std::time::Instant::now();
    let res = browser.post_with_token(&form, "/clients", &fields).await;
    assert_eq!(res.status, 503, "{}", res.text());
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(4),
        "it waited for the lock"
    );
    assert!(res.text().contains("Nothing was changed"), "{}", res.text());
    assert_eq!(res.header("retry-after").as_deref(), Some("5"));
    holder.batch_execute("ROLLBACK").unwrap();
    assert_eq!(app.count("clients"), 0, "nothing half-saved");
    let res = browser.post_with_token(&form, "/clients", &fields).await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(app.count("clients"), 1);
}

/// One clock: with the app's clock pinned years away from the wall clock, every
/// row a request writes carries the pinned instant, and the follow-up a logged
/// contact sets is one cadence after it (not after the wall clock).
async fn every_timestamp_a_request_writes_comes_from_the_app_clock(backend: Backend) {
    use chrono::{Duration, TimeZone, Utc};
    use lauf::db::schema::{audit_logs, clients, sessions, tasks};
    let pinned = Utc.with_ymd_and_hms(2031, 5, 6, 10, 0, 0).unwrap();
    let Some(app) = spawn_app_at(backend, pinned).await else {
        return;
    };
    let at = pinned.naive_utc();
    let browser = app.signed_in_user("clock@example.com").await;
    let client = app.add_client(&browser, "Harbor Books").await;
    let res = browser
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/contact"),
            &[("note", "called")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let res = browser
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/followup-block"),
            &[],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());

    let mut conn = app.conn();
    let (created, last_contacted, next_followup): (
        chrono::NaiveDateTime,
        Option<chrono::NaiveDateTime>,
        Option<chrono::NaiveDateTime>,
    ) = clients::table
        .filter(clients::id.eq(&client))
        .select((
            clients::created_at,
            clients::last_contacted,
            clients::next_followup,
        ))
        .first(&mut *conn)
        .unwrap();
    assert_eq!(created, at);
    assert_eq!(last_contacted, Some(at));
    assert_eq!(next_followup, Some(at + Duration::days(14)));
    let block_created: chrono::NaiveDateTime = tasks::table
        .filter(tasks::client_id.eq(&client))
        .select(tasks::created_at)
        .first(&mut *conn)
        .unwrap();
    assert_eq!(block_created, at);
    let audit_times: Vec<chrono::NaiveDateTime> = audit_logs::table
        .select(audit_logs::created_at)
        .load(&mut *conn)
        .unwrap();
    assert!(!audit_times.is_empty());
    assert!(audit_times.iter().all(|t| *t == at), "{audit_times:?}");
    let session_times: Vec<chrono::NaiveDateTime> = sessions::table
        .select(sessions::created_at)
        .load(&mut *conn)
        .unwrap();
    assert!(session_times.iter().all(|t| *t == at), "{session_times:?}");
}
