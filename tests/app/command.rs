//! The Command Center through the browser's eyes: blocks, goals, the catalog, the
//! week, the list, carry-over, the calendar feed, and bad input.

use chrono::NaiveDate;
use diesel::prelude::*;
use lauf::db::schema::{activities, clients, goals, projects, tasks, users};

use crate::helpers::{Backend, Browser, TestApp, spawn_app, spawn_app_at, spawn_app_with, utc};
use crate::on_both_backends;

on_both_backends!(
    forms_left_open_on_the_old_goal_urls_still_land,
    completing_a_block_twice_counts_its_goal_once,
    a_double_click_on_done_counts_once,
    completing_a_block_while_its_goal_is_edited_never_fails,
    a_weekly_goal_set_on_thursday_is_on_track_when_set,
    the_daily_shutdown_places_each_unfinished_block_and_leaves_a_note,
    a_free_slot_offers_the_catalog_and_the_catalog_proposes_a_free_slot,
    today_follows_the_users_zone_around_midnight_and_dst,
    carry_over_moves_only_unfinished_blocks_from_earlier_days,
    a_block_from_the_catalog_copies_its_defaults_and_counts_its_use,
    bad_block_input_answers_422_and_changes_nothing,
    someone_elses_blocks_and_goals_answer_404,
    htmx_gets_fragments_and_plain_posts_get_redirects,
    the_calendar_feed_holds_the_right_instants_and_can_be_revoked,
    the_feed_url_believes_forwarded_headers_only_from_a_trusted_proxy,
    the_week_view_moves_blocks_between_days,
    the_tasks_list_filters_searches_and_pages,
    the_tasks_list_counts_to_a_cap_and_keeps_the_backlog_apart,
    the_tasks_list_pages_by_cursor_both_ways_in_every_order,
    the_catalog_can_be_extended_reordered_and_archived,
    blocks_are_placed_on_the_timeline_and_overlaps_flagged,
    the_day_page_shows_changes_made_anywhere_else,
);

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Creates a block through the form and returns its id.
async fn add_block(
    app: &TestApp,
    browser: &Browser,
    title: &str,
    fields: &[(&str, &str)],
) -> String {
    let mut form = vec![
        ("scheduled_date", "2026-11-23"),
        ("return_to", "/?date=2026-11-23"),
    ];
    form.extend_from_slice(fields);
    app.add_block(browser, title, &form).await
}

