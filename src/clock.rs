//! The app's notion of "now". Production reads the system clock; tests pin it to
//! instants around midnights and DST changes and move it forward.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, NaiveDateTime, SubsecRound, Utc};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    pinned: Option<Arc<RwLock<DateTime<Utc>>>>,
}

impl Clock {
    pub fn system() -> Self {
        Clock { pinned: None }
    }

    /// A clock that stays at `at` until `set` or `advance` moves it.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock {
            pinned: Some(Arc::new(RwLock::new(at))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.pinned {
            None => Utc::now(),
            Some(at) => *at.read().unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }

    /// `now` as stored in the database (UTC, microseconds), the one time source for
    /// sessions, sign-in throttles and auth flows: they are written and checked
    /// against the same clock, so a pinned clock cannot disagree with the wall.
    pub fn stamp(&self) -> NaiveDateTime {
        self.now().naive_utc().trunc_subsecs(6)
    }

    /// Moves a pinned clock to `at`; the system clock cannot be moved.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(pinned) = &self.pinned {
            *pinned
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
        }
    }

    pub fn advance(&self, by: Duration) {
        self.set(self.now() + by);
    }
}
