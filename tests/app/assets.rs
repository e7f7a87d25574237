//! Assets: uploads typed from their content, size and pixel limits, storage on the
//! local disk and on a real S3-compatible server, ownership, deletion, links.

use diesel::prelude::*;
use lauf::db::schema::{assets, storage_deletions, tasks};

use crate::helpers::{Backend, Browser, TestApp, s3_server, spawn_app_with, spawn_app_with_clock};
use crate::on_both_backends;

#[derive(Debug, Clone, Copy)]
enum Store {
    Local,
    S3,
}

/// Runs each test once per database and storage backend.
macro_rules! on_all_stores {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use super::Store;
            use crate::helpers::Backend;
            #[actix_web::test]
            async fn sqlite_local() { super::$name(Backend::Sqlite, Store::Local).await }
            #[actix_web::test]
            async fn postgres_local() { super::$name(Backend::Postgres, Store::Local).await }
            #[actix_web::test]
            async fn sqlite_s3() { super::$name(Backend::Sqlite, Store::S3).await }
            #[actix_web::test]
            async fn postgres_s3() { super::$name(Backend::Postgres, Store::S3).await }
        }
    )+};
}

on_all_stores!(
    an_image_uploads_with_a_thumbnail_and_downloads_byte_for_byte,
    a_file_over_the_limit_is_413_and_nothing_is_stored,
    html_named_png_is_refused_and_nothing_is_stored,
    a_decompression_bomb_is_refused_before_decoding,
    another_users_asset_is_404_everywhere,
    deleting_removes_the_row_the_file_and_the_thumbnail,
    storage_check_finds_and_repairs_rows_and_files_out_of_step,
);

on_both_backends!(
    several_files_save_together_or_not_at_all,
    the_gallery_filters_searches_sorts_and_pages,
    editing_changes_name_category_tags_and_links,
    files_linked_to_a_block_show_on_the_day,
    client_and_project_pages_show_their_files,
    svg_code_and_pdfs_are_served_as_downloads_never_inline,
    a_full_disk_refuses_the_upload_and_keeps_nothing,
);

async fn spawn(backend: Backend, store: Store, extra: &[(&str, &str)]) -> Option<TestApp> {
    spawn_clocked(backend, store, extra, lauf::clock::Clock::system()).await
}

/// As `spawn`, with the clock the app reads "now" from.
async fn spawn_clocked(
    backend: Backend,
    store: Store,
    extra: &[(&str, &str)],
    clock: lauf::clock::Clock,
) -> Option<TestApp> {
    let mut env: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Store::S3 = store {
        env.extend(s3_server().bucket().1);
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    spawn_app_with_clock(backend, &env, clock).await
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x % 251) as u8, (y % 241) as u8, 128, 255])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A PNG whose header claims 60,000 × 60,000 pixels (3.6 gigapixels) and which
/// holds almost nothing: decoding it would need 14 GB.
fn bomb() -> Vec<u8> {
    lauf::test_support::png::bomb(60_000)
}

fn zip_like(len: usize) -> Vec<u8> {
    let mut bytes = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    bytes.resize(len, 7);
    bytes
}

async fn upload_page_token(browser: &Browser) -> String {
    browser.get("/assets/upload").await.csrf_token()
}

