//! "Plan my day" (`/command/plan`): proposals for the day's free work hours from
//! carried-over blocks, due follow-ups and the backlog, each with its reason;
//! accepted all at once (with the times the person chose) and undone as one.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use lauf::db::schema::{clients, tasks};

use crate::helpers::{Backend, Browser, Response, TestApp, spawn_app_at};
use crate::on_both_backends;

on_both_backends!(
    plan_my_day_proposes_with_reasons_and_plans_what_is_ticked,
    a_bad_plan_changes_nothing,
);

fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, mi, 0).unwrap()
}

async fn add_block(
    app: &TestApp,
    browser: &Browser,
    title: &str,
    fields: &[(&str, &str)],
) -> String {
    let mut form = vec![("scheduled_date", "2026-11-23")];
    form.extend_from_slice(fields);
    app.add_block(browser, title, &form).await
}

async fn add_client(app: &TestApp, browser: &Browser, name: &str, followup: &str) -> String {
    let form = [
        ("name", name),
        ("company", ""),
        ("email", ""),
        ("status", "ACTIVE"),
        ("health_score", "GREEN"),
        ("payment_status", "CURRENT"),
        ("contract_value", ""),
        ("monthly_retainer", ""),
        ("followup_cadence_days", "14"),
        ("next_followup", followup),
    ];
    let res = browser.submit("/clients/new", "/clients", &form).await;
    assert_eq!(res.status, 303, "{}", res.text());
    clients::table
        .filter(clients::name.eq(name))
        .select(clients::id)
        .first(&mut *app.conn())
        .unwrap()
}

fn place(app: &TestApp, id: &str) -> (Option<NaiveDate>, Option<String>) {
    tasks::table
        .find(id)
        .select((tasks::scheduled_date, tasks::scheduled_time))
        .first(&mut *app.conn())
        .unwrap()
}

/// The proposals as a person reads them, one line each.
pub(crate) fn proposals(page: &Response) -> Vec<String> {
    let html = page.page();
    let li = scraper::Selector::parse(".proposals li").unwrap();
    let time = scraper::Selector::parse("input[type=time]").unwrap();
    let what = scraper::Selector::parse(".proposal-what").unwrap();
    html.select(&li)
        .map(|row| {
            let at = row
                .select(&time)
                .next()
                .and_then(|t| t.value().attr("value"))
                .map(|t| format!("{t} "))
                .unwrap_or_default();
            // The visible words: a block's label (not its time field's hidden one).
            let text = match row.select(&what).next() {
                Some(label) => label.text().collect::<Vec<_>>().join(" "),
                None => row.text().collect::<Vec<_>>().join(" "),
            };
            format!(
                "{at}{}",
                text.split_whitespace().collect::<Vec<_>>().join(" ")
            )
        })
        .collect()
}

/// The hidden fields of row `i` and a chosen time.
pub(crate) fn row_fields(page: &Response, i: usize) -> Vec<(String, String)> {
    let html = page.page();
    let mut fields = Vec::new();
    for name in ["kind", "ref", "minutes", "time"] {
        let css = format!("input[name={name}_{i}]");
        let sel = scraper::Selector::parse(&css).unwrap();
        let value = html
            .select(&sel)
            .next()
            .unwrap_or_else(|| panic!("no {css}"))
            .value()
            .attr("value")
            .unwrap()
            .to_string();
        fields.push((format!("{name}_{i}"), value));
    }
    fields
}

