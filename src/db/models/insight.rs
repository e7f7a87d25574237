//! The reads behind the review and the figures of `domain::insight`: minutes
//! of blocks by day, category and client, payments by client, and each open
//! project's work against its estimate. Grouped in SQL, a few statements per
//! page, every one scoped to the owner.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sum;
use diesel::prelude::*;
use rust_decimal::Decimal;

use crate::db::AnyConnection;
use crate::db::models::goals::Goal;
use crate::db::models::projects::Project;
use crate::db::schema::{audit_logs, clients, payments, projects, tasks, weekly_notes};
use crate::db::types::Total;
use crate::domain::insight::{Forecast, PACE_DAYS, RetainerHours, month_start, next_month};
use crate::domain::{
    AuditAction, ClientId, Money, PaymentStatus, ProjectId, ProjectStatus, TaskCategory,
    TaskStatus, Timezone, UserId,
};

/// Minutes of blocks on one day of one category, planned (all) and done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayMinutes {
    pub day: NaiveDate,
    pub category: TaskCategory,
    pub planned: i64,
    pub done: i64,
}

/// Blocks scheduled in `[from, to)` by day and category.
pub fn minutes_by_day(
    conn: &mut AnyConnection,
    user: &UserId,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<DayMinutes>> {
    let rows: Vec<(Option<NaiveDate>, TaskCategory, TaskStatus, Option<i64>)> = tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::scheduled_date.ge(from))
        .filter(tasks::scheduled_date.lt(to))
        .group_by((tasks::scheduled_date, tasks::category, tasks::status))
        .select((
            tasks::scheduled_date,
            tasks::category,
            tasks::status,
            sum(tasks::time_block_minutes),
        ))
        .load(conn)?;
    let mut by: HashMap<(NaiveDate, TaskCategory), DayMinutes> = HashMap::new();
    for (day, category, status, minutes) in rows {
        let Some(day) = day else { continue };
        let minutes = minutes.unwrap_or(0);
        let entry = by.entry((day, category)).or_insert(DayMinutes {
            day,
            category,
            planned: 0,
            done: 0,
        });
        entry.planned += minutes;
        if status == TaskStatus::Done {
            entry.done += minutes;
        }
    }
    let mut all: Vec<DayMinutes> = by.into_values().collect();
    all.sort_by_key(|m| (m.day, m.category));
    Ok(all)
}

/// Minutes of blocks per client in `[from, to)`: a block counts for the client
/// it names, else for its project's client. `done` selects DONE blocks, else
/// open ones.
pub fn client_minutes(
    conn: &mut AnyConnection,
    user: &UserId,
    from: NaiveDate,
    to: NaiveDate,
    done: bool,
) -> QueryResult<HashMap<ClientId, i64>> {
    let status = tasks::status.eq(TaskStatus::Done);
    let query = tasks::table
        .filter(tasks::user_id.eq(user))
        .filter(tasks::scheduled_date.ge(from))
        .filter(tasks::scheduled_date.lt(to))
        .filter(
            tasks::client_id
                .is_not_null()
                .or(tasks::project_id.is_not_null()),
        )
        .group_by((tasks::client_id, tasks::project_id))
        .select((
            tasks::client_id,
            tasks::project_id,
            sum(tasks::time_block_minutes),
        ));
    let rows: Vec<(Option<ClientId>, Option<ProjectId>, Option<i64>)> = if done {
        query.filter(status).load(conn)?
    } else {
        query.filter(diesel::dsl::not(status)).load(conn)?
    };
    // The clients of the projects that need one (a block naming only its project).
    let wanted: Vec<&ProjectId> = rows
        .iter()
        .filter(|(c, _, _)| c.is_none())
        .filter_map(|(_, p, _)| p.as_ref())
        .collect();
    let owners: HashMap<ProjectId, ClientId> = if wanted.is_empty() {
        HashMap::new()
    } else {
        projects::table
            .filter(projects::id.eq_any(&wanted))
            .select((projects::id, projects::client_id))
            .load::<(ProjectId, ClientId)>(conn)?
            .into_iter()
            .collect()
    };
    let mut by: HashMap<ClientId, i64> = HashMap::new();
    for (direct, project, minutes) in rows {
        let client = direct.or_else(|| project.and_then(|p| owners.get(&p).cloned()));
        if let Some(client) = client {
            *by.entry(client).or_default() += minutes.unwrap_or(0);
        }
    }
    Ok(by)
}

