//! Your data: `lauf backup` / `lauf restore`, `lauf copy-to`, the workspace export
//! and import in Settings, and deleting an account.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use diesel::prelude::*;
use indicatif::ProgressBar;
use lauf::db::rows::{self, TABLES, Tally};
use lauf::db::schema::{assets, clients, storage_deletions, tasks, users};
use lauf::demo::{self, DemoOptions};
use lauf::domain::Timezone;
use lauf::portable::workspace::PARTS;
use lauf::portable::{self, Credentials};
use lauf::storage::{ObjectKey, ObjectStore};

use crate::helpers::{Backend, Browser, TestApp, TestDb, spawn_app, spawn_app_at, spawn_on};
use crate::on_both_backends;

on_both_backends!(
    a_backup_taken_while_blocks_are_completed_restores_the_same_workspace,
    a_backup_that_fails_part_way_leaves_no_file_under_its_name,
    restore_refuses_a_target_that_is_not_empty_and_a_tampered_archive,
    copy_to_the_other_backend_gives_equal_counts_sums_and_pages,
    an_export_imported_into_a_fresh_account_gives_the_same_rows,
    an_import_into_an_account_with_data_or_from_a_changed_file_saves_nothing,
    deleting_an_account_leaves_no_row_or_file_of_it,
    a_backup_with_its_keys_restores_readable_credentials,
    local_files_copy_to_s3_storage_once,
    a_backup_killed_part_way_leaves_no_file_under_its_name,
    an_export_with_bad_rows_names_each_and_saves_nothing,
);

/// The instant the page comparisons are made at (pages say "in 3 hours").
const NOW: chrono::DateTime<chrono::Utc> =
    chrono::DateTime::from_timestamp(1_796_288_400, 0).unwrap();

const DEMO: &str = "demo@example.com";
const DEMO_PASSWORD: &str = "demo passphrase";

/// The demo workspace in `app`, files stored; a browser signed in to it.
pub(crate) async fn with_demo(app: &TestApp) -> Browser {
    with_demo_at(app, 1).await
}

/// `with_demo` at `scale` (2 adds ~6,650 past blocks: many batches per table).
pub(crate) async fn with_demo_at(app: &TestApp, scale: u32) -> Browser {
    let options = DemoOptions {
        users: 1,
        scale,
        history: None,
        files: None,
        email: None,
        password: Some(DEMO_PASSWORD.into()),
        timezone: Timezone::parse("Europe/Berlin").unwrap(),
    };
    let report = demo::build(
        &mut app.conn(),
        &options,
        app.clock.now(),
        &ProgressBar::hidden(),
    )
    .unwrap();
    let storage = app.storage();
    for file in &report.files {
        storage
            .put_bytes(&file.key, file.bytes.clone(), file.content_type)
            .await
            .unwrap();
    }
    let browser = app.browser();
    assert_eq!(browser.log_in(DEMO, DEMO_PASSWORD).await.status, 303);
    browser
}

