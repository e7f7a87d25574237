//! `/clients`: the client list with filters, search, sort and headline figures;
//! create, edit and delete (with a confirmation that says what goes along); the
//! client page; logging a contact; a follow-up turned into a CLIENT block.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::command::local_now;
use crate::auth::CurrentUser;
use crate::db::models::audit::{self, AuditEntry, AuditEvent};
use crate::db::models::clients::{
    self, Client, ClientFields, ClientFigures, ClientFilter, ClientSort,
};
use crate::db::models::opportunities::{self, Opportunity};
use crate::db::models::projects::{self, Project};
use crate::db::models::tasks::{self, TaskFields};
use crate::domain::health::{self, HealthInputs, ProjectSignal, Suggestion};
use crate::domain::money::group_thousands;
use crate::domain::suggestions::{ClientContext, ProjectFacts, Rules, Suggester};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{amount, date, text, web_url as url};
use crate::web::{PageContext, html, see_other};

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
    pub health: String,
    pub payment: String,
    pub q: String,
    pub sort: String,
}

#[derive(Template)]
#[template(path = "clients/list.html")]
pub struct ClientsPage {
    pub ctx: PageContext,
    pub query: ListQuery,
    pub clients: Vec<Client>,
    pub figures: ClientFigures,
}

impl ClientsPage {
    pub fn statuses(&self) -> &'static [ClientStatus] {
        ClientStatus::ALL
    }
    pub fn healths(&self) -> &'static [HealthScore] {
        HealthScore::ALL
    }
    pub fn payments(&self) -> &'static [PaymentStatus] {
        PaymentStatus::ALL
    }
    pub fn mrr(&self) -> String {
        group_thousands(self.figures.monthly_recurring)
    }
    pub fn pipeline(&self) -> String {
        group_thousands(self.figures.open_pipeline)
    }
    pub fn followup(&self, c: &Client) -> String {
        c.next_followup
            .map(|f| f.format("%b %-d, %Y").to_string())
            .unwrap_or_else(|| "—".into())
    }
}

pub(crate) fn parse_list(q: &ListQuery) -> ClientFilter {
    ClientFilter {
        status: ClientStatus::parse(&q.status).ok(),
        health: HealthScore::parse(&q.health).ok(),
        payment: PaymentStatus::parse(&q.payment).ok(),
        search: text(&q.q, "Search", 200).ok().flatten(),
        sort: match q.sort.as_str() {
            "followup" => ClientSort::NextFollowup,
            "health" => ClientSort::Health,
            "retainer" => ClientSort::Retainer,
            _ => ClientSort::Name,
        },
    }
}

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let filter = parse_list(&query);
    let id = user.id().clone();
    let (clients, figures) = state
        .db(move |conn| {
            Ok((
                clients::search(conn, &id, &filter)?,
                clients::figures(conn, &id)?,
            ))
        })
        .await?;
    html(
        StatusCode::OK,
        &ClientsPage {
            ctx: PageContext::for_user(&user, "clients"),
            query,
            clients,
            figures,
        },
    )
}

/// A client form as submitted.
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
    pub followup_cadence_days: String,
    pub next_followup: String,
    pub referred_by: String,
    pub notes: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ClientErrors {
    pub name: Option<String>,
    pub email: Option<String>,
    pub urls: Option<String>,
    pub status: Option<String>,
    pub contract_value: Option<String>,
    pub monthly_retainer: Option<String>,
    pub followup_cadence_days: Option<String>,
    pub next_followup: Option<String>,
    pub text: Option<String>,
}