/// Payments received per client in `[from, to)` (UTC instants).
pub fn payments_by_client(
    conn: &mut AnyConnection,
    user: &UserId,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<HashMap<ClientId, Decimal>> {
    let rows: Vec<(ClientId, Option<Total>)> = payments::table
        .filter(payments::user_id.eq(user))
        .filter(payments::paid_at.ge(from))
        .filter(payments::paid_at.lt(to))
        .group_by(payments::client_id)
        .select((payments::client_id, sum(payments::amount)))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(c, t)| (c, t.map_or(Decimal::ZERO, |t| t.0)))
        .collect())
}

/// A client as the figures need it.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct ClientTerms {
    pub id: ClientId,
    pub name: String,
    pub monthly_retainer: Option<crate::domain::Money>,
    pub retainer_hours_per_month: Option<i32>,
    pub created_at: NaiveDateTime,
}

/// The user's clients with their retainer terms, by name.
pub fn client_terms(conn: &mut AnyConnection, user: &UserId) -> QueryResult<Vec<ClientTerms>> {
    clients::table
        .filter(clients::user_id.eq(user))
        .order(clients::name.asc())
        .select((
            clients::id,
            clients::name,
            clients::monthly_retainer,
            clients::retainer_hours_per_month,
            clients::created_at,
        ))
        .load(conn)
}

/// Each client with retainer hours: covered, delivered this month and
/// scheduled from `today` to the month's end `[month_start, month_end)`.
pub fn capacities(
    conn: &mut AnyConnection,
    user: &UserId,
    today: NaiveDate,
    month: (NaiveDate, NaiveDate),
) -> QueryResult<Vec<(ClientTerms, RetainerHours)>> {
    let terms = client_terms(conn, user)?;
    capacities_of(conn, user, terms, today, month)
}

/// As `capacities`, for clients already read (the review reads them anyway).
pub fn capacities_of(
    conn: &mut AnyConnection,
    user: &UserId,
    terms: Vec<ClientTerms>,
    today: NaiveDate,
    month: (NaiveDate, NaiveDate),
) -> QueryResult<Vec<(ClientTerms, RetainerHours)>> {
    let terms: Vec<ClientTerms> = terms
        .into_iter()
        .filter(|c| c.retainer_hours_per_month.is_some())
        .collect();
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let delivered = client_minutes(conn, user, month.0, month.1, true)?;
    let scheduled = client_minutes(conn, user, today, month.1, false)?;
    Ok(terms
        .into_iter()
        .map(|c| {
            let capacity = RetainerHours {
                covered: i64::from(c.retainer_hours_per_month.unwrap_or(0)) * 60,
                delivered: delivered.get(&c.id).copied().unwrap_or(0),
                scheduled: scheduled.get(&c.id).copied().unwrap_or(0),
            };
            (c, capacity)
        })
        .collect())
}

/// An open project with an estimate and a due date, and its forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectForecast {
    pub id: ProjectId,
    pub name: String,
    pub client_id: ClientId,
    pub client: String,
    pub forecast: Forecast,
}

/// Minutes of the projects' blocks, by project, in three grouped statements
/// that each return a row per project (or per future day): DONE ones in all,
/// DONE ones in `(recent_from, today]`, and open ones scheduled from `today`.
struct ProjectMinutes {
    done: HashMap<ProjectId, i64>,
    recent: HashMap<ProjectId, i64>,
    /// Open minutes by project and day, from today on (the caller cuts at each due date).
    ahead: Vec<(ProjectId, NaiveDate, i64)>,
}

