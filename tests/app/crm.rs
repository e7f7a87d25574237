//! The CRM in a person's hands: a CSV round trip that changes nothing, outcomes
//! that say what happened, opportunities with their reasons, a pipeline worked
//! by stage with its totals, and money in the workspace's currency.

use diesel::prelude::*;
use lauf::db::schema::{clients, opportunities, projects};

use crate::helpers::{Backend, Browser, Response, TestApp, spawn_app, spawn_app_at, utc};
use crate::on_both_backends;

on_both_backends!(
    an_exported_file_imported_again_changes_nothing_and_a_changed_row_updates,
    projects_go_out_and_come_back_matched_by_name_within_their_client,
    opportunity_outcomes_are_said_and_a_dismissal_keeps_its_reason,
    the_pipeline_moves_a_card_to_any_stage_and_sums_each_column,
    money_reads_in_the_workspace_currency,
    paid_this_year_counts_payments_by_the_day_they_came_in,
    deleting_a_file_asks_first_and_says_so,
    a_file_is_found_by_name_type_and_tag_and_attached_to_a_block,
);

/// The CSV an import form would send back on commit, out of the preview page.
fn carried_csv(preview: &Response) -> String {
    let start = preview.body.find("<textarea name=\"csv\"").unwrap();
    let open = preview.body[start..].find('>').unwrap() + start + 1;
    let close = preview.body[open..].find("</textarea>").unwrap() + open;
    preview.body[open..close]
        .replace("&#34;", "\"")
        .replace("&#38;", "&")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
}

async fn preview(browser: &Browser, csv: &str) -> Response {
    preview_of(browser, "clients", csv).await
}

/// The preview page of `csv` uploaded to `/{kind}/import`.
async fn preview_of(browser: &Browser, kind: &str, csv: &str) -> Response {
    let form = format!("/{kind}/import");
    let token = browser.get(&form).await.csrf_token();
    browser
        .upload(
            &form,
            &token,
            "file",
            &format!("{kind}.csv"),
            csv.as_bytes(),
        )
        .await
}

async fn commit(browser: &Browser, preview: &Response) -> Response {
    commit_of(browser, "clients", preview).await
}

/// Commits the import a preview page shows, and follows to the page it lands on.
async fn commit_of(browser: &Browser, kind: &str, preview: &Response) -> Response {
    let token = preview.csrf_token();
    let res = browser
        .post(
            &format!("/{kind}/import/commit"),
            &[("csrf_token", &token), ("csv", &carried_csv(preview))],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    browser.get(&res.header("location").unwrap()).await
}

async fn an_exported_file_imported_again_changes_nothing_and_a_changed_row_updates(
    backend: Backend,
) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    app.add_client_with(
        &browser,
        "Maya Fischer",
        &[
            ("company", "Northwind"),
            ("email", "maya@northwind.example"),
            ("phone", "+49 30 1234567"),
            ("monthly_retainer", "1200"),
        ],
    )
    .await;
    app.add_client_with(&browser, "Jonas Okafor", &[("company", "Bluepeak")])
        .await;
    let export = browser.get("/clients.csv").await.body;
    assert!(
        export.contains("'+49 30 1234567"),
        "defused on export: {export}"
    );

    // The same file again: both rows matched, nothing to change.
    let same = preview(&browser, &export).await;
    assert_eq!(same.status, 200, "{}", same.text());
    let text = same.text_of("#preview-heading, .import-preview");
    assert!(
        text.contains("Preview: 0 new, 0 to update, 2 unchanged")
            && text.contains("same (skipped)")
            && text.contains("Active")
            && text.contains("Healthy"),
        "{text}"
    );
    assert!(
        !text.contains("GREEN") && !text.contains("ACTIVE"),
        "labels in words: {text}"
    );
    let listed = commit(&browser, &same).await;
    assert!(
        listed
            .text_of("#flash")
            .contains("Imported clients: 0 new, 0 updated, 2 unchanged."),
        "{}",
        listed.text_of("#flash")
    );
    assert_eq!(app.count("clients"), 2);
    let phone: Option<String> = clients::table
        .filter(clients::name.eq("Maya Fischer"))
        .select(clients::phone)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(
        phone.as_deref(),
        Some("+49 30 1234567"),
        "the apostrophe is undone"
    );

    // A changed retainer and a new row: "update" with the field, and "new".
    let changed = export.replace(",1200.00,", ",1500,")
        + "Lena Park,,,Sunbeam,,,,,,ACTIVE,GREEN,CURRENT,,,,14,,,\n";
    let update = preview(&browser, &changed).await;
    let text = update.text_of("#preview-heading, .import-preview");
    assert!(
        text.contains("Preview: 1 new, 1 to update, 1 unchanged")
            && text.contains("update: monthly retainer"),
        "{text}"
    );
    commit(&browser, &update).await;
    assert_eq!(app.count("clients"), 3);
    let retainer: Option<String> = clients::table
        .filter(clients::name.eq("Maya Fischer"))
        .select(clients::monthly_retainer.assume_not_null().nullable())
        .first::<Option<lauf::domain::Money>>(&mut *app.conn())
        .unwrap()
        .map(|m| m.to_string());
    assert_eq!(retainer.as_deref(), Some("1500.00"));

    // Matched by email even when the name was edited in the file.
    let renamed = export.replace("Maya Fischer", "Maya Fischer-Braun");
    let text = preview(&browser, &renamed).await.text_of(".import-preview");
    assert!(text.contains("update: name"), "{text}");
}

