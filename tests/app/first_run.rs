//! A new account's first-run path on the day page: confirm the day's hours, pick
//! the catalog, plan a first block — or skip it. Accounts from before (and demo
//! workspaces) never see it.

use diesel::prelude::*;
use lauf::db::schema::{activities, users};

use crate::helpers::{Backend, Browser, Response, TestApp, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    a_new_account_is_walked_through_its_first_day,
    the_first_run_path_can_be_skipped_and_settings_confirm_the_hours,
);

fn card(page: &Response) -> String {
    page.text_of(".onboarding")
}

async fn step(browser: &Browser, fields: &[(&str, &str)]) -> Response {
    let token = browser.get("/").await.csrf_token();
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    browser.post("/onboarding", &form).await
}

fn onboarding_stored(app: &TestApp, email: &str) -> bool {
    let prefs: String = users::table
        .filter(users::email.eq(email))
        .select(diesel::dsl::sql::<diesel::sql_types::Text>(
            "CAST(preferences AS TEXT)",
        ))
        .first(&mut *app.conn())
        .unwrap();
    prefs.contains("onboarding")
}

fn active_activities(app: &TestApp) -> Vec<String> {
    activities::table
        .filter(activities::is_active.eq(true))
        .select(activities::id)
        .load(&mut *app.conn())
        .unwrap()
}

async fn a_new_account_is_walked_through_its_first_day(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ana = app.signed_in_user("ana@example.com").await;
    let page = ana.get("/").await;
    let text = card(&page);
    assert!(text.starts_with("Get started in three steps"), "{text}");
    assert!(
        text.contains("Your day: Europe/Berlin, 09:00–17:00"),
        "{text}"
    );
    assert!(text.contains("Plan your first block"), "{text}");

    // Bad answers change nothing.
    assert_eq!(step(&ana, &[("step", "fly")]).await.status, 422);
    assert_eq!(step(&ana, &[("step", "catalog")]).await.status, 422);
    let before = active_activities(&app);
    assert!(before.len() > 3, "the seeded catalog");

    assert_eq!(step(&ana, &[("step", "hours")]).await.status, 303);
    let page = ana.get("/").await;
    assert_eq!(
        page.text_of("#flash"),
        "Work hours 09:00–17:00 in Europe/Berlin it is."
    );
    assert!(
        card(&page).contains("09:00–17:00 ✓ confirmed"),
        "{}",
        card(&page)
    );

    let res = step(
        &ana,
        &[
            ("step", "catalog"),
            ("keep", &before[0]),
            ("keep", &before[1]),
        ],
    )
    .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        active_activities(&app),
        before[..2].to_vec(),
        "the rest archived"
    );
    let page = ana.get("/").await;
    assert!(card(&page).contains("✓ picked"));
    assert_eq!(
        page.count(".catalog-picker li"),
        2,
        "the day's catalog is the picked one"
    );

    // Planning a block is the third step; then the card says so and can go.
    let form = [
        ("title", "First block"),
        ("category", "CODE"),
        ("priority", "MEDIUM"),
        ("energy_level", "DEEP_WORK"),
        ("time_block_minutes", "90"),
        ("scheduled_date", ""),
        ("scheduled_time", ""),
        ("return_to", "/"),
    ];
    assert_eq!(ana.submit("/tasks/new", "/tasks", &form).await.status, 303);
    let page = ana.get("/").await;
    assert!(card(&page).starts_with("You are ready"), "{}", card(&page));
    assert_eq!(step(&ana, &[("step", "finish")]).await.status, 303);
    assert_eq!(ana.get("/").await.count(".onboarding"), 0);
    assert!(!onboarding_stored(&app, "ana@example.com"));
}

async fn the_first_run_path_can_be_skipped_and_settings_confirm_the_hours(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let bo = app.signed_in_user("bo@example.com").await;
    let settings = [
        ("name", "Bo"),
        ("timezone", "America/New_York"),
        ("work_start", "08:00"),
        ("work_end", "16:00"),
        ("day_start", "06:30"),
        ("day_end", "21:30"),
        ("week_starts_on", "monday"),
    ];
    assert_eq!(
        bo.submit("/settings", "/settings", &settings).await.status,
        303
    );
    let text = card(&bo.get("/").await);
    assert!(
        text.contains("America/New_York, 08:00–16:00 ✓ confirmed"),
        "saving the settings is confirming them: {text}"
    );
    assert_eq!(step(&bo, &[("step", "skip")]).await.status, 303);
    assert_eq!(bo.get("/").await.count(".onboarding"), 0);
    assert!(!onboarding_stored(&app, "bo@example.com"));
    // Skipped (or finished) twice: nothing to do, no error.
    assert_eq!(step(&bo, &[("step", "hours")]).await.status, 303);
    assert_eq!(bo.get("/").await.count(".onboarding"), 0);
}
