//! Journeys in a real browser (`helpers::chrome`): what a person does, seen as
//! they see it, at 1280 and 375 px.

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::helpers::chrome::Chrome;
use crate::helpers::{Backend, berlin_today_at, spawn_app, spawn_app_at};
use crate::on_both_backends;

async fn plan_complete_and_see_the_goal_move_without_a_reload(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("plan-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("mara@example.com").await;
    // A goal to move: 3 blocks this month.
    chrome.visit("/command/goals").await;
    chrome
        .fill_and_press(
            "form.stack",
            &[
                ("title", "Ship three client blocks"),
                ("goal_type", "MONTHLY"),
                ("target_value", "3"),
            ],
            "button[type=submit]",
        )
        .await;
    // Plan today from the catalog: the first activity opens the editor in place.
    chrome.visit("/").await;
    assert!(
        chrome.text("#capacity").await.starts_with("0 min booked"),
        "{}",
        chrome.text("#capacity").await
    );
    chrome.click(".catalog-pick").await;
    let goal_option = chrome
        .client
        .find(Locator::Css("#goal_id option:nth-child(2)"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    chrome
        .fill_and_press(
            "#editor form",
            &[("scheduled_time", "09:00"), ("goal_id", &goal_option)],
            "button.primary",
        )
        .await;
    let timeline = chrome.text(".timeline").await;
    assert!(
        timeline.contains("09:00"),
        "the block sits at 09:00: {timeline}"
    );
    let capacity = chrome.text("#capacity").await;
    assert!(
        !capacity.starts_with("0 min booked"),
        "booked time shows: {capacity}"
    );
    assert!(
        chrome.text("#goals-panel").await.contains("0 of 3"),
        "{}",
        chrome.text("#goals-panel").await
    );
    // Complete it: the goal and the done figure change in place, no page load.
    chrome
        .client
        .execute("window.__sameDocument = true; return true", vec![])
        .await
        .unwrap();
    chrome.click("#day-plan button[value=DONE]").await;
    let same_document = chrome
        .client
        .execute("return window.__sameDocument === true", vec![])
        .await
        .unwrap();
    assert_eq!(
        same_document,
        Value::Bool(true),
        "completing must not reload the page"
    );
    let goals = chrome.text("#goals-panel").await;
    assert!(goals.contains("1 of 3"), "goal moved: {goals}");
    let done = chrome.text("#capacity").await;
    assert!(!done.ends_with(" 0 min done"), "done time shows: {done}");
    // A reload shows the same.
    chrome.visit("/").await;
    assert!(chrome.text("#goals-panel").await.contains("1 of 3"));
    assert_eq!(chrome.text("#capacity").await, done);
    chrome.client.clone().close().await.unwrap();
}

async fn the_crm_journey_with_javascript_off(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("nojs-{backend:?}"), false).await else {
        return;
    };
    chrome.sign_up("nojs@example.com").await;
    chrome.visit("/clients/new").await;
    chrome
        .fill_and_press(
            "form.stack",
            &[
                ("name", "Plain Form GmbH"),
                ("email", "hello@plain.example"),
            ],
            "button[type=submit]",
        )
        .await;
    assert!(
        chrome.path().await.starts_with("/clients/"),
        "{}",
        chrome.path().await
    );
    assert!(chrome.text("main").await.contains("Plain Form GmbH"));
    chrome.visit("/clients").await;
    assert!(chrome.text("main").await.contains("Plain Form GmbH"));
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(
    plan_complete_and_see_the_goal_move_without_a_reload,
    the_crm_journey_with_javascript_off,
);

/// A workspace with a client, a project and an uploaded image, then every page of
/// the app visited: the checks of `Chrome::visit` run on each.
async fn every_page_passes_in_the_browser_and_the_image_shows_its_thumbnail(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("pages-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("pages@example.com").await;
    chrome.visit("/clients/new").await;
    chrome
        .fill_and_press(
            "form.stack",
            &[("name", "Atlas Studio"), ("email", "team@atlas.example")],
            "button[type=submit]",
        )
        .await;
    let client_page = chrome.path().await;
    let client_id = client_page.trim_start_matches("/clients/").to_string();
    chrome.visit("/projects/new").await;
    chrome
        .fill_and_press(
            "form.card.stack",
            &[
                ("client_id", &client_id),
                ("name", "Atlas relaunch"),
                ("budget", "4800"),
            ],
            "button[type=submit]",
        )
        .await;
    let project_page = chrome.path().await;
    assert!(project_page.starts_with("/projects/"), "{project_page}");

    // Upload an image through the htmx form; the gallery shows its thumbnail.
    let image = tempfile::Builder::new()
        .prefix("atlas-mockup")
        .suffix(".png")
        .tempfile()
        .unwrap();
    let (png, _) = lauf::media::demo_image(7, 1600, 900).unwrap();
    std::fs::write(image.path(), png).unwrap();
    chrome.visit("/assets/upload").await;
    chrome
        .client
        .find(Locator::Css("#upload-files"))
        .await
        .unwrap()
        .send_keys(&image.path().display().to_string())
        .await
        .unwrap();
    chrome.click("#upload-form button[type=submit]").await;
    chrome.visit("/assets").await;
    let thumb = chrome
        .client
        .execute(
            "const img = document.querySelector('img[src$=\"/thumb\"]');
             return img ? [img.complete, img.naturalWidth] : null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        thumb,
        json!([true, 480]),
        "the thumbnail loads, 480 px wide"
    );

    // The image put with the client from its page: found by name in the
    // picker, then shown on the client page as a loaded thumbnail.
    chrome.visit(&client_page).await;
    chrome.click("#files a[href$='/files/pick']").await;
    assert_eq!(chrome.path().await, format!("{client_page}/files/pick"));
    chrome
        .fill_and_press(
            "form[role=search]",
            &[("q", "atlas")],
            "button[type=submit]",
        )
        .await;
    chrome.click(".pick-card button").await;
    assert_eq!(chrome.path().await, client_page);
    assert!(
        chrome
            .text("#flash")
            .await
            .contains("is now with Atlas Studio"),
        "{}",
        chrome.text("#flash").await
    );
    let thumb = chrome
        .client
        .execute(
            "const img = document.querySelector('#files img[src$=\"/thumb\"]');
             return img ? [img.complete, img.naturalWidth > 0, document.title] : null;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(thumb, json!([true, true, "Atlas Studio · LAUF OS"]));

    // Deleted after a confirmation, and undone from the message.
    let asset = chrome
        .client
        .execute(
            "return document.querySelector('#files a[href^=\"/assets/\"]').getAttribute('href');",
            vec![],
        )
        .await
        .unwrap();
    let asset = asset.as_str().unwrap().to_string();
    chrome.visit(&format!("{asset}/delete")).await;
    chrome.click("main form button[type=submit]").await;
    assert!(
        chrome
            .text("#flash")
            .await
            .contains("Deleted “atlas-mockup")
    );
    assert!(!chrome.text("main").await.contains("atlas-mockup"));
    chrome.click("#flash .undo-form button").await;
    assert!(
        chrome.text("#flash").await.contains("Undone"),
        "{}",
        chrome.text("#flash").await
    );
    chrome.visit(&client_page).await;
    assert!(chrome.text("#files").await.contains("atlas-mockup"));

    for page in [
        "/",
        "/command/calendar",
        "/command/tasks",
        "/command/goals",
        "/activities",
        "/clients",
        &client_page,
        &format!("{client_page}/edit"),
        "/projects",
        &project_page,
        "/assets?view=list",
        "/clients/import",
        "/projects/import",
        "/review",
        &format!("{client_page}/files/pick"),
        &format!("{project_page}/files/pick"),
        "/settings",
        "/settings/sessions",
        "/settings/calendar",
        "/settings/data",
    ] {
        chrome.visit(page).await;
    }
    chrome.visit_not_found("/nowhere").await;
    assert!(chrome.text("main").await.contains("There is nothing here"));
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(every_page_passes_in_the_browser_and_the_image_shows_its_thumbnail);

/// The CRM: a follow-up that is due leaves the Command Center once the contact is
/// logged, a suggested health score is applied, and a project moves along the
/// pipeline in place.
async fn follow_up_health_and_pipeline(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("crm-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("crm@example.com").await;
    chrome.visit("/clients/new").await;
    chrome
        .fill_and_press(
            "form.stack",
            &[
                ("name", "Overdue Co"),
                ("next_followup", "2026-01-05"),
                ("payment_status", "OVERDUE"),
            ],
            "button[type=submit]",
        )
        .await;
    let client_page = chrome.path().await;
    chrome.visit("/").await;
    let attention = chrome.text(".attention").await;
    assert!(
        attention.contains("Follow-ups due") && attention.contains("Overdue Co"),
        "{attention}"
    );

    chrome.visit(&client_page).await;
    chrome
        .fill_and_press(
            "form[action$=\"/contact\"]",
            &[("note", "Called about the invoice")],
            "button[type=submit]",
        )
        .await;
    assert!(chrome.text("main").await.contains("Contact logged"));
    chrome.visit("/").await;
    assert!(
        !chrome.text(".attention").await.contains("Follow-ups due"),
        "the follow-up left the panel"
    );

    // The suggested health score, applied.
    chrome.visit(&client_page).await;
    let offer = chrome.text("button[value=apply]").await;
    let suggested = offer.trim_start_matches("Apply ").to_string();
    chrome.click("button[value=apply]").await;
    let badge = chrome.text(".page-header .health").await;
    assert_eq!(badge, suggested, "the badge shows the applied score");

    // A project moves one stage forward without a page load.
    chrome.visit("/projects/new").await;
    let client_id = client_page.trim_start_matches("/clients/").to_string();
    chrome
        .fill_and_press(
            "form.card.stack",
            &[("client_id", &client_id), ("name", "Invoice portal")],
            "button[type=submit]",
        )
        .await;
    chrome.visit("/projects").await;
    let stage_of = |chrome: &Chrome| {
        let client = chrome.client.clone();
        async move {
            client
                .execute(
                    "const card = [...document.querySelectorAll('.pipe-card')]
                       .find(c => c.textContent.includes('Invoice portal'));
                     return card.closest('.pipe-col').querySelector('h2').id;",
                    vec![],
                )
                .await
                .unwrap()
        }
    };
    let before = stage_of(&chrome).await;
    chrome
        .client
        .execute("window.__sameDocument = true; return true", vec![])
        .await
        .unwrap();
    chrome
        .click("button[aria-label=\"Move Invoice portal forward\"]")
        .await;
    let after = stage_of(&chrome).await;
    assert_ne!(before, after, "the card moved to the next stage");
    assert_eq!(
        chrome
            .client
            .execute("return window.__sameDocument === true", vec![])
            .await
            .unwrap(),
        Value::Bool(true)
    );
    chrome.visit("/projects").await;
    assert_eq!(
        stage_of(&chrome).await,
        after,
        "and stays there after a reload"
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(follow_up_health_and_pipeline);

/// Yesterday's unfinished block is carried to today, then moved to another day
/// from the week view.
async fn carry_over_and_move_in_the_week_view(backend: Backend) {
    // The app's clock is pinned at 11:00 of today in Berlin: carry-over fills
    // today from now on, so at the wall clock the journey would depend on the
    // hour the suite runs.
    let (today, eleven) = berlin_today_at(11);
    let Some(app) = spawn_app_at(backend, eleven).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("week-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("week@example.com").await;
    let yesterday = today - chrono::Duration::days(1);
    let tomorrow = today + chrono::Duration::days(1);
    chrome
        .visit(&format!("/tasks/new?date={yesterday}&return_to=/"))
        .await;
    chrome
        .fill_and_press(
            ".task-editor form",
            &[
                ("title", "Unfinished proposal"),
                ("category", "CLIENT"),
                ("scheduled_time", "10:00"),
                ("time_block_minutes", "90"),
            ],
            "button.primary",
        )
        .await;
    chrome.visit("/").await;
    assert!(
        !chrome
            .text("#day-plan .timeline")
            .await
            .contains("Unfinished proposal"),
        "not on today before carrying over"
    );
    chrome.click(".carry-over button").await;
    assert!(
        chrome
            .text(".timeline, #day-plan")
            .await
            .contains("Unfinished proposal"),
        "carried to today: {}",
        chrome.text("#day-plan").await
    );

    chrome.visit("/command/calendar").await;
    let today_col = format!("section[aria-labelledby=\"wk-{today}\"]");
    assert!(
        chrome
            .text(&today_col)
            .await
            .contains("Unfinished proposal")
    );
    // The week's move menu offers this week's days: tomorrow, or on the week's
    // last day the day before.
    let options = chrome
        .client
        .execute(
            &format!("return [...document.querySelectorAll('{today_col} select[name=date] option')].map(o => o.value)"),
            vec![],
        )
        .await
        .unwrap();
    let target = if options
        .as_array()
        .unwrap()
        .contains(&json!(tomorrow.to_string()))
    {
        tomorrow
    } else {
        today - chrono::Duration::days(1)
    };
    chrome
        .fill_and_press(
            &format!("{today_col} form.move-form"),
            &[("date", &target.to_string())],
            "button",
        )
        .await;
    assert!(
        !chrome
            .text(&today_col)
            .await
            .contains("Unfinished proposal"),
        "it left today"
    );
    let target_col = format!("section[aria-labelledby=\"wk-{target}\"]");
    assert!(
        chrome
            .text(&target_col)
            .await
            .contains("Unfinished proposal")
    );
    chrome.visit(&format!("/?date={target}")).await;
    assert!(
        chrome
            .text("#day-plan")
            .await
            .contains("Unfinished proposal")
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(carry_over_and_move_in_the_week_view);

/// Checks, in the page, every control of every block on the timeline (and, with
/// `open_menus`, of each block's menu opened in turn): scrolled to, it is visible,
/// inside the viewport, not clipped by an ancestor that hides overflow, and not
/// covered by anything else. Returns what fails, as text.
const REACHABLE: &str = r#"
const openMenus = arguments[0];
const problems = [];
function check(el, what) {
  el.scrollIntoView({block: 'center', inline: 'nearest'});
  const r = el.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) { problems.push(what + ': not rendered'); return; }
  if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > document.documentElement.clientWidth) {
    problems.push(what + ': outside the viewport ' + JSON.stringify(r)); return;
  }
  for (let a = el.parentElement; a; a = a.parentElement) {
    const s = getComputedStyle(a);
    if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
      const b = a.getBoundingClientRect();
      if (r.top < b.top - 1 || r.bottom > b.bottom + 1 || r.left < b.left - 1 || r.right > b.right + 1) {
        problems.push(what + ': clipped by ' + a.tagName + '.' + a.className); return;
      }
    }
  }
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (!hit || !(hit === el || el.contains(hit))) {
    problems.push(what + ': covered by ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing'));
  }
}
for (const block of document.querySelectorAll('.timeline .block')) {
  const name = block.getAttribute('aria-label') + ' @' + innerWidth;
  for (const c of block.querySelectorAll(':scope > .block-actions > button, :scope > .block-actions > details > summary')) {
    check(c, name + ' / ' + c.textContent.trim());
  }
  if (openMenus) {
    const menu = block.querySelector('details.block-menu');
    menu.open = true;
    for (const item of menu.querySelectorAll('.menu-item')) check(item, name + ' / menu / ' + item.textContent.trim());
    menu.open = false;
  }
}
return problems;
"#;

/// A day with blocks of 15 to 150 minutes, alone and two and three side by side:
/// at 375 and 1280 px every block's actions (and its menu's) can be seen and used.
async fn every_blocks_actions_are_reachable_at_every_length_and_lane(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("reach-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("reach@example.com").await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let blocks = [
        ("Quarter hour", "07:00", "15", "HIGH"),
        ("Half hour", "07:30", "30", "MEDIUM"),
        ("Three quarters", "08:15", "45", "URGENT"),
        ("One hour", "09:15", "60", "MEDIUM"),
        ("Standard block", "10:30", "90", "HIGH"),
        ("Long run", "12:15", "150", "LOW"),
        ("Pair A", "14:45", "45", "MEDIUM"),
        ("Pair B", "15:00", "30", "MEDIUM"),
        ("Trio A", "16:00", "60", "MEDIUM"),
        ("Trio B", "16:15", "30", "HIGH"),
        ("Trio C", "16:30", "150", "MEDIUM"),
    ];
    for (title, time, minutes, priority) in blocks {
        chrome
            .visit(&format!("/tasks/new?date={today}&return_to=/"))
            .await;
        chrome
            .fill_and_press(
                ".task-editor form",
                &[
                    ("title", title),
                    ("category", "CODE"),
                    ("scheduled_time", time),
                    ("time_block_minutes", minutes),
                    ("priority", priority),
                ],
                "button.primary",
            )
            .await;
    }
    chrome.visit("/").await;
    assert_eq!(
        chrome
            .client
            .execute(
                "return document.querySelectorAll('.timeline .block').length",
                vec![]
            )
            .await
            .unwrap(),
        json!(11)
    );
    assert!(
        chrome
            .client
            .execute(
                "return document.querySelector('.timeline').classList.contains('lanes-3')",
                vec![]
            )
            .await
            .unwrap()
            == json!(true),
        "three blocks side by side"
    );
    for (width, height) in [(1280, 900), (375, 800)] {
        chrome.client.set_window_size(width, height).await.unwrap();
        let problems = chrome
            .client
            .execute(REACHABLE, vec![json!(true)])
            .await
            .unwrap();
        assert_eq!(problems, json!([]), "at {width} px");
    }

    // Using them, on a phone: Done on the quarter hour squeezed into a third of the
    // width, Start from a menu, and Edit opening the editor where the person looks.
    chrome.client.set_window_size(375, 800).await.unwrap();
    let block = |title: &str| format!(".timeline .block[aria-label^=\"{title},\"]");
    chrome
        .click(&format!("{} button[value=DONE]", block("Trio B")))
        .await;
    assert_eq!(
        chrome
            .client
            .execute(
                &format!(
                    "return document.querySelector('{} button[value=TODO]').getAttribute('aria-label')",
                    block("Trio B")
                ),
                vec![]
            )
            .await
            .unwrap(),
        json!("Reopen Trio B"),
        "done, and it offers to reopen"
    );
    chrome.click(&format!("{} summary", block("Trio A"))).await;
    chrome
        .click(&format!("{} button[value=IN_PROGRESS]", block("Trio A")))
        .await;
    assert!(
        chrome
            .text(&format!("{} .block-meta", block("Trio A")))
            .await
            .contains("In progress")
            || chrome
                .client
                .execute(
                    &format!(
                        "return document.querySelector('{} .status-in_progress') !== null",
                        block("Trio A").replace('\'', "\\'")
                    ),
                    vec![]
                )
                .await
                .unwrap()
                == json!(true),
        "started"
    );
    chrome
        .click(&format!("{} summary", block("Long run")))
        .await;
    chrome
        .click(&format!("{} a.menu-item", block("Long run")))
        .await;
    let editor = chrome
        .client
        .execute(
            "const e = document.getElementById('editor'); const r = e.getBoundingClientRect();
             return [r.top >= -1 && r.top < innerHeight, document.activeElement && e.contains(document.activeElement), e.textContent.includes('Long run') || !!e.querySelector('input[value=\"Long run\"]')];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        editor,
        json!([true, true, true]),
        "the editor opens in view with focus in it"
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(every_blocks_actions_are_reachable_at_every_length_and_lane);

/// Sends keys to whatever has focus, as a person typing, then lets htmx settle.
/// Types `text` where the focus is. Right after a modal dialog closes, WebDriver
/// may still see the page as inert for a moment ("element not interactable"; a
/// person's keys are not refused then): try again briefly.
async fn keys(chrome: &mut Chrome, text: &str) {
    let mut last = None;
    for _ in 0..20 {
        let focused = chrome.client.active_element().await.unwrap();
        match focused.send_keys(text).await {
            Ok(()) => {
                chrome.settle().await;
                return;
            }
            Err(e) => last = Some(e),
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("could not type {text:?}: {last:?}");
}

async fn js(chrome: &Chrome, script: &str) -> Value {
    chrome.client.execute(script, vec![]).await.unwrap()
}

/// Plan, complete, reopen and move a block with the keyboard alone.
async fn a_day_planned_and_worked_from_the_keyboard(backend: Backend) {
    use fantoccini::key::Key;
    // 11:00 today in Berlin on the app's clock: the catalog proposes the next
    // free time from now, and late in the evening today has none left.
    let (_, eleven) = berlin_today_at(11);
    let Some(app) = spawn_app_at(backend, eleven).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("keys-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("keys@example.com").await;
    chrome.visit("/").await;
    // `n` opens the new-block editor with focus in it; the catalog sits just
    // before its first field (Shift+Tab).
    keys(&mut chrome, "n").await;
    assert_eq!(
        js(&chrome, "return document.activeElement.id").await,
        json!("title"),
        "focus lands in the editor's first field"
    );
    let back = format!("{}{}{}", Key::Shift, Key::Tab, Key::Null);
    keys(&mut chrome, &back).await;
    assert_eq!(
        js(
            &chrome,
            "return document.activeElement.classList.contains('catalog-chip')"
        )
        .await,
        json!(true),
        "Shift+Tab from the title reaches the catalog"
    );
    let activity = js(&chrome, "return document.activeElement.textContent").await;
    keys(&mut chrome, &Key::Enter.to_string()).await;
    // Filled from the catalog at the next free time; Enter in the title saves.
    let start = js(
        &chrome,
        "return document.getElementById('scheduled_time').value",
    )
    .await;
    assert_ne!(start, json!(""), "a free time is proposed");
    keys(&mut chrome, &Key::Enter.to_string()).await;
    assert_eq!(
        js(
            &chrome,
            "return document.querySelectorAll('#day-plan .block').length"
        )
        .await,
        json!(1),
        "saved from the keyboard ({activity})"
    );
    // Esc-free journey: the editor's save moved focus back to the page.
    js(&chrome, "document.activeElement.blur(); return true").await;
    keys(&mut chrome, "j").await;
    assert_eq!(
        js(&chrome, "return document.activeElement.classList.contains('block') && document.activeElement.classList.contains('is-selected')").await,
        json!(true),
        "j selects the block and focuses it"
    );
    keys(&mut chrome, "x").await;
    assert_eq!(
        js(
            &chrome,
            "return document.querySelector('#day-plan .block.is-done.is-selected') !== null"
        )
        .await,
        json!(true),
        "x completes it, and it stays selected"
    );
    keys(&mut chrome, "x").await;
    assert_eq!(
        js(
            &chrome,
            "return document.querySelector('#day-plan .block.is-done') === null"
        )
        .await,
        json!(true),
        "x again reopens it"
    );
    keys(&mut chrome, "t").await;
    assert_eq!(
        js(
            &chrome,
            "return document.querySelectorAll('#day-plan .timeline .block').length"
        )
        .await,
        json!(0),
        "t moves it to the next day"
    );
    js(&chrome, "document.activeElement.blur(); return true").await;
    keys(&mut chrome, "]").await;
    chrome.settle().await;
    assert_eq!(
        js(
            &chrome,
            "return document.querySelectorAll('#day-plan .block').length"
        )
        .await,
        json!(1),
        "] shows the next day, with the block"
    );
    keys(&mut chrome, "?").await;
    assert_eq!(
        js(&chrome, "return document.getElementById('shortcuts').open").await,
        json!(true)
    );
    keys(&mut chrome, &Key::Escape.to_string()).await;
    assert_eq!(
        js(&chrome, "return document.getElementById('shortcuts').open").await,
        json!(false)
    );
    // Keys typed into a field stay text.
    keys(&mut chrome, "n").await;
    keys(&mut chrome, "jx?").await;
    assert_eq!(
        js(&chrome, "return [document.getElementById('title').value.endsWith('jx?'), document.getElementById('shortcuts').open]").await,
        json!([true, false])
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(a_day_planned_and_worked_from_the_keyboard);

/// The daily shutdown in the browser: decide for each open block, leave a note,
/// and see what closing did.
async fn closing_the_day_in_the_browser(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("shutdown-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("close@example.com").await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    for (title, time) in [("Keep going", "07:00"), ("Park this", "08:30")] {
        chrome
            .visit(&format!("/tasks/new?date={today}&return_to=/"))
            .await;
        chrome
            .fill_and_press(
                ".task-editor form",
                &[
                    ("title", title),
                    ("category", "ADMIN"),
                    ("scheduled_time", time),
                ],
                "button.primary",
            )
            .await;
    }
    chrome.visit("/").await;
    chrome.click("a[href^=\"/command/shutdown\"]").await;
    assert!(chrome.path().await.starts_with("/command/shutdown"));
    chrome
        .click(".fate-row:nth-child(2) input[value=backlog]")
        .await;
    chrome
        .fill_and_press(
            "form[action=\"/command/shutdown\"]",
            &[("note", "Invoice first.")],
            "button.primary",
        )
        .await;
    let flash = chrome.text(".flash-ok").await;
    assert!(
        flash.contains("1 block moved to tomorrow, 1 block to the backlog"),
        "{flash}"
    );
    assert!(
        chrome
            .text(".streak")
            .await
            .contains("1 day closed in a row")
    );
    chrome.click(".flash-ok a").await;
    assert!(
        chrome
            .text("#day-plan .timeline")
            .await
            .contains("Keep going"),
        "moved to the next day"
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(closing_the_day_in_the_browser);

/// Delete asks first, the status region says what happened with an Undo that is
/// on screen, and Undo (by mouse or `u`) brings the block back.
async fn delete_asks_and_undo_brings_it_back_in_the_browser(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("undo-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("undo@example.com").await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    chrome
        .visit(&format!("/tasks/new?date={today}&return_to=/"))
        .await;
    chrome
        .fill_and_press(
            ".task-editor form",
            &[
                ("title", "Write the API"),
                ("category", "CODE"),
                ("scheduled_time", "07:00"),
            ],
            "button.primary",
        )
        .await;
    assert_eq!(
        chrome.text("#flash").await,
        format!("Planned “Write the API” for today at 07:00."),
        "the plain form's answer is on the page it lands on"
    );
    chrome.visit("/").await;
    assert_eq!(chrome.text("#flash").await, "", "and only there");

    // Delete from the block's menu: a dialog asks; dismissing it keeps the block.
    chrome.click("#day-plan .block summary").await;
    let delete = "#day-plan .block .menu-item[data-key=Delete]";
    chrome
        .client
        .find(Locator::Css(delete))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    chrome.client.dismiss_alert().await.unwrap();
    chrome.settle().await;
    assert_eq!(
        js(
            &chrome,
            "return document.querySelectorAll('#day-plan .block').length"
        )
        .await,
        json!(1),
        "Cancel keeps it"
    );
    chrome
        .client
        .find(Locator::Css(delete))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    chrome.client.accept_alert().await.unwrap();
    chrome.settle().await;
    assert_eq!(
        js(
            &chrome,
            "return document.querySelectorAll('#day-plan .block').length"
        )
        .await,
        json!(0)
    );
    assert!(
        chrome
            .text("#flash")
            .await
            .starts_with("Deleted “Write the API”."),
        "{}",
        chrome.text("#flash").await
    );
    // The Undo button is on screen, not covered, at both widths.
    for width in [1280, 375] {
        chrome.client.set_window_size(width, 800).await.unwrap();
        let seen = js(
            &chrome,
            "const b = document.querySelector('#flash .undo-form button'); const r = b.getBoundingClientRect();
             const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
             return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth && (top === b || b.contains(top));",
        )
        .await;
        assert_eq!(
            seen,
            json!(true),
            "Undo visible and uncovered at {width} px"
        );
    }
    chrome.client.set_window_size(1280, 800).await.unwrap();
    chrome.click("#flash .undo-form button").await;
    assert!(
        chrome
            .text("#flash")
            .await
            .starts_with("Undone: Deleted “Write the API”."),
        "{}",
        chrome.text("#flash").await
    );
    assert!(
        chrome
            .text("#day-plan .timeline")
            .await
            .contains("Write the API")
    );

    // From the keyboard: j selects, x completes, u undoes.
    keys(&mut chrome, "j").await;
    keys(&mut chrome, "x").await;
    assert!(
        chrome
            .text("#flash")
            .await
            .starts_with("Done: “Write the API”.")
    );
    keys(&mut chrome, "u").await;
    chrome.settle().await;
    assert!(
        chrome
            .text("#flash")
            .await
            .starts_with("Reopened: “Write the API”."),
        "{}",
        chrome.text("#flash").await
    );
    assert_eq!(
        js(
            &chrome,
            "return document.querySelector('#day-plan .block.is-done') === null"
        )
        .await,
        json!(true),
        "open again"
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(delete_asks_and_undo_brings_it_back_in_the_browser);

/// Waits (up to 5 s) until `condition` holds on the page.
async fn wait_for(chrome: &Chrome, condition: &str) {
    for _ in 0..100 {
        if js(chrome, &format!("return {condition}")).await == json!(true) {
            chrome.settle().await;
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("waited 5 s for {condition}");
}

/// Drags a block on the day to another time, its lower edge to a new length, in
/// the week to another day, and does the same from the keyboard.
async fn blocks_are_dragged_to_a_new_time_length_and_day(backend: Backend) {
    use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
    use fantoccini::key::Key;
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("drag-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("drag@example.com").await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    chrome
        .visit(&format!("/tasks/new?date={today}&return_to=/"))
        .await;
    chrome
        .fill_and_press(
            ".task-editor form",
            &[
                ("title", "Write the API"),
                ("category", "CODE"),
                ("scheduled_time", "09:00"),
                ("time_block_minutes", "60"),
            ],
            "button.primary",
        )
        .await;
    chrome.visit(&format!("/?date={today}")).await;
    chrome.client.set_window_size(1280, 900).await.unwrap();
    let scale = js(
        &chrome,
        "const h = document.querySelectorAll('.timeline .hour'); return (h[1].getBoundingClientRect().top - h[0].getBoundingClientRect().top) / 60;",
    )
    .await
    .as_f64()
    .unwrap();
    let drag = |css: &'static str, dy: f64| {
        let client = chrome.client.clone();
        async move {
            let element = client.find(Locator::Css(css)).await.unwrap();
            let handle = serde_json::to_value(&element).unwrap();
            client
                .execute(
                    "arguments[0].scrollIntoView({block: 'center'})",
                    vec![handle],
                )
                .await
                .unwrap();
            let mouse = MouseActions::new("mouse".into())
                .then(PointerAction::MoveToElement {
                    element,
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                })
                .then(PointerAction::Down {
                    button: MOUSE_BUTTON_LEFT,
                })
                .then(PointerAction::MoveBy {
                    duration: Some(std::time::Duration::from_millis(100)),
                    x: 0.0,
                    y: dy / 2.0,
                })
                .then(PointerAction::MoveBy {
                    duration: Some(std::time::Duration::from_millis(100)),
                    x: 0.0,
                    y: dy / 2.0,
                })
                .then(PointerAction::Up {
                    button: MOUSE_BUTTON_LEFT,
                });
            client.perform_actions(mouse).await.unwrap();
        }
    };
    // An hour later, by the title (15-minute steps: 61 minutes' drag is 60).
    drag("#day-plan .block .block-title", 61.0 * scale).await;
    wait_for(&chrome, "document.querySelector('#flash .notice') !== null").await;
    assert_eq!(
        chrome.text("#day-plan .block .block-time").await,
        "10:00–11:00",
        "moved by dragging"
    );
    wait_for(&chrome, "document.querySelector('#flash .notice') !== null").await;
    assert_eq!(
        chrome.text("#flash").await.split('.').next().unwrap(),
        "Moved “Write the API” to today at 10:00"
    );
    // Half an hour longer by its lower edge.
    js(
        &chrome,
        "document.getElementById('flash').textContent = ''; return 1",
    )
    .await;
    drag("#day-plan .block .resize-handle", 30.0 * scale).await;
    wait_for(&chrome, "document.querySelector('#flash .notice') !== null").await;
    assert_eq!(
        chrome.text("#day-plan .block .block-time").await,
        "10:00–11:30",
        "longer by dragging its edge"
    );
    // The keyboard does the same: Alt+↓ a quarter later, Alt+Shift+↑ a quarter shorter.
    keys(&mut chrome, "j").await;
    keys(
        &mut chrome,
        &format!("{}{}{}", Key::Alt, Key::Down, Key::Null),
    )
    .await;
    assert_eq!(
        chrome.text("#day-plan .block .block-time").await,
        "10:15–11:45"
    );
    keys(&mut chrome, "j").await;
    keys(
        &mut chrome,
        &format!("{}{}{}{}", Key::Alt, Key::Shift, Key::Up, Key::Null),
    )
    .await;
    assert_eq!(
        chrome.text("#day-plan .block .block-time").await,
        "10:15–11:30"
    );

    // In the week: dropped on the next day's column (the page's drag and drop
    // handlers, driven by the events a drag fires; WebDriver cannot drive the
    // operating system's drag and drop).
    chrome
        .visit(&format!("/command/calendar?week={today}"))
        .await;
    let next = today + chrono::Duration::days(1);
    let week_of_next = js(
        &chrome,
        &format!("return document.querySelector('.week-col[data-date=\"{next}\"]') !== null"),
    )
    .await;
    let (drop_on, lands) = if week_of_next == json!(true) {
        (format!(".week-col[data-date=\"{next}\"]"), next)
    } else {
        (
            "[data-drop-shift=\"7\"]".to_string(),
            today + chrono::Duration::days(7),
        )
    };
    js(
        &chrome,
        &format!(
            "const card = document.querySelector('.week-block[data-block]');
             const target = document.querySelector('{drop_on}');
             const data = new DataTransfer();
             card.dispatchEvent(new DragEvent('dragstart', {{bubbles: true, dataTransfer: data}}));
             target.dispatchEvent(new DragEvent('dragover', {{bubbles: true, cancelable: true, dataTransfer: data}}));
             target.dispatchEvent(new DragEvent('drop', {{bubbles: true, cancelable: true, dataTransfer: data}}));
             card.dispatchEvent(new DragEvent('dragend', {{bubbles: true, dataTransfer: data}}));
             return true;"
        ),
    )
    .await;
    chrome.settle().await;
    let (day, time): (Option<chrono::NaiveDate>, Option<String>) = {
        use diesel::prelude::*;
        use lauf::db::schema::tasks;
        tasks::table
            .select((tasks::scheduled_date, tasks::scheduled_time))
            .first(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(day, Some(lands), "dropped on another day");
    assert_eq!(time.as_deref(), Some("10:15"), "at the same time");
    assert!(
        chrome
            .text("#flash")
            .await
            .starts_with("Moved “Write the API” to")
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(blocks_are_dragged_to_a_new_time_length_and_day);

/// On a phone: a finger that holds a block picks it up and moves it (a finger
/// that just swipes scrolls the page), and a held week card goes to another day.
async fn blocks_are_moved_by_touch_on_a_phone(backend: Backend) {
    use fantoccini::actions::{InputSource, PointerAction, TouchActions};
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("touch-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("touch@example.com").await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    chrome
        .visit(&format!("/tasks/new?date={today}&return_to=/"))
        .await;
    chrome
        .fill_and_press(
            ".task-editor form",
            &[
                ("title", "Write the API"),
                ("category", "CODE"),
                ("scheduled_time", "09:00"),
                ("time_block_minutes", "60"),
            ],
            "button.primary",
        )
        .await;
    chrome.visit(&format!("/?date={today}")).await;
    // Each visit checks the page at both widths and leaves it at 1280: a phone again.
    chrome.client.set_window_size(375, 740).await.unwrap();
    let scale = js(
        &chrome,
        "const h = document.querySelectorAll('.timeline .hour'); return (h[1].getBoundingClientRect().top - h[0].getBoundingClientRect().top) / 60;",
    )
    .await
    .as_f64()
    .unwrap();
    let driver = chrome.client.clone();
    let touch = |css: &'static str, hold_ms: u64, dx: f64, dy: f64| {
        let client = driver.clone();
        async move {
            let element = client.find(Locator::Css(css)).await.unwrap();
            let handle = serde_json::to_value(&element).unwrap();
            client
                .execute(
                    "arguments[0].scrollIntoView({block: 'center'})",
                    vec![handle],
                )
                .await
                .unwrap();
            let finger = TouchActions::new("finger".into())
                .then(PointerAction::MoveToElement {
                    element,
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                })
                .then(PointerAction::Down { button: 0 })
                .then(PointerAction::Pause {
                    duration: std::time::Duration::from_millis(hold_ms),
                })
                .then(PointerAction::MoveBy {
                    duration: Some(std::time::Duration::from_millis(150)),
                    x: dx / 2.0,
                    y: dy / 2.0,
                })
                .then(PointerAction::MoveBy {
                    duration: Some(std::time::Duration::from_millis(150)),
                    x: dx / 2.0,
                    y: dy / 2.0,
                })
                .then(PointerAction::Up { button: 0 });
            client.perform_actions(finger).await.unwrap();
            client.release_actions().await.unwrap();
        }
    };
    let stored = || {
        use diesel::prelude::*;
        use lauf::db::schema::tasks;
        tasks::table
            .select((tasks::scheduled_date, tasks::scheduled_time))
            .first::<(Option<chrono::NaiveDate>, Option<String>)>(&mut *app.conn())
            .unwrap()
    };
    // A quick swipe over the block moves nothing.
    touch("#day-plan .block .block-title", 0, 0.0, 61.0 * scale).await;
    chrome.settle().await;
    assert_eq!(
        stored().1.as_deref(),
        Some("09:00"),
        "a swipe is not a drag"
    );
    // Held, then moved an hour down.
    touch("#day-plan .block .block-title", 600, 0.0, 61.0 * scale).await;
    wait_for(&chrome, "document.querySelector('#flash .notice') !== null").await;
    assert_eq!(
        chrome.text("#day-plan .block .block-time").await,
        "10:00–11:00",
        "moved by a held finger"
    );
    assert_eq!(stored().1.as_deref(), Some("10:00"));

    // The week: held, and dropped on the next day's column.
    chrome
        .visit(&format!("/command/calendar?week={today}"))
        .await;
    chrome.client.set_window_size(375, 740).await.unwrap();
    let next = today + chrono::Duration::days(1);
    let has_next = js(
        &chrome,
        &format!("return document.querySelector('.week-col[data-date=\"{next}\"]') !== null"),
    )
    .await;
    let (drop_on, lands) = if has_next == json!(true) {
        (format!(".week-col[data-date=\"{next}\"]"), next)
    } else {
        (
            "[data-drop-shift=\"7\"]".to_string(),
            today + chrono::Duration::days(7),
        )
    };
    // From the card's middle to the target's, in CSS pixels of the viewport.
    let offset = js(
        &chrome,
        &format!(
            "const card = document.querySelector('.week-block[data-block] .block-title');
             card.scrollIntoView({{block: 'center'}});
             const a = card.getBoundingClientRect();
             const b = document.querySelector('{drop_on}').getBoundingClientRect();
             return [b.left + Math.min(b.width / 2, 40) - (a.left + a.width / 2), b.top + Math.min(b.height / 2, 60) - (a.top + a.height / 2)];"
        ),
    )
    .await;
    let (dx, dy) = (offset[0].as_f64().unwrap(), offset[1].as_f64().unwrap());
    touch(".week-block[data-block] .block-title", 600, dx, dy).await;
    chrome.settle().await;
    assert_eq!(
        stored(),
        (Some(lands), Some("10:00".into())),
        "dropped on another day by touch"
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(blocks_are_moved_by_touch_on_a_phone);

/// A new account's first day: the getting-started card's buttons are on screen
/// and work, at both widths.
async fn a_new_account_gets_started_in_the_browser(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("first-run-{backend:?}"), true).await
    else {
        return;
    };
    chrome.sign_up("new@example.com").await;
    chrome.visit("/").await;
    assert!(
        chrome
            .text(".onboarding h2")
            .await
            .starts_with("Get started")
    );
    chrome.client.set_window_size(375, 800).await.unwrap();
    chrome.click(".onboarding button[value=hours]").await;
    assert!(chrome.text(".onboarding").await.contains("✓ confirmed"));
    // Untick one activity and keep the rest.
    chrome
        .click(".pick-activities label:first-of-type input")
        .await;
    chrome.click(".onboarding button[value=catalog]").await;
    assert!(chrome.text(".onboarding").await.contains("✓ picked"));
    chrome.client.set_window_size(1280, 800).await.unwrap();
    chrome.click(".onboarding a.button.primary").await;
    assert_eq!(
        js(
            &chrome,
            "return document.activeElement && document.activeElement.id"
        )
        .await,
        json!("title"),
        "the editor opens with focus in its first field"
    );
    // From the catalog, at the proposed time: the editor fills in the rest.
    chrome.click("#editor .catalog-chip").await;
    chrome
        .fill_and_press(
            "#editor form",
            &[("title", "Plan the launch")],
            "button.primary",
        )
        .await;
    assert!(
        chrome
            .text(".onboarding h2")
            .await
            .starts_with("You are ready")
    );
    chrome.click(".onboarding button[value=finish]").await;
    assert_eq!(
        js(
            &chrome,
            "return document.querySelector('.onboarding') === null"
        )
        .await,
        json!(true)
    );
    assert!(
        chrome
            .text("#day-plan .timeline")
            .await
            .contains("Plan the launch")
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(a_new_account_gets_started_in_the_browser);

/// "Plan my day" from the day page: the proposal is shown with its reason, and
/// planning it puts it on the timeline.
async fn plan_my_day_in_the_browser(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("plan-my-day-{backend:?}"), true).await
    else {
        return;
    };
    chrome.sign_up("planner@example.com").await;
    chrome.visit("/tasks/new?return_to=/").await;
    chrome
        .fill_and_press(
            ".task-editor form",
            &[
                ("title", "Write the proposal"),
                ("category", "ADMIN"),
                ("scheduled_date", ""),
            ],
            "button.primary",
        )
        .await;
    // Tomorrow: its work hours are all free whatever the hour of the test.
    let tomorrow = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive()
        + chrono::Duration::days(1);
    chrome.visit(&format!("/?date={tomorrow}")).await;
    chrome.click("a[href^='/command/plan']").await;
    let row = chrome.text(".proposals").await;
    assert!(
        row.contains("Write the proposal") && row.contains("from the backlog"),
        "{row}"
    );
    chrome.click(".plan-my-day button.primary").await;
    assert!(
        chrome
            .text("#day-plan .timeline")
            .await
            .contains("Write the proposal"),
        "planned onto the day's timeline"
    );
    assert!(
        chrome
            .text("#flash")
            .await
            .starts_with("Planned 1 block for tomorrow.")
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(plan_my_day_in_the_browser);

/// Each of `selectors` (the first match of each), scrolled to: visible, inside the
/// viewport, not clipped by an ancestor, not covered. What fails, as text.
const SEEN: &str = r#"
const problems = [];
for (const css of arguments[0]) {
  const el = document.querySelector(css);
  if (!el) { problems.push(css + ': missing'); continue; }
  el.scrollIntoView({block: 'center', inline: 'nearest'});
  const r = el.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) { problems.push(css + ': not rendered'); continue; }
  if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > document.documentElement.clientWidth) {
    problems.push(css + ': outside the viewport'); continue;
  }
  let clipped = false;
  for (let a = el.parentElement; a && !clipped; a = a.parentElement) {
    const s = getComputedStyle(a);
    if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
      const b = a.getBoundingClientRect();
      clipped = r.top < b.top - 1 || r.bottom > b.bottom + 1 || r.left < b.left - 1 || r.right > b.right + 1;
      if (clipped) problems.push(css + ': clipped by ' + a.tagName + '.' + a.className);
    }
  }
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (!clipped && !(hit === el || el.contains(hit) || (el.labels && [...el.labels].some(l => l.contains(hit))))) {
    problems.push(css + ': covered by ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing'));
  }
}
return problems;
"#;

async fn unseen(chrome: &Chrome, selectors: &[&str]) -> Value {
    chrome
        .client
        .execute(SEEN, vec![json!(selectors)])
        .await
        .unwrap()
}

/// A routine made from the block form, at both widths: it repeats the next day,
/// says so on the block, its delete asks "this one or the following", and the
/// routines page lists it; a repeating goal is set from the goals form.
async fn a_routine_is_planned_and_ended_in_the_browser(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("routines-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("routine@example.com").await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let tomorrow = today + chrono::Duration::days(1);
    chrome
        .visit(&format!("/tasks/new?date={today}&return_to=/"))
        .await;
    chrome.click("details.repeat > summary").await;
    for width in [375, 1280] {
        chrome.client.set_window_size(width, 800).await.unwrap();
        let problems = unseen(
            &chrome,
            &[
                "#repeat",
                "#repeat_until",
                "input[name=repeat_mon]",
                "input[name=repeat_sun]",
            ],
        )
        .await;
        assert_eq!(problems, json!([]), "the repeat fields at {width} px");
    }
    chrome
        .fill_and_press(
            ".task-editor form",
            &[
                ("title", "Standup"),
                ("category", "ROUTINE"),
                ("scheduled_time", "09:30"),
                ("time_block_minutes", "15"),
                ("repeat", "DAILY"),
            ],
            "button.primary",
        )
        .await;
    assert!(
        chrome
            .text("#flash")
            .await
            .contains("It repeats: every day."),
        "{}",
        chrome.text("#flash").await
    );

    // Tomorrow has its own, marked as repeating; its delete asks which.
    chrome.visit(&format!("/?date={tomorrow}")).await;
    let card = chrome.text("#day-plan .timeline .block").await;
    assert!(card.contains("Standup"), "{card}");
    assert_eq!(
        unseen(&chrome, &["#day-plan .timeline .block .repeat-mark"]).await,
        json!([]),
        "the repeat mark shows on a 15-minute block"
    );
    chrome.click("#day-plan .timeline .block summary").await;
    chrome
        .click("#day-plan .timeline .block .menu-item.danger")
        .await;
    for width in [375, 1280] {
        chrome.client.set_window_size(width, 800).await.unwrap();
        let problems = unseen(
            &chrome,
            &[".confirm button.danger", ".confirm button[value=following]"],
        )
        .await;
        assert_eq!(problems, json!([]), "both delete buttons at {width} px");
    }
    chrome.click(".confirm button[value=following]").await;
    assert!(
        chrome
            .text("#flash")
            .await
            .starts_with("“Standup” no longer repeats from this block on"),
        "{}",
        chrome.text("#flash").await
    );
    chrome.visit("/command/routines").await;
    let listed = chrome.text("main").await;
    // It ran today only: it ends today.
    assert!(
        listed.contains(&format!(
            "Every day at 09:30 until {} · 15 min",
            today.format("%b %-d, %Y")
        )),
        "{listed}"
    );

    // A repeating goal from the goals form.
    chrome.visit("/command/goals").await;
    chrome
        .client
        .execute(
            "document.querySelector('input[name=recurs]').click()",
            vec![],
        )
        .await
        .unwrap();
    chrome
        .fill_and_press(
            "#goal-form-heading + form",
            &[
                ("title", "Three workouts"),
                ("goal_type", "WEEKLY"),
                ("target_value", "3"),
            ],
            "button.primary",
        )
        .await;
    let card = chrome.text("#goal-list").await;
    assert!(
        card.contains("Weekly · repeats") && card.contains("Starts again at zero each week"),
        "{card}"
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(a_routine_is_planned_and_ended_in_the_browser);

/// The CRM at both widths: the clients list (cards on a phone), a client page
/// worked from the top (a follow-up block with its message), the pipeline with a
/// card dropped on another stage (still there after a reload, totals moved) and
/// money in the workspace currency.
async fn the_crm_is_worked_in_the_browser(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("crm-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("crm@example.com").await;
    chrome.visit("/clients/new").await;
    chrome
        .fill_and_press(
            "main form",
            &[
                ("name", "Maya Fischer"),
                ("company", "Northwind"),
                ("email", "maya@northwind.example"),
                ("monthly_retainer", "1200"),
            ],
            "button.primary",
        )
        .await;
    let client = chrome.path().await;
    assert!(client.starts_with("/clients/"), "{client}");
    chrome
        .click("#followup form[action$='followup-block'] button")
        .await;
    assert!(
        chrome
            .text("#flash")
            .await
            .starts_with("Planned “Follow up with Maya Fischer” for today"),
        "{}",
        chrome.text("#flash").await
    );
    assert_eq!(chrome.path().await, client, "the client page stays");

    chrome.visit("/clients").await;
    chrome.client.set_window_size(375, 800).await.unwrap();
    let card = js(
        &chrome,
        "const r = document.querySelector('.client-table tr:not(:first-child), .client-table tbody tr').getBoundingClientRect(); return [r.width, document.documentElement.clientWidth];",
    )
    .await;
    assert!(
        card[0].as_f64().unwrap() <= card[1].as_f64().unwrap(),
        "a client card fits the phone: {card}"
    );
    assert!(chrome.text("main").await.contains("€1,200.00"));

    chrome.visit("/projects/new").await;
    chrome
        .fill_and_press(
            "main form",
            &[
                ("client_id", "Maya Fischer"),
                ("name", "Website"),
                ("budget", "4000"),
                ("paid_amount", "1000"),
            ],
            "button.primary",
        )
        .await;
    chrome.visit("/projects").await;
    assert_eq!(
        chrome
            .text("section.pipe-col[data-stage=PLANNING] .pipe-totals")
            .await,
        "Budget €4,000.00 · open €3,000.00"
    );
    js(
        &chrome,
        "const card = document.querySelector('.pipe-card[data-project]');
         const target = document.querySelector('section.pipe-col[data-stage=DEVELOPMENT]');
         const data = new DataTransfer();
         card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: data}));
         target.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: data}));
         target.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: data}));
         card.dispatchEvent(new DragEvent('dragend', {bubbles: true, dataTransfer: data}));
         return true;",
    )
    .await;
    chrome.settle().await;
    assert!(
        chrome
            .text("#flash")
            .await
            .contains("Moved “Website” from Planning to Development.")
    );
    chrome.visit("/projects").await;
    assert!(
        chrome
            .text("section.pipe-col[data-stage=DEVELOPMENT]")
            .await
            .contains("Website"),
        "still there after a reload"
    );
    assert_eq!(
        chrome
            .text("section.pipe-col[data-stage=DEVELOPMENT] .pipe-totals")
            .await,
        "Budget €4,000.00 · open €3,000.00"
    );
    assert_eq!(
        chrome
            .text("section.pipe-col[data-stage=PLANNING] .pipe-totals")
            .await,
        "Budget €0.00 · open €0.00"
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(the_crm_is_worked_in_the_browser);

/// The weekly review of the demo workspace, last week: each chart's figures
/// match its table and the database, and the week's note saves in place.
async fn the_weekly_review_of_the_demo_matches_the_database(backend: Backend) {
    use chrono::Datelike;
    use diesel::prelude::*;
    use lauf::db::schema::{tasks, users};
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let options = lauf::demo::DemoOptions {
        users: 1,
        scale: 1,
        history: None,
        files: Some(0),
        email: None,
        password: Some("demo passphrase".into()),
        timezone: lauf::domain::Timezone::parse("Europe/Berlin").unwrap(),
    };
    lauf::demo::build(
        &mut app.conn(),
        &options,
        chrono::Utc::now(),
        &indicatif::ProgressBar::hidden(),
    )
    .unwrap();
    let Some(mut chrome) = Chrome::start(&app, &format!("review-{backend:?}"), true).await else {
        return;
    };
    chrome.visit("/login").await;
    chrome
        .fill_and_press(
            "form[action=\"/login\"]",
            &[
                ("email", "demo@example.com"),
                ("password", "demo passphrase"),
            ],
            "button[type=submit]",
        )
        .await;
    assert_eq!(chrome.path().await, "/");

    // Last week, a full one in the demo's history.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let monday =
        today - chrono::Duration::days(7 + i64::from(today.weekday().num_days_from_monday()));
    let week = format!(
        "{}-W{:02}",
        monday.iso_week().year(),
        monday.iso_week().week()
    );
    chrome.visit(&format!("/review?week={week}")).await;

    // The category chart's bars, its description and its table say the same,
    // and the table says what the database holds.
    let rows = js(
        &chrome,
        "return [...document.querySelectorAll('#hours table tbody tr')].map(r => [...r.children].map(c => c.textContent.trim()));",
    )
    .await;
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty(), "the demo's week has blocks");
    let bars = js(
        &chrome,
        "const svg = document.querySelector('#hours svg');
         const box = svg.getBoundingClientRect();
         return [svg.querySelectorAll('rect.bar-planned').length, box.width > 200, svg.querySelector('desc').textContent];",
    )
    .await;
    assert_eq!(bars[0].as_u64().unwrap() as usize, rows.len());
    assert_eq!(
        bars[1],
        json!(true),
        "the chart is drawn at a readable width"
    );
    let desc = bars[2].as_str().unwrap();
    let user: String = users::table
        .select(users::id)
        .first(&mut *app.conn())
        .unwrap();
    let done: Vec<(String, Option<i64>)> = tasks::table
        .filter(tasks::user_id.eq(&user))
        .filter(tasks::status.eq("DONE"))
        .filter(tasks::scheduled_date.ge(monday))
        .filter(tasks::scheduled_date.lt(monday + chrono::Duration::days(7)))
        .group_by(tasks::category)
        .select((tasks::category, diesel::dsl::sum(tasks::time_block_minutes)))
        .load(&mut *app.conn())
        .unwrap();
    for row in rows {
        let cells: Vec<&str> = row
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert!(
            desc.contains(&format!(
                "{}: {} done of {} planned",
                cells[0], cells[2], cells[1]
            )),
            "{cells:?} in {desc}"
        );
        let category = cells[0].to_uppercase();
        let minutes = done
            .iter()
            .find(|(c, _)| *c == category)
            .and_then(|(_, m)| *m)
            .unwrap_or(0);
        assert_eq!(
            cells[2],
            lauf::domain::insight::hours_words(minutes),
            "{} done in the database",
            cells[0]
        );
    }

    // The note saves in place with JavaScript, and is there after a reload.
    chrome
        .fill_and_press(
            "#note form",
            &[("went_well", "Shipped the booking flow")],
            "button[type=submit]",
        )
        .await;
    chrome.settle().await;
    assert!(chrome.text("#note").await.contains("Saved."));
    assert_eq!(
        chrome.path().await,
        format!("/review?week={week}"),
        "saved in place"
    );
    chrome.visit(&format!("/review?week={week}")).await;
    let kept = js(
        &chrome,
        "return document.querySelector('#went_well').value;",
    )
    .await;
    assert_eq!(kept, json!("Shipped the booking flow"));
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(the_weekly_review_of_the_demo_matches_the_database);

/// After the work hours the day page offers "Prepare tomorrow": it proposes
/// the retainer hours still owed, and accepting puts the block on tomorrow.
async fn prepare_tomorrow_after_the_work_hours(backend: Backend) {
    // 20:00 today in Berlin, on the app's clock.
    let (today, evening) = berlin_today_at(20);
    let tomorrow = today + chrono::Duration::days(1);
    let Some(app) = spawn_app_at(backend, evening).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("prep-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("prep@example.com").await;
    chrome.visit("/clients/new").await;
    chrome
        .fill_and_press(
            "form.stack",
            &[
                ("name", "Harbor Books"),
                ("monthly_retainer", "3000"),
                ("retainer_hours_per_month", "10"),
            ],
            "button[type=submit]",
        )
        .await;
    chrome.visit("/").await;
    assert!(
        chrome
            .text(".close-day")
            .await
            .contains("Your work hours are over.")
    );
    chrome.click(".close-day a.primary").await;
    assert_eq!(
        chrome.path().await,
        format!("/command/plan?date={tomorrow}")
    );
    assert!(
        chrome
            .text("#plan-heading")
            .await
            .starts_with("Prepare tomorrow")
    );
    let proposal = chrome.text(".proposals").await;
    assert!(
        proposal.contains("Retainer work for Harbor Books")
            && proposal.contains("10 h owed this month on the retainer, nothing scheduled"),
        "{proposal}"
    );
    chrome.click(".plan-my-day button.primary").await;
    assert_eq!(chrome.path().await, format!("/?date={tomorrow}"));
    assert!(
        chrome
            .text("#flash")
            .await
            .starts_with("Planned 1 block for tomorrow."),
        "{}",
        chrome.text("#flash").await
    );
    assert!(
        chrome
            .text("#day-plan .timeline")
            .await
            .contains("Retainer work for Harbor Books")
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(prepare_tomorrow_after_the_work_hours);

/// A workspace exported from one account is imported into a new one in the
/// browser, then that account is deleted from Settings → Your data.
async fn import_a_workspace_then_delete_the_account(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ana = app.signed_in_user("ana@example.com").await;
    app.add_client(&ana, "Atlas Studio").await;
    let export = ana.get("/settings/data/export").await;
    assert_eq!(export.status, 200);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lauf-workspace.zip");
    std::fs::write(&file, &export.bytes).unwrap();

    let Some(mut chrome) = Chrome::start(&app, &format!("your-data-{backend:?}"), true).await
    else {
        return;
    };
    chrome.sign_up("mara@example.com").await;
    chrome.visit("/settings/data").await;
    let input = chrome
        .client
        .find(Locator::Css("#import-file"))
        .await
        .unwrap();
    input.send_keys(&file.display().to_string()).await.unwrap();
    chrome
        .click("form[action=\"/settings/data/import\"] button[type=submit]")
        .await;
    assert_eq!(chrome.path().await, "/");
    assert!(chrome.text("#flash").await.contains("into your account"));
    chrome.visit("/clients").await;
    assert!(chrome.text("main").await.contains("Atlas Studio"));

    chrome.visit("/settings/data").await;
    chrome
        .fill_and_press(
            "form[action=\"/settings/data/delete\"]",
            &[
                ("password", crate::helpers::chrome::PASSWORD),
                ("email", "mara@example.com"),
            ],
            "button[type=submit]",
        )
        .await;
    assert_eq!(chrome.path().await, "/login?deleted=1");
    assert!(
        chrome
            .text("#login-notice")
            .await
            .contains("Your account and all its data are deleted.")
    );
    chrome.client.clone().close().await.unwrap();
}

on_both_backends!(import_a_workspace_then_delete_the_account);
