//! Follow-ups: "Log contact" (`/clients/{id}/contact`) and "Plan a follow-up block
//! today" (`/clients/{id}/followup-block`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::clients::{self, Client};
use crate::db::models::tasks::{self, TaskFields};
use crate::db::models::undo::{self, Undo};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::multiline;
use crate::web::notice::see_other_with;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ContactForm {
    note: String,
}

/// `last_contacted` now, the next follow-up one cadence later, and a timeline entry
/// with the optional note.
pub async fn log_contact(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, AppError> {
    let note = multiline(&form.note, "Note", 2000).map_err(AppError::Unprocessable)?;
    let (id, target, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let client = state
        .db_write_as(&user, move |conn| {
            Ok(clients::log_contact_audited(
                conn,
                &id,
                &target,
                note.as_deref(),
                now,
            )?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let dates = user.dates(state.clock.now());
    let next = client
        .next_followup
        .map(|t| dates.date(&t))
        .unwrap_or_else(|| "none".into());
    let notice = Notice::new(format!("Contact logged. Next follow-up: {next}."));
    let back = format!("/clients/{}", client.id);
    Ok(see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}

/// The CLIENT block a follow-up turns into: half an hour today, high priority.
fn followup_fields(client: &Client, today: chrono::NaiveDate) -> TaskFields {
    TaskFields {
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
        client_id: Some(client.id.clone()),
        goal_id: None,
        activity_id: None,
    }
}

/// Turns a follow-up into a CLIENT block on today's plan, linked to the client.
pub async fn followup_block(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> Result<HttpResponse, AppError> {
    let today = user.today(state.clock.now());
    let (id, target, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let back = format!("/clients/{target}");
    let (what, undo) = state
        .db_write_as(&user, move |conn| {
            let client = clients::find(conn, &id, &target)?.ok_or(AppError::NotFound)?;
            let fields = followup_fields(&client, today);
            let task = match tasks::create(conn, &id, &fields, now)? {
                Ok(task) => task,
                Err(_) => return Err(AppError::NotFound),
            };
            let what = format!(
                "Planned “{}” for today, 30 min, under “Also on this day” until it gets a time.",
                fields.title
            );
            // Undo takes the block off the plan again.
            let undo = Undo::Plan {
                blocks: Vec::new(),
                created: vec![task],
            };
            let undo = undo::record(conn, &id, &what, undo, now)?;
            Ok((what, undo))
        })
        .await?;
    // The client page stays: the block waits on today's plan.
    let notice = Notice::new(what).with_undo(undo, &back);
    Ok(see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}