async fn upload(
    browser: &Browser,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> crate::helpers::Response {
    let token = upload_page_token(browser).await;
    browser
        .upload_files("/assets/upload", &token, fields, files)
        .await
}

fn asset_ids(app: &TestApp) -> Vec<String> {
    assets::table
        .select(assets::id)
        .order(assets::name.asc())
        .load(&mut *app.conn())
        .unwrap()
}

async fn an_image_uploads_with_a_thumbnail_and_downloads_byte_for_byte(
    backend: Backend,
    store: Store,
) {
    let Some(app) = spawn(backend, store, &[]).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let client = app.add_client(&browser, "Northwind").await;
    let image = png(1600, 900);
    let res = upload(
        &browser,
        &[
            ("category", "Screenshot"),
            ("tags", "Homepage, hero"),
            ("client_id", &client),
        ],
        &[("hero shot.png", &image)],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let ids = asset_ids(&app);
    assert_eq!(ids.len(), 1);
    let id = &ids[0];
    assert_eq!(
        res.header("location").as_deref(),
        Some(format!("/assets/{id}").as_str())
    );

    type Row = (String, String, i64, Option<i32>, Option<i32>);
    type More = (Option<String>, Option<String>);
    let (row, more): (Row, More) = assets::table
        .select((
            (
                assets::asset_type,
                assets::mime_type,
                assets::file_size,
                assets::width,
                assets::height,
            ),
            (assets::category, assets::sha256),
        ))
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(row.0, "IMAGE");
    assert_eq!(row.1, "image/png");
    assert_eq!(row.2, image.len() as i64);
    assert_eq!((row.3, row.4), (Some(1600), Some(900)));
    assert_eq!(more.0.as_deref(), Some("screenshot"));
    assert_eq!(more.1.map(|h| h.len()), Some(64));

    let page = browser.get(&format!("/assets/{id}")).await;
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("hero shot.png"), "{text}");
    assert!(text.contains("1600 × 900 px"), "{text}");
    assert!(text.contains("Northwind"), "{text}");

    let (status, headers, body) = browser.get_bytes(&format!("/assets/{id}/file")).await;
    assert_eq!(status, 200);
    assert_eq!(body, image, "the download is the upload, byte for byte");
    assert_eq!(headers.get("content-type").unwrap(), "image/png");
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    let disposition = headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(disposition.starts_with("inline"), "{disposition}");
    // A range, as a video player or a resumed download asks for.
    let (status, headers, part) = browser
        .get_bytes_with(&format!("/assets/{id}/file"), &[("Range", "bytes=10-19")])
        .await;
    assert_eq!(status, 206);
    assert_eq!(part, &image[10..20]);
    assert_eq!(
        headers.get("content-range").unwrap().to_str().unwrap(),
        format!("bytes 10-19/{}", image.len())
    );
    let past_end = format!("bytes={}-", image.len());
    let (status, headers, _) = browser
        .get_bytes_with(&format!("/assets/{id}/file"), &[("Range", &past_end)])
        .await;
    assert_eq!(status, 416);
    assert_eq!(
        headers.get("content-range").unwrap().to_str().unwrap(),
        format!("bytes */{}", image.len())
    );
    let (_, headers, _) = browser
        .get_bytes(&format!("/assets/{id}/file?download=1"))
        .await;
    let disposition = headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("hero shot.png"),
        "{disposition}"
    );

    let (status, headers, thumb) = browser.get_bytes(&format!("/assets/{id}/thumb")).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("content-type").unwrap(), "image/jpeg");
    let decoded = image::load_from_memory(&thumb).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (480, 270));

    // Found by tag, by search, by type; the grid shows the thumbnail.
    let gallery = browser.get("/assets?tag=homepage").await;
    assert!(
        gallery.body.contains(&format!("/assets/{id}/thumb")),
        "{}",
        gallery.text()
    );
    assert!(
        browser
            .get("/assets?q=HERO")
            .await
            .main_text()
            .contains("hero shot.png")
    );
    assert!(
        browser
            .get("/assets?type=VIDEO")
            .await
            .main_text()
            .contains("No files match.")
    );

    let mut keys = app.stored_keys().await;
    keys.sort();
    assert_eq!(
        keys,
        vec![format!("assets/{id}"), format!("thumbs/{id}.jpg")]
    );
    assert_eq!(app.spooled_files(), 0, "the spool is emptied");
}

