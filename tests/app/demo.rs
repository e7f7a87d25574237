//! `lauf demo` builds a workspace that loads and obeys the domain rules.

use diesel::prelude::*;
use lauf::db::schema::{activities, goals, tasks};
use lauf::demo::{self, DemoOptions};
use lauf::domain::Timezone;

use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;

on_both_backends!(the_demo_workspace_loads_and_its_figures_add_up);

async fn the_demo_workspace_loads_and_its_figures_add_up(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let options = DemoOptions {
        users: 1,
        scale: 1,
        history: None,
        files: None,
        email: None,
        password: Some("demo passphrase".into()),
        timezone: Timezone::parse("America/New_York").unwrap(),
    };
    let report = demo::build(
        &mut app.conn(),
        &options,
        chrono::Utc::now(),
        &indicatif::ProgressBar::hidden(),
    )
    .unwrap();
    assert_eq!(report.emails, vec!["demo@example.com".to_string()]);
    assert_eq!(report.per_user.clients, 15);
    assert!(
        report.per_user.projects >= 15 && report.per_user.tasks >= 30,
        "{:?}",
        report.per_user
    );

    // 12 files, their objects returned for storing (images with thumbnails).
    assert_eq!(report.per_user.assets, 12);
    let storage = app.storage();
    for file in &report.files {
        use lauf::storage::ObjectStore;
        storage
            .put_bytes(&file.key, file.bytes.clone(), file.content_type)
            .await
            .unwrap();
    }
    let check = lauf::storage::maintenance::check(
        &app.database(),
        &storage,
        false,
        app.clock.stamp(),
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert!(check.is_clean(), "every row has its file: {check:?}");
    assert_eq!((check.rows, check.objects), (12, report.files.len()));

    let browser = app.browser();
    assert_eq!(
        browser
            .log_in("demo@example.com", "demo passphrase")
            .await
            .status,
        303
    );
    let gallery = browser.get("/assets").await;
    assert!(
        gallery.text().contains("Showing 1–12 of 12"),
        "{}",
        gallery.text()
    );
    let thumb = gallery.body.split("src=\"/assets/").nth(1).unwrap();
    let thumb = format!("/assets/{}", &thumb[..thumb.find('"').unwrap()]);
    let (status, headers, _) = browser.get_bytes(&thumb).await;
    assert_eq!(status, 200, "{thumb}");
    assert_eq!(headers.get("content-type").unwrap(), "image/jpeg");
    let today = browser.get("/").await;
    assert_eq!(today.status, 200);
    assert!(
        today.body.contains("<article class=\"block "),
        "today has blocks: {}",
        today.text()
    );
    let clients = browser.get("/clients").await;
    assert_eq!(
        clients
            .body
            .matches("<td class=\"client-name\"><a href=\"/clients/")
            .count(),
        15
    );
    for state in [
        "Healthy",
        "Needs attention",
        "At risk",
        "Current",
        "Pending",
        "Overdue",
    ] {
        assert!(clients.text().contains(state), "clients show {state}");
    }
    let projects = browser.get("/projects").await.main_text();
    for stage in ["Planning", "Design", "Development", "Review", "Launched"] {
        assert!(projects.contains(stage), "a project in {stage}");
    }
    let goals_page = browser.get("/command/goals").await.main_text();
    for kind in ["Daily", "Weekly", "Monthly", "Yearly"] {
        assert!(goals_page.contains(kind), "a {kind} goal");
    }

    // Each goal's progress is exactly its done blocks; each activity's use count too.
    let mut conn = app.conn();
    let goal_rows: Vec<(String, i32)> = goals::table
        .select((goals::id, goals::current_value))
        .load(&mut *conn)
        .unwrap();
    for (goal, value) in goal_rows {
        let done: i64 = tasks::table
            .filter(tasks::goal_id.eq(&goal))
            .filter(tasks::status.eq("DONE"))
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(i64::from(value), done, "goal {goal}");
    }
    let uses: Vec<(String, i32)> = activities::table
        .select((activities::id, activities::times_used))
        .load(&mut *conn)
        .unwrap();
    for (activity, used) in uses {
        let done: i64 = tasks::table
            .filter(tasks::activity_id.eq(&activity))
            .filter(tasks::status.eq("DONE"))
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(i64::from(used), done, "activity {activity}");
    }

    let again = demo::build(
        &mut conn,
        &options,
        chrono::Utc::now(),
        &indicatif::ProgressBar::hidden(),
    )
    .unwrap_err()
    .to_string();
    assert!(again.contains("already has an account"), "{again}");
}

/// `lauf demo | head -n1`: the reader goes before the report is written. The
/// command ends as any Unix tool does, with its data saved, never with a panic.
#[test]
fn the_demo_into_a_closed_pipe_saves_its_data_and_ends_quietly() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lauf"))
        .args(["demo", "--users", "1", "--scale", "1", "--files", "0"])
        .env("DATABASE_URL", "")
        .env("LAUF_DATA_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the lauf binary");
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");

    let mut conn = SqliteConnection::establish(&dir.path().join("lauf.db").display().to_string())
        .expect("the demo's database");
    let planned: i64 = tasks::table.count().get_result(&mut conn).unwrap();
    assert!(planned >= 30, "the demo's blocks are saved: {planned}");
}
