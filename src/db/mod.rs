//! The data layer: one connection type over SQLite and PostgreSQL chosen at run time,
//! its pool, the embedded migrations, and the models.

pub mod day;
mod handle;
pub mod models;
pub mod rows;
pub mod schema;
pub mod types;

pub use handle::Database;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{CustomizeConnection, ManageConnection, R2D2Connection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use types::Json;

/// One connection type for both backends; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type DbPool = r2d2::Pool<AnyManager>;
pub type PooledConnection = r2d2::PooledConnection<AnyManager>;

/// A pooled connection that can be marked broken. diesel cannot tell that a
/// PostgreSQL connection died with its server (its `is_broken` only looks at the
/// transaction state), so after a failed statement whose connection no longer
/// answers a ping, the pool is told to drop it; once the server is back, fresh
/// connections replace the dead ones without restarting the app.
pub struct DbConn {
    inner: AnyConnection,
    broken: bool,
}

impl DbConn {
    /// After an error: whether the connection still answers; if not, it is dropped
    /// on return to the pool and `false` is returned.
    pub fn still_alive(&mut self) -> bool {
        if self.inner.ping().is_err() {
            self.broken = true;
        }
        !self.broken
    }
}

impl std::ops::Deref for DbConn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for DbConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Runs `$body` with `$c` bound to the inner connection of either backend
/// (`PgConnection` or `SqliteConnection`), the query written once and compiled for
/// each. Two reasons to use it:
///
/// - statements `MultiBackend` cannot express: `ON CONFLICT` upserts
///   (`throttle::put`, `feeds::replace`) and multi-row inserts
///   (`tasks::insert_batch`);
/// - the day page's hot reads, on the native connection to skip
///   `MultiConnection`'s per-execution SQL building (`tasks::in_range`,
///   `tasks::backlog`, `tasks::unfinished_before`, `goals::list_for_user`,
///   `activities::list_active`, `clients::needing_attention`, `projects::due_by`,
///   and the session lookup `sessions::find_with_user` on every request): `/` went
///   from 295 to 1,384 requests/s on SQLite when they moved (commit ff38449).
///
/// Anything else is written against `AnyConnection` as usual.
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl DbKind {
    pub fn name(self) -> &'static str {
        match self {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
        }
    }
}

impl AnyConnection {
    pub fn kind(&self) -> DbKind {
        match self {
            AnyConnection::Postgresql(_) => DbKind::Postgres,
            AnyConnection::Sqlite(_) => DbKind::Sqlite,
        }
    }
}

/// Where the data lives: a PostgreSQL URL, or an SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseTarget {
    /// `DATABASE_URL` unset or empty means the embedded default, `lauf.db` in the data
    /// dir. `postgres://` / `postgresql://` select PostgreSQL; `sqlite://path`,
    /// `sqlite:path` or a bare path select an SQLite file.
    pub fn from_url(url: Option<&str>, data_dir: &Path) -> DatabaseTarget {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => DatabaseTarget::Sqlite(data_dir.join("lauf.db")),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                DatabaseTarget::Postgres(u.to_string())
            }
            Some(u) => {
                let path = u
                    .strip_prefix("sqlite://")
                    .or_else(|| u.strip_prefix("sqlite:"))
                    .unwrap_or(u);
                DatabaseTarget::Sqlite(PathBuf::from(path))
            }
        }
    }

    pub fn kind(&self) -> DbKind {
        match self {
            DatabaseTarget::Postgres(_) => DbKind::Postgres,
            DatabaseTarget::Sqlite(_) => DbKind::Sqlite,
        }
    }

    /// For logs: the SQLite path, or the PostgreSQL URL without its password.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseTarget::Sqlite(path) => path.display().to_string(),
            DatabaseTarget::Postgres(url) => redact_password(url),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Opens connections for the pool by the target's kind. diesel's derived
