//! Opportunities: by hand, suggested by the rules, dismissed, converted once.

use diesel::prelude::*;
use lauf::db::schema::{opportunities, projects};

use crate::helpers::{Backend, Browser, TestApp, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    converting_twice_creates_one_project,
    suggestions_state_their_evidence_and_never_repeat,
    someone_elses_opportunities_answer_404,
);

async fn client(app: &TestApp, browser: &Browser, name: &str, retainer: &str) -> String {
    app.add_client_with(browser, name, &[("monthly_retainer", retainer)])
        .await
}

fn opportunity(app: &TestApp, title: &str) -> String {
    opportunities::table
        .filter(opportunities::title.eq(title))
        .select(opportunities::id)
        .first(&mut *app.conn())
        .unwrap()
}

async fn converting_twice_creates_one_project(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let id = client(&app, &browser, "Acme", "").await;
    let res = browser
        .submit(
            &format!("/clients/{id}"),
            &format!("/clients/{id}/opportunities"),
            &[
                ("title", "SEO audit"),
                ("value", "1,250.50"),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    browser
        .submit(
            &format!("/clients/{id}"),
            &format!("/clients/{id}/opportunities"),
            &[
                ("title", "Newsletter"),
                ("value", "300"),
                ("description", ""),
            ],
        )
        .await;
    assert!(
        browser
            .get("/clients")
            .await
            .main_text()
            .contains("1,550.50"),
        "the open pipeline sums exactly"
    );

    let opp = opportunity(&app, "SEO audit");
    let token = browser.get(&format!("/clients/{id}")).await.csrf_token();
    let path = format!("/opportunities/{opp}/convert");
    let form = [("csrf_token", token.as_str())];
    let (a, b) = futures_util::join!(browser.post(&path, &form), browser.post(&path, &form));
    assert_eq!((a.status, b.status), (303, 303));
    assert_eq!(
        a.header("location"),
        b.header("location"),
        "both clicks land on the same project"
    );
    let again = browser.post(&path, &form).await;
    assert_eq!(again.header("location"), a.header("location"));
    let rows: Vec<(String, Option<rust_decimal::Decimal>)> = projects::table
        .select((
            projects::status,
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Numeric>>("budget"),
        ))
        .load::<(String, Option<lauf::domain::Money>)>(&mut *app.conn())
        .unwrap()
        .into_iter()
        .map(|(s, b)| (s, b.map(lauf::domain::Money::amount)))
        .collect();
    assert_eq!(rows.len(), 1, "one project");
    assert_eq!(rows[0].0, "PLANNING");
    assert_eq!(
        rows[0].1.unwrap().to_string(),
        "1250.50",
        "the value became the budget"
    );
    assert!(
        browser.get("/clients").await.main_text().contains("300.00"),
        "converted opportunities leave the pipeline"
    );

    let news = opportunity(&app, "Newsletter");
    let dismissed = browser
        .submit(
            &format!("/clients/{id}"),
            &format!("/opportunities/{news}/dismiss"),
            &[("reason", "They do it in-house")],
        )
        .await;
    assert_eq!(dismissed.status, 303);
    let refused = browser
        .post(&format!("/opportunities/{news}/convert"), &form)
        .await;
    assert_eq!(
        refused.status, 422,
        "a dismissed opportunity cannot be converted"
    );
    let page = browser.get(&format!("/clients/{id}")).await.main_text();
    for seen in [
        "Opportunity converted to a project: SEO audit",
        "Opportunity dismissed: Newsletter",
        "They do it in-house",
    ] {
        assert!(page.contains(seen), "{seen} in {page}");
    }
    assert!(browser.get("/clients").await.main_text().contains("0.00"));
}

async fn suggestions_state_their_evidence_and_never_repeat(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let id = client(&app, &browser, "Bakery", "").await;
    let res = browser
        .submit(
            "/projects/new",
            "/projects",
            &[
                ("client_id", id.as_str()),
                ("name", "Bakery site"),
                ("project_type", "WEBSITE"),
                ("status", "LAUNCHED"),
                ("priority", "MEDIUM"),
                ("paid_amount", "0"),
                ("production_url", "https://bakery.example"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let suggest = format!("/clients/{id}/opportunities/suggest");
    assert_eq!(
        browser
            .submit(&format!("/clients/{id}"), &suggest, &[])
            .await
            .status,
        303
    );
    let page = browser.get(&format!("/clients/{id}")).await.main_text();
    assert!(
        page.contains("Maintenance retainer for Bakery site")
            && page.contains("Bakery site is launched and Bakery has no monthly retainer."),
        "{page}"
    );
    assert!(page.contains("Suggested"));
    let count = |app: &TestApp| -> i64 {
        opportunities::table
            .count()
            .get_result(&mut *app.conn())
            .unwrap()
    };
    let first = count(&app);
    assert!(first >= 1);
    let opp = opportunity(&app, "Maintenance retainer for Bakery site");
    browser
        .submit(
            &format!("/clients/{id}"),
            &format!("/opportunities/{opp}/dismiss"),
            &[("reason", "")],
        )
        .await;
    browser
        .submit(&format!("/clients/{id}"), &suggest, &[])
        .await;
    assert_eq!(
        count(&app),
        first,
        "neither open nor dismissed ones are suggested again"
    );
}

async fn someone_elses_opportunities_answer_404(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ana = app.signed_in_user("ana@example.com").await;
    let bob = app.signed_in_user("bob@example.com").await;
    let id = client(&app, &ana, "Ana's client", "").await;
    ana.submit(
        &format!("/clients/{id}"),
        &format!("/clients/{id}/opportunities"),
        &[
            ("title", "Secret idea"),
            ("value", "10"),
            ("description", ""),
        ],
    )
    .await;
    let opp = opportunity(&app, "Secret idea");
    let token = bob.get("/clients").await.csrf_token();
    for (path, extra) in [
        (format!("/opportunities/{opp}/convert"), vec![]),
        (
            format!("/opportunities/{opp}/dismiss"),
            vec![("reason", "no")],
        ),
        (
            format!("/clients/{id}/opportunities"),
            vec![("title", "Mine"), ("value", "")],
        ),
        (format!("/clients/{id}/opportunities/suggest"), vec![]),
    ] {
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend(extra);
        assert_eq!(bob.post(&path, &form).await.status, 404, "{path}");
    }
    let (dismissed, converted): (bool, bool) = opportunities::table
        .find(&opp)
        .select((opportunities::is_dismissed, opportunities::is_converted))
        .first(&mut *app.conn())
        .unwrap();
    assert!(!dismissed && !converted);
    assert_eq!(app.count("projects"), 0);
    assert_eq!(app.count("opportunities"), 1);
}
