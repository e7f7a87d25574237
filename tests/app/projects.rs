//! The pipeline board and project pages.

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use lauf::db::schema::projects;

use crate::helpers::{Backend, Browser, TestApp, spawn_app_at};
use crate::on_both_backends;

on_both_backends!(
    a_project_moves_through_the_pipeline_and_the_move_lands_in_the_timeline,
    bad_project_input_answers_422_and_saves_nothing,
    every_project_route_answers_404_to_another_user,
    the_board_filters_and_flags_late_projects,
);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

async fn project(
    app: &TestApp,
    browser: &Browser,
    client: &str,
    name: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut form = vec![
        ("client_id", client),
        ("name", name),
        ("project_type", "WEBSITE"),
        ("status", "PLANNING"),
        ("priority", "MEDIUM"),
        ("budget", "4,000"),
        ("paid_amount", "1500.50"),
        ("due_date", "2026-12-15"),
    ];
    for (k, v) in extra {
        form.retain(|(key, _)| key != k);
        form.push((k, v));
    }
    let res = browser.submit("/projects/new", "/projects", &form).await;
    assert_eq!(res.status, 303, "{}", res.text());
    projects::table
        .filter(projects::name.eq(name))
        .select(projects::id)
        .first(&mut *app.conn())
        .unwrap()
}

async fn a_project_moves_through_the_pipeline_and_the_move_lands_in_the_timeline(backend: Backend) {
    let Some(app) = spawn_app_at(backend, now()).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let client_id = app.add_client(&browser, "Northwind").await;
    let id = project(&app, &browser, &client_id, "Northwind website", &[]).await;
    let page = browser.get(&format!("/projects/{id}")).await.main_text();
    for seen in [
        "Northwind website",
        "For Northwind",
        "4,000.00",
        "1,500.50",
        "2,499.50",
        "Add a block for this project",
    ] {
        assert!(page.contains(seen), "{seen} in {page}");
    }
    let token = browser.get("/projects").await.csrf_token();
    let swap = browser
        .post_with(
            &format!("/projects/{id}/move"),
            &[
                ("csrf_token", &token),
                ("direction", "forward"),
                ("return_to", "/projects"),
            ],
            &[
                ("Sec-Fetch-Site", "same-origin"),
                ("HX-Request", "true"),
                ("HX-Target", "pipeline"),
            ],
        )
        .await;
    assert_eq!(swap.status, 200);
    assert!(!swap.body.contains("<html") && swap.body.contains("id=\"pipeline\""));
    let design = swap.body.find("id=\"stage-DESIGN\"").unwrap();
    let card = swap.body.find(&format!("id=\"project-{id}\"")).unwrap();
    let development = swap.body.find("id=\"stage-DEVELOPMENT\"").unwrap();
    assert!(
        design < card && card < development,
        "the card sits in the Design column"
    );
    let plain = browser
        .post(
            &format!("/projects/{id}/move"),
            &[("csrf_token", &token), ("direction", "back")],
        )
        .await;
    assert_eq!(plain.status, 303);
    let back = browser
        .post(
            &format!("/projects/{id}/move"),
            &[("csrf_token", &token), ("direction", "back")],
        )
        .await;
    assert_eq!(
        back.status, 303,
        "at the first stage nothing moves and nothing breaks"
    );
    let stage: String = projects::table
        .find(&id)
        .select(projects::status)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(stage, "PLANNING");
    let timeline = browser
        .get(&format!("/clients/{client_id}"))
        .await
        .main_text();
    assert!(
        timeline.contains("Northwind website moved: planning → design"),
        "{timeline}"
    );
    assert!(timeline.contains("Northwind website moved: design → planning"));

    let new_block = browser.get(&format!("/tasks/new?project={id}")).await;
    assert!(
        new_block
            .body
            .contains(&format!("<option value=\"{id}\" selected>")),
        "the block form is pre-filled with the project"
    );
}

