//! Bad input at scale: every form route, as another user and as the owner, gets
//! malformed bodies, invalid UTF-8, oversize fields, huge and negative numbers,
//! far-future dates and SQL/HTML payloads. Nothing may answer 5xx, someone else's
//! id must answer 4xx and leave their data exactly as it was, and no payload may
//! come back as live markup.

use diesel::prelude::*;
use lauf::db::schema::{activities, assets, clients, goals, opportunities, projects, tasks};
use lauf::demo::{self, DemoOptions};
use lauf::domain::Timezone;

use crate::helpers::{Backend, Browser, TestApp, spawn_app};
use crate::on_both_backends;

const SCRIPT: &str = "<script>alert(1)</script><img src=x onerror=alert(1)>";

/// One id of each kind a route can name, owned by `user`.
struct Ids {
    client: String,
    project: String,
    task: String,
    goal: String,
    activity: String,
    opportunity: String,
    asset: String,
}

fn ids_of(app: &TestApp, user: &str) -> Ids {
    let mut conn = app.conn();
    Ids {
        client: clients::table
            .filter(clients::user_id.eq(user))
            .select(clients::id)
            .first(&mut *conn)
            .unwrap(),
        project: projects::table
            .inner_join(clients::table)
            .filter(clients::user_id.eq(user))
            .select(projects::id)
            .first(&mut *conn)
            .unwrap(),
        task: tasks::table
            .filter(tasks::user_id.eq(user))
            .select(tasks::id)
            .first(&mut *conn)
            .unwrap(),
        goal: goals::table
            .filter(goals::user_id.eq(user))
            .select(goals::id)
            .first(&mut *conn)
            .unwrap(),
        activity: activities::table
            .filter(activities::user_id.eq(user))
            .select(activities::id)
            .first(&mut *conn)
            .unwrap(),
        opportunity: opportunities::table
            .inner_join(clients::table)
            .filter(clients::user_id.eq(user))
            .select(opportunities::id)
            .first(&mut *conn)
            .unwrap(),
        asset: assets::table
            .filter(assets::user_id.eq(user))
            .select(assets::id)
            .first(&mut *conn)
            .unwrap(),
    }
}

type TaskRow = (
    String,
    String,
    String,
    Option<chrono::NaiveDate>,
    Option<String>,
);

/// Everything of `user` that a request could change, as text.
fn snapshot(app: &TestApp, user: &str) -> String {
    let mut conn = app.conn();
    let clients: Vec<lauf::db::models::clients::Client> = clients::table
        .filter(clients::user_id.eq(user))
        .order(clients::id)
        .select(lauf::db::models::clients::Client::as_select())
        .load(&mut *conn)
        .unwrap();
    let tasks: Vec<TaskRow> = tasks::table
        .filter(tasks::user_id.eq(user))
        .order(tasks::id)
        .select((
            tasks::id,
            tasks::title,
            tasks::status,
            tasks::scheduled_date,
            tasks::description,
        ))
        .load(&mut *conn)
        .unwrap();
    let goals: Vec<(String, String, i32)> = goals::table
        .filter(goals::user_id.eq(user))
        .order(goals::id)
        .select((goals::id, goals::title, goals::current_value))
        .load(&mut *conn)
        .unwrap();
    let counts = [
        projects::table
            .inner_join(clients::table)
            .filter(clients::user_id.eq(user))
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap(),
        opportunities::table
            .inner_join(clients::table)
            .filter(clients::user_id.eq(user))
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap(),
        activities::table
            .filter(activities::user_id.eq(user))
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap(),
        assets::table
            .filter(assets::user_id.eq(user))
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap(),
    ];
    format!("{clients:?}\n{tasks:?}\n{goals:?}\n{counts:?}")
}