/// `AnyConnection::establish` tries every backend in turn and replaces the real
/// failure ("connection refused", "database does not exist") with a generic
/// "invalid connection url"; this manager keeps the real cause.
#[derive(Debug, Clone)]
pub struct AnyManager {
    target: DatabaseTarget,
}

impl AnyManager {
    pub fn new(target: DatabaseTarget) -> Self {
        AnyManager { target }
    }
}

impl ManageConnection for AnyManager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        let conn = match &self.target {
            DatabaseTarget::Postgres(url) => {
                crate::outbound::init_openssl();
                diesel::PgConnection::establish(url).map(AnyConnection::Postgresql)
            }
            DatabaseTarget::Sqlite(path) => {
                configure_sqlite_library();
                diesel::SqliteConnection::establish(&path.to_string_lossy())
                    .map(AnyConnection::Sqlite)
            }
        };
        conn.map(|inner| DbConn {
            inner,
            broken: false,
        })
        .map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.inner.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.broken || conn.inner.is_broken()
    }
}

/// Process-wide SQLite settings, applied once before the first connection opens:
///
/// - multi-thread mode instead of serialized: a pooled connection is only ever used
///   by one thread at a time, so SQLite's per-connection mutexes are pure cost;
/// - no memory statistics: with them every allocation inside SQLite takes one
///   global mutex, which all request threads contend on.
///
/// Both only take effect before SQLite initialises; later calls are refused by
/// SQLite (`SQLITE_MISUSE`) and change nothing, so this is safe to call anywhere.
///
/// It also registers [`stable_query_plans`] for every connection opened after it.
fn configure_sqlite_library() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: the entry point has the signature SQLite calls it with, and stays
        // valid for the life of the process (a plain function).
        let registered =
            unsafe { libsqlite3_sys::sqlite3_auto_extension(Some(stable_query_plans)) };
        if registered != libsqlite3_sys::SQLITE_OK {
            tracing::warn!(registered, "SQLite refused the per-connection setup");
        }
        // SAFETY: `sqlite3_config` is documented as safe to call before
        // `sqlite3_initialize` and returns SQLITE_MISUSE (touching nothing) after
        // it; `Once` keeps this thread the only caller, and both options take a
        // single int argument as the variadic signature expects.
        let (threads, memstatus) = unsafe {
            (
                libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MULTITHREAD),
                libsqlite3_sys::sqlite3_config(
                    libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                    0 as std::os::raw::c_int,
                ),
            )
        };
        if threads != libsqlite3_sys::SQLITE_OK || memstatus != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(
                threads,
                memstatus,
                "SQLite was initialised before it could be configured"
            );
        }
    });
}

/// Runs for every new SQLite connection (an auto-extension): turns on the query
/// planner stability guarantee. Without it, a statement on `tasks` is re-prepared
/// on every execution: SQLite checks whether the partial index `tasks_open_idx`
/// (`WHERE status <> 'DONE'`) could serve it by comparing the bound values with the
/// index's condition, and so marks the statement as depending on its bindings. That
/// recompilation was a sixth of the day page's CPU. With the guarantee the plan
/// depends only on the SQL, which names the index's condition literally where it
/// matters (`tasks::unfinished`).
unsafe extern "C" fn stable_query_plans(
    db: *mut libsqlite3_sys::sqlite3,
    _error: *mut *mut std::os::raw::c_char,
    _api: *const libsqlite3_sys::sqlite3_api_routines,
) -> std::os::raw::c_int {
    // SAFETY: SQLite passes the connection being opened; ENABLE_QPSG takes an int
    // and an optional int pointer for the previous value, as given.
    unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::os::raw::c_int,
            std::ptr::null_mut::<std::os::raw::c_int>(),
        )
    }
}

/// Copies committed WAL pages into the SQLite database file without waiting for
/// readers or writers (a passive checkpoint), so no request pays for it. Nothing
/// to do on PostgreSQL.
pub fn checkpoint(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)"),
        AnyConnection::Postgresql(_) => Ok(()),
    }
}

