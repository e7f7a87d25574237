//! `AppState`: what every request shares (the database, settings, keys, storage,
//! clock and caches), nothing per user. Above `auth`, `db`, `storage` and `cache`,
//! below `web` and `routes`: it imports no route.

use std::sync::Arc;

use crate::auth::CurrentUser;
use crate::auth::session::SessionPolicy;
use crate::auth::supabase::{SessionEnv, Supabase};
use crate::cache::{DayCache, ForecastCache, ReviewCache};
use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::KeyRing;
use crate::db::models::insight::{self, ProjectForecast};
use crate::db::models::users;
use crate::db::{AnyConnection, Database, DbKind};
use crate::error::AppError;
use crate::storage::Storage;

pub struct AppState {
    pub database: Database,
    pub settings: Arc<Settings>,
    pub sessions: SessionPolicy,
    /// The one clock: every timestamp the app writes or compares comes from it.
    pub clock: Clock,
    /// Keys for secrets at rest (client credentials, Supabase tokens).
    pub keys: Arc<KeyRing>,
    /// Where uploaded files live (local directory or S3).
    pub storage: Arc<Storage>,
    /// Supabase Auth, when `LAUF_AUTH_MODE=supabase`; `None` in local mode.
    pub supabase: Option<Arc<Supabase>>,
    /// Day pages' data by user and data version.
    pub day_cache: Arc<DayCache>,
    /// Open projects' forecasts by user, day and data version.
    pub forecast_cache: Arc<ForecastCache>,
    /// The weekly review's week by user, week, day and data version.
    pub review_cache: Arc<ReviewCache>,
}

impl AppState {
    pub fn db_kind(&self) -> DbKind {
        self.database.kind()
    }

    /// The user's open projects' forecasts as of today (`insight::forecasts`),
    /// from the cache when it holds them at `version` (the one the session
    /// read; `None` after this request wrote: the version is read first).
    pub async fn forecasts(
        &self,
        user: &CurrentUser,
        version: Option<i64>,
    ) -> Result<Arc<Vec<ProjectForecast>>, AppError> {
        let today = user.today(self.clock.now());
        if let Some(hit) = version.and_then(|v| self.forecast_cache.get(user.id(), v, &today)) {
            return Ok(hit);
        }
        let (id, cache) = (user.id().clone(), self.forecast_cache.clone());
        self.db(move |conn| {
            let version = match version {
                Some(v) => v,
                None => {
                    let v = users::data_version(conn, &id)?;
                    if let Some(hit) = cache.get(&id, v, &today) {
                        return Ok(hit);
                    }
                    v
                }
            };
            let all = Arc::new(insight::forecasts(conn, &id, today, None)?);
            cache.put(id, version, today, all.clone());
            Ok(all)
        })
        .await
    }

    /// Reads, on the blocking pool (`Database::read`).
    #[track_caller]
    pub fn db<F, R>(&self, work: F) -> impl Future<Output = Result<R, AppError>> + use<F, R>
    where
        F: FnOnce(&mut AnyConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        self.database.read(work)
    }

    /// One write transaction, queued on SQLite (`Database::write`): for writes not
    /// made on behalf of a signed-in user (logins, sign-ups, sessions).
    #[track_caller]
    pub fn db_write<F, R>(&self, work: F) -> impl Future<Output = Result<R, AppError>> + use<F, R>
    where
        F: FnMut(&mut AnyConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        self.database.write(work)
    }

    /// One write transaction of a user's data, their row locked first on
    /// PostgreSQL (`Database::write_as`).
    #[track_caller]
    pub fn db_write_as<F, R>(
        &self,
        user: &CurrentUser,
        work: F,
    ) -> impl Future<Output = Result<R, AppError>> + use<F, R>
    where
        F: FnMut(&mut AnyConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        self.database.write_as(user.id(), work)
    }

    /// What a Supabase session's upkeep needs of the app.
    pub fn supabase_env(&self) -> SessionEnv<'_> {
        SessionEnv {
            db: &self.database,
            keys: &self.keys,
            clock: &self.clock,
        }
    }
}