///
/// `ids` are the user's own projects (read with the owner's filter), so the
/// statements filter by project alone: `tasks_project_work_idx` answers them
/// without reading a block row.
fn project_minutes(
    conn: &mut AnyConnection,
    ids: &[&ProjectId],
    recent_from: NaiveDate,
    today: NaiveDate,
) -> QueryResult<ProjectMinutes> {
    let per_project = |rows: Vec<(Option<ProjectId>, Option<i64>)>| -> HashMap<ProjectId, i64> {
        rows.into_iter()
            .filter_map(|(p, m)| Some((p?, m.unwrap_or(0))))
            .collect()
    };
    let done = tasks::table
        .filter(tasks::project_id.eq_any(ids))
        .filter(tasks::status.eq(TaskStatus::Done))
        .group_by(tasks::project_id)
        .select((tasks::project_id, sum(tasks::time_block_minutes)))
        .load(conn)?;
    let recent = tasks::table
        .filter(tasks::project_id.eq_any(ids))
        .filter(tasks::status.eq(TaskStatus::Done))
        .filter(tasks::scheduled_date.gt(recent_from))
        .filter(tasks::scheduled_date.le(today))
        .group_by(tasks::project_id)
        .select((tasks::project_id, sum(tasks::time_block_minutes)))
        .load(conn)?;
    let ahead: Vec<(Option<ProjectId>, Option<NaiveDate>, Option<i64>)> = tasks::table
        .filter(tasks::project_id.eq_any(ids))
        .filter(tasks::status.ne(TaskStatus::Done))
        .filter(tasks::scheduled_date.ge(today))
        .group_by((tasks::project_id, tasks::scheduled_date))
        .select((
            tasks::project_id,
            tasks::scheduled_date,
            sum(tasks::time_block_minutes),
        ))
        .load(conn)?;
    Ok(ProjectMinutes {
        done: per_project(done),
        recent: per_project(recent),
        ahead: ahead
            .into_iter()
            .filter_map(|(p, d, m)| Some((p?, d?, m.unwrap_or(0))))
            .collect(),
    })
}

/// Forecasts of the user's open projects that have an estimate and a due
/// date (`only`: one project), latest finish first.
pub fn forecasts(
    conn: &mut AnyConnection,
    user: &UserId,
    today: NaiveDate,
    only: Option<&ProjectId>,
) -> QueryResult<Vec<ProjectForecast>> {
    let mut query = projects::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(projects::status.ne(ProjectStatus::Launched))
        .filter(projects::estimated_hours.is_not_null())
        .filter(projects::due_date.is_not_null())
        .select((
            projects::id,
            projects::name,
            clients::id,
            clients::name,
            projects::estimated_hours.assume_not_null(),
            projects::due_date.assume_not_null(),
        ))
        .into_boxed();
    if let Some(id) = only {
        query = query.filter(projects::id.eq(id));
    }
    let open: Vec<(ProjectId, String, ClientId, String, i32, NaiveDate)> = query.load(conn)?;
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&ProjectId> = open.iter().map(|p| &p.0).collect();
    let recent_from = today - chrono::Duration::days(PACE_DAYS);
    let minutes = project_minutes(conn, &ids, recent_from, today)?;
    let mut all: Vec<ProjectForecast> = open
        .into_iter()
        .map(|(id, name, client_id, client, estimated, due)| {
            let f = Forecast {
                estimated: i64::from(estimated) * 60,
                done: minutes.done.get(&id).copied().unwrap_or(0),
                scheduled: minutes
                    .ahead
                    .iter()
                    .filter(|(p, day, _)| *p == id && *day <= due)
                    .map(|(_, _, m)| m)
                    .sum(),
                recent: minutes.recent.get(&id).copied().unwrap_or(0),
                today,
                due,
            };
            ProjectForecast {
                id,
                name,
                client_id,
                client,
                forecast: f,
            }
        })
        .collect();
    all.sort_by_key(|p| std::cmp::Reverse(p.forecast.slips_by().unwrap_or(i64::MAX)));
    Ok(all)
}

