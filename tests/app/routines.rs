//! Routines: a block that repeats (every day, on weekdays, on chosen days, every
//! week; until a day or for ever), its blocks made lazily the first time a day
//! from today on is shown, each editable alone ("this one") or with the ones after
//! it ("this and following"); and goals that start again each period, keeping
//! the finished ones.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use lauf::db::schema::{goal_periods, goals, routines, tasks};

use crate::helpers::{Backend, Browser, TestApp, spawn_app_at, utc};
use crate::on_both_backends;

on_both_backends!(
    a_repeating_block_comes_back_on_its_days_from_today_on,
    one_block_or_the_following_ones_are_edited,
    deleting_one_block_or_the_rest_of_the_routine_with_undo,
    a_routine_is_listed_and_stopped_by_its_owner_only,
    a_repeating_goal_starts_again_each_week_and_keeps_the_last,
);

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

/// Friday Dec 4, 2026, 09:00 in Berlin: the account's zone.
async fn app_on_friday(backend: Backend) -> Option<(TestApp, Browser)> {
    let app = spawn_app_at(backend, utc(2026, 12, 4, 8, 0)).await?;
    let browser = app.signed_in_user("ana@example.com").await;
    Some((app, browser))
}

/// A routine's block: (routine day, scheduled day, time, title, status).
type Made = (NaiveDate, Option<NaiveDate>, Option<String>, String, String);

/// The routines' blocks, by routine day.
fn blocks_of(app: &TestApp) -> Vec<Made> {
    tasks::table
        .filter(tasks::routine_id.is_not_null())
        .order(tasks::routine_date.asc())
        .select((
            tasks::routine_date.assume_not_null(),
            tasks::scheduled_date,
            tasks::scheduled_time,
            tasks::title,
            tasks::status,
        ))
        .load(&mut *app.conn())
        .unwrap()
}

/// The clock moved on by days: the session has lapsed, so Ana signs in again.
async fn days_later(app: &TestApp, browser: &Browser, now: DateTime<Utc>) {
    app.clock.set(now);
    let res = browser.log_in("ana@example.com", "a long passphrase").await;
    assert_eq!(res.status, 303, "{}", res.text());
}

/// A form post from one of the app's pages (with the session's CSRF token).
async fn post(browser: &Browser, path: &str, form: &[(&str, &str)]) -> crate::helpers::Response {
    let token = browser.get("/settings").await.csrf_token();
    let mut fields = vec![("csrf_token", token.as_str())];
    fields.extend_from_slice(form);
    browser.post(path, &fields).await
}

fn days_made(app: &TestApp) -> Vec<NaiveDate> {
    blocks_of(app).into_iter().map(|b| b.0).collect()
}

fn block_on(app: &TestApp, routine_day: NaiveDate) -> String {
    tasks::table
        .filter(tasks::routine_date.eq(routine_day))
        .select(tasks::id)
        .first(&mut *app.conn())
        .unwrap()
}

/// A weekday standup at 09:30 from today (Friday Dec 4); its first block's id.
async fn standup(app: &TestApp, browser: &Browser) -> String {
    app.add_block(
        browser,
        "Standup",
        &[
            ("category", "ROUTINE"),
            ("time_block_minutes", "15"),
            ("scheduled_date", "2026-12-04"),
            ("scheduled_time", "09:30"),
            ("repeat", "WEEKDAYS"),
        ],
    )
    .await
}

/// The block form as saved from the editor, with `fields` changed.
fn edit_form<'a>(fields: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("title", "Standup"),
        ("category", "ROUTINE"),
        ("priority", "MEDIUM"),
        ("energy_level", "DEEP_WORK"),
        ("time_block_minutes", "15"),
        ("scheduled_time", "09:30"),
        ("repeat", "WEEKDAYS"),
        ("scope", "this"),
        ("return_to", "/"),
    ];
    for (k, v) in fields {
        form.retain(|(key, _)| key != k);
        form.push((k, v));
    }
    form
}

