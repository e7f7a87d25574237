//! `/`: the day builder. The day's timeline, the week strip, the backlog and the
//! capacity live in one `#day-plan` section that block actions re-render; the side
//! panels show goals, the activity catalog and what needs attention between blocks.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::{BlockView, GoalCard, goal_cards, local_now};
use crate::auth::CurrentUser;
use crate::db::day::{DayData, DayKey};
use crate::db::models::activities::Activity;
use crate::db::models::clients::AttentionClient;
use crate::db::models::projects::DueProject;
use crate::db::models::users;
use crate::domain::plan::{self, Capacity, Span};
use crate::domain::{HealthScore, PaymentStatus, TaskStatus, TimeOfDay};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html};

#[derive(Debug, Clone)]
pub struct WeekCell {
    pub date: NaiveDate,
    pub count: usize,
    pub minutes: u32,
    pub selected: bool,
    pub today: bool,
}

#[derive(Debug, Clone)]
pub struct HourMark {
    pub label: String,
    pub row: u16,
}

#[derive(Debug, Clone)]
pub struct SlotView {
    pub time: TimeOfDay,
    pub minutes: u16,
    pub grid: String,
}

/// Everything inside `#day-plan`.
pub struct DayPlan {
    pub day: NaiveDate,
    pub today: NaiveDate,
    pub week: Vec<WeekCell>,
    pub rows_class: String,
    pub lanes_class: String,
    pub hours: Vec<HourMark>,
    pub blocks: Vec<BlockView>,
    /// Blocks of the day without a start time, or outside the planning window.
    pub anytime: Vec<BlockView>,
    pub slots: Vec<SlotView>,
    pub backlog: Vec<BlockView>,
    pub capacity: Capacity,
    pub done_minutes: u32,
    pub overlap_count: usize,
    pub carry_over: i64,
    pub return_to: String,
    pub csrf: String,
}

impl DayPlan {
    pub fn is_today(&self) -> bool {
        self.day == self.today
    }
    pub fn prev_day(&self) -> NaiveDate {
        self.day - Duration::days(1)
    }
    pub fn next_day(&self) -> NaiveDate {
        self.day + Duration::days(1)
    }
    pub fn prev_week(&self) -> NaiveDate {
        self.day - Duration::days(7)
    }
    pub fn next_week(&self) -> NaiveDate {
        self.day + Duration::days(7)
    }
    pub fn tomorrow(&self) -> NaiveDate {
        self.today + Duration::days(1)
    }
    pub fn booked(&self) -> String {
        Capacity::human(self.capacity.booked)
    }
    pub fn available(&self) -> String {
        Capacity::human(self.capacity.capacity)
    }
    pub fn done(&self) -> String {
        Capacity::human(self.done_minutes)
    }
    pub fn meter(&self) -> String {
        format!("w-{}", (self.capacity.percent().min(100) / 5) * 5)
    }
}

/// The day's data at `version`: from the cache when it holds that version, else
/// read (and cached). Without a version, it is read first: a request that has just
/// written cannot use the one its session was loaded with.
async fn day_data(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    key: DayKey,
    version: Option<i64>,
) -> Result<Arc<DayData>, AppError> {
    if let Some(hit) = version.and_then(|v| state.day_cache.get(user.id(), v, &key)) {
        return Ok(hit);
    }
    let cache = state.day_cache.clone();
    let id = user.id().clone();
    state
        .db(move |conn| {
            let version = match version {
                Some(v) => v,
                None => {
                    let v = users::data_version(conn, &id)?;
                    if let Some(hit) = cache.get(&id, v, &key) {
                        return Ok(hit);
                    }
                    v
                }
            };
            let data = Arc::new(DayData::load(conn, &id, &key)?);
            cache.put(id, version, key, data.clone());
            Ok(data)
        })
        .await
}

