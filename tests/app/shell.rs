//! The shell: pages, settings, probes, error pages, headers and static files.

use diesel::prelude::*;
use lauf::db::schema::users;

use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    every_page_of_the_map_answers_for_a_signed_in_user,
    changing_the_time_zone_changes_what_today_is,
    bad_settings_are_shown_next_to_their_fields_and_saved_nowhere,
    probes_report_process_and_database,
    unknown_pages_get_a_readable_404_and_htmx_a_fragment,
    every_response_carries_the_security_headers,
    pages_contain_no_inline_script_or_style,
    static_files_are_embedded_and_cached_by_version,
    the_sessions_page_lists_and_ends_sessions,
);

async fn every_page_of_the_map_answers_for_a_signed_in_user(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    for (path, heading) in [
        ("/", "booked of"),
        ("/command/calendar", "Week"),
        ("/command/tasks", "Tasks"),
        ("/command/goals", "Goals"),
        ("/activities", "Deep coding session"),
        ("/clients", "Clients"),
        ("/clients/new", "New client"),
        ("/projects", "Projects"),
        ("/assets", "Assets"),
        ("/settings", "Settings"),
    ] {
        let res = browser.get(path).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(
            res.text().contains(heading),
            "{path} lacks {heading:?}: {}",
            res.text()
        );
        for nav in [
            "Today",
            "Week",
            "Tasks",
            "Goals",
            "Activities",
            "Clients",
            "Projects",
            "Assets",
        ] {
            assert!(
                res.body.contains(&format!(">{nav}</a>")),
                "{path} lacks the {nav} link"
            );
        }
    }
    let anonymous = app.browser();
    for path in ["/", "/clients", "/settings", "/command/goals"] {
        assert_eq!(
            anonymous.get(path).await.status,
            303,
            "{path} needs a login"
        );
    }
}