/// Seals a credential on the demo's first client (through the form).
async fn add_credential(browser: &Browser, app: &TestApp) -> String {
    let client: String = clients::table
        .inner_join(users::table)
        .filter(users::email.eq(DEMO))
        .select(clients::id)
        .order(clients::name.asc())
        .first(&mut *app.conn())
        .unwrap();
    let res = browser
        .submit(
            &format!("/clients/{client}"),
            &format!("/clients/{client}/credentials"),
            &[("credentials", "root / hunter2")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    client
}

/// Every table's count and sums.
fn tallies(app: &TestApp) -> BTreeMap<String, Tally> {
    let mut conn = app.conn();
    TABLES
        .iter()
        .map(|t| {
            let shape = rows::shape(&mut conn, t).unwrap();
            (
                t.to_string(),
                portable::tally_table(&mut conn, &shape, "").unwrap(),
            )
        })
        .collect()
}

fn key_ring(app: &TestApp) -> lauf::crypto::KeyRing {
    app.settings.key_ring().unwrap()
}

fn done_blocks(app: &TestApp) -> i64 {
    tasks::table
        .filter(tasks::status.eq("DONE"))
        .count()
        .get_result(&mut *app.conn())
        .unwrap()
}

async fn a_backup_taken_while_blocks_are_completed_restores_the_same_workspace(backend: Backend) {
    let Some(app) = spawn_app_at(backend, NOW).await else {
        return;
    };
    let browser = with_demo(&app).await;
    let client = add_credential(&browser, &app).await;
    let open: Vec<String> = tasks::table
        .filter(tasks::status.ne("DONE"))
        .select(tasks::id)
        .order(tasks::id.asc())
        .load(&mut *app.conn())
        .unwrap();
    let done_before = done_blocks(&app);

    // The backup runs on a thread of its own while this one completes blocks
    // through the app.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.zip");
    let (pool, settings, out) = (app.pool.clone(), app.settings.clone(), file.clone());
    let backup = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let storage = settings.open_storage().unwrap();
            let mut conn = pool.get().unwrap();
            portable::backup(&mut conn, &storage, &out, None, &ProgressBar::hidden()).await
        })
    });
    let mut completed = 0;
    let token = browser.get("/").await.csrf_token();
    for task in &open {
        if backup.is_finished() && completed >= 3 {
            break;
        }
        let res = browser
            .post(
                &format!("/tasks/{task}/status"),
                &[
                    ("csrf_token", &token),
                    ("status", "DONE"),
                    ("return_to", "/"),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        completed += 1;
    }
    let report = backup.join().unwrap().unwrap();
    assert!(completed >= 3);
    let manifest = &report.manifest;
    let rows_of = |table: &str| {
        manifest
            .tables
            .iter()
            .find(|t| t.table == table)
            .unwrap()
            .tally
            .clone()
    };
    // One snapshot: the blocks it holds are the ones before, plus some of those
    // completed meanwhile, never half a write.
    assert_eq!(
        rows_of("tasks").rows,
        open.len() as u64 + done_before as u64
    );
    assert_eq!(manifest.files.len(), 18, "12 files, 6 with thumbnails");
    assert!(manifest.missing_files.is_empty());
    assert!(manifest.keys.is_none());

    // Restore into a second, empty instance: counts and sums match the manifest.
    let Some(copy) = spawn_app_at(backend, NOW).await else {
        return;
    };
    let restored = restore_into(&copy, &file).await.unwrap();
    assert_eq!(restored.files, 18);
    let after = tallies(&copy);
    for part in &manifest.tables {
        assert_eq!(after[&part.table], part.tally, "{}", part.table);
    }
    let done_in_backup: i64 = tasks::table
        .filter(tasks::status.eq("DONE"))
        .count()
        .get_result(&mut *copy.conn())
        .unwrap();
    assert!(done_in_backup >= done_before && done_in_backup <= done_before + completed);

    // The same pages for the same user (clients and projects did not change while
    // the blocks were completed).
    let there = copy.browser();
    assert_eq!(there.log_in(DEMO, DEMO_PASSWORD).await.status, 303);
    // (Not /projects: its slip forecasts move with every block completed.)
    for page in ["/clients", "/assets"] {
        let (a, b) = (browser.get(page).await, there.get(page).await);
        assert_eq!(b.status, 200, "{page}");
        assert_eq!(shown(&a), shown(&b), "{page}");
    }
    // A file comes back byte for byte.
    let key: String = assets::table
        .select(assets::storage_path)
        .order(assets::id.asc())
        .first(&mut *app.conn())
        .unwrap();
    let key = ObjectKey::parse(&key).unwrap();
    assert_eq!(read(&app, &key).await, read(&copy, &key).await);

    // The credential is sealed to the first instance's key: unreadable with the
    // copy's own key (and said so), readable with the right one.
    let with_copy_keys = Credentials::check(&mut copy.conn(), Some(&key_ring(&copy))).unwrap();
    assert_eq!(
        (with_copy_keys.readable, with_copy_keys.unreadable.len()),
        (0, 1)
    );
    assert!(with_copy_keys.describe().contains("CANNOT be read"));
    let with_right_keys = Credentials::check(&mut copy.conn(), Some(&key_ring(&app))).unwrap();
    assert_eq!(
        (with_right_keys.readable, with_right_keys.unreadable.len()),
        (1, 0)
    );
    let sealed: Option<String> = clients::table
        .find(&client)
        .select(clients::credentials)
        .first(&mut *copy.conn())
        .unwrap();
    assert!(sealed.is_some());

    // `lauf restore` itself, into a new data dir (SQLite, whatever the backup came
    // from) with no key anywhere: it says the credential cannot be read, and makes
    // no key file of its own where the old one may still be copied in.
    let target = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lauf"))
        .arg("restore")
        .arg(&file)
        .env("LAUF_DATA_DIR", target.path())
        .env_remove("DATABASE_URL")
        .env_remove("LAUF_DATA_KEYS")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.contains("1 stored client credential(s) CANNOT be read"),
        "{printed}"
    );
    assert!(!target.path().join("keys").exists());
}

