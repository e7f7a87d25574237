//! `/command/plan?date=`: "Plan my day". Proposes blocks for the day's free work
//! time from what is waiting — unfinished blocks of earlier days, follow-ups due,
//! the backlog — by the rules of `domain::day_planner`, each with its reason; the
//! person ticks, edits the times and accepts (one transaction, with Undo), or
//! goes back without a change.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, Timelike};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::clients;
use crate::db::models::routines;
use crate::db::models::tasks::{self, Placement, Task, TaskFields};
use crate::db::models::undo::{self, Undo};
use crate::domain::day_planner::{BestHours, Proposal, Want, plan_day};
use crate::domain::notice::{count, place};
use crate::domain::plan::Span;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::notice::see_other_with;
use crate::web::{PageContext, html};

/// How many of each source are considered.
const PER_SOURCE: i64 = 12;

/// Where a proposed block comes from.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    /// An existing block (carried over or from the backlog).
    Block(TaskId),
    /// A new follow-up block for a client.
    FollowUp(ClientId),
}

#[derive(Debug, Clone)]
struct Candidate {
    source: Source,
    title: String,
    minutes: BlockMinutes,
    energy: EnergyLevel,
    priority: Priority,
    why: String,
}

/// One row of the preview.
#[derive(Debug, Clone)]
pub struct Row {
    pub index: usize,
    /// `block`, `followup` or `break`.
    pub kind: &'static str,
    pub reference: String,
    pub title: String,
    pub start: TimeOfDay,
    pub minutes: BlockMinutes,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "command/plan.html")]
pub struct PlanPage {
    pub ctx: PageContext,
    pub day: NaiveDate,
    pub day_label: String,
    pub rows: Vec<Row>,
    pub unplaced: Vec<(String, String)>,
    pub best: BestHours,
}

#[derive(Deserialize)]
pub struct PlanQuery {
    date: Option<String>,
}

/// The day to plan: `date`, never one already past.
fn plan_day_of(raw: Option<&str>, today: NaiveDate) -> NaiveDate {
    raw.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .filter(|d| *d >= today)
        .unwrap_or(today)
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<PlanQuery>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let today = user.today(now);
    let day = plan_day_of(query.date.as_deref(), today);
    let local = user.local_now(now);
    let from = if day == today {
        u16::try_from(local.time().num_seconds_from_midnight() / 60).unwrap_or(0)
    } else {
        0
    };
    let id = user.id().clone();
    let pending = state
        .db(move |conn| Ok(!routines::wanted(conn, &id, day, day, today, &[])?.is_empty()))
        .await?;
    if pending {
        // The day's routine blocks take their time before anything is proposed.
        let (id, stamp) = (user.id().clone(), state.clock.stamp());
        let first_day = user.user.preferences.0.week_starts_on.weekday();
        state
            .db_write_as(&user, move |conn| {
                Ok(crate::db::day::prepare(
                    conn,
                    &id,
                    (day, day),
                    today,
                    first_day,
                    stamp,
                )?)
            })
            .await?;
    }
    let id = user.id().clone();
    let end_of_day = day.and_hms_opt(23, 59, 59).unwrap_or(local);
    let (found, taken) = state
        .db(move |conn| Ok(candidates(conn, &id, day, end_of_day)?))
        .await?;
    let prefs = &user.user.preferences.0;
    let wants: Vec<Want> = found
        .iter()
        .map(|c| Want {
            minutes: c.minutes.get(),
            energy: c.energy,
            priority: c.priority,
        })
        .collect();
    let (proposals, unplaced) =
        plan_day(prefs.work_hours(), from, &taken, &wants, prefs.best_hours);
    let rows = proposals
        .iter()
        .enumerate()
        .map(|(index, p)| row(index, p, &found, prefs.best_hours))
        .collect();
    let page = PlanPage {
        ctx: PageContext::for_user(&user, "today"),
        day,
        day_label: place(Some(day), None, today),
        rows,
        unplaced: unplaced
            .into_iter()
            .map(|i| (found[i].title.clone(), found[i].minutes.human()))
            .collect(),
        best: prefs.best_hours,
    };
    html(StatusCode::OK, &page)
}

