//! `/clients/{id}`: the client page — contact card, follow-up, health explained,
//! opportunities, credentials, projects, files and the timeline.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate, NaiveDateTime};

use super::health::suggestion_for;
use super::timeline::TimelineEntry;
use crate::auth::CurrentUser;
use crate::db::models::audit;
use crate::db::models::clients::{self, Client};
use crate::db::models::opportunities::{self, Opportunity};
use crate::db::models::projects::{self, Project};
use crate::db::models::{insight, payments};
use crate::domain::health::Suggestion;
use crate::domain::insight::{Earnings, hours_words, month_start, retainer_share};
use crate::domain::*;
use crate::error::AppError;
use crate::routes::assets::section::{FilesData, FilesSection};
use crate::state::AppState;
use crate::web::{PageContext, html};

#[derive(Template)]
#[template(path = "clients/show.html")]
pub struct ClientPage {
    pub ctx: PageContext,
    pub client: Client,
    pub projects: Vec<Project>,
    pub followup_due: bool,
    pub suggestion: Suggestion,
    pub timeline: Vec<TimelineEntry>,
    pub opportunities: Vec<Opportunity>,
    pub files: FilesSection,
    /// Payments recorded this calendar year (in the user's zone), and the year.
    pub paid_this_year: rust_decimal::Decimal,
    pub year: i32,
    /// Earnings per hour this month, over the last three months and in all.
    pub earnings: Vec<(&'static str, Earnings)>,
    /// Stored instants in the user's zone.
    pub dates: LocalDates,
}

impl ClientPage {
    pub fn money(&self, m: &Option<Money>) -> String {
        m.map(|m| self.ctx.money(m)).unwrap_or_else(|| "—".into())
    }
    /// What the client's projects still owe (budget less paid, where a budget is set).
    pub fn open_amount(&self) -> String {
        let open: rust_decimal::Decimal = self
            .projects
            .iter()
            .filter_map(Project::open)
            .map(|open| open.max(0.into()))
            .sum();
        self.ctx.money_format.show(open)
    }
    /// "€560.22/h", or a dash without work to divide by.
    pub fn per_hour(&self, e: &Earnings) -> String {
        e.per_hour().map_or_else(
            || "—".into(),
            |rate| format!("{}/h", self.ctx.money_format.show(rate)),
        )
    }
    pub fn earned(&self, e: &Earnings) -> String {
        format!(
            "{} in {}",
            self.ctx.money_format.show(e.earned()),
            hours_words(e.minutes)
        )
    }
    pub fn paid_this_year(&self) -> String {
        self.ctx.money_format.show(self.paid_this_year)
    }
    /// What the client has paid on its projects so far.
    pub fn paid_amount(&self) -> String {
        let paid = Money::total(self.projects.iter().map(|p| &p.paid_amount));
        self.ctx.money_format.show(paid)
    }
    pub fn when(&self, t: &Option<NaiveDateTime>) -> String {
        t.map(|t| self.dates.date(&t))
            .unwrap_or_else(|| "never".into())
    }
    /// "3 days ago", for a past instant more than a day back.
    pub fn ago(&self, t: &Option<NaiveDateTime>) -> Option<String> {
        let day = self.dates.local(&(*t)?).date();
        let days = (self.dates.zone.today(self.dates.now) - day).num_days();
        match days {
            2..=60 => Some(format!("{days} days ago")),
            61.. => Some(format!("{} months ago", days / 30)),
            _ => None,
        }
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

/// The days the earnings periods start (this month, and the two months before
/// it too), and the day after `today` that ends them all.
pub fn periods(today: NaiveDate) -> ([NaiveDate; 2], NaiveDate) {
    let month = month_start(today);
    let three = month
        .checked_sub_months(chrono::Months::new(2))
        .unwrap_or(month);
    ([month, three], today + chrono::Duration::days(1))
}

/// Earnings per hour this month, over this and the two months before, and
/// since the client's first work, payment or creation (whichever is first);
/// each period up to today, its retainer share up to today too. `work` was
/// read for `periods(today)`.
pub fn earnings(
    client: &Client,
    work: &insight::ClientWork,
    dates: &LocalDates,
    today: NaiveDate,
) -> Vec<(&'static str, Earnings)> {
    let ([month, three], end) = periods(today);
    let paid: Vec<(NaiveDate, rust_decimal::Decimal)> = work
        .payments
        .iter()
        .map(|(at, m)| (dates.local(at).date(), *m))
        .collect();
    let first = [
        dates.local(&client.created_at).date(),
        work.first_day.unwrap_or(today),
        paid.iter().map(|p| p.0).min().unwrap_or(today),
    ]
    .into_iter()
    .min()
    .unwrap_or(today);
    // Every day worked is on or after `first`, so "since three months" is
    // the same sum as "since three months or the first day, if later".
    let over = |from: NaiveDate, minutes: i64| Earnings {
        retainer: client
            .monthly_retainer
            .map_or(rust_decimal::Decimal::ZERO, |r| {
                retainer_share(r.amount(), from, end)
            }),
        payments: paid
            .iter()
            .filter(|p| p.0 >= from && p.0 < end)
            .map(|p| p.1)
            .sum(),
        minutes,
    };
    vec![
        ("This month", over(month, work.minutes_since[0])),
        (
            "Last 3 months",
            over(three.max(first), work.minutes_since[1]),
        ),
        ("All time", over(first, work.minutes)),
    ]
}

/// Everything the client page reads, in one database call.
struct ClientData {
    client: Client,
    projects: Vec<Project>,
    history: Vec<audit::AuditEntry>,
    opportunities: Vec<Opportunity>,
    files: FilesData,
    paid_this_year: rust_decimal::Decimal,
    /// DONE minutes and payments, for `periods(today)`.
    work: insight::ClientWork,
}

impl ClientData {
    fn load(
        conn: &mut crate::db::AnyConnection,
        user: &UserId,
        id: &ClientId,
        year: (NaiveDateTime, NaiveDateTime),
        today: NaiveDate,
    ) -> Result<Self, AppError> {
        let (since, end) = periods(today);
        // The client first: someone else's id stops here, with a 404.
        let client = clients::find(conn, user, id)?.ok_or(AppError::NotFound)?;
        Ok(ClientData {
            work: insight::client_history(conn, user, id, since, end)?,
            paid_this_year: payments::paid_between(conn, user, id, year.0, year.1)?,
            client,
            projects: projects::for_client(conn, user, id)?,
            history: audit::for_entity(conn, user, "client", id.as_str(), 50)?,
            opportunities: opportunities::for_client(conn, user, id)?,
            files: FilesData::load(conn, user, Some(id), None)?,
        })
    }
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> Result<HttpResponse, AppError> {
    let (id, target) = (user.id().clone(), path.into_inner());
    let now = state.clock.now();
    let today = user.today(now);
    let zone = user.user.timezone;
    let year = today.year();
    let new_year = |y: i32| {
        let day = chrono::NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(today);
        zone.to_utc(day.and_time(chrono::NaiveTime::MIN))
            .naive_utc()
    };
    let span = (new_year(year), new_year(year + 1));
    let data = state
        .db(move |conn| ClientData::load(conn, &id, &target, span, today))
        .await?;
    let end_of_today = user.user.timezone.end_of_day(today);
    let return_to = format!("/clients/{}", data.client.id);
    let page = ClientPage {
        ctx: PageContext::for_user(&user, "clients"),
        dates: user.dates(now),
        followup_due: data.client.next_followup.is_some_and(|f| f < end_of_today),
        suggestion: suggestion_for(&data.client, &data.projects, today),
        timeline: data
            .history
            .into_iter()
            .map(TimelineEntry::from_audit)
            .collect(),
        opportunities: data.opportunities,
        files: FilesSection::new(&user, &state, data.files, return_to),
        earnings: earnings(&data.client, &data.work, &user.dates(now), today),
        client: data.client,
        projects: data.projects,
        paid_this_year: data.paid_this_year,
        year,
    };
    html(StatusCode::OK, &page)
}
