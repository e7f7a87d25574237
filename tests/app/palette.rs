//! The command palette's search (`/search`): a person's own blocks, clients,
//! projects, activities and the app's actions, by name; a page without
//! JavaScript, a fragment for the palette, and in the browser by keyboard.

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::json;

use crate::helpers::chrome::Chrome;
use crate::helpers::{Backend, Browser, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    search_finds_ones_own_things_by_name_and_the_actions,
    the_palette_opens_with_ctrl_k_and_goes_where_enter_says,
);

async fn add_client(browser: &Browser, name: &str, company: &str) {
    let form = [
        ("name", name),
        ("company", company),
        ("email", ""),
        ("status", "ACTIVE"),
        ("health_score", "GREEN"),
        ("payment_status", "CURRENT"),
        ("contract_value", ""),
        ("monthly_retainer", ""),
        ("followup_cadence_days", "14"),
        ("next_followup", ""),
    ];
    let res = browser.submit("/clients/new", "/clients", &form).await;
    assert_eq!(res.status, 303, "{}", res.text());
}

async fn add_block(browser: &Browser, title: &str, date: &str) {
    let form = [
        ("title", title),
        ("category", "CODE"),
        ("priority", "MEDIUM"),
        ("energy_level", "DEEP_WORK"),
        ("time_block_minutes", "60"),
        ("scheduled_date", date),
        ("scheduled_time", "10:00"),
        ("return_to", "/"),
    ];
    let res = browser.submit("/tasks/new", "/tasks", &form).await;
    assert_eq!(res.status, 303, "{}", res.text());
}

async fn search_finds_ones_own_things_by_name_and_the_actions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ana = app.signed_in_user("ana@example.com").await;
    add_client(&ana, "Acme Studio", "Acme GmbH").await;
    add_client(&ana, "Blue Harbor", "ACME Holdings").await;
    add_block(&ana, "Acme landing page", "2026-12-07").await;
    let bo = app.signed_in_user("bo@example.com").await;
    add_client(&bo, "Acme Rival", "").await;

    // Without JavaScript: a page, results by kind, case does not matter.
    let page = ana.get("/search?q=acme").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.title(), "Search: acme · LAUF OS");
    let results = page.text_of("#search-results");
    assert!(
        results.contains("Block Acme landing page Mon Dec 7 at 10:00"),
        "{results}"
    );
    assert!(
        results.contains("Client Acme Studio Acme GmbH"),
        "{results}"
    );
    assert!(
        results.contains("Client Blue Harbor ACME Holdings"),
        "found by company: {results}"
    );
    assert!(
        !results.contains("Rival"),
        "never another person's: {results}"
    );
    assert_eq!(
        page.count("#search-results a[href^='/?date=2026-12-07#block-']"),
        1
    );

    // Actions by their words; LIKE's wildcards are plain text.
    let page = ana.get("/search?q=close+day").await;
    assert_eq!(page.text_of("#search-results"), "Action Close the day");
    let page = ana.get("/search?q=%25").await;
    assert_eq!(page.text_of("#search-results"), "Nothing matches “%”.");

    // The palette gets the list alone, to swap in.
    let fragment = ana
        .get_with(
            "/search?q=blue",
            &[("HX-Request", "true"), ("HX-Target", "palette-results")],
        )
        .await;
    assert!(
        fragment
            .body
            .trim_start()
            .starts_with("<ul id=\"palette-results\""),
        "{}",
        fragment.body
    );
    assert!(fragment.text().contains("Blue Harbor"));

    // A very long query is cut, not refused.
    let long = "a".repeat(5000);
    assert_eq!(ana.get(&format!("/search?q={long}")).await.status, 200);
}

async fn the_palette_opens_with_ctrl_k_and_goes_where_enter_says(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("palette-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("palette@example.com").await;
    chrome.visit("/").await;
    let open = format!("{}k{}", Key::Control, Key::Null);
    let focused = chrome.client.active_element().await.unwrap();
    focused.send_keys(&open).await.unwrap();
    chrome.settle().await;
    let state = chrome
        .client
        .execute(
            "return [document.getElementById('palette').open, document.activeElement.id, document.querySelectorAll('#palette-results .palette-hit').length]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(state[0], json!(true), "Ctrl+K opens the palette");
    assert_eq!(state[1], json!("palette-q"), "focus in its field");
    assert!(
        state[2].as_u64().unwrap() > 5,
        "the actions are listed at once"
    );

    let input = chrome.client.find(Locator::Id("palette-q")).await.unwrap();
    input.send_keys("week").await.unwrap();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    chrome.settle().await;
    assert_eq!(
        chrome.text("#palette-results").await,
        "ACTION\nWeek\nACTION\nWeekly review\nACTIVITY\nWeekly review\nplan a block from it",
        "narrowed as typed: the actions first (the week, its review), then the catalog's match"
    );
    // Arrow down reaches the hit; Enter follows it.
    input.send_keys(&Key::Down.to_string()).await.unwrap();
    let active = chrome
        .client
        .execute("return document.activeElement.textContent.trim()", vec![])
        .await
        .unwrap();
    assert!(active.as_str().unwrap().ends_with("Week"), "{active}");
    let focused = chrome.client.active_element().await.unwrap();
    focused.send_keys(&Key::Enter.to_string()).await.unwrap();
    chrome.settle().await;
    assert!(chrome.path().await.starts_with("/command/calendar"));

    // `/` opens it too, Escape closes it, and a `/` typed in a field stays text.
    let focused = chrome.client.active_element().await.unwrap();
    focused.send_keys("/").await.unwrap();
    let open = chrome
        .client
        .execute("return document.getElementById('palette').open", vec![])
        .await
        .unwrap();
    assert_eq!(open, json!(true));
    let focused = chrome.client.active_element().await.unwrap();
    focused.send_keys(&Key::Escape.to_string()).await.unwrap();
    let open = chrome
        .client
        .execute("return document.getElementById('palette').open", vec![])
        .await
        .unwrap();
    assert_eq!(open, json!(false));
    chrome.client.clone().close().await.unwrap();
}
