//! The test harness: `spawn_app(backend)` starts the real server on a random port
//! against a fresh database of its own (an SQLite file, or a PostgreSQL database
//! cloned from a migrated template), and `Browser` talks to it over real HTTP with
//! its own cookie jar, the way a person's browser would.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use lauf::config::Settings;
use lauf::db::{self, AnyConnection, DatabaseTarget, DbPool, PoolOptions};
use lauf::startup::Application;

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
    let settings = Settings::from_lookup(|k| env.get(k).cloned()).unwrap();
    let pool = db::build_pool(&settings.database, &settings.pool).unwrap();
    db::run_migrations(&mut pool.get().unwrap()).unwrap();
    let app = Application::build_with_clock(settings.clone(), pool.clone(), clock.clone()).unwrap();
    let port = app.port();
    let server = app.server_handle();
    actix_web::rt::spawn(app.run_until_stopped());
    Some(TestApp {
        data_keys,
        address: format!("http://127.0.0.1:{port}"),
        pool,
        db,
        clock,
        _data_dir: data_dir,
        settings,
        server,
    })
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
        let mut browser = self.browser();
        browser.base = address.to_string();
        *browser.jar.lock().unwrap() = from.jar.lock().unwrap().clone();
        browser
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

pub struct Response {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }

    /// The page's visible text, tags stripped and whitespace folded: what a person reads.
    pub fn text(&self) -> String {
        let mut text = String::with_capacity(self.body.len());
        let mut in_tag = false;
        for c in self.body.chars() {
            match c {
                '<' => {
                    in_tag = true;
                    text.push(' ');
                }
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        let text = text
            .replace("&amp;", "&")
            .replace("&#39;", "'")
            .replace("&quot;", "\"")
            .replace("&#34;", "\"")
            .replace("&#38;", "&")
            .replace("&#60;", "<")
            .replace("&#62;", ">");
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The CSRF token the page carries in its forms.
    pub fn csrf_token(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no csrf_token in page:\n{}", self.body))
            + marker.len();
        self.body[start..].split('"').next().unwrap().to_string()
    }
}

/// One browser: a cookie jar and the headers a same-origin form post carries.
pub struct Browser {
    pub base: String,
    client: awc::Client,
    jar: Mutex<HashMap<String, String>>,
}

impl Browser {
    /// A browser with no cookies talking to the app at `address` (`http://host:port`).
    pub fn new(address: &str) -> Browser {
        Browser {
            base: address.to_string(),
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(30))
                .finish(),
            jar: Mutex::new(HashMap::new()),
        }
    }

    fn cookie_header(&self) -> Option<String> {
        let jar = self.jar.lock().unwrap();
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn remember(&self, res: &Response) {
        let mut jar = self.jar.lock().unwrap();
        for cookie in res.set_cookies() {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let expired = value.is_empty() || cookie.contains("Max-Age=0");
                if expired {
                    jar.remove(name);
                } else {
                    jar.insert(name.to_string(), value.to_string());
                }
            }
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar
            .lock()
            .unwrap()
            .insert(name.to_string(), value.to_string());
    }

    async fn send(&self, req: awc::ClientRequest, body: Option<String>) -> Response {
        self.try_send(req, body).await.expect("request failed")
    }

    /// Sends a request; `None` when no answer came (the server is gone, the
    /// connection broke).
    async fn try_send(
        &self,
        mut req: awc::ClientRequest,
        body: Option<String>,
    ) -> Option<Response> {
        if let Some(cookies) = self.cookie_header() {
            req = req.insert_header(("Cookie", cookies));
        }
        let mut res = match body {
            Some(body) => {
                req.content_type("application/x-www-form-urlencoded")
                    .send_body(body)
                    .await
            }
            None => req.send().await,
        }
        .ok()?;
        let bytes = res.body().limit(8 * 1024 * 1024).await.ok()?;
        let response = Response {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        self.remember(&response);
        Some(response)
    }

    /// A GET that may find nobody answering.
    pub async fn try_get(&self, path: &str) -> Option<Response> {
        self.try_send(self.client.get(format!("{}{path}", self.base)), None)
            .await
    }

    /// A same-origin form post that may find nobody answering.
    pub async fn try_post(&self, path: &str, form: &[(&str, &str)]) -> Option<Response> {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .insert_header(("Origin", self.base.clone()))
            .insert_header(("Sec-Fetch-Site", "same-origin"));
        self.try_send(req, Some(serde_urlencoded::to_string(form).unwrap()))
            .await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(self.client.get(format!("{}{path}", self.base)), None)
            .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        self.send(req, None).await
    }

    /// A form post as a browser sends it from one of our pages.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.post_with(
            path,
            form,
            &[
                ("Origin", &self.base.clone()),
                ("Sec-Fetch-Site", "same-origin"),
            ],
        )
        .await
    }

    pub async fn post_with(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Response {
        let mut req = self.client.post(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let body = serde_urlencoded::to_string(form).unwrap();
        self.send(req, Some(body)).await
    }

    /// A file upload as a browser sends it (multipart, the CSRF token in the query).
    pub async fn upload(
        &self,
        path: &str,
        field: &str,
        filename: &str,
        content: &[u8],
    ) -> Response {
        self.multipart(path, &[], &[(field, filename, content)])
            .await
    }

    /// Loads `page`, takes its CSRF token and posts `form` with it.
    /// A multipart form post (as a browser sends `<input type=file multiple>`):
    /// text fields first, then each file under `files`.
    pub async fn upload_files(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Response {
        let files: Vec<(&str, &str, &[u8])> = files
            .iter()
            .map(|(name, bytes)| ("files", *name, *bytes))
            .collect();
        self.multipart(path, fields, &files).await
    }

    /// A multipart post: `fields`, then `(field, filename, content)` file parts.
    async fn multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Response {
        let boundary = "----lauf-test-boundary-9QpZ2xkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        for (field, filename, content) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .insert_header(("Origin", self.base.clone()))
            .insert_header(("Sec-Fetch-Site", "same-origin"))
            .insert_header((
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            ));
        if let Some(cookies) = self.cookie_header() {
            req = req.insert_header(("Cookie", cookies));
        }
        let mut res = req.send_body(body).await.expect("upload failed");
        let bytes = res
            .body()
            .limit(8 * 1024 * 1024)
            .await
            .expect("reading body");
        let response = Response {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        self.remember(&response);
        response
    }

    /// The raw bytes and headers of a GET (files, thumbnails).
    pub async fn get_bytes(&self, path: &str) -> (u16, awc::http::header::HeaderMap, Vec<u8>) {
        self.get_bytes_with(path, &[]).await
    }

    pub async fn get_bytes_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, awc::http::header::HeaderMap, Vec<u8>) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        if let Some(cookies) = self.cookie_header() {
            req = req.insert_header(("Cookie", cookies));
        }
        let mut res = req.send().await.expect("request failed");
        let bytes = res
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .expect("reading body");
        (res.status().as_u16(), res.headers().clone(), bytes.to_vec())
    }

    /// A same-origin POST of raw bytes (malformed bodies, invalid UTF-8), with the
    /// session's CSRF token in the header as htmx sends it.
    pub async fn post_raw(&self, path: &str, token: &str, body: Vec<u8>) -> Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .insert_header(("Origin", self.base.clone()))
            .insert_header(("Sec-Fetch-Site", "same-origin"))
            .insert_header(("X-CSRF-Token", token.to_string()))
            .content_type("application/x-www-form-urlencoded");
        if let Some(cookies) = self.cookie_header() {
            req = req.insert_header(("Cookie", cookies));
        }
        let mut res = req.send_body(body).await.expect("request failed");
        let bytes = res.body().limit(8 * 1024 * 1024).await.unwrap_or_default();
        Response {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A form post carrying the CSRF token of a page already fetched.
    pub async fn post_with_token(
        &self,
        page: &Response,
        action: &str,
        form: &[(&str, &str)],
    ) -> Response {
        let token = page.csrf_token();
        let mut fields = vec![("csrf_token", token.as_str())];
        fields.extend_from_slice(form);
        self.post(action, &fields).await
    }

    pub async fn submit(&self, page: &str, action: &str, form: &[(&str, &str)]) -> Response {
        let token = self.get(page).await.csrf_token();
        let mut fields = vec![("csrf_token", token.as_str())];
        fields.extend_from_slice(form);
        self.post(action, &fields).await
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> Response {
        self.submit(
            "/signup",
            "/signup",
            &[
                ("email", email),
                ("name", "Test Person"),
                ("password", password),
                ("password_confirm", password),
                ("timezone", "Europe/Berlin"),
            ],
        )
        .await
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Response {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    pub async fn log_out(&self) -> Response {
        let token = self.get("/settings").await.csrf_token();
        self.post("/logout", &[("csrf_token", &token)]).await
    }
}

/// A real S3-compatible server (s3s-fs, files under a temp dir) shared by the whole
/// test run; each test gets a bucket of its own.
pub struct S3Server {
    pub endpoint: String,
    pub root: PathBuf,
}

pub const S3_KEY: &str = "lauf-test-key";
pub const S3_SECRET: &str = "lauf-test-secret-0123456789";

pub fn s3_server() -> &'static S3Server {
    static SERVER: OnceLock<S3Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("lauf-s3-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let serve_root = root.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                use hyper_util::rt::{TokioExecutor, TokioIo};
                let fs = s3s_fs::FileSystem::new(serve_root).unwrap();
                let mut builder = s3s::service::S3ServiceBuilder::new(fs);
                builder.set_auth(s3s::auth::SimpleAuth::from_single(S3_KEY, S3_SECRET));
                let service = builder.build();
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                loop {
                    let Ok((socket, _)) = listener.accept().await else {
                        continue;
                    };
                    let conn = http
                        .serve_connection(TokioIo::new(socket), service.clone())
                        .into_owned();
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                }
            });
        });
        let addr = rx.recv().unwrap();
        S3Server {
            endpoint: format!("http://{addr}"),
            root,
        }
    })
}

impl S3Server {
    /// A fresh bucket (a directory, for s3s-fs) and the settings that point at it.
    pub fn bucket(&self) -> (String, Vec<(String, String)>) {
        let name = format!("t{}", uuid::Uuid::new_v4().simple());
        std::fs::create_dir_all(self.root.join(&name)).unwrap();
        let env = vec![
            ("LAUF_STORAGE".to_string(), "s3".to_string()),
            ("LAUF_S3_ENDPOINT".to_string(), self.endpoint.clone()),
            ("LAUF_S3_BUCKET".to_string(), name.clone()),
            ("LAUF_S3_REGION".to_string(), "us-east-1".to_string()),
            ("LAUF_S3_ACCESS_KEY_ID".to_string(), S3_KEY.to_string()),
            (
                "LAUF_S3_SECRET_ACCESS_KEY".to_string(),
                S3_SECRET.to_string(),
            ),
            ("LAUF_S3_PREFIX".to_string(), "lauf/".to_string()),
        ];
        (name, env)
    }
}
