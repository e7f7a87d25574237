//! Per-user caches keyed on the user's data version.
//!
//! Every change to what a user's pages show bumps `users.data_version` in the same
//! transaction (database triggers, so no write path can forget it). A value cached
//! for version `v` was read after `v` was committed, so it is at least as new as
//! `v`: a request that read `v` may use it, and a request after any later change
//! reads a newer version and misses. That holds across processes, as each keys on
//! the database's version, never on its own writes.
//!
//! Written here rather than with `quick_cache` or `moka`: what makes it correct is
//! `put` refusing a value read for an older version than the one held (a slow
//! reader must not put back what a faster one replaced), a compare-and-set those
//! caches do not offer on insert; with one entry per user and a few hundred users,
//! the rest (a map and an LRU scan on a full insert) is a few lines.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::db::day::{DayData, DayKey};
use crate::db::models::insight::{ProjectForecast, WeekWork};
use crate::domain::UserId;

/// The day page's reads by user, at the version they were read for.
pub type DayCache = VersionedCache<DayKey, DayData>;

/// The open projects' slippage forecasts by user, for the day they were made
/// (the pace looks back from today), at the version they were read for: the
/// board, the day panel and "Prepare tomorrow" show them without reading each
/// project's work again until a block, project or client changes.
pub type ForecastCache = VersionedCache<chrono::NaiveDate, Vec<ProjectForecast>>;

/// The weekly review's week (`insight::WeekWork`) by user, for (its Monday,
/// today), at the version it was read for.
pub type ReviewCache = VersionedCache<(chrono::NaiveDate, chrono::NaiveDate), WeekWork>;

/// Users whose day page is kept in memory; a page is a few dozen kilobytes.
pub const CACHED_USERS: usize = 256;

/// One value per user: the latest view that user asked for (the day they look at),
/// at the version it was read for. Bounded by `capacity` users; the least recently
/// used goes first.
pub struct VersionedCache<K, V> {
    entries: Mutex<Entries<K, V>>,
    capacity: usize,
}

struct Entries<K, V> {
    by_user: HashMap<UserId, Entry<K, V>>,
    tick: u64,
}

struct Entry<K, V> {
    version: i64,
    key: K,
    value: Arc<V>,
    used: u64,
}

impl<K: PartialEq, V> VersionedCache<K, V> {
    pub fn new(capacity: usize) -> Self {
        VersionedCache {
            entries: Mutex::new(Entries {
                by_user: HashMap::new(),
                tick: 0,
            }),
            capacity: capacity.max(1),
        }
    }

    /// The value cached for `user` at exactly `version` and `key`.
    pub fn get(&self, user: &UserId, version: i64, key: &K) -> Option<Arc<V>> {
        let mut entries = self.lock();
        entries.tick += 1;
        let tick = entries.tick;
        let entry = entries.by_user.get_mut(user)?;
        if entry.version != version || entry.key != *key {
            return None;
        }
        entry.used = tick;
        Some(entry.value.clone())
    }

    /// Caches `value` as read for `version`. A value for an older version than the
    /// one held for the same key is dropped: a slow reader must not put back what
    /// a faster one already replaced.
    pub fn put(&self, user: UserId, version: i64, key: K, value: Arc<V>) {
        let mut entries = self.lock();
        entries.tick += 1;
        let tick = entries.tick;
        if let Some(held) = entries.by_user.get(&user)
            && held.key == key
            && held.version > version
        {
            return;
        }
        if !entries.by_user.contains_key(&user) && entries.by_user.len() >= self.capacity {
            let oldest = entries
                .by_user
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(u, _)| u.clone());
            if let Some(oldest) = oldest {
                entries.by_user.remove(&oldest);
            }
        }
        entries.by_user.insert(
            user,
            Entry {
                version,
                key,
                value,
                used: tick,
            },
        );
    }

    pub fn len(&self) -> usize {
        self.lock().by_user.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        // The map is consistent after every statement; a panic elsewhere while it
        // was held leaves nothing half-done.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: u8) -> UserId {
        UserId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02}")).unwrap()
    }

    #[test]
    fn a_value_serves_only_its_version_and_key() {
        let cache = VersionedCache::new(4);
        cache.put(user(1), 7, "mon", Arc::new(1));
        assert_eq!(cache.get(&user(1), 7, &"mon").as_deref(), Some(&1));
        assert_eq!(
            cache.get(&user(1), 8, &"mon"),
            None,
            "a newer version misses"
        );
        assert_eq!(cache.get(&user(1), 7, &"tue"), None, "another day misses");
        assert_eq!(cache.get(&user(2), 7, &"mon"), None, "another user misses");
    }

    #[test]
    fn an_older_read_does_not_replace_a_newer_one() {
        let cache = VersionedCache::new(4);
        cache.put(user(1), 9, "mon", Arc::new(9));
        cache.put(user(1), 8, "mon", Arc::new(8));
        assert_eq!(cache.get(&user(1), 9, &"mon").as_deref(), Some(&9));
        // Another day replaces whatever was there: one entry per user.
        cache.put(user(1), 8, "tue", Arc::new(80));
        assert_eq!(cache.get(&user(1), 8, &"tue").as_deref(), Some(&80));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_least_recently_used_user_goes_first() {
        let cache = VersionedCache::new(2);
        cache.put(user(1), 1, (), Arc::new(1));
        cache.put(user(2), 1, (), Arc::new(2));
        assert!(cache.get(&user(1), 1, &()).is_some());
        cache.put(user(3), 1, (), Arc::new(3));
        assert_eq!(cache.len(), 2);
        assert!(
            cache.get(&user(2), 1, &()).is_none(),
            "user 2 was used last longest ago"
        );
        assert!(cache.get(&user(1), 1, &()).is_some());
        assert!(cache.get(&user(3), 1, &()).is_some());
    }
}