/// What a list page shows, as a sorted list of its rows, cards and figures (two
/// clients of one name may come in either order).
fn shown(res: &crate::helpers::Response) -> Vec<String> {
    let mut rows = res.texts_of("main tr, main li, main dd, main dt, main h1, main h2, main p");
    rows.sort();
    rows
}

async fn read(app: &TestApp, key: &ObjectKey) -> Vec<u8> {
    use futures_util::StreamExt;
    let object = app.storage().get(key, None).await.unwrap();
    let mut body = object.body;
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

async fn a_backup_that_fails_part_way_leaves_no_file_under_its_name(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let _browser = with_demo(&app).await;
    // One stored file becomes unreadable (a directory in its place): the backup
    // fails after the tables, while it copies files.
    let path = take_last_file(&app);
    std::fs::create_dir(&path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.zip");
    let failed = portable::backup(
        &mut app.conn(),
        &app.storage(),
        &file,
        None,
        &ProgressBar::hidden(),
    )
    .await;
    assert!(failed.is_err());
    assert!(!file.exists(), "nothing under the final name");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "no partial file left behind: {left:?}");

    // An existing file is never overwritten.
    std::fs::remove_dir(&path).unwrap();
    std::fs::write(&file, b"mine").unwrap();
    let refused = portable::backup(
        &mut app.conn(),
        &app.storage(),
        &file,
        None,
        &ProgressBar::hidden(),
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("exists already"));
    assert_eq!(std::fs::read(&file).unwrap(), b"mine");
}

/// Removes the stored file a backup copies last (the last asset's original) and
/// returns its path, for the test to put something else there.
fn take_last_file(app: &TestApp) -> std::path::PathBuf {
    let key: String = assets::table
        .select(assets::storage_path)
        .order(assets::id.desc())
        .first(&mut *app.conn())
        .unwrap();
    let path = app.settings.data_dir.join("files").join(&key);
    std::fs::remove_file(&path).unwrap();
    path
}

/// `lauf restore` of `file` into `app` (its keys come from LAUF_DATA_KEYS).
async fn restore_into(
    app: &TestApp,
    file: &std::path::Path,
) -> anyhow::Result<portable::RestoreReport> {
    portable::restore(
        &mut app.conn(),
        &app.storage(),
        file,
        &app.settings.key_file(),
        true,
        &ProgressBar::hidden(),
    )
    .await
}

/// A backup of `app`, written into `dir`.
async fn backup_of(app: &TestApp, dir: &std::path::Path) -> std::path::PathBuf {
    let file = dir.join("backup.zip");
    portable::backup(
        &mut app.conn(),
        &app.storage(),
        &file,
        None,
        &ProgressBar::hidden(),
    )
    .await
    .unwrap();
    file
}

/// `file` with one table's line changed (the manifest left as it was).
fn tampered(file: &std::path::Path, entry: &str) -> std::path::PathBuf {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(file).unwrap()).unwrap();
    let out = file.with_file_name("tampered.zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&out).unwrap());
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut bytes = Vec::new();
        part.read_to_end(&mut bytes).unwrap();
        if name == entry {
            let text = String::from_utf8(bytes).unwrap();
            bytes = text.replacen("Harbor", "Harbour", 1).into_bytes();
        }
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(&bytes).unwrap();
    }
    writer.finish().unwrap();
    out
}