/// The plan of `day` from the week's data.
pub fn plan_from(data: &DayData, user: &CurrentUser, day: NaiveDate, today: NaiveDate) -> DayPlan {
    let prefs = &user.user.preferences.0;
    let week_start = plan::week_start(day, prefs.week_starts_on.weekday());
    let rows = &data.rows;
    let carry_over = data.carry_over;

    let week = (0..7)
        .map(|i| {
            let date = week_start + Duration::days(i);
            let of_day = rows.iter().filter(|r| r.task.scheduled_date == Some(date));
            WeekCell {
                date,
                count: of_day.clone().count(),
                minutes: of_day
                    .map(|r| u32::from(r.task.time_block_minutes.get()))
                    .sum(),
                selected: date == day,
                today: date == today,
            }
        })
        .collect();

    let window = prefs.day_window();
    let day_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.task.scheduled_date == Some(day))
        .collect();
    let timed: Vec<_> = day_rows
        .iter()
        .filter(|r| r.task.scheduled_time.is_some())
        .collect();
    let spans: Vec<Span> = timed
        .iter()
        .filter_map(|r| {
            r.task
                .scheduled_time
                .map(|t| Span::new(t, r.task.time_block_minutes.get()))
        })
        .collect();
    let placements = plan::layout(window, &spans);
    let mut blocks = Vec::new();
    let mut anytime: Vec<BlockView> = day_rows
        .iter()
        .filter(|r| r.task.scheduled_time.is_none())
        .map(|r| BlockView::from_row(r))
        .collect();
    for (row, placement) in timed.iter().zip(&placements) {
        match placement {
            Some(p) => blocks.push(BlockView::from_row(row).placed(*p)),
            None => anytime.push(BlockView::from_row(row)),
        }
    }
    let lanes = blocks
        .iter()
        .map(|b| {
            b.grid
                .split("lane-")
                .nth(1)
                .and_then(|l| l.parse::<u8>().ok())
                .unwrap_or(1)
        })
        .max()
        .unwrap_or(1);
    let hours = (window.start.minutes().div_ceil(60)..=window.end.minutes() / 60)
        .filter_map(|h| {
            let minutes = h * 60;
            (minutes < window.end.minutes()).then(|| HourMark {
                label: format!("{h:02}:00"),
                row: (minutes - window.start.minutes()) / plan::ROW_MINUTES + 1,
            })
        })
        .collect();
    let slots = plan::free_slots(window, &spans)
        .into_iter()
        .map(|(time, minutes)| SlotView {
            time,
            minutes,
            grid: format!(
                "r-{} h-{}",
                (time.minutes() - window.start.minutes()) / plan::ROW_MINUTES + 1,
                minutes.div_ceil(plan::ROW_MINUTES)
            ),
        })
        .collect();
    let booked = day_rows
        .iter()
        .map(|r| u32::from(r.task.time_block_minutes.get()))
        .sum();
    let done_minutes = day_rows
        .iter()
        .filter(|r| r.task.status == TaskStatus::Done)
        .map(|r| u32::from(r.task.time_block_minutes.get()))
        .sum();
    let overlap_count = blocks.iter().filter(|b| b.overlaps).count();
    for block in blocks.iter_mut().chain(anytime.iter_mut()) {
        block.files = data.files.get(&block.id).cloned().unwrap_or_default();
    }
    DayPlan {
        day,
        today,
        week,
        rows_class: format!("rows-{}", plan::window_rows(window)),
        lanes_class: format!("lanes-{}", lanes.min(4)),
        hours,
        blocks,
        anytime,
        slots,
        backlog: data.backlog.iter().map(BlockView::from_row).collect(),
        capacity: Capacity {
            booked,
            capacity: u32::from(prefs.work_hours().minutes()),
        },
        done_minutes,
        overlap_count,
        carry_over,
        return_to: format!("/?date={day}"),
        csrf: user.csrf_token.clone(),
    }
}

/// What to check between blocks.
pub struct Attention {
    pub followups: Vec<AttentionClient>,
    pub at_risk: Vec<AttentionClient>,
    pub overdue_payments: Vec<AttentionClient>,
    pub projects_due: Vec<DueProject>,
    pub today: NaiveDate,
}

