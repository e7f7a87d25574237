//! Feedback and safety in the daily loop: every action says what it did (htmx and
//! plain forms alike), deletes ask first, and Undo reverses a delete, a move, a
//! status change or a carry-over for a minute, once.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use lauf::db::schema::{activities, goals, tasks};

use crate::helpers::{Backend, Browser, Response, TestApp, spawn_app_at, utc};
use crate::on_both_backends;

on_both_backends!(
    block_actions_say_what_they_did_and_undo_reverses_them,
    deleting_a_block_asks_first_and_undo_brings_it_back_counted,
    undo_lasts_a_minute_works_once_and_only_for_its_owner,
    a_carry_over_is_undone_as_one,
    goals_and_activities_answer_and_undo_too,
    a_block_is_resized_by_a_move_and_undone_to_its_length,
    a_goal_counts_a_category_or_an_activity_without_linking_each_block,
);

const DAY: &str = "/?date=2026-11-23";

async fn add_block(
    app: &TestApp,
    browser: &Browser,
    title: &str,
    fields: &[(&str, &str)],
) -> String {
    let mut form = vec![
        ("scheduled_date", "2026-11-23"),
        ("scheduled_time", "09:00"),
        ("return_to", DAY),
    ];
    form.extend_from_slice(fields);
    app.add_block(browser, title, &form).await
}

async fn add_goal(app: &TestApp, browser: &Browser, title: &str) -> String {
    let form = [
        ("title", title),
        ("goal_type", "WEEKLY"),
        ("target_value", "4"),
        ("start_date", ""),
        ("due_date", ""),
        ("description", ""),
    ];
    let res = browser
        .submit("/command/goals", "/command/goals", &form)
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    goals::table
        .filter(goals::title.eq(title))
        .select(goals::id)
        .first(&mut *app.conn())
        .unwrap()
}

/// The status message a page shows, as a person reads it.
fn flash(page: &Response) -> String {
    page.text_of("#flash")
}

fn block(app: &TestApp, id: &str) -> Option<(String, Option<NaiveDate>, Option<String>)> {
    tasks::table
        .find(id)
        .select((tasks::status, tasks::scheduled_date, tasks::scheduled_time))
        .first(&mut *app.conn())
        .optional()
        .unwrap()
}

fn goal_value(app: &TestApp, id: &str) -> Option<i32> {
    goals::table
        .find(id)
        .select(goals::current_value)
        .first(&mut *app.conn())
        .optional()
        .unwrap()
}

