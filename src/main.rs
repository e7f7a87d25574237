//! The `lauf` command: serve the app (default), migrate the database, build demo data.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lauf::config::Settings;
use lauf::db;
use lauf::demo::{self, DemoOptions};
use lauf::domain::Timezone;
use lauf::startup::Application;

#[derive(Parser)]
#[command(
    name = "lauf",
    version,
    about = "LAUF OS: plan the day in 90-minute blocks and keep your clients in one place"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app on LAUF_BIND (default 127.0.0.1:8080). The default command.
    Serve,
    /// Apply pending migrations (they also run when the server starts).
    Migrate {
        /// Revert every migration instead: this deletes all data.
        #[arg(long)]
        revert_all: bool,
    },
    /// Re-encrypt every stored secret under the active key. With the key file in the
    /// data dir (no LAUF_DATA_KEYS), first adds a new key and makes it active.
    RotateKey,
    /// Uploaded files: compare rows with stored objects.
    Storage {
        #[command(subcommand)]
        action: StorageAction,
    },
    /// Write a backup of the whole instance (every table, read in one snapshot while
    /// the server keeps serving, and every stored file) to FILE, a ZIP with a manifest.
    Backup {
        /// The archive to write; it must not exist yet.
        file: std::path::PathBuf,
        /// Also put the key file in the archive: then the archive alone can decrypt
        /// the stored client credentials. Keep such an archive as safe as the keys.
        #[arg(long)]
        include_keys: bool,
    },
    /// Restore a backup into an empty database and an empty file store.
    Restore {
        /// The archive `lauf backup` wrote.
        file: std::path::PathBuf,
    },
    /// Copy the configured database (e.g. the SQLite default) into another, empty
    /// one (e.g. PostgreSQL), then compare row counts and sums table by table.
    CopyTo {
        /// The target: postgres://… or an SQLite path.
        database_url: String,
    },
    /// Create demo accounts with a realistic workspace and print how to log in.
    Demo {
        /// How many demo accounts (demo1@…, demo2@… when more than one).
        #[arg(long, default_value_t = 1)]
        users: u32,
        /// Multiplies the data per account: 15×M clients; M > 1 adds ~6,650×(M−1) past blocks.
        #[arg(long, default_value_t = 1)]
        scale: u32,
        /// Past blocks as --scale N would make them, without its clients and
        /// projects (a long history for the same book of clients; default: --scale).
        #[arg(long)]
        history: Option<u32>,
        /// Files per account (default 12 × scale).
        #[arg(long)]
        files: Option<u32>,
        /// The demo account's address (default demo@example.com).
        #[arg(long)]
        email: Option<String>,
        /// The password for every demo account (default: a random one, printed).
        #[arg(long)]
        password: Option<String>,
        /// The accounts' IANA time zone.
        #[arg(long, default_value = "America/New_York")]
        timezone: String,
    },
}

#[derive(Debug, Subcommand)]
enum StorageAction {
    /// List rows whose file is missing and files no row points at (exit 1 if any).
    Check {
        /// Repair: delete rows whose file is gone, forget missing thumbnails,
        /// remove files without a row older than an hour, retry queued deletions.
        #[arg(long)]
        repair: bool,
    },
    /// Copy the files in the local store (LAUF_DATA_DIR/files) to the S3 storage
    /// configured by LAUF_STORAGE=s3 and LAUF_S3_*; files already there are kept.
    CopyToS3,
}