impl Attention {
    pub fn is_empty(&self) -> bool {
        self.followups.is_empty()
            && self.at_risk.is_empty()
            && self.overdue_payments.is_empty()
            && self.projects_due.is_empty()
    }

    pub fn late(&self, project: &DueProject) -> bool {
        project.due_date.is_some_and(|d| d < self.today)
    }
}

fn attention_from(data: &DayData, key: &DayKey) -> Attention {
    let clients = &data.attention_clients;
    let followups = clients
        .iter()
        .filter(|c| c.next_followup.is_some_and(|f| f <= key.due_by))
        .cloned()
        .collect();
    let at_risk = clients
        .iter()
        .filter(|c| c.health_score != HealthScore::Green)
        .cloned()
        .collect();
    let overdue_payments = clients
        .iter()
        .filter(|c| c.payment_status == PaymentStatus::Overdue)
        .cloned()
        .collect();
    Attention {
        followups,
        at_risk,
        overdue_payments,
        projects_due: data.projects_due.clone(),
        today: key.today,
    }
}

#[derive(Template)]
#[template(path = "command/day.html")]
pub struct DayPage {
    pub ctx: PageContext,
    pub plan: DayPlan,
    pub goals: Vec<GoalCard>,
    pub catalog: Vec<Activity>,
    pub attention: Attention,
    pub plan_oob: bool,
    pub goals_oob: bool,
}

#[derive(Deserialize)]
pub struct DayQuery {
    date: Option<String>,
}

/// The selected day: `?date=YYYY-MM-DD`, else today in the user's zone.
pub fn chosen_day(raw: Option<&str>, today: NaiveDate) -> Result<NaiveDate, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today),
        Some(text) => crate::web::forms::date(text)
            .map_err(|e| AppError::BadRequest(format!("That is not a day to show: {e}.")))
            .map(|day| day.unwrap_or(today)),
    }
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<DayQuery>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (today, _) = local_now(&user, now);
    let day = chosen_day(query.date.as_deref(), today)?;
    let key = DayKey::new(&user.user, day, today);
    // Nothing was written in this request: the version read with the session holds.
    let data = day_data(&state, &user, key.clone(), Some(user.user.data_version)).await?;
    let page = DayPage {
        ctx: PageContext::for_user(&user, "today"),
        plan: plan_from(&data, &user, day, today),
        goals: goal_cards(data.goals.clone(), &user, now),
        catalog: data.catalog.clone(),
        attention: attention_from(&data, &key),
        plan_oob: false,
        goals_oob: false,
    };
    html(StatusCode::OK, &page)
}

/// The htmx answer to a block action: `#day-plan` again, the goals panel out of band
/// (a completion may have moved a goal), and the editor emptied.
#[derive(Template)]
#[template(path = "command/day_fragment.html")]
pub struct DayFragment {
    pub plan: DayPlan,
    pub goals: Vec<GoalCard>,
    /// The request swapped the editor (a form was saved): the plan goes out of band.
    pub plan_oob: bool,
    pub goals_oob: bool,
}

pub async fn fragment(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    day: Option<NaiveDate>,
    from_editor: bool,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let (today, _) = local_now(user, now);
    let day = day.unwrap_or(today);
    // This request has just written: the version is read again.
    let data = day_data(state, user, DayKey::new(&user.user, day, today), None).await?;
    html(
        StatusCode::OK,
        &DayFragment {
            plan: plan_from(&data, user, day, today),
            goals: goal_cards(data.goals.clone(), user, now),
            plan_oob: from_editor,
            goals_oob: true,
        },
    )
}

/// `HX-Target: day-plan` or `editor` gets the day fragment; other htmx targets and
/// plain requests go back to `return_to`.
pub async fn respond(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    user: &CurrentUser,
    return_to: &str,
) -> Result<HttpResponse, AppError> {
    match super::htmx_target(req).as_deref() {
        Some(target @ ("day-plan" | "editor")) => {
            fragment(state, user, super::date_in(return_to), target == "editor").await
        }
        Some("week-grid") => super::week::fragment(state, user, super::date_in(return_to)).await,
        _ => Ok(super::back_to(req, return_to)),
    }
}