async fn block_actions_say_what_they_did_and_undo_reverses_them(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 8, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let goal = add_goal(&app, &browser, "Ship the API").await;
    let id = add_block(&app, &browser, "Write the API", &[("goal_id", &goal)]).await;
    let page = browser.get(DAY).await;
    assert_eq!(
        flash(&page),
        "Planned “Write the API” for today at 09:00.",
        "the plain form's redirect carries what it did"
    );
    assert_eq!(
        flash(&browser.get(DAY).await),
        "",
        "shown once, then cleared"
    );

    // A plain form: the message and its Undo wait on the page it lands on.
    let token = page.csrf_token();
    let done = browser
        .post(
            &format!("/tasks/{id}/status"),
            &[
                ("csrf_token", &token),
                ("status", "DONE"),
                ("return_to", DAY),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    let page = browser.get(DAY).await;
    assert!(
        flash(&page).starts_with("Done: “Write the API”."),
        "{}",
        flash(&page)
    );
    assert_eq!(goal_value(&app, &goal), Some(1));
    // Undo of a status change is the same action back: it says what it did.
    let page = browser.press_undo(&page).await;
    assert!(
        flash(&page).starts_with("Reopened: “Write the API”."),
        "{}",
        flash(&page)
    );
    assert_eq!(block(&app, &id).unwrap().0, "TODO");
    assert_eq!(
        goal_value(&app, &goal),
        Some(0),
        "the goal gave the count back"
    );

    // htmx: the answer swaps the plan and the message into the status region.
    let swap = browser
        .post_with(
            &format!("/tasks/{id}/move"),
            &[
                ("csrf_token", &token),
                ("when", "tomorrow"),
                ("return_to", DAY),
            ],
            &[
                ("Sec-Fetch-Site", "same-origin"),
                ("HX-Request", "true"),
                ("HX-Target", "day-plan"),
            ],
        )
        .await;
    assert_eq!(swap.status, 200);
    assert!(swap.body.contains(r##"hx-swap-oob="innerHTML:#flash""##));
    assert!(
        swap.text()
            .contains("Moved “Write the API” to tomorrow at 09:00."),
        "{}",
        swap.text()
    );
    let moved = block(&app, &id).unwrap();
    assert_eq!(moved.1, NaiveDate::from_ymd_opt(2026, 11, 24));
    // Undo of a move is a move back: it says so.
    let page = browser.press_undo(&swap).await;
    assert!(
        flash(&page).starts_with("Moved “Write the API” to today at 09:00."),
        "{}",
        flash(&page)
    );
    let back = block(&app, &id).unwrap();
    assert_eq!(
        (back.1, back.2.as_deref()),
        (NaiveDate::from_ymd_opt(2026, 11, 23), Some("09:00")),
        "back on its day at its time"
    );
}

async fn deleting_a_block_asks_first_and_undo_brings_it_back_counted(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 8, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let goal = add_goal(&app, &browser, "Ship the API").await;
    let id = add_block(&app, &browser, "Write the API", &[("goal_id", &goal)]).await;
    let token = browser.get(DAY).await.csrf_token();
    browser
        .post(
            &format!("/tasks/{id}/status"),
            &[
                ("csrf_token", &token),
                ("status", "DONE"),
                ("return_to", DAY),
            ],
        )
        .await;
    assert_eq!(goal_value(&app, &goal), Some(1));

    // Without JavaScript the delete control is a page that asks.
    let ask = browser
        .get(&format!(
            "/tasks/{id}/delete?return_to=%2F%3Fdate%3D2026-11-23"
        ))
        .await;
    assert_eq!(ask.status, 200);
    assert_eq!(ask.title(), "Delete “Write the API”? · LAUF OS");
    assert!(ask.main_text().contains("Keep it"));
    assert!(block(&app, &id).is_some(), "asking deletes nothing");
    let form = [("csrf_token", token.as_str()), ("return_to", DAY)];
    let no_token = browser
        .post(&format!("/tasks/{id}/delete"), &[("return_to", DAY)])
        .await;
    assert_eq!(no_token.status, 403);
    assert!(block(&app, &id).is_some());

    let gone = browser.post(&format!("/tasks/{id}/delete"), &form).await;
    assert_eq!(gone.status, 303);
    assert_eq!(gone.header("location").as_deref(), Some(DAY));
    assert!(block(&app, &id).is_none());
    assert_eq!(goal_value(&app, &goal), Some(0));
    let page = browser.get(DAY).await;
    assert!(
        flash(&page).starts_with("Deleted “Write the API”."),
        "{}",
        flash(&page)
    );
    let page = browser.press_undo(&page).await;
    assert!(
        flash(&page).starts_with("Undone: Deleted"),
        "{}",
        flash(&page)
    );
    assert_eq!(
        block(&app, &id).map(|b| b.0).as_deref(),
        Some("DONE"),
        "the same block, done as it was"
    );
    assert_eq!(goal_value(&app, &goal), Some(1), "and counted again");
    assert!(page.main_text().contains("Write the API"));
}

async fn undo_lasts_a_minute_works_once_and_only_for_its_owner(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 8, 0)).await else {
        return;
    };
    let ana = app.signed_in_user("ana@example.com").await;
    let token = ana.get(DAY).await.csrf_token();
    let delete = |id: String| {
        let (ana, token) = (&ana, token.clone());
        async move {
            let res = ana
                .post(
                    &format!("/tasks/{id}/delete"),
                    &[("csrf_token", token.as_str()), ("return_to", DAY)],
                )
                .await;
            assert_eq!(res.status, 303);
            ana.get(DAY).await
        }
    };

    // Once: the second press says so and changes nothing.
    let id = add_block(&app, &ana, "Write the API", &[]).await;
    let page = delete(id.clone()).await;
    let action = page.undo_form().0;
    ana.press_undo(&page).await;
    assert!(block(&app, &id).is_some(), "back");
    delete(id.clone()).await;
    let again = ana
        .post(
            &action,
            &[("csrf_token", token.as_str()), ("return_to", DAY)],
        )
        .await;
    assert_eq!(again.status, 303);
    let page = ana.get(DAY).await;
    assert!(
        flash(&page).starts_with("Too late to undo"),
        "{}",
        flash(&page)
    );
    assert!(block(&app, &id).is_none(), "a used Undo changes nothing");

    // Someone else's Undo is nobody's.
    let id = add_block(&app, &ana, "Draft the talk", &[]).await;
    let page = delete(id.clone()).await;
    let action = page.undo_form().0;
    let bo = app.signed_in_user("bo@example.com").await;
    let bo_token = bo.get("/").await.csrf_token();
    bo.post(
        &action,
        &[("csrf_token", bo_token.as_str()), ("return_to", "/")],
    )
    .await;
    assert!(flash(&bo.get("/").await).starts_with("Too late to undo"));
    assert!(block(&app, &id).is_none(), "still deleted");

    // A minute later it is too late.
    app.clock.advance(Duration::seconds(61));
    ana.post(
        &action,
        &[("csrf_token", token.as_str()), ("return_to", DAY)],
    )
    .await;
    let page = ana.get(DAY).await;
    assert!(
        flash(&page).starts_with("Too late to undo"),
        "{}",
        flash(&page)
    );
    assert!(block(&app, &id).is_none());

    // A forged Undo id is a 404, not a crash.
    let forged = ana
        .post("/undo/not-an-id", &[("csrf_token", token.as_str())])
        .await;
    assert_eq!(forged.status, 404);
}

async fn a_carry_over_is_undone_as_one(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 7, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let first = add_block(
        &app,
        &browser,
        "Invoice run",
        &[
            ("scheduled_date", "2026-11-20"),
            ("scheduled_time", "10:00"),
        ],
    )
    .await;
    let second = add_block(
        &app,
        &browser,
        "Draft the talk",
        &[("scheduled_date", "2026-11-21"), ("scheduled_time", "")],
    )
    .await;
    let page = browser.get("/").await;
    let token = page.csrf_token();
    let res = browser
        .post(
            "/tasks/carry-over",
            &[
                ("csrf_token", token.as_str()),
                ("return_to", "/"),
                ("task_id", first.as_str()),
                ("task_id", second.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let page = browser.get("/").await;
    assert!(
        flash(&page).starts_with("Brought 2 blocks to today."),
        "{}",
        flash(&page)
    );
    let today = NaiveDate::from_ymd_opt(2026, 11, 23);
    assert_eq!(block(&app, &first).unwrap().1, today);
    assert_eq!(block(&app, &second).unwrap().1, today);
    browser.press_undo(&page).await;
    let (a, b) = (block(&app, &first).unwrap(), block(&app, &second).unwrap());
    assert_eq!(
        (a.1, a.2.as_deref()),
        (NaiveDate::from_ymd_opt(2026, 11, 20), Some("10:00"))
    );
    assert_eq!((b.1, b.2), (NaiveDate::from_ymd_opt(2026, 11, 21), None));
}

async fn goals_and_activities_answer_and_undo_too(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 8, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let goal = add_goal(&app, &browser, "Ship the API").await;
    let page = browser.get("/command/goals?type=WEEKLY").await;
    assert_eq!(flash(&page), "Set the goal “Ship the API”.");
    let done = add_block(&app, &browser, "Write the API", &[("goal_id", &goal)]).await;
    let open = add_block(
        &app,
        &browser,
        "Test the API",
        &[("goal_id", &goal), ("scheduled_time", "11:00")],
    )
    .await;
    let token = page.csrf_token();
    browser
        .post(
            &format!("/tasks/{done}/status"),
            &[
                ("csrf_token", &token),
                ("status", "DONE"),
                ("return_to", DAY),
            ],
        )
        .await;

    let ask = browser.get(&format!("/command/goals/{goal}/delete")).await;
    assert_eq!(ask.status, 200);
    assert_eq!(ask.title(), "Delete the goal “Ship the API”? · LAUF OS");
    assert_eq!(goal_value(&app, &goal), Some(1), "asking deletes nothing");
    let gone = browser
        .post(
            &format!("/command/goals/{goal}/delete"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(gone.status, 303);
    assert_eq!(goal_value(&app, &goal), None);
    let linked = |id: &str| -> Option<String> {
        tasks::table
            .find(id)
            .select(tasks::goal_id)
            .first(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(linked(&done), None);
    let page = browser.get("/command/goals").await;
    assert!(
        flash(&page).starts_with("Deleted the goal “Ship the API”; its blocks stay."),
        "{}",
        flash(&page)
    );
    let action = page.undo_form().0;
    browser
        .post(
            &action,
            &[
                ("csrf_token", token.as_str()),
                ("return_to", "/command/goals"),
            ],
        )
        .await;
    let page = browser.get("/command/goals").await;
    assert!(flash(&page).starts_with("Undone: Deleted the goal"));
    assert_eq!(goal_value(&app, &goal), Some(1), "back with its count");
    assert_eq!(linked(&done).as_deref(), Some(goal.as_str()));
    assert_eq!(linked(&open).as_deref(), Some(goal.as_str()));
    assert!(page.main_text().contains("Ship the API"));

    // Archiving an activity is undone the same way.
    let res = browser
        .submit(
            "/activities",
            "/activities",
            &[
                ("title", "Client calls"),
                ("category", "CLIENT"),
                ("default_duration", "30"),
                ("energy_level", "LIGHT"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let activity: String = activities::table
        .filter(activities::title.eq("Client calls"))
        .select(activities::id)
        .first(&mut *app.conn())
        .unwrap();
    browser
        .post(
            &format!("/activities/{activity}/archive"),
            &[("csrf_token", &token)],
        )
        .await;
    let page = browser.get("/activities").await;
    assert!(
        flash(&page).starts_with("Archived “Client calls”"),
        "{}",
        flash(&page)
    );
    let action = page.undo_form().0;
    browser
        .post(
            &action,
            &[("csrf_token", token.as_str()), ("return_to", "/activities")],
        )
        .await;
    let active: bool = activities::table
        .find(&activity)
        .select(activities::is_active)
        .first(&mut *app.conn())
        .unwrap();
    assert!(active, "back in the catalog");
}

async fn a_block_is_resized_by_a_move_and_undone_to_its_length(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 8, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let id = add_block(&app, &browser, "Write the API", &[]).await;
    let token = browser.get(DAY).await.csrf_token();
    let resize = |minutes: &'static str, time: &'static str| {
        let (browser, id, token) = (&browser, id.clone(), token.clone());
        async move {
            browser
                .post(
                    &format!("/tasks/{id}/move"),
                    &[
                        ("csrf_token", token.as_str()),
                        ("date", "2026-11-23"),
                        ("time", time),
                        ("minutes", minutes),
                        ("return_to", DAY),
                    ],
                )
                .await
        }
    };
    let length = || -> i32 {
        tasks::table
            .find(&id)
            .select(tasks::time_block_minutes)
            .first(&mut *app.conn())
            .unwrap()
    };
    for (bad, time) in [
        ("7", "09:00"),
        ("0", "09:00"),
        ("abc", "09:00"),
        ("120", "23:00"),
    ] {
        let res = resize(bad, time).await;
        assert_eq!(res.status, 422, "{bad} minutes at {time}");
        assert_eq!(length(), 90, "a refused length changes nothing");
    }
    assert_eq!(resize("120", "09:00").await.status, 303);
    assert_eq!(length(), 120);
    let page = browser.get(DAY).await;
    assert_eq!(
        flash(&page).split(" Undo").next().unwrap(),
        "“Write the API” now takes 2 h."
    );
    browser.press_undo(&page).await;
    assert_eq!(length(), 90, "Undo gives the length back");
}

/// A goal that counts a category or an activity moves with every matching block
/// done, once (even when the block is linked to it too), and back when undone.
async fn a_goal_counts_a_category_or_an_activity_without_linking_each_block(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 8, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let goal_form = |title: &'static str, counts: String| {
        vec![
            ("title", title.to_string()),
            ("goal_type", "WEEKLY".to_string()),
            ("target_value", "5".to_string()),
            ("start_date", String::new()),
            ("due_date", String::new()),
            ("description", String::new()),
            ("counts", counts),
        ]
    };
    let submit = |form: Vec<(&'static str, String)>| {
        let browser = &browser;
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            browser
                .submit("/command/goals", "/command/goals", &pairs)
                .await
        }
    };
    assert_eq!(
        submit(goal_form("Bad", "category:NAPPING".into()))
            .await
            .status,
        422
    );
    // Another person, with a catalog of their own.
    let _bo = app.signed_in_user("bo@example.com").await;
    let theirs: String = activities::table
        .inner_join(lauf::db::schema::users::table)
        .filter(lauf::db::schema::users::email.eq("bo@example.com"))
        .select(activities::id)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(
        submit(goal_form("Theirs", format!("activity:{theirs}")))
            .await
            .status,
        404,
        "another person's activity"
    );
    assert_eq!(
        submit(goal_form("Client work", "category:CLIENT".into()))
            .await
            .status,
        303
    );
    let client_goal: String = goals::table
        .filter(goals::title.eq("Client work"))
        .select(goals::id)
        .first(&mut *app.conn())
        .unwrap();
    let page = browser.get("/command/goals").await;
    assert!(
        page.main_text()
            .contains("Also counts every done Client block.")
    );

    let call = add_block(&app, &browser, "Call Acme", &[("category", "CLIENT")]).await;
    let linked = add_block(
        &app,
        &browser,
        "Acme review",
        &[
            ("category", "CLIENT"),
            ("goal_id", &client_goal),
            ("scheduled_time", "11:00"),
        ],
    )
    .await;
    let code = add_block(&app, &browser, "Refactor", &[("scheduled_time", "13:00")]).await;
    let token = browser.get(DAY).await.csrf_token();
    for id in [&call, &linked, &code] {
        browser
            .post(
                &format!("/tasks/{id}/status"),
                &[
                    ("csrf_token", token.as_str()),
                    ("status", "DONE"),
                    ("return_to", DAY),
                ],
            )
            .await;
    }
    assert_eq!(
        goal_value(&app, &client_goal),
        Some(2),
        "both Client blocks, the linked one once; not the Code block"
    );
    browser
        .post(
            &format!("/tasks/{call}/status"),
            &[
                ("csrf_token", token.as_str()),
                ("status", "TODO"),
                ("return_to", DAY),
            ],
        )
        .await;
    assert_eq!(
        goal_value(&app, &client_goal),
        Some(1),
        "reopened: counted back"
    );
    // Editing a done block into the category counts it; out of it, uncounts.
    let fields = [
        ("title", "Refactor"),
        ("category", "CLIENT"),
        ("priority", "MEDIUM"),
        ("energy_level", "DEEP_WORK"),
        ("time_block_minutes", "90"),
        ("scheduled_date", "2026-11-23"),
        ("scheduled_time", "13:00"),
        ("return_to", DAY),
    ];
    let res = browser
        .submit(
            &format!("/tasks/{code}/edit"),
            &format!("/tasks/{code}"),
            &fields,
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(goal_value(&app, &client_goal), Some(2));
}
