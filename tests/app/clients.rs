//! Clients: the list with its figures, create/edit/delete, follow-ups, ownership.

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use lauf::db::schema::{clients, projects, tasks};

use crate::helpers::{Backend, Browser, TestApp, spawn_app, spawn_app_at};
use crate::on_both_backends;

on_both_backends!(
    a_client_is_created_shown_listed_and_summed_exactly,
    contact_times_read_in_the_users_zone_not_utc,
    bad_client_input_answers_422_and_saves_nothing,
    every_client_route_answers_404_to_another_user,
    logging_a_contact_moves_the_follow_up_off_the_command_center,
    a_follow_up_becomes_a_client_block_today,
    the_list_filters_searches_and_sorts,
    deleting_a_client_says_what_goes_with_it,
    the_suggested_health_is_explained_and_can_be_applied_or_declined,
    credentials_are_encrypted_at_rest_revealed_on_request_and_rotated,
);

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn form<'a>(name: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("name", name),
        ("company", ""),
        ("email", ""),
        ("status", "ACTIVE"),
        ("health_score", "GREEN"),
        ("payment_status", "CURRENT"),
        ("contract_value", ""),
        ("monthly_retainer", ""),
        ("followup_cadence_days", "14"),
        ("next_followup", ""),
    ];
    for (k, v) in extra {
        fields.retain(|(key, _)| key != k);
        fields.push((k, v));
    }
    fields
}

async fn add_client(
    app: &TestApp,
    browser: &Browser,
    name: &str,
    extra: &[(&str, &str)],
) -> String {
    let res = browser
        .submit("/clients/new", "/clients", &form(name, extra))
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    clients::table
        .filter(clients::name.eq(name))
        .select(clients::id)
        .first(&mut *app.conn())
        .unwrap()
}

async fn a_client_is_created_shown_listed_and_summed_exactly(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let id = add_client(
        &app,
        &browser,
        "Maya Fischer",
        &[
            ("company", "Northwind Coffee"),
            ("email", "maya@northwind.example"),
            ("monthly_retainer", "1,200.10"),
            ("contract_value", "12345678.91"),
            ("website_url", "https://northwind.example"),
        ],
    )
    .await;
    add_client(
        &app,
        &browser,
        "Jonas Okafor",
        &[("monthly_retainer", "0.20")],
    )
    .await;
    add_client(
        &app,
        &browser,
        "Paused Client",
        &[("status", "PAUSED"), ("monthly_retainer", "999")],
    )
    .await;

    let page = browser.get(&format!("/clients/{id}")).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    for seen in [
        "Maya Fischer",
        "Northwind Coffee",
        "maya@northwind.example",
        "12,345,678.91",
        "1,200.10",
        "https://northwind.example",
    ] {
        assert!(text.contains(seen), "{seen} in {text}");
    }
    let list = browser.get("/clients").await.main_text();
    assert!(
        list.contains("1,200.30"),
        "MRR counts only active retainers, exactly: {list}"
    );
    assert!(list.contains("3 healthy"));

    let res = browser
        .submit(
            &format!("/clients/{id}/edit"),
            &format!("/clients/{id}"),
            &form(
                "Maya Fischer",
                &[("health_score", "RED"), ("monthly_retainer", "1200.10")],
            ),
        )
        .await;
    assert_eq!(res.status, 303);
    let health: String = clients::table
        .find(&id)
        .select(clients::health_score)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(health, "RED");
}

async fn bad_client_input_answers_422_and_saves_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let cases: [(&str, &str, &str); 5] = [
        ("name", " ", "Name is required"),
        ("monthly_retainer", "lots", "enter an amount"),
        ("contract_value", "-5", "zero or more"),
        ("website_url", "javascript:alert(1)", "is not a web address"),
        ("followup_cadence_days", "0", "from 1 to 365"),
    ];
    for (field, value, message) in cases {
        let res = browser
            .submit(
                "/clients/new",
                "/clients",
                &form("Kept Name", &[(field, value)]),
            )
            .await;
        assert_eq!(res.status, 422, "{field}={value}");
        assert!(res.text().contains(message), "{field}: {}", res.text());
        if field != "name" {
            assert!(res.body.contains("value=\"Kept Name\""));
        }
    }
    assert_eq!(app.count("clients"), 0);
}

