//! `/clients`: the list with filters, search, sort and headline figures (monthly
//! recurring revenue, open pipeline, health counts).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::clients::{self, Client, ClientFigures, ClientFilter, ClientSort};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::text;
use crate::web::{PageContext, html};

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
    pub dates: LocalDates,
}

impl ClientsPage {
    pub fn mrr(&self) -> String {
        self.ctx.money_format.show(self.figures.monthly_recurring)
    }
    pub fn pipeline(&self) -> String {
        self.ctx.money_format.show(self.figures.open_pipeline)
    }
    /// The next follow-up's day in the user's zone ("today", "Dec 9").
    pub fn followup(&self, c: &Client) -> String {
        c.next_followup
            .map(|f| self.dates.date(&f))
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
            dates: user.dates(state.clock.now()),
        },
    )
}
