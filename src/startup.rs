//! Building and running the HTTP application; the one route table.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::auth::session::SessionPolicy;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, AnyConnection, DbKind, DbPool};
use crate::error::AppError;
use crate::routes;

/// Shared by every request: the pool and the settings, nothing per user.
pub struct AppState {
    pub pool: DbPool,
    pub db_kind: DbKind,
    pub settings: Arc<Settings>,
    pub sessions: SessionPolicy,
    pub clock: Clock,
    /// Keys for secrets at rest (client credentials).
    pub keys: Arc<crate::crypto::KeyRing>,
    /// Where uploaded files live (local directory or S3).
    pub storage: Arc<crate::storage::Storage>,
    /// Supabase Auth, when `LAUF_AUTH_MODE=supabase`; `None` in local mode.
    pub supabase: Option<Arc<crate::auth::supabase::Supabase>>,
    /// Day pages' data by user and data version.
    pub day_cache: Arc<crate::routes::command::day::DayCache>,
    /// This process's SQLite writers take turns here (see `db_write`).
    writer: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// As `db`, inside one write transaction (`db::write_transaction`): for every
    /// request that changes data.
    ///
    /// On SQLite the writers of this process queue for their turn (first come, first
    /// served) before they take a thread or a connection. SQLite admits one writer
    /// at a time and lets the others wait in its busy handler, which polls with
    /// sleeps of up to 100 ms: under a burst of completions the slowest waited over
    /// a second. The queue hands over as soon as the previous writer commits. A
    /// writer that cannot get its turn within the busy timeout gets the same 503 as
    /// one SQLite refuses; other processes still meet SQLite's own busy timeout.
    pub async fn db_write<F, R>(&self, work: F) -> Result<R, AppError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        let turn = match self.db_kind {
            DbKind::Postgres => None,
            DbKind::Sqlite => {
                let waiting = actix_web::rt::time::timeout(
                    db::SQLITE_BUSY_TIMEOUT,
                    self.writer.clone().acquire_owned(),
                );
                match waiting.await {
                    Ok(Ok(permit)) => Some(permit),
                    Ok(Err(_closed)) => None,
                    Err(_elapsed) => {
                        return Err(AppError::Unavailable(
                            "SQLite busy: no turn to write within the busy timeout".into(),
                        ));
                    }
                }
            }
        };
        self.on_connection(move |conn| {
            let result = db::write_transaction(conn, work);
            drop(turn);
            result
        })
        .await
    }

    /// Runs blocking database work that only reads on actix's blocking pool, never on
    /// a worker; every write goes through `db_write`. Debug builds (the tests) check
    /// that: on SQLite the connection refuses writes (`db::read_only`). Release builds
    /// don't, as switching the pragma makes SQLite re-prepare every cached statement
    /// (`/` went from ~9,900 to ~5,000 requests/s).
    pub async fn db<F, R>(&self, work: F) -> Result<R, AppError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        if cfg!(debug_assertions) {
            self.on_connection(move |conn| db::read_only(conn, work))
                .await
        } else {
            self.on_connection(work).await
        }
    }

    async fn on_connection<F, R>(&self, work: F) -> Result<R, AppError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            let result = work(&mut conn);
            match result {
                // A failure on a connection that no longer answers means the database
                // went away: a 503, and the dead connection leaves the pool.
                Err(err @ (AppError::Internal(_) | AppError::Unavailable(_)))
                    if !conn.still_alive() =>
                {
                    Err(AppError::Unavailable(err.to_string()))
                }
                other => other,
            }
        })
        .await?
    }
}

pub struct Application {
    server: Server,
    port: u16,
    pool: DbPool,
    storage: Arc<crate::storage::Storage>,
    supabase: Option<Arc<crate::auth::supabase::Supabase>>,
    clock: Clock,
    db_kind: DbKind,
}

