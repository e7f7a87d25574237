//! The harness: `spawn_app(backend)` starts the real server on a random port
//! against a fresh database of its own (an SQLite file, or a PostgreSQL database
//! cloned from a migrated template); `TestApp` reaches its database, clock and
//! storage for assertions.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use lauf::config::Settings;
use lauf::db::{self, AnyConnection, DatabaseTarget, DbPool, PoolOptions};
use lauf::startup::Application;

use super::browser::Browser;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named test body once per backend: `mod <name> { fn sqlite(); fn postgres(); }`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[actix_web::test]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )+};
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A connection to the server's maintenance database (creating and dropping the
/// tests' databases), after OpenSSL is initialised the way the app does it.
fn admin_connection() -> diesel::ConnectionResult<PgConnection> {
    lauf::outbound::init_openssl();
    PgConnection::establish(&admin_url())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Whether PostgreSQL can be reached; without it the PostgreSQL variants skip
/// themselves, except under CI=true, where a missing server fails the run.
fn postgres_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| match admin_connection() {
        Ok(_) => true,
        Err(e) if in_ci() => panic!(
            "CI=true but PostgreSQL at {} is unreachable: {e}",
            admin_url()
        ),
        Err(e) => {
            eprintln!(
                "PostgreSQL at {} is unreachable ({e}); PostgreSQL tests are SKIPPED",
                admin_url()
            );
            false
        }
    })
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A migrated template database named after the migrations' contents, created once
/// (under an advisory lock, so parallel test processes agree) and cloned per test.
fn postgres_template() -> String {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
            let mut entries: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            entries.sort();
            let mut fingerprint: u64 = 1469598103934665603;
            for path in entries {
                for file in ["up.sql", "down.sql"] {
                    let text = std::fs::read(path.join(file)).unwrap_or_default();
                    for byte in path.to_string_lossy().bytes().chain(text) {
                        fingerprint = (fingerprint ^ u64::from(byte)).wrapping_mul(1099511628211);
                    }
                }
            }
            let name = format!("lauf_tpl_{fingerprint:016x}");
            let mut admin = admin_connection().unwrap();
            admin
                .batch_execute("SELECT pg_advisory_lock(73101520)")
                .unwrap();
            let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
                &format!("EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"),
            ))
            .get_result(&mut admin)
            .unwrap();
            if !exists {
                let building = format!("{name}_building");
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                    .unwrap();
                admin
                    .batch_execute(&format!("CREATE DATABASE {building}"))
                    .unwrap();
                {
                    let target = DatabaseTarget::Postgres(replace_db_name(&admin_url(), &building));
                    let pool = db::build_pool(
                        &target,
                        &PoolOptions {
                            max_size: 1,
                            ..Default::default()
                        },
                    )
                    .unwrap();
                    db::run_migrations(&mut pool.get().unwrap()).unwrap();
                }
                admin
                    .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .unwrap();
            }
            admin
                .batch_execute("SELECT pg_advisory_unlock(73101520)")
                .unwrap();
            name
        })
        .clone()
}

use diesel::RunQueryDsl;

/// A database that exists for one test and is removed afterwards.
pub enum TestDb {
    /// The directory is removed when the test ends.
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        name: String,
    },
}

impl TestDb {
    pub fn create(backend: Backend) -> Option<(TestDb, DatabaseTarget)> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let target = DatabaseTarget::Sqlite(dir.path().join("lauf.db"));
                Some((TestDb::Sqlite { _dir: dir }, target))
            }
            Backend::Postgres => {
                if !postgres_available() {
                    return None;
                }
                let template = postgres_template();
                let name = format!("lauf_t_{}", uuid::Uuid::new_v4().simple());
                let mut admin = admin_connection().unwrap();
                let mut attempt = 0;
                // Two clones of one template at the same instant can collide; retry.
                while let Err(e) =
                    admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                {
                    attempt += 1;
                    assert!(attempt < 20, "cannot create test database: {e}");
                    std::thread::sleep(Duration::from_millis(50 * attempt));
                }
                let target = DatabaseTarget::Postgres(replace_db_name(&admin_url(), &name));
                Some((TestDb::Postgres { name }, target))
            }
        }
    }

    /// An empty database with no migrations applied (for the migration tests).
    pub fn empty(backend: Backend) -> Option<(TestDb, DatabaseTarget)> {
        match backend {
            Backend::Sqlite => Self::create(backend),
            Backend::Postgres => {
                if !postgres_available() {
                    return None;
                }
                let name = format!("lauf_t_{}", uuid::Uuid::new_v4().simple());
                let mut admin = admin_connection().unwrap();
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap();
                Some((
                    TestDb::Postgres { name: name.clone() },
                    DatabaseTarget::Postgres(replace_db_name(&admin_url(), &name)),
                ))
            }
        }
    }

    pub fn drop_now(&self) {
        if let TestDb::Postgres { name } = self
            && let Ok(mut admin) = admin_connection()
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        self.drop_now();
    }
}