/// Rust's allocations go to mimalloc: under load glibc's malloc, held to two
/// arenas (`tune_allocator`), spent a fifth of the server's time waiting on its
/// arena locks. mimalloc gives each thread its own heap; built without
/// transparent huge pages and purging freed memory at once (`tune_allocator`),
/// it keeps the peak RSS where glibc's was.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("lauf: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    lauf::telemetry::init(settings.log_json);
    let command = cli.command.unwrap_or(Command::Serve);
    if !matches!(command, Command::Serve) {
        end_quietly_on_closed_pipe();
    }
    let outcome = match command {
        Command::Serve => serve(settings).await,
        Command::Migrate { revert_all } => migrate(&settings, revert_all),
        Command::RotateKey => rotate_key(&settings),
        Command::Storage {
            action: StorageAction::Check { repair },
        } => storage_check(&settings, repair).await,
        Command::Storage {
            action: StorageAction::CopyToS3,
        } => storage_copy(&settings).await,
        Command::Backup { file, include_keys } => backup(&settings, &file, include_keys).await,
        Command::Restore { file } => restore(&settings, &file).await,
        Command::CopyTo { database_url } => copy_to(&settings, &database_url),
        Command::Demo {
            users,
            scale,
            history,
            files,
            email,
            password,
            timezone,
        } => match Timezone::parse(&timezone) {
            Ok(timezone) => {
                let options = DemoOptions {
                    users,
                    scale,
                    history,
                    files,
                    email,
                    password,
                    timezone,
                };
                demo(&settings, &options).await
            }
            Err(e) => Err(anyhow::anyhow!("--timezone: {e}")),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lauf: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let bind = settings.bind.clone();
    let app = Application::build(settings)?;
    tracing::info!(address = %bind, "LAUF OS is listening on http://{bind}");
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

fn migrate(settings: &Settings, revert_all: bool) -> anyhow::Result<()> {
    let pool = db::build_pool(&settings.database, &settings.pool)?;
    let mut conn = pool.get()?;
    if revert_all {
        let reverted = db::revert_all_migrations(&mut conn)?;
        println!(
            "reverted {} migration(s) on {}",
            reverted.len(),
            settings.database.redacted()
        );
    } else {
        let applied = db::run_migrations(&mut conn)?;
        println!(
            "applied {} migration(s) on {}: {:?}",
            applied.len(),
            settings.database.redacted(),
            applied
        );
    }
    Ok(())
}

async fn storage_check(settings: &Settings, repair: bool) -> anyhow::Result<()> {
    let pool = db::build_pool(&settings.database, &settings.pool)?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    drop(conn);
    let database = db::Database::new(pool)?;
    let storage = settings.open_storage()?;
    println!("checking {} against the database", storage.describe());
    let bar = progress("checking");
    let report = lauf::storage::maintenance::check(
        &database,
        &storage,
        repair,
        chrono::Utc::now().naive_utc(),
        &bar,
    )
    .await?;
    bar.finish_and_clear();
    println!(
        "{} asset row(s), {} stored object(s)",
        report.rows, report.objects
    );
    for (id, key) in &report.rows_without_files {
        println!("row without file: asset {id} ({key})");
    }
    for (id, key) in &report.missing_thumbnails {
        println!("missing thumbnail: asset {id} ({key})");
    }
    for (key, size, age) in &report.files_without_rows {
        let kept = repair && age.is_some_and(|a| a < 3600);
        let age = age.map_or("age unknown".to_string(), |a| format!("{} min old", a / 60));
        let note = if kept {
            "; kept: under an hour old, it may be an upload in progress"
        } else {
            ""
        };
        println!("file without row: {key} ({size} bytes, {age}{note})");
    }
    if report.queued_deletions > 0 {
        println!(
            "{} deleted file(s) still queued for removal",
            report.queued_deletions
        );
    }
    if repair {
        println!("repaired {} item(s)", report.repaired);
        return Ok(());
    }
    if report.is_clean() {
        println!("all rows and files match");
        Ok(())
    } else {
        anyhow::bail!("rows and files are out of step; run `lauf storage check --repair` to fix")
    }
}

async fn backup(
    settings: &Settings,
    file: &std::path::Path,
    include_keys: bool,
) -> anyhow::Result<()> {
    let pool = db::build_pool(&settings.database, &settings.pool)?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    let storage = settings.open_storage()?;
    let key_file = if include_keys {
        if settings.data_keys.is_some() {
            anyhow::bail!(
                "--include-keys: the keys come from LAUF_DATA_KEYS, not a key file; keep them where you keep that setting"
            );
        }
        Some(settings.key_file())
    } else {
        None
    };
    let started = std::time::Instant::now();
    let bar = progress("backing up");
    let report =
        lauf::portable::backup(&mut conn, &storage, file, key_file.as_deref(), &bar).await?;
    bar.finish_and_clear();
    let m = &report.manifest;
    let rows: u64 = m.tables.iter().map(|t| t.tally.rows).sum();
    println!(
        "wrote {} ({:.1} MB) in {:.1}s: {} rows in {} tables, {} files, migration {}",
        file.display(),
        report.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        rows,
        m.tables.len(),
        m.files.len(),
        m.migration
    );
    for key in &m.missing_files {
        println!("warning: {key} is named by a row but missing from storage; not in the archive");
    }
    if m.keys.is_some() {
        println!(
            "the archive holds the key file: it alone can decrypt the stored client credentials; keep it as safe as the keys"
        );
    } else {
        println!(
            "the key file is not in the archive: keep {} (or LAUF_DATA_KEYS) too, or the stored client credentials cannot be read after a restore",
            settings.key_file().display()
        );
    }
    Ok(())
}

async fn restore(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    let pool = db::build_pool(&settings.database, &settings.pool)?;
    let mut conn = pool.get()?;
    let storage = settings.open_storage()?;
    let started = std::time::Instant::now();
    let bar = progress("restoring");
    let report = lauf::portable::restore(
        &mut conn,
        &storage,
        file,
        &settings.key_file(),
        settings.data_keys.is_some(),
        &bar,
    )
    .await?;
    bar.finish_and_clear();
    let rows: u64 = report.tables.iter().map(|(_, t)| t.rows).sum();
    println!(
        "restored {} rows in {} tables and {} files into {} in {:.1}s; every table's count and sums match the manifest",
        rows,
        report.tables.len(),
        report.files,
        settings.database.redacted(),
        started.elapsed().as_secs_f64()
    );
    if report.key_file_written {
        println!(
            "wrote the archive's key file to {}",
            settings.key_file().display()
        );
    }
    // Only read the keys: `key_ring()` would make a new key file where none is, and
    // a restore must not leave a fresh key where the old one may still be copied in.
    let ring = if settings.data_keys.is_some() || settings.key_file().exists() {
        Some(settings.key_ring()?)
    } else {
        None
    };
    let credentials = lauf::portable::Credentials::check(&mut conn, ring.as_ref())?;
    println!("{}", credentials.describe());
    Ok(())
}

fn copy_to(settings: &Settings, database_url: &str) -> anyhow::Result<()> {
    let target = db::DatabaseTarget::from_url(Some(database_url), &settings.data_dir);
    if target == settings.database {
        anyhow::bail!("the target is the configured database itself");
    }
    let pool = db::build_pool(&settings.database, &settings.pool)?;
    let mut source = pool.get()?;
    let options = db::PoolOptions {
        max_size: 1,
        ..settings.pool.clone()
    };
    let target_pool = db::build_pool(&target, &options)?;
    let mut target_conn = target_pool.get()?;
    let started = std::time::Instant::now();
    let bar = progress("copying");
    let compared = lauf::portable::copy_to(&mut source, &mut target_conn, &bar)?;
    bar.finish_and_clear();
    println!(
        "copied {} into {} in {:.1}s:",
        settings.database.redacted(),
        target.redacted(),
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<18} {:>9} {:>9}  sums (source = copy)",
        "table", "source", "copy"
    );
    for c in &compared {
        let sums = c
            .source
            .sums
            .iter()
            .filter(|(_, v)| v.as_str() != "0")
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "{:<18} {:>9} {:>9}  {sums}",
            c.table, c.source.rows, c.target.rows
        );
    }
    println!("every table's rows and sums match");
    if matches!(settings.storage, lauf::config::StorageTarget::Local) {
        println!(
            "files stay in {}: to move them to S3 storage, run `lauf storage copy-to-s3` with LAUF_STORAGE=s3 and LAUF_S3_* set",
            settings.data_dir.join("files").display()
        );
    }
    Ok(())
}