/// Hostile bodies for a form: every common field name at once, with one kind of
/// bad value each time.
fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let fields = [
        "name",
        "title",
        "email",
        "company",
        "description",
        "notes",
        "note",
        "reason",
        "budget",
        "paid_amount",
        "contract_value",
        "monthly_retainer",
        "target_value",
        "time_block_minutes",
        "followup_cadence_days",
        "scheduled_date",
        "scheduled_time",
        "start_date",
        "due_date",
        "next_followup",
        "date",
        "status",
        "health_score",
        "payment_status",
        "category",
        "priority",
        "goal_type",
        "project_type",
        "decision",
        "direction",
        "when",
        "timezone",
        "website_url",
        "tags",
        "client_id",
        "project_id",
        "goal_id",
        "activity_id",
        "task_id",
        "asset_id",
        "return_to",
        "value",
        "label",
    ];
    let with = |value: &str| {
        serde_urlencoded::to_string(fields.iter().map(|f| (*f, value)).collect::<Vec<_>>())
            .unwrap()
            .into_bytes()
    };
    vec![
        ("empty", Vec::new()),
        ("garbage", b"%%%&&&===%ZZ".to_vec()),
        (
            "invalid UTF-8 escaped",
            b"name=%FF%FE%FD&title=%C3%28".to_vec(),
        ),
        (
            "invalid UTF-8 raw",
            vec![b'n', b'a', b'm', b'e', b'=', 0xFF, 0xFE, 0xC3, 0x28],
        ),
        ("sql", with("'; DROP TABLE clients; --")),
        ("html", with(SCRIPT)),
        ("huge number", with("99999999999999999999999999999999")),
        ("negative", with("-500.25")),
        ("far future", with("275760-09-13")),
        ("year 9999", with("9999-12-31")),
        ("nul and controls", with("a\u{0}b\u{1b}[31m")),
        ("long field", with(&"x".repeat(20_000))),
        // Within the 64 KB form limit: thousands of digits reach the amount parser.
        (
            "long amounts",
            serde_urlencoded::to_string(
                [
                    "budget",
                    "paid_amount",
                    "contract_value",
                    "monthly_retainer",
                    "value",
                ]
                .map(|f| (f, format!("{}1.{}5", "0".repeat(6_000), "0".repeat(6_000)))),
            )
            .unwrap()
            .into_bytes(),
        ),
        ("oversize body", with(&"y".repeat(400_000))),
    ]
}

fn routes(ids: &Ids) -> Vec<String> {
    let Ids {
        client,
        project,
        task,
        goal,
        activity,
        opportunity,
        asset,
    } = ids;
    vec![
        "/settings".into(),
        "/tasks".into(),
        "/tasks/carry-over".into(),
        format!("/tasks/{task}"),
        format!("/tasks/{task}/status"),
        format!("/tasks/{task}/move"),
        format!("/tasks/{task}/delete"),
        "/activities".into(),
        format!("/activities/{activity}"),
        format!("/activities/{activity}/archive"),
        "/command/goals".into(),
        format!("/command/goals/{goal}"),
        format!("/command/goals/{goal}/complete"),
        "/settings/calendar".into(),
        "/clients".into(),
        "/clients/import/commit".into(),
        format!("/clients/{client}"),
        format!("/clients/{client}/contact"),
        format!("/clients/{client}/health"),
        format!("/clients/{client}/followup-block"),
        format!("/clients/{client}/opportunities"),
        format!("/clients/{client}/credentials"),
        format!("/clients/{client}/credentials/reveal"),
        format!("/opportunities/{opportunity}/dismiss"),
        format!("/opportunities/{opportunity}/convert"),
        "/projects".into(),
        format!("/projects/{project}"),
        format!("/projects/{project}/move"),
        "/assets/link".into(),
        "/assets/unlink".into(),
        format!("/assets/{asset}"),
        format!("/clients/{client}/delete"),
        format!("/assets/{asset}/delete"),
    ]
}

