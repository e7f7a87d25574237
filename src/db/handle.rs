//! `Database`: the handle requests, jobs and commands use to reach the pool. Reads
//! run on actix's blocking pool, never on a worker; writes run in one write
//! transaction each and, on SQLite, queue for their turn first.

use std::panic::Location;
use std::sync::Arc;

use actix_web::web;

use super::{AnyConnection, DbKind, DbPool};
use crate::domain::UserId;
use crate::error::AppError;

/// How many times a write transaction runs before its conflict is the answer.
const WRITE_TRIES: u32 = 3;

/// The pool, its backend and (on SQLite) this process's writer queue. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: DbPool,
    kind: DbKind,
    /// This process's SQLite writers take turns here (see `write`).
    writer: Arc<tokio::sync::Semaphore>,
}

impl Database {
    /// Wraps a pool; asks it once which backend it serves.
    pub fn new(pool: DbPool) -> Result<Self, AppError> {
        let kind = pool.get()?.kind();
        Ok(Database {
            pool,
            kind,
            writer: Arc::new(tokio::sync::Semaphore::new(1)),
        })
    }

    pub fn kind(&self) -> DbKind {
        self.kind
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Runs `work` inside one write transaction (`super::write_transaction`): for
    /// every request, job or command that changes data.
    ///
    /// On SQLite the writers of this process queue for their turn (first come, first
    /// served) before they take a thread or a connection. SQLite admits one writer
    /// at a time and lets the others wait in its busy handler, which polls with
    /// sleeps of up to 100 ms: under a burst of completions the slowest waited over
    /// a second. The queue hands over as soon as the previous writer commits. A
    /// writer that cannot get its turn within the busy timeout gets the same 503 as
    /// one SQLite refuses; other processes still meet SQLite's own busy timeout.
    ///
    /// On PostgreSQL a transaction aborted as a deadlock or serialization failure
    /// (40P01, 40001) is run again, up to three tries in all: it rolled back whole
    /// and nothing of it has reached the client, so `work` may run more than once.
    ///
    /// An internal error names the line that asked for the work.
    #[track_caller]
    pub fn write<F, R>(&self, work: F) -> impl Future<Output = Result<R, AppError>> + use<F, R>
    where
        F: FnMut(&mut AnyConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        let caller = Location::caller();
        let db = self.clone();
        async move {
            let turn = match db.kind {
                DbKind::Postgres => None,
                DbKind::Sqlite => {
                    let waiting = actix_web::rt::time::timeout(
                        super::SQLITE_BUSY_TIMEOUT,
                        db.writer.clone().acquire_owned(),
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
            db.on_connection(caller, "write", move |conn| {
                let mut work = work;
                let mut tries = 1;
                let result = loop {
                    match super::write_transaction(conn, &mut work) {
                        Err(err) if err.is_transient_conflict() && tries < WRITE_TRIES => {
                            tracing::warn!(tries, error = %err, "write transaction conflicted; running it again");
                            tries += 1;
                        }
                        result => break result,
                    }
                };
                drop(turn);
                result
            })
            .await
        }
    }

    /// A write transaction of one user's data (`write`). On PostgreSQL it locks the
    /// user's row before anything else: every change to a user's rows bumps
    /// `users.data_version` (a trigger), so two writes that touched their rows in
    /// opposite orders met at that row each holding what the other wanted, and one
    /// was aborted as a deadlock. Taking the user's row first gives every write of
    /// one user the same lock order. SQLite's writers already take turns.
    #[track_caller]
    pub fn write_as<F, R>(
        &self,
        user: &UserId,
        mut work: F,
    ) -> impl Future<Output = Result<R, AppError>> + use<F, R>
    where
        F: FnMut(&mut AnyConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        let user = user.clone();
        let kind = self.kind;
        self.write(move |conn| {
            if kind == DbKind::Postgres {
                crate::db::models::users::lock_for_write(conn, &user)?;
            }
            work(conn)
        })
    }

    /// Runs database work that only reads. Debug builds (the tests) check that: on
    /// SQLite the connection refuses writes (`super::read_only`). Release builds
    /// don't, as switching the pragma makes SQLite re-prepare every cached statement
    /// (`/` went from ~9,900 to ~5,000 requests/s).
    #[track_caller]
    pub fn read<F, R>(&self, work: F) -> impl Future<Output = Result<R, AppError>> + use<F, R>
    where
        F: FnOnce(&mut AnyConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        let caller = Location::caller();
        let db = self.clone();
        async move {
            if cfg!(debug_assertions) {
                db.on_connection(caller, "read", move |conn| super::read_only(conn, work))
                    .await
            } else {
                db.on_connection(caller, "read", work).await
            }
        }
    }

    async fn on_connection<F, R>(
        &self,
        caller: &'static Location<'static>,
        what: &'static str,
        work: F,
    ) -> Result<R, AppError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<R, AppError> + Send + 'static,
        R: Send + 'static,
    {
        let pool = self.pool.clone();
        let result = web::block(move || {
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
        .await?;
        result.map_err(|err| match err {
            AppError::Internal(cause) => AppError::Internal(cause.context(format!(
                "database {what} at {}:{}",
                caller.file(),
                caller.line()
            ))),
            other => other,
        })
    }
}
