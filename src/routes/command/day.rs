//! `/`: the day builder. The day's timeline, the week strip, the backlog and the
//! capacity live in one `#day-plan` section that block actions re-render; the side
//! panels show goals, the activity catalog and what needs attention between blocks.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate, TimeZone};
use serde::Deserialize;

use super::{BlockView, GoalCard, goal_cards, local_now};
use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::activities::{self, Activity};
use crate::db::models::clients::{self, AttentionClient};
use crate::db::models::goals;
use crate::db::models::projects::{self, DueProject};
use crate::db::models::tasks;
use crate::domain::plan::{self, Capacity, Span};
use crate::domain::{HealthScore, PaymentStatus, TaskStatus, TimeOfDay};
use crate::error::AppError;
use crate::routes::{PageContext, html};
use crate::startup::AppState;

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

/// Loads the plan of `day`: one query for the week around it (the day's blocks and
/// the strip's counts), one for the backlog, one for the carry-over count.
pub fn load_plan(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    day: NaiveDate,
    today: NaiveDate,
) -> Result<DayPlan, AppError> {
    let prefs = &user.user.preferences.0;
    let week_start = plan::week_start(day, prefs.week_starts_on.weekday());
    let week_end = week_start + Duration::days(6);
    let rows = tasks::in_range(conn, user.id(), week_start, week_end)?;
    let backlog = tasks::backlog(conn, user.id(), 50)?;
    let carry_over = if day == today {
        tasks::unfinished_before(conn, user.id(), today)?
    } else {
        0
    };

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
    // The files each block needs, in one statement (none when the day is empty).
    let ids: Vec<&crate::domain::TaskId> = day_rows.iter().map(|r| &r.task.id).collect();
    let mut files = crate::db::models::assets::linked_to_tasks(conn, user.id(), &ids)?;
    for block in blocks.iter_mut().chain(anytime.iter_mut()) {
        block.files = files.remove(&block.id).unwrap_or_default();
    }
    Ok(DayPlan {
        day,
        today,
        week,
        rows_class: format!("rows-{}", plan::window_rows(window)),
        lanes_class: format!("lanes-{}", lanes.min(4)),
        hours,
        blocks,
        anytime,
        slots,
        backlog: backlog.iter().map(BlockView::from_row).collect(),
        capacity: Capacity {
            booked,
            capacity: u32::from(prefs.work_hours().minutes()),
        },
        done_minutes,
        overlap_count,
        carry_over,
        return_to: format!("/?date={day}"),
        csrf: user.csrf_token.clone(),
    })
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

fn load_attention(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    today: NaiveDate,
) -> Result<Attention, AppError> {
    // "Due today" means before the end of the user's local day, stored in UTC.
    let end_of_today = (today + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    let due_by = user
        .user
        .timezone
        .tz()
        .from_local_datetime(&end_of_today)
        .earliest()
        .map(|t| t.naive_utc())
        .unwrap_or(end_of_today);
    let clients = clients::needing_attention(conn, user.id(), due_by)?;
    let projects_due = projects::due_by(conn, user.id(), today + Duration::days(7))?;
    let followups = clients
        .iter()
        .filter(|c| c.next_followup.is_some_and(|f| f <= due_by))
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
    Ok(Attention {
        followups,
        at_risk,
        overdue_payments,
        projects_due,
        today,
    })
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
        Some(text) => super::forms::date(text)
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
    let who = user.clone();
    let (plan, goals, catalog, attention) = state
        .db(move |conn| {
            let plan = load_plan(conn, &who, day, today)?;
            let goals = goals::list_for_user(conn, who.id())?;
            let catalog = activities::list_active(conn, who.id())?;
            let attention = load_attention(conn, &who, today)?;
            Ok((plan, goals, catalog, attention))
        })
        .await?;
    let page = DayPage {
        ctx: PageContext::for_user(&user, "today"),
        plan,
        goals: goal_cards(goals, &user, now),
        catalog,
        attention,
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
    let who = user.clone();
    let (plan, goals) = state
        .db(move |conn| {
            Ok((
                load_plan(conn, &who, day, today)?,
                goals::list_for_user(conn, who.id())?,
            ))
        })
        .await?;
    html(
        StatusCode::OK,
        &DayFragment {
            plan,
            goals: goal_cards(goals, user, now),
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