impl Application {
    /// Connects, migrates, binds. Fails with the real cause when the database or the
    /// address is unusable.
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = db::build_pool(&settings.database, &settings.pool)?;
        let mut conn = pool.get().context("getting a connection for migrations")?;
        let db_kind = conn.kind();
        let applied = db::run_migrations(&mut conn)?;
        drop(conn);
        tracing::info!(backend = db_kind.name(), database = %settings.database.redacted(), ?applied, "database ready");
        Self::build_with_pool(settings, pool)
    }

    /// Binds the server on an already migrated pool.
    pub fn build_with_pool(settings: Settings, pool: DbPool) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, pool, Clock::system())
    }

    /// As `build_with_pool`, with the clock the app reads "now" from (tests pin it).
    pub fn build_with_clock(
        settings: Settings,
        pool: DbPool,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let db_kind = pool
            .get()
            .map(|c| c.kind())
            .context("checking the database")?;
        let sessions = SessionPolicy {
            secure: settings.secure_cookies(),
            idle: settings.session_idle,
            absolute: settings.session_absolute,
        };
        let workers = settings.workers;
        let keys = Arc::new(settings.key_ring()?);
        let storage = Arc::new(settings.open_storage()?);
        std::fs::create_dir_all(settings.upload_dir())
            .with_context(|| format!("creating {}", settings.upload_dir().display()))?;
        tracing::info!(storage = %storage.describe(), "file storage ready");
        let app_storage = storage.clone();
        let supabase = match &settings.auth {
            crate::config::AuthMode::Local => None,
            crate::config::AuthMode::Supabase(sb) => {
                tracing::info!(url = %sb.url, issuer = %sb.issuer, "sign-in through Supabase Auth");
                Some(Arc::new(crate::auth::supabase::Supabase::new(sb.clone())))
            }
        };
        let app_supabase = supabase.clone();
        let app_clock = clock.clone();
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            db_kind,
            settings: Arc::new(settings),
            sessions,
            clock,
            keys,
            storage,
            supabase,
            day_cache: Arc::new(crate::cache::VersionedCache::new(
                crate::routes::command::day::CACHED_USERS,
            )),
            writer: Arc::new(tokio::sync::Semaphore::new(1)),
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(routes::form_config())
                .app_data(web::PayloadConfig::new(256 * 1024))
                .app_data(routes::path_config())
                .app_data(routes::query_config())
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
                .wrap(from_fn(crate::auth::middleware::session_gate))
                .wrap(from_fn(crate::security::response_headers))
                .wrap(from_fn(crate::telemetry::log_request))
        })
        .listen(listener)?
        // Nearly every blocking task holds a database connection: threads beyond the
        // pool would only park in `pool.get()`, each keeping its stack and buffers
        // (tokio's default allows 256 per worker; at 64 connections RSS passed 100 MB).
        .worker_max_blocking_threads(pool.max_size() as usize)
        .shutdown_timeout(10);
        if let Some(workers) = workers {
            server = server.workers(workers);
        }
        Ok(Application {
            server: server.run(),
            port,
            pool,
            storage: app_storage,
            supabase: app_supabase,
            clock: app_clock,
            db_kind,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server (tests, embedding).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM / Ctrl-C, then finishes in-flight requests (graceful stop).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let pool = self.pool.clone();
        let storage = self.storage.clone();
        let sweep_clock = self.clock.clone();
        if let Some(supabase) = self.supabase.clone() {
            // Warm the signing keys; a failure here only means not ready yet.
            let now = self.clock.now();
            actix_web::rt::spawn(async move {
                let _ = supabase.verifier.jwks.refresh_now(now).await;
            });
        }
        if self.db_kind == DbKind::Sqlite {
            let checkpoint_pool = self.pool.clone();
            actix_web::rt::spawn(async move {
                let mut every = actix_web::rt::time::interval(Duration::from_secs(1));
                loop {
                    every.tick().await;
                    let pool = checkpoint_pool.clone();
                    let done = web::block(move || -> Result<(), AppError> {
                        Ok(db::checkpoint(&mut *pool.get()?)?)
                    })
                    .await;
                    if let Ok(Err(e)) = done {
                        tracing::debug!(error = %e, "WAL checkpoint skipped");
                    }
                }
            });
        }
        actix_web::rt::spawn(async move {
            let mut every = actix_web::rt::time::interval(Duration::from_secs(10));
            loop {
                every.tick().await;
                let _ = web::block(trim_heap).await;
            }
        });
        actix_web::rt::spawn(async move {
            let mut every = actix_web::rt::time::interval(Duration::from_secs(600));
            loop {
                every.tick().await;
                let sweep_pool = pool.clone();
                let now = sweep_clock.stamp();
                let swept = web::block(move || -> Result<usize, AppError> {
                    let mut conn = sweep_pool.get()?;
                    let flows = db::models::auth_flows::delete_expired(&mut conn, now)?;
                    Ok(db::models::sessions::delete_expired(&mut conn, now)? + flows)
                })
                .await;
                match swept {
                    Ok(Ok(n)) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                    Ok(Err(e)) => tracing::warn!(error = %e, "session sweep failed"),
                    _ => {}
                }
                // Files of deleted assets whose removal failed earlier.
                match crate::storage::maintenance::drain_queue(&pool, &storage).await {
                    Ok(n) if n > 0 => tracing::info!(removed = n, "queued file deletions done"),
                    Err(e) => tracing::warn!(error = %e, "file deletion retry failed"),
                    _ => {}
                }
            }
        });
        self.server.await
    }
}

/// Hands the memory freed inside malloc's heaps back to the kernel. glibc returns
/// only a heap's free top by itself: after a burst of load (at 64 connections, as
/// many blocking threads with their buffers) the freed middle stayed resident and
/// the process kept its peak.
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the allocator's own locks; it frees nothing in use.
    unsafe {
        libc::malloc_trim(0);
    }
}
