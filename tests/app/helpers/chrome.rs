//! Headless Chromium for the journeys: Debian's Chromium driven through its
//! chromedriver (WebDriver, with `fantoccini`) against the app on a random local
//! port. Every page a journey visits is checked for console errors and CSP
//! violations, run through axe-core (WCAG 2 A/AA, no serious or critical
//! violation), checked for sideways scrolling at 375 px and a short `<title>`, and
//! saved as a screenshot under `target/browser-shots/`. Without chromedriver the
//! journeys say SKIPPED, except with CI=true.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::TestApp;

const AXE: &str = include_str!("../../fixtures/axe.min.js");
pub const PASSWORD: &str = "a long passphrase";

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