async fn restore_refuses_a_target_that_is_not_empty_and_a_tampered_archive(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let _browser = with_demo(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = backup_of(&app, dir.path()).await;

    // A target with an account in it.
    let Some(used) = spawn_app(backend).await else {
        return;
    };
    let _ana = used.signed_in_user("ana@example.com").await;
    let before = tallies(&used);
    let refused = restore_into(&used, &file).await.unwrap_err().to_string();
    assert!(
        refused.contains("not empty: its table users holds 1 row(s)"),
        "{refused}"
    );
    assert_eq!(tallies(&used), before, "nothing changed");

    // An archive whose clients file was changed after it was written.
    let changed = tampered(&file, "tables/clients.jsonl");
    let Some(empty) = spawn_app(backend).await else {
        return;
    };
    let refused = restore_into(&empty, &changed)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        refused,
        "the archive does not match its manifest: tables/clients.jsonl has been changed"
    );
    assert!(tallies(&empty).values().all(|t| t.rows == 0));
    assert!(empty.storage().list().await.unwrap().is_empty());
}

async fn copy_to_the_other_backend_gives_equal_counts_sums_and_pages(backend: Backend) {
    let now = NOW;
    let Some(app) = spawn_app_at(backend, now).await else {
        return;
    };
    let browser = with_demo_at(&app, 2).await;
    let other = match backend {
        Backend::Sqlite => Backend::Postgres,
        Backend::Postgres => Backend::Sqlite,
    };
    let Some((db, target)) = TestDb::empty(other) else {
        crate::helpers::skip(other);
        return;
    };
    let target_pool = lauf::db::build_pool(&target, &Default::default()).unwrap();
    let compared = portable::copy_to(
        &mut app.conn(),
        &mut target_pool.get().unwrap(),
        &ProgressBar::hidden(),
    )
    .unwrap();
    drop(target_pool);
    assert_eq!(compared.len(), TABLES.len());
    for c in &compared {
        assert_eq!(c.source, c.target, "{}", c.table);
    }
    let tasks = compared.iter().find(|c| c.table == "tasks").unwrap();
    assert!(
        tasks.source.rows > 10 * portable::BATCH as u64,
        "many batches"
    );
    let payments = compared.iter().find(|c| c.table == "payments").unwrap();
    assert_ne!(payments.source.sums["amount"], "0", "money was summed");

    // The same pages for the same user on the copy.
    let copy = spawn_on(db, target, &[], lauf::clock::Clock::fixed(now)).await;
    let there = copy.browser();
    assert_eq!(there.log_in(DEMO, DEMO_PASSWORD).await.status, 303);
    for page in ["/clients", "/"] {
        let (a, b) = (browser.get(page).await, there.get(page).await);
        assert_eq!((a.status, b.status), (200, 200), "{page}");
        assert!(shown(&a).len() > 10, "{page}");
        assert_eq!(shown(&a), shown(&b), "{page}");
    }

    // A second copy into the same (now full) database is refused.
    let target_pool = lauf::db::build_pool(&copy.settings.database, &Default::default()).unwrap();
    let refused = portable::copy_to(
        &mut app.conn(),
        &mut target_pool.get().unwrap(),
        &ProgressBar::hidden(),
    )
    .unwrap_err()
    .to_string();
    assert!(refused.contains("not empty"), "{refused}");
}

/// The account's rows, part by part, as tallies.
fn account_tallies(app: &TestApp, email: &str) -> BTreeMap<&'static str, Tally> {
    let user: String = users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(&mut *app.conn())
        .unwrap();
    let mut conn = app.conn();
    PARTS
        .iter()
        .filter(|p| !matches!(p.table, "users" | "audit_logs"))
        .map(|p| {
            let shape = rows::shape(&mut conn, p.table).unwrap();
            let filter = match p.table {
                "projects" | "opportunities" => {
                    format!("client_id IN (SELECT id FROM clients WHERE user_id = '{user}')")
                }
                "goal_periods" | "goal_progress" => {
                    format!("goal_id IN (SELECT id FROM goals WHERE user_id = '{user}')")
                }
                "routine_skips" => {
                    format!("routine_id IN (SELECT id FROM routines WHERE user_id = '{user}')")
                }
                "task_assets" => {
                    format!("task_id IN (SELECT id FROM tasks WHERE user_id = '{user}')")
                }
                _ => format!("user_id = '{user}'"),
            };
            (
                p.table,
                portable::tally_table(&mut conn, &shape, &filter).unwrap(),
            )
        })
        .collect()
}

async fn export_of(browser: &Browser) -> Vec<u8> {
    let res = browser.get("/settings/data/export").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type").unwrap(), "application/zip");
    assert!(
        res.header("content-disposition")
            .unwrap()
            .starts_with("attachment; filename=\"lauf-workspace-")
    );
    res.bytes
}