pub fn skip(backend: Backend) {
    eprintln!("SKIPPED on {backend:?}: no PostgreSQL server reachable");
}

pub struct TestApp {
    /// `LAUF_DATA_KEYS` of this app (one key, `k1`).
    pub data_keys: String,
    /// Every statement the app's pool has run (`statements.get()`).
    pub statements: db::StatementCounter,
    pub address: String,
    pub pool: DbPool,
    pub db: TestDb,
    pub clock: lauf::clock::Clock,
    /// `LAUF_DATA_DIR` of this app (uploads spool here; local storage is `files/`).
    _data_dir: tempfile::TempDir,
    /// The settings the app was built with.
    pub settings: Settings,
    server: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting and free the port; the database goes with `db`.
        let handle = self.server.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

/// Starts the app on its own fresh database; `None` (and a SKIPPED line) when the
/// backend is PostgreSQL and no server is reachable outside CI.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, &[]).await
}

/// The app with its clock pinned at `now` (move it with `app.clock.set`).
pub async fn spawn_app_at(backend: Backend, now: chrono::DateTime<chrono::Utc>) -> Option<TestApp> {
    spawn(backend, &[], lauf::clock::Clock::fixed(now)).await
}

pub async fn spawn_app_with(backend: Backend, extra_env: &[(&str, &str)]) -> Option<TestApp> {
    spawn(backend, extra_env, lauf::clock::Clock::system()).await
}

/// With extra environment and the clock the app reads "now" from.
pub async fn spawn_app_with_clock(
    backend: Backend,
    extra_env: &[(&str, &str)],
    clock: lauf::clock::Clock,
) -> Option<TestApp> {
    spawn(backend, extra_env, clock).await
}

async fn spawn(
    backend: Backend,
    extra_env: &[(&str, &str)],
    clock: lauf::clock::Clock,
) -> Option<TestApp> {
    let Some((db, target)) = TestDb::create(backend) else {
        skip(backend);
        return None;
    };
    Some(spawn_on(db, target, extra_env, clock).await)
}

