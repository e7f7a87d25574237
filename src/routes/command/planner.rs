//! `/command/plan?date=`: "Plan my day", and for tomorrow "Prepare tomorrow"
//! (offered on the day page once the work hours are over). Proposes blocks for
//! the day's free work time from what is waiting — unfinished blocks of earlier
//! days, follow-ups due, retainer hours owed this month, projects that will slip,
//! the week's intentions from the last weekly note, the backlog — by the rules of
//! `domain::day_planner`, each with its reason, and a warning on work for a
//! client whose payments are overdue (never a refusal). The person ticks, edits
//! the times and accepts (one transaction, with Undo), or goes back unchanged.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, Timelike};
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::AnyConnection;
use crate::db::models::routines;
use crate::db::models::tasks::{self, Placement, Task, TaskFields};
use crate::db::models::undo::{self, Undo};
use crate::db::models::{clients, insight, projects};
use crate::domain::day_planner::{BestHours, Proposal, Want, block_for, intentions, plan_day};
use crate::domain::insight::{hours_words, month_start, next_month};
use crate::domain::notice::{count, place};
use crate::domain::plan::Span;
use crate::domain::plan::week_start;
use crate::domain::*;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::notice::see_other_with;
use crate::web::{PageContext, html};

/// How many of each source are considered.
const PER_SOURCE: i64 = 12;
/// How many retainers (most hours owed first) and slipping projects (latest
/// finish first) are proposed: more would only be listed as not fitting.
const PER_INSIGHT: usize = 3;

/// Where a proposed block comes from.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    /// An existing block (carried over or from the backlog).
    Block(TaskId),
    /// A new follow-up block for a client.
    FollowUp(ClientId),
    /// A new block of a client's retainer hours still owed this month.
    Retainer(ClientId),
    /// A new block of work on a project that will slip.
    Project(ProjectId),
    /// A new block for one of the week's intentions, titled by its line.
    Intention(String),
}

impl Source {
    /// The form's `kind_i` and `ref_i`.
    fn kind(&self) -> (&'static str, String) {
        match self {
            Source::Block(id) => ("block", id.to_string()),
            Source::FollowUp(id) => ("followup", id.to_string()),
            Source::Retainer(id) => ("retainer", id.to_string()),
            Source::Project(id) => ("project", id.to_string()),
            Source::Intention(title) => ("intention", title.clone()),
        }
    }
}

#[derive(Debug, Clone)]
struct Candidate {
    source: Source,
    title: String,
    minutes: BlockMinutes,
    energy: EnergyLevel,
    priority: Priority,
    why: String,
    /// The client the work is for, when its payments are overdue.
    overdue: Option<ClientId>,
}

/// One row of the preview.
#[derive(Debug, Clone)]
pub struct Row {
    pub index: usize,
    /// `block`, `followup`, `retainer`, `project`, `intention` or `break`.
    pub kind: &'static str,
    pub reference: String,
    pub title: String,
    pub start: TimeOfDay,
    pub minutes: BlockMinutes,
    pub reason: String,
    /// "Payments are overdue at Northwind: €2,400.00 open on its projects."
    pub warning: Option<String>,
}

impl Row {
    /// Accepting it makes a new block (rather than moving one).
    pub fn is_new(&self) -> bool {
        !matches!(self.kind, "block" | "break")
    }
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
    /// Planning tomorrow: the page is "Prepare tomorrow".
    pub tomorrow: bool,
}

#[derive(Deserialize)]
pub struct PlanQuery {
    date: Option<String>,
}

/// The day to plan: `date` (or `tomorrow`), never one already past.
fn plan_day_of(raw: Option<&str>, today: NaiveDate) -> NaiveDate {
    if raw == Some("tomorrow") {
        return today + chrono::Duration::days(1);
    }
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
    // The open projects' forecasts, kept per data version (read again when
    // the routine blocks were just written).
    let forecasts = state
        .forecasts(&user, (!pending).then_some(user.user.data_version))
        .await?;
    let Waiting { found, taken, late } = state
        .db(move |conn| Ok(candidates(conn, &id, (day, today), end_of_day, &forecasts)?))
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
    let ctx = PageContext::for_user(&user, "today");
    let warning = |c: &Candidate| {
        let late = late
            .iter()
            .find(|o| Some(&o.client) == c.overdue.as_ref())?;
        Some(if late.open > rust_decimal::Decimal::ZERO {
            format!(
                "Payments are overdue at {}: {} open on its projects.",
                late.name,
                ctx.money_format.show(late.open)
            )
        } else {
            format!("Payments are overdue at {}.", late.name)
        })
    };
    let rows = proposals
        .iter()
        .enumerate()
        .map(|(index, p)| {
            let mut row = row(index, p, &found, prefs.best_hours);
            if let Proposal::Block { want, .. } = p {
                row.warning = warning(&found[*want]);
            }
            row
        })
        .collect();
    let page = PlanPage {
        ctx,
        day,
        day_label: place(Some(day), None, today),
        rows,
        unplaced: unplaced
            .into_iter()
            .map(|i| (found[i].title.clone(), found[i].minutes.human()))
            .collect(),
        best: prefs.best_hours,
        tomorrow: day == today + chrono::Duration::days(1),
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
            warning: None,
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
            let (kind, reference) = c.source.kind();
            Row {
                index,
                kind,
                reference,
                title: c.title.clone(),
                start,
                minutes: c.minutes,
                reason,
                warning: None,
            }
        }
    }
}

