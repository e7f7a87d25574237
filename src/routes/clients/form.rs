//! A client's form: `/clients/new`, `/clients/{id}/edit`, saving either, and
//! deleting a client after a page that says what goes with it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::owned;
use crate::auth::CurrentUser;
use crate::db::models::clients::{self, Client, ClientFields};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{amount, check, date, hours, multiline, required, text, web_url};
use crate::web::{PageContext, html, see_other};

/// A client form as submitted (every field a string, so it can be shown again).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ClientForm {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub company: String,
    pub industry: String,
    pub website_url: String,
    pub github_url: String,
    pub vercel_url: String,
    pub figma_url: String,
    pub status: String,
    pub health_score: String,
    pub payment_status: String,
    pub contract_value: String,
    pub monthly_retainer: String,
    pub retainer_hours_per_month: String,
    pub followup_cadence_days: String,
    pub next_followup: String,
    pub referred_by: String,
    pub notes: String,
}

/// One message per field, shown next to it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClientErrors {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub industry: Option<String>,
    pub website_url: Option<String>,
    pub github_url: Option<String>,
    pub vercel_url: Option<String>,
    pub figma_url: Option<String>,
    pub status: Option<String>,
    pub health_score: Option<String>,
    pub payment_status: Option<String>,
    pub contract_value: Option<String>,
    pub monthly_retainer: Option<String>,
    pub retainer_hours_per_month: Option<String>,
    pub followup_cadence_days: Option<String>,
    pub next_followup: Option<String>,
    pub referred_by: Option<String>,
    pub notes: Option<String>,
}

impl ClientErrors {
    /// Every message with the column it belongs to (for the CSV import).
    pub fn by_field(&self) -> Vec<(&'static str, String)> {
        [
            ("name", &self.name),
            ("email", &self.email),
            ("phone", &self.phone),
            ("company", &self.company),
            ("industry", &self.industry),
            ("website_url", &self.website_url),
            ("github_url", &self.github_url),
            ("vercel_url", &self.vercel_url),
            ("figma_url", &self.figma_url),
            ("status", &self.status),
            ("health_score", &self.health_score),
            ("payment_status", &self.payment_status),
            ("contract_value", &self.contract_value),
            ("monthly_retainer", &self.monthly_retainer),
            ("retainer_hours_per_month", &self.retainer_hours_per_month),
            ("followup_cadence_days", &self.followup_cadence_days),
            ("next_followup", &self.next_followup),
            ("referred_by", &self.referred_by),
            ("notes", &self.notes),
        ]
        .into_iter()
        .filter_map(|(field, m)| m.clone().map(|m| (field, m)))
        .collect()
    }
}

/// The follow-up cadence: empty for the default of 14 days, else 1 to 365.
fn cadence(raw: &str) -> Result<i32, String> {
    match raw.trim() {
        "" => Ok(14),
        raw => raw
            .parse::<i32>()
            .ok()
            .filter(|d| (1..=365).contains(d))
            .ok_or_else(|| "enter a number of days from 1 to 365".into()),
    }
}

fn choice<T>(parsed: Result<T, UnknownValue>, what: &str) -> Result<T, String> {
    parsed.map_err(|_| format!("choose a {what}"))
}

impl ClientForm {
    pub fn blank() -> Self {
        ClientForm {
            status: ClientStatus::Active.as_str().into(),
            health_score: HealthScore::Green.as_str().into(),
            payment_status: PaymentStatus::Current.as_str().into(),
            followup_cadence_days: "14".into(),
            ..Default::default()
        }
    }

    pub fn of(c: &Client) -> Self {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let money = |m: Option<Money>| m.map(|m| m.to_string()).unwrap_or_default();
        ClientForm {
            name: c.name.clone(),
            email: opt(&c.email),
            phone: opt(&c.phone),
            company: opt(&c.company),
            industry: opt(&c.industry),
            website_url: opt(&c.website_url),
            github_url: opt(&c.github_url),
            vercel_url: opt(&c.vercel_url),
            figma_url: opt(&c.figma_url),
            status: c.status.as_str().into(),
            health_score: c.health_score.as_str().into(),
            payment_status: c.payment_status.as_str().into(),
            contract_value: money(c.contract_value),
            monthly_retainer: money(c.monthly_retainer),
            retainer_hours_per_month: c
                .retainer_hours_per_month
                .map(|h| h.to_string())
                .unwrap_or_default(),
            followup_cadence_days: c.followup_cadence_days.to_string(),
            next_followup: c
                .next_followup
                .map(|t| t.date().to_string())
                .unwrap_or_default(),
            referred_by: opt(&c.referred_by),
            notes: opt(&c.notes),
        }
    }

