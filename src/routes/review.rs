//! `/review?week=2026-W49`: the weekly review — where the week's hours went
//! (planned against done, by category and by day, as charts with their
//! tables), what each client brought in per hour of work, retainer hours owed,
//! projects that will slip, money paid and open, contacts made and follow-ups
//! due next week, goals with their pace, and the week's note (edited in place,
//! with or without JavaScript). Weeks are ISO weeks, Monday to Sunday.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::insight::{self, ProjectForecast, WeekWork, WeeklyNote};
use crate::domain::insight::{
    Earnings, RetainerHours, hours_short, hours_words, month_start, next_month, retainer_share,
};
use crate::domain::*;
use crate::error::AppError;
use crate::routes::command::view::{
    GoalCard, apply_paces, draw_paces, goal_cards, pace_reads, read_paces,
};
use crate::state::AppState;
use crate::web::chart::{Column, Columns, PairBars, PairRow, Segment};
use crate::web::forms::multiline;
use crate::web::{PageContext, Value, html};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReviewQuery {
    pub week: String,
}

/// The Monday of the ISO week `2026-W49` (or of the week holding `2026-12-03`);
/// `today`'s week when empty.
pub fn week_monday(raw: &str, today: NaiveDate) -> Result<NaiveDate, AppError> {
    let raw = raw.trim();
    let monday = |d: NaiveDate| d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    if raw.is_empty() {
        return Ok(monday(today));
    }
    let iso = raw.split_once("-W").and_then(|(y, w)| {
        NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, Weekday::Mon)
    });
    iso.or_else(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().map(monday))
        .ok_or_else(|| {
            AppError::Unprocessable(format!(
                "“{}” is not a week: write it as 2026-W49.",
                raw.chars().take(40).collect::<String>()
            ))
        })
}

/// `2026-W49`.
pub fn week_name(monday: NaiveDate) -> String {
    let w = monday.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// One client's week.
pub struct ClientWeek {
    pub id: ClientId,
    pub name: String,
    pub earnings: Earnings,
    /// Retainer hours this month, if the client has them.
    pub capacity: Option<RetainerHours>,
}

/// Everything the review reads: the week's work (kept in the review cache
/// while the user's data stays at one version) and what is read each time —
/// the note and the recorded trend (notes and recorded days do not bump the
/// data version).
struct ReviewData {
    work: Arc<WeekWork>,
    note: Option<WeeklyNote>,
    /// Recorded monthly recurring revenue and pipeline of the last 12 months.
    trend: Vec<(NaiveDate, Decimal, Decimal)>,
    /// Today's figures, and the last recorded day's.
    live: (Decimal, Decimal),
    last: Option<(NaiveDate, Decimal, Decimal)>,
}

impl ReviewData {
    fn load(
        conn: &mut AnyConnection,
        user: &UserId,
        work: Arc<WeekWork>,
        today: NaiveDate,
    ) -> Result<Self, AppError> {
        let year_ago = month_start(today)
            .checked_sub_months(chrono::Months::new(11))
            .unwrap_or(today);
        let trend = insight::business_days(conn, user, year_ago)?;
        // The last recorded day is the trend's, unless none is this recent.
        let last = match trend.last() {
            Some(day) => Some(*day),
            None => insight::last_business_day(conn, user)?,
        };
        Ok(ReviewData {
            live: (
                work.mrr,
                crate::db::models::clients::open_pipeline(conn, user)?,
            ),
            trend,
            last,
            note: insight::note(conn, user, work.monday)?,
            work,
        })
    }
}

#[derive(Template)]
#[template(path = "review.html", blocks = ["note_section"])]
pub struct ReviewPage {
    pub ctx: PageContext,
    pub monday: NaiveDate,
    pub week: String,
    pub previous: String,
    pub next: String,
    pub is_current: bool,
    pub by_category: PairBars,
    pub by_day: Columns,
    /// Category, planned and done minutes, for the table beside the chart.
    pub category_rows: Vec<(TaskCategory, i64, i64)>,
    pub day_rows: Vec<(NaiveDate, i64, i64)>,
    pub clients: Vec<ClientWeek>,
    pub slipping: Vec<ProjectForecast>,
    /// Open projects with an estimate but no work in the last four weeks.
    pub unpaced: usize,
    pub goals: Vec<GoalCard>,
    pub note: WeeklyNote,
    pub note_errors: Vec<(&'static str, String)>,
    pub note_saved: bool,
    pub contacts: i64,
    pub followups: Vec<(ClientId, String, String)>,
    pub paid: Decimal,
    pub open_on_projects: Decimal,
    /// The last 12 months: (month, MRR, pipeline) at each month's end (today
    /// for this month); `None` before recording began.
    pub months: Vec<(NaiveDate, Option<(Decimal, Decimal)>)>,
    pub mrr_chart: Columns,
    pub pipeline_chart: Columns,
}

impl ReviewPage {
    pub fn hours(&self, minutes: impl Value<i64>) -> String {
        hours_words(minutes.value())
    }
    pub fn money(&self, amount: impl Value<Decimal>) -> String {
        self.ctx.money_format.show(amount.value())
    }
    pub fn per_hour(&self, e: &Earnings) -> String {
        e.per_hour().map_or_else(
            || "—".into(),
            |rate| format!("{}/h", self.ctx.money_format.show(rate)),
        )
    }
    pub fn planned_total(&self) -> i64 {
        self.category_rows.iter().map(|r| r.1).sum()
    }
    pub fn done_total(&self) -> i64 {
        self.category_rows.iter().map(|r| r.2).sum()
    }
    pub fn span(&self) -> String {
        let sunday = self.monday + Duration::days(6);
        format!(
            "{} – {}",
            self.monday.format("%b %-d"),
            sunday.format("%b %-d, %Y")
        )
    }
    pub fn field_error(&self, field: &str) -> Option<String> {
        self.note_errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.clone())
    }
    pub fn text<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or_default()
    }
}