async fn add_goal(app: &TestApp, browser: &Browser, title: &str, target: &str) -> String {
    let res = browser
        .submit(
            "/command/goals",
            "/command/goals",
            &[
                ("title", title),
                ("goal_type", "WEEKLY"),
                ("target_value", target),
                ("start_date", ""),
                ("due_date", ""),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    goals::table
        .filter(goals::title.eq(title))
        .select(goals::id)
        .first(&mut *app.conn())
        .unwrap()
}

async fn set_status(browser: &Browser, task: &str, status: &str) -> crate::helpers::Response {
    browser
        .submit(
            "/",
            &format!("/tasks/{task}/status"),
            &[("status", status), ("return_to", "/?date=2026-11-23")],
        )
        .await
}

fn goal_state(app: &TestApp, goal: &str) -> (i32, bool) {
    let (value, done): (i32, Option<chrono::NaiveDateTime>) = goals::table
        .find(goal)
        .select((goals::current_value, goals::completed_at))
        .first(&mut *app.conn())
        .unwrap();
    (value, done.is_some())
}

async fn completing_a_block_twice_counts_its_goal_once(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 12, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let goal = add_goal(&app, &browser, "Ship two features", "2").await;
    let first = add_block(&app, &browser, "Feature one", &[("goal_id", &goal)]).await;
    let second = add_block(&app, &browser, "Feature two", &[("goal_id", &goal)]).await;

    assert_eq!(set_status(&browser, &first, "DONE").await.status, 303);
    assert_eq!(
        set_status(&browser, &first, "DONE").await.status,
        303,
        "a retried POST is fine"
    );
    assert_eq!(goal_state(&app, &goal), (1, false), "counted once");
    assert!(
        browser
            .get("/?date=2026-11-23")
            .await
            .main_text()
            .contains("1 of 2"),
        "the goal card shows it"
    );

    set_status(&browser, &second, "DONE").await;
    assert_eq!(
        goal_state(&app, &goal),
        (2, true),
        "reaching the target completes the goal"
    );

    set_status(&browser, &second, "TODO").await;
    assert_eq!(
        goal_state(&app, &goal),
        (1, false),
        "reopening takes it back and reopens the goal"
    );
    set_status(&browser, &first, "IN_PROGRESS").await;
    assert_eq!(
        goal_state(&app, &goal),
        (0, false),
        "leaving DONE any way takes it back"
    );
    set_status(&browser, &first, "IN_PROGRESS").await;
    assert_eq!(goal_state(&app, &goal), (0, false), "never below zero");

    set_status(&browser, &second, "DONE").await;
    assert_eq!(goal_state(&app, &goal), (1, false));
    let deleted = browser
        .submit(
            "/",
            &format!("/tasks/{second}/delete"),
            &[("return_to", "/")],
        )
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(
        goal_state(&app, &goal),
        (0, false),
        "deleting a done block takes its count back"
    );
    let done_at: Option<chrono::NaiveDateTime> = tasks::table
        .find(&first)
        .select(tasks::completed_at)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(done_at, None, "leaving DONE clears completed_at");
}

async fn a_double_click_on_done_counts_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let goal = add_goal(&app, &browser, "Focus", "5").await;
    let block = add_block(&app, &browser, "Focus block", &[("goal_id", &goal)]).await;
    let token = browser.get("/settings").await.csrf_token();
    let path = format!("/tasks/{block}/status");
    let form = [
        ("csrf_token", token.as_str()),
        ("status", "DONE"),
        ("return_to", "/"),
    ];
    let (a, b, c) = futures_util::join!(
        browser.post(&path, &form),
        browser.post(&path, &form),
        browser.post(&path, &form)
    );
    for res in [a, b, c] {
        assert_eq!(res.status, 303);
    }
    assert_eq!(
        goal_state(&app, &goal),
        (1, false),
        "three simultaneous clicks, one count"
    );
}

/// Closing a day: done against planned, each unfinished block to tomorrow's free
/// time, the backlog or gone, a note that greets the next morning, and a streak.
async fn the_daily_shutdown_places_each_unfinished_block_and_leaves_a_note(backend: Backend) {
    // Monday 23 November, 18:00 in Berlin: the work hours (9–17) are over.
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 17, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let on = |time: &'static str| vec![("scheduled_date", "2026-11-23"), ("scheduled_time", time)];
    let done = add_block(&app, &browser, "Finished", &on("09:00")).await;
    let later = add_block(&app, &browser, "For tomorrow", &on("11:00")).await;
    let shelved = add_block(&app, &browser, "Shelve it", &on("13:00")).await;
    let gone = add_block(&app, &browser, "Not needed", &on("15:00")).await;
    add_block(
        &app,
        &browser,
        "Early tomorrow",
        &[
            ("scheduled_date", "2026-11-24"),
            ("scheduled_time", "06:30"),
        ],
    )
    .await;
    set_status(&browser, &done, "DONE").await;

    let today = browser.get("/").await;
    assert!(
        today
            .text_of(".close-day")
            .contains("Your work hours are over"),
        "after hours the day page offers to close: {}",
        today.main_text()
    );
    let page = browser.get("/command/shutdown").await;
    assert_eq!(page.title(), "Close the day · LAUF OS");
    let text = page.main_text();
    assert!(
        text.contains("1 of 4 blocks") && text.contains("1 h 30 min of 6 h"),
        "{text}"
    );
    assert!(text.contains("0 days closed in a row"), "{text}");

    let long_note = "x".repeat(2001);
    let refused = browser
        .submit(
            "/command/shutdown",
            "/command/shutdown",
            &[("date", "2026-11-23"), ("note", &long_note)],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text().contains("at most 2000 characters"));
    assert_eq!(app.count("day_closings"), 0, "nothing saved");

    let (f_shelved, f_gone) = (format!("fate_{shelved}"), format!("fate_{gone}"));
    let closed = browser
        .submit(
            "/command/shutdown",
            "/command/shutdown",
            &[
                ("date", "2026-11-23"),
                ("note", "Start with the invoice.\nThen call Maya."),
                (&f_shelved, "backlog"),
                (&f_gone, "drop"),
            ],
        )
        .await;
    assert_eq!(closed.status, 303);
    let after = browser
        .get(closed.header("location").as_deref().unwrap())
        .await;
    let text = after.main_text();
    assert!(
        text.contains(
            "Day closed: 1 block moved to tomorrow, 1 block to the backlog, 1 block dropped."
        ),
        "{text}"
    );
    assert!(text.contains("1 day closed in a row"), "{text}");
    assert!(
        text.contains("1 of 4 blocks") && text.contains("1 h 30 min of 6 h"),
        "the figures as the day stood when closed, though its blocks moved on: {text}"
    );
    let placed = |id: &str| -> (Option<NaiveDate>, Option<String>) {
        tasks::table
            .find(id)
            .select((tasks::scheduled_date, tasks::scheduled_time))
            .first(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(
        placed(&later),
        (Some(day(2026, 11, 24)), Some("08:00".into())),
        "tomorrow's first free time (06:30–08:00 is taken)"
    );
    assert_eq!(placed(&shelved), (None, None));
    assert_eq!(placed(&done).0, Some(day(2026, 11, 23)), "done stays");
    assert_eq!(
        tasks::table
            .filter(tasks::id.eq(&gone))
            .count()
            .get_result::<i64>(&mut *app.conn())
            .unwrap(),
        0
    );
    assert!(
        !browser
            .get("/")
            .await
            .main_text()
            .contains("Your work hours are over")
    );

    // The next morning greets with the note.
    app.clock.set(utc(2026, 11, 24, 7, 0));
    let browser = app.browser();
    assert_eq!(
        browser
            .log_in("ana@example.com", "a long passphrase")
            .await
            .status,
        303
    );
    let morning = browser.get("/").await.text_of(".morning-note");
    assert!(
        morning.contains("Your note from yesterday: Start with the invoice. Then call Maya."),
        "{morning}"
    );
    let streak = browser.get("/command/shutdown").await.main_text();
    assert!(
        streak.contains("1 day closed in a row"),
        "today still open: {streak}"
    );
}

/// Pace counts from when the goal began: set on Thursday afternoon, a weekly goal
/// expects nothing of Monday to Wednesday (it said "Behind · 4 expected" at once).
async fn a_weekly_goal_set_on_thursday_is_on_track_when_set(backend: Backend) {
    // Thursday Dec 3, 16:00 in Berlin.
    let Some(app) = spawn_app_at(backend, utc(2026, 12, 3, 15, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    add_goal(&app, &browser, "Eight blocks this week", "8").await;
    let panel = browser.get("/").await.text_of("#goals-panel");
    assert!(
        panel.contains("0 of 8 · On track · 0 expected by now"),
        "{panel}"
    );
    // Half of what is left of the week later (Thu 16:00 → Mon 00:00 is 80 h).
    app.clock.set(utc(2026, 12, 5, 7, 0));
    let browser = app.browser();
    assert_eq!(
        browser
            .log_in("ana@example.com", "a long passphrase")
            .await
            .status,
        303
    );
    let panel = browser.get("/").await.text_of("#goals-panel");
    assert!(panel.contains("Behind · 4 expected by now"), "{panel}");
}

/// Completing a block bumps its goal; editing the goal at the same moment touches
/// the same rows in the other order. On PostgreSQL that once deadlocked on the
/// user's row and one of the two answered 500; 200 such pairs now all land.
async fn completing_a_block_while_its_goal_is_edited_never_fails(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let goal = add_goal(&app, &browser, "Focus", "500").await;
    let block = add_block(&app, &browser, "Focus block", &[("goal_id", &goal)]).await;
    let token = browser.get("/settings").await.csrf_token();
    let status_path = format!("/tasks/{block}/status");
    let goal_path = format!("/command/goals/{goal}");
    let mut failures = Vec::new();
    for pair in 0..200 {
        let status = if pair % 2 == 0 { "DONE" } else { "TODO" };
        let title = format!("Focus {pair}");
        let done_form = [
            ("csrf_token", token.as_str()),
            ("status", status),
            ("return_to", "/"),
        ];
        let goal_form = [
            ("csrf_token", token.as_str()),
            ("title", title.as_str()),
            ("goal_type", "WEEKLY"),
            ("target_value", "500"),
            ("start_date", ""),
            ("due_date", ""),
            ("description", ""),
        ];
        let (done, edited) = futures_util::join!(
            browser.post(&status_path, &done_form),
            browser.post(&goal_path, &goal_form)
        );
        for res in [done, edited] {
            if res.status != 303 {
                failures.push((pair, res.status));
            }
        }
    }
    assert_eq!(
        failures,
        vec![],
        "every write of 200 conflicting pairs lands"
    );
    assert_eq!(
        goal_state(&app, &goal),
        (0, false),
        "100 completions and 100 reopenings leave the count where it began"
    );
    let title: String = goals::table
        .find(&goal)
        .select(goals::title)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(title, "Focus 199");
}

async fn today_follows_the_users_zone_around_midnight_and_dst(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 21, 10, 59)).await else {
        return;
    };
    let auckland = app.signed_in_user("kiri@example.com").await;
    let la = app.signed_in_user("lou@example.com").await;
    for (browser, zone) in [
        (&auckland, "Pacific/Auckland"),
        (&la, "America/Los_Angeles"),
    ] {
        let res = browser
            .submit(
                "/settings",
                "/settings",
                &[
                    ("name", "X"),
                    ("timezone", zone),
                    ("work_start", "09:00"),
                    ("work_end", "17:00"),
                    ("day_start", "06:30"),
                    ("day_end", "21:30"),
                    ("week_starts_on", "monday"),
                ],
            )
            .await;
        assert_eq!(res.status, 303);
    }
    let heading = |text: String| text.split(" · ").next().unwrap_or_default().to_string();
    let (auckland, la) = ("kiri@example.com", "lou@example.com");
    let cases = [
        // Auckland is UTC+13 in November (NZDT).
        (auckland, utc(2026, 11, 21, 10, 59), "Saturday, November 21"),
        (auckland, utc(2026, 11, 21, 11, 0), "Sunday, November 22"),
        // Los Angeles is UTC−8 in November (PST).
        (la, utc(2026, 11, 22, 7, 59), "Saturday, November 21"),
        (la, utc(2026, 11, 22, 8, 0), "Sunday, November 22"),
        // Around the end of US daylight time (1 November 2026, 02:00 PDT → 01:00 PST).
        (la, utc(2026, 11, 1, 6, 59), "Saturday, October 31"),
        (la, utc(2026, 11, 1, 7, 0), "Sunday, November 1"),
        (la, utc(2026, 11, 2, 7, 59), "Sunday, November 1"),
        (la, utc(2026, 11, 2, 8, 0), "Monday, November 2"),
        // Around the start of NZ daylight time (27 September 2026, NZST +12 → NZDT +13).
        (auckland, utc(2026, 9, 26, 11, 59), "Saturday, September 26"),
        (auckland, utc(2026, 9, 26, 12, 0), "Sunday, September 27"),
        (auckland, utc(2026, 9, 27, 10, 59), "Sunday, September 27"),
        (auckland, utc(2026, 9, 27, 11, 0), "Monday, September 28"),
    ];
    for (email, instant, expected) in cases {
        // Sessions live on the same clock, so each instant gets a fresh sign-in
        // (a jump of days would otherwise end the previous one).
        app.clock.set(instant);
        let browser = app.browser();
        assert_eq!(browser.log_in(email, "a long passphrase").await.status, 303);
        let page = browser.get("/").await;
        assert_eq!(heading(page.title()), expected, "at {instant}");
        assert!(
            page.main_text().contains(expected),
            "the heading too, at {instant}"
        );
    }
}

/// Carry-over brings the chosen unfinished blocks of earlier days into today's free
/// time from now on, oldest first and keeping their lengths, never onto another
/// block; what fits nowhere goes to the backlog, and what was not chosen stays.
async fn carry_over_moves_only_unfinished_blocks_from_earlier_days(backend: Backend) {
    // 15:00 UTC is 16:00 in Berlin: today is 23 November, its window ends at 21:30.
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 15, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let open_yesterday = add_block(
        &app,
        &browser,
        "Open yesterday",
        &[
            ("scheduled_date", "2026-11-22"),
            ("scheduled_time", "09:00"),
        ],
    )
    .await;
    let done_yesterday = add_block(
        &app,
        &browser,
        "Done yesterday",
        &[("scheduled_date", "2026-11-22")],
    )
    .await;
    let started_last_week = add_block(
        &app,
        &browser,
        "Started last week",
        &[("scheduled_date", "2026-11-16")],
    )
    .await;
    let too_long = add_block(
        &app,
        &browser,
        "Too long for tonight",
        &[
            ("scheduled_date", "2026-11-22"),
            ("scheduled_time", "13:00"),
            ("time_block_minutes", "120"),
        ],
    )
    .await;
    let not_chosen = add_block(
        &app,
        &browser,
        "Left for later",
        &[("scheduled_date", "2026-11-21")],
    )
    .await;
    add_block(
        &app,
        &browser,
        "Busy today",
        &[
            ("scheduled_date", "2026-11-23"),
            ("scheduled_time", "16:00"),
        ],
    )
    .await;
    let tomorrow = add_block(
        &app,
        &browser,
        "Tomorrow's",
        &[("scheduled_date", "2026-11-24")],
    )
    .await;
    let backlog = add_block(&app, &browser, "Someday", &[("scheduled_date", "")]).await;
    set_status(&browser, &done_yesterday, "DONE").await;
    set_status(&browser, &started_last_week, "IN_PROGRESS").await;

    let page = browser.get("/").await;
    assert!(
        page.text_of(".carry-over legend")
            .contains("4 unfinished blocks from earlier days"),
        "{}",
        page.text()
    );
    assert_eq!(page.count(".carry-over input[name=task_id][checked]"), 4);
    let nothing = browser
        .submit("/", "/tasks/carry-over", &[("return_to", "/")])
        .await;
    assert_eq!(nothing.status, 422, "choosing none is refused");
    let res = browser
        .submit(
            "/",
            "/tasks/carry-over",
            &[
                ("return_to", "/"),
                ("task_id", &open_yesterday),
                ("task_id", &started_last_week),
                ("task_id", &too_long),
                ("task_id", &done_yesterday),
            ],
        )
        .await;
    assert_eq!(res.status, 303);

    let placed = |id: &str| -> (Option<NaiveDate>, Option<String>) {
        tasks::table
            .find(id)
            .select((tasks::scheduled_date, tasks::scheduled_time))
            .first(&mut *app.conn())
            .unwrap()
    };
    let today = Some(day(2026, 11, 23));
    assert_eq!(
        placed(&started_last_week),
        (today, Some("17:30".into())),
        "the oldest first, into the first free 90 minutes from now (16:00 is taken)"
    );
    assert_eq!(placed(&open_yesterday), (today, Some("19:00".into())));
    assert_eq!(
        placed(&too_long),
        (None, None),
        "two hours fit nowhere before 21:30: to the backlog"
    );
    assert_eq!(
        placed(&done_yesterday).0,
        Some(day(2026, 11, 22)),
        "done blocks stay where they were done"
    );
    assert_eq!(placed(&not_chosen).0, Some(day(2026, 11, 21)), "not chosen");
    assert_eq!(placed(&tomorrow).0, Some(day(2026, 11, 24)));
    assert_eq!(placed(&backlog).0, None);
    let after = browser.get("/").await;
    assert!(
        !after.main_text().contains("overlap"),
        "nothing carried lands on another block: {}",
        after.main_text()
    );
    assert!(
        after
            .text_of(".carry-over")
            .contains("1 unfinished block from earlier days"),
        "only the one not chosen is still offered"
    );

    // Many: the card lists the oldest eight and offers the rest in one tick.
    for i in 0..10 {
        add_block(
            &app,
            &browser,
            &format!("Old {i}"),
            &[("scheduled_date", "2026-11-20"), ("scheduled_time", "")],
        )
        .await;
    }
    let card = browser.get("/").await;
    assert!(
        card.text_of(".carry-over legend")
            .contains("11 unfinished blocks"),
        "{}",
        card.text_of(".carry-over")
    );
    assert_eq!(card.count(".carry-over input[name=task_id]"), 8);
    assert!(
        card.text_of(".carry-over")
            .contains("and the 3 more recent ones")
    );
    // Untick the oldest listed one ("Left for later", the 21st, is the newest),
    // keep "the rest": everything else comes.
    let listed: Vec<String> = card
        .page()
        .select(&scraper::Selector::parse(".carry-over input[name=listed_id]").unwrap())
        .filter_map(|i| i.value().attr("value").map(str::to_string))
        .collect();
    let mut form: Vec<(&str, &str)> = vec![("return_to", "/"), ("rest", "1")];
    for id in &listed {
        form.push(("listed_id", id));
    }
    for id in &listed[1..] {
        form.push(("task_id", id));
    }
    let res = browser.submit("/", "/tasks/carry-over", &form).await;
    assert_eq!(res.status, 303);
    assert_eq!(
        placed(&listed[0]).0,
        Some(day(2026, 11, 20)),
        "unticked: stays"
    );
    let left: i64 = tasks::table
        .filter(tasks::scheduled_date.lt(day(2026, 11, 23)))
        .filter(tasks::status.ne("DONE"))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(
        left, 1,
        "all but the unticked one came (to today or the backlog)"
    );
}

/// From "free at 14:00" to a planned block in one pick, both ways round.
async fn a_free_slot_offers_the_catalog_and_the_catalog_proposes_a_free_slot(backend: Backend) {
    // 16:00 in Berlin on Monday 23 November.
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 15, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    add_block(
        &app,
        &browser,
        "Busy",
        &[
            ("scheduled_date", "2026-11-23"),
            ("scheduled_time", "16:00"),
        ],
    )
    .await;
    let activity: String = activities::table
        .filter(activities::title.eq("Client call"))
        .select(activities::id)
        .first(&mut *app.conn())
        .unwrap();
    // The slot's form lists the catalog, each entry keeping the slot's time.
    let slot = browser.get("/tasks/new?date=2026-11-23&time=14:00").await;
    let chip = slot
        .page()
        .select(&scraper::Selector::parse(".catalog-quick a").unwrap())
        .find(|a| a.text().collect::<String>().contains("Client call"))
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .expect("the slot offers the catalog");
    assert!(
        chip.contains("time=14%3A00") && chip.contains(&activity),
        "{chip}"
    );
    let picked = browser.get(&chip).await;
    assert!(picked.body.contains("value=\"Client call\""));
    assert!(
        picked.body.contains("value=\"14:00\""),
        "the slot's time is kept"
    );
    assert_eq!(
        picked.count(".catalog-quick"),
        0,
        "picked: no catalog again"
    );
    // From the catalog without a slot: the next free time that fits, from now on.
    let proposed = browser
        .get(&format!("/tasks/new?date=2026-11-23&activity={activity}"))
        .await;
    let start = |page: &crate::helpers::Response| {
        page.page()
            .select(&scraper::Selector::parse("#scheduled_time").unwrap())
            .next()
            .and_then(|input| input.value().attr("value").map(str::to_string))
            .unwrap_or_default()
    };
    assert_eq!(start(&proposed), "17:30", "16:00–17:30 is taken");
    let tomorrow = browser
        .get(&format!("/tasks/new?date=2026-11-24&activity={activity}"))
        .await;
    assert_eq!(start(&tomorrow), "06:30", "another day: its window's start");
}

async fn a_block_from_the_catalog_copies_its_defaults_and_counts_its_use(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let (activity, title): (String, String) = activities::table
        .filter(activities::title.eq("Client call"))
        .select((activities::id, activities::title))
        .first(&mut *app.conn())
        .unwrap();
    let form = browser
        .get(&format!(
            "/tasks/new?date=2026-11-23&time=10:00&activity={activity}"
        ))
        .await;
    assert_eq!(form.status, 200);
    for prefilled in [
        "value=\"Client call\"",
        "value=\"45\"",
        "value=\"10:00\"",
        "value=\"2026-11-23\"",
        "<option value=\"CLIENT\" selected>",
        "<option value=\"MODERATE\" selected>",
    ] {
        assert!(
            form.body.contains(prefilled),
            "the form is pre-filled with {prefilled}"
        );
    }
    let token = form.csrf_token();
    let res = browser
        .post(
            "/tasks",
            &[
                ("csrf_token", &token),
                ("title", &title),
                ("category", "CLIENT"),
                ("priority", "MEDIUM"),
                ("energy_level", "MODERATE"),
                ("time_block_minutes", "45"),
                ("scheduled_date", "2026-11-23"),
                ("scheduled_time", "10:00"),
                ("activity_id", &activity),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let task: String = tasks::table
        .filter(tasks::activity_id.eq(&activity))
        .select(tasks::id)
        .first(&mut *app.conn())
        .unwrap();

    let usage = |app: &TestApp| -> (i32, bool) {
        let (n, last): (i32, Option<chrono::NaiveDateTime>) = activities::table
            .find(&activity)
            .select((activities::times_used, activities::last_used))
            .first(&mut *app.conn())
            .unwrap();
        (n, last.is_some())
    };
    assert_eq!(usage(&app), (0, false));
    set_status(&browser, &task, "DONE").await;
    set_status(&browser, &task, "DONE").await;
    assert_eq!(
        usage(&app),
        (1, true),
        "completing bumps times_used and last_used once"
    );
    set_status(&browser, &task, "TODO").await;
    assert_eq!(usage(&app), (0, false), "reopening takes it back");
    set_status(&browser, &task, "DONE").await;
    browser
        .submit("/", &format!("/tasks/{task}/delete"), &[])
        .await;
    assert_eq!(
        usage(&app),
        (0, false),
        "deleting a done block takes it back"
    );
}

async fn bad_block_input_answers_422_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let other = app.signed_in_user("bob@example.com").await;
    let bobs_goal = add_goal(&app, &other, "Bob's goal", "3").await;
    let before = app.count("tasks");
    let base = [
        ("title", "Kept title"),
        ("category", "CODE"),
        ("priority", "HIGH"),
        ("energy_level", "LIGHT"),
        ("time_block_minutes", "90"),
        ("scheduled_date", "2026-11-23"),
        ("scheduled_time", "09:00"),
    ];
    let cases: [(&str, &str, &str); 5] = [
        ("scheduled_time", "25:00", "enter a time as HH:MM"),
        ("time_block_minutes", "7", "multiple of 5 minutes"),
        ("category", "MEETING", "choose a category"),
        ("goal_id", bobs_goal.as_str(), "choose one of your goals"),
        ("scheduled_date", "2026-02-30", "enter a date as YYYY-MM-DD"),
    ];
    for (field, value, message) in cases {
        let mut form: Vec<(&str, &str)> =
            base.iter().filter(|(k, _)| *k != field).copied().collect();
        form.push((field, value));
        let res = browser.submit("/tasks/new", "/tasks", &form).await;
        assert_eq!(res.status, 422, "{field}={value}");
        assert!(
            res.text().contains(message),
            "{field}={value}: {}",
            res.text()
        );
        assert!(
            res.body.contains("value=\"Kept title\""),
            "the input is kept"
        );
    }
    assert_eq!(app.count("tasks"), before, "nothing was saved");
    let block = add_block(&app, &browser, "Mine", &[]).await;
    let res = set_status(&browser, &block, "FINISHED").await;
    assert_eq!(res.status, 422);
    let res = browser
        .submit(
            "/",
            &format!("/tasks/{block}/move"),
            &[("date", "not a day")],
        )
        .await;
    assert_eq!(res.status, 422);
    let status: String = tasks::table
        .find(&block)
        .select(tasks::status)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(status, "TODO");
    assert_eq!(browser.get("/?date=yesterday").await.status, 400);
}

async fn someone_elses_blocks_and_goals_answer_404(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ana = app.signed_in_user("ana@example.com").await;
    let bob = app.signed_in_user("bob@example.com").await;
    let goal = add_goal(&app, &ana, "Ana's goal", "3").await;
    let block = add_block(&app, &ana, "Ana's block", &[("goal_id", &goal)]).await;
    let activity: String = activities::table
        .filter(activities::user_id.eq(app.user_id("ana@example.com")))
        .select(activities::id)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(bob.get(&format!("/tasks/{block}/edit")).await.status, 404);
    assert_eq!(
        bob.get(&format!("/command/goals/{goal}/edit")).await.status,
        404
    );
    let token = bob.get("/").await.csrf_token();
    for (path, form) in [
        (format!("/tasks/{block}/status"), vec![("status", "DONE")]),
        (format!("/tasks/{block}/move"), vec![("when", "tomorrow")]),
        (format!("/tasks/{block}/delete"), vec![]),
        (
            format!("/tasks/{block}"),
            vec![
                ("title", "Mine now"),
                ("category", "CODE"),
                ("priority", "LOW"),
                ("energy_level", "LIGHT"),
                ("time_block_minutes", "30"),
            ],
        ),
        (format!("/command/goals/{goal}/complete"), vec![]),
        (format!("/command/goals/{goal}/delete"), vec![]),
        (format!("/activities/{activity}/archive"), vec![]),
    ] {
        let mut fields = vec![("csrf_token", token.as_str())];
        fields.extend(form);
        assert_eq!(bob.post(&path, &fields).await.status, 404, "{path}");
    }
    assert!(
        !bob.get("/command/tasks?q=Ana")
            .await
            .body
            .contains("Ana&#39;s block")
    );
    let (title, status): (String, String) = tasks::table
        .find(&block)
        .select((tasks::title, tasks::status))
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!((title.as_str(), status.as_str()), ("Ana's block", "TODO"));
    assert_eq!(goal_state(&app, &goal), (0, false));
}

async fn htmx_gets_fragments_and_plain_posts_get_redirects(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 9, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let goal = add_goal(&app, &browser, "Deep work", "4").await;
    let block = add_block(
        &app,
        &browser,
        "Write the API",
        &[("goal_id", &goal), ("scheduled_time", "09:00")],
    )
    .await;
    let token = browser.get("/?date=2026-11-23").await.csrf_token();
    let form = [
        ("csrf_token", token.as_str()),
        ("status", "DONE"),
        ("return_to", "/?date=2026-11-23"),
    ];
    let swap = browser
        .post_with(
            &format!("/tasks/{block}/status"),
            &form,
            &[
                ("Sec-Fetch-Site", "same-origin"),
                ("HX-Request", "true"),
                ("HX-Target", "day-plan"),
            ],
        )
        .await;
    assert_eq!(swap.status, 200);
    assert!(!swap.body.contains("<html"), "a fragment, not a page");
    assert!(swap.body.contains("id=\"day-plan\""));
    assert!(swap.body.contains("id=\"goals-panel\" class=\"side-card\" aria-labelledby=\"goals-heading\" hx-swap-oob=\"true\""), "the goal card updates out of band");
    let text = swap.text();
    assert!(text.contains("1 of 4"), "{text}");
    assert!(
        text.contains("1 h 30 min done"),
        "the capacity figure moved: {text}"
    );

    let plain = browser
        .post(
            &format!("/tasks/{block}/status"),
            &[
                ("csrf_token", token.as_str()),
                ("status", "TODO"),
                ("return_to", "/?date=2026-11-23"),
            ],
        )
        .await;
    assert_eq!(plain.status, 303);
    assert_eq!(
        plain.header("location").as_deref(),
        Some("/?date=2026-11-23")
    );

    let editor = browser
        .get_with(
            "/tasks/new?date=2026-11-23",
            &[("HX-Request", "true"), ("HX-Target", "editor")],
        )
        .await;
    assert!(!editor.body.contains("<html") && editor.body.contains("hx-target=\"#editor\""));
    let full = browser.get("/tasks/new?date=2026-11-23").await;
    assert!(
        full.body.starts_with("<!doctype html>") && !full.body.contains("hx-target=\"#editor\""),
        "without JavaScript the form posts normally"
    );
}

/// The feed URL shown on the settings page, made with these request headers.
async fn feed_url_made_with(browser: &Browser, headers: &[(&str, &str)]) -> String {
    let token = browser.get("/settings/calendar").await.csrf_token();
    let mut all = vec![
        ("Origin", browser.base.as_str()),
        ("Sec-Fetch-Site", "same-origin"),
    ];
    all.extend_from_slice(headers);
    let page = browser
        .post_with("/settings/calendar", &[("csrf_token", &token)], &all)
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    page.page()
        .select(&scraper::Selector::parse("#feed-url").unwrap())
        .next()
        .and_then(|input| input.value().attr("value"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("the new feed URL is shown: {}", page.text()))
}

/// Anyone can send `X-Forwarded-Host`: only a trusted proxy's is believed, so a
/// stranger cannot make the page hand out a feed URL on their host.
async fn the_feed_url_believes_forwarded_headers_only_from_a_trusted_proxy(backend: Backend) {
    let forged = [
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "https"),
    ];
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let url = feed_url_made_with(&browser, &forged).await;
    assert!(
        url.starts_with(&format!("{}/calendar.ics?token=", browser.base)),
        "the request's own host and scheme: {url}"
    );
    drop(app);

    let Some(app) = spawn_app_with(backend, &[("LAUF_TRUSTED_PROXIES", "127.0.0.1/32")]).await
    else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let url = feed_url_made_with(&browser, &forged).await;
    assert!(
        url.starts_with("https://evil.example/calendar.ics?token="),
        "behind a trusted proxy its forwarded host and scheme: {url}"
    );
}

async fn the_calendar_feed_holds_the_right_instants_and_can_be_revoked(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 6, 10, 12, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await; // Europe/Berlin
    add_block(
        &app,
        &browser,
        "Summer, focus; deep",
        &[
            ("scheduled_date", "2026-06-15"),
            ("scheduled_time", "09:00"),
        ],
    )
    .await;
    add_block(
        &app,
        &browser,
        "Winter block",
        &[
            ("scheduled_date", "2026-12-15"),
            ("scheduled_time", "09:00"),
            ("time_block_minutes", "45"),
        ],
    )
    .await;
    add_block(
        &app,
        &browser,
        "All day",
        &[("scheduled_date", "2026-06-16")],
    )
    .await;

    let created = browser
        .submit("/settings/calendar", "/settings/calendar", &[])
        .await;
    assert_eq!(created.status, 200);
    let start = created
        .body
        .find("/calendar.ics?token=")
        .expect("the new feed URL is shown");
    let path = created.body[start..].split('"').next().unwrap().to_string();
    let feed = app.browser().get(&path).await;
    assert_eq!(feed.status, 200);
    assert!(
        feed.header("content-type")
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = feed.body.replace("\r\n ", "");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    assert!(
        !feed.body.replace("\r\n", "").contains('\n'),
        "CRLF line endings only"
    );
    let events: Vec<&str> = ics.split("BEGIN:VEVENT").skip(1).collect();
    assert_eq!(events.len(), 3);
    let event = |summary: &str| {
        *events
            .iter()
            .find(|e| e.contains(summary))
            .unwrap_or_else(|| panic!("{summary} in {ics}"))
    };
    let summer = event("SUMMARY:Summer\\, focus\\; deep");
    assert!(
        summer.contains("DTSTART:20260615T070000Z") && summer.contains("DTEND:20260615T083000Z"),
        "09:00 CEST is 07:00 UTC: {summer}"
    );
    let winter = event("SUMMARY:Winter block");
    assert!(
        winter.contains("DTSTART:20261215T080000Z") && winter.contains("DTEND:20261215T084500Z"),
        "09:00 CET is 08:00 UTC: {winter}"
    );
    let all_day = event("SUMMARY:All day");
    assert!(all_day.contains("DTSTART;VALUE=DATE:20260616"));
    for e in &events {
        assert!(e.contains("UID:") && e.contains("DTSTAMP:") && e.contains("END:VEVENT"));
    }

    let again = browser
        .submit("/settings/calendar", "/settings/calendar", &[])
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(
        app.browser().get(&path).await.status,
        404,
        "the old URL stops working"
    );
    assert_eq!(
        app.browser().get("/calendar.ics?token=nope").await.status,
        404
    );
    assert_eq!(app.browser().get("/calendar.ics").await.status, 404);
}

async fn the_week_view_moves_blocks_between_days(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 12, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let block = add_block(
        &app,
        &browser,
        "Movable",
        &[
            ("scheduled_date", "2026-11-24"),
            ("scheduled_time", "14:00"),
        ],
    )
    .await;
    let week = browser.get("/command/calendar?week=2026-11-25").await;
    assert_eq!(week.status, 200);
    let text = week.text();
    assert!(
        text.contains("Week of November 23, 2026")
            && text.contains("Tue 24")
            && text.contains("Movable"),
        "{text}"
    );
    assert!(text.contains("1 block · 1 h 30 min"));
    let res = browser
        .submit(
            "/command/calendar?week=2026-11-23",
            &format!("/tasks/{block}/move"),
            &[
                ("date", "2026-11-27"),
                ("keep_time", "keep"),
                ("return_to", "/command/calendar?week=2026-11-23"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        res.header("location").as_deref(),
        Some("/command/calendar?week=2026-11-23")
    );
    let (date, time): (Option<NaiveDate>, Option<String>) = tasks::table
        .find(&block)
        .select((tasks::scheduled_date, tasks::scheduled_time))
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(
        (date, time.as_deref()),
        (Some(day(2026, 11, 27)), Some("14:00"))
    );
    let tomorrow = browser
        .submit(
            "/",
            &format!("/tasks/{block}/move"),
            &[("when", "tomorrow")],
        )
        .await;
    assert_eq!(tomorrow.status, 303);
    let date: Option<NaiveDate> = tasks::table
        .find(&block)
        .select(tasks::scheduled_date)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(
        date,
        Some(day(2026, 11, 28)),
        "\"Tomorrow\" is the day after the block's own day (27th), not after today (23rd)"
    );
    assert!(
        browser
            .get("/command/calendar?week=2026-11-30")
            .await
            .main_text()
            .contains("Week of November 30, 2026")
    );
}

async fn the_tasks_list_filters_searches_and_pages(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let user = app.user_id("ana@example.com");
    let now = app.clock.stamp();
    let rows: Vec<lauf::db::models::tasks::Task> = (0..60)
        .map(|i| {
            let mut row = listed_block(
                &user,
                if i % 10 == 0 {
                    format!("Invoice client {i}")
                } else {
                    format!("Block {i}")
                },
                Some(day(2026, 10, 1) + chrono::Duration::days(i)),
                now,
            );
            if i % 2 != 0 {
                row.category = lauf::domain::TaskCategory::Code;
            }
            if i == 7 {
                row.priority = lauf::domain::Priority::Urgent;
            }
            row
        })
        .collect();
    lauf::db::models::tasks::insert_batch(&mut app.conn(), &rows).unwrap();

    let all = browser.get("/command/tasks").await.main_text();
    assert!(
        all.contains("Showing 1–50 of 60") && all.contains("Page 1 of 2"),
        "{all}"
    );
    assert!(
        browser
            .get("/command/tasks?page=2")
            .await
            .main_text()
            .contains("Showing 51–60 of 60")
    );
    let search = browser.get("/command/tasks?q=INVOICE").await.main_text();
    assert!(
        search.contains("of 6"),
        "case-insensitive title search on both backends: {search}"
    );
    let filtered = browser
        .get("/command/tasks?category=ADMIN&from=2026-10-01&to=2026-10-10")
        .await
        .main_text();
    assert!(filtered.contains("of 5"), "{filtered}");
    let urgent_first = browser
        .get("/command/tasks?sort=priority")
        .await
        .main_text();
    assert!(
        urgent_first.find("Block 7").unwrap() < urgent_first.find("Block 59").unwrap(),
        "the urgent block leads"
    );
    let bad = browser
        .get("/command/tasks?status=LATE&from=tomorrow")
        .await;
    assert_eq!(bad.status, 200);
    assert!(bad.text().contains("Ignored filter"));
    let percent = browser.get("/command/tasks?q=%25").await.main_text();
    assert!(
        percent.contains("No blocks match."),
        "a % is searched for literally: {percent}"
    );
}

async fn the_catalog_can_be_extended_reordered_and_archived(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let bad = browser
        .submit(
            "/activities",
            "/activities",
            &[
                ("title", ""),
                ("category", "CODE"),
                ("default_duration", "7"),
                ("energy_level", "LIGHT"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains("Title is required") && bad.text().contains("multiple of 5"));
    let res = browser
        .submit(
            "/activities",
            "/activities",
            &[
                ("title", "Portfolio update"),
                ("category", "NETWORKING"),
                ("default_duration", "60"),
                ("energy_level", "LIGHT"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let order = |app: &TestApp| -> Vec<String> {
        activities::table
            .filter(activities::is_active.eq(true))
            .order(activities::sort_order.asc())
            .select(activities::title)
            .load(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(
        order(&app).last().map(String::as_str),
        Some("Portfolio update"),
        "new activities go last"
    );
    let id: String = activities::table
        .filter(activities::title.eq("Portfolio update"))
        .select(activities::id)
        .first(&mut *app.conn())
        .unwrap();
    browser
        .submit("/activities", &format!("/activities/{id}/up"), &[])
        .await;
    let now = order(&app);
    assert_eq!(now[now.len() - 2], "Portfolio update", "moved up one place");
    browser
        .submit("/activities", &format!("/activities/{id}/archive"), &[])
        .await;
    assert!(!order(&app).contains(&"Portfolio update".to_string()));
    let today = browser.get("/").await;
    assert!(
        !today
            .text_of(".catalog-picker")
            .contains("Portfolio update"),
        "archived activities leave the picker"
    );
    assert!(
        today
            .text_of("#flash")
            .starts_with("Archived “Portfolio update”"),
        "and the page says so"
    );
    browser
        .submit("/activities", &format!("/activities/{id}/restore"), &[])
        .await;
    assert!(order(&app).contains(&"Portfolio update".to_string()));
}

async fn blocks_are_placed_on_the_timeline_and_overlaps_flagged(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 6, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    add_block(&app, &browser, "First", &[("scheduled_time", "06:30")]).await;
    add_block(
        &app,
        &browser,
        "Clash",
        &[("scheduled_time", "07:00"), ("time_block_minutes", "30")],
    )
    .await;
    add_block(&app, &browser, "No time", &[]).await;
    let page = browser.get("/?date=2026-11-23").await;
    assert!(
        page.body.contains("r-1 h-18 lane-1"),
        "06:30 for 90 minutes starts the window"
    );
    assert!(page.body.contains("r-7 h-6 lane-2"), "07:00 sits beside it");
    let text = page.text();
    assert!(text.contains("2 blocks overlap."), "{text}");
    assert!(text.contains("Also on this day") && text.contains("No time"));
    assert!(
        text.contains("+ Add block at 08:00") && !text.contains("+ Add block at 06:30"),
        "only free slots are offered"
    );
    assert!(
        text.contains("3 h 30 min booked of 8 h work hours"),
        "{text}"
    );
}

/// The day page is served from memory while the user's data version stands. Every
/// change must show on the next load, whoever made it: this process, a second one,
/// or SQL run beside the app (the data version is kept by triggers).
async fn the_day_page_shows_changes_made_anywhere_else(backend: Backend) {
    // 09:00 UTC is 10:00 in Berlin: today is 23 November.
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 9, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let user = app.user_id("ana@example.com");
    let version = || -> i64 {
        users::table
            .find(&user)
            .select(users::data_version)
            .first(&mut *app.conn())
            .unwrap()
    };
    let block = add_block(&app, &browser, "Write the proposal", &[]).await;
    add_goal(&app, &browser, "Ship the redesign", "5").await;
    let client = app.add_client(&browser, "Acme Studio").await;
    let res = browser
        .submit(
            "/projects/new",
            "/projects",
            &[
                ("client_id", client.as_str()),
                ("name", "Brand refresh"),
                ("project_type", "WEBSITE"),
                ("status", "PLANNING"),
                ("priority", "MEDIUM"),
                ("budget", ""),
                ("paid_amount", "0"),
                ("due_date", "2027-03-01"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());

    let first = browser.get("/").await.main_text();
    assert!(first.contains("Write the proposal"), "{first}");
    assert!(first.contains("Ship the redesign"));
    assert!(
        !first.contains("Acme Studio"),
        "nothing needs attention yet"
    );
    assert!(
        !first.contains("Brand refresh"),
        "due in March, not this week"
    );
    assert!(!first.contains("Reopen"), "nothing is done yet");
    assert_eq!(
        browser.get("/").await.main_text(),
        first,
        "an unchanged day stays the same"
    );

    // SQL beside the app, one table at a time; each bumps the version and shows.
    let mut conn = app.conn();
    let before = version();
    diesel::update(tasks::table.find(&block))
        .set(tasks::title.eq("Proposal, second draft"))
        .execute(&mut *conn)
        .unwrap();
    drop(conn);
    assert!(version() > before, "a changed block bumps the version");
    let page = browser.get("/").await.main_text();
    assert!(page.contains("Proposal, second draft"));
    assert!(!page.contains("Write the proposal"));

    diesel::update(goals::table.filter(goals::user_id.eq(&user)))
        .set(goals::title.eq("Ship the new site"))
        .execute(&mut *app.conn())
        .unwrap();
    assert!(
        browser
            .get("/")
            .await
            .main_text()
            .contains("Ship the new site")
    );

    let activity: String = activities::table
        .filter(activities::user_id.eq(&user))
        .filter(activities::is_active.eq(true))
        .select(activities::id)
        .first(&mut *app.conn())
        .unwrap();
    diesel::update(activities::table.find(&activity))
        .set(activities::title.eq("Renamed in the catalog"))
        .execute(&mut *app.conn())
        .unwrap();
    assert!(
        browser
            .get("/")
            .await
            .main_text()
            .contains("Renamed in the catalog")
    );

    diesel::update(clients::table.find(&client))
        .set(clients::next_followup.eq(Some(day(2026, 11, 20).and_hms_opt(9, 0, 0).unwrap())))
        .execute(&mut *app.conn())
        .unwrap();
    let page = browser.get("/").await.main_text();
    assert!(page.contains("Acme Studio"), "the overdue follow-up shows");
    assert!(page.contains("overdue since Nov 20"));

    // A project has no owner column: its client's owner is bumped.
    diesel::update(projects::table.filter(projects::name.eq("Brand refresh")))
        .set(projects::due_date.eq(Some(day(2026, 11, 25))))
        .execute(&mut *app.conn())
        .unwrap();
    assert!(browser.get("/").await.main_text().contains("Brand refresh"));

    // A second process completes the block; this one shows it done.
    let other = app.second_process();
    let elsewhere = app.browser_at(&other.address, &browser);
    assert_eq!(set_status(&elsewhere, &block, "DONE").await.status, 303);
    let page = browser.get("/").await.main_text();
    let done: String = tasks::table
        .find(&block)
        .select(tasks::status)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(done, "DONE");
    assert!(
        page.contains("work hours · 1 h 30 min done") && page.contains("Done Reopen"),
        "the block shows as done on this process: {page}"
    );
}

/// Goals moved under /command/goals; a form posted to an old URL from a tab left
/// open keeps its method and body through a 308.
async fn forms_left_open_on_the_old_goal_urls_still_land(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let token = browser.get("/command/goals").await.csrf_token();
    let res = browser.post("/goals", &[("csrf_token", &token)]).await;
    assert_eq!(res.status, 308);
    assert_eq!(res.header("location").as_deref(), Some("/command/goals"));
    let res = browser
        .post("/goals/some-id/complete", &[("csrf_token", &token)])
        .await;
    assert_eq!(res.status, 308);
    assert_eq!(
        res.header("location").as_deref(),
        Some("/command/goals/some-id/complete")
    );
}

/// 1,100 scheduled blocks and 25 in the backlog: the count stops at 1,000 ("1,000+",
/// pages without a last one), the backlog is a section of the first page, and the
/// last page still comes (it is not counted, it is read).
async fn the_tasks_list_counts_to_a_cap_and_keeps_the_backlog_apart(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let user = app.user_id("ana@example.com");
    let now = app.clock.stamp();
    let rows: Vec<lauf::db::models::tasks::Task> = (0..1125)
        .map(|i: i64| {
            let scheduled = i < 1100;
            listed_block(
                &user,
                if scheduled {
                    format!("Scheduled {i}")
                } else {
                    format!("Someday {i}")
                },
                scheduled.then(|| day(2023, 1, 1) + chrono::Duration::days(i)),
                now + chrono::Duration::seconds(i),
            )
        })
        .collect();
    lauf::db::models::tasks::insert_batch(&mut app.conn(), &rows).unwrap();

    let first = browser.get("/command/tasks").await;
    let text = first.main_text();
    assert!(text.contains("Backlog 25 without a day"), "{text}");
    assert_eq!(
        first.count("#task-results .table-wrap:first-of-type tbody tr"),
        20
    );
    assert!(text.contains("The newest 20 are shown"));
    assert!(text.contains("Someday 1124") && !text.contains("Someday 1100 "));
    assert!(text.contains("Showing 1–50 of 1,000+"), "{text}");
    assert!(
        text.contains("Page 1 Next"),
        "no last page is claimed: {text}"
    );
    // Newest day first: the last scheduled block leads.
    assert!(text.find("Scheduled 1099").unwrap() < text.find("Scheduled 1050").unwrap());

    let last = browser.get("/command/tasks?page=22").await.main_text();
    assert!(last.contains("Showing 1,051–1,100 of 1,000+"), "{last}");
    assert!(last.contains("Scheduled 0") && !last.contains("Backlog 25"));
    assert!(
        !last.contains("Next ›"),
        "nothing after the last page: {last}"
    );
    let past = browser.get("/command/tasks?page=23").await.main_text();
    assert!(past.contains("No more blocks."), "{past}");

    // A date range leaves the backlog out; its count is exact below the cap.
    let range = browser
        .get("/command/tasks?from=2023-01-01&to=2023-01-10")
        .await
        .main_text();
    assert!(
        range.contains("Showing 1–10 of 10") && !range.contains("Backlog"),
        "{range}"
    );
    // A search finds backlog and scheduled blocks alike.
    let search = browser
        .get("/command/tasks?q=someday%2011")
        .await
        .main_text();
    assert!(search.contains("Backlog 25 without a day"), "{search}");
    assert!(search.contains("No scheduled blocks match."), "{search}");
}

/// Following "Next" walks every scheduled block once, in the chosen order, even
/// where a page ends inside a day of blocks with and without a time; "Previous"
/// comes back to the same pages, the first one with its backlog. A filter that
/// reads rows says "Showing 1–50" without a count it would have to read the
/// history for, and counts exactly what fits on its first page.
async fn the_tasks_list_pages_by_cursor_both_ways_in_every_order(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let user = app.user_id("ana@example.com");
    let now = app.clock.stamp();
    let priorities = [
        lauf::domain::Priority::Low,
        lauf::domain::Priority::Urgent,
        lauf::domain::Priority::Medium,
        lauf::domain::Priority::High,
    ];
    // 130 scheduled blocks, 13 a day over 10 days, a third of them without a time;
    // 3 in the backlog.
    let rows: Vec<lauf::db::models::tasks::Task> = (0..133)
        .map(|i: i64| {
            let scheduled = i < 130;
            let mut block = listed_block(
                &user,
                format!("Block {i:03}"),
                scheduled.then(|| day(2024, 3, 1) + chrono::Duration::days(i / 13)),
                now + chrono::Duration::seconds(i),
            );
            block.scheduled_time = (scheduled && i % 3 != 0)
                .then(|| lauf::domain::TimeOfDay::parse(&format!("{:02}:00", 8 + i % 10)).unwrap());
            block.priority = priorities[(i % 4) as usize];
            if i % 2 == 0 {
                block.category = lauf::domain::TaskCategory::Design;
            }
            block
        })
        .collect();
    lauf::db::models::tasks::insert_batch(&mut app.conn(), &rows).unwrap();
    let by_title: std::collections::HashMap<String, &lauf::db::models::tasks::Task> =
        rows.iter().map(|t| (t.title.clone(), t)).collect();
    let scheduled_titles = |page: &crate::helpers::Response| {
        page.texts_of("#task-results .table-wrap:last-of-type tbody td:nth-child(2) a")
    };
    let link = |page: &crate::helpers::Response, rel: &str| {
        let html = page.page();
        let selector = scraper::Selector::parse(&format!("a[rel={rel}]")).unwrap();
        html.select(&selector)
            .next()
            .and_then(|a| a.value().attr("href"))
            .map(str::to_owned)
    };
    // The list's order as the rows hold it: (urgency,) day, time (none first), id.
    let key = |title: &String, urgent: bool| {
        let t = by_title[title];
        let urgency = match t.priority {
            lauf::domain::Priority::Urgent => 4,
            lauf::domain::Priority::High => 3,
            lauf::domain::Priority::Medium => 2,
            lauf::domain::Priority::Low => 1,
        };
        (
            if urgent { urgency } else { 0 },
            t.scheduled_date.unwrap(),
            t.scheduled_time.map(|t| t.to_string()).unwrap_or_default(),
        )
    };
    for (sort, descending, urgent) in [
        ("", true, false),
        ("date", false, false),
        ("priority", true, true),
    ] {
        let mut pages = Vec::new();
        let mut url = format!("/command/tasks?sort={sort}");
        loop {
            let page = browser.get(&url).await;
            assert_eq!(page.status, 200, "{url}");
            pages.push((url.clone(), scheduled_titles(&page)));
            match link(&page, "next") {
                Some(next) => url = next.replace("&amp;", "&"),
                None => break,
            }
        }
        assert_eq!(pages.len(), 3, "50 + 50 + 30 with sort {sort:?}");
        let seen: Vec<String> = pages.iter().flat_map(|(_, t)| t.clone()).collect();
        let unique: std::collections::HashSet<&String> = seen.iter().collect();
        assert_eq!(
            (seen.len(), unique.len()),
            (130, 130),
            "each block once, sort {sort:?}"
        );
        let keys: Vec<_> = seen.iter().map(|t| key(t, urgent)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        if descending {
            sorted.reverse();
        }
        assert_eq!(keys, sorted, "the pages keep the order of sort {sort:?}");
        // Back from the last page: the second page again, then the first.
        let last = browser.get(&pages[2].0).await;
        assert!(
            last.main_text().contains("Showing 101–130"),
            "{}",
            last.main_text()
        );
        let back = browser
            .get(&link(&last, "prev").unwrap().replace("&amp;", "&"))
            .await;
        assert_eq!(
            scheduled_titles(&back),
            pages[1].1,
            "Previous shows page 2 again"
        );
        assert!(back.main_text().contains("Showing 51–100 of 130"));
        let front = browser
            .get(&link(&back, "prev").unwrap().replace("&amp;", "&"))
            .await;
        assert_eq!(scheduled_titles(&front), pages[0].1, "and page 1");
        let text = front.main_text();
        assert!(
            text.contains("Backlog 3 without a day") && text.contains("Page 1 of 3"),
            "{text}"
        );
        assert!(link(&front, "prev").is_none(), "nothing before page 1");
    }

    // A category reads rows: no count beyond the page, but Next still comes.
    let creative = browser.get("/command/tasks?category=DESIGN").await;
    let text = creative.main_text();
    assert!(
        text.contains("Showing 1–50") && !text.contains("Showing 1–50 of"),
        "{text}"
    );
    assert!(link(&creative, "prev").is_none());
    let second = browser
        .get(&link(&creative, "next").unwrap().replace("&amp;", "&"))
        .await;
    assert!(
        second.main_text().contains("Showing 51–65"),
        "{}",
        second.main_text()
    );
    // What fits on the first page is counted exactly.
    let few = browser
        .get("/command/tasks?category=DESIGN&priority=MEDIUM")
        .await;
    assert!(
        few.main_text().contains("Showing 1–32 of 32"),
        "{}",
        few.main_text()
    );
    assert!(link(&few, "next").is_none());
    // A cursor the list did not write is said so, and the first page shown.
    let forged = browser
        .get("/command/tasks?after=1_2024-03-01_25:00_x")
        .await;
    let text = forged.main_text();
    assert!(
        text.contains("Ignored filter: the page link is not one this list wrote"),
        "{text}"
    );
    assert!(text.contains("Showing 1–50 of 130"), "{text}");
}

/// A low-priority admin block of `user` for the tasks list tests, made at `made`.
fn listed_block(
    user: &lauf::domain::UserId,
    title: String,
    date: Option<chrono::NaiveDate>,
    made: chrono::NaiveDateTime,
) -> lauf::db::models::tasks::Task {
    lauf::db::models::tasks::Task {
        id: lauf::domain::TaskId::generate(),
        user_id: user.clone(),
        project_id: None,
        client_id: None,
        activity_id: None,
        goal_id: None,
        title,
        description: None,
        category: lauf::domain::TaskCategory::Admin,
        priority: lauf::domain::Priority::Low,
        status: lauf::domain::TaskStatus::Todo,
        scheduled_date: date,
        scheduled_time: None,
        time_block_minutes: lauf::domain::BlockMinutes::DEFAULT,
        energy_level: lauf::domain::EnergyLevel::Light,
        completed_at: None,
        created_at: made,
        updated_at: made,
        routine_id: None,
        routine_date: None,
    }
}