    pub fn parse(&self) -> Result<ClientFields, Box<ClientErrors>> {
        let mut e = ClientErrors::default();
        let email = check(&mut e.email, optional_email(&self.email));
        let status = check(
            &mut e.status,
            choice(ClientStatus::parse(&self.status), "status"),
        );
        let health = check(
            &mut e.health_score,
            choice(HealthScore::parse(&self.health_score), "health score"),
        );
        let payment = check(
            &mut e.payment_status,
            choice(PaymentStatus::parse(&self.payment_status), "payment status"),
        );
        let contract = check(&mut e.contract_value, amount(&self.contract_value));
        let retainer = check(&mut e.monthly_retainer, amount(&self.monthly_retainer));
        let retainer_hours = check(
            &mut e.retainer_hours_per_month,
            hours(&self.retainer_hours_per_month, 744),
        );
        let cadence = check(
            &mut e.followup_cadence_days,
            cadence(&self.followup_cadence_days),
        );
        let next = check(&mut e.next_followup, date(&self.next_followup))
            .map(|d| d.map(|d| d.and_hms_opt(9, 0, 0).unwrap_or_default()));
        let fields = ClientFields {
            name: check(&mut e.name, required(&self.name, "Name", 200)).unwrap_or_default(),
            email: email.flatten(),
            phone: check(&mut e.phone, text(&self.phone, "Phone", 50)).flatten(),
            company: check(&mut e.company, text(&self.company, "Company", 200)).flatten(),
            industry: check(&mut e.industry, text(&self.industry, "Industry", 100)).flatten(),
            website_url: check(&mut e.website_url, web_url(&self.website_url)).flatten(),
            github_url: check(&mut e.github_url, web_url(&self.github_url)).flatten(),
            vercel_url: check(&mut e.vercel_url, web_url(&self.vercel_url)).flatten(),
            figma_url: check(&mut e.figma_url, web_url(&self.figma_url)).flatten(),
            status: status.unwrap_or(ClientStatus::Active),
            health_score: health.unwrap_or(HealthScore::Green),
            payment_status: payment.unwrap_or(PaymentStatus::Current),
            contract_value: contract.flatten(),
            monthly_retainer: retainer.flatten(),
            retainer_hours_per_month: retainer_hours.flatten(),
            followup_cadence_days: cadence.unwrap_or(14),
            next_followup: next.flatten(),
            referred_by: check(
                &mut e.referred_by,
                text(&self.referred_by, "Referred by", 200),
            )
            .flatten(),
            notes: check(&mut e.notes, multiline(&self.notes, "Notes", 10_000)).flatten(),
        };
        // Every field was checked; the placeholders above are never saved.
        if e == ClientErrors::default() {
            Ok(fields)
        } else {
            Err(Box::new(e))
        }
    }
}

fn optional_email(raw: &str) -> Result<Option<String>, String> {
    match raw.trim() {
        "" => Ok(None),
        raw => EmailAddress::parse(raw)
            .map(|a| Some(a.to_string()))
            .map_err(|err| err.to_string()),
    }
}

#[derive(Template)]
#[template(path = "clients/form.html")]
pub struct ClientFormPage {
    pub ctx: PageContext,
    pub heading: &'static str,
    pub action: String,
    pub form: ClientForm,
    pub errors: ClientErrors,
    pub cancel: String,
}

impl ClientFormPage {
    /// The form for a new client (`None`) or for editing one.
    fn new(
        user: &CurrentUser,
        client: Option<&ClientId>,
        form: ClientForm,
        errors: ClientErrors,
    ) -> Self {
        let (heading, action, cancel) = match client {
            None => ("New client", "/clients".to_string(), "/clients".to_string()),
            Some(id) => (
                "Edit client",
                format!("/clients/{id}"),
                format!("/clients/{id}"),
            ),
        };
        ClientFormPage {
            ctx: PageContext::for_user(user, "clients"),
            heading,
            action,
            form,
            errors,
            cancel,
        }
    }
}

pub async fn new(user: CurrentUser) -> Result<HttpResponse, AppError> {
    let page = ClientFormPage::new(&user, None, ClientForm::blank(), ClientErrors::default());
    html(StatusCode::OK, &page)
}

pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<ClientForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => {
            let page = ClientFormPage::new(&user, None, form, *errors);
            return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let (id, now) = (user.id().clone(), state.clock.stamp());
    let client = state
        .db_write_as(&user, move |conn| {
            Ok(clients::create_audited(conn, &id, &fields, now)?)
        })
        .await?;
    Ok(see_other(&req, &format!("/clients/{client}")))
}

pub async fn edit(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> Result<HttpResponse, AppError> {
    let client = owned(&state, &user, path.into_inner()).await?;
    let page = ClientFormPage::new(
        &user,
        Some(&client.id),
        ClientForm::of(&client),
        ClientErrors::default(),
    );
    html(StatusCode::OK, &page)
}

pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
    form: web::Form<ClientForm>,
) -> Result<HttpResponse, AppError> {
    let client_id = path.into_inner();
    let form = form.into_inner();
    let fields = match form.parse() {
        Ok(fields) => fields,
        Err(errors) => {
            // Someone else's id is a 404 even with a bad form.
            owned(&state, &user, client_id.clone()).await?;
            let page = ClientFormPage::new(&user, Some(&client_id), form, *errors);
            return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let (id, target, now) = (user.id().clone(), client_id.clone(), state.clock.stamp());
    state
        .db_write_as(&user, move |conn| {
            Ok(clients::update_audited(conn, &id, &target, &fields, now)?)
        })
        .await?
        .then_some(())
        .ok_or(AppError::NotFound)?;
    Ok(see_other(&req, &format!("/clients/{client_id}")))
}

#[derive(Template)]
#[template(path = "clients/delete.html")]
pub struct DeletePage {
    pub ctx: PageContext,
    pub client: Client,
    pub projects: i64,
    pub opportunities: i64,
    pub blocks: i64,
}

pub async fn confirm_delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> Result<HttpResponse, AppError> {
    let client = owned(&state, &user, path.into_inner()).await?;
    let (id, target) = (user.id().clone(), client.id.clone());
    let (projects, opportunities, blocks) = state
        .db(move |conn| Ok(clients::dependents(conn, &id, &target)?))
        .await?;
    let page = DeletePage {
        ctx: PageContext::for_user(&user, "clients"),
        client,
        projects,
        opportunities,
        blocks,
    };
    html(StatusCode::OK, &page)
}

pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> Result<HttpResponse, AppError> {
    let (id, target) = (user.id().clone(), path.into_inner());
    state
        .db_write_as(&user, move |conn| Ok(clients::delete(conn, &id, &target)?))
        .await?
        .then_some(())
        .ok_or(AppError::NotFound)?;
    Ok(see_other(&req, "/clients"))
}
