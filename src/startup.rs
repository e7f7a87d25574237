//! Building and running the HTTP application; the one route table.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::auth::session::SessionPolicy;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, Database, DbPool};
use crate::state::AppState;
use crate::{jobs, routes, web as our_web};

pub struct Application {
    server: Server,
    port: u16,
    database: Database,
    storage: Arc<crate::storage::Storage>,
    supabase: Option<Arc<crate::auth::supabase::Supabase>>,
    clock: Clock,
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
        let database = Database::new(pool.clone()).context("checking the database")?;
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
            database: database.clone(),
            settings: Arc::new(settings),
            sessions,
            clock,
            keys,
            storage,
            supabase,
            day_cache: Arc::new(crate::cache::VersionedCache::new(
                crate::cache::CACHED_USERS,
            )),
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(our_web::extract::form_config())
                .app_data(web::PayloadConfig::new(256 * 1024))
                .app_data(our_web::extract::path_config())
                .app_data(our_web::extract::query_config())
                .configure(routes::configure)
                .default_service(web::to(our_web::not_found))
                .wrap(from_fn(our_web::session_gate::session_gate))
                .wrap(from_fn(our_web::error_pages::render_errors))
                .wrap(from_fn(our_web::security::response_headers))
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
            database,
            storage: app_storage,
            supabase: app_supabase,
            clock: app_clock,
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
        if let Some(supabase) = self.supabase.clone() {
            // Warm the signing keys; a failure here only means not ready yet.
            let now = self.clock.now();
            actix_web::rt::spawn(async move {
                let _ = supabase.verifier.jwks.refresh_now(now).await;
            });
        }
        jobs::spawn_all(
            self.database.clone(),
            self.storage.clone(),
            self.clock.clone(),
        );
        self.server.await
    }
}