/// Refreshes SQLite's statistics of the tables (`sqlite_stat1`) from a sample of
/// each index. Without them the planner guesses, and guessed wrong where it
/// mattered: a project's blocks were found by walking the user's whole history in
/// date order (the index that also gives the order) instead of through the
/// project's own index — the project page did 62 requests/s at scale 4 and the
/// client page 210. PostgreSQL's autovacuum keeps its own statistics.
pub fn refresh_statistics(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute("PRAGMA analysis_limit = 1000; ANALYZE;"),
        AnyConnection::Postgresql(_) => Ok(()),
    }
}

/// After a bulk load (`lauf demo`, `restore`, `copy-to`): planner statistics on
/// both backends, and on PostgreSQL the visibility map too, without which an
/// index-only scan still visits every row's page until autovacuum comes by.
pub fn settle_after_load(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(_) => refresh_statistics(conn),
        AnyConnection::Postgresql(c) => c.batch_execute("VACUUM (ANALYZE)"),
    }
}

/// How long a SQLite writer waits for the write lock before the request gets a 503.
pub const SQLITE_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The page cache each SQLite connection keeps, in KiB (SQLite's default is 2,000).
const SQLITE_CACHE_KIB: u32 = 512;

/// Counts the statements a pool's connections run, through diesel's
/// instrumentation: the tests hold each page to a ceiling with it. Only a pool
/// built with one counts (never the server's own).
#[derive(Debug, Clone, Default)]
pub struct StatementCounter(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// What the background jobs run on their own timers (the WAL checkpoint, the
    /// file deletion queue) is not a request's, and debug builds' read-only switch
    /// (`read_only`) is not the release's: neither is counted.
    fn counts(sql: &str) -> bool {
        !(sql.contains("wal_checkpoint")
            || sql.contains("storage_deletions")
            || sql.contains("query_only"))
    }

    fn attach(&self, conn: &mut AnyConnection) {
        use diesel::connection::InstrumentationEvent;
        let count = self.0.clone();
        let counter = move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event
                && Self::counts(&query.to_string())
            {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        };
        match conn {
            AnyConnection::Sqlite(c) => c.set_instrumentation(counter),
            AnyConnection::Postgresql(c) => c.set_instrumentation(counter),
        }
    }
}

/// Per-connection settings applied when the pool opens a connection.
#[derive(Debug)]
struct ConnectionSetup {
    statements: Option<StatementCounter>,
}

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for ConnectionSetup {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        let setup = match &mut conn.inner {
            // WAL lets readers work while one writer commits; busy_timeout makes a
            // second writer wait instead of failing with SQLITE_BUSY.
            // The server checkpoints the WAL every second in the background
            // (`checkpoint`); the automatic checkpoint, which runs inside a
            // committing write and fsyncs the whole database file, is only the
            // safety net (and what a CLI run such as `lauf demo` relies on).
            // The page cache is private to each connection, so with a pool of 16
            // SQLite's default of 2 MiB each costs ~34 MiB once every connection has
            // read a spread of accounts; the kernel's page cache holds the same pages
            // once for all of them, so each connection keeps only SQLITE_CACHE_KIB.
            AnyConnection::Sqlite(c) => c.batch_execute(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = {}; \
                 PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                 PRAGMA wal_autocheckpoint = 10000; PRAGMA cache_size = -{};",
                SQLITE_BUSY_TIMEOUT.as_millis(),
                SQLITE_CACHE_KIB
            )),
            // A runaway query must not hold a connection (and a request) forever.
            // diesel keeps each statement prepared; PostgreSQL still planned it
            // again on every run (a custom plan for the parameters' values), which
            // for the day's blocks took longer than running them. Every statement
            // here is per user and per day, where the values do not change the best
            // plan: one generic plan per statement and connection. (`/` on a cache
            // miss: 590 -> 1,031 req/s; the EXPLAIN test checks the generic plans.)
            AnyConnection::Postgresql(c) => c.batch_execute(
                "SET statement_timeout = '15s'; SET plan_cache_mode = force_generic_plan",
            ),
        };
        setup.map_err(diesel::r2d2::Error::QueryError)?;
        if let Some(counter) = &self.statements {
            counter.attach(&mut conn.inner);
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot connect to the {kind} database at {target}: {cause}")]
    Connect {
        kind: &'static str,
        target: String,
        cause: String,
    },
    #[error("cannot create the connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("migrations failed: {0}")]
    Migrations(String),
}

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
    /// Tests: count every statement the pool's connections run.
    pub statements: Option<StatementCounter>,
}