/// What the weekly review reads of a week and its month: blocks' minutes by
/// day and category, done minutes and payments by client, the clients' terms
/// and retainer hours, the goals, contacts logged, next week's follow-ups and
/// what is open on projects, MRR and the open pipeline. Only tables that bump
/// the user's data version (or are written with one that does, as payments
/// are with their project) are read, so it may be kept at that version (`cache::ReviewCache`).
#[derive(Debug, Clone)]
pub struct WeekWork {
    pub monday: NaiveDate,
    pub minutes: Vec<DayMinutes>,
    pub done_by_client: HashMap<ClientId, i64>,
    pub paid_by_client: HashMap<ClientId, Decimal>,
    pub terms: Vec<ClientTerms>,
    pub capacities: Vec<(ClientTerms, RetainerHours)>,
    pub goals: Vec<Goal>,
    pub contacts: i64,
    pub followups: Vec<(ClientId, String, NaiveDateTime)>,
    pub open_on_projects: Decimal,
    /// The active clients' retainers now (monthly recurring revenue) and
    /// the open pipeline.
    pub mrr: Decimal,
    pub pipeline: Decimal,
}

/// The UTC instant a local day starts at.
fn utc_start(zone: Timezone, day: NaiveDate) -> NaiveDateTime {
    zone.to_utc(day.and_time(chrono::NaiveTime::MIN))
        .naive_utc()
}

/// The week from `monday` (ISO), as of `today`, in the user's `zone`.
pub fn week_work(
    conn: &mut AnyConnection,
    user: &UserId,
    zone: Timezone,
    monday: NaiveDate,
    today: NaiveDate,
) -> QueryResult<WeekWork> {
    let end = monday + chrono::Duration::days(7);
    let (from, to) = (utc_start(zone, monday), utc_start(zone, end));
    let next = (to, utc_start(zone, end + chrono::Duration::days(7)));
    let month = (month_start(today), next_month(today));
    let contacts = audit_logs::table
        .filter(audit_logs::user_id.eq(user))
        .filter(audit_logs::action.eq(AuditAction::ContactLogged.as_str()))
        .filter(audit_logs::created_at.ge(from))
        .filter(audit_logs::created_at.lt(to))
        .count()
        .get_result(conn)?;
    let followups = clients::table
        .filter(clients::user_id.eq(user))
        .filter(clients::next_followup.ge(next.0))
        .filter(clients::next_followup.lt(next.1))
        .order(clients::next_followup.asc())
        .select((
            clients::id,
            clients::name,
            clients::next_followup.assume_not_null(),
        ))
        .load(conn)?;
    let money: Vec<(Option<Money>, Money)> = projects::table
        .inner_join(clients::table)
        .filter(clients::user_id.eq(user))
        .filter(projects::budget.is_not_null())
        .select((projects::budget, projects::paid_amount))
        .load(conn)?;
    let open_on_projects = money
        .iter()
        .filter_map(|(budget, paid)| {
            budget.map(|b| (b.amount() - paid.amount()).max(Decimal::ZERO))
        })
        .sum();
    let terms = client_terms(conn, user)?;
    Ok(WeekWork {
        monday,
        minutes: minutes_by_day(conn, user, monday, end)?,
        done_by_client: client_minutes(conn, user, monday, end, true)?,
        paid_by_client: payments_by_client(conn, user, from, to)?,
        capacities: capacities_of(conn, user, terms.clone(), today, month)?,
        terms,
        goals: super::goals::list_for_user(conn, user)?,
        contacts,
        followups,
        open_on_projects,
        mrr: super::clients::monthly_recurring(conn, user)?,
        pipeline: super::clients::open_pipeline(conn, user)?,
    })
}

/// A client whose payments are overdue, and what is still open on its projects
/// (budget − paid, never below zero per project).
#[derive(Debug, Clone, PartialEq)]
pub struct Overdue {
    pub client: ClientId,
    pub name: String,
    pub open: Decimal,
}

