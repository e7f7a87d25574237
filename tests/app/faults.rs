//! Faults, with the real `lauf` binary as its own process: killed with SIGKILL in the
//! middle of a stream of writes, and its PostgreSQL stopped under load and started
//! again. (A write-locked SQLite is in data_layer.rs, a full disk in assets.rs.)

use std::cell::RefCell;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use lauf::db::schema::{goals, tasks};
use lauf::db::{AnyConnection, DatabaseTarget};

use crate::helpers::{Backend, Browser, TestDb, skip};
use crate::on_both_backends;

on_both_backends!(a_killed_process_loses_no_answered_write);

/// The `lauf` binary serving on a port of its own, stopped when dropped.
struct AppProcess {
    child: Child,
    address: String,
    env: Vec<(String, String)>,
}

impl AppProcess {
    async fn start(database_url: &str, data_dir: &std::path::Path) -> AppProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let env = vec![
            ("DATABASE_URL".to_string(), database_url.to_string()),
            ("LAUF_DATA_DIR".into(), data_dir.display().to_string()),
            ("LAUF_BIND".into(), format!("127.0.0.1:{port}")),
            ("LAUF_WORKERS".into(), "2".into()),
            ("LAUF_DB_POOL_SIZE".into(), "8".into()),
            // Short enough that a request waiting for a database that went away
            // answers within the test's patience.
            ("LAUF_DB_TIMEOUT_SECONDS".into(), "2".into()),
            ("RUST_LOG".into(), "warn".into()),
        ];
        Self::spawn(env, format!("http://127.0.0.1:{port}")).await
    }

    async fn spawn(env: Vec<(String, String)>, address: String) -> AppProcess {
        let child = Command::new(env!("CARGO_BIN_EXE_lauf"))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting the lauf binary");
        let mut process = AppProcess {
            child,
            address,
            env,
        };
        process.wait_ready().await;
        process
    }

    async fn wait_ready(&mut self) {
        let probe = Browser::new(&self.address);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("lauf exited while starting: {status}");
            }
            if probe
                .try_get("/readyz")
                .await
                .is_some_and(|r| r.status == 200)
            {
                return;
            }
            assert!(Instant::now() < deadline, "lauf did not become ready");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown, no flushing, nothing finishes.
    fn kill_hard(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// The same binary on the same data again.
    async fn restart(mut self) -> AppProcess {
        self.kill_hard();
        let env = std::mem::take(&mut self.env);
        Self::spawn(env, self.address.clone()).await
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn database_url(target: &DatabaseTarget) -> String {
    match target {
        DatabaseTarget::Postgres(url) => url.clone(),
        DatabaseTarget::Sqlite(path) => path.display().to_string(),
    }
}

fn connect(target: &DatabaseTarget) -> AnyConnection {
    match target {
        DatabaseTarget::Postgres(url) => {
            AnyConnection::Postgresql(PgConnection::establish(url).unwrap())
        }
        DatabaseTarget::Sqlite(path) => {
            AnyConnection::Sqlite(SqliteConnection::establish(&path.display().to_string()).unwrap())
        }
    }
}

async fn add_goal(browser: &Browser, title: &str) {
    let res = browser
        .submit(
            "/command/goals",
            "/command/goals",
            &[
                ("title", title),
                ("goal_type", "WEEKLY"),
                ("target_value", "100000"),
                ("start_date", ""),
                ("due_date", ""),
                ("description", ""),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
}

/// Plans a block for the goal through the same form a person uses; true when the app
/// answered that it was saved.
async fn plan_block(browser: &Browser, token: &str, title: &str, goal: &str) -> Option<bool> {
    let res = browser
        .try_post(
            "/tasks",
            &[
                ("csrf_token", token),
                ("title", title),
                ("category", "CODE"),
                ("priority", "MEDIUM"),
                ("energy_level", "DEEP_WORK"),
                ("time_block_minutes", "90"),
                ("scheduled_date", "2026-11-23"),
                ("scheduled_time", ""),
                ("goal_id", goal),
                ("return_to", "/"),
            ],
        )
        .await?;
    Some(res.status == 303)
}

async fn complete(browser: &Browser, token: &str, task: &str) -> Option<bool> {
    let res = browser
        .try_post(
            &format!("/tasks/{task}/status"),
            &[
                ("csrf_token", token),
                ("status", "DONE"),
                ("return_to", "/"),
            ],
        )
        .await?;
    Some(res.status == 303)
}

#[derive(Default)]
struct Answered {
    planned: Vec<String>,
    completed: Vec<String>,
    refused: usize,
}

async fn a_killed_process_loses_no_answered_write(backend: Backend) {
    let Some((_db, target)) = TestDb::create(backend) else {
        skip(backend);
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let app = AppProcess::start(&database_url(&target), data.path()).await;
    let browser = Browser::new(&app.address);
    assert_eq!(
        browser
            .sign_up("kim@example.com", "a long passphrase")
            .await
            .status,
        303
    );
    add_goal(&browser, "Ship the redesign").await;
    let goal: String = goals::table
        .select(goals::id)
        .first(&mut connect(&target))
        .unwrap();
    let token = browser.get("/").await.csrf_token();
    for i in 0..40 {
        let saved = plan_block(&browser, &token, &format!("ready {i}"), &goal).await;
        assert_eq!(saved, Some(true));
    }
    let ready: Vec<String> = tasks::table
        .select(tasks::id)
        .order(tasks::title.asc())
        .load(&mut connect(&target))
        .unwrap();

    // Four writers plan new blocks and complete the prepared ones, as fast as the app
    // answers, while the process is killed under them.
    let answered = Rc::new(RefCell::new(Answered::default()));
    let browser = Rc::new(browser);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (answered, browser, token, goal) = (
                answered.clone(),
                browser.clone(),
                token.clone(),
                goal.clone(),
            );
            let mine: Vec<String> = ready.iter().skip(w).step_by(4).cloned().collect();
            actix_web::rt::spawn(async move {
                for i in 0.. {
                    let title = format!("stream {w}-{i}");
                    match plan_block(&browser, &token, &title, &goal).await {
                        Some(true) => answered.borrow_mut().planned.push(title),
                        Some(false) => answered.borrow_mut().refused += 1,
                        None => return,
                    }
                    if let Some(task) = mine.get(i) {
                        match complete(&browser, &token, task).await {
                            Some(true) => answered.borrow_mut().completed.push(task.clone()),
                            Some(false) => answered.borrow_mut().refused += 1,
                            None => return,
                        }
                    }
                }
            })
        })
        .collect();
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    let mut app = app;
    app.kill_hard();
    for writer in writers {
        writer.await.unwrap();
    }
    let answered = Rc::try_unwrap(answered).ok().unwrap().into_inner();
    assert!(
        answered.planned.len() >= 10 && !answered.completed.is_empty(),
        "the writers got too little done before the kill: {} planned, {} completed",
        answered.planned.len(),
        answered.completed.len()
    );
    assert_eq!(answered.refused, 0, "no write was refused before the kill");
    eprintln!(
        "{backend:?}: killed after {} blocks planned and {} completed were answered",
        answered.planned.len(),
        answered.completed.len()
    );

    // The same binary on the same files starts again and serves the same session.
    let app = app.restart().await;
    let browser = Rc::try_unwrap(browser).ok().unwrap();
    let day = browser.get("/").await;
    assert_eq!(day.status, 200, "{}", day.text());

    let mut conn = connect(&target);
    if let lauf::db::AnyConnection::Sqlite(c) = &mut conn {
        #[derive(QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check").load(c).unwrap();
        let results: Vec<&str> = rows.iter().map(|r| r.integrity_check.as_str()).collect();
        assert_eq!(results, ["ok"]);
    }
    let titles: Vec<String> = tasks::table.select(tasks::title).load(&mut conn).unwrap();
    for title in &answered.planned {
        assert!(
            titles.contains(title),
            "{title} was answered 303 but is gone"
        );
    }
    let done: Vec<String> = tasks::table
        .filter(tasks::status.eq("DONE"))
        .select(tasks::id)
        .load(&mut conn)
        .unwrap();
    for task in &answered.completed {
        assert!(done.contains(task), "{task} was answered done but is not");
    }
    let (counted, completed_for_goal): (i32, i64) = (
        goals::table
            .find(&goal)
            .select(goals::current_value)
            .first(&mut conn)
            .unwrap(),
        tasks::table
            .filter(tasks::goal_id.eq(&goal))
            .filter(tasks::status.eq("DONE"))
            .count()
            .get_result(&mut conn)
            .unwrap(),
    );
    assert_eq!(
        i64::from(counted),
        completed_for_goal,
        "the goal counts exactly its DONE blocks"
    );
    // The page shows the same count.
    let goals_page = browser.get("/command/goals").await.main_text();
    assert!(
        goals_page.contains(&format!("{counted} of 100000")),
        "{goals_page}"
    );
    drop(app);
}

/// A PostgreSQL server of the test's own (initdb in a temp dir, its own port): it can
/// be stopped without taking the shared server from the other tests. As root (CI) the
/// server runs as the `postgres` user, as PostgreSQL insists.
struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PrivatePostgres {
    fn start() -> Option<PrivatePostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("pg_ctl").exists())
            .max();
        let Some(bin) = bin else {
            let why = "no PostgreSQL server binaries under /usr/lib/postgresql";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
            eprintln!("SKIPPED: {why}");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if as_postgres {
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown postgres {}", dir.path().display());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = PrivatePostgres {
            dir,
            bin,
            port,
            as_postgres,
        };
        let data = server.data_dir();
        server.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        server.start_server();
        Some(server)
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = command.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{} {args:?}: {}{}",
            program.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        let data = self.data_dir();
        self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &options, "-w", "start"],
        );
    }

    /// As a crash or an operator would: connections are cut, nothing is waited for.
    fn stop_server(&self) {
        let data = self.data_dir();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data_dir();
        let program = self.bin.join("pg_ctl");
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let _ = command
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
    }
}