/// What could fill a day, the time already taken, and who pays late.
struct Waiting {
    found: Vec<Candidate>,
    taken: Vec<Span>,
    late: Vec<insight::Overdue>,
}

/// What could fill `day`: earlier days' unfinished blocks, follow-ups due by its
/// end without a block for them that day, retainer hours still owed in its
/// month, projects that will slip, the week's intentions not planned yet, and
/// the backlog; the time taken; and the clients whose payments are overdue.
fn candidates(
    conn: &mut AnyConnection,
    user: &UserId,
    (day, today): (NaiveDate, NaiveDate),
    end_of_day: chrono::NaiveDateTime,
    forecasts: &[insight::ProjectForecast],
) -> Result<Waiting, diesel::result::Error> {
    // One read of the day serves both the time taken and the work planned.
    let on_day = tasks::for_day(conn, user, day)?;
    let taken = on_day
        .iter()
        .filter_map(|t| {
            t.scheduled_time
                .map(|start| Span::new(start, t.time_block_minutes.get()))
        })
        .collect();
    let planned_for =
        |client: &ClientId| on_day.iter().any(|t| t.client_id.as_ref() == Some(client));
    let late = insight::overdue(conn, user)?;
    let overdue = |client: Option<&ClientId>| {
        client
            .filter(|c| late.iter().any(|o| &o.client == *c))
            .cloned()
    };
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
        if planned_for(&client.id) {
            continue;
        }
        let why = if due.date() < day {
            format!("follow-up overdue since {}", due.date().format("%a %b %-d"))
        } else {
            "follow-up due".to_string()
        };
        found.push(Candidate {
            title: format!("Follow up with {}", client.name),
            minutes: BlockMinutes::new(30).unwrap_or(BlockMinutes::DEFAULT),
            energy: EnergyLevel::Light,
            priority: Priority::High,
            why,
            overdue: overdue(Some(&client.id)),
            source: Source::FollowUp(client.id),
        });
    }
    // The retainer month of the day planned, counted from today when it is
    // this month (what is scheduled before today and not done is not work ahead).
    let month = (month_start(day), next_month(day));
    let from = today.max(month.0);
    let mut owing = insight::capacities(conn, user, from, month)?;
    owing.retain(|(client, hours)| hours.owed() > 0 && !planned_for(&client.id));
    owing.sort_by_key(|(_, hours)| std::cmp::Reverse(hours.owed()));
    for (client, hours) in owing.into_iter().take(PER_INSIGHT) {
        let owed = hours.owed();
        let minutes =
            BlockMinutes::new(i64::from(block_for(owed))).unwrap_or(BlockMinutes::DEFAULT);
        found.push(Candidate {
            title: format!("Retainer work for {}", client.name),
            minutes,
            energy: EnergyLevel::Moderate,
            priority: Priority::Medium,
            why: format!(
                "{} owed this month on the retainer{}",
                hours_words(owed),
                if hours.scheduled == 0 {
                    ", nothing scheduled".to_string()
                } else {
                    format!(" after the {} scheduled", hours_words(hours.scheduled))
                }
            ),
            overdue: overdue(Some(&client.id)),
            source: Source::Retainer(client.id),
        });
    }
    let slipping = forecasts
        .iter()
        .filter(|p| {
            let f = p.forecast;
            let planned = on_day.iter().any(|t| t.project_id.as_ref() == Some(&p.id));
            f.missing() > 0 && f.slips_by().is_none_or(|days| days > 0) && f.due >= day && !planned
        })
        .take(PER_INSIGHT);
    for project in slipping {
        let f = project.forecast;
        let minutes =
            BlockMinutes::new(i64::from(block_for(f.missing()))).unwrap_or(BlockMinutes::DEFAULT);
        found.push(Candidate {
            title: format!("Work on {}", project.name),
            minutes,
            energy: EnergyLevel::DeepWork,
            priority: if f.slips_by().is_some() {
                Priority::High
            } else {
                Priority::Medium
            },
            why: format!(
                "{} for {}: {}, {} not scheduled before it is due {}",
                project.name,
                project.client,
                f.verdict(),
                hours_words(f.missing()),
                f.due.format("%a %b %-d")
            ),
            overdue: overdue(Some(&project.client_id)),
            source: Source::Project(project.id.clone()),
        });
    }
    let week = week_start(day, chrono::Weekday::Mon);
    let lines = insight::note(conn, user, week - chrono::Duration::days(7))?
        .and_then(|n| n.intentions)
        .map(|text| intentions(&text))
        .unwrap_or_default();
    let planned =
        tasks::titles_between(conn, user, (week, week + chrono::Duration::days(7)), &lines)?;
    for line in lines.into_iter().filter(|l| !planned.contains(l)) {
        found.push(Candidate {
            source: Source::Intention(line.clone()),
            title: line,
            minutes: BlockMinutes::DEFAULT,
            energy: EnergyLevel::Moderate,
            priority: Priority::Medium,
            why: "your intention for this week, from last week's review".into(),
            overdue: None,
        });
    }
    for row in tasks::backlog(conn, user, PER_SOURCE)? {
        found.push(from_task(row.task, "from the backlog".into()));
    }
    for c in &mut found {
        if let Source::Block(_) = c.source {
            c.overdue = c
                .overdue
                .take()
                .filter(|id| late.iter().any(|o| &o.client == id));
        }
    }
    Ok(Waiting { found, taken, late })
}

