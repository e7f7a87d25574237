//! What the Command Center's pages (and a project's blocks) show of a block and a
//! goal: `BlockView` and `GoalCard`, built from rows and the domain's rules.

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Weekday};

use crate::auth::CurrentUser;
use crate::db::models::assets::LinkedFile;
use crate::db::models::goals::{self, Goal};
use crate::db::models::tasks::TaskRow;
use crate::domain::plan::{self, Pace, PaceSeries, Placement};
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::chart::PaceLine;

/// A block as every view shows it.
#[derive(Debug, Clone)]
pub struct BlockView {
    pub id: TaskId,
    pub title: String,
    pub description: Option<String>,
    pub category: TaskCategory,
    pub priority: Priority,
    pub status: TaskStatus,
    pub energy: EnergyLevel,
    pub date: Option<NaiveDate>,
    pub time: Option<TimeOfDay>,
    pub minutes: BlockMinutes,
    pub project_id: Option<ProjectId>,
    pub project_name: Option<String>,
    pub client_name: Option<String>,
    pub goal_title: Option<String>,
    /// Where it sits on a day's timeline, when it is placed on one.
    pub placement: Option<Placement>,
    /// The block's context files (on the day plan).
    pub files: Vec<LinkedFile>,
    /// One of a routine's blocks.
    pub repeats: bool,
}

/// Lanes the timeline's grid classes go up to; more overlapping blocks share the last.
pub const MAX_LANES: u8 = 4;

impl BlockView {
    pub fn from_row(row: &TaskRow) -> Self {
        let t = &row.task;
        BlockView {
            id: t.id.clone(),
            title: t.title.clone(),
            description: t.description.clone(),
            category: t.category,
            priority: t.priority,
            status: t.status,
            energy: t.energy_level,
            date: t.scheduled_date,
            time: t.scheduled_time,
            minutes: t.time_block_minutes,
            project_id: t.project_id.clone(),
            project_name: row.project_name.clone(),
            client_name: row.client_name.clone(),
            goal_title: row.goal_title.clone(),
            placement: None,
            files: Vec::new(),
            repeats: t.routine_id.is_some(),
        }
    }

    pub fn placed(mut self, placement: Placement) -> Self {
        self.placement = Some(placement);
        self
    }

    /// The lane it takes on the timeline (1 when it is not placed).
    pub fn lane(&self) -> u8 {
        self.placement.map_or(1, |p| p.lane.min(MAX_LANES))
    }

    pub fn overlaps(&self) -> bool {
        self.placement.is_some_and(|p| p.overlaps)
    }

    /// Grid classes on the timeline (`r-31 h-18 lane-1`); the CSP forbids style
    /// attributes, so `static/grid.css` has a class per row, height and lane.
    pub fn grid(&self) -> String {
        match self.placement {
            // A block that overlaps nothing takes the whole width, however many
            // lanes other hours of the day need.
            Some(p) if !p.overlaps => format!("r-{} h-{} lane-all", p.row, p.rows),
            Some(p) => format!("r-{} h-{} lane-{}", p.row, p.rows, self.lane()),
            None => String::new(),
        }
    }

    pub fn is_done(&self) -> bool {
        self.status == TaskStatus::Done
    }

    pub fn is(&self, status: &str) -> bool {
        self.status.as_str() == status
    }

    /// `09:00–10:30`, or "Anytime" for a block without a start time.
    pub fn time_label(&self) -> String {
        match self.time {
            Some(start) => {
                let end_minutes = start.minutes() + self.minutes.get();
                let end =
                    TimeOfDay::from_minutes(end_minutes % (24 * 60)).unwrap_or(TimeOfDay::MIDNIGHT);
                format!("{start}–{end}")
            }
            None => "Anytime".into(),
        }
    }

    /// Under half an hour the block is too low for two lines: title and actions
    /// share one.
    pub fn short(&self) -> bool {
        self.minutes.get() < 30
    }

    /// Under 45 minutes there is room for one line of text above the actions:
    /// the time and the title, the details left to Edit.
    pub fn compact(&self) -> bool {
        self.minutes.get() < 45
    }
}

/// A goal card: progress and pace.
#[derive(Debug, Clone)]
pub struct GoalCard {
    pub goal: Goal,
    pub pace: Option<Pace>,
    pub period: (NaiveDate, NaiveDate),
    /// When the goal was made and now, local.
    pub created: NaiveDateTime,
    pub now: NaiveDateTime,
    /// The pace chart, where a page draws one (`draw_paces`).
    pub chart: Option<PaceLine>,
}

impl GoalCard {
    pub fn new(
        goal: Goal,
        created_local: NaiveDateTime,
        today: NaiveDate,
        now_local: NaiveDateTime,
        week_starts_on: Weekday,
    ) -> Self {
        let period = plan::goal_period(
            goal.goal_type,
            goal.start_date,
            goal.due_date,
            today,
            week_starts_on,
        );
        // Pace counts from when the goal began: a weekly goal set on Thursday
        // expects nothing of the Monday to Wednesday before it existed.
        let period_start = period.0.and_hms_opt(0, 0, 0).unwrap_or(now_local);
        let pace = plan::pace_since(
            goal.current_value,
            goal.target_value,
            period_start.max(created_local),
            period.1,
            now_local,
        );
        GoalCard {
            goal,
            pace,
            period,
            created: created_local,
            now: now_local,
            chart: None,
        }
    }