/// The user's clients with payment status OVERDUE, in two statements.
pub fn overdue(conn: &mut AnyConnection, user: &UserId) -> QueryResult<Vec<Overdue>> {
    let late: Vec<(ClientId, String)> = clients::table
        .filter(clients::user_id.eq(user))
        .filter(clients::payment_status.eq(PaymentStatus::Overdue))
        .order(clients::name.asc())
        .select((clients::id, clients::name))
        .load(conn)?;
    if late.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&ClientId> = late.iter().map(|(id, _)| id).collect();
    let open = projects::table
        .filter(projects::client_id.eq_any(&ids))
        .select(Project::as_select())
        .load(conn)?;
    Ok(late
        .iter()
        .map(|(client, name)| Overdue {
            client: client.clone(),
            name: name.clone(),
            open: open
                .iter()
                .filter(|p| &p.client_id == client)
                .filter_map(Project::open)
                .map(|o| o.max(Decimal::ZERO))
                .sum(),
        })
        .collect())
}

/// A week's note: what went well, what to change, next week's intentions.
#[derive(Debug, Clone, Default, PartialEq, Queryable)]
pub struct WeeklyNote {
    pub went_well: Option<String>,
    pub to_change: Option<String>,
    pub intentions: Option<String>,
}

pub fn note(
    conn: &mut AnyConnection,
    user: &UserId,
    week_start: NaiveDate,
) -> QueryResult<Option<WeeklyNote>> {
    weekly_notes::table
        .filter(weekly_notes::user_id.eq(user))
        .filter(weekly_notes::week_start.eq(week_start))
        .select((
            weekly_notes::went_well,
            weekly_notes::to_change,
            weekly_notes::intentions,
        ))
        .first(conn)
        .optional()
}

