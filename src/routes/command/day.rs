//! `/`: the day builder. The day's timeline, the week strip, the backlog and the
//! capacity live in one `#day-plan` section that block actions re-render; the side
//! panels show goals, the activity catalog and what needs attention between blocks.
//! `command/day.html` is the page and, through its blocks, every htmx answer.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;

use super::view::{BlockView, GoalCard, MAX_LANES, goal_cards};
use crate::auth::CurrentUser;
use crate::db::day::{DayData, DayKey};
use crate::db::models::activities::Activity;
use crate::db::models::clients::AttentionClient;
use crate::db::models::projects::DueProject;
use crate::db::models::tasks::{self, TaskRow};
use crate::db::models::users;
use crate::domain::ClientId;
use crate::domain::insight::{RetainerHours, hours_words};
use crate::domain::plan::{self, Capacity, Span};
use crate::domain::{
    HealthScore, LocalDates, Notice, Onboarding, PaymentStatus, TaskStatus, TimeOfDay,
};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::{PageContext, html, notice};

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
    /// The last closed day's note for this morning: (which day, the note).
    pub morning_note: Option<(String, String)>,
    pub closed: bool,
    /// Today, after the work hours end, while the day is not closed yet.
    pub offer_close: bool,
    /// Today, after the work hours end: "Prepare tomorrow" is offered.
    pub after_hours: bool,
    /// Unfinished blocks of earlier days, offered to bring to today.
    pub carry_over: Vec<BlockView>,
    /// All of them, listed or not.
    pub carry_over_total: i64,
    pub return_to: String,
    pub csrf: String,
}

impl DayPlan {
    /// The earlier days' unfinished blocks the carry-over card does not list.
    pub fn carry_over_rest(&self) -> i64 {
        self.carry_over_total - self.carry_over.len() as i64
    }
    pub fn is_today(&self) -> bool {
        self.day == self.today
    }
    /// Friday to Sunday: the day page offers the week's review.
    pub fn ends_week(&self) -> bool {
        use chrono::Datelike;
        self.day.weekday().number_from_monday() >= 5
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
    let data = read_day(state, user, key.clone(), version).await?;
    if !data.pending {
        return Ok(data);
    }
    // Routine blocks to make or a goal period to close: written once, then read
    // again at the version that made.
    let (id, now) = (user.id().clone(), state.clock.stamp());
    let week = (key.week_start, key.week_start + chrono::Duration::days(6));
    let (today, first_day) = (key.today, key.week_start.weekday());
    state
        .db_write_as(user, move |conn| {
            Ok(crate::db::day::prepare(
                conn, &id, week, today, first_day, now,
            )?)
        })
        .await?;
    read_day(state, user, key, None).await
}

/// The day's data at `version`: from the cache when it holds that version, else
/// read (and cached unless something is pending). Without a version, it is read
/// first: a request that has just written cannot use the one its session was
/// loaded with.
async fn read_day(
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
            if !data.pending {
                cache.put(id, version, key, data.clone());
            }
            Ok(data)
        })
        .await
}