async fn a_file_over_the_limit_is_413_and_nothing_is_stored(backend: Backend, store: Store) {
    let Some(app) = spawn(backend, store, &[("LAUF_UPLOAD_MAX_MB", "1")]).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let big = zip_like(1_300_000);
    let res = upload(&browser, &[], &[("archive.zip", &big)]).await;
    assert_eq!(res.status, 413, "{}", res.text());
    assert!(res.text().contains("larger than 1 MB"), "{}", res.text());
    assert_eq!(app.count("assets"), 0);
    assert!(app.stored_keys().await.is_empty());
    assert_eq!(app.spooled_files(), 0, "the partial upload is removed");
    // Just under the limit goes through.
    let res = upload(&browser, &[], &[("archive.zip", &zip_like(990_000))]).await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(app.count("assets"), 1);
}

async fn html_named_png_is_refused_and_nothing_is_stored(backend: Backend, store: Store) {
    let Some(app) = spawn(backend, store, &[]).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
    let res = upload(&browser, &[("tags", "keep me")], &[("innocent.png", html)]).await;
    assert_eq!(res.status, 422);
    let text = res.text();
    assert!(
        text.contains("“innocent.png” is named as a PNG image but its content is HTML"),
        "{text}"
    );
    assert!(
        res.body.contains("value=\"keep me\""),
        "the form keeps what was typed"
    );
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff";
    let res = upload(&browser, &[], &[("setup.exe", exe)]).await;
    assert_eq!(res.status, 422);
    assert!(
        res.text().contains(".exe files are not accepted"),
        "{}",
        res.text()
    );
    assert_eq!(app.count("assets"), 0);
    assert!(app.stored_keys().await.is_empty());
    assert_eq!(app.spooled_files(), 0);
}

async fn a_decompression_bomb_is_refused_before_decoding(backend: Backend, store: Store) {
    let Some(app) = spawn(backend, store, &[]).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let res = upload(&browser, &[], &[("bomb.png", &bomb())]).await;
    assert_eq!(res.status, 422, "{}", res.text());
    let text = res.text();
    assert!(
        text.contains("60000 × 60000 pixels, more than the 50 megapixels accepted"),
        "{text}"
    );
    assert_eq!(app.count("assets"), 0);
    assert!(app.stored_keys().await.is_empty());
    // A truncated image (a good signature, then nothing) is refused as unreadable.
    let mut cut = png(64, 64);
    cut.truncate(60);
    let res = upload(&browser, &[], &[("cut.png", &cut)]).await;
    assert_eq!(res.status, 422);
    assert!(res.text().contains("could not be read"), "{}", res.text());
    assert_eq!(app.count("assets"), 0);
}

