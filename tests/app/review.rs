//! The weekly review answers with figures computed from stored data: hours by
//! category and day, a client's earnings per hour with its retainer share and
//! a payment, retainer hours owed, a project's slip at its recent pace, and
//! the week's note saved with and without htmx — on both backends.

use diesel::prelude::*;
use lauf::db::schema::projects;

use crate::helpers::{Backend, Browser, TestApp, spawn_app_at, utc};
use crate::on_both_backends;

on_both_backends!(
    goals_count_crm_events_once_and_take_them_back,
    the_review_shows_the_weeks_figures_from_stored_data,
    the_weeks_note_saves_with_and_without_htmx_and_stays_the_users,
    prepare_tomorrow_proposes_owed_hours_slipping_work_and_intentions,
    a_goal_set_mid_week_charts_its_pace_from_when_it_was_set,
    a_block_names_its_client_with_or_without_a_project,
    the_review_kept_between_views_follows_every_change,
);

async fn done(browser: &Browser, task: &str) {
    let res = browser
        .submit(
            "/",
            &format!("/tasks/{task}/status"),
            &[("status", "DONE"), ("return_to", "/")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
}

/// A client on a €3,000 retainer covering 10 hours, a 20-hour project due
/// Dec 20 with €1,000 paid on Wednesday Dec 2 (the clock), and three blocks of
/// ISO week 49: Mon Nov 30 code on the project (done, 90 min), Tue Dec 1 a
/// call on it (done, 60 min), Wed Dec 2 a follow-up block for the client
/// itself (done, 30 min), Thu Dec 3 design on the project (planned, 90 min).
async fn workspace(app: &TestApp, browser: &Browser) -> (String, String) {
    let client = app
        .add_client_with(
            browser,
            "Harbor Books",
            &[
                ("monthly_retainer", "3000"),
                ("retainer_hours_per_month", "10"),
            ],
        )
        .await;
    let res = browser
        .submit(
            "/projects/new",
            "/projects",
            &[
                ("client_id", client.as_str()),
                ("name", "Shop relaunch"),
                ("project_type", "WEBSITE"),
                ("status", "DEVELOPMENT"),
                ("priority", "HIGH"),
                ("due_date", "2026-12-20"),
                ("budget", "5000"),
                ("paid_amount", "1000"),
                ("estimated_hours", "20"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let project: String = projects::table
        .select(projects::id)
        .first(&mut *app.conn())
        .unwrap();
    let code = app
        .add_block(
            browser,
            "Checkout flow",
            &[
                ("project_id", &project),
                ("scheduled_date", "2026-11-30"),
                ("scheduled_time", "09:00"),
            ],
        )
        .await;
    let call = app
        .add_block(
            browser,
            "Call with Harbor",
            &[
                ("project_id", &project),
                ("category", "CLIENT"),
                ("time_block_minutes", "60"),
                ("energy_level", "MODERATE"),
                ("scheduled_date", "2026-12-01"),
                ("scheduled_time", "10:00"),
            ],
        )
        .await;
    app.add_block(
        browser,
        "Product page design",
        &[
            ("project_id", &project),
            ("category", "DESIGN"),
            ("scheduled_date", "2026-12-03"),
            ("scheduled_time", "09:00"),
        ],
    )
    .await;
    // A follow-up block names the client itself (no project): 30 min today.
    let page = browser.get(&format!("/clients/{client}")).await;
    let res = browser
        .post_with_token(&page, &format!("/clients/{client}/followup-block"), &[])
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let followup: String = {
        use lauf::db::schema::tasks;
        tasks::table
            .filter(tasks::title.eq("Follow up with Harbor Books"))
            .select(tasks::id)
            .first(&mut *app.conn())
            .unwrap()
    };
    done(browser, &followup).await;
    done(browser, &code).await;
    done(browser, &call).await;
    (client, project)
}

/// The editor hint another user gets for `project`: nothing.
async fn bo_hint(app: &TestApp, project: &str) -> String {
    let bo = app.signed_in_user("bo@example.com").await;
    bo.get(&format!("/tasks/client-hint?project_id={project}"))
        .await
        .text()
}

async fn the_review_shows_the_weeks_figures_from_stored_data(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 12, 2, 9, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let (client, project) = workspace(&app, &browser).await;

    let page = browser.get("/review?week=2026-W49").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.title(), "Review 2026-W49 · LAUF OS");
    assert!(page.text_of("header").contains("Nov 30 – Dec 6, 2026"));
    // Hours by category: the table beside the chart, and the chart's own data.
    let hours = page.text_of("#hours table tbody");
    assert_eq!(
        hours,
        "Design 1 h 30 min 0 min Code 1 h 30 min 1 h 30 min Client 1 h 30 min 1 h 30 min"
    );
    let chart = page.text_of("#hours svg desc");
    assert!(
        chart.contains("Code: 1 h 30 min done of 1 h 30 min planned")
            && chart.contains("Design: 0 min done of 1 h 30 min planned"),
        "{chart}"
    );
    assert_eq!(page.count("#hours svg rect.bar-planned"), 3);
    assert_eq!(
        page.count("#days svg rect.bar-done"),
        3,
        "Mon to Wed have done work"
    );
    let days = page.text_of("#days table tbody");
    assert!(
        days.starts_with(
            "Mon 30 1 h 30 min 1 h 30 min Tue 1 1 h 1 h Wed 2 30 min 30 min Thu 3 1 h 30 min 0 min"
        ),
        "{days}"
    );

    // Earnings: 1/30 of November's retainer (100.00) + 6/31 of December's
    // (580.65) + the €1,000 payment, over 3 h done (through the project and
    // directly) = €560.22/h.
    let row = page.text_of("#clients tbody tr");
    assert!(
        row.contains("Harbor Books 3 h €680.65 €1,000.00 €560.22/h"),
        "{row}"
    );
    // Retainer hours in December: 10 h − 1 h 30 min done (Dec 1 and 2) −
    // 1 h 30 min planned (Dec 3).
    assert!(
        row.contains("7 h owed (1 h 30 min done, 1 h 30 min planned of 10 h)"),
        "{row}"
    );
    assert!(
        page.text_of(".review-summary")
            .contains("Paid this week €1,000.00")
    );

    // The project: 17 h 30 min left at 2 h 30 min per 4 weeks takes 196 days
    // from Dec 2, to 2027-06-16: past Dec 20 by 178 days; 1 h 30 min of it is
    // planned, 16 h not yet.
    let slip = page.text_of("#slipping");
    assert!(
        slip.contains("Shop relaunch") && slip.contains("slips by 178 days"),
        "{slip}"
    );
    assert!(
        slip.contains("2 h 30 min of 20 h done · 16 h not yet planned"),
        "{slip}"
    );

    // The client page: this month is Dec 1–2 (2/31 of the retainer, 193.55,
    // + €1,000 over 1 h 30 min); the last 3 months and all time start with
    // the first work on Nov 30 (100.00 + 193.55 + €1,000 over 3 h).
    let client_page = browser.get(&format!("/clients/{client}")).await;
    let per_hour = client_page.text_of("table.per-hour tbody");
    assert_eq!(
        per_hour,
        "This month €795.70/h €1,193.55 in 1 h 30 min \
         Last 3 months €431.18/h €1,293.55 in 3 h \
         All time €431.18/h €1,293.55 in 3 h"
    );
    // The day's "between blocks" panel and the week view say what is owed.
    let owed = "Harbor Books : 7 h owed this month after the 1 h 30 min scheduled";
    let day = browser.get("/").await;
    assert!(
        day.text_of(".attention").contains(owed),
        "{}",
        day.text_of(".attention")
    );
    let week = browser.get("/command/calendar").await;
    assert!(week.text_of(".retainer-hours").contains(owed));

    // Planning a block for the project: the editor's hint gives the client's
    // rate this month; with payments overdue it warns, with what is open.
    let hint = browser
        .get(&format!("/tasks/client-hint?project_id={project}"))
        .await;
    assert_eq!(hint.status, 200);
    assert_eq!(hint.text(), "For Harbor Books : €795.70/h this month.");
    diesel::update(lauf::db::schema::clients::table)
        .set(lauf::db::schema::clients::payment_status.eq("OVERDUE"))
        .execute(&mut *app.conn())
        .unwrap();
    let hint = browser
        .get(&format!("/tasks/client-hint?project_id={project}"))
        .await;
    assert!(
        hint.text()
            .contains("Payments are overdue at Harbor Books: €4,000.00 open on its projects. You can still plan the block."),
        "{}",
        hint.text()
    );
    let by_client = browser
        .get(&format!("/tasks/client-hint?client_id={client}"))
        .await;
    assert_eq!(
        by_client.text(),
        hint.text(),
        "the client chosen without a project"
    );
    let editor = browser.get(&format!("/tasks/new?project={project}")).await;
    assert!(editor.body.contains("hx-get=\"/tasks/client-hint\""));
    assert_eq!(bo_hint(&app, &project).await, "", "not someone else's");

    // The project page says the same.
    let project_page = browser.get(&format!("/projects/{project}")).await;
    let forecast = project_page.text_of("#forecast");
    assert!(
        forecast.contains("slips by 178 days")
            && forecast.contains("done by Jun 16, 2027, due Dec 20, 2026")
            && forecast.contains("Not yet planned 16 h"),
        "{forecast}"
    );

    // The year's trend: this month live (the €3,000 retainer, no pipeline),
    // recorded for today once; earlier months not recorded yet.
    let trend = page.text_of(".trend-table tbody");
    assert!(
        trend.ends_with("December 2026 €3,000.00 €0.00") && trend.starts_with("January 2026 — —"),
        "{trend}"
    );
    assert!(
        page.text_of("#trend svg desc")
            .contains("December 2026: €3,000.00")
    );
    assert_eq!(app.count("business_days"), 1);
    browser.get("/review?week=2026-W49").await;
    assert_eq!(
        app.count("business_days"),
        1,
        "unchanged figures write nothing"
    );

    // Another week, navigation and a bad week.
    let before = browser.get("/review?week=2026-W48").await;
    assert!(before.text_of("#hours").contains("No blocks this week."));
    assert!(before.body.contains("href=\"/review?week=2026-W49\""));
    let bad = browser.get("/review?week=soon").await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.text()
            .contains("“soon” is not a week: write it as 2026-W49.")
    );
    // Someone else sees nothing of it.
    let bo = app.browser();
    bo.log_in("bo@example.com", "a long passphrase").await;
    let theirs = bo.get("/review?week=2026-W49").await;
    assert!(!theirs.text().contains("Harbor Books"));
}

async fn the_weeks_note_saves_with_and_without_htmx_and_stays_the_users(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 12, 4, 15, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let page = browser.get("/review").await;
    let token = page.csrf_token();
    // Without JavaScript: a plain form post, back to the week with a message.
    let res = browser
        .post(
            "/review/note",
            &[
                ("csrf_token", token.as_str()),
                ("week", "2026-W49"),
                ("went_well", "Shipped the checkout"),
                ("to_change", "Fewer meetings"),
                ("intentions", "Finish the product pages"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let back = res.header("location").unwrap();
    assert_eq!(back, "/review?week=2026-W49#note");
    let page = browser.get(&back).await;
    assert!(
        page.text_of("#flash")
            .contains("Saved the note of week 49.")
    );
    assert!(page.body.contains(">Shipped the checkout</textarea>"));
    // With htmx: the note section alone comes back, saying so.
    let res = browser
        .post_with(
            "/review/note",
            &[
                ("csrf_token", token.as_str()),
                ("week", "2026-W49"),
                ("went_well", "Shipped the checkout and the cart"),
                ("to_change", ""),
                ("intentions", ""),
            ],
            &[
                ("Sec-Fetch-Site", "same-origin"),
                ("HX-Request", "true"),
                ("HX-Target", "note"),
            ],
        )
        .await;
    assert_eq!(res.status, 200);
    assert!(
        res.body
            .trim_start()
            .starts_with("<section class=\"card\" id=\"note\""),
        "{}",
        res.body
    );
    assert!(res.text().contains("Saved."));
    assert!(
        res.body
            .contains(">Shipped the checkout and the cart</textarea>")
    );
    // Too long: 422, the text kept in the form, nothing changed.
    let long = "x".repeat(5001);
    let res = browser
        .post(
            "/review/note",
            &[
                ("csrf_token", token.as_str()),
                ("week", "2026-W49"),
                ("went_well", long.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.text_of("#note").contains("What went well"),
        "the field names its problem"
    );
    let page = browser.get("/review?week=2026-W49").await;
    assert!(
        page.body
            .contains(">Shipped the checkout and the cart</textarea>")
    );
    // Another week has its own note; another user sees none of it.
    assert!(
        !browser
            .get("/review?week=2026-W48")
            .await
            .body
            .contains("Shipped")
    );
    let bo = app.signed_in_user("bo@example.com").await;
    assert!(
        !bo.get("/review?week=2026-W49")
            .await
            .body
            .contains("Shipped")
    );
}

/// A goal counting a kind of CRM event, and its count now.
async fn event_goal(app: &TestApp, browser: &Browser, title: &str, event: &str) -> String {
    use lauf::db::schema::goals;
    let res = browser
        .submit(
            "/command/goals",
            "/command/goals",
            &[
                ("title", title),
                ("goal_type", "MONTHLY"),
                ("target_value", "5"),
                ("counts", &format!("event:{event}")),
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

fn count(app: &TestApp, goal: &str) -> i32 {
    use lauf::db::schema::goals;
    goals::table
        .find(goal)
        .select(goals::current_value)
        .first(&mut *app.conn())
        .unwrap()
}

async fn goals_count_crm_events_once_and_take_them_back(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 12, 2, 9, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let launches = event_goal(&app, &browser, "Launch projects", "LAUNCH").await;
    let payments = event_goal(&app, &browser, "Get paid", "PAYMENT").await;
    let contacts = event_goal(&app, &browser, "Talk to clients", "CONTACT").await;
    let retainers = event_goal(&app, &browser, "Sign retainers", "RETAINER").await;
    let goals_page = browser.get("/command/goals").await;
    assert!(goals_page.text().contains("every project launched"));

    let (client, project) = workspace(&app, &browser).await;
    // The workspace: a client with a retainer (signed), a project paid €1,000.
    assert_eq!((count(&app, &retainers), count(&app, &payments)), (1, 1));

    // Launched once, however often the move is sent; moved back: taken back.
    for _ in 0..2 {
        let res = browser
            .submit(
                "/projects",
                &format!("/projects/{project}/move"),
                &[("to", "LAUNCHED"), ("return_to", "/projects")],
            )
            .await;
        assert_eq!(res.status, 303);
    }
    assert_eq!(count(&app, &launches), 1);
    browser
        .submit(
            "/projects",
            &format!("/projects/{project}/move"),
            &[("to", "REVIEW"), ("return_to", "/projects")],
        )
        .await;
    assert_eq!(count(&app, &launches), 0);

    // A contact logged counts.
    let res = browser
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/contact"),
            &[("note", "Called about the shop")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(count(&app, &contacts), 1);

    // Payments going overdue take one back; back to current counts again,
    // and a retainer set counts as signed.
    let late = app.add_client(&browser, "Late Payer").await;
    let edit = |payment: &'static str, retainer: &'static str| {
        let (browser, late) = (&browser, late.clone());
        async move {
            let res = browser
                .submit(
                    &format!("/clients/{late}/edit"),
                    &format!("/clients/{late}"),
                    &[
                        ("name", "Late Payer"),
                        ("status", "ACTIVE"),
                        ("health_score", "GREEN"),
                        ("payment_status", payment),
                        ("followup_cadence_days", "14"),
                        ("monthly_retainer", retainer),
                    ],
                )
                .await;
            assert_eq!(res.status, 303, "{}", res.text());
        }
    };
    edit("OVERDUE", "").await;
    assert_eq!(count(&app, &payments), 0);
    edit("CURRENT", "500").await;
    assert_eq!((count(&app, &payments), count(&app, &retainers)), (1, 2));
}

/// After the work hours, the day page offers "Prepare tomorrow": the plan for
/// tomorrow proposes the retainer hours still owed, work on the project that
/// will slip and last week's intentions, warns about the client's overdue
/// payments, and accepting makes the blocks, which are then not proposed again.
async fn prepare_tomorrow_proposes_owed_hours_slipping_work_and_intentions(backend: Backend) {
    use lauf::db::schema::{clients, tasks};

    use crate::planner::{proposals, row_fields};
    let Some(app) = spawn_app_at(backend, utc(2026, 12, 2, 9, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let (client, project) = workspace(&app, &browser).await;
    let page = browser.get("/").await;
    assert_eq!(
        page.count(".day-header a[href='/command/plan?date=2026-12-03']"),
        1,
        "on demand during the day"
    );
    let token = page.csrf_token();
    let res = browser
        .post(
            "/review/note",
            &[
                ("csrf_token", token.as_str()),
                ("week", "2026-W48"),
                ("went_well", ""),
                ("to_change", ""),
                (
                    "intentions",
                    "- Write the case study\n\n- Plan next quarter's pricing",
                ),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    diesel::update(clients::table.find(&client))
        .set(clients::payment_status.eq("OVERDUE"))
        .execute(&mut *app.conn())
        .unwrap();

    // Thursday Dec 3, 20:00 in Berlin: the work hours are over.
    app.clock.set(utc(2026, 12, 3, 19, 0));
    // A day later the idle session has ended: sign in again.
    browser.log_in("ana@example.com", "a long passphrase").await;
    let page = browser.get("/").await;
    let token = page.csrf_token();
    assert!(
        page.text_of(".close-day")
            .contains("Your work hours are over.")
    );
    assert_eq!(
        page.count(".close-day a[href='/command/plan?date=2026-12-04']"),
        1
    );
    let page = browser.get("/command/plan?date=2026-12-04").await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.title(), "Prepare tomorrow · LAUF OS");
    let rows = proposals(&page);
    let overdue = "⚠ Payments are overdue at Harbor Books: €4,000.00 open on its projects.";
    let find = |start: &str| {
        rows.iter()
            .find(|r| r.get(6..).is_some_and(|r| r.starts_with(start)))
            .unwrap_or_else(|| panic!("no {start} in {rows:#?}"))
            .clone()
    };
    // 10 h covered; 1 h + 30 min done in December, 1 h 30 min still on today.
    assert!(
        find("Retainer work for Harbor Books").ends_with(&format!(
            "1 h 30 min · new block 7 h owed this month on the retainer after the 1 h 30 min scheduled {overdue}"
        )),
        "{rows:#?}"
    );
    // 20 h estimated, 2 h 30 min done (all in the last 4 weeks), 1 h 30 min
    // scheduled: 1,050 min left at 150 per 28 days finishes June 17, 179 days
    // after Dec 20; 16 h are not scheduled.
    assert!(
        find("Work on Shop relaunch").contains(
            "· new block Shop relaunch for Harbor Books: slips by 179 days, 16 h not scheduled before it is due Sun Dec 20 · high priority"
        ),
        "{rows:#?}"
    );
    assert!(find("Work on Shop relaunch").ends_with(overdue));
    assert!(
        find("Write the case study").ends_with(
            "1 h 30 min · new block your intention for this week, from last week's review"
        )
    );
    find("Plan next quarter's pricing");
    assert!(
        find("Product page design").contains("unfinished from Thu Dec 3"),
        "today's unfinished block is carried"
    );

    // A tampered intention is refused whole.
    let at = rows
        .iter()
        .position(|r| r.contains("Write the case study"))
        .unwrap();
    let long = "x".repeat(201);
    let res = browser
        .post(
            "/command/plan",
            &[
                ("csrf_token", token.as_str()),
                ("date", "2026-12-04"),
                ("pick", &at.to_string()),
                (&format!("kind_{at}"), "intention"),
                (&format!("ref_{at}"), long.as_str()),
                (&format!("minutes_{at}"), "90"),
                (&format!("time_{at}"), "09:00"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    let on_friday = || -> Vec<(String, Option<String>, Option<String>)> {
        tasks::table
            .filter(tasks::scheduled_date.eq(chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()))
            .order(tasks::scheduled_time.asc())
            .select((tasks::title, tasks::client_id, tasks::project_id))
            .load(&mut *app.conn())
            .unwrap()
    };
    assert!(on_friday().is_empty(), "nothing half-saved");

    // Accept all of them.
    let mut form: Vec<(String, String)> = vec![
        ("csrf_token".into(), token.clone()),
        ("date".into(), "2026-12-04".into()),
    ];
    for (i, row) in rows.iter().enumerate() {
        if row.contains("break after three hours") {
            continue;
        }
        form.push(("pick".into(), i.to_string()));
        form.extend(row_fields(&page, i));
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = browser.post("/command/plan", &pairs).await;
    assert_eq!(res.status, 303, "{}", res.text());
    let friday = on_friday();
    let made = |title: &str| {
        friday
            .iter()
            .find(|(t, _, _)| t == title)
            .unwrap_or_else(|| panic!("no {title} in {friday:#?}"))
            .clone()
    };
    assert_eq!(
        made("Retainer work for Harbor Books").1.as_deref(),
        Some(client.as_str())
    );
    let work = made("Work on Shop relaunch");
    assert_eq!(
        (work.1.as_deref(), work.2.as_deref()),
        (Some(client.as_str()), Some(project.as_str())),
        "the project's block is the client's too"
    );
    made("Write the case study");
    made("Plan next quarter's pricing");
    made("Product page design");
    let page = browser.get("/?date=2026-12-04").await;
    assert!(
        page.text_of("#flash")
            .starts_with(&format!("Planned {} blocks for tomorrow.", friday.len())),
        "{}",
        page.text_of("#flash")
    );
    // The same submission again (a retried request) makes no block twice.
    let res = browser.post("/command/plan", &pairs).await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(on_friday().len(), friday.len(), "{:#?}", on_friday());

    // Planned, none of them is proposed again.
    let again = proposals(&browser.get("/command/plan?date=2026-12-04").await);
    for gone in [
        "Retainer work",
        "Work on Shop relaunch",
        "Write the case study",
        "Plan next quarter's pricing",
    ] {
        assert!(
            !again.iter().any(|r| r.contains(gone)),
            "{gone}: {again:#?}"
        );
    }
    // The slip shows on the board's card and in the day panel, twice (the
    // second from the cache), and goes when the estimate drops to 3 hours:
    // 30 min left at 150 per 28 days finish Dec 9, before Dec 20.
    for _ in 0..2 {
        let board = browser.get("/projects").await;
        assert!(
            board
                .text_of(&format!("#project-{project}"))
                .contains("Slips by 179 days"),
            "{}",
            board.text_of(&format!("#project-{project}"))
        );
        let day = browser.get("/").await;
        assert!(
            day.text_of(".side-card")
                .contains("Shop relaunch Harbor Books · slips by 179 days"),
            "{}",
            day.text_of(".side-card")
        );
    }
    diesel::update(projects::table.find(&project))
        .set(projects::estimated_hours.eq(3))
        .execute(&mut *app.conn())
        .unwrap();
    let board = browser.get("/projects").await;
    assert!(
        !board
            .text_of(&format!("#project-{project}"))
            .contains("Slips")
    );
    assert!(
        !browser
            .get("/")
            .await
            .text()
            .contains("Projects that will slip")
    );
}

/// A weekly goal set on Thursday: its pace chart expects from Thursday, and
/// its line and table follow the count's steps (done, done, reopened).
async fn a_goal_set_mid_week_charts_its_pace_from_when_it_was_set(backend: Backend) {
    use lauf::db::schema::{goal_progress, goals};
    // Thursday Dec 3, 10:00 in Berlin.
    let Some(app) = spawn_app_at(backend, utc(2026, 12, 3, 9, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let res = browser
        .submit(
            "/command/goals",
            "/command/goals",
            &[
                ("title", "Write four posts"),
                ("goal_type", "WEEKLY"),
                ("target_value", "4"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let goal: String = goals::table
        .select(goals::id)
        .first(&mut *app.conn())
        .unwrap();
    let mut posts = Vec::new();
    for title in ["Post one", "Post two"] {
        posts.push(
            app.add_block(
                &browser,
                title,
                &[("goal_id", &goal), ("scheduled_date", "2026-12-03")],
            )
            .await,
        );
    }
    app.clock.set(utc(2026, 12, 3, 10, 0));
    done(&browser, &posts[0]).await;
    app.clock.set(utc(2026, 12, 3, 11, 0));
    done(&browser, &posts[1]).await;
    let res = browser
        .submit(
            "/",
            &format!("/tasks/{}/status", posts[1]),
            &[("status", "TODO"), ("return_to", "/")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(count(&app, &goal), 1);
    let steps: Vec<i32> = goal_progress::table
        .filter(goal_progress::goal_id.eq(&goal))
        .order(goal_progress::at.asc())
        .select(goal_progress::delta)
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(steps, [1, 0], "the done and the reopen at 12:00 net out");

    for page in ["/command/goals", "/review"] {
        let page = browser.get(page).await;
        let card = format!("svg.pace-chart[aria-labelledby^='pace-{goal}-title']");
        assert_eq!(page.count(&card), 1, "{}", page.text());
        // Set Thursday 10:00, the week ends Monday 00:00: 86 hours, two gone.
        assert_eq!(
            page.text_of(&format!("#pace-{goal}-desc")),
            "From Nov 30 to Dec 6: 1 of 4 done, 0 expected by now at an even pace."
        );
        let rows = scraper::Selector::parse(".pace-numbers tbody tr").unwrap();
        let table: Vec<String> = page
            .page()
            .select(&rows)
            .map(|r| r.text().collect::<Vec<_>>().join(" "))
            .collect();
        assert_eq!(table, ["Mon Nov 30 0 0", "Thu Dec 3 1 0"]);
    }
}

/// A block names the client its work is for: without a project (retainer
/// work), or the project's own; another client than the project's, or someone
/// else's, is refused and saves nothing; clearing the field clears it.
async fn a_block_names_its_client_with_or_without_a_project(backend: Backend) {
    use lauf::db::schema::tasks;
    let Some(app) = spawn_app_at(backend, utc(2026, 12, 2, 9, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let (harbor, project) = workspace(&app, &browser).await;
    let other = app.add_client(&browser, "Northwind").await;
    let bo = app.signed_in_user("bo@example.com").await;
    let bos = app.add_client(&bo, "Bo's client").await;
    let client_of = |title: &str| -> (Option<String>, Option<String>) {
        tasks::table
            .filter(tasks::title.eq(title))
            .select((tasks::client_id, tasks::project_id))
            .first(&mut *app.conn())
            .unwrap()
    };

    let call = app
        .add_block(
            &browser,
            "Retainer call",
            &[("client_id", &other), ("scheduled_date", "2026-12-02")],
        )
        .await;
    assert_eq!(client_of("Retainer call"), (Some(other.clone()), None));
    app.add_block(
        &browser,
        "Checkout fixes",
        &[("project_id", &project), ("client_id", &harbor)],
    )
    .await;
    assert_eq!(
        client_of("Checkout fixes"),
        (Some(harbor.clone()), Some(project.clone()))
    );

    let count = || -> i64 { tasks::table.count().get_result(&mut *app.conn()).unwrap() };
    let before = count();
    for (client, project) in [(other.as_str(), project.as_str()), (bos.as_str(), "")] {
        let res = browser
            .submit(
                "/tasks/new",
                "/tasks",
                &[
                    ("title", "Refused"),
                    ("category", "CLIENT"),
                    ("priority", "MEDIUM"),
                    ("energy_level", "MODERATE"),
                    ("time_block_minutes", "60"),
                    ("project_id", project),
                    ("client_id", client),
                    ("return_to", "/"),
                ],
            )
            .await;
        assert_eq!(res.status, 422);
        assert!(
            res.text().contains("choose one of your clients"),
            "{}",
            res.text()
        );
    }
    assert_eq!(count(), before, "nothing saved");

    // The editor shows the client; saved without it, the block has none.
    let editor = browser.get(&format!("/tasks/{call}/edit")).await;
    assert_eq!(
        editor.count(&format!("#client_id option[value='{other}'][selected]")),
        1
    );
    let res = browser
        .submit(
            &format!("/tasks/{call}/edit"),
            &format!("/tasks/{call}"),
            &[
                ("title", "Retainer call"),
                ("category", "CLIENT"),
                ("priority", "MEDIUM"),
                ("energy_level", "MODERATE"),
                ("time_block_minutes", "60"),
                ("scheduled_date", "2026-12-02"),
                ("client_id", ""),
                ("return_to", "/"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(client_of("Retainer call"), (None, None));
}

/// The review keeps the week's figures between views while nothing changes;
/// a block done, a note saved and an opportunity opened each show at once.
async fn the_review_kept_between_views_follows_every_change(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 12, 2, 9, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let client = app.add_client(&browser, "Harbor Books").await;
    let first = app
        .add_block(&browser, "First", &[("scheduled_date", "2026-12-02")])
        .await;
    let second = app
        .add_block(&browser, "Second", &[("scheduled_date", "2026-12-02")])
        .await;
    done(&browser, &first).await;
    let code = |page: &crate::helpers::Response| page.text_of("#hours tbody tr");
    let page = browser.get("/review").await;
    assert_eq!(code(&page), "Code 3 h 1 h 30 min");
    assert_eq!(code(&browser.get("/review").await), "Code 3 h 1 h 30 min");
    done(&browser, &second).await;
    let page = browser.get("/review").await;
    assert_eq!(code(&page), "Code 3 h 3 h", "the second block done shows");
    let token = page.csrf_token();
    let res = browser
        .post(
            "/review/note",
            &[
                ("csrf_token", token.as_str()),
                ("week", "2026-W49"),
                ("went_well", "Both blocks"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let page = browser.get("/review").await;
    assert!(page.text_of("#note").contains("Both blocks"));
    let now = |page: &crate::helpers::Response| {
        page.text_of(".trend-table tbody")
            .rsplit("December 2026")
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    assert_eq!(now(&page), "€0.00 €0.00");
    // An opportunity opened (the only change since): the live pipeline follows.
    let res = browser
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/opportunities"),
            &[
                ("title", "SEO audit"),
                ("value", "1,250.50"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(now(&browser.get("/review").await), "€0.00 €1,250.50");
}
