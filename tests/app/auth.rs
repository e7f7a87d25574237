//! Local login, sessions, CSRF, throttling and ownership, as a browser sees them.

use diesel::prelude::*;
use lauf::db::models::clients;
use lauf::db::schema::{sessions, users};

use crate::helpers::{Backend, spawn_app, spawn_app_with};
use crate::on_both_backends;

on_both_backends!(
    guessing_from_one_address_never_keeps_the_owner_out,
    a_new_account_signs_up_logs_out_and_logs_back_in,
    a_wrong_password_is_refused_without_saying_which_part_was_wrong,
    the_session_cookie_is_http_only_and_lax_on_plain_http,
    over_https_the_cookie_is_secure_and_host_only,
    login_replaces_the_pre_session_so_a_planted_id_is_useless,
    posts_without_a_valid_csrf_token_are_refused_and_change_nothing,
    cross_site_posts_are_refused_even_with_a_token,
    another_users_rows_answer_404_and_stay_unchanged,
    repeated_wrong_passwords_are_slowed_down,
    signing_up_twice_with_one_address_is_refused,
    an_expired_session_sends_the_browser_to_login,
    htmx_requests_without_a_session_get_hx_redirect,
);

const PASSWORD: &str = "a long passphrase";

async fn a_new_account_signs_up_logs_out_and_logs_back_in(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.browser();

    let login_page = browser.get("/").await;
    assert_eq!(login_page.status, 303);
    assert_eq!(
        login_page.header("location").as_deref(),
        Some("/login?next=/")
    );

    let signed_up = browser.sign_up("Ana@Example.com", PASSWORD).await;
    assert_eq!(signed_up.status, 303, "{}", signed_up.body);
    let home = browser.get("/").await;
    assert_eq!(home.status, 200);
    assert!(
        home.text().contains("Test Person"),
        "the shell greets the user: {}",
        home.text()
    );
    assert!(home.text().contains("Log out"));

    let out = browser.log_out().await;
    assert_eq!(out.status, 303);
    assert_eq!(out.header("location").as_deref(), Some("/login"));
    assert!(out.header("clear-site-data").is_some());
    assert_eq!(
        browser.get("/").await.status,
        303,
        "logged out means no shell"
    );

    let back = browser.log_in("ana@example.com", PASSWORD).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(back.header("location").as_deref(), Some("/"));
    assert!(
        browser
            .get("/")
            .await
            .text_of("header.topbar")
            .contains("Test Person")
    );
}

async fn a_wrong_password_is_refused_without_saying_which_part_was_wrong(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.signed_in_user("ana@example.com").await;
    let browser = app.browser();

    let wrong_password = browser
        .log_in("ana@example.com", "not the passphrase")
        .await;
    let unknown_user = browser.log_in("nobody@example.com", PASSWORD).await;
    for res in [&wrong_password, &unknown_user] {
        assert_eq!(res.status, 422);
        assert!(
            res.text().contains("Invalid email or password."),
            "{}",
            res.text()
        );
    }
    assert!(
        wrong_password.body.contains("value=\"ana@example.com\""),
        "the address is kept"
    );
    assert!(
        !wrong_password.body.contains("not the passphrase"),
        "the password is never echoed"
    );
    assert_eq!(browser.get("/").await.status, 303, "still logged out");
}

async fn the_session_cookie_is_http_only_and_lax_on_plain_http(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.browser();
    let res = browser.sign_up("ana@example.com", PASSWORD).await;
    let cookie = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("lauf_session="))
        .expect("session cookie");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http://127.0.0.1 must work out of the box"
    );
    assert!(!cookie.contains("Domain"));
    let token = browser.cookie("lauf_session").unwrap();
    assert_eq!(token.len(), 43);
    let stored: Vec<String> = sessions::table
        .select(sessions::id_hash)
        .load(&mut *app.conn())
        .unwrap();
    assert!(!stored.contains(&token), "the database holds only hashes");
}

