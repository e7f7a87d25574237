//! Login throttling shared by every process (rows in `login_throttle`): per client
//! IP and per account, with a growing delay instead of a hard lockout, so nobody can
//! lock a person out of their own account.

use chrono::{Duration, NaiveDateTime};
use diesel::QueryResult;
use sha2::{Digest, Sha256};

use crate::db::AnyConnection;
use crate::db::models::throttle::{self, ThrottleRow};

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Failures allowed inside `window` before each further one adds a delay.
    pub free_failures: i32,
    pub window: Duration,
    /// The first delay; each further failure doubles it, up to `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
}

/// One address may be a whole office behind NAT: more room than one account.
pub const PER_IP: Rule = Rule {
    free_failures: 20,
    window: Duration::minutes(15),
    first_delay: Duration::seconds(15),
    max_delay: Duration::minutes(15),
};
pub const PER_ACCOUNT: Rule = Rule {
    free_failures: 5,
    window: Duration::minutes(15),
    first_delay: Duration::seconds(15),
    max_delay: Duration::minutes(15),
};

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Accounts are keyed by a hash so the table never lists addresses.
pub fn account_key(email_lower: &str) -> String {
    let digest = Sha256::digest(email_lower.as_bytes());
    format!(
        "account:{}",
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// Seconds until another attempt is allowed, if `key` is currently held back.
pub fn retry_after(
    conn: &mut AnyConnection,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<u64>> {
    Ok(throttle::find(conn, key)?
        .and_then(|row| row.locked_until)
        .filter(|until| *until > now)
        .map(|until| (until - now).num_seconds().max(1) as u64))
}

/// Counts a failure; past the free allowance each one doubles the delay (15 s, 30 s, 1 min …).
pub fn record_failure(
    conn: &mut AnyConnection,
    key: &str,
    rule: Rule,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = throttle::find(conn, key)?;
    let (failures, window_started_at) = match row {
        Some(row) if now - row.window_started_at < rule.window => {
            (row.failures + 1, row.window_started_at)
        }
        _ => (1, now),
    };
    let locked_until = (failures > rule.free_failures).then(|| {
        let doublings = (failures - rule.free_failures - 1).min(16);
        now + (rule.first_delay * 2i32.pow(doublings as u32)).min(rule.max_delay)
    });
    throttle::put(
        conn,
        &ThrottleRow {
            key: key.to_string(),
            failures,
            window_started_at,
            locked_until,
        },
    )
}

pub fn clear(conn: &mut AnyConnection, key: &str) -> QueryResult<()> {
    throttle::clear(conn, key).map(drop)
}