fn row(index: usize, proposal: &Proposal, found: &[Candidate], best: BestHours) -> Row {
    match *proposal {
        Proposal::Break { start, minutes } => Row {
            index,
            kind: "break",
            reference: String::new(),
            title: "Break".into(),
            start,
            minutes: BlockMinutes::new(i64::from(minutes)).unwrap_or(BlockMinutes::DEFAULT),
            reason: "after three hours of work in a row".into(),
        },
        Proposal::Block { want, start } => {
            let c = &found[want];
            let mut reason = c.why.clone();
            match c.priority {
                Priority::Urgent => reason.push_str(" · urgent, so first"),
                Priority::High => reason.push_str(" · high priority"),
                _ => {}
            }
            if c.energy == EnergyLevel::DeepWork && best == BestHours::Morning
                || c.energy == EnergyLevel::Light && best == BestHours::Afternoon
            {
                reason.push_str(&format!(
                    " · {} in your best hours",
                    c.energy.label().to_lowercase()
                ));
            }
            let (kind, reference) = match &c.source {
                Source::Block(id) => ("block", id.to_string()),
                Source::FollowUp(id) => ("followup", id.to_string()),
            };
            Row {
                index,
                kind,
                reference,
                title: c.title.clone(),
                start,
                minutes: c.minutes,
                reason,
            }
        }
    }
}

/// What could fill `day`: earlier days' unfinished blocks, follow-ups due by its
/// end without a block for them that day, and the backlog; and the time taken.
fn candidates(
    conn: &mut AnyConnection,
    user: &UserId,
    day: NaiveDate,
    end_of_day: chrono::NaiveDateTime,
) -> Result<(Vec<Candidate>, Vec<Span>), diesel::result::Error> {
    // One read of the day serves both the time taken and the follow-ups planned.
    let on_day = tasks::for_day(conn, user, day)?;
    let taken = on_day
        .iter()
        .filter_map(|t| {
            t.scheduled_time
                .map(|start| Span::new(start, t.time_block_minutes.get()))
        })
        .collect();
    let mut found: Vec<Candidate> = tasks::unfinished_before(conn, user, day, PER_SOURCE)?
        .into_iter()
        .map(|t| {
            let why = match t.scheduled_date {
                Some(d) => format!("unfinished from {}", d.format("%a %b %-d")),
                None => "unfinished".into(),
            };
            from_task(t, why)
        })
        .collect();
    for client in clients::needing_attention(conn, user, end_of_day)? {
        let Some(due) = client.next_followup.filter(|f| *f <= end_of_day) else {
            continue;
        };
        if on_day
            .iter()
            .any(|t| t.client_id.as_ref() == Some(&client.id))
        {
            continue;
        }
        let why = if due.date() < day {
            format!("follow-up overdue since {}", due.date().format("%a %b %-d"))
        } else {
            "follow-up due".to_string()
        };
        found.push(Candidate {
            source: Source::FollowUp(client.id),
            title: format!("Follow up with {}", client.name),
            minutes: BlockMinutes::new(30).unwrap_or(BlockMinutes::DEFAULT),
            energy: EnergyLevel::Light,
            priority: Priority::High,
            why,
        });
    }
    for row in tasks::backlog(conn, user, PER_SOURCE)? {
        found.push(from_task(row.task, "from the backlog".into()));
    }
    Ok((found, taken))
}

fn from_task(t: Task, why: String) -> Candidate {
    Candidate {
        source: Source::Block(t.id),
        title: t.title,
        minutes: t.time_block_minutes,
        energy: t.energy_level,
        priority: t.priority,
        why,
    }
}

/// One accepted row of the form.
struct Accepted {
    source: Source,
    start: TimeOfDay,
    minutes: BlockMinutes,
}