async fn over_https_the_cookie_is_secure_and_host_only(backend: Backend) {
    let Some(app) =
        spawn_app_with(backend, &[("LAUF_PUBLIC_URL", "https://lauf.example.com")]).await
    else {
        return;
    };
    let browser = app.browser();
    let res = browser.get("/login").await;
    let cookie = res
        .set_cookies()
        .into_iter()
        .next()
        .expect("pre-session cookie");
    assert!(cookie.starts_with("__Host-lauf_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(res.header("strict-transport-security").is_some());
    assert!(
        res.header("content-security-policy")
            .unwrap()
            .contains("upgrade-insecure-requests")
    );
}

async fn login_replaces_the_pre_session_so_a_planted_id_is_useless(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.signed_in_user("ana@example.com").await;
    let browser = app.browser();
    browser.get("/login").await;
    let planted = browser.cookie("lauf_session").unwrap();
    assert_eq!(
        browser.log_in("ana@example.com", PASSWORD).await.status,
        303
    );
    let fresh = browser.cookie("lauf_session").unwrap();
    assert_ne!(planted, fresh, "a new session id after login");

    let attacker = app.browser();
    attacker.set_cookie("lauf_session", &planted);
    assert_eq!(
        attacker.get("/").await.status,
        303,
        "the pre-login id grants nothing"
    );
}

async fn posts_without_a_valid_csrf_token_are_refused_and_change_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let form = [
        ("name", "Changed"),
        ("timezone", "Asia/Tokyo"),
        ("work_start", "08:00"),
        ("work_end", "16:00"),
        ("day_start", "06:00"),
        ("day_end", "22:00"),
        ("week_starts_on", "sunday"),
    ];

    let missing = browser.post("/settings", &form).await;
    assert_eq!(missing.status, 403);
    assert!(
        missing
            .text()
            .contains("This form has expired or did not come from this site"),
        "{}",
        missing.text()
    );

    let mut wrong = vec![("csrf_token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")];
    wrong.extend_from_slice(&form);
    assert_eq!(browser.post("/settings", &wrong).await.status, 403);

    // Another user's valid token is still the wrong token for this session.
    let other = app.signed_in_user("bob@example.com").await;
    let bobs_token = other.get("/settings").await.csrf_token();
    let mut foreign = vec![("csrf_token", bobs_token.as_str())];
    foreign.extend_from_slice(&form);
    assert_eq!(browser.post("/settings", &foreign).await.status, 403);

    let logout_without_token = browser.post("/logout", &[]).await;
    assert_eq!(logout_without_token.status, 403);

    let (name, tz): (Option<String>, String) = users::table
        .filter(users::email.eq("ana@example.com"))
        .select((users::name, users::timezone))
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(
        (name.as_deref(), tz.as_str()),
        (Some("Test Person"), "Europe/Berlin"),
        "nothing changed"
    );
    assert_eq!(
        browser.get("/").await.status,
        200,
        "and the session survived"
    );
}

async fn cross_site_posts_are_refused_even_with_a_token(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let token = browser.get("/settings").await.csrf_token();
    let form = [
        ("csrf_token", token.as_str()),
        ("name", "Evil"),
        ("timezone", "UTC"),
        ("work_start", "09:00"),
        ("work_end", "17:00"),
        ("day_start", "06:30"),
        ("day_end", "21:30"),
        ("week_starts_on", "monday"),
    ];
    for headers in [
        vec![("Sec-Fetch-Site", "cross-site")],
        vec![("Sec-Fetch-Site", "same-site")],
        vec![("Origin", "https://evil.example")],
        vec![],
    ] {
        let res = browser.post_with("/settings", &form, &headers).await;
        assert_eq!(res.status, 403, "{headers:?}");
    }
    let same_origin = browser
        .post_with("/settings", &form, &[("Sec-Fetch-Site", "same-origin")])
        .await;
    assert_eq!(
        same_origin.status, 303,
        "the same form from our own page goes through"
    );
    assert!(
        browser
            .get("/settings")
            .await
            .body
            .contains("value=\"Evil\"")
    );
}

async fn another_users_rows_answer_404_and_stay_unchanged(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let ana = app.signed_in_user("ana@example.com").await;
    let bob = app.signed_in_user("bob@example.com").await;
    let ana_id = app.user_id("ana@example.com");
    let now = app.clock.stamp();
    let client = lauf::db::models::clients::Client {
        id: lauf::domain::ClientId::generate(),
        user_id: ana_id.clone(),
        name: "Ana's secret client".into(),
        email: None,
        phone: None,
        company: None,
        industry: None,
        website_url: None,
        github_url: None,
        vercel_url: None,
        figma_url: None,
        credentials: None,
        status: lauf::domain::ClientStatus::Active,
        health_score: lauf::domain::HealthScore::Green,
        contract_value: None,
        monthly_retainer: None,
        retainer_hours_per_month: None,
        payment_status: lauf::domain::PaymentStatus::Current,
        last_contacted: None,
        next_followup: None,
        followup_cadence_days: 14,
        referred_by: None,
        notes: None,
        metadata: lauf::db::Json(serde_json::json!({})),
        created_at: now,
        updated_at: now,
    };
    clients::insert(&mut app.conn(), &client).unwrap();

    assert_eq!(
        ana.get(&format!("/clients/{}", client.id)).await.status,
        200
    );
    let peek = bob.get(&format!("/clients/{}", client.id)).await;
    assert_eq!(peek.status, 404);
    assert!(
        !peek.body.contains("secret"),
        "the 404 says nothing about the row"
    );
    assert!(!bob.get("/clients").await.body.contains("secret"));
    assert_eq!(bob.get("/clients/not-a-uuid").await.status, 404);

    // Ending someone else's session is a 404 too, and they stay signed in.
    let ana_sessions: Vec<String> = sessions::table
        .filter(sessions::user_id.eq(&ana_id))
        .select(sessions::id_hash)
        .load(&mut *app.conn())
        .unwrap();
    let token = bob.get("/settings/sessions").await.csrf_token();
    let res = bob
        .post(
            &format!("/settings/sessions/{}/revoke", ana_sessions[0]),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(ana.get("/").await.status, 200, "Ana is still signed in");
    assert!(
        clients::find(&mut app.conn(), &ana_id, &client.id)
            .unwrap()
            .is_some()
    );
}

async fn repeated_wrong_passwords_are_slowed_down(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.signed_in_user("ana@example.com").await;
    let browser = app.browser();
    for attempt in 1..=5 {
        assert_eq!(
            browser
                .log_in("ana@example.com", "wrong guess")
                .await
                .status,
            422,
            "attempt {attempt}"
        );
    }
    browser.log_in("ana@example.com", "wrong guess").await;
    let held = browser.log_in("ana@example.com", PASSWORD).await;
    assert_eq!(
        held.status, 429,
        "even the right password waits once the account is throttled"
    );
    assert!(held.header("retry-after").is_some());
    assert!(held.text().contains("Too many attempts"));
    let other = app
        .browser()
        .log_in("someone@example.com", "whatever pass")
        .await;
    assert_eq!(
        other.status, 422,
        "other accounts are not held back by Ana's throttle"
    );
}

async fn signing_up_twice_with_one_address_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.signed_in_user("ana@example.com").await;
    let res = app
        .browser()
        .sign_up("ANA@example.com", "another long passphrase")
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.text()
            .contains("An account with this email already exists"),
        "{}",
        res.text()
    );
    assert_eq!(app.count("users"), 1);

    let bad = app
        .browser()
        .submit(
            "/signup",
            "/signup",
            &[
                ("email", "nope"),
                ("name", "Kept Name"),
                ("password", "short"),
                ("password_confirm", "short"),
                ("timezone", "Mars/Base"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    let text = bad.text();
    for message in [
        "enter an email address",
        "use at least 8 characters",
        "unknown time zone",
    ] {
        assert!(text.contains(message), "missing {message:?} in {text}");
    }
    assert!(bad.body.contains("value=\"Kept Name\""), "values are kept");
    assert_eq!(app.count("users"), 1, "nothing was saved");
}

async fn an_expired_session_sends_the_browser_to_login(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let past = app.clock.stamp() - chrono::Duration::minutes(1);
    diesel::update(sessions::table)
        .set(sessions::idle_expires_at.eq(past))
        .execute(&mut *app.conn())
        .unwrap();
    let res = browser.get("/settings").await;
    assert_eq!(res.status, 303);
    assert_eq!(
        res.header("location").as_deref(),
        Some("/login?next=/settings")
    );
    assert_eq!(app.count("sessions"), 0, "the expired session is removed");
}

async fn htmx_requests_without_a_session_get_hx_redirect(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let res = app
        .browser()
        .get_with("/clients", &[("HX-Request", "true")])
        .await;
    assert_eq!(res.status, 401);
    assert_eq!(
        res.header("hx-redirect").as_deref(),
        Some("/login?next=/clients")
    );
}

/// An attacker guessing Ana's password from one address is slowed down there, but
/// Ana still signs in from another address, and from a browser she signed in with
/// before even at the attacker's address (its device cookie has its own allowance).
async fn guessing_from_one_address_never_keeps_the_owner_out(backend: Backend) {
    let Some(app) = spawn_app_with(backend, &[("LAUF_TRUSTED_PROXIES", "127.0.0.1/32")]).await
    else {
        return;
    };
    let known = app.signed_in_user("ana@example.com").await;
    assert!(
        known.cookie("lauf_device").is_some(),
        "a signed-in browser is known"
    );
    assert_eq!(known.log_out().await.status, 303);
    let attacker = app.browser();
    let mut last = 0;
    for _ in 0..30 {
        last = attacker
            .log_in_from("ana@example.com", "wrong guess", "203.0.113.9")
            .await
            .status;
    }
    assert_eq!(last, 429, "the guessing is slowed down");
    let held = app
        .browser()
        .log_in_from("ana@example.com", PASSWORD, "203.0.113.9")
        .await;
    assert_eq!(
        held.status, 429,
        "an unknown browser at the attacker's address waits"
    );
    let elsewhere = app
        .browser()
        .log_in_from("ana@example.com", PASSWORD, "198.51.100.7")
        .await;
    assert_eq!(elsewhere.status, 303, "Ana signs in from another address");
    let again = known
        .log_in_from("ana@example.com", PASSWORD, "203.0.113.9")
        .await;
    assert_eq!(
        again.status, 303,
        "and from her own browser, at any address"
    );
}
