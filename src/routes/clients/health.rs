//! `/clients/{id}/health`: apply the suggested health score, or keep one's own
//! with a reason; either way the decision lands in the client's timeline.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::audit::{self, AuditEvent};
use crate::db::models::clients::{self, Client};
use crate::db::models::projects::{self, Project};
use crate::domain::health::{self, HealthInputs, ProjectSignal, Suggestion};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::text;
use crate::web::notice::see_other_with;

/// The suggested health score of a client, from its own data and its projects.
pub fn suggestion_for(client: &Client, projects: &[Project], today: NaiveDate) -> Suggestion {
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct HealthForm {
    decision: String,
    reason: String,
}

/// What the owner decided about the suggestion.
enum Decision {
    Apply,
    Keep { reason: String },
}

impl HealthForm {
    fn decision(&self) -> Result<Decision, AppError> {
        let reason = text(&self.reason, "Reason", 500).map_err(AppError::Unprocessable)?;
        match (self.decision.as_str(), reason) {
            ("apply", _) => Ok(Decision::Apply),
            ("keep", Some(reason)) => Ok(Decision::Keep { reason }),
            ("keep", None) => Err(AppError::Unprocessable(
                "Say why you keep your own score.".into(),
            )),
            _ => Err(AppError::Unprocessable(
                "Choose to apply the suggestion or keep your score.".into(),
            )),
        }
    }
}

/// Applies or keeps, against the suggestion as it stands now; `None` if the
/// client is not the user's.
fn decide(
    conn: &mut AnyConnection,
    user: &UserId,
    id: &ClientId,
    decision: &Decision,
    today: NaiveDate,
    now: NaiveDateTime,
) -> Result<Option<String>, AppError> {
    let Some(client) = clients::find(conn, user, id)? else {
        return Ok(None);
    };
    let suggested = suggestion_for(&client, &projects::for_client(conn, user, id)?, today);
    let event = |action| {
        AuditEvent::new(action, now)
            .user(user)
            .entity("client", id.as_str())
    };
    let words = match decision {
        Decision::Apply => format!(
            "Health is now {} (was {}).",
            suggested.score.label().to_lowercase(),
            client.health_score.label().to_lowercase()
        ),
        Decision::Keep { .. } => format!(
            "Kept {} as the health score; your reason is in the timeline.",
            client.health_score.label().to_lowercase()
        ),
    };
    match decision {
        Decision::Apply => {
            clients::set_health(conn, user, id, suggested.score, now)?;
            audit::record(
                conn,
                event(AuditAction::HealthChanged).details(serde_json::json!({
                    "health": [client.health_score, suggested.score],
                    "source": format!("Suggested score applied ({} points)", suggested.total),
                })),
            )?;
        }
        Decision::Keep { reason } => audit::record(
            conn,
            event(AuditAction::HealthKept).details(serde_json::json!({
                "score": client.health_score.label(),
                "suggested": suggested.score,
                "reason": reason,
            })),
        )?,
    }
    Ok(Some(words))
}

pub async fn decide_health(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    path: web::Path<ClientId>,
    form: web::Form<HealthForm>,
) -> Result<HttpResponse, AppError> {
    let decision = form.decision()?;
    let today = user.today(state.clock.now());
    let (id, target, now) = (user.id().clone(), path.into_inner(), state.clock.stamp());
    let back = format!("/clients/{target}");
    let words = state
        .db_write_as(&user, move |conn| {
            decide(conn, &id, &target, &decision, today, now)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let notice = Notice::new(words);
    Ok(see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}
