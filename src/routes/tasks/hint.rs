//! `GET /tasks/client-hint?project_id=…&client_id=…`: what the block editor
//! says about the chosen project's client (or the client chosen without a
//! project) while planning — its earnings per hour this month,
//! and a warning (never a refusal) when its payments are overdue, with the
//! amount still open on its projects. htmx asks for it when the editor opens
//! and when the project changes; without JavaScript the form works without it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::{clients, insight, projects};
use crate::domain::insight::Earnings;
use crate::domain::*;
use crate::error::AppError;
use crate::routes::clients::show::{earnings, periods};
use crate::state::AppState;
use crate::web::html;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HintQuery {
    pub project_id: String,
    pub client_id: String,
}

#[derive(Template)]
#[template(path = "tasks/client_hint.html")]
pub struct ClientHint {
    pub client: Option<(ClientId, String)>,
    pub per_hour: Option<String>,
    pub month: Earnings,
    /// Open on the client's projects, when its payments are overdue.
    pub overdue: Option<String>,
}

pub async fn hint(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<HintQuery>,
) -> Result<HttpResponse, AppError> {
    let empty = ClientHint {
        client: None,
        per_hour: None,
        month: Earnings::default(),
        overdue: None,
    };
    // The project's client when a project is chosen, else the client chosen.
    let project = ProjectId::parse(query.project_id.trim()).ok();
    let named = ClientId::parse(query.client_id.trim()).ok();
    if project.is_none() && named.is_none() {
        return html(StatusCode::OK, &empty);
    }
    let (id, now) = (user.id().clone(), state.clock.now());
    let today = user.today(now);
    let found = state
        .db(move |conn| {
            let client_id = match (project, named) {
                (Some(project), _) => match projects::find(conn, &id, &project)? {
                    Some(project) => project.client_id,
                    None => return Ok(None),
                },
                (None, Some(client)) => client,
                (None, None) => return Ok(None),
            };
            let Some(client) = clients::find(conn, &id, &client_id)? else {
                return Ok(None);
            };
            let (since, end) = periods(today);
            let work = insight::client_history(conn, &id, &client.id, since, end)?;
            let open = (client.payment_status == PaymentStatus::Overdue)
                .then(|| insight::overdue(conn, &id))
                .transpose()?
                .and_then(|late| late.into_iter().find(|o| o.client == client.id))
                .map(|o| o.open);
            Ok(Some((client, work, open)))
        })
        .await?;
    let Some((client, work, open)) = found else {
        return html(StatusCode::OK, &empty);
    };
    let month = earnings(&client, &work, &user.dates(now), today)[0].1;
    let money = &crate::web::PageContext::for_user(&user, "today").money_format;
    html(
        StatusCode::OK,
        &ClientHint {
            per_hour: month.per_hour().map(|r| format!("{}/h", money.show(r))),
            month,
            overdue: open.map(|o| money.show(o)),
            client: Some((client.id, client.name)),
        },
    )
}