/// The ticked rows: `pick=i` with `kind_i`, `ref_i`, `time_i`, `minutes_i`.
fn accepted(form: &[(String, String)]) -> Result<(NaiveDate, Vec<Accepted>), AppError> {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or_default()
    };
    let day = NaiveDate::parse_from_str(field("date"), "%Y-%m-%d")
        .map_err(|_| AppError::Unprocessable("Choose the day to plan.".into()))?;
    let mut rows = Vec::new();
    for (_, i) in form.iter().filter(|(k, _)| k == "pick") {
        let number = i.parse::<usize>().map_err(|_| AppError::NotFound)? + 1;
        let bad = |what: &str| AppError::Unprocessable(format!("Proposal {number}: {what}."));
        let start =
            TimeOfDay::parse(field(&format!("time_{i}"))).map_err(|e| bad(&e.to_string()))?;
        let minutes =
            BlockMinutes::parse(field(&format!("minutes_{i}"))).map_err(|e| bad(&e.to_string()))?;
        if !start.ends_by_midnight(minutes.get()) {
            return Err(bad("at that time it would run past midnight"));
        }
        let reference = field(&format!("ref_{i}"));
        let source = match field(&format!("kind_{i}")) {
            "block" => Source::Block(reference.parse().map_err(|_| AppError::NotFound)?),
            "followup" => Source::FollowUp(reference.parse().map_err(|_| AppError::NotFound)?),
            _ => return Err(bad("not a block to plan")),
        };
        rows.push(Accepted {
            source,
            start,
            minutes,
        });
    }
    if rows.is_empty() {
        return Err(AppError::Unprocessable(
            "Tick at least one proposal to plan it, or go back to the day.".into(),
        ));
    }
    Ok((day, rows))
}

/// The accepted rows in one transaction: existing blocks onto `day` at their
/// times (a block done since is left alone), follow-ups as new blocks linked to
/// their client; and the Undo that takes it all back.
fn plan_rows(
    conn: &mut AnyConnection,
    id: &UserId,
    (day, today): (NaiveDate, NaiveDate),
    rows: &[Accepted],
    now: chrono::NaiveDateTime,
) -> Result<(String, UndoId), AppError> {
    let mut before = Vec::new();
    let mut created = Vec::new();
    for row in rows {
        match &row.source {
            Source::Block(task_id) => {
                let task = tasks::find(conn, id, task_id)?.ok_or(AppError::NotFound)?;
                if task.status == TaskStatus::Done {
                    continue;
                }
                before.push(Placement::of(&task));
                tasks::schedule(conn, id, task_id, Some(day), Some(row.start), now)?;
                if task.time_block_minutes != row.minutes {
                    tasks::resize(conn, id, task_id, row.minutes, now)?;
                }
            }
            Source::FollowUp(client_id) => {
                let client = clients::find(conn, id, client_id)?.ok_or(AppError::NotFound)?;
                let fields = TaskFields {
                    title: format!("Follow up with {}", client.name),
                    description: None,
                    category: TaskCategory::Client,
                    priority: Priority::High,
                    energy_level: EnergyLevel::Light,
                    scheduled_date: Some(day),
                    scheduled_time: Some(row.start),
                    time_block_minutes: row.minutes,
                    project_id: None,
                    goal_id: None,
                    activity_id: None,
                };
                let task_id =
                    tasks::create(conn, id, &fields, now)?.map_err(|_| AppError::NotFound)?;
                tasks::link_client(conn, id, &task_id, client_id)?;
                created.push(task_id);
            }
        }
    }
    let what = format!(
        "Planned {} for {}.",
        count(before.len() + created.len(), "block", "blocks"),
        place(Some(day), None, today)
    );
    let undo = undo::record(
        conn,
        id,
        &what,
        Undo::Plan {
            blocks: before,
            created,
        },
        now,
    )?;
    Ok((what, undo))
}

/// Plans the ticked proposals, all or none, and offers Undo.
pub async fn accept(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (day, rows) = accepted(&form)?;
    let today = user.today(state.clock.now());
    if day < today {
        return Err(AppError::Unprocessable(
            "That day is over; plan today or a day to come.".into(),
        ));
    }
    let back = format!("/?date={day}");
    let (id, now) = (user.id().clone(), state.clock.stamp());
    let notice = state
        .db_write_as(&user, move |conn| {
            plan_rows(conn, &id, (day, today), &rows, now)
        })
        .await
        .map(|(what, undo)| Notice::new(what).with_undo(undo, &back))?;
    Ok(see_other_with(
        &req,
        &back,
        Some(&notice),
        state.sessions.secure,
    ))
}