impl PoolOptions {
    /// The pool size when `LAUF_DB_POOL_SIZE` is unset: two connections per core,
    /// between 4 and 32 (PostgreSQL's own rule of thumb). A connection works only
    /// while a core runs its thread (and on PostgreSQL a server process beside it);
    /// more of them add runnable threads that make every request wait for a core.
    /// On two cores with the load benchmark's data, 16 concurrent requests: with 4
    /// connections instead of 16, SQLite's `/` served 8,700-9,000 requests/s against
    /// 7,100 and its completions ~780 against 520, with 42 MB peak RSS against 55; on
    /// PostgreSQL, while the kernel wrote a gigabyte back, the p99 of `/` stayed at
    /// 8-17 ms, where 8 connections gave 19-196 ms and 16 gave 42-56 ms. A database
    /// across a network, where every statement waits out a round trip, may want more:
    /// set the variable.
    pub fn default_size() -> u32 {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (2 * cores).clamp(4, 32) as u32
    }
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: Self::default_size(),
            connection_timeout: Duration::from_secs(5),
            statements: None,
        }
    }
}

/// Opens one connection first so a wrong host, port, password or database name is
/// reported as itself, then builds the pool.
pub fn build_pool(target: &DatabaseTarget, options: &PoolOptions) -> Result<DbPool, DbSetupError> {
    if let DatabaseTarget::Sqlite(path) = target
        && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| DbSetupError::DataDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let manager = AnyManager::new(target.clone());
    manager.connect().map_err(|e| DbSetupError::Connect {
        kind: target.kind().name(),
        target: target.redacted(),
        cause: e.to_string(),
    })?;
    let pool = r2d2::Pool::builder()
        .max_size(options.max_size)
        .min_idle(Some(options.max_size.min(2)))
        // Checking every checkout costs a round trip per request; broken connections
        // are detected on return (`has_broken`) and replaced instead.
        .test_on_check_out(false)
        .connection_timeout(options.connection_timeout)
        .connection_customizer(Box::new(ConnectionSetup {
            statements: options.statements.clone(),
        }))
        .build(manager)?;
    Ok(pool)
}

/// Applies pending migrations for the connection's backend, serialised across
/// processes on PostgreSQL by an advisory lock. Returns the versions applied.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<Vec<String>, DbSetupError> {
    let fail =
        |e: Box<dyn std::error::Error + Send + Sync>| DbSetupError::Migrations(e.to_string());
    match conn.kind() {
        DbKind::Sqlite => Ok(conn
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(fail)?
            .iter()
            .map(|v| v.to_string())
            .collect()),
        DbKind::Postgres => {
            const LOCK: &str = "SELECT pg_advisory_lock(7310151987)";
            const UNLOCK: &str = "SELECT pg_advisory_unlock(7310151987)";
            conn.batch_execute(LOCK)
                .map_err(|e| DbSetupError::Migrations(e.to_string()))?;
            let applied = conn
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|versions| versions.iter().map(|v| v.to_string()).collect::<Vec<_>>());
            let unlocked = conn.batch_execute(UNLOCK);
            let applied = applied.map_err(fail)?;
            unlocked.map_err(|e| DbSetupError::Migrations(e.to_string()))?;
            Ok(applied)
        }
    }
}