    /// Draws the pace chart of an open goal with a target from its count's
    /// steps (local instants, oldest first).
    pub fn draw_pace(&mut self, steps: &[(NaiveDateTime, i32)]) {
        let Some(target) = self.goal.target_value.filter(|t| *t > 0) else {
            return;
        };
        if self.done() {
            return;
        }
        self.chart = PaceSeries::new(
            self.period,
            self.created,
            target,
            self.goal.current_value,
            steps,
            self.now,
        )
        .map(|series| {
            PaceLine::new(
                format!("pace-{}", self.goal.id),
                format!("Pace of {}", self.goal.title),
                series,
            )
        });
    }

    pub fn done(&self) -> bool {
        self.goal.completed_at.is_some()
    }

    /// "week", for a repeating goal's words.
    pub fn period_noun(&self) -> &'static str {
        match self.goal.goal_type {
            GoalType::Daily => "day",
            GoalType::Weekly => "week",
            GoalType::Monthly => "month",
            GoalType::Yearly => "year",
        }
    }

    pub fn percent(&self) -> u32 {
        self.pace.map_or(0, |p| p.percent)
    }

    /// Width class of the progress bar, in steps of 5 %.
    pub fn bar(&self) -> String {
        format!("w-{}", (self.percent() / 5) * 5)
    }

    /// `3 of 10`.
    pub fn progress(&self) -> String {
        match self.goal.target_value {
            Some(target) => format!("{} of {}", self.goal.current_value, target),
            None => format!("{} done", self.goal.current_value),
        }
    }

    /// `On track: 5 expected by now` or `Behind: 5 expected by now`.
    pub fn pace_label(&self) -> String {
        match (self.done(), self.pace) {
            (true, _) => "Completed".into(),
            (false, Some(p)) if p.on_track => format!("On track · {} expected by now", p.expected),
            (false, Some(p)) => format!("Behind · {} expected by now", p.expected),
            (false, None) => "No target".into(),
        }
    }

    pub fn on_track(&self) -> bool {
        self.done() || self.pace.is_none_or(|p| p.on_track)
    }
}

/// Draws the pace chart of each open goal with a target: one read of the
/// steps their counts took in their periods.
pub async fn draw_paces(
    state: &AppState,
    user: &CurrentUser,
    cards: &mut [GoalCard],
) -> Result<(), AppError> {
    let Some((charted, since)) = pace_reads(cards) else {
        return Ok(());
    };
    let steps = state
        .db(move |conn| Ok(read_paces(conn, &charted, since)?))
        .await?;
    apply_paces(user, cards, &steps);
    Ok(())
}

/// The steps of a goal's count: (goal, instant in UTC, delta).
pub type Steps = Vec<(GoalId, NaiveDateTime, i32)>;

/// What the pace charts of `cards` read: the open goals with a target, and
/// from when (a day early in UTC covers any zone; each card keeps its own
/// period). `None` when no card has a chart.
pub fn pace_reads(cards: &[GoalCard]) -> Option<(Vec<GoalId>, NaiveDateTime)> {
    let charted: Vec<GoalId> = cards
        .iter()
        .filter(|c| !c.done() && c.goal.target_value.is_some_and(|t| t > 0))
        .map(|c| c.goal.id.clone())
        .collect();
    let first = cards.iter().map(|c| c.period.0).min()?;
    if charted.is_empty() {
        return None;
    }
    let since = (first - chrono::Duration::days(1)).and_hms_opt(0, 0, 0)?;
    Some((charted, since))
}

pub fn read_paces(
    conn: &mut crate::db::AnyConnection,
    charted: &[GoalId],
    since: NaiveDateTime,
) -> diesel::QueryResult<Steps> {
    let ids: Vec<&GoalId> = charted.iter().collect();
    goals::progress_since(conn, &ids, since)
}

/// Draws each card's chart from the steps read for them.
pub fn apply_paces(user: &CurrentUser, cards: &mut [GoalCard], steps: &Steps) {
    for card in cards.iter_mut() {
        let own: Vec<(NaiveDateTime, i32)> = steps
            .iter()
            .filter(|(id, _, _)| *id == card.goal.id)
            .map(|(_, at, delta)| (user.local_now(chrono::Utc.from_utc_datetime(at)), *delta))
            .collect();
        card.draw_pace(&own);
    }
}

/// Goal cards, open goals first, by type in PRODUCT.md order.
pub fn goal_cards(
    goals: Vec<Goal>,
    user: &CurrentUser,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<GoalCard> {
    let (today, now_local) = (user.today(now), user.local_now(now));
    let week = user.user.preferences.0.week_starts_on.weekday();
    let rank = |t: GoalType| GoalType::ALL.iter().position(|x| *x == t).unwrap_or(0);
    let mut cards: Vec<GoalCard> = goals
        .into_iter()
        .map(|g| {
            let created_local = user.local_now(chrono::Utc.from_utc_datetime(&g.created_at));
            GoalCard::new(g, created_local, today, now_local, week)
        })
        .collect();
    cards.sort_by_key(|c| (c.done(), rank(c.goal.goal_type), c.period.1));
    cards
}