async fn every_form_route_survives_hostile_input(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let options = DemoOptions {
        users: 2,
        scale: 1,
        history: None,
        files: None,
        email: Some("owner@example.com".into()),
        password: Some("demo passphrase".into()),
        timezone: Timezone::parse("Europe/Berlin").unwrap(),
    };
    demo::build(
        &mut app.conn(),
        &options,
        chrono::Utc::now(),
        &indicatif::ProgressBar::hidden(),
    )
    .unwrap();
    let owner = app.user_id("owner1@example.com").to_string();
    let attacker_id = app.user_id("owner2@example.com").to_string();
    let theirs = ids_of(&app, &owner);
    let mine = ids_of(&app, &attacker_id);
    let before = snapshot(&app, &owner);

    let browser: Browser = app.browser();
    assert_eq!(
        browser
            .log_in("owner2@example.com", "demo passphrase")
            .await
            .status,
        303
    );
    let token = browser.get("/settings").await.csrf_token();

    // The routes that name one of their ids in the path (the others are the same
    // for everyone).
    let naming_theirs: Vec<String> = routes(&theirs)
        .into_iter()
        .zip(routes(&mine))
        .filter_map(|(theirs, mine)| (theirs != mine).then_some(theirs))
        .collect();
    let mut answered = std::collections::BTreeMap::<u16, usize>::new();
    for (kind, body) in bodies() {
        // Someone else's ids: never found, never changed.
        for route in &naming_theirs {
            let res = browser.post_raw(route, &token, body.clone()).await;
            assert!(
                (400..500).contains(&res.status),
                "{kind} to another user's {route}: {} {}",
                res.status,
                res.text()
            );
            *answered.entry(res.status).or_default() += 1;
        }
        // One's own: refused or saved, never a server error, never live markup.
        for route in routes(&mine) {
            let res = browser.post_raw(&route, &token, body.clone()).await;
            assert!(
                res.status < 500,
                "{kind} to {route}: {} {}",
                res.status,
                res.text()
            );
            assert!(
                !res.body.contains(SCRIPT),
                "{kind} to {route} echoed live markup"
            );
            *answered.entry(res.status).or_default() += 1;
        }
    }
    assert_eq!(
        snapshot(&app, &owner),
        before,
        "the other user's data is untouched"
    );
    for page in [
        "/",
        "/clients",
        "/projects",
        "/command/tasks",
        "/command/goals",
        "/activities",
        "/assets",
        "/settings",
    ] {
        let res = browser.get(page).await;
        assert!(res.status < 500, "{page}: {}", res.status);
        assert!(
            !res.body.contains(SCRIPT),
            "{page} shows a stored payload as markup"
        );
    }
    // Query strings and path segments with U+0000 and other controls.
    for page in [
        "/assets?q=a%00b&category=%00&tag=x%00&sort=%00&type=%00",
        "/clients?q=%00&status=%00",
        "/command/tasks?q=%00&from=%00&project=%00",
        "/projects?client=%00&type=%00",
        "/?date=%00",
        "/command/calendar?week=%00",
        "/tasks/new?date=%00&time=%00&activity=%00&return_to=%00",
        "/login?next=%2F%00",
    ] {
        let res = browser.get(page).await;
        assert!(res.status < 500, "{page}: {}", res.status);
        *answered.entry(res.status).or_default() += 1;
    }
    let res = browser
        .post("/settings/sessions/%00/revoke", &[("csrf_token", &token)])
        .await;
    assert_eq!(res.status, 404);
    assert!(answered.keys().all(|s| *s < 500), "{answered:?}");
    eprintln!("bad-input sweep answers: {answered:?}");
}

on_both_backends!(
    every_form_route_survives_hostile_input,
    a_nul_byte_in_any_text_field_is_refused_naming_the_field,
);

type NulCase<'a> = (String, &'a [(&'a str, &'a str)], &'a str, &'a str);