#[derive(Default)]
struct Seen {
    /// (phase, status) of every answer: 0 while the database is up, 1 while it is
    /// stopped, 2 after it was started again.
    statuses: Vec<(u8, u16)>,
    unanswered: usize,
    outage_page: Option<String>,
    planned: Vec<String>,
}

#[actix_web::test]
async fn postgres_stopped_under_load_answers_503_and_the_app_recovers() {
    let Some(pg) = PrivatePostgres::start() else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let mut app = AppProcess::start(&pg.url(), data.path()).await;
    let browser = Rc::new(Browser::new(&app.address));
    assert_eq!(
        browser
            .sign_up("kim@example.com", "a long passphrase")
            .await
            .status,
        303
    );
    add_goal(&browser, "Ship the redesign").await;
    let goal: String = goals::table
        .select(goals::id)
        .first(&mut connect(&DatabaseTarget::Postgres(pg.url())))
        .unwrap();
    let token = browser.get("/").await.csrf_token();

    let phase = Rc::new(std::cell::Cell::new(0u8));
    let running = Rc::new(std::cell::Cell::new(true));
    let seen = Rc::new(RefCell::new(Seen::default()));
    let loaders: Vec<_> = (0..4)
        .map(|w| {
            let (browser, token, goal) = (browser.clone(), token.clone(), goal.clone());
            let (phase, running, seen) = (phase.clone(), running.clone(), seen.clone());
            actix_web::rt::spawn(async move {
                let mut i = 0;
                while running.get() {
                    let now = phase.get();
                    let title = format!("load {w}-{i}");
                    let answer = if i % 2 == 0 {
                        browser.try_get("/").await
                    } else {
                        browser
                            .try_post(
                                "/tasks",
                                &[
                                    ("csrf_token", token.as_str()),
                                    ("title", title.as_str()),
                                    ("category", "CODE"),
                                    ("priority", "MEDIUM"),
                                    ("energy_level", "DEEP_WORK"),
                                    ("time_block_minutes", "90"),
                                    ("scheduled_date", "2026-11-23"),
                                    ("scheduled_time", ""),
                                    ("goal_id", goal.as_str()),
                                    ("return_to", "/"),
                                ],
                            )
                            .await
                    };
                    let mut seen = seen.borrow_mut();
                    match answer {
                        None => seen.unanswered += 1,
                        Some(res) => {
                            if res.status == 503 && seen.outage_page.is_none() {
                                seen.outage_page = Some(res.text());
                            }
                            if res.status == 303 && i % 2 == 1 {
                                seen.planned.push(title);
                            }
                            seen.statuses.push((now.max(phase.get()), res.status));
                        }
                    }
                    i += 1;
                }
            })
        })
        .collect();

    actix_web::rt::time::sleep(Duration::from_millis(700)).await;
    pg.stop_server();
    phase.set(1);
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    let probe = Browser::new(&app.address);
    let ready = probe.get("/readyz").await;
    assert_eq!(ready.status, 503, "{}", ready.text());
    assert!(app.is_running(), "the app must outlive its database");

    pg.start_server();
    phase.set(2);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let back = seen
            .borrow()
            .statuses
            .iter()
            .rev()
            .take(4)
            .filter(|(p, s)| *p == 2 && (*s == 200 || *s == 303))
            .count();
        if back == 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the app did not recover within 30 s of the database coming back"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    running.set(false);
    for loader in loaders {
        loader.await.unwrap();
    }
    assert_eq!(probe.get("/readyz").await.status, 200);
    assert!(app.is_running());

    let seen = Rc::try_unwrap(seen).ok().unwrap().into_inner();
    let mut tally = std::collections::BTreeMap::new();
    for answer in &seen.statuses {
        *tally.entry(*answer).or_insert(0) += 1;
    }
    eprintln!("(phase, status) → answers: {tally:?}");
    assert_eq!(seen.unanswered, 0, "every request got an answer");
    let odd: Vec<_> = seen
        .statuses
        .iter()
        .filter(|(_, s)| ![200, 303, 503].contains(s))
        .collect();
    assert!(odd.is_empty(), "only 200, 303 or 503: {odd:?}");
    let count = |phase: u8, status: u16| {
        seen.statuses
            .iter()
            .filter(|s| **s == (phase, status))
            .count()
    };
    assert!(
        count(0, 200) > 0 && count(0, 303) > 0,
        "{:?}",
        seen.statuses
    );
    assert!(
        count(1, 503) > 0,
        "the outage answered 503: {:?}",
        seen.statuses
    );
    assert_eq!(count(0, 503), 0, "no 503 before the outage");
    let page = seen.outage_page.unwrap();
    assert!(
        page.contains("The database cannot be reached right now. Nothing was changed"),
        "{page}"
    );
    assert!(
        !page.to_lowercase().contains("connection refused"),
        "{page}"
    );
    // Every block the app said it saved is there.
    let titles: Vec<String> = tasks::table
        .select(tasks::title)
        .load(&mut connect(&DatabaseTarget::Postgres(pg.url())))
        .unwrap();
    for title in &seen.planned {
        assert!(
            titles.contains(title),
            "{title} was answered 303 but is gone"
        );
    }
    drop(app);
}