async fn another_users_asset_is_404_everywhere(backend: Backend, store: Store) {
    let Some(app) = spawn(backend, store, &[]).await else {
        return;
    };
    let ana = app.signed_in_user("ana@example.com").await;
    let res = upload(&ana, &[("tags", "private")], &[("plan.png", &png(40, 30))]).await;
    assert_eq!(res.status, 303);
    let id = asset_ids(&app).remove(0);
    let bob = app.signed_in_user("bob@example.com").await;
    for path in [
        format!("/assets/{id}"),
        format!("/assets/{id}/file"),
        format!("/assets/{id}/file?download=1"),
        format!("/assets/{id}/thumb"),
    ] {
        assert_eq!(bob.get(&path).await.status, 404, "{path}");
    }
    let page = bob.get("/assets").await;
    let res = bob
        .post_with_token(
            &page,
            &format!("/assets/{id}"),
            &[("name", "stolen"), ("tags", "")],
        )
        .await;
    assert_eq!(res.status, 404);
    let res = bob
        .post_with_token(&page, &format!("/assets/{id}/delete"), &[])
        .await;
    assert_eq!(res.status, 404);
    // Bob cannot link Ana's file to his own block either.
    let res = bob
        .submit(
            "/tasks/new",
            "/tasks",
            &[
                ("title", "Bob's block"),
                ("category", "CODE"),
                ("priority", "MEDIUM"),
                ("energy_level", "MODERATE"),
                ("time_block_minutes", "90"),
                ("scheduled_date", ""),
                ("scheduled_time", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let bobs_task: String = tasks::table
        .select(tasks::id)
        .first(&mut *app.conn())
        .unwrap();
    let res = bob
        .post_with_token(
            &page,
            "/assets/link",
            &[("task_id", &bobs_task), ("asset_id", &id)],
        )
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(app.count("task_assets"), 0);
    // Nothing of Ana's changed, and Bob's gallery is empty.
    let name: String = assets::table
        .select(assets::name)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(name, "plan.png");
    assert_eq!(app.stored_keys().await.len(), 2);
    assert!(
        bob.get("/assets")
            .await
            .main_text()
            .contains("No files yet")
    );
    assert_eq!(ana.get(&format!("/assets/{id}/file")).await.status, 200);
}

async fn deleting_removes_the_row_the_file_and_the_thumbnail(backend: Backend, store: Store) {
    let clock = lauf::clock::Clock::fixed(chrono::Utc::now());
    let Some(app) = spawn_clocked(backend, store, &[], clock).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let res = upload(
        &browser,
        &[("tags", "a, b")],
        &[("logo.png", &png(300, 300))],
    )
    .await;
    assert_eq!(res.status, 303);
    let id = asset_ids(&app).remove(0);
    let block = app.add_block(&browser, "Logo review", &[]).await;
    let page = browser.get("/assets").await;
    let res = browser
        .post_with_token(
            &page,
            "/assets/link",
            &[("task_id", &block), ("asset_id", &id)],
        )
        .await;
    assert!(res.status < 400, "{}", res.text());
    assert_eq!(app.stored_keys().await.len(), 2);
    let delete = || async {
        browser
            .submit(
                &format!("/assets/{id}/delete"),
                &format!("/assets/{id}/delete"),
                &[],
            )
            .await
    };

    // Deleted: the row, its tags and link go at once; the files wait for Undo.
    let res = delete().await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location").as_deref(), Some("/assets"));
    assert_eq!(app.count("assets"), 0);
    assert_eq!(app.count("asset_tags"), 0);
    assert_eq!(app.count("task_assets"), 0);
    assert_eq!(browser.get(&format!("/assets/{id}/file")).await.status, 404);
    assert_eq!(
        app.stored_keys().await.len(),
        2,
        "kept while Undo is offered"
    );
    assert_eq!(
        app.drain_deletions().await,
        0,
        "not removed within the hold"
    );

    // Undo: the file is back with its tags and its block.
    let gallery = browser.get("/assets").await;
    assert!(
        gallery.text_of("#flash").contains("Deleted “logo.png”"),
        "{}",
        gallery.text_of("#flash")
    );
    let back = browser.press_undo(&gallery).await;
    assert!(
        back.text_of("#flash").contains("Undone"),
        "{}",
        back.text_of("#flash")
    );
    assert_eq!(asset_ids(&app), vec![id.clone()]);
    assert_eq!(app.count("asset_tags"), 2);
    assert_eq!(app.count("task_assets"), 1);
    assert_eq!(app.count("storage_deletions"), 0);
    assert_eq!(browser.get(&format!("/assets/{id}/file")).await.status, 200);
    assert_eq!(
        browser.get(&format!("/assets/{id}/thumb")).await.status,
        200
    );

    // Deleted again and not undone: once the hold is over, no file is left.
    assert_eq!(delete().await.status, 303);
    app.clock.advance(chrono::Duration::minutes(3));
    assert_eq!(app.drain_deletions().await, 2);
    assert!(app.stored_keys().await.is_empty(), "no file is left behind");
    assert_eq!(app.count("storage_deletions"), 0, "the queue is emptied");
}

async fn storage_check_finds_and_repairs_rows_and_files_out_of_step(
    backend: Backend,
    store: Store,
) {
    use lauf::storage::ObjectStore;
    use lauf::storage::maintenance::check;
    let Some(app) = spawn(backend, store, &[]).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    for name in ["keep.png", "lost.png"] {
        let res = upload(&browser, &[], &[(name, &png(20, 20))]).await;
        assert_eq!(res.status, 303);
    }
    let ids = asset_ids(&app);
    let (keep, lost) = (&ids[0], &ids[1]);
    let storage = app.storage();
    let report = check(
        &app.database(),
        &storage,
        false,
        app.clock.stamp(),
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!((report.rows, report.objects), (2, 4));

    // The lost file's original disappears; a stray object appears without a row.
    let lost_key = lauf::storage::ObjectKey::parse(&format!("assets/{lost}")).unwrap();
    storage.delete(&lost_key).await.unwrap();
    let stray_id = lauf::domain::AssetId::generate();
    let stray = lauf::storage::ObjectKey::original(&stray_id);
    storage
        .put_bytes(&stray, b"stray".to_vec(), "application/octet-stream")
        .await
        .unwrap();
    // A deletion that failed an hour ago is still queued.
    diesel::insert_into(storage_deletions::table)
        .values((
            storage_deletions::storage_key.eq(format!("thumbs/{stray_id}.jpg")),
            storage_deletions::queued_at.eq(app.clock.stamp() - chrono::Duration::hours(1)),
        ))
        .execute(&mut *app.conn())
        .unwrap();

    let report = check(
        &app.database(),
        &storage,
        false,
        app.clock.stamp(),
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert_eq!(report.rows_without_files.len(), 1);
    assert_eq!(report.rows_without_files[0].0.as_str(), lost.as_str());
    assert_eq!(report.files_without_rows.len(), 1);
    assert_eq!(report.files_without_rows[0].0, stray.to_string());
    assert_eq!(report.queued_deletions, 1);
    assert_eq!(app.count("assets"), 2, "checking changes nothing");

    let report = check(
        &app.database(),
        &storage,
        true,
        app.clock.stamp(),
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert!(report.repaired >= 2, "{report:?}");
    assert_eq!(asset_ids(&app), vec![keep.clone()]);
    assert_eq!(app.count("storage_deletions"), 0);
    // The stray object is fresh (under an hour old), so it is reported but kept:
    // it may be an upload whose row is about to commit.
    let after = check(
        &app.database(),
        &storage,
        false,
        app.clock.stamp(),
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert!(after.rows_without_files.is_empty() && after.missing_thumbnails.is_empty());
    assert_eq!(after.files_without_rows.len(), 1);
}

async fn several_files_save_together_or_not_at_all(backend: Backend) {
    let Some(app) = spawn(backend, Store::Local, &[]).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n".to_vec();
    let res = upload(
        &browser,
        &[("tags", "contract")],
        &[
            ("a.png", &png(10, 10)),
            ("contract.pdf", &pdf),
            ("evil.pdf", b"<html></html>"),
        ],
    )
    .await;
    assert_eq!(res.status, 422);
    assert!(
        res.text()
            .contains("“evil.pdf” is named as a PDF document but its content is HTML"),
        "{}",
        res.text()
    );
    assert_eq!(app.count("assets"), 0);
    assert!(app.stored_keys().await.is_empty());
    let res = upload(
        &browser,
        &[("tags", "contract"), ("name", "ignored for several files")],
        &[("a.png", &png(10, 10)), ("contract.pdf", &pdf)],
    )
    .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location").as_deref(), Some("/assets"));
    let names: Vec<String> = assets::table
        .select(assets::name)
        .order(assets::name.asc())
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(names, vec!["a.png", "contract.pdf"]);
    assert_eq!(app.count("asset_tags"), 2);
    // No file chosen at all.
    let res = upload(&browser, &[], &[]).await;
    assert_eq!(res.status, 422);
    assert!(res.text().contains("Choose at least one file"));
}

async fn the_gallery_filters_searches_sorts_and_pages(backend: Backend) {
    let Some(app) = spawn(backend, Store::Local, &[]).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let client = app.add_client(&browser, "Acme").await;
    for i in 0..50 {
        let name = format!("shot-{i:02}.zip");
        let tags = if i % 10 == 0 { "launch" } else { "misc" };
        let fields: Vec<(&str, &str)> = if i < 5 {
            vec![
                ("tags", tags),
                ("client_id", client.as_str()),
                ("category", "mockup"),
            ]
        } else {
            vec![("tags", tags)]
        };
        let res = upload(&browser, &fields, &[(name.as_str(), &zip_like(100 + i))]).await;
        assert_eq!(res.status, 303, "{}", res.text());
    }
    let first = browser.get("/assets?sort=name").await.main_text();
    assert!(first.contains("Showing 1–48 of 50"), "{first}");
    assert!(first.contains("shot-00.zip") && !first.contains("shot-49.zip"));
    let second = browser.get("/assets?sort=name&page=2").await.main_text();
    assert!(
        second.contains("Showing 49–50 of 50") && second.contains("shot-49.zip"),
        "{second}"
    );
    let launch = browser
        .get("/assets?tag=launch&view=list")
        .await
        .main_text();
    assert!(launch.contains("Showing 1–5 of 5"), "{launch}");
    let acme = browser
        .get(&format!("/assets?client={client}&category=mockup"))
        .await
        .main_text();
    assert!(acme.contains("Showing 1–5 of 5"), "{acme}");
    let largest = browser.get("/assets?sort=largest").await.body;
    let (a, b) = (
        largest.find("shot-49.zip").unwrap(),
        largest.find("shot-48.zip").unwrap(),
    );
    assert!(a < b, "largest first");
    let search = browser.get("/assets?q=SHOT-1").await.main_text();
    assert!(search.contains("of 10"), "{search}");
    // `%` and `_` are searched literally.
    assert!(
        browser
            .get("/assets?q=%25")
            .await
            .main_text()
            .contains("No files match.")
    );
    let bad = browser.get("/assets?type=SPREADSHEET&sort=weird").await;
    assert_eq!(bad.status, 200);
    assert!(bad.text().contains("Unknown type \"SPREADSHEET\" ignored."));
    assert!(bad.text().contains("of 50"));
}

async fn editing_changes_name_category_tags_and_links(backend: Backend) {
    let Some(app) = spawn(backend, Store::Local, &[]).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let client = app.add_client(&browser, "Globex").await;
    let res = upload(&browser, &[("tags", "old")], &[("draft.png", &png(10, 10))]).await;
    assert_eq!(res.status, 303);
    let id = asset_ids(&app).remove(0);
    let path = format!("/assets/{id}");
    let res = browser
        .submit(
            &path,
            &path,
            &[
                ("name", "Final logo"),
                ("category", "Logo"),
                ("tags", "brand, Final"),
                ("client_id", &client),
                ("project_id", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let page = browser.get(&path).await.main_text();
    assert!(
        page.contains("Final logo") && page.contains("Globex"),
        "{page}"
    );
    let tags: Vec<String> = lauf::db::schema::asset_tags::table
        .select(lauf::db::schema::asset_tags::tag)
        .order(lauf::db::schema::asset_tags::tag.asc())
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(tags, vec!["brand", "final"]);
    // Bad input: 422, the form keeps it, nothing changes.
    let long = "x".repeat(51);
    let res = browser
        .submit(
            &path,
            &path,
            &[
                ("name", ""),
                ("category", "logo"),
                ("tags", &long),
                ("client_id", "not-an-id"),
                ("project_id", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    let text = res.text();
    assert!(
        text.contains("Name is required") || text.contains("longer than 50"),
        "{text}"
    );
    assert!(text.contains("Choose one of your clients."), "{text}");
    let name: String = assets::table
        .select(assets::name)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(name, "Final logo");
    // The same bytes uploaded again are pointed out on both pages.
    let res = upload(&browser, &[], &[("copy.png", &png(10, 10))]).await;
    assert_eq!(res.status, 303);
    let page = browser.get(&path).await.main_text();
    assert!(page.contains("Same content as copy.png"), "{page}");
}

async fn files_linked_to_a_block_show_on_the_day(backend: Backend) {
    let Some(app) = spawn(backend, Store::Local, &[]).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let today = browser.get("/").await;
    assert_eq!(today.status, 200);
    let res = browser
        .submit(
            "/tasks/new",
            "/tasks",
            &[
                ("title", "Build the pricing page"),
                ("category", "CODE"),
                ("priority", "MEDIUM"),
                ("energy_level", "DEEP_WORK"),
                ("time_block_minutes", "90"),
                // Today as the user (Europe/Berlin) sees it, not in UTC: the
                // two differ for an hour or two every night.
                (
                    "scheduled_date",
                    &crate::helpers::berlin_today_at(9).0.to_string(),
                ),
                ("scheduled_time", "09:00"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let task: String = tasks::table
        .select(tasks::id)
        .first(&mut *app.conn())
        .unwrap();
    // Upload straight onto the block, from its editor.
    let editor = browser.get(&format!("/tasks/{task}/edit")).await;
    assert!(editor.text().contains("Context files"), "{}", editor.text());
    let res = upload(
        &browser,
        &[("task_id", &task)],
        &[("pricing-mockup.png", &png(30, 20))],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let res = upload(
        &browser,
        &[],
        &[("brief.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")],
    )
    .await;
    assert_eq!(res.status, 303);
    let brief: String = assets::table
        .filter(assets::name.eq("brief.pdf"))
        .select(assets::id)
        .first(&mut *app.conn())
        .unwrap();
    // And link an existing file from the asset's page.
    let page = browser.get(&format!("/assets/{brief}")).await;
    let res = browser
        .post_with_token(
            &page,
            "/assets/link",
            &[("task_id", &task), ("asset_id", &brief)],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(app.count("task_assets"), 2);
    let day = browser.get("/").await.main_text();
    assert!(
        day.contains("pricing-mockup.png") && day.contains("brief.pdf"),
        "{day}"
    );
    let page = browser.get(&format!("/assets/{brief}")).await;
    assert!(page.text().contains("Build the pricing page"));
    let res = browser
        .post_with_token(
            &page,
            "/assets/unlink",
            &[("task_id", &task), ("asset_id", &brief)],
        )
        .await;
    assert_eq!(res.status, 303);
    let day = browser.get("/").await.main_text();
    assert!(
        day.contains("pricing-mockup.png") && !day.contains("brief.pdf"),
        "{day}"
    );
}

async fn client_and_project_pages_show_their_files(backend: Backend) {
    let Some(app) = spawn(backend, Store::Local, &[]).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let client = app.add_client(&browser, "Initech").await;
    let res = browser
        .submit(
            "/projects/new",
            "/projects",
            &[
                ("client_id", client.as_str()),
                ("name", "Initech relaunch"),
                ("project_type", "WEBSITE"),
                ("status", "PLANNING"),
                ("priority", "MEDIUM"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let project: String = lauf::db::schema::projects::table
        .select(lauf::db::schema::projects::id)
        .first(&mut *app.conn())
        .unwrap();
    let res = upload(
        &browser,
        &[
            ("project_id", &project),
            ("return_to", &format!("/projects/{project}")),
        ],
        &[("wireframe.png", &png(20, 20))],
    )
    .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), Some(format!("/projects/{project}")));
    let res = upload(
        &browser,
        &[("client_id", &client)],
        &[("contract.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")],
    )
    .await;
    assert_eq!(res.status, 303);
    // The project's file belongs to its client too. The files section is in the
    // page's content (it once rendered inside <title>, where nobody saw it).
    let client_page = browser.get(&format!("/clients/{client}")).await;
    assert_eq!(client_page.title(), "Initech · LAUF OS");
    let files = client_page.text_of("main #files");
    assert!(
        files.contains("wireframe.png") && files.contains("contract.pdf"),
        "{files}"
    );
    assert!(files.contains("All 2 files"), "{files}");
    assert_eq!(
        client_page.count("main #files img.asset-thumb"),
        1,
        "the image shows its thumbnail"
    );
    assert_eq!(client_page.count("main #timeline-heading"), 1);
    let project_page = browser.get(&format!("/projects/{project}")).await;
    assert_eq!(project_page.title(), "Initech relaunch · LAUF OS");
    let project_page = project_page.text_of("main #files");
    assert!(
        project_page.contains("wireframe.png") && !project_page.contains("contract.pdf"),
        "{project_page}"
    );
}

/// SVG, code and PDFs (whose viewer cannot run sandboxed, and which can carry
/// scripts) always download; images and video play in the page.
async fn svg_code_and_pdfs_are_served_as_downloads_never_inline(backend: Backend) {
    let Some(app) = spawn(backend, Store::Local, &[]).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let res = upload(
        &browser,
        &[],
        &[
            ("logo.svg", svg),
            ("index.html", b"<html><script>alert(1)</script></html>"),
            (
                "invoice.pdf",
                b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
            ),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text());
    for (name, mime) in [
        ("logo.svg", "image/svg+xml"),
        ("index.html", "text/plain; charset=utf-8"),
        ("invoice.pdf", "application/pdf"),
    ] {
        let id: String = assets::table
            .filter(assets::name.eq(name))
            .select(assets::id)
            .first(&mut *app.conn())
            .unwrap();
        let (status, headers, body) = browser.get_bytes(&format!("/assets/{id}/file")).await;
        assert_eq!(status, 200);
        assert_eq!(headers.get("content-type").unwrap(), mime);
        let disposition = headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            disposition.starts_with("attachment"),
            "{name}: {disposition}"
        );
        let csp = headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            csp.contains("sandbox") && csp.contains("default-src 'none'"),
            "{csp}"
        );
        assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
        assert!(!body.is_empty());
    }
}

/// A 1 MB tmpfs mounted for one test: a disk that fills up. Mounting needs root (and
/// CAP_SYS_ADMIN), as CI has; elsewhere the test says it is skipped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(SmallDisk { dir }),
            other => {
                let why = format!("cannot mount a 1 MB tmpfs: {other:?}");
                assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
                eprintln!("SKIPPED: {why}");
                None
            }
        }
    }

    fn path(&self) -> String {
        self.dir.path().display().to_string()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

async fn a_full_disk_refuses_the_upload_and_keeps_nothing(backend: Backend) {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let Some(app) = spawn_app_with(backend, &[("LAUF_DATA_DIR", &disk.path())]).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    // 3 MB fits the 25 MB upload limit but not the disk.
    let res = upload(&browser, &[], &[("archive.zip", &zip_like(3_000_000))]).await;
    assert_eq!(res.status, 507, "{}", res.text());
    let text = res.text();
    assert!(text.contains("no room left for files"), "{text}");
    assert!(text.contains("Nothing was saved"), "{text}");
    assert_eq!(app.count("assets"), 0);
    assert!(app.stored_keys().await.is_empty());
    assert_eq!(app.spooled_files(), 0, "the partial file is removed");
    // Of two files, the second not fitting: neither is kept.
    let res = upload(
        &browser,
        &[],
        &[
            ("small.zip", &zip_like(100_000)),
            ("large.zip", &zip_like(2_000_000)),
        ],
    )
    .await;
    assert_eq!(res.status, 507, "{}", res.text());
    assert_eq!(app.count("assets"), 0);
    assert!(app.stored_keys().await.is_empty());
    assert_eq!(app.spooled_files(), 0);
    // The space given back, the next upload goes through.
    let res = upload(&browser, &[], &[("small.zip", &zip_like(100_000))]).await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(app.count("assets"), 1);
}