async fn projects_go_out_and_come_back_matched_by_name_within_their_client(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let northwind = app.add_client(&browser, "Northwind").await;
    let bluepeak = app.add_client(&browser, "Bluepeak").await;
    // The same project name at two clients is two projects.
    for (client, budget) in [(&northwind, "4000"), (&bluepeak, "900")] {
        let res = browser
            .submit(
                "/projects/new",
                "/projects",
                &[
                    ("client_id", client.as_str()),
                    ("name", "Website relaunch"),
                    ("description", "Pages, then the shop"),
                    ("project_type", "WEBAPP"),
                    ("status", "DESIGN"),
                    ("priority", "HIGH"),
                    ("due_date", "2027-02-01"),
                    ("budget", budget),
                    ("paid_amount", "100"),
                    ("staging_url", "https://staging.example.com"),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.text());
    }
    let export = browser.get("/projects.csv").await.body;

    // Exported and imported again: both rows "same", nothing made.
    let same = preview_of(&browser, "projects", &export).await;
    assert_eq!(same.status, 200, "{}", same.text());
    let text = same.text_of("#preview-heading, .import-preview");
    assert!(
        text.contains("Preview: 0 new, 0 to update, 2 unchanged")
            && text.contains("Design")
            && !text.contains("DESIGN"),
        "{text}"
    );
    let board = commit_of(&browser, "projects", &same).await;
    assert!(
        board
            .text_of("#flash")
            .contains("Imported projects: 0 new, 0 updated, 2 unchanged."),
        "{}",
        board.text_of("#flash")
    );
    assert_eq!(app.count("projects"), 2);

    // A changed stage (written as its label) at one client, a new project.
    let mut changed = String::new();
    for line in export.lines() {
        if line.contains("Bluepeak") {
            changed.push_str(
                &line
                    .replace("DESIGN", "review")
                    .replace("WEBAPP", "web app"),
            );
        } else {
            changed.push_str(line);
        }
        changed.push('\n');
    }
    changed.push_str("Brand book,northwind,Branding,,,,,,,,,,,\n");
    let update = preview_of(&browser, "projects", &changed).await;
    assert_eq!(update.status, 200, "{}", update.text());
    let text = update.text_of("#preview-heading, .import-preview");
    assert!(
        text.contains("Preview: 1 new, 1 to update, 1 unchanged") && text.contains("update: stage"),
        "{text}"
    );
    commit_of(&browser, "projects", &update).await;
    let stages: Vec<(String, String, String)> = projects::table
        .inner_join(clients::table)
        .select((clients::name, projects::name, projects::status))
        .order((clients::name, projects::name))
        .load(&mut *app.conn())
        .unwrap();
    assert_eq!(
        stages,
        vec![
            (
                "Bluepeak".into(),
                "Website relaunch".into(),
                "REVIEW".into()
            ),
            ("Northwind".into(), "Brand book".into(), "PLANNING".into()),
            (
                "Northwind".into(),
                "Website relaunch".into(),
                "DESIGN".into()
            ),
        ]
    );

    // A row for a client that does not exist: nothing saved, the row named.
    let res = preview_of(
        &browser,
        "projects",
        "name,client,budget,stage\nLogo,Nobody Ltd,100,\nCard,Northwind,abc,in review\n",
    )
    .await;
    assert_eq!(res.status, 422);
    let text = res.text_of("[role=alert]");
    assert!(
        text.contains("no client is named \"Nobody Ltd\"")
            && text.contains("budget")
            && text.contains(
                "\"in review\" is not a stage; one of: Planning, Design, Development, Review"
            ),
        "{text}"
    );
    assert_eq!(app.count("projects"), 3);
}

async fn opportunity_outcomes_are_said_and_a_dismissal_keeps_its_reason(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let res = browser
        .submit(
            "/clients/new",
            "/clients",
            &[
                ("name", "Northwind"),
                ("status", "ACTIVE"),
                ("health_score", "YELLOW"),
                ("payment_status", "CURRENT"),
                ("followup_cadence_days", "14"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let client = res
        .header("location")
        .unwrap()
        .trim_start_matches("/clients/")
        .to_string();
    let page = format!("/clients/{client}");

    // Nothing to suggest: it says which rules found nothing and why.
    let res = browser
        .submit(
            &page,
            &format!("/clients/{client}/opportunities/suggest"),
            &[],
        )
        .await;
    assert_eq!(res.status, 303);
    let flash = browser.get(&page).await.text_of("#flash");
    assert!(
        flash.starts_with("4 rules checked, nothing new:")
            && flash.contains("no launched site or web app")
            && flash.contains("health is needs attention")
            && flash.contains("no retainer to review"),
        "{flash}"
    );

    // One by hand, dismissed with a reason: listed with it, then restored.
    browser
        .submit(
            &page,
            &format!("/clients/{client}/opportunities"),
            &[("title", "Brand refresh"), ("value", "3000")],
        )
        .await;
    let id: String = opportunities::table
        .select(opportunities::id)
        .first(&mut *app.conn())
        .unwrap();
    browser
        .submit(
            &page,
            &format!("/opportunities/{id}/dismiss"),
            &[("reason", "Budget frozen until spring")],
        )
        .await;
    let shown = browser.get(&page).await;
    assert!(
        shown
            .text_of("#flash")
            .starts_with("Dismissed the opportunity"),
        "{}",
        shown.text_of("#flash")
    );
    let section = shown.text_of("#opportunities");
    assert!(
        section.contains("Dismissed: “Budget frozen until spring”.") && section.contains("Restore"),
        "{section}"
    );
    browser
        .submit(&page, &format!("/opportunities/{id}/restore"), &[])
        .await;
    let shown = browser.get(&page).await;
    assert!(
        shown
            .text_of("#flash")
            .contains("Restored the opportunity “Brand refresh”.")
    );
    assert!(
        shown
            .text_of("#opportunities")
            .contains("Convert to project")
    );
    assert!(
        shown
            .text_of("#timeline")
            .contains("Opportunity restored: Brand refresh")
    );

    // Converting lands on the project it made, and says so.
    let res = browser
        .submit(&page, &format!("/opportunities/{id}/convert"), &[])
        .await;
    let project = res.header("location").unwrap();
    assert!(project.starts_with("/projects/"), "{project}");
    let landed = browser.get(&project).await;
    assert!(
        landed
            .text_of("#flash")
            .starts_with("Converted the opportunity into this project"),
        "{}",
        landed.text_of("#flash")
    );
    assert!(landed.main_text().contains("Brand refresh"));

    // Applying the suggested health says what it is now.
    browser
        .submit(
            &page,
            &format!("/clients/{client}/health"),
            &[("decision", "apply")],
        )
        .await;
    let flash = browser.get(&page).await.text_of("#flash");
    assert!(flash.starts_with("Health is now"), "{flash}");
    assert!(
        browser
            .get(&page)
            .await
            .text_of("#timeline")
            .contains("Health: needs attention →"),
    );
}

async fn the_pipeline_moves_a_card_to_any_stage_and_sums_each_column(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let client = app.add_client(&browser, "Northwind").await;
    for (name, budget, paid) in [("Site", "4000", "1500"), ("App", "10000", "0")] {
        let res = browser
            .submit(
                "/projects/new",
                "/projects",
                &[
                    ("client_id", client.as_str()),
                    ("name", name),
                    ("project_type", "WEBSITE"),
                    ("status", "PLANNING"),
                    ("priority", "MEDIUM"),
                    ("budget", budget),
                    ("paid_amount", paid),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.text());
    }
    let board = browser.get("/projects").await;
    let planning = board.text_of("section.pipe-col[data-stage=PLANNING] .pipe-totals");
    assert_eq!(planning, "Budget €14,000.00 · open €12,500.00");

    // Dropped on Development (the drop posts `to`): it stays there after a reload.
    let site: String = projects::table
        .filter(projects::name.eq("Site"))
        .select(projects::id)
        .first(&mut *app.conn())
        .unwrap();
    let res = browser
        .submit(
            "/projects",
            &format!("/projects/{site}/move"),
            &[("to", "DEVELOPMENT"), ("return_to", "/projects")],
        )
        .await;
    assert_eq!(res.status, 303);
    let board = browser.get("/projects").await;
    assert!(
        board
            .text_of("#flash")
            .contains("Moved “Site” from Planning to Development."),
        "{}",
        board.text_of("#flash")
    );
    assert!(
        board
            .text_of("section.pipe-col[data-stage=DEVELOPMENT]")
            .contains("Site")
    );
    assert_eq!(
        board.text_of("section.pipe-col[data-stage=PLANNING] .pipe-totals"),
        "Budget €10,000.00 · open €10,000.00"
    );
    // A stage that is not one is refused, and nothing moves.
    let res = browser
        .submit(
            "/projects",
            &format!("/projects/{site}/move"),
            &[("to", "SHIPPED")],
        )
        .await;
    assert_eq!(res.status, 422);
    let stage: String = projects::table
        .find(&site)
        .select(projects::status)
        .first(&mut *app.conn())
        .unwrap();
    assert_eq!(stage, "DEVELOPMENT");
}

async fn paid_this_year_counts_payments_by_the_day_they_came_in(backend: Backend) {
    let Some(app) = spawn_app_at(backend, utc(2026, 6, 10, 9, 0)).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let client = app.add_client(&browser, "Northwind").await;
    let project_form = |paid: &'static str| {
        vec![
            ("client_id", client.clone()),
            ("name", "Relaunch".to_string()),
            ("project_type", "WEBSITE".into()),
            ("status", "DEVELOPMENT".into()),
            ("priority", "MEDIUM".into()),
            ("budget", "4000".into()),
            ("paid_amount", paid.into()),
        ]
    };
    let save = |path: String, fields: Vec<(&'static str, String)>| {
        let browser = &browser;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = browser.submit("/projects/new", &path, &pairs).await;
            assert_eq!(res.status, 303, "{}", res.text());
        }
    };
    save("/projects".into(), project_form("1000")).await;
    let project: String = projects::table
        .select(projects::id)
        .first(&mut *app.conn())
        .unwrap();
    let money = |page: &Response| page.text_of("#money");
    let page = browser.get(&format!("/clients/{client}")).await;
    assert!(
        money(&page).contains("Paid in 2026 €1,000.00"),
        "{}",
        money(&page)
    );

    // 23:30 UTC on New Year's Eve is already 2027 in Berlin: 500 more, paid in 2027.
    app.clock.set(utc(2026, 12, 31, 23, 30));
    browser.log_in("ana@example.com", "a long passphrase").await;
    let fields = project_form("1500");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = browser
        .submit(
            &format!("/projects/{project}/edit"),
            &format!("/projects/{project}"),
            &pairs,
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let page = browser.get(&format!("/clients/{client}")).await;
    let text = money(&page);
    assert!(
        text.contains("Paid in 2027 €500.00")
            && text.contains("Paid on projects, all time €1,500.00"),
        "{text}"
    );
    // A correction down is a negative payment: the year's figure follows it.
    let fields = project_form("1200");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser
        .submit(
            &format!("/projects/{project}/edit"),
            &format!("/projects/{project}"),
            &pairs,
        )
        .await;
    let page = browser.get(&format!("/clients/{client}")).await;
    assert!(
        money(&page).contains("Paid in 2027 €200.00"),
        "{}",
        money(&page)
    );
    assert_eq!(app.count("payments"), 3);
}

async fn money_reads_in_the_workspace_currency(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    app.add_client_with(&browser, "Northwind", &[("monthly_retainer", "12050")])
        .await;
    assert!(
        browser
            .get("/clients")
            .await
            .main_text()
            .contains("€12,050.00")
    );
    let settings = browser.get("/settings").await;
    let form = [
        ("name", "Ana"),
        ("timezone", "Europe/Berlin"),
        ("work_start", "09:00"),
        ("work_end", "17:00"),
        ("day_start", "06:30"),
        ("day_end", "21:30"),
        ("week_starts_on", "monday"),
        ("currency", "CHF"),
        ("number_style", "comma"),
        ("csrf_token", &settings.csrf_token()),
    ];
    let res = browser.post("/settings", &form).await;
    assert_eq!(res.status, 303, "{}", res.text());
    let list = browser.get("/clients").await.main_text();
    assert!(
        list.contains("12.050,00\u{a0}CHF") || list.contains("12.050,00 CHF"),
        "{list}"
    );
    // CSV keeps plain numbers.
    assert!(
        browser
            .get("/clients.csv")
            .await
            .body
            .contains(",12050.00,")
    );
    // An unknown currency is refused with the form again.
    let bad = [
        ("currency", "XYZ"),
        ("csrf_token", &settings.csrf_token()),
        ("name", "Ana"),
        ("timezone", "Europe/Berlin"),
        ("work_start", "09:00"),
        ("work_end", "17:00"),
        ("day_start", "06:30"),
        ("day_end", "21:30"),
        ("week_starts_on", "monday"),
    ];
    let res = browser.post("/settings", &bad).await;
    assert_eq!(res.status, 422);
    assert!(res.text().contains("choose a currency from the list"));
}

async fn deleting_a_file_asks_first_and_says_so(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    // The upload page opened on its own comes back to the files, not to Today.
    let upload = browser.get("/assets/upload").await;
    assert!(
        upload.body.contains("name=\"return_to\" value=\"/assets\""),
        "{}",
        upload.main_text()
    );
    let token = upload.csrf_token();
    let res = browser
        .multipart(
            "/assets/upload",
            &token,
            &[("return_to", "/assets")],
            &[("files", "notes.txt", b"meeting notes")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(res.header("location").as_deref(), Some("/assets"));
    let gallery = browser.get("/assets").await;
    assert!(gallery.text_of("#flash").contains("Uploaded “notes.txt”."));
    let id = asset_id(&app);
    let ask = browser.get(&format!("/assets/{id}/delete")).await;
    assert_eq!(ask.status, 200);
    assert_eq!(ask.title(), "Delete “notes.txt”? · LAUF OS");
    assert_eq!(app.count("assets"), 1, "asking deletes nothing");
    let res = browser
        .post(
            &format!("/assets/{id}/delete"),
            &[("csrf_token", &ask.csrf_token()), ("return_to", "/assets")],
        )
        .await;
    assert_eq!(res.status, 303);
    let gallery = browser.get("/assets").await;
    assert!(
        gallery.text_of("#flash").starts_with("Deleted “notes.txt”"),
        "{}",
        gallery.text_of("#flash")
    );
    assert_eq!(app.count("assets"), 0);
}

fn asset_id(app: &TestApp) -> String {
    use lauf::db::schema::assets;
    assets::table
        .select(assets::id)
        .first(&mut *app.conn())
        .unwrap()
}

async fn a_file_is_found_by_name_type_and_tag_and_attached_to_a_block(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let token = browser.get("/assets/upload").await.csrf_token();
    for (name, tags) in [
        ("brief-northwind.md", "brief, northwind"),
        ("brief-bluepeak.md", "brief"),
        ("invoice-42.txt", "finance"),
    ] {
        let res = browser
            .multipart(
                "/assets/upload",
                &token,
                &[("tags", tags), ("return_to", "/assets")],
                &[("files", name, b"some words")],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.text());
    }
    let block = app
        .add_block(
            &browser,
            "Write the brief",
            &[("scheduled_date", "2026-12-04")],
        )
        .await;
    let picker = format!("/tasks/{block}/files/pick");
    let page = browser.get(&picker).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.title(), "Attach a file · LAUF OS");
    assert_eq!(page.count(".pick-card"), 3);
    // By name, by tag, by both; the editor's box gets only the results.
    let named = browser.get(&format!("{picker}?q=brief")).await;
    assert_eq!(named.count(".pick-card"), 2);
    let tagged = browser.get(&format!("{picker}?tag=northwind")).await;
    assert_eq!(tagged.text_of(".pick-name"), "brief-northwind.md");
    let boxed = browser
        .get_with(
            &format!("{picker}?tag=finance"),
            &[("HX-Request", "true"), ("HX-Target", "pick-results")],
        )
        .await;
    assert!(
        boxed
            .body
            .trim_start()
            .starts_with("<div id=\"pick-results\""),
        "{}",
        boxed.body
    );
    assert_eq!(boxed.text_of(".pick-name"), "invoice-42.txt");

    // Attached from the picker: on the block, and not offered again.
    let asset: String = {
        use lauf::db::schema::assets;
        assets::table
            .filter(assets::name.eq("brief-northwind.md"))
            .select(assets::id)
            .first(&mut *app.conn())
            .unwrap()
    };
    let res = browser
        .post(
            "/assets/link",
            &[
                ("csrf_token", &page.csrf_token()),
                ("task_id", &block),
                ("asset_id", &asset),
                ("return_to", &picker),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(app.count("task_assets"), 1);
    let again = browser.get(&format!("{picker}?q=brief")).await;
    assert!(
        again
            .text_of("#flash")
            .contains("Attached “brief-northwind.md” to “Write the brief”."),
        "{}",
        again.text_of("#flash")
    );
    assert_eq!(again.text_of(".pick-name"), "brief-bluepeak.md");

    // From a client's page: found by tag, put with the client, shown there.
    let northwind = app.add_client(&browser, "Northwind").await;
    let client_page = browser.get(&format!("/clients/{northwind}")).await;
    let client_picker = format!("/clients/{northwind}/files/pick");
    assert!(
        client_page
            .body
            .contains(&format!("href=\"{client_picker}\"")),
        "the files section offers the picker"
    );
    let found = browser.get(&format!("{client_picker}?tag=northwind")).await;
    assert_eq!(found.status, 200);
    assert!(
        found.text_of("h1").contains("client “Northwind”"),
        "{}",
        found.text_of("h1")
    );
    assert_eq!(found.text_of(".pick-name"), "brief-northwind.md");
    let res = browser
        .post(
            "/assets/link",
            &[
                ("csrf_token", &found.csrf_token()),
                ("client_id", &northwind),
                ("asset_id", &asset),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let back = res.header("location").unwrap();
    assert_eq!(back, format!("/clients/{northwind}#files"));
    let client_page = browser.get(&back).await;
    assert!(
        client_page
            .text_of("#flash")
            .contains("“brief-northwind.md” is now with Northwind."),
        "{}",
        client_page.text_of("#flash")
    );
    assert!(client_page.text_of("#files").contains("brief-northwind.md"));
    // On the client now, so its picker no longer offers it.
    let found = browser.get(&format!("{client_picker}?q=brief")).await;
    assert_eq!(found.text_of(".pick-name"), "brief-bluepeak.md");

    // From a project's page: the file goes with the project and its client.
    let bluepeak = app.add_client(&browser, "Bluepeak").await;
    let res = browser
        .submit(
            "/projects/new",
            "/projects",
            &[
                ("client_id", bluepeak.as_str()),
                ("name", "Relaunch"),
                ("project_type", "WEBSITE"),
                ("status", "PLANNING"),
                ("priority", "MEDIUM"),
                ("paid_amount", "0"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let project: String = projects::table
        .select(projects::id)
        .first(&mut *app.conn())
        .unwrap();
    let project_picker = format!("/projects/{project}/files/pick");
    let found = browser.get(&format!("{project_picker}?q=northwind")).await;
    assert!(
        found.text_of(".pick-card").contains("with Northwind"),
        "moving is said: {}",
        found.text_of(".pick-card")
    );
    let res = browser
        .post(
            "/assets/link",
            &[
                ("csrf_token", &found.csrf_token()),
                ("project_id", &project),
                ("asset_id", &asset),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let (client_id, project_id): (Option<String>, Option<String>) = {
        use lauf::db::schema::assets;
        assets::table
            .filter(assets::id.eq(&asset))
            .select((assets::client_id, assets::project_id))
            .first(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(
        (client_id, project_id),
        (Some(bluepeak.clone()), Some(project.clone()))
    );

    // Someone else's block, client or project has no picker, and no link.
    let bo = app.signed_in_user("bo@example.com").await;
    assert_eq!(bo.get(&picker).await.status, 404);
    assert_eq!(bo.get(&client_picker).await.status, 404);
    assert_eq!(bo.get(&project_picker).await.status, 404);
    let bos = bo.get("/assets").await;
    let res = bo
        .post(
            "/assets/link",
            &[
                ("csrf_token", &bos.csrf_token()),
                ("client_id", &northwind),
                ("asset_id", &asset),
            ],
        )
        .await;
    assert_eq!(res.status, 404);
}
