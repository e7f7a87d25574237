//! `payments`: money received, by date. A project's paid amount is the running
//! total; each change of it writes the difference here (a correction down is
//! a negative row), so a period's income is a sum over dates.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use crate::db::AnyConnection;
use crate::db::schema::payments;
use crate::db::types::Total;
use crate::domain::{ClientId, CrmEvent, Money, PaymentId, ProjectId, UserId};

/// Records that `project` of `client` was paid `change` more (or, negative,
/// less) at `now`; nothing for no change.
pub fn record(
    conn: &mut AnyConnection,
    user: &UserId,
    client: &ClientId,
    project: Option<&ProjectId>,
    change: Decimal,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let Ok(amount) = Money::new(change) else {
        // A change beyond one amount's range cannot be stored as a row; the
        // project's own total still holds it.
        return Ok(());
    };
    if change.is_zero() {
        return Ok(());
    }
    diesel::insert_into(payments::table)
        .values((
            payments::id.eq(PaymentId::generate()),
            payments::user_id.eq(user),
            payments::client_id.eq(client),
            payments::project_id.eq(project),
            payments::amount.eq(amount),
            payments::paid_at.eq(now),
        ))
        .execute(conn)?;
    // Money in is an event a goal can count; a correction down takes one back.
    let delta = if change.is_sign_positive() { 1 } else { -1 };
    super::goals::count_event(conn, user, CrmEvent::Payment, delta, now)
}

/// What `client` paid in `[from, to)` (UTC instants).
pub fn paid_between(
    conn: &mut AnyConnection,
    user: &UserId,
    client: &ClientId,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Decimal> {
    let total: Option<Total> = payments::table
        .filter(payments::user_id.eq(user))
        .filter(payments::client_id.eq(client))
        .filter(payments::paid_at.ge(from))
        .filter(payments::paid_at.lt(to))
        .select(diesel::dsl::sum(payments::amount))
        .first(conn)?;
    Ok(total.map_or(Decimal::ZERO, |t| t.0))
}