fn build(
    user: &CurrentUser,
    monday: NaiveDate,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
    data: ReviewData,
    forecasts: &[ProjectForecast],
) -> ReviewPage {
    let end = monday + Duration::days(7);
    // Hours by category: planned and done.
    let mut by_category: BTreeMap<TaskCategory, (i64, i64)> = BTreeMap::new();
    let mut by_day: BTreeMap<NaiveDate, (i64, i64)> = (0..7)
        .map(|i| (monday + Duration::days(i), (0, 0)))
        .collect();
    for m in &data.work.minutes {
        let c = by_category.entry(m.category).or_default();
        c.0 += m.planned;
        c.1 += m.done;
        let d = by_day.entry(m.day).or_default();
        d.0 += m.planned;
        d.1 += m.done;
    }
    let category_rows: Vec<(TaskCategory, i64, i64)> =
        by_category.iter().map(|(c, (p, d))| (*c, *p, *d)).collect();
    let pair_bars = PairBars {
        id: "chart-categories".into(),
        title: "Hours by category: planned and done".into(),
        desc: if category_rows.is_empty() {
            "No blocks this week.".into()
        } else {
            category_rows
                .iter()
                .map(|(c, p, d)| {
                    format!(
                        "{}: {} done of {} planned",
                        c.label(),
                        hours_words(*d),
                        hours_words(*p)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        },
        rows: category_rows
            .iter()
            .map(|(c, p, d)| PairRow {
                label: c.label().into(),
                class: c.css(),
                planned: *p,
                done: *d,
                value: format!("{} / {}", hours_short(*d), hours_short(*p)),
            })
            .collect(),
    };
    let columns = Columns {
        id: "chart-days".into(),
        title: "Hours planned and done by day".into(),
        desc: by_day
            .iter()
            .map(|(day, (p, d))| {
                format!(
                    "{}: {} done of {} planned",
                    day.format("%A"),
                    hours_words(*d),
                    hours_words(*p)
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        columns: by_day
            .keys()
            .map(|day| Column {
                label: day.format("%a %-d").to_string(),
                total: hours_short(by_day[day].1),
                planned: Some(by_day[day].0),
                segments: data
                    .work
                    .minutes
                    .iter()
                    .filter(|m| m.day == *day && m.done > 0)
                    .map(|m| Segment {
                        class: m.category.css(),
                        label: format!("{} {}", m.category.label(), hours_words(m.done)),
                        amount: m.done,
                    })
                    .collect(),
            })
            .collect(),
    };
    // Clients: hours done, retainer share and payments of the week.
    let capacities: HashMap<&ClientId, &RetainerHours> = data
        .work
        .capacities
        .iter()
        .map(|(c, cap)| (&c.id, cap))
        .collect();
    let mut clients: Vec<ClientWeek> = data
        .work
        .terms
        .iter()
        .map(|c| ClientWeek {
            id: c.id.clone(),
            name: c.name.clone(),
            earnings: Earnings {
                retainer: c
                    .monthly_retainer
                    .map_or(Decimal::ZERO, |r| retainer_share(r.amount(), monday, end)),
                payments: data
                    .work
                    .paid_by_client
                    .get(&c.id)
                    .copied()
                    .unwrap_or_default(),
                minutes: data
                    .work
                    .done_by_client
                    .get(&c.id)
                    .copied()
                    .unwrap_or_default(),
            },
            capacity: capacities.get(&c.id).map(|c| **c),
        })
        .filter(|c| {
            c.earnings.minutes > 0 || !c.earnings.earned().is_zero() || c.capacity.is_some()
        })
        .collect();
    clients.sort_by(|a, b| {
        b.earnings
            .earned()
            .cmp(&a.earnings.earned())
            .then(a.name.cmp(&b.name))
    });
    let dates = user.dates(now);
    let paid = data.work.paid_by_client.values().copied().sum();
    // Twelve months, each at its last recorded day (carried forward), this one live.
    let this_month = month_start(today);
    let months: Vec<(NaiveDate, Option<(Decimal, Decimal)>)> = (0..12u32)
        .rev()
        .map(|back| {
            let month = this_month
                .checked_sub_months(chrono::Months::new(back))
                .unwrap_or(this_month);
            let value = if back == 0 {
                Some(data.live)
            } else {
                data.trend
                    .iter()
                    .rev()
                    .find(|(day, _, _)| *day < next_month(month))
                    .map(|(_, m, p)| (*m, *p))
            };
            (month, value)
        })
        .collect();
    let trend_chart =
        |id: &str, title: &str, class: &str, pick: fn(&(Decimal, Decimal)) -> Decimal| {
            let money = &crate::web::PageContext::for_user(user, "review").money_format;
            Columns {
                id: id.into(),
                title: title.into(),
                desc: months
                    .iter()
                    .map(|(m, v)| {
                        format!(
                            "{}: {}",
                            m.format("%B %Y"),
                            v.as_ref()
                                .map_or("not recorded".into(), |v| money.show(pick(v)))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                columns: months
                    .iter()
                    .map(|(m, v)| Column {
                        label: m.format("%b").to_string(),
                        total: v.as_ref().map_or("".into(), |v| short_money(pick(v))),
                        segments: v
                            .as_ref()
                            .map(|v| Segment {
                                class: class.into(),
                                label: money.show(pick(v)),
                                amount: pick(v).round().try_into().unwrap_or(0),
                            })
                            .into_iter()
                            .collect(),
                        planned: None,
                    })
                    .collect(),
            }
        };
    let mrr_chart = trend_chart(
        "chart-mrr",
        "Monthly recurring revenue, last 12 months",
        "bar-mrr",
        |v| v.0,
    );
    let pipeline_chart = trend_chart(
        "chart-pipeline",
        "Open pipeline, last 12 months",
        "bar-pipeline",
        |v| v.1,
    );
    ReviewPage {
        ctx: PageContext::for_user(user, "review"),
        monday,
        week: week_name(monday),
        previous: week_name(monday - Duration::days(7)),
        next: week_name(end),
        is_current: (monday..end).contains(&today),
        by_category: pair_bars,
        by_day: columns,
        category_rows,
        day_rows: by_day.iter().map(|(d, (p, x))| (*d, *p, *x)).collect(),
        clients,
        unpaced: forecasts
            .iter()
            .filter(|f| f.forecast.slips_by().is_none())
            .count(),
        slipping: forecasts
            .iter()
            .filter(|f| f.forecast.slips_by().is_some_and(|days| days > 0))
            .cloned()
            .collect(),
        goals: goal_cards(data.work.goals.clone(), user, now)
            .into_iter()
            .filter(|g| !g.done())
            .collect(),
        note: data.note.unwrap_or_default(),
        note_errors: Vec::new(),
        note_saved: false,
        contacts: data.work.contacts,
        followups: data
            .work
            .followups
            .iter()
            .map(|(id, name, at)| (id.clone(), name.clone(), dates.date(at)))
            .collect(),
        paid,
        open_on_projects: data.work.open_on_projects,
        months,
        mrr_chart,
        pipeline_chart,
    }
}

/// "12k", "1.5k", "900": an amount in a chart's tight label.
fn short_money(amount: Decimal) -> String {
    let whole: i64 = amount.round().try_into().unwrap_or(0);
    match whole.abs() {
        0..1_000 => whole.to_string(),
        1_000..10_000 => format!("{:.1}k", whole as f64 / 1_000.0),
        _ => format!("{}k", whole / 1_000),
    }
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    monday: NaiveDate,
) -> Result<ReviewPage, AppError> {
    let now = state.clock.now();
    let today = user.today(now);
    let (id, zone) = (user.id().clone(), user.user.timezone);
    let version = user.user.data_version;
    let key = (monday, today);
    let cache = state.review_cache.clone();
    // A week kept from an earlier view: its goals say what the pace charts
    // read, in the same call as the rest.
    let kept = cache.get(&id, version, &key);
    let paces = kept
        .as_ref()
        .and_then(|work| pace_reads(&goal_cards(work.goals.clone(), user, now)));
    let (data, steps) = state
        .db(move |conn| {
            let work = match kept {
                Some(hit) => hit,
                None => {
                    let work = Arc::new(insight::week_work(conn, &id, zone, monday, today)?);
                    cache.put(id.clone(), version, key, work.clone());
                    work
                }
            };
            let steps = match &paces {
                Some((charted, since)) => Some(read_paces(conn, charted, *since)?),
                None => None,
            };
            Ok((ReviewData::load(conn, &id, work, today)?, steps))
        })
        .await?;
    // Today's figures are recorded when they differ from the last recorded
    // day's (or today has none): most views write nothing.
    let (mrr, pipeline) = data.live;
    if data.last != Some((today, mrr, pipeline)) {
        let id = user.id().clone();
        state
            .db_write_as(user, move |conn| {
                Ok(insight::record_business_day(
                    conn, &id, today, mrr, pipeline,
                )?)
            })
            .await?;
    }
    // The business days and notes are not what forecasts read: the session's
    // version holds for them even after the write above.
    let forecasts = state.forecasts(user, Some(user.user.data_version)).await?;
    let mut page = build(user, monday, today, now, data, &forecasts);
    match steps {
        Some(steps) => apply_paces(user, &mut page.goals, &steps),
        None => draw_paces(state, user, &mut page.goals).await?,
    }
    Ok(page)
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<ReviewQuery>,
) -> Result<HttpResponse, AppError> {
    let monday = week_monday(&query.week, user.today(state.clock.now()))?;
    html(StatusCode::OK, &page(&state, &user, monday).await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoteForm {
    pub week: String,
    pub went_well: String,
    pub to_change: String,
    pub intentions: String,
}

/// `POST /review/note`: saves the week's note; htmx gets the note section
/// back, a plain form the review page again.
pub async fn save_note(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<NoteForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let monday = week_monday(&form.week, user.today(state.clock.now()))?;
    let mut errors = Vec::new();
    let mut field = |name: &'static str, label: &str, raw: &str| {
        multiline(raw, label, 5000).unwrap_or_else(|e| {
            errors.push((name, e));
            None
        })
    };
    let note = WeeklyNote {
        went_well: field("went_well", "What went well", &form.went_well),
        to_change: field("to_change", "What to change", &form.to_change),
        intentions: field("intentions", "Next week's intentions", &form.intentions),
    };
    let htmx = crate::web::is_htmx(&req);
    if !errors.is_empty() {
        let mut page = page(&state, &user, monday).await?;
        page.note = WeeklyNote {
            went_well: Some(form.went_well),
            to_change: Some(form.to_change),
            intentions: Some(form.intentions),
        };
        page.note_errors = errors;
        return if htmx {
            html(StatusCode::UNPROCESSABLE_ENTITY, &page.as_note_section())
        } else {
            html(StatusCode::UNPROCESSABLE_ENTITY, &page)
        };
    }
    let (id, now, saved) = (user.id().clone(), state.clock.stamp(), note.clone());
    state
        .db_write_as(&user, move |conn| {
            Ok(insight::save_note(conn, &id, monday, &saved, now)?)
        })
        .await?;
    if htmx {
        let mut page = page(&state, &user, monday).await?;
        page.note_saved = true;
        return html(StatusCode::OK, &page.as_note_section());
    }
    let notice = Notice::new(format!(
        "Saved the note of week {}.",
        monday.iso_week().week()
    ));
    Ok(crate::web::notice::see_other_with(
        &req,
        &format!("/review?week={}#note", week_name(monday)),
        Some(&notice),
        state.sessions.secure,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_is_named_and_read_as_iso() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(week_monday("", today).unwrap(), monday);
        assert_eq!(week_monday("2026-W49", today).unwrap(), monday);
        assert_eq!(week_monday("2026-12-03", today).unwrap(), monday);
        assert_eq!(week_name(monday), "2026-W49");
        // The first ISO week of 2027 starts on Monday, January 4.
        assert_eq!(
            week_monday("2027-W01", today).unwrap(),
            NaiveDate::from_ymd_opt(2027, 1, 4).unwrap()
        );
        assert!(week_monday("2026-W60", today).is_err());
        assert!(week_monday("soon", today).is_err());
    }
}