/// Applies pending migrations up to and including `version` only (a restore loads
/// an archive into the schema it was taken from, then migrates the rest).
pub fn migrate_to(conn: &mut AnyConnection, version: &str) -> Result<(), DbSetupError> {
    let fail =
        |e: Box<dyn std::error::Error + Send + Sync>| DbSetupError::Migrations(e.to_string());
    let source = match conn.kind() {
        DbKind::Sqlite => SQLITE_MIGRATIONS,
        DbKind::Postgres => POSTGRES_MIGRATIONS,
    };
    // Creates the bookkeeping table on a new database.
    conn.applied_migrations().map_err(fail)?;
    let mut pending = conn.pending_migrations(source).map_err(fail)?;
    pending.sort_by_key(|m| m.name().version().to_string());
    for migration in pending {
        if migration.name().version().to_string().as_str() > version {
            break;
        }
        conn.run_migration(&*migration).map_err(fail)?;
    }
    Ok(())
}

/// The latest migration this build knows.
pub fn latest_migration(kind: DbKind) -> String {
    use diesel::migration::MigrationSource;
    let versions: Vec<String> = match kind {
        DbKind::Sqlite => MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
            .map(|ms| ms.iter().map(|m| m.name().version().to_string()).collect())
            .unwrap_or_default(),
        DbKind::Postgres => MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
            .map(|ms| ms.iter().map(|m| m.name().version().to_string()).collect())
            .unwrap_or_default(),
    };
    versions.into_iter().max().unwrap_or_default()
}

/// Reverts every migration (for `lauf migrate --revert-all` and the tests).
pub fn revert_all_migrations(conn: &mut AnyConnection) -> Result<Vec<String>, DbSetupError> {
    let source = match conn.kind() {
        DbKind::Sqlite => SQLITE_MIGRATIONS,
        DbKind::Postgres => POSTGRES_MIGRATIONS,
    };
    conn.revert_all_migrations(source)
        .map(|versions| versions.iter().map(|v| v.to_string()).collect())
        .map_err(|e| DbSetupError::Migrations(e.to_string()))
}

/// Runs `work` in a transaction that takes the write lock up front: `BEGIN IMMEDIATE`
/// on SQLite, where a deferred transaction that read first cannot later write if
/// another connection committed in between (it fails at once with SQLITE_BUSY, the
/// busy timeout does not apply). Transactions inside `work` become savepoints.
/// On PostgreSQL it is an ordinary transaction (row locks do the same job).
pub fn write_transaction<T, E, F>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if matches!(conn, AnyConnection::Postgresql(_)) {
        return conn.transaction(work);
    }
    if let AnyConnection::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    let result = work(conn);
    if let AnyConnection::Sqlite(c) = conn {
        match &result {
            Ok(_) => AnsiTransactionManager::commit_transaction(c)?,
            Err(_) => {
                let _ = AnsiTransactionManager::rollback_transaction(c);
            }
        }
    }
    result
}

/// Runs `work` inside one snapshot of the database, so what it reads across many
/// tables is as it was at one instant while other connections keep writing: on
/// PostgreSQL a read-only REPEATABLE READ transaction, on SQLite a deferred
/// transaction (in WAL mode its first read fixes what it sees).
pub fn snapshot<T, E, F>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let begin = |conn: &mut AnyConnection| match conn {
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        ),
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN"),
    };
    begin(conn)?;
    let result = work(conn);
    let end = match (conn, result.is_ok()) {
        (AnyConnection::Postgresql(c), true) => AnsiTransactionManager::commit_transaction(c),
        (AnyConnection::Sqlite(c), true) => AnsiTransactionManager::commit_transaction(c),
        (AnyConnection::Postgresql(c), false) => AnsiTransactionManager::rollback_transaction(c),
        (AnyConnection::Sqlite(c), false) => AnsiTransactionManager::rollback_transaction(c),
    };
    let value = result?;
    end?;
    Ok(value)
}

