//! The server's background jobs: the SQLite WAL checkpoint, handing freed heap back
//! to the kernel, the ten-minute sweep of expired sessions, and the minutely
//! removal of deleted files once their Undo is over. Every write goes through `Database::write`, so on SQLite it queues
//! with the requests' writers instead of racing them in SQLite's busy handler.

use std::sync::Arc;
use std::time::Duration;

use actix_web::rt::{spawn, time::interval};
use actix_web::web;

use crate::clock::Clock;
use crate::db::models::{auth_flows, sessions, undo};
use crate::db::{self, Database, DbKind};
use crate::error::AppError;
use crate::storage::Storage;

/// Starts every job on the current actix system; they run until it stops.
pub fn spawn_all(database: Database, storage: Arc<Storage>, clock: Clock) {
    if database.kind() == DbKind::Sqlite {
        // A passive checkpoint takes no write lock and waits for nobody, so it
        // stays outside the writer queue.
        sqlite_upkeep(
            &database,
            Duration::from_secs(1),
            "WAL checkpoint",
            db::checkpoint,
        );
        // The planner's statistics follow the data as it grows (a sample per
        // index: milliseconds); the first refresh ran at start.
        sqlite_upkeep(
            &database,
            Duration::from_secs(3600),
            "statistics refresh",
            db::refresh_statistics,
        );
    }
    spawn(async move {
        let mut every = interval(Duration::from_secs(10));
        loop {
            every.tick().await;
            let _ = web::block(trim_heap).await;
        }
    });
    let (drain_db, drain_clock) = (database.clone(), clock.clone());
    spawn(async move {
        let mut every = interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            match sweep_sessions(&database, &clock).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                Err(e) => tracing::warn!(error = %e, "session sweep failed"),
                _ => {}
            }
        }
    });
    spawn(async move {
        // Files of deleted assets, once their Undo is over (`assets::HOLD`),
        // and any whose removal failed earlier.
        let mut every = interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            let now = drain_clock.stamp();
            match crate::storage::maintenance::drain_queue(&drain_db, &storage, now).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "queued file deletions done"),
                Err(e) => tracing::warn!(error = %e, "file deletion failed; it stays queued"),
                _ => {}
            }
        }
    });
}

/// Runs `work` on a pooled connection every `period`, off the request path; the
/// first run waits one period (the server ran both at start or needs neither yet).
fn sqlite_upkeep(
    database: &Database,
    period: Duration,
    what: &'static str,
    work: fn(&mut db::AnyConnection) -> diesel::QueryResult<()>,
) {
    let pool = database.pool().clone();
    spawn(async move {
        let mut every = interval(period);
        every.tick().await;
        loop {
            every.tick().await;
            let pool = pool.clone();
            let done =
                web::block(move || -> Result<(), AppError> { Ok(work(&mut *pool.get()?)?) }).await;
            if let Ok(Err(e)) = done {
                tracing::debug!(error = %e, "{what} skipped");
            }
        }
    });
}

/// Deletes expired sessions, sign-in flows and undos; returns how many went.
pub async fn sweep_sessions(database: &Database, clock: &Clock) -> Result<usize, AppError> {
    let now = clock.stamp();
    database
        .write(move |conn| {
            let flows = auth_flows::delete_expired(conn, now)?;
            let undos = undo::delete_expired(conn, now)?;
            Ok(sessions::delete_expired(conn, now)? + flows + undos)
        })
        .await
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