async fn storage_copy(settings: &Settings) -> anyhow::Result<()> {
    let lauf::config::StorageTarget::S3(_) = &settings.storage else {
        anyhow::bail!("set LAUF_STORAGE=s3 and LAUF_S3_* to the storage to copy to");
    };
    let local = lauf::storage::Storage::Local(lauf::storage::LocalStore::open(
        settings.data_dir.join("files"),
    )?);
    let s3 = settings.open_storage()?;
    let bar = progress("copying files");
    let (copied, kept) = lauf::portable::copy_files(&local, &s3, &bar).await?;
    bar.finish_and_clear();
    println!(
        "copied {copied} file(s) from {} to {}; {kept} were there already",
        local.describe(),
        s3.describe()
    );
    Ok(())
}

/// A progress bar on stderr for long commands; nothing at all when stderr is not a
/// terminal (a pipe, a log file, CI), so their output stays the summary alone.
fn progress(what: &'static str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0).with_prefix(what);
    let style = indicatif::ProgressStyle::with_template(
        "{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed}, {eta} left)",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.enable_steady_tick(std::time::Duration::from_millis(250));
    bar
}

fn rotate_key(settings: &Settings) -> anyhow::Result<()> {
    let mut ring = settings.key_ring()?;
    if settings.data_keys.is_none() {
        let kid = ring.add_active();
        ring.save(&settings.key_file())?;
        println!(
            "added key {kid} to {} and made it active",
            settings.key_file().display()
        );
    }
    let pool = db::build_pool(&settings.database, &settings.pool)?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    let bar = progress("re-encrypting");
    let done = lauf::vault::rotate_credentials(&mut conn, &ring, &bar)?;
    bar.finish_and_clear();
    println!(
        "re-encrypted {} secret(s) under key {}; {} already used it",
        done.reencrypted,
        ring.active_kid(),
        done.already_current
    );
    Ok(())
}

async fn demo(settings: &Settings, options: &DemoOptions) -> anyhow::Result<()> {
    let pool = db::build_pool(&settings.database, &settings.pool)?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    let started = std::time::Instant::now();
    // The demo is written as of now: the one clock, read once for the whole workspace.
    let bar = progress("accounts");
    let report = demo::build(&mut conn, options, lauf::clock::Clock::system().now(), &bar)?;
    bar.finish_and_clear();
    db::settle_after_load(&mut conn)?;
    drop(conn);
    // The asset rows are committed; now their files.
    let storage = settings.open_storage()?;
    let bar = progress("storing files");
    bar.set_length(report.files.len() as u64);
    for file in &report.files {
        use lauf::storage::ObjectStore;
        storage
            .put_bytes(&file.key, file.bytes.clone(), file.content_type)
            .await
            .map_err(|e| anyhow::anyhow!("storing {}: {e}", file.key))?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let c = &report.per_user;
    println!(
        "Created {} demo account(s) in {:.1}s, each with {} activities, {} goals, {} clients, {} projects, {} opportunities, {} blocks and {} files.",
        report.emails.len(),
        started.elapsed().as_secs_f64(),
        c.activities,
        c.goals,
        c.clients,
        c.projects,
        c.opportunities,
        c.tasks,
        c.assets
    );
    println!();
    println!(
        "Start the app with `lauf` (or `cargo run --release`), open http://{} and log in:",
        settings.bind
    );
    match report.emails.as_slice() {
        [one] => println!("  email:    {one}"),
        [first, .., last] => println!("  email:    {first} … {last}"),
        [] => {}
    }
    println!("  password: {}", report.password);
    Ok(())
}

/// Rust ignores SIGPIPE, so a report printed into a pipe whose reader has gone
/// (`lauf demo | head -n1`) panicked. The commands other than the server take the
/// Unix default and end quietly at that point instead, as `ls | head` does (the
/// demo prints its report only once its data is committed).
/// The server keeps ignoring it: a client that hangs up must never stop it.
fn end_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: sets the disposition of one signal to its default before any other
    // thread of ours writes to a pipe; no handler runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// glibc's malloc raises its mmap threshold to the largest block freed (up to
/// 32 MiB). After the first sign-in, each password hash's 19 MiB of Argon2 memory
/// then came from a per-thread arena and stayed with the process: RSS grew by
/// 19 MiB for every sign-in that ran on another blocking thread (78 MB after four).
/// A fixed threshold keeps such blocks mapped only while in use, and two arenas
/// are plenty on the small machines this runs on. (That is for the C libraries,
/// SQLite and libpq; Rust's own allocations go to mimalloc, which is told to
/// give freed memory back at once instead of 10 ms later: under load those 10 ms
/// held another 10 MB.)
fn tune_allocator() {
    /// `mi_option_purge_delay` in mimalloc.h (v2); libmimalloc-sys names no constant for it.
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets one mimalloc option to a value it documents (0: purge at once);
    // options are plain atomics, safe to set at any time.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters, under the allocator's own
    // locks; it is called once, first thing.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
