//! Login throttling shared by every process (rows in `login_throttle`), designed so
//! that guessing is slowed down without anyone being able to keep an owner out of
//! their account (OWASP's "device cookies"):
//!
//! - A browser that has signed in to an account before carries a device cookie for
//!   it (`auth::device`); its attempts count only against its own bucket
//!   (`PER_DEVICE`). Failures from anywhere else never delay it.
//! - Any other attempt counts against the account *from that address*
//!   (`PER_ACCOUNT_IP`), the address itself (`PER_IP`, across accounts), and the
//!   account from unknown browsers everywhere (`PER_ACCOUNT`, a larger allowance
//!   that only a spread-out attack reaches).
//!
//! Past a bucket's free failures each further failure waits longer: 15 s, 30 s,
//! 1 min … up to 15 min, counted in a 15-minute window. A success clears the
//! buckets it counted against.

use chrono::{Duration, NaiveDateTime};
use diesel::QueryResult;
use sha2::{Digest, Sha256};

use crate::db::AnyConnection;
use crate::db::models::throttle::{self, ThrottleRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Failures allowed inside `window` before each further one adds a delay.
    pub free_failures: i32,
    pub window: Duration,
    /// The first delay; each further failure doubles it, up to `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
}

const fn rule(free_failures: i32) -> Rule {
    Rule {
        free_failures,
        window: Duration::minutes(15),
        first_delay: Duration::seconds(15),
        max_delay: Duration::minutes(15),
    }
}

/// A browser that signed in to the account before: its own allowance.
pub const PER_DEVICE: Rule = rule(5);
/// One account from one address.
pub const PER_ACCOUNT_IP: Rule = rule(5);
/// One address may be a whole office behind NAT: more room than one account.
pub const PER_IP: Rule = rule(20);
/// One account from browsers it does not know, wherever they are.
pub const PER_ACCOUNT: Rule = rule(50);

fn hashed(kind: &str, text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{kind}:{hex}")
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Accounts are keyed by a hash so the table never lists addresses.
pub fn account_key(email_lower: &str) -> String {
    hashed("account", email_lower)
}

/// The buckets one login attempt counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets(Vec<(String, Rule)>);

impl Buckets {
    /// For a password attempt on `email_lower` from `ip`; `device` is the nonce of a
    /// device cookie issued to this browser for this account, if it holds one.
    pub fn for_login(email_lower: &str, ip: &str, device: Option<&str>) -> Self {
        match device {
            Some(nonce) => Buckets(vec![(hashed("device", nonce), PER_DEVICE)]),
            None => Buckets(vec![
                (
                    hashed("account-ip", &format!("{email_lower}\n{ip}")),
                    PER_ACCOUNT_IP,
                ),
                (ip_key(ip), PER_IP),
                (account_key(email_lower), PER_ACCOUNT),
            ]),
        }
    }

    /// Any other limited request: `key` with `rule`, and the address.
    pub fn keyed(key: String, rule: Rule, ip: &str) -> Self {
        Buckets(vec![(key, rule), (ip_key(ip), PER_IP)])
    }

    /// Seconds until another attempt is allowed, if any bucket holds it back.
    pub fn wait(&self, conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<Option<u64>> {
        let mut longest = None;
        for (key, _) in &self.0 {
            longest = longest.max(retry_after(conn, key, now)?);
        }
        Ok(longest)
    }

    /// Counts a failure in every bucket.
    pub fn failed(&self, conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<()> {
        for (key, rule) in &self.0 {
            record_failure(conn, key, *rule, now)?;
        }
        Ok(())
    }

    /// A success clears the buckets (the address's own stays: other accounts may
    /// be guessed from it).
    pub fn succeeded(&self, conn: &mut AnyConnection) -> QueryResult<()> {
        for (key, _) in &self.0 {
            if !key.starts_with("ip:") {
                clear(conn, key)?;
            }
        }
        Ok(())
    }
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

/// The delay after `failures` failures inside the window, if any.
fn delay(rule: Rule, failures: i32) -> Option<Duration> {
    (failures > rule.free_failures).then(|| {
        let doublings = (failures - rule.free_failures - 1).min(16);
        (rule.first_delay * 2i32.pow(doublings as u32)).min(rule.max_delay)
    })
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
    throttle::put(
        conn,
        &ThrottleRow {
            key: key.to_string(),
            failures,
            window_started_at,
            locked_until: delay(rule, failures).map(|d| now + d),
        },
    )
}

pub fn clear(conn: &mut AnyConnection, key: &str) -> QueryResult<()> {
    throttle::clear(conn, key).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_15_seconds_to_15_minutes() {
        let waits: Vec<Option<i64>> = (1..=12)
            .map(|n| delay(PER_ACCOUNT_IP, n).map(|d| d.num_seconds()))
            .collect();
        assert_eq!(
            waits,
            [
                None,
                None,
                None,
                None,
                None,
                Some(15),
                Some(30),
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(900)
            ]
        );
        assert_eq!(delay(PER_IP, 20), None);
        assert_eq!(delay(PER_ACCOUNT, 51).map(|d| d.num_seconds()), Some(15));
    }

    #[test]
    fn a_known_browser_counts_only_against_itself() {
        let known = Buckets::for_login("ana@example.com", "10.0.0.1", Some("nonce"));
        assert_eq!(known.0.len(), 1);
        assert_eq!(known.0[0].1, PER_DEVICE);
        let unknown = Buckets::for_login("ana@example.com", "10.0.0.1", None);
        let rules: Vec<Rule> = unknown.0.iter().map(|(_, r)| *r).collect();
        assert_eq!(rules, [PER_ACCOUNT_IP, PER_IP, PER_ACCOUNT]);
        let elsewhere = Buckets::for_login("ana@example.com", "10.0.0.2", None);
        assert_ne!(
            unknown.0[0].0, elsewhere.0[0].0,
            "another address, another bucket"
        );
        assert_eq!(
            unknown.0[2].0, elsewhere.0[2].0,
            "the account-wide one is shared"
        );
    }
}