/// The app on a database made elsewhere (a copy's target).
pub async fn spawn_on(
    db: TestDb,
    target: DatabaseTarget,
    extra_env: &[(&str, &str)],
    clock: lauf::clock::Clock,
) -> TestApp {
    let url = match &target {
        DatabaseTarget::Postgres(url) => url.clone(),
        DatabaseTarget::Sqlite(path) => path.display().to_string(),
    };
    let data_keys = lauf::crypto::KeyRing::generate("k1").to_list();
    let data_dir = tempfile::tempdir().unwrap();
    let data_path = data_dir.path().display().to_string();
    let mut env: HashMap<String, String> = [
        ("LAUF_DATA_KEYS", data_keys.as_str()),
        ("LAUF_DATA_KEY_ACTIVE", "k1"),
        ("DATABASE_URL", url.as_str()),
        ("LAUF_BIND", "127.0.0.1:0"),
        ("LAUF_DB_POOL_SIZE", "4"),
        ("LAUF_WORKERS", "1"),
        ("LAUF_DATA_DIR", data_path.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra_env {
        env.insert(k.to_string(), v.to_string());
    }
    let mut settings = Settings::from_lookup(|k| env.get(k).cloned()).unwrap();
    let statements = db::StatementCounter::default();
    settings.pool.statements = Some(statements.clone());
    let pool = db::build_pool(&settings.database, &settings.pool).unwrap();
    db::run_migrations(&mut pool.get().unwrap()).unwrap();
    let app = Application::build_with_clock(settings.clone(), pool.clone(), clock.clone()).unwrap();
    let port = app.port();
    let server = app.server_handle();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        data_keys,
        statements,
        address: format!("http://127.0.0.1:{port}"),
        pool,
        db,
        clock,
        _data_dir: data_dir,
        settings,
        server,
    }
}

/// A second app process on the same database, settings and keys (another port):
/// what a load balancer would send the same browser to.
pub struct SecondProcess {
    pub address: String,
    server: actix_web::dev::ServerHandle,
}

impl Drop for SecondProcess {
    fn drop(&mut self) {
        let handle = self.server.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

impl TestApp {
    /// The app's database as its jobs and commands reach it.
    pub fn database(&self) -> db::Database {
        db::Database::new(self.pool.clone()).unwrap()
    }

    pub fn second_process(&self) -> SecondProcess {
        let mut settings = self.settings.clone();
        settings.bind = "127.0.0.1:0".into();
        let pool = db::build_pool(&settings.database, &settings.pool).unwrap();
        let app = Application::build_with_clock(settings, pool, self.clock.clone()).unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let server = app.server_handle();
        actix_web::rt::spawn(app.run_until_stopped());
        SecondProcess { address, server }
    }

    /// A browser talking to `address` with a copy of `from`'s cookies.
    pub fn browser_at(&self, address: &str, from: &Browser) -> Browser {
        from.copied_to(address)
    }

    /// The app's file store, opened the way the app opens it.
    pub fn storage(&self) -> lauf::storage::Storage {
        self.settings.open_storage().unwrap()
    }

    /// A healthy, active client made through the form; its id.
    pub async fn add_client(&self, browser: &Browser, name: &str) -> String {
        self.add_client_with(browser, name, &[]).await
    }

    /// As `add_client`, with more form fields (a retainer, a follow-up date …).
    pub async fn add_client_with(
        &self,
        browser: &Browser,
        name: &str,
        extra: &[(&str, &str)],
    ) -> String {
        use diesel::prelude::*;
        use lauf::db::schema::clients;
        let mut fields = vec![
            ("name", name),
            ("status", "ACTIVE"),
            ("health_score", "GREEN"),
            ("payment_status", "CURRENT"),
            ("followup_cadence_days", "14"),
        ];
        fields.extend_from_slice(extra);
        let res = browser.submit("/clients/new", "/clients", &fields).await;
        assert_eq!(res.status, 303, "creating client {name}: {}", res.text());
        clients::table
            .filter(clients::name.eq(name))
            .select(clients::id)
            .first(&mut *self.conn())
            .unwrap()
    }

    /// A block planned through the form (a 90-minute Code block in the backlog
    /// unless `fields` say otherwise); its id.
    pub async fn add_block(
        &self,
        browser: &Browser,
        title: &str,
        fields: &[(&str, &str)],
    ) -> String {
        use diesel::prelude::*;
        use lauf::db::schema::tasks;
        let mut form = vec![
            ("title", title),
            ("category", "CODE"),
            ("priority", "MEDIUM"),
            ("energy_level", "DEEP_WORK"),
            ("time_block_minutes", "90"),
            ("scheduled_date", ""),
            ("scheduled_time", ""),
            ("return_to", "/"),
        ];
        for (k, v) in fields {
            form.retain(|(key, _)| key != k);
            form.push((k, v));
        }
        let res = browser.submit("/tasks/new", "/tasks", &form).await;
        assert_eq!(res.status, 303, "creating {title}: {}", res.text());
        tasks::table
            .filter(tasks::title.eq(title))
            .order(tasks::created_at.asc())
            .select(tasks::id)
            .first(&mut *self.conn())
            .unwrap()
    }

    /// Every stored object's key.
    pub async fn stored_keys(&self) -> Vec<String> {
        use lauf::storage::ObjectStore;
        self.storage()
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.key)
            .collect()
    }

    /// Runs the deletion queue as the background job does at the app's clock;
    /// how many objects went.
    pub async fn drain_deletions(&self) -> usize {
        lauf::storage::maintenance::drain_queue(
            &self.database(),
            &self.storage(),
            self.clock.stamp(),
        )
        .await
        .unwrap()
    }

    /// Files left in the upload spool directory.
    pub fn spooled_files(&self) -> usize {
        std::fs::read_dir(self.settings.upload_dir())
            .map(|d| d.count())
            .unwrap_or(0)
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    pub fn conn(&self) -> Conn {
        Conn(self.pool.get().unwrap())
    }

    /// A new account signed in in a fresh browser.
    pub async fn signed_in_user(&self, email: &str) -> Browser {
        let browser = self.browser();
        let res = browser.sign_up(email, "a long passphrase").await;
        assert_eq!(res.status, 303, "sign-up of {email} failed: {}", res.body);
        browser
    }

    pub fn user_id(&self, email: &str) -> lauf::domain::UserId {
        use diesel::prelude::*;
        use lauf::db::schema::local_credentials as lc;
        lc::table
            .filter(lc::email_lower.eq(email.to_lowercase()))
            .select(lc::user_id)
            .first(&mut *self.conn())
            .unwrap()
    }

    pub fn count(&self, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        diesel::sql_query(sql)
            .get_result::<Count>(&mut *self.conn())
            .unwrap()
            .n
    }
}

/// A pooled connection that derefs straight to `AnyConnection`, for assertions.
pub struct Conn(db::PooledConnection);

impl std::ops::Deref for Conn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.0
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.0
    }
}