async fn an_export_imported_into_a_fresh_account_gives_the_same_rows(backend: Backend) {
    let Some(app) = spawn_app_at(backend, NOW).await else {
        return;
    };
    let demo = with_demo(&app).await;
    add_credential(&demo, &app).await;
    let page = demo.get("/settings/data").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.title(), "Your data · LAUF OS");
    assert!(
        page.main_text()
            .contains("Import works into an empty account, and this one holds")
    );
    let zip_bytes = export_of(&demo).await;

    // The export holds what it says, and no credential.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.clone())).unwrap();
    let mut clients_file = String::new();
    zip.by_name("clients.jsonl")
        .unwrap()
        .read_to_string(&mut clients_file)
        .unwrap();
    assert_eq!(clients_file.lines().count(), 15);
    assert!(!clients_file.contains("hunter2"));
    assert!(clients_file.contains("\"credentials\":null"));
    assert!(zip.by_name("blocks.jsonl").is_ok());
    assert!(zip.by_name("timeline.jsonl").is_ok());

    // Into a fresh account of the same instance (so every id must be new).
    let bob = app.signed_in_user("bob@example.com").await;
    let token = bob.get("/settings/data").await.csrf_token();
    let res = bob
        .upload(
            "/settings/data/import",
            &token,
            "file",
            "export.zip",
            &zip_bytes,
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.main_text());
    assert_eq!(res.header("location").unwrap(), "/");
    // Counted before Bob's day page is seen: seeing it adds today's routine block.
    let (theirs, mine) = (
        account_tallies(&app, DEMO),
        account_tallies(&app, "bob@example.com"),
    );
    let home = bob.get("/").await;
    assert!(
        home.body.contains("rows and 18 files into your account."),
        "the notice says what came in: {}",
        home.body
    );
    for (table, tally) in &theirs {
        assert_eq!(&mine[table], tally, "{table}");
    }
    assert!(mine["tasks"].rows > 300 && mine["assets"].rows == 12);
    for page in ["/clients", "/projects", "/assets"] {
        let (a, b) = (demo.get(page).await, bob.get(page).await);
        assert!(shown(&a).len() > 10, "{page}");
        assert_eq!(shown(&a), shown(&b), "{page}");
    }
    // Bob's files are his own objects with the same bytes.
    let bob_keys: Vec<String> = assets::table
        .inner_join(users::table)
        .filter(users::email.eq("bob@example.com"))
        .select(assets::storage_path)
        .load(&mut *app.conn())
        .unwrap();
    let demo_keys: Vec<String> = assets::table
        .inner_join(users::table)
        .filter(users::email.eq(DEMO))
        .select(assets::storage_path)
        .load(&mut *app.conn())
        .unwrap();
    assert!(bob_keys.iter().all(|k| !demo_keys.contains(k)));
    let mut theirs_bytes = Vec::new();
    let mut mine_bytes = Vec::new();
    for k in &demo_keys {
        theirs_bytes.push(read(&app, &ObjectKey::parse(k).unwrap()).await);
    }
    for k in &bob_keys {
        mine_bytes.push(read(&app, &ObjectKey::parse(k).unwrap()).await);
    }
    theirs_bytes.sort();
    mine_bytes.sort();
    assert_eq!(theirs_bytes, mine_bytes);
    // No credential came along.
    let sealed: i64 = clients::table
        .inner_join(users::table)
        .filter(users::email.eq("bob@example.com"))
        .filter(clients::credentials.is_not_null())
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(sealed, 0);
}

