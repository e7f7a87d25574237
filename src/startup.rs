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
use crate::{jobs, web as our_web};

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
        // Before the first request: the data may have been loaded by `lauf demo`,
        // `restore` or `copy-to` since the statistics were last taken.
        db::refresh_statistics(&mut conn).context("refreshing the planner's statistics")?;
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
            forecast_cache: Arc::new(crate::cache::VersionedCache::new(
                crate::cache::CACHED_USERS,
            )),
            review_cache: Arc::new(crate::cache::VersionedCache::new(
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
                .configure(configure)
                .default_service(web::to(our_web::not_found))
                .wrap(from_fn(our_web::session_gate::session_gate))
                .wrap(from_fn(our_web::security::response_headers))
                .wrap(from_fn(crate::telemetry::log_request))
                .wrap(tracing_actix_web::TracingLogger::<
                    crate::telemetry::RequestSpan,
                >::new())
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

/// The route table: every URL, its method and its handler. Files under `routes/`
/// follow these URLs.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::routes::*;
    use web::{get, post, resource};
    cfg
        // Probes and the embedded static files.
        .route("/healthz", get().to(health::healthz))
        .route("/readyz", get().to(health::readyz))
        .service(
            resource("/static/{path:.*}")
                .route(get().to(static_files::serve))
                .route(web::head().to(static_files::serve)),
        )
        .route("/favicon.ico", get().to(static_files::favicon))
        // Signing in: both modes, then Supabase mode only (404 in local mode).
        .service(
            resource("/login")
                .route(get().to(auth::login_form))
                .route(post().to(auth::login)),
        )
        .service(
            resource("/signup")
                .route(get().to(auth::signup_form))
                .route(post().to(auth::signup)),
        )
        .route("/logout", post().to(auth::logout))
        .route("/login/magic", post().to(auth::supabase::magic_link))
        .route(
            "/login/oauth/{provider}",
            get().to(auth::supabase::oauth_start),
        )
        .service(
            resource("/auth/confirm")
                .route(get().to(auth::supabase::confirm_form))
                .route(post().to(auth::supabase::confirm)),
        )
        .route("/auth/callback", get().to(auth::supabase::oauth_callback))
        // Settings.
        .service(
            resource("/settings")
                .route(get().to(settings::show))
                .route(post().to(settings::save)),
        )
        .route("/settings/sessions", get().to(settings::sessions::list))
        .route(
            "/settings/sessions/others/revoke",
            post().to(settings::sessions::revoke_others),
        )
        .route(
            "/settings/sessions/{id}/revoke",
            post().to(settings::sessions::revoke),
        )
        .service(
            resource("/settings/calendar")
                .route(get().to(settings::calendar::show))
                .route(post().to(settings::calendar::regenerate)),
        )
        .route(
            "/settings/calendar/revoke",
            post().to(settings::calendar::revoke),
        )
        .route("/settings/data", get().to(settings::data::show))
        .route("/settings/data/export", get().to(settings::data::export))
        .route("/settings/data/import", post().to(settings::data::import))
        .route("/settings/data/delete", post().to(settings::data::delete))
        .route("/calendar.ics", get().to(calendar_ics::ics))
        // The Command Center.
        .route("/", get().to(command::day::show))
        .route("/search", get().to(search::search))
        .route("/onboarding", post().to(onboarding::step))
        .route("/command/calendar", get().to(command::calendar::show))
        .route("/command/tasks", get().to(command::tasks::show))
        .service(
            resource("/command/plan")
                .route(get().to(command::planner::show))
                .route(post().to(command::planner::accept)),
        )
        .service(
            resource("/command/shutdown")
                .route(get().to(command::shutdown::show))
                .route(post().to(command::shutdown::close)),
        )
        .route("/command/routines", get().to(command::routines::list))
        .route(
            "/command/routines/{id}/stop",
            post().to(command::routines::stop),
        )
        .service(
            resource("/command/goals")
                .route(get().to(command::goals::list))
                .route(post().to(command::goals::create)),
        )
        .route("/command/goals/{id}/edit", get().to(command::goals::edit))
        .route(
            "/command/goals/{id}/delete",
            get().to(command::goals::confirm_delete),
        )
        .route("/command/goals/{id}", post().to(command::goals::update))
        .route(
            "/command/goals/{id}/{action}",
            post().to(command::goals::act),
        )
        .route("/goals", post().to(command::goals::moved))
        .route("/goals/{rest:.*}", post().to(command::goals::moved))
        // Blocks.
        .route("/tasks/new", get().to(tasks::form::new))
        .route("/tasks/client-hint", get().to(tasks::hint::hint))
        .route("/tasks", post().to(tasks::form::create))
        .route("/tasks/carry-over", post().to(tasks::actions::carry_over))
        .route("/tasks/{id}/edit", get().to(tasks::form::edit))
        .route("/tasks/{id}", post().to(tasks::form::update))
        .service(
            resource("/tasks/{id}/delete")
                .route(get().to(tasks::actions::confirm_delete))
                .route(post().to(tasks::actions::delete)),
        )
        .route("/tasks/{id}/status", post().to(tasks::actions::set_status))
        .route("/tasks/{id}/move", post().to(tasks::actions::move_task))
        .route("/undo/{id}", post().to(undo::undo))
        // The activity catalog.
        .service(
            resource("/activities")
                .route(get().to(activities::list))
                .route(post().to(activities::create)),
        )
        .route("/activities/{id}/edit", get().to(activities::edit))
        .route("/activities/{id}", post().to(activities::update))
        .route("/activities/{id}/{action}", post().to(activities::arrange))
        // Clients; the CSV routes before `/clients/{id}`, which would take them as ids.
        .service(
            resource("/clients")
                .route(get().to(clients::list::list))
                .route(post().to(clients::form::create)),
        )
        .route("/clients/new", get().to(clients::form::new))
        .route("/clients.csv", get().to(clients::csv::export_clients))
        .service(import::routes::<clients::csv::Clients>())
        .service(
            resource("/clients/{id}")
                .route(get().to(clients::show::show))
                .route(post().to(clients::form::update)),
        )
        .route("/clients/{id}/edit", get().to(clients::form::edit))
        .service(
            resource("/clients/{id}/delete")
                .route(get().to(clients::form::confirm_delete))
                .route(post().to(clients::form::delete)),
        )
        .route(
            "/clients/{id}/contact",
            post().to(clients::followup::log_contact),
        )
        .route(
            "/clients/{id}/followup-block",
            post().to(clients::followup::followup_block),
        )
        .route(
            "/clients/{id}/health",
            post().to(clients::health::decide_health),
        )
        .route(
            "/clients/{id}/credentials",
            post().to(clients::credentials::save_credentials),
        )
        .route(
            "/clients/{id}/credentials/reveal",
            post().to(clients::credentials::reveal_credentials),
        )
        // Opportunities.
        .route("/clients/{id}/opportunities", post().to(opportunities::add))
        .route(
            "/clients/{id}/opportunities/suggest",
            post().to(opportunities::suggest),
        )
        .route(
            "/opportunities/{id}/dismiss",
            post().to(opportunities::dismiss),
        )
        .route(
            "/opportunities/{id}/convert",
            post().to(opportunities::convert),
        )
        .route(
            "/opportunities/{id}/restore",
            post().to(opportunities::restore),
        )
        // The weekly review.
        .route("/review", get().to(review::show))
        .route("/review/note", post().to(review::save_note))
        // Projects.
        .service(
            resource("/projects")
                .route(get().to(projects::board::board))
                .route(post().to(projects::form::create)),
        )
        .route("/projects.csv", get().to(projects::csv::export))
        .route("/projects/new", get().to(projects::form::new))
        .service(import::routes::<projects::csv::Projects>())
        .service(
            resource("/projects/{id}")
                .route(get().to(projects::show::show))
                .route(post().to(projects::form::update)),
        )
        .route("/projects/{id}/edit", get().to(projects::form::edit))
        .route("/projects/{id}/move", post().to(projects::board::step))
        // Assets.
        .route("/assets", get().to(assets::gallery::gallery))
        .service(
            resource("/assets/upload")
                .route(get().to(assets::upload::form))
                .route(post().to(assets::upload::upload)),
        )
        .route("/assets/link", post().to(assets::links::link))
        .route("/tasks/{id}/files/pick", get().to(assets::pick::for_task))
        .route(
            "/clients/{id}/files/pick",
            get().to(assets::pick::for_client),
        )
        .route(
            "/projects/{id}/files/pick",
            get().to(assets::pick::for_project),
        )
        .route("/assets/unlink", post().to(assets::links::unlink))
        .service(
            resource("/assets/{id}")
                .route(get().to(assets::show::show))
                .route(post().to(assets::show::update)),
        )
        .route("/assets/{id}/file", get().to(assets::file::file))
        .route("/assets/{id}/thumb", get().to(assets::file::thumbnail))
        .service(
            resource("/assets/{id}/delete")
                .route(get().to(assets::show::confirm_delete))
                .route(post().to(assets::show::delete)),
        );
}