/// Runs `work` on a connection that refuses writes, on SQLite (`PRAGMA
/// query_only`): this process's writers take turns in `AppState::db_write`, and a
/// write that slipped past that queue would wait in SQLite's busy handler, losing
/// every race to the queued writers (a page load once waited the whole busy timeout
/// behind a stream of completions to touch its session). Such a write now fails
/// where it is made. PostgreSQL needs nothing: its writers wait on row locks.
/// Each switch of the pragma expires the connection's prepared statements, so this
/// is a check for debug builds and tests, not for serving.
pub fn read_only<T, E, F>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let AnyConnection::Sqlite(c) = conn else {
        return work(conn);
    };
    c.batch_execute("PRAGMA query_only = 1")?;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut *conn)));
    // Back to writable before the connection returns to the pool, even after a panic.
    let reset = match conn {
        AnyConnection::Sqlite(c) => c.batch_execute("PRAGMA query_only = 0"),
        AnyConnection::Postgresql(_) => Ok(()),
    };
    match result {
        Ok(result) => {
            reset?;
            result
        }
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// A `LIKE … ESCAPE '\\'` pattern matching `text` anywhere, lower-cased (compare it
/// with `lower(column)`: LIKE is case-sensitive on PostgreSQL and not on SQLite), with
/// `%`, `_` and `\\` searched literally.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_work_cannot_write_on_sqlite_and_leaves_the_connection_writable() {
        let mut conn =
            AnyConnection::Sqlite(diesel::SqliteConnection::establish(":memory:").unwrap());
        conn.batch_execute("CREATE TABLE t (x INTEGER)").unwrap();
        let count = |conn: &mut AnyConnection| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM t)",
            ))
            .get_result::<i64>(conn)
            .unwrap()
        };
        let refused = read_only(&mut conn, |c| c.batch_execute("INSERT INTO t VALUES (1)"));
        assert!(
            refused.unwrap_err().to_string().contains("readonly"),
            "a write inside read_only fails"
        );
        assert_eq!(
            read_only(&mut conn, |c| Ok::<_, diesel::result::Error>(count(c))).unwrap(),
            0
        );
        conn.batch_execute("INSERT INTO t VALUES (1)").unwrap();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read_only(&mut conn, |_| -> QueryResult<()> {
                panic!("work panicked")
            })
        }));
        assert!(panicked.is_err());
        conn.batch_execute("INSERT INTO t VALUES (2)").unwrap();
        assert_eq!(count(&mut conn), 2, "writable again after a panic");
    }

    #[test]
    fn picks_the_backend_from_the_url() {
        let data = Path::new("/srv/lauf");
        assert_eq!(
            DatabaseTarget::from_url(None, data),
            DatabaseTarget::Sqlite(data.join("lauf.db"))
        );
        assert_eq!(
            DatabaseTarget::from_url(Some("  "), data),
            DatabaseTarget::Sqlite(data.join("lauf.db"))
        );
        assert_eq!(
            DatabaseTarget::from_url(Some("postgresql://u@h/db"), data),
            DatabaseTarget::Postgres("postgresql://u@h/db".into())
        );
        assert_eq!(
            DatabaseTarget::from_url(Some("sqlite://other.db"), data),
            DatabaseTarget::Sqlite("other.db".into())
        );
        assert_eq!(
            DatabaseTarget::from_url(Some("x/y.db"), data),
            DatabaseTarget::Sqlite("x/y.db".into())
        );
    }

    #[test]
    fn logs_never_show_the_database_password() {
        let t = DatabaseTarget::Postgres("postgres://app:s3cret@db.example.com:5432/lauf".into());
        assert_eq!(t.redacted(), "postgres://app:***@db.example.com:5432/lauf");
        assert!(!t.redacted().contains("s3cret"));
    }

    #[test]
    fn a_refused_connection_names_the_real_cause() {
        let target = DatabaseTarget::Postgres("postgres://postgres@127.0.0.1:1/nowhere".into());
        let err = build_pool(&target, &PoolOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("127.0.0.1") && err.to_lowercase().contains("refused"),
            "{err}"
        );
        assert!(!err.contains("Invalid connection url"), "{err}");
    }
}