async fn every_client_route_answers_404_to_another_user(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ana = app.signed_in_user("ana@example.com").await;
    let bob = app.signed_in_user("bob@example.com").await;
    let id = add_client(&app, &ana, "Ana's client", &[("monthly_retainer", "500")]).await;
    for path in [
        format!("/clients/{id}"),
        format!("/clients/{id}/edit"),
        format!("/clients/{id}/delete"),
    ] {
        let res = bob.get(&path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(!res.body.contains("Ana&#39;s client") && !res.body.contains("Ana's client"));
    }
    let token = bob.get("/clients").await.csrf_token();
    let update = form("Stolen", &[]);
    for (path, fields) in [
        (format!("/clients/{id}"), update.clone()),
        (format!("/clients/{id}/contact"), vec![("note", "hi")]),
        (format!("/clients/{id}/followup-block"), vec![]),
        (format!("/clients/{id}/health"), vec![("decision", "apply")]),
        (
            format!("/clients/{id}/credentials"),
            vec![("credentials", "overwritten")],
        ),
        (format!("/clients/{id}/credentials/reveal"), vec![]),
        (format!("/clients/{id}/delete"), vec![]),
    ] {
        let mut body = vec![("csrf_token", token.as_str())];
        body.extend(fields);
        assert_eq!(bob.post(&path, &body).await.status, 404, "{path}");
    }
    assert!(
        !bob.get("/clients?q=ana")
            .await
            .main_text()
            .contains("Ana's client")
    );
    let (name, contacted): (String, Option<chrono::NaiveDateTime>) = clients::table
        .find(&id)
        .select((clients::name, clients::last_contacted))
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(
        (name.as_str(), contacted),
        ("Ana's client", None),
        "nothing changed"
    );
    assert_eq!(app.count("tasks"), 0);
}

/// 23:30 UTC on Dec 4 is 00:30 on Dec 5 in Berlin: a contact logged then was
/// "today" at 00:30 for Ana, not Dec 4 at 23:30 UTC.
async fn contact_times_read_in_the_users_zone_not_utc(backend: Backend) {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 23, 30, 0).unwrap();
    let Some(app) = spawn_app_at(backend, at).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let id = add_client(&app, &browser, "Late Call", &[]).await;
    let res = browser
        .submit(
            &format!("/clients/{id}"),
            &format!("/clients/{id}/contact"),
            &[("note", "Called after midnight")],
        )
        .await;
    assert_eq!(res.status, 303);
    let page = browser.get(&format!("/clients/{id}")).await;
    let text = page.main_text();
    assert!(text.contains("Last contact: today"), "{text}");
    assert!(
        text.contains("next follow-up: Dec 19"),
        "14 days on from Ana's Dec 5: {text}"
    );
    let timeline = page.text_of("main .timeline-list");
    assert!(
        timeline.contains("today 00:30") && timeline.contains("Contact logged"),
        "{timeline}"
    );
    assert!(!text.contains("UTC") && !text.contains("23:30"), "{text}");
    let sessions = browser.get("/settings/sessions").await.main_text();
    assert!(
        sessions.contains("today 00:30") && !sessions.contains("UTC"),
        "{sessions}"
    );
}

async fn logging_a_contact_moves_the_follow_up_off_the_command_center(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 10)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let id = add_client(
        &app,
        &browser,
        "Due Today",
        &[
            ("next_followup", "2026-11-20"),
            ("followup_cadence_days", "21"),
        ],
    )
    .await;
    let today = browser.get("/").await.main_text();
    assert!(
        today.contains("Follow-ups due") && today.contains("Due Today"),
        "{today}"
    );

    let res = browser
        .submit(
            &format!("/clients/{id}"),
            &format!("/clients/{id}/contact"),
            &[("note", "Called about the launch")],
        )
        .await;
    assert_eq!(res.status, 303);
    let page = browser
        .get(res.header("location").as_deref().unwrap())
        .await
        .text_of("#flash");
    assert!(page.contains("Contact logged. Next follow-up:"), "{page}");
    let (last, next): (Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>) =
        clients::table
            .find(&id)
            .select((clients::last_contacted, clients::next_followup))
            .first(&mut *app.conn())
            .unwrap();
    let (last, next) = (last.unwrap(), next.unwrap());
    assert_eq!(
        next - last,
        chrono::Duration::days(21),
        "moved forward by the client's cadence"
    );
    assert!(
        !browser
            .get("/")
            .await
            .main_text()
            .contains("Follow-ups due"),
        "no longer due on the Command Center"
    );
}

async fn a_follow_up_becomes_a_client_block_today(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 10)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let id = add_client(
        &app,
        &browser,
        "Maya Fischer",
        &[("email", "maya@example.com")],
    )
    .await;
    let res = browser
        .submit(
            &format!("/clients/{id}"),
            &format!("/clients/{id}/followup-block"),
            &[],
        )
        .await;
    assert_eq!(res.status, 303);
    // The client page stays, and says what happened (with Undo).
    assert_eq!(res.header("location"), Some(format!("/clients/{id}")));
    let back = browser.get(&format!("/clients/{id}")).await;
    assert!(
        back.text_of("#flash")
            .contains("Planned “Follow up with Maya Fischer” for today"),
        "{}",
        back.text_of("#flash")
    );
    let (category, client, date): (String, Option<String>, Option<chrono::NaiveDate>) =
        tasks::table
            .select((tasks::category, tasks::client_id, tasks::scheduled_date))
            .first(&mut *app.conn())
            .unwrap();
    assert_eq!(
        (category.as_str(), client.as_deref()),
        ("CLIENT", Some(id.as_str()))
    );
    assert_eq!(
        date,
        Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap())
    );
    let today = browser.get("/?date=2026-11-23").await.main_text();
    assert!(
        today.contains("Follow up with Maya Fischer") && today.contains("Maya Fischer"),
        "{today}"
    );
}