async fn an_import_into_an_account_with_data_or_from_a_changed_file_saves_nothing(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let demo = with_demo(&app).await;
    let zip_bytes = export_of(&demo).await;

    // An account that has a client already.
    let ana = app.signed_in_user("ana@example.com").await;
    app.add_client(&ana, "Own client").await;
    let before = tallies(&app);
    let page = ana.get("/settings/data").await;
    assert!(
        page.main_text().contains("this one holds 1 client."),
        "{}",
        page.main_text()
    );
    let res = ana
        .upload(
            "/settings/data/import",
            &page.csrf_token(),
            "file",
            "x.zip",
            &zip_bytes,
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.main_text().contains("Nothing was imported."));
    assert!(
        res.main_text()
            .contains("Import goes into an empty account, and this one holds 1 client.")
    );
    assert_eq!(tallies(&app), before);

    // A changed file, into an empty account.
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("export.zip");
    std::fs::write(&original, &zip_bytes).unwrap();
    let changed = std::fs::read(tampered(&original, "clients.jsonl")).unwrap();
    let cleo = app.signed_in_user("cleo@example.com").await;
    let token = cleo.get("/settings/data").await.csrf_token();
    let res = cleo
        .upload("/settings/data/import", &token, "file", "x.zip", &changed)
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.main_text()
            .contains("the archive does not match its manifest: clients.jsonl has been changed"),
        "{}",
        res.main_text()
    );
    // Not a ZIP at all.
    let res = cleo
        .upload("/settings/data/import", &token, "file", "x.zip", b"hello")
        .await;
    assert_eq!(res.status, 422);
    assert!(res.main_text().contains("This file cannot be imported"));
    let before_cleo = tallies(&app);
    // A bad CSRF token changes nothing either.
    let res = cleo
        .upload(
            "/settings/data/import",
            "forged",
            "file",
            "x.zip",
            &zip_bytes,
        )
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(tallies(&app), before_cleo);
    let cleo_rows = account_tallies(&app, "cleo@example.com");
    assert_eq!(
        cleo_rows["activities"].rows, 15,
        "the catalog of a new account"
    );
    assert_eq!(
        cleo_rows
            .iter()
            .filter(|(t, _)| **t != "activities")
            .map(|(_, t)| t.rows)
            .sum::<u64>(),
        0
    );
}