impl ClientForm {
    pub(crate) fn from_client(c: &Client) -> Self {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
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
            contract_value: c.contract_value.map(|m| m.to_string()).unwrap_or_default(),
            monthly_retainer: c
                .monthly_retainer
                .map(|m| m.to_string())
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

    pub(crate) fn parse(&self) -> Result<ClientFields, Box<ClientErrors>> {
        let mut e = ClientErrors::default();
        let name = text(&self.name, "Name", 200)
            .and_then(|n| n.ok_or_else(|| "Name is required".to_string()))
            .map_err(|m| e.name = Some(m))
            .ok();
        let email = match self.email.trim() {
            "" => Some(None),
            raw => EmailAddress::parse(raw)
                .map(|a| Some(a.to_string()))
                .map_err(|err| e.email = Some(err.to_string()))
                .ok(),
        };
        let mut links = [
            &self.website_url,
            &self.github_url,
            &self.vercel_url,
            &self.figma_url,
        ]
        .map(|raw| url(raw));
        if let Some(Err(m)) = links.iter().find(|l| l.is_err()) {
            e.urls = Some(m.clone());
        }
        let status = ClientStatus::parse(&self.status)
            .map_err(|_| e.status = Some("choose a status".into()))
            .ok();
        let health = HealthScore::parse(&self.health_score)
            .map_err(|_| e.status = Some("choose a health score".into()))
            .ok();
        let payment = PaymentStatus::parse(&self.payment_status)
            .map_err(|_| e.status = Some("choose a payment status".into()))
            .ok();
        let contract = amount(&self.contract_value)
            .map_err(|m| e.contract_value = Some(m))
            .ok();
        let retainer = amount(&self.monthly_retainer)
            .map_err(|m| e.monthly_retainer = Some(m))
            .ok();
        let cadence = match self.followup_cadence_days.trim() {
            "" => Some(14),
            raw => raw
                .parse::<i32>()
                .ok()
                .filter(|d| (1..=365).contains(d))
                .or_else(|| {
                    e.followup_cadence_days = Some("enter a number of days from 1 to 365".into());
                    None
                }),
        };
        let next = date(&self.next_followup)
            .map(|d| d.map(|d| d.and_hms_opt(9, 0, 0).unwrap_or_default()))
            .map_err(|m| e.next_followup = Some(m))
            .ok();
        let mut free_text = |raw: &str, field: &str, max: usize| {
            text(raw, field, max)
                .map_err(|m| e.text = Some(m))
                .ok()
                .flatten()
        };
        let phone = free_text(&self.phone, "Phone", 50);
        let company = free_text(&self.company, "Company", 200);
        let industry = free_text(&self.industry, "Industry", 100);
        let referred_by = free_text(&self.referred_by, "Referred by", 200);
        let notes = free_text(&self.notes, "Notes", 10_000);
        if e != ClientErrors::default() {
            return Err(Box::new(e));
        }
        let mut link = |i: usize| std::mem::replace(&mut links[i], Ok(None)).unwrap_or(None);
        match (
            name, email, status, health, payment, contract, retainer, cadence, next,
        ) {
            (
                Some(name),
                Some(email),
                Some(status),
                Some(health_score),
                Some(payment_status),
                Some(contract_value),
                Some(monthly_retainer),
                Some(followup_cadence_days),
                Some(next_followup),
            ) => Ok(ClientFields {
                name,
                email,
                phone,
                company,
                industry,
                website_url: link(0),
                github_url: link(1),
                vercel_url: link(2),
                figma_url: link(3),
                status,
                health_score,
                payment_status,
                contract_value,
                monthly_retainer,
                followup_cadence_days,
                next_followup,
                referred_by,
                notes,
            }),
            _ => Err(Box::new(e)),
        }
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
    pub fn statuses(&self) -> &'static [ClientStatus] {
        ClientStatus::ALL
    }
    pub fn healths(&self) -> &'static [HealthScore] {
        HealthScore::ALL
    }
    pub fn payments(&self) -> &'static [PaymentStatus] {
        PaymentStatus::ALL
    }
}

pub async fn new(user: CurrentUser) -> Result<HttpResponse, AppError> {
    let form = ClientForm {
        status: ClientStatus::Active.as_str().into(),
        health_score: HealthScore::Green.as_str().into(),
        payment_status: PaymentStatus::Current.as_str().into(),
        followup_cadence_days: "14".into(),
        ..Default::default()
    };
    let page = ClientFormPage {
        ctx: PageContext::for_user(&user, "clients"),
        heading: "New client",
        action: "/clients".into(),
        form,
        errors: ClientErrors::default(),
        cancel: "/clients".into(),
    };
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
            let page = ClientFormPage {
                ctx: PageContext::for_user(&user, "clients"),
                heading: "New client",
                action: "/clients".into(),
                form,
                errors: *errors,
                cancel: "/clients".into(),
            };
            return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let id = user.id().clone();
    let now = crate::db::now();
    let client = state
        .db_write(move |conn| {
            let client = clients::create(conn, &id, &fields, now)?;
            audit::record(
                conn,
                AuditEvent::new("client.created")
                    .user(&id)
                    .entity("client", client.as_str()),
            )?;
            Ok(client)
        })
        .await?;
    Ok(see_other(&req, &format!("/clients/{client}")))
}