async fn bad_project_input_answers_422_and_saves_nothing(backend: Backend) {
    let Some(app) = spawn_app_at(backend, now()).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let other = app.signed_in_user("bob@example.com").await;
    let mine = app.add_client(&browser, "Mine").await;
    let bobs = app.add_client(&other, "Bob's client").await;
    // Was saved without its description, the text silently dropped.
    let long = "d".repeat(5_001);
    for (field, value, message) in [
        (
            "description",
            long.as_str(),
            "Description can be at most 5000 characters",
        ),
        ("client_id", "", "choose a client"),
        ("client_id", bobs.as_str(), "choose one of your clients"),
        ("name", "", "Name is required"),
        ("budget", "-10", "zero or more"),
        ("due_date", "2026-13-01", "YYYY-MM-DD"),
        ("staging_url", "javascript:alert(1)", "is not a web address"),
    ] {
        let mut form = vec![
            ("client_id", mine.as_str()),
            ("name", "Kept"),
            ("project_type", "WEBSITE"),
            ("status", "PLANNING"),
            ("priority", "LOW"),
            ("paid_amount", "0"),
        ];
        form.retain(|(k, _)| *k != field);
        form.push((field, value));
        let res = browser.submit("/projects/new", "/projects", &form).await;
        assert_eq!(res.status, 422, "{field}={value}");
        assert!(res.text().contains(message), "{field}: {}", res.text());
        // A client id that is not one of yours is not offered again.
        if field != "client_id" {
            assert!(
                res.body.contains(value),
                "{field}: the form keeps what was typed"
            );
        }
    }
    assert_eq!(app.count("projects"), 0);
}

async fn every_project_route_answers_404_to_another_user(backend: Backend) {
    let Some(app) = spawn_app_at(backend, now()).await else {
        return;
    };
    let ana = app.signed_in_user("ana@example.com").await;
    let bob = app.signed_in_user("bob@example.com").await;
    let ana_client = app.add_client(&ana, "Ana's client").await;
    let bob_client = app.add_client(&bob, "Bob's client").await;
    let id = project(&app, &ana, &ana_client, "Secret project", &[]).await;
    for path in [format!("/projects/{id}"), format!("/projects/{id}/edit")] {
        assert_eq!(bob.get(&path).await.status, 404, "{path}");
    }
    assert!(
        !bob.get("/projects")
            .await
            .main_text()
            .contains("Secret project")
    );
    let token = bob.get("/projects").await.csrf_token();
    let update = [
        ("csrf_token", token.as_str()),
        ("client_id", bob_client.as_str()),
        ("name", "Mine now"),
        ("project_type", "WEBSITE"),
        ("status", "LAUNCHED"),
        ("priority", "LOW"),
        ("paid_amount", "0"),
    ];
    assert_eq!(
        bob.post(&format!("/projects/{id}"), &update).await.status,
        404
    );
    assert_eq!(
        bob.post(
            &format!("/projects/{id}/move"),
            &[("csrf_token", &token), ("direction", "forward")]
        )
        .await
        .status,
        404
    );
    let (name, stage, owner): (String, String, String) = projects::table
        .find(&id)
        .select((projects::name, projects::status, projects::client_id))
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(
        (name.as_str(), stage.as_str(), owner.as_str()),
        ("Secret project", "PLANNING", ana_client.as_str())
    );
    // Ana cannot move her project to Bob's client either.
    let token = ana.get("/projects").await.csrf_token();
    let mut steal = update.to_vec();
    steal[0] = ("csrf_token", token.as_str());
    assert_eq!(
        ana.post(&format!("/projects/{id}"), &steal).await.status,
        404
    );
}

async fn the_board_filters_and_flags_late_projects(backend: Backend) {
    let Some(app) = spawn_app_at(backend, now()).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let a = app.add_client(&browser, "Client A").await;
    let b = app.add_client(&browser, "Client B").await;
    project(
        &app,
        &browser,
        &a,
        "Late site",
        &[("due_date", "2026-11-01")],
    )
    .await;
    project(
        &app,
        &browser,
        &b,
        "Brand book",
        &[
            ("project_type", "BRANDING"),
            ("status", "LAUNCHED"),
            ("due_date", "2026-10-01"),
        ],
    )
    .await;
    let board = browser.get("/projects").await;
    assert_eq!(
        board.body.matches("class=\"pipe-card is-late\"").count(),
        1,
        "only the unlaunched past-due project is late"
    );
    let filtered = browser
        .get(&format!("/projects?client={b}"))
        .await
        .main_text();
    assert!(filtered.contains("Brand book") && !filtered.contains("Late site"));
    let by_type = browser.get("/projects?type=BRANDING").await.main_text();
    assert!(by_type.contains("Brand book") && !by_type.contains("Late site"));
}
