//! CSV export of clients and projects, and the all-or-nothing client import.

use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    clients_export_as_csv_without_secrets_or_formulas,
    an_import_with_one_bad_row_saves_nothing_and_names_the_row,
    a_good_import_is_previewed_then_saved_whole,
);

async fn clients_export_as_csv_without_secrets_or_formulas(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let res = browser
        .submit(
            "/clients/new",
            "/clients",
            &[
                ("name", "=HYPERLINK(\"x\")"),
                ("company", "Acme, Inc."),
                ("status", "ACTIVE"),
                ("health_score", "GREEN"),
                ("payment_status", "CURRENT"),
                ("monthly_retainer", "1200.5"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let id = res
        .header("location")
        .unwrap()
        .trim_start_matches("/clients/")
        .to_string();
    browser
        .submit(
            &format!("/clients/{id}"),
            &format!("/clients/{id}/credentials"),
            &[("credentials", "root / hunter2")],
        )
        .await;
    let csv = browser.get("/clients.csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains("clients.csv")
    );
    let mut lines = csv.body.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("name,email,phone,company")
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("\"'=HYPERLINK(\"\"x\"\")\""),
        "formulas are defused: {row}"
    );
    assert!(row.contains("\"Acme, Inc.\"") && row.contains("1200.50"));
    assert!(
        !csv.body.contains("hunter2"),
        "credentials never leave in an export"
    );
    let projects = browser.get("/projects.csv").await;
    assert!(projects.body.starts_with("name,client,type,status"));
}

async fn an_import_with_one_bad_row_saves_nothing_and_names_the_row(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let token = browser.get("/clients/import").await.csrf_token();
    let file = b"name,email,health_score,monthly_retainer\nGood One,good@example.com,green,100\nBad Row,not-an-email,PURPLE,abc\nAlso Good,,,\n";
    let res = browser
        .upload("/clients/import", &token, "file", "clients.csv", file)
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    let text = res.text();
    assert!(text.contains("Nothing was imported"), "{text}");
    for (row, field) in [
        ("3", "email"),
        ("3", "health_score"),
        ("3", "monthly_retainer"),
    ] {
        assert!(
            text.contains(&format!("{row} {field}")),
            "row {row} {field} in {text}"
        );
    }
    assert_eq!(app.count("clients"), 0);
    let no_token = browser
        .upload("/clients/import", "", "file", "clients.csv", file)
        .await;
    assert_eq!(no_token.status, 403, "an upload needs the CSRF token too");
    let token_in_url = browser
        .upload(
            &format!("/clients/import?csrf_token={token}"),
            "",
            "file",
            "clients.csv",
            file,
        )
        .await;
    assert_eq!(
        token_in_url.status, 403,
        "a token in the URL would land in history and logs: never read"
    );
    let token_after_the_file = browser
        .multipart(
            "/clients/import",
            "",
            &[],
            &[
                ("file", "clients.csv", file),
                ("csrf_token", "", token.as_bytes()),
            ],
        )
        .await;
    assert_eq!(
        token_after_the_file.status, 403,
        "only the first part is read, so nothing is spooled before the check"
    );
    let big = vec![b'a'; 300 * 1024];
    let too_big = browser
        .upload("/clients/import", &token, "file", "big.csv", &big)
        .await;
    assert_eq!(too_big.status, 413);
    assert_eq!(app.count("clients"), 0);
}

async fn a_good_import_is_previewed_then_saved_whole(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let browser = app.signed_in_user("ana@example.com").await;
    let token = browser.get("/clients/import").await.csrf_token();
    let file = "\u{feff}Name,Company,Email,Retainer,Status\nMaya Fischer,Northwind,maya@northwind.example,1200,active\nJonas Okafor,Bluepeak,,,\n";
    let preview = browser
        .upload(
            "/clients/import",
            &token,
            "file",
            "clients.csv",
            file.as_bytes(),
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text());
    let text = preview.text();
    assert!(
        text.contains("Preview: 2 new, 0 to update, 0 unchanged")
            && text.contains("Maya Fischer")
            && text.contains("Bluepeak"),
        "{text}"
    );
    assert_eq!(app.count("clients"), 0, "a preview saves nothing");
    let start = preview.body.find("<textarea name=\"csv\"").unwrap();
    let open = preview.body[start..].find('>').unwrap() + start + 1;
    let close = preview.body[open..].find("</textarea>").unwrap() + open;
    let csv = preview.body[open..close]
        .replace("&#34;", "\"")
        .replace("&#38;", "&")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">");
    let res = browser
        .post(
            "/clients/import/commit",
            &[("csrf_token", &token), ("csv", &csv)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert_eq!(app.count("clients"), 2);
    let list = browser.get("/clients").await;
    assert!(
        list.main_text().contains("€1,200.00"),
        "{}",
        list.main_text()
    );
    assert!(
        list.text_of("#flash")
            .contains("Imported clients: 2 new, 0 updated, 0 unchanged."),
        "{}",
        list.text_of("#flash")
    );
}