/// Saves the week's note (replacing what was there).
pub fn save_note(
    conn: &mut AnyConnection,
    user: &UserId,
    week_start: NaiveDate,
    note: &WeeklyNote,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        weekly_notes::table
            .filter(weekly_notes::user_id.eq(user))
            .filter(weekly_notes::week_start.eq(week_start)),
    )
    .execute(conn)?;
    diesel::insert_into(weekly_notes::table)
        .values((
            weekly_notes::user_id.eq(user),
            weekly_notes::week_start.eq(week_start),
            weekly_notes::went_well.eq(&note.went_well),
            weekly_notes::to_change.eq(&note.to_change),
            weekly_notes::intentions.eq(&note.intentions),
            weekly_notes::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// What a client's earnings are figured from: its DONE minutes before `end` (in
/// all and since each of two days), the first day worked, and its payments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientWork {
    pub first_day: Option<NaiveDate>,
    /// Minutes since each of the `since` days.
    pub minutes_since: [i64; 2],
    pub minutes: i64,
    pub payments: Vec<(NaiveDateTime, Decimal)>,
}

/// One client's work (its own blocks and its projects') and payments; `client`
/// is the user's (the callers found it first). The blocks are summed in the
/// database, each half of them through an index that holds every column the sums
/// read: the client's blocks through (client, status, day, minutes, user), the
/// rest of its projects' through (project, day, status, minutes, client, user). A long
/// history still costs index entries, not rows.
pub fn client_history(
    conn: &mut AnyConnection,
    user: &UserId,
    client: &ClientId,
    since: [NaiveDate; 2],
    end: NaiveDate,
) -> QueryResult<ClientWork> {
    use diesel::dsl::{min, sql};
    use diesel::sql_types::{BigInt, Date, Nullable};
    type Sums = (Option<NaiveDate>, Option<i64>, Option<i64>, Option<i64>);
    let since_sum = |day: NaiveDate| {
        sql::<Nullable<BigInt>>("SUM(CASE WHEN tasks.scheduled_date >= ")
            .bind::<Date, _>(day)
            .sql(" THEN tasks.time_block_minutes ELSE 0 END)")
    };
    macro_rules! sums {
        ($query:expr) => {
            $query
                .filter(tasks::status.eq(TaskStatus::Done))
                .filter(tasks::scheduled_date.lt(end))
                .select((
                    min(tasks::scheduled_date),
                    since_sum(since[0]),
                    since_sum(since[1]),
                    sum(tasks::time_block_minutes),
                ))
                .first::<Sums>(conn)?
        };
    }
    let projects = projects::table
        .filter(projects::client_id.eq(client))
        .select(projects::id);
    // Two halves that cannot overlap, so no block counts twice: the blocks named
    // for the client, and its projects' blocks not named for it. (One query with
    // an OR of the two makes SQLite fetch every row.) The second leaves out the
    // user: a project's blocks are its owner's, and naming the user there lets
    // SQLite's planner walk the user's whole history instead.
    let direct: Sums = sums!(
        tasks::table
            .filter(tasks::client_id.eq(client))
            .filter(tasks::user_id.eq(user))
    );
    let through: Sums = sums!(
        tasks::table
            .filter(tasks::project_id.nullable().eq_any(projects.nullable()))
            .filter(tasks::client_id.is_null().or(tasks::client_id.ne(client)))
    );
    let paid: Vec<(NaiveDateTime, crate::domain::Money)> = payments::table
        .filter(payments::user_id.eq(user))
        .filter(payments::client_id.eq(client))
        .select((payments::paid_at, payments::amount))
        .load(conn)?;
    let add = |a: Option<i64>, b: Option<i64>| a.unwrap_or(0) + b.unwrap_or(0);
    Ok(ClientWork {
        first_day: [direct.0, through.0].into_iter().flatten().min(),
        minutes_since: [add(direct.1, through.1), add(direct.2, through.2)],
        minutes: add(direct.3, through.3),
        payments: paid.into_iter().map(|(at, m)| (at, m.amount())).collect(),
    })
}

/// Monthly recurring revenue and open pipeline as recorded on days.
pub fn business_days(
    conn: &mut AnyConnection,
    user: &UserId,
    from: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, Decimal, Decimal)>> {
    use crate::db::schema::business_days;
    let rows: Vec<(NaiveDate, Total, Total)> = business_days::table
        .filter(business_days::user_id.eq(user))
        .filter(business_days::day.ge(from))
        .order(business_days::day.asc())
        .select((
            business_days::day,
            business_days::mrr,
            business_days::pipeline,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(d, m, p)| (d, m.0, p.0)).collect())
}

/// The last recorded day, if any.
pub fn last_business_day(
    conn: &mut AnyConnection,
    user: &UserId,
) -> QueryResult<Option<(NaiveDate, Decimal, Decimal)>> {
    use crate::db::schema::business_days;
    let row: Option<(NaiveDate, Total, Total)> = business_days::table
        .filter(business_days::user_id.eq(user))
        .order(business_days::day.desc())
        .select((
            business_days::day,
            business_days::mrr,
            business_days::pipeline,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(d, m, p)| (d, m.0, p.0)))
}

/// Records `day`'s figures (replacing what the day had).
pub fn record_business_day(
    conn: &mut AnyConnection,
    user: &UserId,
    day: NaiveDate,
    mrr: Decimal,
    pipeline: Decimal,
) -> QueryResult<()> {
    use crate::db::schema::business_days;
    let (Ok(mrr), Ok(pipeline)) = (
        crate::domain::Money::new(mrr),
        crate::domain::Money::new(pipeline),
    ) else {
        // Beyond what a column holds: not recorded rather than wrong.
        return Ok(());
    };
    diesel::delete(
        business_days::table
            .filter(business_days::user_id.eq(user))
            .filter(business_days::day.eq(day)),
    )
    .execute(conn)?;
    diesel::insert_into(business_days::table)
        .values((
            business_days::user_id.eq(user),
            business_days::day.eq(day),
            business_days::mrr.eq(mrr),
            business_days::pipeline.eq(pipeline),
        ))
        .execute(conn)?;
    Ok(())
}