async fn deleting_an_account_leaves_no_row_or_file_of_it(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let demo = with_demo(&app).await;
    let bob = app.signed_in_user("bob@example.com").await;
    app.add_client(&bob, "Bob's client").await;
    let bob_before = account_tallies(&app, "bob@example.com");
    let user: String = users::table
        .filter(users::email.eq(DEMO))
        .select(users::id)
        .first(&mut *app.conn())
        .unwrap();
    let keys: Vec<String> = assets::table
        .filter(assets::user_id.eq(&user))
        .select(assets::storage_path)
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(keys.len(), 12);
    let before = tallies(&app);

    // Wrong password, or the email not typed: 422, nothing deleted.
    let res = demo
        .submit(
            "/settings/data",
            "/settings/data/delete",
            &[("password", "not it at all"), ("email", DEMO)],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.text_of("#delete-error")
            .contains("That password is not right")
    );
    let res = demo
        .submit(
            "/settings/data",
            "/settings/data/delete",
            &[("password", DEMO_PASSWORD), ("email", "someone@else.com")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.text_of("#delete-error")
            .contains("Type your email address")
    );
    assert_eq!(tallies(&app), before);

    // A second session of the same account, to see it ended too.
    let elsewhere = app.browser();
    assert_eq!(elsewhere.log_in(DEMO, DEMO_PASSWORD).await.status, 303);
    let res = demo
        .submit(
            "/settings/data",
            "/settings/data/delete",
            &[("password", DEMO_PASSWORD), ("email", "Demo@Example.com")],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location").unwrap(), "/login?deleted=1");
    for browser in [&demo, &elsewhere] {
        let res = browser.get("/").await;
        assert_eq!(res.status, 303, "signed out everywhere");
    }
    assert!(
        app.browser()
            .get("/login?deleted=1")
            .await
            .main_text()
            .contains("Your account and all its data are deleted.")
    );

    // No row anywhere holds the user's id.
    let mut conn = app.conn();
    for table in TABLES {
        let shape = rows::shape(&mut conn, table).unwrap();
        for column in shape.columns.iter().filter(|c| c.kind == rows::Kind::Text) {
            let n =
                rows::count(&mut conn, table, &format!("\"{}\" = '{user}'", column.name)).unwrap();
            assert_eq!(n, 0, "{table}.{} still holds the user's id", column.name);
        }
    }
    drop(conn);
    // Files queued, then gone once the queue drains; Bob's are untouched.
    let queued: i64 = storage_deletions::table
        .filter(storage_deletions::storage_key.eq_any(&keys))
        .count()
        .get_result(&mut *app.conn())
        .unwrap();
    assert_eq!(queued, 12);
    let later = (app.clock.now() + chrono::Duration::minutes(5)).naive_utc();
    lauf::storage::maintenance::drain_queue(&app.database(), &app.storage(), later)
        .await
        .unwrap();
    let left = app.storage().list().await.unwrap();
    assert!(
        left.iter().all(|l| !keys
            .iter()
            .any(|k| l.key.ends_with(k.trim_start_matches("assets/")))),
        "no file of the deleted account is left: {:?}",
        left.iter().map(|l| &l.key).collect::<Vec<_>>()
    );
    assert_eq!(account_tallies(&app, "bob@example.com"), bob_before);
    assert_eq!(bob.get("/clients").await.status, 200);
}

/// `TABLES` is every table the migrations make, and the two backends agree on
/// each table's columns, so a new table or column cannot be left out of a backup,
/// a copy or an export unnoticed.
#[actix_web::test]
async fn every_table_is_carried_and_both_backends_agree_on_its_columns() {
    let Some(sqlite) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let Some(postgres) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let mut listed: Vec<String> = TABLES.iter().map(|t| t.to_string()).collect();
    listed.sort();
    for app in [&sqlite, &postgres] {
        assert_eq!(rows::table_names(&mut app.conn()).unwrap(), listed);
    }
    for table in TABLES {
        let a = rows::shape(&mut sqlite.conn(), table).unwrap();
        let b = rows::shape(&mut postgres.conn(), table).unwrap();
        assert_eq!(a.names(), b.names(), "{table}");
        assert_eq!(a.key, b.key, "{table}");
        for (x, y) in a.columns.iter().zip(&b.columns) {
            let family = |k: rows::Kind| match k {
                rows::Kind::Integer => rows::Kind::BigInt,
                other => other,
            };
            assert_eq!(
                family(x.kind),
                family(b.columns.iter().find(|c| c.name == x.name).unwrap().kind),
                "{table}.{}",
                x.name
            );
            let _ = y;
        }
    }
    // Every table the workspace export carries is one of them.
    for part in PARTS {
        assert!(TABLES.contains(&part.table), "{}", part.table);
    }
}

async fn a_backup_with_its_keys_restores_readable_credentials(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = with_demo(&app).await;
    add_credential(&browser, &app).await;
    // The app's keys as a key file, the way a default install keeps them.
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    lauf::crypto::KeyRing::parse(&app.data_keys, "k1")
        .unwrap()
        .save(&keys)
        .unwrap();
    let file = dir.path().join("with-keys.zip");
    let report = portable::backup(
        &mut app.conn(),
        &app.storage(),
        &file,
        Some(&keys),
        &ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert!(report.manifest.keys.is_some());

    let Some(copy) = spawn_app(backend).await else {
        return;
    };
    let copy_keys = copy.settings.data_dir.join("restored-keys");
    let restored = portable::restore(
        &mut copy.conn(),
        &copy.storage(),
        &file,
        &copy_keys,
        false,
        &ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert!(restored.key_file_written);
    let ring = lauf::crypto::KeyRing::load_or_create_file(&copy_keys).unwrap();
    let credentials = Credentials::check(&mut copy.conn(), Some(&ring)).unwrap();
    assert_eq!((credentials.readable, credentials.unreadable.len()), (1, 0));
    assert!(credentials.describe().contains("all readable"));
}

async fn local_files_copy_to_s3_storage_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let _browser = with_demo(&app).await;
    let local = app.storage();
    let (_, env) = crate::helpers::s3_server().bucket();
    let data_dir = app.settings.data_dir.display().to_string();
    let settings = lauf::config::Settings::from_lookup(|k| {
        env.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .or_else(|| (k == "LAUF_DATA_DIR").then(|| data_dir.clone()))
    })
    .unwrap();
    let s3 = settings.open_storage().unwrap();
    let (copied, kept) = portable::copy_files(&local, &s3, &ProgressBar::hidden())
        .await
        .unwrap();
    assert_eq!((copied, kept), (18, 0));
    let keys = |listed: Vec<lauf::storage::Listed>| {
        let mut keys: Vec<String> = listed.into_iter().map(|l| l.key).collect();
        keys.sort();
        keys
    };
    assert_eq!(
        keys(local.list().await.unwrap()),
        keys(s3.list().await.unwrap())
    );
    let key: String = assets::table
        .select(assets::storage_path)
        .first(&mut *app.conn())
        .unwrap();
    let key = ObjectKey::parse(&key).unwrap();
    let mut from_s3 = Vec::new();
    let mut body = s3.get(&key, None).await.unwrap().body;
    while let Some(chunk) = futures_util::StreamExt::next(&mut body).await {
        from_s3.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(from_s3, read(&app, &key).await);
    // Run again: nothing to copy.
    let again = portable::copy_files(&local, &s3, &ProgressBar::hidden())
        .await
        .unwrap();
    assert_eq!(again, (0, 18));
}

/// `lauf backup` as a process, killed while it copies files: one stored file is a
/// FIFO nobody writes to, so the backup waits there for ever, after every table.
async fn a_backup_killed_part_way_leaves_no_file_under_its_name(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let _browser = with_demo(&app).await;
    let fifo = take_last_file(&app);
    let c_path = std::ffi::CString::new(fifo.display().to_string()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.zip");
    let url = match &app.settings.database {
        lauf::db::DatabaseTarget::Postgres(url) => url.clone(),
        lauf::db::DatabaseTarget::Sqlite(path) => path.display().to_string(),
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lauf"))
        .arg("backup")
        .arg(&file)
        .env("DATABASE_URL", url)
        .env("LAUF_DATA_DIR", &app.settings.data_dir)
        .env("LAUF_DATA_KEYS", &app.data_keys)
        .env("LAUF_DATA_KEY_ACTIVE", "k1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the partial archive holds the tables and stops growing.
    let partial = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .map(|e| e.metadata().unwrap().len())
    };
    let mut last = 0;
    for _ in 0..300 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        let size = partial().unwrap_or(0);
        if size > 0 && size == last {
            break;
        }
        last = size;
    }
    assert!(
        last > 10_000,
        "the backup was under way: {last} bytes written"
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "still waiting on the FIFO"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!file.exists(), "nothing under the final name");
}

/// `file` with `entry` rewritten by `change` and the manifest's checksum for it
/// made to match (as a hand-edited export would be).
fn edited(file: &std::path::Path, entry: &str, change: impl Fn(&str) -> String) -> Vec<u8> {
    use sha2::Digest;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(file).unwrap()).unwrap();
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut bytes = Vec::new();
        part.read_to_end(&mut bytes).unwrap();
        parts.push((name, bytes));
    }
    let new = change(std::str::from_utf8(&parts.iter().find(|p| p.0 == entry).unwrap().1).unwrap());
    let sha: String = sha2::Sha256::digest(new.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in parts {
        let bytes = if name == entry {
            new.clone().into_bytes()
        } else if name == "manifest.json" {
            let mut manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            for table in manifest["tables"].as_array_mut().unwrap() {
                if table["entry"] == entry {
                    table["sha256"] = serde_json::Value::String(sha.clone());
                }
            }
            serde_json::to_vec(&manifest).unwrap()
        } else {
            bytes
        };
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

async fn an_export_with_bad_rows_names_each_and_saves_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let demo = with_demo(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("export.zip");
    std::fs::write(&original, export_of(&demo).await).unwrap();
    // Line 2: a start date that is no date; line 3: a length that is no number.
    let bad = edited(&original, "blocks.jsonl", |text| {
        text.lines()
            .enumerate()
            .map(|(i, line)| {
                let mut row: serde_json::Value = serde_json::from_str(line).unwrap();
                match i {
                    1 => row["scheduled_date"] = "next Tuesday".into(),
                    2 => row["time_block_minutes"] = "ninety".into(),
                    _ => {}
                }
                format!("{row}\n")
            })
            .collect()
    });
    let bob = app.signed_in_user("bob@example.com").await;
    let before = tallies(&app);
    let token = bob.get("/settings/data").await.csrf_token();
    let res = bob
        .upload("/settings/data/import", &token, "file", "export.zip", &bad)
        .await;
    assert_eq!(res.status, 422);
    let problems = res.texts_of("[role=alert] li");
    assert_eq!(
        problems,
        vec![
            "blocks.jsonl line 2: tasks: scheduled_date: \"next Tuesday\" is not a date (2026-12-04)",
            "blocks.jsonl line 3: tasks: time_block_minutes: \"ninety\" is not a whole number",
        ]
    );
    assert_eq!(tallies(&app), before, "nothing saved");
    assert!(res.main_text().contains("Nothing was imported."));
}