async fn changing_the_time_zone_changes_what_today_is(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let now = chrono::Utc::now();
    for zone in ["Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        let res = browser
            .submit(
                "/settings",
                "/settings",
                &[
                    ("name", "Ana"),
                    ("timezone", zone),
                    ("work_start", "08:30"),
                    ("work_end", "12:30"),
                    ("day_start", "06:30"),
                    ("day_end", "21:30"),
                    ("week_starts_on", "sunday"),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        assert_eq!(res.header("location").as_deref(), Some("/settings?saved=1"));
        let today = lauf::domain::Timezone::parse(zone).unwrap().today(now);
        let page = browser.get("/").await.main_text();
        assert!(
            page.contains(&today.format("%A, %B %-d").to_string()),
            "{zone}: {page}"
        );
        assert!(
            page.contains("booked of 4 h work hours"),
            "capacity follows the work hours: {page}"
        );
    }
    let settings = browser.get("/settings?saved=1").await;
    assert!(settings.text().contains("Settings saved."));
    assert_eq!(
        settings.text_of("#timezone option[selected]"),
        "Pacific/Pago_Pago",
        "the saved zone is the one chosen"
    );
}

async fn bad_settings_are_shown_next_to_their_fields_and_saved_nowhere(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let res = browser
        .submit(
            "/settings",
            "/settings",
            &[
                ("name", "Still Ana"),
                ("timezone", "Atlantis/Capital"),
                ("work_start", "17:00"),
                ("work_end", "09:00"),
                ("day_start", "6:30"),
                ("day_end", "21:30"),
                ("week_starts_on", "friday"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    let text = res.text();
    for message in [
        "unknown time zone",
        "the end must be after the start",
        "enter a time as HH:MM",
        "choose Monday or Sunday",
    ] {
        assert!(text.contains(message), "missing {message:?}: {text}");
    }
    assert!(
        res.body.contains("value=\"Still Ana\""),
        "the user's input is kept"
    );
    let tz: String = users::table
        .select(users::timezone)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(tz, "Europe/Berlin", "nothing was saved");
}

async fn probes_report_process_and_database(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.browser();
    let health = browser.get("/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    let ready = browser.get("/readyz").await;
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready"));
}

async fn unknown_pages_get_a_readable_404_and_htmx_a_fragment(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let page = browser.get("/no/such/page").await;
    assert_eq!(page.status, 404);
    assert!(page.body.starts_with("<!doctype html>"));
    assert!(page.text().contains("There is nothing here"));
    let fragment = browser
        .get_with("/no/such/page", &[("HX-Request", "true")])
        .await;
    assert_eq!(fragment.status, 404);
    assert!(
        !fragment.body.contains("<html"),
        "htmx gets a fragment, not a page"
    );
    assert!(fragment.body.contains("role=\"alert\""));
    assert!(fragment.text().contains("There is nothing here"));
}

async fn every_response_carries_the_security_headers(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    for path in [
        "/",
        "/login",
        "/no/such/page",
        "/static/app.css",
        "/healthz",
    ] {
        let res = browser.get(path).await;
        assert_eq!(
            res.header("content-security-policy").as_deref(),
            Some(lauf::web::security::CSP),
            "{path}"
        );
        assert_eq!(
            res.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            res.header("x-frame-options").as_deref(),
            Some("DENY"),
            "{path}"
        );
        assert!(res.header("referrer-policy").is_some(), "{path}");
        assert!(res.header("server").is_none(), "{path}");
    }
    assert_eq!(
        browser.get("/").await.header("cache-control").as_deref(),
        Some("no-store")
    );
}

async fn pages_contain_no_inline_script_or_style(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let visitor = app.browser();
    for (who, path) in [
        (&browser, "/"),
        (&browser, "/settings"),
        (&browser, "/settings/sessions"),
        (&browser, "/activities"),
        (&browser, "/clients"),
        (&visitor, "/login"),
        (&visitor, "/signup"),
    ] {
        let body = who.get(path).await.body;
        assert!(body.starts_with("<!doctype html>"), "{path}");
        for script in body.match_indices("<script").map(|(i, _)| &body[i..]) {
            let tag = &script[..script.find('>').unwrap()];
            assert!(
                tag.contains(" src=\"/static/"),
                "{path}: inline or foreign script {tag}"
            );
        }
        for forbidden in [
            " style=",
            "<style",
            " onclick=",
            " onload=",
            "hx-on",
            "javascript:",
        ] {
            assert!(!body.contains(forbidden), "{path} contains {forbidden}");
        }
        assert!(
            body.contains("\"allowEval\":false")
                && body.contains("\"includeIndicatorStyles\":false"),
            "{path}"
        );
    }
}

async fn static_files_are_embedded_and_cached_by_version(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.browser();
    let login = browser.get("/login").await;
    let start = login
        .body
        .find("/static/vendor/htmx-2.0.11.min.js?v=")
        .expect("versioned htmx URL");
    let url = login.body[start..].split('"').next().unwrap().to_string();
    let htmx = browser.get(&url).await;
    assert_eq!(htmx.status, 200);
    assert!(htmx.body.contains("htmx"));
    assert_eq!(
        htmx.body.len(),
        52182,
        "the vendored 2.0.11 file, byte for byte"
    );
    assert_eq!(
        htmx.header("cache-control").as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    assert!(htmx.header("content-type").unwrap().contains("javascript"));
    let stale = browser.get("/static/app.css?v=old").await;
    assert_eq!(
        stale.header("cache-control").as_deref(),
        Some("public, max-age=300"),
        "an old version is not cached forever"
    );
    let etag = stale.header("etag").unwrap();
    assert_eq!(
        browser
            .get_with("/static/app.css", &[("If-None-Match", &etag)])
            .await
            .status,
        304
    );
    assert_eq!(browser.get("/static/../Cargo.toml").await.status, 404);
    assert_eq!(browser.get("/static/nope.js").await.status, 404);
}

async fn the_sessions_page_lists_and_ends_sessions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let laptop = app.signed_in_user("ana@example.com").await;
    let phone = app.browser();
    assert_eq!(
        phone
            .log_in("ana@example.com", "a long passphrase")
            .await
            .status,
        303
    );
    let page = laptop.get("/settings/sessions").await;
    assert!(page.text().contains("this browser"));
    assert_eq!(
        page.body.matches("class=\"button small\"").count(),
        2,
        "both sessions are listed"
    );
    let res = laptop
        .submit(
            "/settings/sessions",
            "/settings/sessions/others/revoke",
            &[],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(phone.get("/").await.status, 303, "the phone was signed out");
    assert_eq!(
        laptop.get("/").await.status,
        200,
        "this browser stays signed in"
    );
}

/// PostgreSQL going away under a running app: probes and pages answer 503 with a
/// readable page, nothing panics. (SQLite is a file the process holds open; it has
/// no server to lose.)
#[actix_web::test]
async fn when_postgres_goes_away_pages_and_readyz_answer_503() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    assert_eq!(browser.get("/readyz").await.status, 200);
    app.db.drop_now();

    let ready = browser.get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.body, "database unavailable");
    let page = browser.get("/").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(
        page.text()
            .contains("The database cannot be reached right now"),
        "{}",
        page.text()
    );
    assert!(page.header("retry-after").is_some());
    assert_eq!(
        browser.get("/healthz").await.status,
        200,
        "the process itself is fine"
    );
}