async fn the_list_filters_searches_and_sorts(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    add_client(
        &app,
        &browser,
        "Alpha Health",
        &[("health_score", "RED"), ("monthly_retainer", "100")],
    )
    .await;
    add_client(
        &app,
        &browser,
        "beta bakery",
        &[
            ("company", "Sunday Bakery"),
            ("payment_status", "OVERDUE"),
            ("monthly_retainer", "900"),
        ],
    )
    .await;
    add_client(
        &app,
        &browser,
        "Gamma Legal",
        &[("status", "CHURNED"), ("email", "gamma@legal.example")],
    )
    .await;
    let names = |text: &str| -> Vec<usize> {
        ["Alpha Health", "beta bakery", "Gamma Legal"]
            .iter()
            .filter_map(|n| text.find(n))
            .collect()
    };
    let by_name = browser.get("/clients").await.main_text();
    assert!(
        names(&by_name).windows(2).all(|w| w[0] < w[1]),
        "name order ignores case: {by_name}"
    );
    let search = browser.get("/clients?q=BAKERY").await.main_text();
    assert!(search.contains("beta bakery") && !search.contains("Alpha Health"));
    assert!(
        browser
            .get("/clients?q=legal.example")
            .await
            .main_text()
            .contains("Gamma Legal"),
        "search covers email"
    );
    let risky = browser.get("/clients?health=RED").await.main_text();
    assert!(risky.contains("Alpha Health") && !risky.contains("beta bakery"));
    let overdue = browser.get("/clients?payment=OVERDUE").await.main_text();
    assert!(overdue.contains("beta bakery") && !overdue.contains("Gamma Legal"));
    let retainer = browser.get("/clients?sort=retainer").await.main_text();
    assert!(
        retainer.find("beta bakery").unwrap() < retainer.find("Alpha Health").unwrap(),
        "highest retainer first"
    );
    let health = browser.get("/clients?sort=health").await.main_text();
    assert!(
        health.find("Alpha Health").unwrap() < health.find("beta bakery").unwrap(),
        "at risk first"
    );
}

async fn deleting_a_client_says_what_goes_with_it(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let id = add_client(&app, &browser, "Leaving Client", &[]).await;
    diesel::sql_query(format!(
        "INSERT INTO projects (id, client_id, name, created_at, updated_at) VALUES ('{}', '{id}', 'Site', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        lauf::domain::ProjectId::generate()
    ))
    .execute(&mut *app.conn())
    .unwrap();
    let confirm = browser
        .get(&format!("/clients/{id}/delete"))
        .await
        .main_text();
    assert!(
        confirm.contains("Delete Leaving Client?") && confirm.contains("1 project"),
        "{confirm}"
    );
    let res = browser
        .submit(
            &format!("/clients/{id}/delete"),
            &format!("/clients/{id}/delete"),
            &[],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(app.count("clients"), 0);
    let left: i64 = projects::table
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(left, 0, "its projects went with it");
    assert_eq!(browser.get(&format!("/clients/{id}")).await.status, 404);
}

async fn the_suggested_health_is_explained_and_can_be_applied_or_declined(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 11, 23, 10)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let id = add_client(
        &app,
        &browser,
        "Slipping Client",
        &[("payment_status", "OVERDUE")],
    )
    .await;
    let page = browser.get(&format!("/clients/{id}")).await.main_text();
    for seen in [
        "Suggested: At risk with 25 of 100",
        "A payment is overdue.",
        "Never contacted.",
        "Active, without a retainer to renew.",
        "0 / 40",
        "20 / 20",
    ] {
        assert!(page.contains(seen), "{seen} in {page}");
    }
    let path = format!("/clients/{id}/health");
    let refused = browser
        .submit(
            &format!("/clients/{id}"),
            &path,
            &[("decision", "keep"), ("reason", " ")],
        )
        .await;
    assert_eq!(refused.status, 422, "keeping needs a reason");
    let kept = browser
        .submit(
            &format!("/clients/{id}"),
            &path,
            &[("decision", "keep"), ("reason", "They paid by phone today")],
        )
        .await;
    assert_eq!(kept.status, 303);
    let health: String = clients::table
        .find(&id)
        .select(clients::health_score)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(health, "GREEN", "keeping changes nothing");
    let applied = browser
        .submit(&format!("/clients/{id}"), &path, &[("decision", "apply")])
        .await;
    assert_eq!(applied.status, 303);
    let health: String = clients::table
        .find(&id)
        .select(clients::health_score)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(health, "RED");
    browser
        .submit(
            &format!("/clients/{id}"),
            &format!("/clients/{id}/contact"),
            &[("note", "Invoice resent")],
        )
        .await;
    let timeline = browser.get(&format!("/clients/{id}")).await.main_text();
    for seen in [
        "Health: healthy → at risk",
        "Suggested score applied (25 points)",
        "Health kept at healthy",
        "They paid by phone today",
        "Contact logged",
        "Invoice resent",
        "Client added",
    ] {
        assert!(
            timeline.contains(seen),
            "{seen} in the timeline: {timeline}"
        );
    }
}

