//! Journeys in a real browser: Debian's Chromium, headless, driven through
//! chromedriver (WebDriver) against the app on a random local port. Every page a
//! journey visits is checked for console errors and CSP violations, run through
//! axe-core (WCAG 2 A/AA, no serious or critical violation), checked for sideways
//! scrolling at 375 px, and saved as a screenshot under `target/browser-shots/`.
//! Without chromedriver the tests say SKIPPED, except with CI=true.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both_backends;

const AXE: &str = include_str!("../fixtures/axe.min.js");
const PASSWORD: &str = "a long passphrase";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn find_program(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    std::env::var_os(env)
        .map(PathBuf::from)
        .into_iter()
        .chain(candidates.iter().map(PathBuf::from))
        .find(|p| p.exists())
}

/// Where a journey's screenshots go (emptied when it starts).
fn shots_dir(journey: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/browser-shots")
        .join(journey)
}

/// chromedriver's (legacy but supported) log endpoint: the page's console.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

pub struct Chrome {
    pub client: Client,
    driver: Child,
    base: String,
    journey: String,
    shots: usize,
    javascript: bool,
    /// A console error the next check expects (a 404 page reports its own status).
    expected_error: Option<String>,
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Chrome {
    /// A fresh headless Chromium (`javascript: false` turns scripts off), or `None`
    /// (SKIPPED) where there is none outside CI.
    pub async fn start(app: &TestApp, journey: &str, javascript: bool) -> Option<Chrome> {
        let driver = find_program("CHROMEDRIVER", &["/usr/bin/chromedriver"]);
        let chromium = find_program(
            "CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        );
        let (Some(driver), Some(chromium)) = (driver, chromium) else {
            assert!(
                !in_ci(),
                "CI=true but chromium/chromedriver are missing (.ci/run installs them)"
            );
            eprintln!("SKIPPED {journey}: no chromium/chromedriver on this machine");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let mut prefs = json!({});
        if !javascript {
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,900", "--no-first-run", "--disable-extensions",
                    // Nothing but loopback: no fonts, no updates, no telemetry from the web.
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                ],
                "prefs": prefs,
            },
        });
        let _ = std::fs::remove_dir_all(shots_dir(journey));
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.as_object().unwrap().clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Chrome {
                        client,
                        driver,
                        base: app.address.clone(),
                        journey: journey.to_string(),
                        shots: 0,
                        javascript,
                        expected_error: None,
                    });
                }
                Err(e) => last = Some(e),
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start: {last:?}");
    }

    pub async fn visit(&mut self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
        self.check_page(path).await;
    }

    /// Visits a page that answers 404: its own status is the one console error allowed.
    pub async fn visit_not_found(&mut self, path: &str) {
        self.expected_error = Some(format!(
            "{}{path} - Failed to load resource: the server responded with a status of 404",
            self.base
        ));
        self.visit(path).await;
        assert!(self.expected_error.is_none(), "{path} did not answer 404");
    }

    /// The current page's visible text.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .text()
            .await
            .unwrap()
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Fills the named fields of the form matched by `css` and presses `button`.
    pub async fn fill_and_press(&mut self, css: &str, fields: &[(&str, &str)], button: &str) {
        let form = self.client.form(Locator::Css(css)).await.unwrap();
        for (name, value) in fields {
            let input = self
                .client
                .find(Locator::Css(&format!("{css} [name=\"{name}\"]")))
                .await
                .unwrap_or_else(|e| panic!("no field {name} in {css}: {e}"));
            let tag = input.tag_name().await.unwrap();
            if tag == "select" {
                if input.select_by_value(value).await.is_err() {
                    input
                        .select_by_label(value)
                        .await
                        .unwrap_or_else(|e| panic!("{name} has no option {value}: {e}"));
                }
            } else if matches!(
                input.attr("type").await.unwrap().as_deref(),
                Some("time" | "date")
            ) {
                // Typing into these depends on the browser's locale; set the value.
                let handle = serde_json::to_value(&input).unwrap();
                self.client
                    .execute(
                        "arguments[0].value = arguments[1]",
                        vec![handle, json!(value)],
                    )
                    .await
                    .unwrap();
            } else {
                input.clear().await.unwrap();
                input.send_keys(value).await.unwrap();
            }
        }
        let _ = form;
        self.press(&format!("{css} {button}")).await;
        self.settle().await;
        let here = self.path().await;
        self.check_page(&here).await;
    }

    /// Scrolls `css` to the middle of the window (clear of sticky panels) and clicks it.
    async fn press(&self, css: &str) {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
        let handle = serde_json::to_value(&element).unwrap();
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})",
                vec![handle],
            )
            .await
            .unwrap();
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    pub async fn click(&mut self, css: &str) {
        self.press(css).await;
        self.settle().await;
        let here = self.path().await;
        self.check_page(&here).await;
    }

    /// Waits for the page load and for htmx to finish its requests and swaps.
    pub async fn settle(&self) {
        for _ in 0..100 {
            let busy = self
                .client
                .execute(
                    "return document.readyState !== 'complete' || document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling') !== null",
                    vec![],
                )
                .await
                .unwrap_or(Value::Bool(true));
            if busy == Value::Bool(false) {
                return;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Console errors and CSP violations, axe-core, 375 px, a screenshot.
    async fn check_page(&mut self, label: &str) {
        let log = self.client.issue_cmd(BrowserLog).await.unwrap();
        let mut severe: Vec<&Value> = log
            .as_array()
            .map(|entries| entries.iter().filter(|e| e["level"] == "SEVERE").collect())
            .unwrap_or_default();
        if let Some(expected) = &self.expected_error {
            let before = severe.len();
            severe.retain(|e| {
                !e["message"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with(expected.as_str())
            });
            if severe.len() < before {
                self.expected_error = None;
            }
        }
        if !severe.is_empty() {
            let shown = self
                .client
                .execute(
                    "return [...document.querySelectorAll('.field-error, .form-error, .form-errors')].map(e => e.textContent.trim())",
                    vec![],
                )
                .await
                .unwrap_or_default();
            panic!("console errors on {label}: {severe:#?}\nthe page says: {shown}");
        }

        // axe needs scripts; the journeys with JavaScript on cover accessibility.
        let found = if !self.javascript {
            Ok(json!([]))
        } else {
            self.client
            .execute_async(
                &format!(
                    "{AXE}\n;const done = arguments[arguments.length - 1];
                     axe.run(document, {{runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}}})
                        .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                            .map(v => ({{id: v.id, impact: v.impact, help: v.help,
                                        nodes: v.nodes.slice(0, 5).map(n => n.html)}}))))
                        .catch(e => done([{{id: 'axe-error', help: String(e)}}]));"
                ),
                vec![],
            )
            .await
        };
        assert_eq!(found.unwrap(), json!([]), "axe on {label}");

        self.client.set_window_size(375, 800).await.unwrap();
        // How far the page scrolls sideways, and the innermost elements that stick out.
        let overflow = self
            .client
            .execute(
                "const w = document.documentElement.clientWidth;
                 const out = [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > w + 1
                      && ![...e.children].some(c => c.getBoundingClientRect().right > w + 1))
                   .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                        + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : ''));
                 return [document.documentElement.scrollWidth - w, out.slice(0, 30)];",
                vec![],
            )
            .await
            .ok();
        self.shot(label, "375").await;
        self.client.set_window_size(1280, 900).await.unwrap();
        if let Some(overflow) = overflow {
            assert!(
                overflow[0].as_i64().unwrap_or(0) <= 0,
                "{label} scrolls sideways at 375 px wide (px, what sticks out): {overflow}"
            );
        }
        self.shot(label, "1280").await;
    }

    async fn shot(&mut self, label: &str, width: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = shots_dir(&self.journey);
        std::fs::create_dir_all(&dir).unwrap();
        self.shots += 1;
        let name: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        std::fs::write(
            dir.join(format!("{:02}-{name}-{width}.png", self.shots)),
            png,
        )
        .unwrap();
    }

    pub async fn sign_up(&mut self, email: &str) {
        self.visit("/signup").await;
        self.fill_and_press(
            "form[action=\"/signup\"]",
            &[
                ("email", email),
                ("name", "Mara Browser"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("timezone", "Europe/Berlin"),
            ],
            "button[type=submit]",
        )
        .await;
        assert_eq!(
            self.path().await,
            "/",
            "signed up and on the Command Center"
        );
    }
}

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
        "/settings",
        "/settings/sessions",
        "/settings/calendar",
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
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(mut chrome) = Chrome::start(&app, &format!("week-{backend:?}"), true).await else {
        return;
    };
    chrome.sign_up("week@example.com").await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
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
