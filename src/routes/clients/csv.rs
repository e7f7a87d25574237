//! Clients as CSV: `/clients.csv` (never the credentials) and what
//! `/clients/import` reads (`Clients`, an `Import`: matched by email, else by
//! name and company).

use actix_web::{HttpResponse, web};
use chrono::NaiveDateTime;

use super::form::ClientForm;
use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::clients::{self, Client, ClientFields, ClientFilter};
use crate::domain::{AuditAction, ClientId, ClientStatus, HealthScore, UserId};
use crate::error::AppError;
use crate::routes::import::{Action, Cells, Import, Row};
use crate::state::AppState;
use crate::web::csv::{download, write_rows};

const CLIENT_COLUMNS: &[&str] = &[
    "name",
    "email",
    "phone",
    "company",
    "industry",
    "website_url",
    "github_url",
    "vercel_url",
    "figma_url",
    "status",
    "health_score",
    "payment_status",
    "contract_value",
    "monthly_retainer",
    "retainer_hours_per_month",
    "followup_cadence_days",
    "next_followup",
    "referred_by",
    "notes",
];

/// Every client as CSV (never the credentials).
pub async fn export_clients(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let id = user.id().clone();
    let list = state
        .db(move |conn| Ok(clients::search(conn, &id, &ClientFilter::default())?))
        .await?;
    let rows = list
        .iter()
        .map(|c| {
            let f = ClientForm::of(c);
            vec![
                f.name,
                f.email,
                f.phone,
                f.company,
                f.industry,
                f.website_url,
                f.github_url,
                f.vercel_url,
                f.figma_url,
                f.status,
                f.health_score,
                f.payment_status,
                f.contract_value,
                f.monthly_retainer,
                f.retainer_hours_per_month,
                f.followup_cadence_days,
                f.next_followup,
                f.referred_by,
                f.notes,
            ]
        })
        .collect();
    Ok(download("clients.csv", write_rows(CLIENT_COLUMNS, rows)?))
}

/// Clients as an import reads them: the user's stored clients.
pub struct Clients(pub Vec<Client>);

impl Import for Clients {
    type Form = ClientForm;
    type Fields = ClientFields;
    type Key = ClientId;