async fn credentials_are_encrypted_at_rest_revealed_on_request_and_rotated(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let id = add_client(&app, &browser, "Vault Client", &[]).await;
    let other = add_client(&app, &browser, "Other Client", &[]).await;
    let res = browser
        .submit(
            &format!("/clients/{id}"),
            &format!("/clients/{id}/credentials"),
            &[("credentials", "ftp: admin / hunter2")],
        )
        .await;
    assert_eq!(res.status, 303);
    let stored: Option<String> = clients::table
        .find(&id)
        .select(clients::credentials)
        .first(&mut *app.conn())
        .unwrap();
    let stored = stored.unwrap();
    assert!(
        !stored.contains("hunter2") && !stored.contains("admin"),
        "the column never holds the plaintext"
    );
    assert_eq!(lauf::crypto::KeyRing::kid_of(&stored).unwrap(), "k1");
    for page in [
        format!("/clients/{id}"),
        "/clients".to_string(),
        "/".to_string(),
    ] {
        assert!(
            !browser.get(&page).await.body.contains("hunter2"),
            "{page} never shows the secret"
        );
    }
    let revealed = browser
        .submit(
            &format!("/clients/{id}"),
            &format!("/clients/{id}/credentials/reveal"),
            &[],
        )
        .await;
    assert_eq!(revealed.status, 200);
    assert!(revealed.body.contains("ftp: admin / hunter2"));
    assert_eq!(
        revealed.header("cache-control").as_deref(),
        Some("no-store")
    );
    assert!(
        browser
            .get(&format!("/clients/{id}"))
            .await
            .main_text()
            .contains("Credentials revealed"),
        "the reveal is in the timeline"
    );

    // A ciphertext moved to another client's row does not decrypt there.
    diesel::update(clients::table.find(&other))
        .set(clients::credentials.eq(Some(&stored)))
        .execute(&mut *app.conn())
        .unwrap();
    let moved = browser
        .submit(
            &format!("/clients/{other}"),
            &format!("/clients/{other}/credentials/reveal"),
            &[],
        )
        .await;
    assert_eq!(moved.status, 422);
    assert!(
        moved.text().contains("cannot be shown") && !moved.body.contains("hunter2"),
        "{}",
        moved.text()
    );

    // Rotation: a new active key re-encrypts every row; everything stays readable.
    let old = lauf::crypto::KeyRing::parse(&app.data_keys, "k1").unwrap();
    let mut ring = old.clone();
    assert_eq!(ring.add_active(), "k2");
    diesel::update(clients::table.find(&other))
        .set(clients::credentials.eq(None::<String>))
        .execute(&mut *app.conn())
        .unwrap();
    let done =
        lauf::vault::rotate_credentials(&mut app.conn(), &ring, &indicatif::ProgressBar::hidden())
            .unwrap();
    assert_eq!((done.reencrypted, done.already_current), (1, 0));
    let rotated: String = clients::table
        .find(&id)
        .select(clients::credentials.assume_not_null())
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(lauf::crypto::KeyRing::kid_of(&rotated).unwrap(), "k2");
    let user = app.user_id("ana@example.com");
    let aad = lauf::crypto::client_credentials_aad(&id, user.as_str());
    assert_eq!(
        ring.decrypt(&rotated, &aad).unwrap(),
        "ftp: admin / hunter2"
    );
    assert!(
        old.decrypt(&rotated, &aad).is_err(),
        "the old ring alone cannot read the new envelope"
    );
    let again =
        lauf::vault::rotate_credentials(&mut app.conn(), &ring, &indicatif::ProgressBar::hidden())
            .unwrap();
    assert_eq!((again.reencrypted, again.already_current), (0, 1));

    let removed = browser
        .submit(
            &format!("/clients/{id}"),
            &format!("/clients/{id}/credentials"),
            &[("credentials", "")],
        )
        .await;
    assert_eq!(removed.status, 303);
    let gone: Option<String> = clients::table
        .find(&id)
        .select(clients::credentials)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(gone, None);
}