/// The plan of `day` from the week's data.
pub fn plan_from(
    data: &DayData,
    user: &CurrentUser,
    day: NaiveDate,
    (today, now): (NaiveDate, chrono::DateTime<chrono::Utc>),
) -> DayPlan {
    let prefs = &user.user.preferences.0;
    let week_start = plan::week_start(day, prefs.week_starts_on.weekday());
    let rows = &data.rows;
    let after_hours = day == today && user.user.timezone.time_now(now) >= prefs.work_hours().end;

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
    let lanes = blocks.iter().map(BlockView::lane).max().unwrap_or(1);
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
    let minutes_of = |status: Option<TaskStatus>| -> u32 {
        day_rows
            .iter()
            .filter(|r| status.is_none_or(|s| r.task.status == s))
            .map(|r| u32::from(r.task.time_block_minutes.get()))
            .sum()
    };
    let overlap_count = blocks.iter().filter(|b| b.overlaps()).count();
    for block in blocks.iter_mut().chain(anytime.iter_mut()) {
        block.files = data.files.get(&block.id).cloned().unwrap_or_default();
    }
    DayPlan {
        day,
        today,
        week,
        rows_class: format!("rows-{}", plan::window_rows(window)),
        lanes_class: format!("lanes-{}", lanes.min(MAX_LANES)),
        hours,
        blocks,
        anytime,
        slots,
        backlog: data.backlog.iter().map(BlockView::from_row).collect(),
        capacity: Capacity {
            booked: minutes_of(None),
            capacity: u32::from(prefs.work_hours().minutes()),
        },
        done_minutes: minutes_of(Some(TaskStatus::Done)),
        overlap_count,
        morning_note: data.morning_note.as_ref().and_then(|c| {
            let from = match (today - c.day).num_days() {
                1 => "yesterday".to_string(),
                _ => c.day.format("%A").to_string(),
            };
            c.note.clone().map(|note| (from, note))
        }),
        closed: data.closed,
        offer_close: after_hours && !data.closed,
        after_hours,
        carry_over_total: data.carry_over_total,
        carry_over: data
            .carry_over
            .iter()
            .map(|task| {
                BlockView::from_row(&TaskRow {
                    task: task.clone(),
                    project_name: None,
                    client_name: None,
                    goal_title: None,
                })
            })
            .collect(),
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
    /// Retainer clients whose month is not in balance: hours owed or over-served.
    pub retainers: Vec<RetainerLine>,
    /// Open projects that will slip at their recent pace, worst first (up to 3):
    /// (id, name, client, "slips by 12 days").
    pub slipping: Vec<(crate::domain::ProjectId, String, String, String)>,
    pub today: NaiveDate,
    pub dates: LocalDates,
}

/// "Harbor Books: 6 h owed this month, nothing scheduled".
pub struct RetainerLine {
    pub id: ClientId,
    pub name: String,
    pub words: String,
    pub over: bool,
}

impl RetainerLine {
    /// The line of a client whose retainer month is out of balance; `None`
    /// when what is done and planned covers it exactly.
    pub fn of(id: &ClientId, name: &str, c: &RetainerHours) -> Option<RetainerLine> {
        let words = match (c.owed(), c.scheduled) {
            (0, _) => return None,
            (owed, _) if owed < 0 => format!("over by {} this month", hours_words(-owed)),
            (owed, 0) => format!("{} owed this month, nothing scheduled", hours_words(owed)),
            (owed, planned) => format!(
                "{} owed this month after the {} scheduled",
                hours_words(owed),
                hours_words(planned)
            ),
        };
        Some(RetainerLine {
            id: id.clone(),
            name: name.to_string(),
            over: c.over_served(),
            words,
        })
    }
}

impl Attention {
    fn from(data: &DayData, key: &DayKey, dates: LocalDates) -> Attention {
        let clients = &data.attention_clients;
        let picked = |keep: &dyn Fn(&AttentionClient) -> bool| -> Vec<AttentionClient> {
            clients.iter().filter(|c| keep(c)).cloned().collect()
        };
        Attention {
            followups: picked(&|c| c.next_followup.is_some_and(|f| f <= key.due_by)),
            at_risk: picked(&|c| c.health_score != HealthScore::Green),
            overdue_payments: picked(&|c| c.payment_status == PaymentStatus::Overdue),
            projects_due: data.projects_due.clone(),
            retainers: data
                .retainers
                .iter()
                .filter_map(|(c, cap)| RetainerLine::of(&c.id, &c.name, cap))
                .collect(),
            slipping: Vec::new(),
            today: key.today,
            dates,
        }
    }

    /// "overdue since Dec 1" or "today", by the user's calendar.
    pub fn followup_label(&self, due: &chrono::NaiveDateTime) -> String {
        let day = self.dates.local(due).date();
        if day < self.today {
            format!("overdue since {}", self.dates.day(day))
        } else {
            "today".into()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.followups.is_empty()
            && self.at_risk.is_empty()
            && self.overdue_payments.is_empty()
            && self.projects_due.is_empty()
            && self.retainers.is_empty()
    }

    pub fn late(&self, project: &DueProject) -> bool {
        project.due_date.is_some_and(|d| d < self.today)
    }
}

/// The page, and the blocks htmx swaps: `plan` (`#day-plan`), `goals` (the goals
/// panel) and `editor` (the block editor's box).
#[derive(Template)]
#[template(path = "command/day.html", blocks = ["plan", "goals", "editor"])]
pub struct DayPage {
    pub ctx: PageContext,
    pub plan: DayPlan,
    pub goals: Vec<GoalCard>,
    pub catalog: Vec<Activity>,
    pub attention: Attention,
    /// In an htmx answer: which blocks go out of band (swapped by their id).
    pub plan_oob: bool,
    pub goals_oob: bool,
    pub editor_oob: bool,
    /// The editor's form was just saved: it says so instead of showing a form.
    pub saved: bool,
    /// A new account's first-run path, while it lasts.
    pub onboarding: Option<OnboardingView>,
}

/// The first-run card: three steps, each done or offered.
#[derive(Debug, Clone)]
pub struct OnboardingView {
    pub steps: Onboarding,
    pub planned: bool,
    /// "Europe/Berlin, 09:00–17:00".
    pub hours: String,
    /// The first free time within the work hours, for the first block.
    pub first_slot: Option<TimeOfDay>,
}

impl OnboardingView {
    pub fn done(&self) -> bool {
        self.steps.hours && self.steps.catalog && self.planned
    }
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

/// The page for `day`, from the cache at `version` when it holds it.
async fn day_page(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    day: Option<NaiveDate>,
    version: Option<i64>,
) -> Result<DayPage, AppError> {
    let now = state.clock.now();
    let today = user.today(now);
    let day = day.unwrap_or(today);
    let key = DayKey::new(&user.user, day, today);
    let data = day_data(state, user, key.clone(), version).await?;
    let onboarding = match user.user.preferences.0.onboarding {
        Some(steps) => {
            let id = user.id().clone();
            let planned = state.db(move |conn| Ok(tasks::any(conn, &id)?)).await?;
            let prefs = &user.user.preferences.0;
            Some(OnboardingView {
                steps,
                planned,
                hours: format!(
                    "{}, {}–{}",
                    user.user.timezone.name(),
                    prefs.work_start,
                    prefs.work_end
                ),
                first_slot: None,
            })
        }
        None => None,
    };
    let plan = plan_from(&data, user, day, (today, now));
    let work_start = user.user.preferences.0.work_start;
    let onboarding = onboarding.map(|view| OnboardingView {
        first_slot: plan
            .slots
            .iter()
            .map(|s| s.time)
            .find(|t| *t >= work_start)
            .or_else(|| plan.slots.first().map(|s| s.time)),
        ..view
    });
    Ok(DayPage {
        ctx: PageContext::for_user(user, "today"),
        plan,
        goals: goal_cards(data.goals.clone(), user, now),
        catalog: data.catalog.clone(),
        attention: Attention::from(&data, &key, user.dates(now)),
        plan_oob: false,
        goals_oob: false,
        editor_oob: false,
        saved: false,
        onboarding,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<DayQuery>,
) -> Result<HttpResponse, AppError> {
    let day = chosen_day(query.date.as_deref(), user.today(state.clock.now()))?;
    // Nothing was written in this request: the version read with the session holds.
    let version = user.user.data_version;
    let mut page = day_page(&state, &user, Some(day), Some(version)).await?;
    // Only the whole page has the panel; a block action's fragment never
    // pays for the forecasts.
    page.attention.slipping = state
        .forecasts(&user, Some(version))
        .await?
        .iter()
        .filter(|p| p.forecast.slips_by().is_some_and(|days| days > 0))
        .take(3)
        .map(|p| {
            (
                p.id.clone(),
                p.name.clone(),
                p.client.clone(),
                p.forecast.verdict(),
            )
        })
        .collect();
    html(StatusCode::OK, &page)
}

/// The htmx answer to a block action: `#day-plan` again with the goals panel out
/// of band (a completion may have moved a goal). From the editor (a form was
/// saved) the editor's box says so and the plan goes out of band; otherwise the
/// editor is emptied out of band.
pub async fn fragment(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    day: Option<NaiveDate>,
    from_editor: bool,
    notice: Option<&Notice>,
) -> Result<HttpResponse, AppError> {
    // This request has just written: the version is read again.
    let mut page = day_page(state, user, day, None).await?;
    page.goals_oob = true;
    page.plan_oob = from_editor;
    page.editor_oob = !from_editor;
    page.saved = from_editor;
    let mut body = String::new();
    if from_editor {
        page.as_editor().render_into(&mut body)?;
        page.as_plan().render_into(&mut body)?;
    } else {
        page.as_plan().render_into(&mut body)?;
        page.as_editor().render_into(&mut body)?;
    }
    page.as_goals().render_into(&mut body)?;
    if let Some(notice) = notice {
        notice::render_oob(notice, &user.csrf_token, &mut body)?;
    }
    let mut response = HttpResponse::Ok();
    if from_editor {
        // The saved message replaces the editor's whole box, not its inside.
        response.insert_header(("HX-Reswap", "outerHTML"));
    }
    Ok(response.content_type("text/html; charset=utf-8").body(body))
}