    const KIND: &'static str = "clients";
    const COLUMNS: &'static [&'static str] = CLIENT_COLUMNS;
    const MATCHED_BY: &'static str =
        "A row is matched to a client you have by email, else by the exact name and company.";
    const HEADINGS: &'static [&'static str] =
        &["Name", "Company", "Email", "Status", "Health", "Retainer"];
    const AUDIT: AuditAction = AuditAction::ClientsImported;

    fn load(conn: &mut AnyConnection, user: &UserId) -> Result<Self, AppError> {
        Ok(Clients(clients::search(
            conn,
            user,
            &ClientFilter::default(),
        )?))
    }

    fn column_of(header: &str) -> Option<&'static str> {
        let key = header.trim().to_lowercase().replace([' ', '-'], "_");
        let key = match key.as_str() {
            "website" => "website_url",
            "github" => "github_url",
            "vercel" => "vercel_url",
            "figma" => "figma_url",
            "health" => "health_score",
            "payment" | "payments" => "payment_status",
            "retainer" => "monthly_retainer",
            "retainer_hours" => "retainer_hours_per_month",
            "contract" => "contract_value",
            "cadence" => "followup_cadence_days",
            other => other,
        };
        CLIENT_COLUMNS.iter().copied().find(|c| *c == key)
    }

    fn words(column: &str) -> &'static str {
        match column {
            "name" => "name",
            "email" => "email",
            "phone" => "phone",
            "company" => "company",
            "industry" => "industry",
            "website_url" => "website",
            "github_url" => "GitHub",
            "vercel_url" => "Vercel",
            "figma_url" => "Figma",
            "status" => "status",
            "health_score" => "health",
            "payment_status" => "payments",
            "contract_value" => "contract value",
            "monthly_retainer" => "monthly retainer",
            "retainer_hours_per_month" => "retainer hours",
            "followup_cadence_days" => "follow-up cadence",
            "next_followup" => "next follow-up",
            "referred_by" => "referred by",
            _ => "notes",
        }
    }

    fn slot<'a>(form: &'a mut ClientForm, column: &str) -> &'a mut String {
        match column {
            "name" => &mut form.name,
            "email" => &mut form.email,
            "phone" => &mut form.phone,
            "company" => &mut form.company,
            "industry" => &mut form.industry,
            "website_url" => &mut form.website_url,
            "github_url" => &mut form.github_url,
            "vercel_url" => &mut form.vercel_url,
            "figma_url" => &mut form.figma_url,
            "status" => &mut form.status,
            "health_score" => &mut form.health_score,
            "payment_status" => &mut form.payment_status,
            "contract_value" => &mut form.contract_value,
            "monthly_retainer" => &mut form.monthly_retainer,
            "retainer_hours_per_month" => &mut form.retainer_hours_per_month,
            "followup_cadence_days" => &mut form.followup_cadence_days,
            "next_followup" => &mut form.next_followup,
            "referred_by" => &mut form.referred_by,
            _ => &mut form.notes,
        }
    }

    fn cell(column: &str, value: String) -> Option<String> {
        let coded = matches!(column, "status" | "health_score" | "payment_status");
        if value.is_empty() && (coded || column == "followup_cadence_days") {
            return None;
        }
        // Coded columns are matched in any case ("red" is RED).
        Some(if coded { value.to_uppercase() } else { value })
    }

    /// Same email (any case), else same name and company.
    fn find(&self, row: &Cells) -> Option<(ClientId, ClientForm)> {
        let (name, email, company) = (row.get("name"), row.get("email"), row.get("company"));
        let by_email = || {
            self.0.iter().find(|c| {
                !email.is_empty()
                    && c.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
        };
        let by_name = || {
            self.0
                .iter()
                .find(|c| c.name == name && c.company.as_deref().unwrap_or_default() == company)
        };
        by_email()
            .or_else(by_name)
            .map(|c| (c.id.clone(), ClientForm::of(c)))
    }

    fn blank(&self) -> ClientForm {
        ClientForm {
            status: "ACTIVE".into(),
            health_score: "GREEN".into(),
            payment_status: "CURRENT".into(),
            followup_cadence_days: "14".into(),
            ..Default::default()
        }
    }

    fn parse(&self, form: &ClientForm) -> Result<ClientFields, Vec<(String, String)>> {
        form.parse().map_err(|e| {
            e.by_field()
                .into_iter()
                .map(|(field, message)| (field.to_string(), message))
                .collect()
        })
    }

    fn cells(&self, form: &ClientForm) -> Vec<String> {
        vec![
            form.name.clone(),
            form.company.clone(),
            form.email.clone(),
            ClientStatus::parse(&form.status)
                .map_or("", ClientStatus::label)
                .into(),
            HealthScore::parse(&form.health_score)
                .map_or("", HealthScore::label)
                .into(),
            form.monthly_retainer.clone(),
        ]
    }

    fn save(
        conn: &mut AnyConnection,
        user: &UserId,
        row: &Row<Self>,
        now: NaiveDateTime,
    ) -> Result<(), AppError> {
        match &row.action {
            Action::New => {
                clients::create(conn, user, &row.fields, now)?;
            }
            Action::Update(client, _) => {
                clients::update(conn, user, client, &row.fields, now)?;
            }
            Action::Same(_) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::import::parse;

    fn parse_import(
        text: &str,
        known: &[Client],
    ) -> Result<Vec<Row<Clients>>, Vec<crate::routes::import::RowError>> {
        parse(&Clients(known.to_vec()), text)
    }

    #[test]
    fn a_good_file_parses_with_defaults_and_aliases() {
        let rows = parse_import(
            "Name,Email,Health,Retainer\nAcme,hi@acme.example,red,100\nBeta,,,\n",
            &[],
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].fields.health_score, crate::domain::HealthScore::Red);
        assert_eq!(rows[1].fields.status, crate::domain::ClientStatus::Active);
        assert_eq!(rows[0].row, 2);
    }

    #[test]
    fn every_bad_row_is_named_with_its_field() {
        let errors = parse_import(
            "name,email,monthly_retainer\nGood,,\n,nope,abc\nFine,x@y.io,12\n",
            &[],
        )
        .unwrap_err();
        let found: Vec<(usize, String)> = errors.iter().map(|e| (e.row, e.field.clone())).collect();
        assert_eq!(
            found,
            vec![
                (3, "name".into()),
                (3, "email".into()),
                (3, "monthly_retainer".into())
            ]
        );
        assert_eq!(
            parse_import("name,shoe_size\nA,42\n", &[]).unwrap_err()[0].field,
            "shoe_size"
        );
        assert_eq!(
            parse_import("name\n", &[]).unwrap_err()[0].message,
            "the file has no rows"
        );
    }
}