async fn plan_my_day_proposes_with_reasons_and_plans_what_is_ticked(backend: Backend) {
    // Monday Nov 23, 07:00 in Berlin.
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 6, 0)).await else {
        return;
    };
    let ana = app.signed_in_user("ana@example.com").await;
    add_block(
        &app,
        &ana,
        "Standup",
        &[("scheduled_time", "09:00"), ("time_block_minutes", "60")],
    )
    .await;
    let carried = add_block(
        &app,
        &ana,
        "Write the API",
        &[
            ("scheduled_date", "2026-11-20"),
            ("scheduled_time", "15:00"),
        ],
    )
    .await;
    let waiting = add_block(
        &app,
        &ana,
        "Fix the invoice bug",
        &[
            ("scheduled_date", ""),
            ("priority", "URGENT"),
            ("energy_level", "LIGHT"),
            ("time_block_minutes", "60"),
        ],
    )
    .await;
    let acme = add_client(&app, &ana, "Acme", "2026-11-22").await;

    let page = ana.get("/").await;
    assert_eq!(
        page.count("a[href='/command/plan?date=2026-11-23']"),
        1,
        "offered on the day"
    );
    let page = ana.get("/command/plan?date=2026-11-23").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.title(), "Plan today · LAUF OS");
    assert_eq!(
        proposals(&page),
        [
            "10:00 Fix the invoice bug 1 h from the backlog · urgent, so first",
            "11:00 Write the API 1 h 30 min unfinished from Fri Nov 20 · deep work in your best hours",
            "12:30 15 min break after three hours of work in a row",
            "12:45 Follow up with Acme 30 min · new block follow-up overdue since Sun Nov 22 · high priority",
        ]
    );

    // Tick the first two, the second at another time; the follow-up stays unplanned.
    let token = page.csrf_token();
    let mut form: Vec<(String, String)> = vec![
        ("csrf_token".into(), token.clone()),
        ("date".into(), "2026-11-23".into()),
        ("pick".into(), "0".into()),
        ("pick".into(), "1".into()),
    ];
    form.extend(row_fields(&page, 0));
    let mut second = row_fields(&page, 1);
    second.retain(|(k, _)| k != "time_1");
    second.push(("time_1".into(), "14:00".into()));
    form.extend(second);
    form.extend(row_fields(&page, 3));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = ana.post("/command/plan", &pairs).await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(res.header("location").as_deref(), Some("/?date=2026-11-23"));
    let day = NaiveDate::from_ymd_opt(2026, 11, 23);
    assert_eq!(place(&app, &waiting), (day, Some("10:00".into())));
    assert_eq!(
        place(&app, &carried),
        (day, Some("14:00".into())),
        "the time the person chose"
    );
    let followups: i64 = tasks::table
        .filter(tasks::client_id.eq(&acme))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(followups, 0, "an unticked proposal is not planned");
    let page = ana.get("/?date=2026-11-23").await;
    assert!(
        page.text_of("#flash")
            .starts_with("Planned 2 blocks for today."),
        "{}",
        page.text_of("#flash")
    );

    // Undo takes the whole plan back.
    let undo = scraper::Selector::parse("#flash form.undo-form").unwrap();
    let action = page
        .page()
        .select(&undo)
        .next()
        .unwrap()
        .value()
        .attr("action")
        .unwrap()
        .to_string();
    ana.post(
        &action,
        &[("csrf_token", token.as_str()), ("return_to", "/")],
    )
    .await;
    assert_eq!(place(&app, &waiting), (None, None));
    assert_eq!(
        place(&app, &carried),
        (NaiveDate::from_ymd_opt(2026, 11, 20), Some("15:00".into()))
    );

    // The follow-up, planned: a new block linked to the client; undone, gone.
    let page = ana.get("/command/plan?date=2026-11-23").await;
    let at = proposals(&page)
        .iter()
        .position(|p| p.contains("Follow up with Acme"))
        .unwrap();
    let mut form: Vec<(String, String)> = vec![
        ("csrf_token".into(), token.clone()),
        ("date".into(), "2026-11-23".into()),
        ("pick".into(), at.to_string()),
    ];
    form.extend(row_fields(&page, at));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(ana.post("/command/plan", &pairs).await.status, 303);
    let (title, client): (String, Option<String>) = tasks::table
        .filter(tasks::title.like("Follow up%"))
        .select((tasks::title, tasks::client_id))
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(
        (title.as_str(), client.as_deref()),
        ("Follow up with Acme", Some(acme.as_str()))
    );
    let page = ana.get("/command/plan?date=2026-11-23").await;
    assert!(
        !proposals(&page).iter().any(|p| p.contains("Acme")),
        "a follow-up with a block that day is not proposed again"
    );
}

async fn a_bad_plan_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 6, 0)).await else {
        return;
    };
    let ana = app.signed_in_user("ana@example.com").await;
    let waiting = add_block(&app, &ana, "Fix the bug", &[("scheduled_date", "")]).await;
    let bo = app.signed_in_user("bo@example.com").await;
    let theirs = add_block(&app, &bo, "Bo's block", &[("scheduled_date", "")]).await;
    let token = ana.get("/").await.csrf_token();
    let post = |fields: Vec<(&'static str, String)>| {
        let (ana, token) = (&ana, token.clone());
        async move {
            let mut form = vec![("csrf_token", token)];
            form.extend(fields);
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            ana.post("/command/plan", &pairs).await
        }
    };
    let row = |id: &str, time: &str| {
        vec![
            ("date", "2026-11-23".to_string()),
            ("pick", "0".to_string()),
            ("kind_0", "block".to_string()),
            ("ref_0", id.to_string()),
            ("minutes_0", "90".to_string()),
            ("time_0", time.to_string()),
        ]
    };
    assert_eq!(post(row(&waiting, "25:00")).await.status, 422);
    assert_eq!(
        post(row(&waiting, "23:00")).await.status,
        422,
        "past midnight"
    );
    assert_eq!(
        post(vec![("date", "2026-11-23".into())]).await.status,
        422,
        "nothing ticked"
    );
    let mut past = row(&waiting, "10:00");
    past[0].1 = "2026-11-20".into();
    assert_eq!(post(past).await.status, 422, "a day already over");
    // Someone else's block among the ticked: 404, and the whole plan is refused.
    let mut both = row(&waiting, "10:00");
    both.extend([
        ("pick", "1".to_string()),
        ("kind_1", "block".to_string()),
        ("ref_1", theirs.clone()),
        ("minutes_1", "90".to_string()),
        ("time_1", "12:00".to_string()),
    ]);
    assert_eq!(post(both).await.status, 404);
    assert_eq!(place(&app, &waiting), (None, None), "all or nothing");
    assert_eq!(place(&app, &theirs), (None, None));
}