/// Valid forms with one text field holding U+0000: PostgreSQL would refuse to store
/// it (a 500 before), SQLite would keep it. Both answer 422 naming the field, and
/// nothing is saved.
async fn a_nul_byte_in_any_text_field_is_refused_naming_the_field(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let client = app.add_client(&browser, "Harbor Books").await;
    let token = browser.get("/settings").await.csrf_token();
    let nul = "Nul\u{0}Title";
    let task = [
        ("title", "Write"),
        ("category", "CODE"),
        ("priority", "HIGH"),
        ("energy_level", "DEEP_WORK"),
        ("scheduled_date", "2026-11-23"),
        ("scheduled_time", "09:00"),
        ("time_block_minutes", "90"),
        ("description", ""),
    ];
    let activity = [
        ("title", "Deep work"),
        ("category", "CODE"),
        ("default_duration", "90"),
        ("energy_level", "DEEP_WORK"),
        ("description", ""),
    ];
    let goal = [
        ("title", "Ship"),
        ("goal_type", "WEEKLY"),
        ("description", ""),
    ];
    let client_form = [
        ("name", "Acme"),
        ("status", "ACTIVE"),
        ("health_score", "GREEN"),
        ("payment_status", "CURRENT"),
        ("company", ""),
        ("phone", ""),
        ("notes", ""),
    ];
    let project = [
        ("client_id", client.as_str()),
        ("name", "Relaunch"),
        ("project_type", "WEBSITE"),
        ("status", "PLANNING"),
        ("priority", "MEDIUM"),
        ("description", ""),
    ];
    let settings = [
        ("name", "Ana"),
        ("timezone", "Europe/Berlin"),
        ("work_start", "09:00"),
        ("work_end", "17:00"),
        ("day_start", "07:00"),
        ("day_end", "20:00"),
        ("week_starts_on", "monday"),
    ];
    // (route, a valid form, the field given U+0000, the label its message names)
    let cases: Vec<NulCase> = vec![
        ("/tasks".into(), &task, "title", "Title"),
        ("/tasks".into(), &task, "description", "Notes"),
        ("/activities".into(), &activity, "title", "Title"),
        (
            "/activities".into(),
            &activity,
            "description",
            "Description",
        ),
        ("/command/goals".into(), &goal, "title", "Title"),
        ("/command/goals".into(), &goal, "description", "Description"),
        ("/clients".into(), &client_form, "name", "Name"),
        ("/clients".into(), &client_form, "company", "Company"),
        ("/clients".into(), &client_form, "phone", "Phone"),
        ("/clients".into(), &client_form, "notes", "Notes"),
        ("/projects".into(), &project, "name", "Name"),
        ("/projects".into(), &project, "description", "Description"),
        ("/settings".into(), &settings, "name", "Name"),
        (
            format!("/clients/{client}/contact"),
            &[("note", "")],
            "note",
            "Note",
        ),
        (
            format!("/clients/{client}/opportunities"),
            &[("title", "Care plan"), ("description", "")],
            "title",
            "Title",
        ),
        (
            format!("/clients/{client}/health"),
            &[("decision", "keep")],
            "reason",
            "Reason",
        ),
    ];
    let before = snapshot(&app, app.user_id("ana@example.com").as_str());
    for (route, form, field, label) in cases {
        let mut fields: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        fields.extend(form.iter().filter(|(name, _)| *name != field));
        fields.push((field, nul));
        let res = browser.post(&route, &fields).await;
        assert_eq!(res.status, 422, "{field} of {route}: {}", res.text());
        assert!(
            res.text()
                .contains(&format!("{label} cannot contain control characters")),
            "{field} of {route} names the field: {}",
            res.text()
        );
    }
    assert_eq!(
        snapshot(&app, app.user_id("ana@example.com").as_str()),
        before,
        "nothing was saved"
    );
    // The CSV import names the row and the field.
    let page = browser.get("/clients/import").await;
    let csv = "name,company\nGood,Acme\nBad,Nul\u{0}Co\n";
    let res = browser
        .post_with_token(&page, "/clients/import/commit", &[("csv", csv)])
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(res.text().contains("3 company"), "{}", res.text());
    assert_eq!(app.count("clients"), 1, "the import saved nothing");
}