async fn a_repeating_block_comes_back_on_its_days_from_today_on(backend: Backend) {
    let Some((app, browser)) = app_on_friday(backend).await else {
        return;
    };
    let first = standup(&app, &browser).await;
    // The first block is the routine's block of its own day.
    assert_eq!(days_made(&app), [day(12, 4)]);
    let routine_days: (String, i32, NaiveDate, Option<NaiveDate>) = routines::table
        .select((
            routines::cadence,
            routines::weekdays,
            routines::starts_on,
            routines::until,
        ))
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(routine_days, ("WEEKDAYS".into(), 0b11111, day(12, 4), None));

    // Today's page shows it as repeating; nothing else is made for the weekend.
    let today = browser.get("/").await;
    assert_eq!(today.status, 200);
    let card = today.text_of(&format!("#block-{first}"));
    assert!(
        card.contains("Standup") && card.contains("Repeats"),
        "{card}"
    );
    assert_eq!(days_made(&app), [day(12, 4)]);

    // Next week is made when it is first shown: Monday to Friday, at 09:30.
    let monday = browser.get("/?date=2026-12-07").await;
    assert!(monday.text_of("#day-plan").contains("Standup"));
    assert_eq!(
        days_made(&app),
        [
            day(12, 4),
            day(12, 7),
            day(12, 8),
            day(12, 9),
            day(12, 10),
            day(12, 11)
        ]
    );
    let made = blocks_of(&app);
    assert!(
        made.iter()
            .all(|b| b.2.as_deref() == Some("09:30") && b.0 == b.1.unwrap() && b.4 == "TODO"),
        "{made:?}"
    );
    // Showing the week again makes nothing twice; the week view shows the same.
    browser.get("/?date=2026-12-09").await;
    let week = browser.get("/command/calendar?week=2026-12-07").await;
    assert_eq!(week.count(".week-block"), 5, "{}", week.main_text());
    assert_eq!(days_made(&app).len(), 6);

    // The past is what happened: a week before the routine began gets nothing,
    // and neither does a day before today within its week.
    browser.get("/?date=2026-11-30").await;
    assert_eq!(days_made(&app).len(), 6);

    // A missed block is not carried over: the next day has its own.
    days_later(&app, &browser, utc(2026, 12, 7, 8, 0)).await;
    let monday = browser.get("/").await;
    assert!(
        !monday.main_text().contains("Bring to today"),
        "{}",
        monday.main_text()
    );
    assert_eq!(
        blocks_of(&app)
            .iter()
            .filter(|b| b.1 == Some(day(12, 4)))
            .count(),
        1,
        "Friday's missed block stays on Friday"
    );

    // A repeat needs a day to start from and sensible days.
    let res = browser
        .submit(
            "/tasks/new",
            "/tasks",
            &[
                ("title", "Floating"),
                ("category", "CODE"),
                ("priority", "MEDIUM"),
                ("energy_level", "LIGHT"),
                ("time_block_minutes", "30"),
                ("scheduled_date", ""),
                ("repeat", "DAILY"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.text_of(".field-error")
            .contains("a repeating block needs a day to start on"),
        "{}",
        res.text_of(".field-error")
    );
    let res = browser
        .submit(
            "/tasks/new",
            "/tasks",
            &[
                ("title", "No days"),
                ("category", "CODE"),
                ("priority", "MEDIUM"),
                ("energy_level", "LIGHT"),
                ("time_block_minutes", "30"),
                ("scheduled_date", "2026-12-07"),
                ("repeat", "DAYS"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.text_of(".field-error")
            .contains("choose at least one day")
    );
    assert_eq!(app.count("routines"), 1, "a refused form makes no routine");
}

async fn one_block_or_the_following_ones_are_edited(backend: Backend) {
    let Some((app, browser)) = app_on_friday(backend).await else {
        return;
    };
    standup(&app, &browser).await;
    browser.get("/?date=2026-12-07").await;

    // This one: Tuesday's block moves to 10:00 alone.
    let tuesday = block_on(&app, day(12, 8));
    let edit = format!("/tasks/{tuesday}/edit");
    let page = browser.get(&edit).await;
    assert!(
        page.main_text()
            .contains("One of a routine: Every weekday at 09:30"),
        "{}",
        page.main_text()
    );
    let res = browser
        .submit(
            &edit,
            &format!("/tasks/{tuesday}"),
            &edit_form(&[
                ("scheduled_date", "2026-12-08"),
                ("scheduled_time", "10:00"),
            ]),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let times: Vec<_> = blocks_of(&app).into_iter().map(|b| b.2.unwrap()).collect();
    assert_eq!(
        times,
        ["09:30", "09:30", "10:00", "09:30", "09:30", "09:30"]
    );

    // A new repeat for this block alone is refused, and says why.
    let res = browser
        .submit(
            &edit,
            &format!("/tasks/{tuesday}"),
            &edit_form(&[("scheduled_date", "2026-12-08"), ("repeat", "DAILY")]),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.text_of("#scope-error")
            .contains("a new repeat applies to this and the following blocks"),
        "{}",
        res.main_text()
    );

    // This and following from Wednesday: renamed, 15 minutes later, Mon/Wed only.
    let wednesday = block_on(&app, day(12, 9));
    let res = browser
        .submit(
            &format!("/tasks/{wednesday}/edit"),
            &format!("/tasks/{wednesday}"),
            &edit_form(&[
                ("title", "Team sync"),
                ("scheduled_date", "2026-12-09"),
                ("scheduled_time", "09:45"),
                ("repeat", "DAYS"),
                ("repeat_mon", "on"),
                ("repeat_wed", "on"),
                ("scope", "following"),
            ]),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let flash = browser.get("/?date=2026-12-09").await.text_of("#flash");
    assert!(
        flash.contains("This and the following blocks: every mon and wed"),
        "{flash}"
    );
    let made: Vec<_> = blocks_of(&app)
        .into_iter()
        .map(|b| (b.0, b.2.unwrap(), b.3))
        .collect();
    assert_eq!(
        made,
        [
            (day(12, 4), "09:30".into(), "Standup".into()),
            (day(12, 7), "09:30".into(), "Standup".into()),
            (day(12, 8), "10:00".into(), "Standup".into()),
            (day(12, 9), "09:45".into(), "Team sync".into()),
        ],
        "Thursday's and Friday's standups went with the old pattern"
    );
    // The week after follows the new pattern.
    browser.get("/command/calendar?week=2026-12-14").await;
    let later: Vec<_> = blocks_of(&app)
        .into_iter()
        .filter(|b| b.0 > day(12, 13))
        .map(|b| (b.0, b.2.unwrap(), b.3))
        .collect();
    assert_eq!(
        later,
        [
            (day(12, 14), "09:45".into(), "Team sync".into()),
            (day(12, 16), "09:45".into(), "Team sync".into()),
        ]
    );
    assert_eq!(app.count("routines"), 2);
}

async fn deleting_one_block_or_the_rest_of_the_routine_with_undo(backend: Backend) {
    let Some((app, browser)) = app_on_friday(backend).await else {
        return;
    };
    standup(&app, &browser).await;
    browser.get("/?date=2026-12-07").await;

    // The confirm page offers both.
    let tuesday = block_on(&app, day(12, 8));
    let ask = browser.get(&format!("/tasks/{tuesday}/delete")).await;
    let buttons = ask.text_of("form button");
    assert!(
        buttons.contains("Delete this one") && buttons.contains("Delete this and the following"),
        "{buttons}"
    );

    // This one: gone, and not made again when its week is shown.
    let res = post(
        &browser,
        &format!("/tasks/{tuesday}/delete"),
        &[("return_to", "/?date=2026-12-08")],
    )
    .await;
    assert_eq!(res.status, 303);
    let page = browser.get("/?date=2026-12-08").await;
    assert!(!days_made(&app).contains(&day(12, 8)));
    browser.get("/command/calendar?week=2026-12-07").await;
    assert!(!days_made(&app).contains(&day(12, 8)));
    // Undo brings that very block back.
    let page = browser.press_undo(&page).await;
    assert!(page.text_of("#day-plan").contains("Standup"));
    assert!(days_made(&app).contains(&day(12, 8)));

    // Monday's is done before the rest goes: done work stays.
    let monday = block_on(&app, day(12, 7));
    post(
        &browser,
        &format!("/tasks/{monday}/status"),
        &[("status", "DONE")],
    )
    .await;
    days_later(&app, &browser, utc(2026, 12, 7, 8, 0)).await;
    let wednesday = block_on(&app, day(12, 9));
    let res = post(
        &browser,
        &format!("/tasks/{wednesday}/delete"),
        &[("scope", "following"), ("return_to", "/")],
    )
    .await;
    assert_eq!(res.status, 303);
    let page = browser.get("/").await;
    assert!(
        page.text_of("#flash")
            .contains("“Standup” no longer repeats from this block on; 3 planned blocks removed."),
        "{}",
        page.text_of("#flash")
    );
    assert_eq!(days_made(&app), [day(12, 4), day(12, 7), day(12, 8)]);
    let until: Option<NaiveDate> = routines::table
        .select(routines::until)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(until, Some(day(12, 8)));
    // The next week gets none.
    browser.get("/?date=2026-12-14").await;
    assert_eq!(days_made(&app).len(), 3);

    // Undo: the routine runs again and its blocks are back.
    let page = browser.press_undo(&page).await;
    assert_eq!(page.status, 200);
    let until: Option<NaiveDate> = routines::table
        .select(routines::until)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(until, None);
    assert!(days_made(&app).contains(&day(12, 11)));
    browser.get("/?date=2026-12-14").await;
    assert!(days_made(&app).contains(&day(12, 18)));
    let statuses: Vec<String> = blocks_of(&app)
        .into_iter()
        .filter(|b| b.0 == day(12, 7))
        .map(|b| b.4)
        .collect();
    assert_eq!(statuses, ["DONE"]);
}

async fn a_routine_is_listed_and_stopped_by_its_owner_only(backend: Backend) {
    let Some((app, browser)) = app_on_friday(backend).await else {
        return;
    };
    app.add_block(
        &browser,
        "Weekly review",
        &[
            ("category", "ADMIN"),
            ("time_block_minutes", "60"),
            ("scheduled_date", "2026-12-04"),
            ("scheduled_time", "16:00"),
            ("repeat", "WEEKLY"),
            ("repeat_until", "2026-12-31"),
        ],
    )
    .await;
    let page = browser.get("/command/routines").await;
    assert_eq!(page.title(), "Routines · LAUF OS");
    let text = page.main_text();
    assert!(
        text.contains("Weekly review")
            && text.contains("Every Friday at 16:00 until Dec 31, 2026 · 1 h")
            && text.contains("next today"),
        "{text}"
    );
    let routine: String = routines::table
        .select(routines::id)
        .first(&mut *app.conn())
        .unwrap();
    browser.get("/?date=2026-12-11").await;
    assert_eq!(days_made(&app), [day(12, 4), day(12, 11)]);

    // Someone else cannot stop it.
    let bo = app.signed_in_user("bo@example.com").await;
    let res = post(&bo, &format!("/command/routines/{routine}/stop"), &[]).await;
    assert_eq!(res.status, 404);
    assert_eq!(days_made(&app).len(), 2);

    // Its owner can: today's and later planned blocks go, with Undo.
    let res = post(&browser, &format!("/command/routines/{routine}/stop"), &[]).await;
    assert_eq!(res.status, 303);
    let page = browser.get("/command/routines").await;
    assert!(
        page.text_of("#flash")
            .contains("“Weekly review” no longer repeats; 2 planned blocks removed."),
        "{}",
        page.text_of("#flash")
    );
    assert!(page.main_text().contains("No routines yet"));
    assert!(days_made(&app).is_empty());
    browser.press_undo(&page).await;
    assert_eq!(days_made(&app), [day(12, 4), day(12, 11)]);
}

async fn a_repeating_goal_starts_again_each_week_and_keeps_the_last(backend: Backend) {
    let Some((app, browser)) = app_on_friday(backend).await else {
        return;
    };
    let res = browser
        .submit(
            "/command/goals",
            "/command/goals",
            &[
                ("title", "Two workouts"),
                ("goal_type", "WEEKLY"),
                ("target_value", "2"),
                ("counts", "category:FITNESS"),
                ("recurs", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let goal: String = goals::table
        .select(goals::id)
        .first(&mut *app.conn())
        .unwrap();
    let run = app
        .add_block(
            &browser,
            "Run",
            &[
                ("category", "FITNESS"),
                ("scheduled_date", "2026-12-04"),
                ("scheduled_time", "18:00"),
                ("time_block_minutes", "45"),
            ],
        )
        .await;
    post(
        &browser,
        &format!("/tasks/{run}/status"),
        &[("status", "DONE")],
    )
    .await;
    let page = browser.get("/command/goals").await;
    let card = page.text_of(&format!("#goal-{goal}"));
    assert!(
        card.contains("Weekly · repeats") && card.contains("1 of 2"),
        "{card}"
    );

    // Monday: the goal starts again at zero, on the day page first shown…
    days_later(&app, &browser, utc(2026, 12, 7, 8, 0)).await;
    let today = browser.get("/").await;
    let panel = today.text_of("#goals-panel");
    assert!(
        panel.contains("Two workouts") && panel.contains("0 of 2"),
        "{panel}"
    );
    // … and last week is kept.
    let page = browser.get("/command/goals").await;
    let card = page.text_of(&format!("#goal-{goal}"));
    assert!(
        card.contains("0 of 2")
            && card.contains("Past weeks: reached 0 of the last 1")
            && card.contains("Nov 30 – Dec 6: 1 of 2"),
        "{card}"
    );

    // Reopening Friday's run takes it off last week, not this one.
    post(
        &browser,
        &format!("/tasks/{run}/status"),
        &[("status", "TODO")],
    )
    .await;
    let past: Vec<(NaiveDate, i32)> = goal_periods::table
        .select((goal_periods::period_start, goal_periods::achieved))
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(past, [(day(11, 30), 0)]);
    let current: (i32, Option<NaiveDate>) = goals::table
        .select((goals::current_value, goals::period_start))
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(current, (0, Some(day(12, 7))));

    // Two workouts this week reach it; three weeks later the empty weeks are kept.
    for (i, title) in ["Swim", "Bike"].into_iter().enumerate() {
        let time = format!("{}:00", 17 + i);
        let id = app
            .add_block(
                &browser,
                title,
                &[
                    ("category", "FITNESS"),
                    ("scheduled_date", "2026-12-07"),
                    ("scheduled_time", &time),
                    ("time_block_minutes", "45"),
                ],
            )
            .await;
        post(
            &browser,
            &format!("/tasks/{id}/status"),
            &[("status", "DONE")],
        )
        .await;
    }
    days_later(&app, &browser, utc(2026, 12, 7, 8, 0) + Duration::days(21)).await;
    let page = browser.get("/command/goals").await;
    let card = page.text_of(&format!("#goal-{goal}"));
    assert!(
        card.contains("Past weeks: reached 1 of the last 4")
            && card.contains("Dec 7 – Dec 13: 2 of 2 · reached")
            && card.contains("Dec 21 – Dec 27: 0 of 2"),
        "{card}"
    );
    assert_eq!(app.count("goal_periods"), 4);

    // A repeating goal runs in its periods: dates are refused.
    let res = browser
        .submit(
            "/command/goals",
            "/command/goals",
            &[
                ("title", "Dated"),
                ("goal_type", "MONTHLY"),
                ("target_value", "2"),
                ("start_date", "2026-12-01"),
                ("recurs", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.main_text()
            .contains("a repeating goal runs in each period of its type")
    );
}