fn from_task(t: Task, why: String) -> Candidate {
    Candidate {
        overdue: t.client_id,
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
            "retainer" => Source::Retainer(reference.parse().map_err(|_| AppError::NotFound)?),
            "project" => Source::Project(reference.parse().map_err(|_| AppError::NotFound)?),
            "intention" => match reference.chars().count() {
                1..=200 => Source::Intention(reference.to_string()),
                _ => return Err(bad("a block's title is 1 to 200 characters")),
            },
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

/// A block an accepted proposal makes.
struct NewBlock {
    title: String,
    category: TaskCategory,
    energy: EnergyLevel,
    priority: Priority,
    project: Option<ProjectId>,
    client: Option<ClientId>,
}

impl NewBlock {
    /// A block of the same title and links is already on the day.
    fn is_on(&self, on_day: &[Task]) -> bool {
        on_day.iter().any(|t| {
            t.title == self.title
                && t.project_id == self.project
                && (self.client.is_none() || t.client_id == self.client)
        })
    }

    fn create(
        self,
        conn: &mut AnyConnection,
        user: &UserId,
        (day, row): (NaiveDate, &Accepted),
        now: chrono::NaiveDateTime,
    ) -> Result<TaskId, AppError> {
        let fields = TaskFields {
            title: self.title,
            description: None,
            category: self.category,
            priority: self.priority,
            energy_level: self.energy,
            scheduled_date: Some(day),
            scheduled_time: Some(row.start),
            time_block_minutes: row.minutes,
            project_id: self.project,
            client_id: self.client,
            goal_id: None,
            activity_id: None,
        };
        tasks::create(conn, user, &fields, now)?.map_err(|_| AppError::NotFound)
    }
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
    // A retried submission finds its new blocks already there: not made twice.
    let on_day = tasks::for_day(conn, id, day)?;
    let mut make = |new: NewBlock, conn: &mut AnyConnection, row: &Accepted| {
        if new.is_on(&on_day) {
            return Ok(());
        }
        created.push(new.create(conn, id, (day, row), now)?);
        Ok::<(), AppError>(())
    };
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
            Source::FollowUp(client_id) | Source::Retainer(client_id) => {
                let client = clients::find(conn, id, client_id)?.ok_or(AppError::NotFound)?;
                let (title, energy, priority) = match row.source {
                    Source::FollowUp(_) => (
                        format!("Follow up with {}", client.name),
                        EnergyLevel::Light,
                        Priority::High,
                    ),
                    _ => (
                        format!("Retainer work for {}", client.name),
                        EnergyLevel::Moderate,
                        Priority::Medium,
                    ),
                };
                let new = NewBlock {
                    title,
                    category: TaskCategory::Client,
                    energy,
                    priority,
                    project: None,
                    client: Some(client.id),
                };
                make(new, conn, row)?;
            }
            Source::Project(project_id) => {
                let project = projects::find(conn, id, project_id)?.ok_or(AppError::NotFound)?;
                let new = NewBlock {
                    title: format!("Work on {}", project.name)
                        .chars()
                        .take(200)
                        .collect(),
                    category: TaskCategory::Client,
                    energy: EnergyLevel::DeepWork,
                    priority: Priority::High,
                    project: Some(project.id),
                    client: None,
                };
                make(new, conn, row)?;
            }
            Source::Intention(title) => {
                let new = NewBlock {
                    title: title.clone(),
                    // What an intention is about is the person's to say; the
                    // editor changes it.
                    category: TaskCategory::Admin,
                    energy: EnergyLevel::Moderate,
                    priority: Priority::Medium,
                    project: None,
                    client: None,
                };
                make(new, conn, row)?;
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
