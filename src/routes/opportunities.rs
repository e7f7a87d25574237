//! Opportunities: add one by hand (`/clients/{id}/opportunities`), let the rules
//! suggest from the client's data (`…/suggest`), dismiss with a reason or convert
//! into a PLANNING project (`/opportunities/{id}/…`). Each lands in the timeline.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::clients;
use crate::db::models::opportunities::{self, Converted, NewOpportunity};
use crate::db::models::projects;
use crate::domain::notice::count;
use crate::domain::suggestions::{ClientContext, ProjectFacts, RULES, Rules};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{amount, multiline, required, text};
use crate::web::notice::see_other_with;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OpportunityForm {
    title: String,
    description: String,
    value: String,
}

/// Adds an opportunity by hand.
pub async fn add(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
    form: web::Form<OpportunityForm>,
) -> Result<HttpResponse, AppError> {
    let title = required(&form.title, "Title", 200).map_err(AppError::Unprocessable)?;
    let description =
        multiline(&form.description, "Description", 2000).map_err(AppError::Unprocessable)?;
    let value = amount(&form.value).map_err(|e| AppError::Unprocessable(format!("Value: {e}.")))?;
    let (id, target, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let back = format!("/clients/{target}#opportunities");
    let notice = Notice::new(format!("Added the opportunity “{title}”."));
    state
        .db_write_as(&user, move |conn| {
            let new = NewOpportunity {
                title: &title,
                description: description.as_deref(),
                value,
                suggested: false,
            };
            Ok(opportunities::create_audited(
                conn, &id, &target, &new, now,
            )?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}

/// What the rules know of a client: its state, its projects, and the titles it
/// has already had (so nothing is suggested twice, in any state).
fn context_of(
    conn: &mut AnyConnection,
    user: &UserId,
    client: &ClientId,
    today: chrono::NaiveDate,
) -> Result<Option<ClientContext>, AppError> {
    let Some(c) = clients::find(conn, user, client)? else {
        return Ok(None);
    };
    let projects = projects::for_client(conn, user, client)?
        .into_iter()
        .map(|p| ProjectFacts {
            name: p.name,
            project_type: p.project_type,
            status: p.status,
            created: p.created_at.date(),
            has_staging: p.staging_url.is_some(),
            has_production: p.production_url.is_some(),
        })
        .collect();
    Ok(Some(ClientContext {
        today,
        name: c.name,
        status: c.status,
        health: c.health_score,
        has_retainer: c.monthly_retainer.is_some_and(|m| !m.amount().is_zero()),
        last_contacted: c.last_contacted.map(|t| t.date()),
        projects,
        existing_titles: opportunities::titles(conn, user, client)?,
    }))
}

/// Runs the suggestion rules over the client and stores what is new.
pub async fn suggest(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> Result<HttpResponse, AppError> {
    let today = user.today(state.clock.now());
    let (id, target, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let back = format!("/clients/{target}#opportunities");
    let words = state
        .db_write_as(&user, move |conn| {
            let context = context_of(conn, &id, &target, today)?.ok_or(AppError::NotFound)?;
            let (found, why) = Rules.explained(&context);
            opportunities::store_suggestions(conn, &id, &target, &found, now)?;
            Ok(suggest_words(&found, &why))
        })
        .await?;
    let notice = Notice::new(words);
    Ok(see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}

/// "Found 2 new opportunities: …" or "4 rules checked, nothing new: …".
fn suggest_words(found: &[crate::domain::suggestions::Suggested], why: &[String]) -> String {
    if found.is_empty() {
        format!("{RULES} rules checked, nothing new: {}.", why.join("; "))
    } else {
        let titles: Vec<String> = found.iter().map(|s| format!("“{}”", s.title)).collect();
        format!(
            "Found {}: {}.",
            count(found.len(), "new opportunity", "new opportunities"),
            titles.join(", ")
        )
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DismissForm {
    reason: String,
}

pub async fn dismiss(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<OpportunityId>,
    form: web::Form<DismissForm>,
) -> Result<HttpResponse, AppError> {
    let reason = text(&form.reason, "Reason", 500).map_err(AppError::Unprocessable)?;
    let (id, target, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let client = state
        .db_write_as(&user, move |conn| {
            Ok(opportunities::dismiss_audited(
                conn,
                &id,
                &target,
                reason.as_deref(),
                now,
            )?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let notice = Notice::new(
        "Dismissed the opportunity; it stays listed with your reason and can be restored.",
    );
    let back = format!("/clients/{client}#opportunities");
    Ok(see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}

/// Brings a dismissed opportunity back to the open ones.
pub async fn restore(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<OpportunityId>,
) -> Result<HttpResponse, AppError> {
    let (id, target, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let (client, title) = state
        .db_write_as(&user, move |conn| {
            Ok(opportunities::restore_audited(conn, &id, &target, now)?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let notice = Notice::new(format!("Restored the opportunity “{title}”."));
    let back = format!("/clients/{client}#opportunities");
    Ok(see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}

/// Converts an opportunity into a PLANNING project (once, however often asked).
pub async fn convert(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<OpportunityId>,
) -> Result<HttpResponse, AppError> {
    let (id, target, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let converted = state
        .db_write_as(&user, move |conn| {
            Ok(opportunities::convert_audited(conn, &id, &target, now)?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    match converted {
        Converted::Project(project) => {
            // The project page it lands on is the one it made.
            let notice = Notice::new(
                "Converted the opportunity into this project, in Planning with its value as budget.",
            );
            let back = format!("/projects/{project}");
            Ok(see_other_with(
                &req,
                &back,
                Some(&notice),
                state.sessions.secure,
            ))
        }
        Converted::Dismissed => Err(AppError::Unprocessable(
            "A dismissed opportunity cannot be converted.".into(),
        )),
    }
}