async fn owned(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    id: ClientId,
) -> Result<Client, AppError> {
    let owner = user.id().clone();
    state
        .db(move |conn| Ok(clients::find(conn, &owner, &id)?))
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn edit(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> Result<HttpResponse, AppError> {
    let client = owned(&state, &user, path.into_inner()).await?;
    let page = ClientFormPage {
        ctx: PageContext::for_user(&user, "clients"),
        heading: "Edit client",
        action: format!("/clients/{}", client.id),
        form: ClientForm::from_client(&client),
        errors: ClientErrors::default(),
        cancel: format!("/clients/{}", client.id),
    };
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
            let page = ClientFormPage {
                ctx: PageContext::for_user(&user, "clients"),
                heading: "Edit client",
                action: format!("/clients/{client_id}"),
                form,
                errors: *errors,
                cancel: format!("/clients/{client_id}"),
            };
            return html(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let (id, target) = (user.id().clone(), client_id.clone());
    let now = crate::db::now();
    let found = state
        .db_write(move |conn| {
            let before = clients::find(conn, &id, &target)?;
            let Some(before) = before else {
                return Ok(false);
            };
            clients::update(conn, &id, &target, &fields, now)?;
            let mut changes = serde_json::Map::new();
            if before.status != fields.status {
                changes.insert(
                    "status".into(),
                    serde_json::json!([before.status, fields.status]),
                );
            }
            if before.health_score != fields.health_score {
                changes.insert(
                    "health".into(),
                    serde_json::json!([before.health_score, fields.health_score]),
                );
            }
            if before.payment_status != fields.payment_status {
                changes.insert(
                    "payment".into(),
                    serde_json::json!([before.payment_status, fields.payment_status]),
                );
            }
            audit::record(
                conn,
                AuditEvent::new("client.updated")
                    .user(&id)
                    .entity("client", target.as_str())
                    .details(changes.into()),
            )?;
            Ok(true)
        })
        .await?;
    if !found {
        return Err(AppError::NotFound);
    }
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
    html(
        StatusCode::OK,
        &DeletePage {
            ctx: PageContext::for_user(&user, "clients"),
            client,
            projects,
            opportunities,
            blocks,
        },
    )
}

pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> Result<HttpResponse, AppError> {
    let (id, target) = (user.id().clone(), path.into_inner());
    let deleted = state
        .db_write(move |conn| Ok(clients::delete(conn, &id, &target)?))
        .await?;
    if !deleted {
        return Err(AppError::NotFound);
    }
    Ok(see_other(&req, "/clients"))
}

#[derive(Template)]
#[template(path = "clients/show.html")]
pub struct ClientPage {
    pub ctx: PageContext,
    pub client: Client,
    pub projects: Vec<Project>,
    pub followup_due: bool,
    pub contacted: bool,
    pub suggestion: Suggestion,
    pub timeline: Vec<TimelineEntry>,
    pub opportunities: Vec<Opportunity>,
    pub files: super::assets::FilesSection,
}

/// One line of a client's history.
pub struct TimelineEntry {
    pub at: NaiveDateTime,
    pub what: String,
    pub detail: Option<String>,
}

impl TimelineEntry {
    fn from_audit(entry: AuditEntry) -> Self {
        let d = &entry.details.0;
        let text = |key: &str| d.get(key).and_then(|v| v.as_str()).map(str::to_string);
        let change = |key: &str| {
            d.get(key)
                .and_then(|v| v.as_array())
                .and_then(|pair| match pair.as_slice() {
                    [from, to] => Some(format!(
                        "{} → {}",
                        from.as_str().unwrap_or("?"),
                        to.as_str().unwrap_or("?")
                    )),
                    _ => None,
                })
        };
        let (what, detail) = match entry.action.as_str() {
            "client.created" => ("Client added".to_string(), None),
            "client.contact_logged" => ("Contact logged".to_string(), text("note")),
            "project.moved" => (
                format!(
                    "{} moved {}",
                    text("project").unwrap_or_default(),
                    change("stage").unwrap_or_default()
                ),
                None,
            ),
            "client.health_changed" => (
                format!("Health {}", change("health").unwrap_or_default()),
                text("source"),
            ),
            "opportunity.created" => (
                format!("Opportunity added: {}", text("title").unwrap_or_default()),
                None,
            ),
            "opportunity.suggested" => {
                let n = d.get("count").and_then(|v| v.as_u64()).unwrap_or(0);
                (format!("Looked for opportunities: {n} new"), None)
            }
            "opportunity.dismissed" => (
                format!(
                    "Opportunity dismissed: {}",
                    text("title").unwrap_or_default()
                ),
                text("reason"),
            ),
            "opportunity.converted" => (
                format!(
                    "Opportunity converted to a project: {}",
                    text("title").unwrap_or_default()
                ),
                None,
            ),
            "client.credentials_saved" => ("Credentials saved (encrypted)".to_string(), None),
            "client.credentials_removed" => ("Credentials removed".to_string(), None),
            "client.credentials_revealed" => ("Credentials revealed".to_string(), None),
            "client.health_kept" => (
                format!("Health kept at {}", text("score").unwrap_or_default()),
                text("reason"),
            ),
            "client.updated" => {
                let parts: Vec<String> = [
                    ("status", "Status"),
                    ("health", "Health"),
                    ("payment", "Payments"),
                ]
                .iter()
                .filter_map(|(key, label)| change(key).map(|c| format!("{label} {c}")))
                .collect();
                if parts.is_empty() {
                    ("Details edited".to_string(), None)
                } else {
                    (parts.join(", "), None)
                }
            }
            other => (other.to_string(), None),
        };
        TimelineEntry {
            at: entry.created_at,
            what,
            detail,
        }
    }
}

/// The suggested health score of a client, from its own data and its projects.
pub fn suggestion_for(
    client: &Client,
    projects: &[Project],
    today: chrono::NaiveDate,
) -> Suggestion {
    health::suggest(&HealthInputs {
        today,
        payment: client.payment_status,
        status: client.status,
        has_retainer: client
            .monthly_retainer
            .is_some_and(|m| !m.amount().is_zero()),
        last_contacted: client.last_contacted,
        next_followup: client.next_followup,
        projects: projects
            .iter()
            .map(|p| ProjectSignal {
                status: p.status,
                due: p.due_date,
                last_change: p.updated_at.date(),
            })
            .collect(),
    })
}

impl ClientPage {
    pub fn money(&self, m: &Option<Money>) -> String {
        m.map(|m| m.grouped()).unwrap_or_else(|| "—".into())
    }
    pub fn when(&self, t: &Option<NaiveDateTime>) -> String {
        t.map(|t| t.format("%b %-d, %Y").to_string())
            .unwrap_or_else(|| "never".into())
    }
    pub fn links(&self) -> Vec<(&'static str, &str)> {
        let c = &self.client;
        [
            ("Website", &c.website_url),
            ("GitHub", &c.github_url),
            ("Vercel", &c.vercel_url),
            ("Figma", &c.figma_url),
        ]
        .into_iter()
        .filter_map(|(label, url)| url.as_deref().map(|u| (label, u)))
        .collect()
    }
}

#[derive(Deserialize)]
pub struct ShowQuery {
    contacted: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ClientId>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, target) = (user.id().clone(), path.into_inner());
    let (client, projects, history, opportunities, files) = state
        .db(move |conn| {
            let client = clients::find(conn, &id, &target)?.ok_or(AppError::NotFound)?;
            let projects = projects::for_client(conn, &id, &target)?;
            let history = audit::for_entity(conn, &id, "client", target.as_str(), 50)?;
            let opportunities = opportunities::for_client(conn, &id, &target)?;
            let files = super::assets::FilesData::load(conn, &id, Some(&target), None)?;
            Ok((client, projects, history, opportunities, files))
        })
        .await?;
    let return_to = format!("/clients/{}", client.id);
    let (today, _) = local_now(&user, state.clock.now());
    let followup_due = client.next_followup.is_some_and(|f| f.date() <= today);
    let suggestion = suggestion_for(&client, &projects, today);
    let page = ClientPage {
        ctx: PageContext::for_user(&user, "clients"),
        client,
        projects,
        followup_due,
        contacted: query.contacted.is_some(),
        suggestion,
        timeline: history.into_iter().map(TimelineEntry::from_audit).collect(),
        opportunities,
        files: super::assets::FilesSection::new(&user, &state, files, return_to),
    };
    html(StatusCode::OK, &page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactForm {
    note: String,
}

/// "Log contact": `last_contacted` now, next follow-up one cadence later, and a
/// timeline entry with the optional note.
pub async fn log_contact(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, AppError> {
    let note = text(&form.note, "Note", 2000).map_err(AppError::Unprocessable)?;
    let (id, target) = (user.id().clone(), path.into_inner());
    let now = crate::db::now();
    let client = state
        .db_write(move |conn| {
            let Some(client) = clients::log_contact(conn, &id, &target, now)? else {
                return Ok(None);
            };
            audit::record(
                conn,
                AuditEvent::new("client.contact_logged")
                    .user(&id)
                    .entity("client", target.as_str())
                    .details(serde_json::json!({ "note": note })),
            )?;
            Ok(Some(client))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(see_other(
        &req,
        &format!("/clients/{}?contacted=1", client.id),
    ))
}

/// Turns a follow-up into a CLIENT block on today's plan, linked to the client.
pub async fn followup_block(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> Result<HttpResponse, AppError> {
    let (today, _) = local_now(&user, state.clock.now());
    let (id, target) = (user.id().clone(), path.into_inner());
    let now = crate::db::now();
    state
        .db_write(move |conn| {
            let Some(client) = clients::find(conn, &id, &target)? else {
                return Ok(None);
            };
            let fields = TaskFields {
                title: format!("Follow up with {}", client.name)
                    .chars()
                    .take(200)
                    .collect(),
                description: client.email.as_ref().map(|e| format!("Email: {e}")),
                category: TaskCategory::Client,
                priority: Priority::High,
                energy_level: EnergyLevel::Light,
                scheduled_date: Some(today),
                scheduled_time: None,
                time_block_minutes: BlockMinutes::new(30).unwrap_or_default(),
                project_id: None,
                goal_id: None,
                activity_id: None,
            };
            let task = tasks::create(conn, &id, &fields, now)?;
            if let Ok(task) = &task {
                tasks::link_client(conn, &id, task, &client.id)?;
            }
            Ok(Some(()))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(see_other(&req, &format!("/?date={today}")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HealthForm {
    decision: String,
    reason: String,
}

/// Apply the suggested score, or keep the current one with a reason; either way the
/// decision lands in the client's timeline.
pub async fn decide_health(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
    form: web::Form<HealthForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let reason = text(&form.reason, "Reason", 500).map_err(AppError::Unprocessable)?;
    let apply = match form.decision.as_str() {
        "apply" => true,
        "keep" if reason.is_some() => false,
        "keep" => {
            return Err(AppError::Unprocessable(
                "Say why you keep your own score.".into(),
            ));
        }
        _ => {
            return Err(AppError::Unprocessable(
                "Choose to apply the suggestion or keep your score.".into(),
            ));
        }
    };
    let (today, _) = local_now(&user, state.clock.now());
    let (id, target) = (user.id().clone(), path.into_inner());
    let back = format!("/clients/{target}");
    let now = crate::db::now();
    state
        .db_write(move |conn| {
            let Some(client) = clients::find(conn, &id, &target)? else {
                return Ok(None);
            };
            let projects = projects::for_client(conn, &id, &target)?;
            let suggested = suggestion_for(&client, &projects, today);
            let event = AuditEvent::new(if apply {
                "client.health_changed"
            } else {
                "client.health_kept"
            })
            .user(&id)
            .entity("client", target.as_str());
            if apply {
                clients::set_health(conn, &id, &target, suggested.score, now)?;
                audit::record(
                    conn,
                    event.details(serde_json::json!({
                        "health": [client.health_score, suggested.score],
                        "source": format!("Suggested score applied ({} points)", suggested.total),
                    })),
                )?;
            } else {
                audit::record(
                    conn,
                    event.details(serde_json::json!({
                        "score": client.health_score.label(),
                        "suggested": suggested.score,
                        "reason": reason,
                    })),
                )?;
            }
            Ok(Some(()))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(see_other(&req, &back))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CredentialsForm {
    credentials: String,
}

/// Saves (or, when empty, removes) a client's credentials, encrypted.
pub async fn save_credentials(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
    form: web::Form<CredentialsForm>,
) -> Result<HttpResponse, AppError> {
    let secret = form.credentials.trim_end().to_string();
    if secret.chars().count() > 10_000 {
        return Err(AppError::Unprocessable(
            "Credentials can be at most 10,000 characters.".into(),
        ));
    }
    let (id, target) = (user.id().clone(), path.into_inner());
    let envelope = if secret.is_empty() {
        None
    } else {
        let aad = crate::crypto::client_credentials_aad(target.as_str(), id.as_str());
        Some(
            state
                .keys
                .encrypt(&secret, &aad)
                .map_err(AppError::internal)?,
        )
    };
    let back = format!("/clients/{target}");
    let now = crate::db::now();
    let found = state
        .db_write(move |conn| {
            let found = clients::set_credentials(conn, &id, &target, envelope.as_deref(), now)?;
            if found {
                let what = if envelope.is_some() {
                    "client.credentials_saved"
                } else {
                    "client.credentials_removed"
                };
                audit::record(
                    conn,
                    AuditEvent::new(what)
                        .user(&id)
                        .entity("client", target.as_str()),
                )?;
            }
            Ok(found)
        })
        .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(see_other(&req, &back))
}

#[derive(Template)]
#[template(path = "clients/credentials.html")]
pub struct CredentialsPage {
    pub ctx: PageContext,
    pub client: Client,
    pub secret: String,
}

/// Shows the decrypted credentials: only on an explicit POST, never cached, audited.
pub async fn reveal_credentials(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> Result<HttpResponse, AppError> {
    let (id, target) = (user.id().clone(), path.into_inner());
    let ip = crate::web::client_ip(&req, &state.settings.trusted_proxies);
    let client = state
        .db_write(move |conn| {
            let client = clients::find(conn, &id, &target)?.ok_or(AppError::NotFound)?;
            audit::record(
                conn,
                AuditEvent::new("client.credentials_revealed")
                    .user(&id)
                    .entity("client", target.as_str())
                    .ip(Some(&ip)),
            )?;
            Ok(client)
        })
        .await?;
    let envelope = client.credentials.clone().ok_or(AppError::NotFound)?;
    let aad = crate::crypto::client_credentials_aad(client.id.as_str(), client.user_id.as_str());
    let secret = state.keys.decrypt(&envelope, &aad).map_err(|e| {
        tracing::error!(client = %client.id, error = %e, "credentials do not decrypt");
        AppError::Unprocessable(format!("These credentials cannot be shown: {e}."))
    })?;
    let mut response = html(
        StatusCode::OK,
        &CredentialsPage {
            ctx: PageContext::for_user(&user, "clients"),
            client,
            secret,
        },
    )?;
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OpportunityForm {
    title: String,
    description: String,
    value: String,
}

/// Adds an opportunity by hand.
pub async fn add_opportunity(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
    form: web::Form<OpportunityForm>,
) -> Result<HttpResponse, AppError> {
    let title = text(&form.title, "Title", 200)
        .and_then(|t| t.ok_or_else(|| "Title is required".to_string()))
        .map_err(AppError::Unprocessable)?;
    let description =
        text(&form.description, "Description", 2000).map_err(AppError::Unprocessable)?;
    let value = amount(&form.value).map_err(|e| AppError::Unprocessable(format!("Value: {e}.")))?;
    let (id, target) = (user.id().clone(), path.into_inner());
    let back = format!("/clients/{target}#opportunities");
    let now = crate::db::now();
    state
        .db_write(move |conn| {
            if clients::find(conn, &id, &target)?.is_none() {
                return Ok(None);
            }
            opportunities::create(
                conn,
                &target,
                &title,
                description.as_deref(),
                value,
                false,
                now,
            )?;
            audit::record(
                conn,
                AuditEvent::new("opportunity.created")
                    .user(&id)
                    .entity("client", target.as_str())
                    .details(serde_json::json!({ "title": title })),
            )?;
            Ok(Some(()))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(see_other(&req, &back))
}

/// Runs the suggestion rules over the client and stores what is new.
pub async fn suggest_opportunities(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> Result<HttpResponse, AppError> {
    let (today, _) = local_now(&user, state.clock.now());
    let (id, target) = (user.id().clone(), path.into_inner());
    let back = format!("/clients/{target}#opportunities");
    let now = crate::db::now();
    state
        .db_write(move |conn| {
            let Some(client) = clients::find(conn, &id, &target)? else {
                return Ok(None);
            };
            let context = ClientContext {
                today,
                name: client.name.clone(),
                status: client.status,
                health: client.health_score,
                has_retainer: client
                    .monthly_retainer
                    .is_some_and(|m| !m.amount().is_zero()),
                last_contacted: client.last_contacted.map(|t| t.date()),
                projects: projects::for_client(conn, &id, &target)?
                    .into_iter()
                    .map(|p| ProjectFacts {
                        name: p.name,
                        project_type: p.project_type,
                        status: p.status,
                        created: p.created_at.date(),
                        has_staging: p.staging_url.is_some(),
                        has_production: p.production_url.is_some(),
                    })
                    .collect(),
                existing_titles: opportunities::titles(conn, &target)?,
            };
            let found = Rules.suggest(&context);
            for s in &found {
                opportunities::create(
                    conn,
                    &target,
                    &s.title,
                    Some(&s.evidence),
                    s.value,
                    true,
                    now,
                )?;
            }
            audit::record(
                conn,
                AuditEvent::new("opportunity.suggested")
                    .user(&id)
                    .entity("client", target.as_str())
                    .details(serde_json::json!({ "count": found.len() })),
            )?;
            Ok(Some(()))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(see_other(&req, &back))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DismissForm {
    reason: String,
}

pub async fn dismiss_opportunity(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<OpportunityId>,
    form: web::Form<DismissForm>,
) -> Result<HttpResponse, AppError> {
    let reason = text(&form.reason, "Reason", 500).map_err(AppError::Unprocessable)?;
    let (id, target) = (user.id().clone(), path.into_inner());
    let now = crate::db::now();
    let client = state
        .db_write(move |conn| {
            let Some(found) = opportunities::find(conn, &id, &target)? else {
                return Ok(None);
            };
            if opportunities::dismiss(conn, &target, now)? {
                audit::record(
                    conn,
                    AuditEvent::new("opportunity.dismissed")
                        .user(&id)
                        .entity("client", found.client_id.as_str())
                        .details(serde_json::json!({ "title": found.title, "reason": reason })),
                )?;
            }
            Ok(Some(found.client_id))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(see_other(&req, &format!("/clients/{client}#opportunities")))
}

/// Converts an opportunity into a PLANNING project (once, however often asked).
pub async fn convert_opportunity(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<OpportunityId>,
) -> Result<HttpResponse, AppError> {
    let (id, target) = (user.id().clone(), path.into_inner());
    let now = crate::db::now();
    let project = state
        .db_write(move |conn| {
            let Some(found) = opportunities::find(conn, &id, &target)? else {
                return Ok(Err(AppError::NotFound));
            };
            let fresh = !found.is_converted;
            let Some(project) = opportunities::convert(conn, &id, &target, now)? else {
                return Ok(Err(AppError::Unprocessable(
                    "A dismissed opportunity cannot be converted.".into(),
                )));
            };
            if fresh {
                audit::record(
                    conn,
                    AuditEvent::new("opportunity.converted")
                        .user(&id)
                        .entity("client", found.client_id.as_str())
                        .details(serde_json::json!({ "title": found.title })),
                )?;
            }
            Ok(Ok(project))
        })
        .await??;
    Ok(see_other(&req, &format!("/projects/{project}")))
}
