//! Typed settings from the environment. Every variable is read here and only here,
//! and each is documented once, in `.env.example` and the README.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::db::{DatabaseTarget, PoolOptions};

#[derive(Debug, Clone)]
pub struct Settings {
    /// `LAUF_BIND`: address and port to listen on.
    pub bind: String,
    /// `LAUF_DATA_DIR`: where the embedded database (and later uploads) live.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: unset for SQLite in the data dir, or `postgres://…`.
    pub database: DatabaseTarget,
    /// `LAUF_DB_POOL_SIZE`: connections per process (default two per core, 4 to 32).
    pub pool: PoolOptions,
    /// `LAUF_PUBLIC_URL`: the origin browsers use, e.g. `https://lauf.example.com`.
    /// When it is https, cookies are `Secure` and `__Host-` prefixed.
    pub public_url: Option<String>,
    /// `LAUF_SESSION_IDLE_MINUTES` / `LAUF_SESSION_ABSOLUTE_HOURS`.
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// `LAUF_ALLOW_SIGNUP`: whether `/signup` creates accounts.
    pub allow_signup: bool,
    /// `LAUF_TRUSTED_PROXIES`: peers (IPs or CIDRs) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// `LAUF_LOG_FORMAT`: `text` (default) or `json`.
    pub log_json: bool,
    /// `LAUF_WORKERS`: HTTP worker threads; default one per core.
    pub workers: Option<usize>,
    /// `LAUF_DATA_KEYS` (`kid:base64,…`) and `LAUF_DATA_KEY_ACTIVE`: keys for secrets
    /// at rest. Unset: a key file in the data dir (refused when the public URL is https).
    pub data_keys: Option<(String, String)>,
    /// `LAUF_UPLOAD_MAX_MB`: the largest file an upload may carry (default 25).
    pub upload_max_bytes: u64,
    /// `LAUF_STORAGE`: `local` (files under the data dir, the default) or `s3`
    /// (with `LAUF_S3_*`).
    pub storage: StorageTarget,
    /// `LAUF_AUTH_MODE`: `local` (accounts in our database, the default, no network)
    /// or `supabase` (Supabase Auth, with `SUPABASE_*`).
    pub auth: AuthMode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    Local,
    Supabase(SupabaseSettings),
}

/// A Supabase project's Auth, as this server talks to it.
#[derive(Clone, PartialEq, Eq)]
pub struct SupabaseSettings {
    /// `SUPABASE_URL`: `https://<ref>.supabase.co` (http only on a loopback host).
    pub url: String,
    /// `SUPABASE_PUBLISHABLE_KEY`: sent as `apikey` (publishable or legacy anon key).
    pub publishable_key: String,
    /// `SUPABASE_JWT_ISSUER`: the exact `iss` of access tokens (default `<url>/auth/v1`).
    pub issuer: String,
    /// `SUPABASE_JWT_AUDIENCE`: default `authenticated`.
    pub audience: String,
    /// `SUPABASE_JWKS_URL`: default `<issuer>/.well-known/jwks.json`.
    pub jwks_url: String,
    /// `SUPABASE_LEGACY_JWT_SECRET`: enables HS256 tokens; unset, they are refused.
    pub legacy_jwt_secret: Option<String>,
    /// `SUPABASE_ALLOW_ANONYMOUS`: accept `is_anonymous` tokens (default false).
    pub allow_anonymous: bool,
    /// `SUPABASE_OAUTH_PROVIDERS`: the sign-in buttons, e.g. `google,github`.
    pub oauth_providers: Vec<String>,
}

impl std::fmt::Debug for SupabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupabaseSettings")
            .field("url", &self.url)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("jwks_url", &self.jwks_url)
            .field(
                "legacy_jwt_secret",
                &self.legacy_jwt_secret.as_ref().map(|_| "<set>"),
            )
            .field("allow_anonymous", &self.allow_anonymous)
            .field("oauth_providers", &self.oauth_providers)
            .finish_non_exhaustive()
    }
}

/// The OAuth providers the login page can offer, with their button labels.
pub const OAUTH_PROVIDERS: [(&str, &str); 6] = [
    ("google", "Google"),
    ("github", "GitHub"),
    ("gitlab", "GitLab"),
    ("azure", "Microsoft"),
    ("apple", "Apple"),
    ("linkedin_oidc", "LinkedIn"),
];

/// Whether `url` is http(s) to a loopback host (where plain http is acceptable).
fn is_loopback_http(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "http"
            && match u.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            }
    })
}

/// Where uploaded files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageTarget {
    Local,
    S3(crate::storage::S3Settings),
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {problem}")]
    Invalid { name: &'static str, problem: String },
}

fn invalid(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        problem: problem.into(),
    }
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let number = |name: &'static str, default: u64, range: std::ops::RangeInclusive<u64>| {
            match get(name) {
                None => Ok(default),
                Some(text) => text
                    .parse::<u64>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or_else(|| {
                        invalid(
                            name,
                            format!("expected a whole number in {range:?}, got {text:?}"),
                        )
                    }),
            }
        };
        let flag = |name: &'static str, default: bool| match get(name).as_deref() {
            None => Ok(default),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some("0" | "false" | "no" | "off") => Ok(false),
            Some(other) => Err(invalid(
                name,
                format!("expected true or false, got {other:?}"),
            )),
        };

        let data_dir = PathBuf::from(get("LAUF_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database = DatabaseTarget::from_url(get("DATABASE_URL").as_deref(), &data_dir);
        let public_url = match get("LAUF_PUBLIC_URL") {
            None => None,
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.trim_end_matches('/').to_string())
            }
            Some(url) => {
                return Err(invalid(
                    "LAUF_PUBLIC_URL",
                    format!("must start with http:// or https://, got {url:?}"),
                ));
            }
        };
        let trusted_proxies = get("LAUF_TRUSTED_PROXIES")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        IpNet::parse(s).ok_or_else(|| {
                            invalid(
                                "LAUF_TRUSTED_PROXIES",
                                format!("{s:?} is not an IP or CIDR"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let log_json = match get("LAUF_LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(invalid(
                    "LAUF_LOG_FORMAT",
                    format!("expected text or json, got {other:?}"),
                ));
            }
        };
        let workers = match get("LAUF_WORKERS") {
            None => None,
            Some(_) => Some(number("LAUF_WORKERS", 0, 1..=256)? as usize),
        };

        let data_keys = match (get("LAUF_DATA_KEYS"), get("LAUF_DATA_KEY_ACTIVE")) {
            (None, None) => None,
            (Some(list), Some(active)) => Some((list, active)),
            (Some(_), None) => {
                return Err(invalid(
                    "LAUF_DATA_KEY_ACTIVE",
                    "required with LAUF_DATA_KEYS",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "LAUF_DATA_KEYS",
                    "required with LAUF_DATA_KEY_ACTIVE",
                ));
            }
        };

        let storage = match get("LAUF_STORAGE").as_deref() {
            None | Some("local") => StorageTarget::Local,
            Some("s3") => {
                let need = |name: &'static str| {
                    get(name).ok_or_else(|| invalid(name, "required with LAUF_STORAGE=s3"))
                };
                let mut prefix = get("LAUF_S3_PREFIX").unwrap_or_default();
                if !prefix.is_empty() && !prefix.ends_with('/') {
                    prefix.push('/');
                }
                if prefix.contains("..") || prefix.starts_with('/') {
                    return Err(invalid("LAUF_S3_PREFIX", "must be a plain path like lauf/"));
                }
                StorageTarget::S3(crate::storage::S3Settings {
                    endpoint: need("LAUF_S3_ENDPOINT")?,
                    bucket: need("LAUF_S3_BUCKET")?,
                    region: get("LAUF_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                    access_key_id: need("LAUF_S3_ACCESS_KEY_ID")?,
                    secret_access_key: need("LAUF_S3_SECRET_ACCESS_KEY")?,
                    path_style: flag("LAUF_S3_PATH_STYLE", true)?,
                    prefix,
                })
            }
            Some(other) => {
                return Err(invalid(
                    "LAUF_STORAGE",
                    format!("expected local or s3, got {other:?}"),
                ));
            }
        };

        let auth = match get("LAUF_AUTH_MODE").as_deref() {
            None | Some("local") => AuthMode::Local,
            Some("supabase") => {
                let need = |name: &'static str| {
                    get(name).ok_or_else(|| invalid(name, "required with LAUF_AUTH_MODE=supabase"))
                };
                let https_or_loopback = |name: &'static str, url: String| {
                    let parsed = url::Url::parse(&url)
                        .map_err(|e| invalid(name, format!("not a URL: {e}")))?;
                    if parsed.scheme() == "https" || is_loopback_http(&url) {
                        Ok(url.trim_end_matches('/').to_string())
                    } else {
                        Err(invalid(
                            name,
                            "must be https:// (http:// only on a loopback host)",
                        ))
                    }
                };
                let url = https_or_loopback("SUPABASE_URL", need("SUPABASE_URL")?)?;
                let issuer = get("SUPABASE_JWT_ISSUER").unwrap_or_else(|| format!("{url}/auth/v1"));
                let jwks_url = https_or_loopback(
                    "SUPABASE_JWKS_URL",
                    get("SUPABASE_JWKS_URL").unwrap_or_else(|| {
                        format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/'))
                    }),
                )?;
                let oauth_providers = get("SUPABASE_OAUTH_PROVIDERS")
                    .unwrap_or_else(|| "google,github".into())
                    .split(',')
                    .map(|p| p.trim().to_lowercase())
                    .filter(|p| !p.is_empty() && p != "none")
                    .map(|p| {
                        if OAUTH_PROVIDERS.iter().any(|(slug, _)| *slug == p) {
                            Ok(p)
                        } else {
                            Err(invalid(
                                "SUPABASE_OAUTH_PROVIDERS",
                                format!("unknown provider {p:?}; known: google, github, gitlab, azure, apple, linkedin_oidc, or none"),
                            ))
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                // OAuth sends browsers back to our callback; behind a proxy the Host header
                // is not to be trusted for that, so a real deployment names its origin.
                if public_url.is_none() && !is_loopback_http(&url) {
                    return Err(invalid(
                        "LAUF_PUBLIC_URL",
                        "required with LAUF_AUTH_MODE=supabase (the origin Supabase sends browsers back to)",
                    ));
                }
                let legacy_jwt_secret = get("SUPABASE_LEGACY_JWT_SECRET");
                if legacy_jwt_secret.as_ref().is_some_and(|s| s.len() < 32) {
                    return Err(invalid(
                        "SUPABASE_LEGACY_JWT_SECRET",
                        "shorter than 32 characters",
                    ));
                }
                AuthMode::Supabase(SupabaseSettings {
                    publishable_key: need("SUPABASE_PUBLISHABLE_KEY")?,
                    audience: get("SUPABASE_JWT_AUDIENCE")
                        .unwrap_or_else(|| "authenticated".into()),
                    url,
                    issuer,
                    jwks_url,
                    legacy_jwt_secret,
                    allow_anonymous: flag("SUPABASE_ALLOW_ANONYMOUS", false)?,
                    oauth_providers,
                })
            }
            Some(other) => {
                return Err(invalid(
                    "LAUF_AUTH_MODE",
                    format!("expected local or supabase, got {other:?}"),
                ));
            }
        };

        Ok(Settings {
            bind: get("LAUF_BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            data_dir,
            database,
            pool: PoolOptions {
                max_size: number(
                    "LAUF_DB_POOL_SIZE",
                    u64::from(PoolOptions::default_size()),
                    1..=512,
                )? as u32,
                connection_timeout: Duration::from_secs(number(
                    "LAUF_DB_TIMEOUT_SECONDS",
                    5,
                    1..=120,
                )?),
                statements: None,
            },
            public_url,
            session_idle: Duration::from_secs(
                60 * number("LAUF_SESSION_IDLE_MINUTES", 240, 5..=10_080)?,
            ),
            session_absolute: Duration::from_secs(
                3600 * number("LAUF_SESSION_ABSOLUTE_HOURS", 12, 1..=720)?,
            ),
            allow_signup: flag("LAUF_ALLOW_SIGNUP", true)?,
            trusted_proxies,
            log_json,
            workers,
            data_keys,
            upload_max_bytes: number("LAUF_UPLOAD_MAX_MB", 25, 1..=5_120)? * 1_000_000,
            storage,
            auth,
        })
    }

    /// The keys for secrets at rest: from the environment, else the key file in the
    /// data dir (created on first start). A deployment on https must configure them.
    pub fn key_ring(&self) -> Result<crate::crypto::KeyRing, crate::crypto::CryptoError> {
        match &self.data_keys {
            Some((list, active)) => crate::crypto::KeyRing::parse(list, active),
            None if self.secure_cookies() => Err(crate::crypto::CryptoError::Config(
                "LAUF_DATA_KEYS and LAUF_DATA_KEY_ACTIVE are required when LAUF_PUBLIC_URL is https".into(),
            )),
            None => crate::crypto::KeyRing::load_or_create_file(&self.key_file()),
        }
    }

    /// Opens the configured file store (creating the local directory if needed).
    pub fn open_storage(&self) -> anyhow::Result<crate::storage::Storage> {
        use anyhow::Context;
        Ok(match &self.storage {
            StorageTarget::Local => crate::storage::Storage::Local(
                crate::storage::LocalStore::open(self.data_dir.join("files")).with_context(
                    || format!("creating {}", self.data_dir.join("files").display()),
                )?,
            ),
            StorageTarget::S3(s3) => crate::storage::Storage::S3(Box::new(
                crate::storage::S3Store::new(s3).map_err(anyhow::Error::msg)?,
            )),
        })
    }

    /// Where uploads are spooled while they arrive and are checked (always local disk).
    pub fn upload_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
    }

    pub fn key_file(&self) -> PathBuf {
        self.data_dir.join("keys")
    }

    /// Cookies get `Secure` and the `__Host-` prefix when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// An IP network (`10.0.0.0/8`, `::1/128`, or a single address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(text: &str) -> Option<IpNet> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
            if prefix == 0 {
                0
            } else {
                bits >> (width - prefix)
            }
        }
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), self.prefix, 32)
                    == masked(u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), self.prefix, 128)
                    == masked(u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {

    fn supabase(pairs: &[(&str, &str)]) -> Result<AuthMode, ConfigError> {
        let mut env: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.insert("LAUF_AUTH_MODE".into(), "supabase".into());
        env.entry("LAUF_PUBLIC_URL".into())
            .or_insert_with(|| "https://lauf.example.com".into());
        Settings::from_lookup(|k| env.get(k).cloned()).map(|s| s.auth)
    }

    #[test]
    fn supabase_mode_fails_closed_on_missing_or_unsafe_settings() {
        let missing = supabase(&[("SUPABASE_PUBLISHABLE_KEY", "k")]).unwrap_err();
        assert!(missing.to_string().contains("SUPABASE_URL"), "{missing}");
        let no_key = supabase(&[("SUPABASE_URL", "https://abc.supabase.co")]).unwrap_err();
        assert!(no_key.to_string().contains("SUPABASE_PUBLISHABLE_KEY"));
        let plain = supabase(&[
            ("SUPABASE_URL", "http://abc.supabase.co"),
            ("SUPABASE_PUBLISHABLE_KEY", "k"),
        ])
        .unwrap_err();
        assert!(plain.to_string().contains("https"), "{plain}");
        let short = supabase(&[
            ("SUPABASE_URL", "https://abc.supabase.co"),
            ("SUPABASE_PUBLISHABLE_KEY", "k"),
            ("SUPABASE_LEGACY_JWT_SECRET", "short"),
        ])
        .unwrap_err();
        assert!(short.to_string().contains("32"));
        let odd = supabase(&[
            ("SUPABASE_URL", "https://abc.supabase.co"),
            ("SUPABASE_PUBLISHABLE_KEY", "k"),
            ("SUPABASE_OAUTH_PROVIDERS", "google,myspace"),
        ])
        .unwrap_err();
        assert!(odd.to_string().contains("myspace"));
        let no_origin = supabase(&[
            ("SUPABASE_URL", "https://abc.supabase.co"),
            ("SUPABASE_PUBLISHABLE_KEY", "k"),
            ("LAUF_PUBLIC_URL", ""),
        ])
        .unwrap_err();
        assert!(
            no_origin.to_string().contains("LAUF_PUBLIC_URL"),
            "{no_origin}"
        );
    }

    #[test]
    fn supabase_defaults_follow_the_project_url() {
        let AuthMode::Supabase(sb) = supabase(&[
            ("SUPABASE_URL", "https://abc.supabase.co/"),
            ("SUPABASE_PUBLISHABLE_KEY", "sb_publishable_x"),
        ])
        .unwrap() else {
            panic!("not supabase")
        };
        assert_eq!(sb.url, "https://abc.supabase.co");
        assert_eq!(sb.issuer, "https://abc.supabase.co/auth/v1");
        assert_eq!(
            sb.jwks_url,
            "https://abc.supabase.co/auth/v1/.well-known/jwks.json"
        );
        assert_eq!(sb.audience, "authenticated");
        assert_eq!(sb.oauth_providers, vec!["google", "github"]);
        assert!(sb.legacy_jwt_secret.is_none() && !sb.allow_anonymous);
        // A local Supabase stack on loopback may use http.
        assert!(
            supabase(&[
                ("SUPABASE_URL", "http://127.0.0.1:54321"),
                ("SUPABASE_PUBLISHABLE_KEY", "k")
            ])
            .is_ok()
        );
        assert!(!format!("{sb:?}").contains("sb_publishable_x"));
    }

    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn an_empty_environment_is_the_embedded_default() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(
            s.database,
            DatabaseTarget::Sqlite(PathBuf::from("./data/lauf.db"))
        );
        assert!(!s.secure_cookies());
        assert!(s.allow_signup);
        assert_eq!(s.session_idle, Duration::from_secs(4 * 3600));
    }

    #[test]
    fn the_pool_defaults_to_two_connections_per_core_within_bounds() {
        let cores = std::thread::available_parallelism().unwrap().get() as u32;
        let size = settings(&[]).unwrap().pool.max_size;
        assert_eq!(size, (2 * cores).clamp(4, 32), "{cores} cores");
        let set = settings(&[("LAUF_DB_POOL_SIZE", "40")]).unwrap();
        assert_eq!(set.pool.max_size, 40);
    }

    #[test]
    fn https_public_url_turns_on_secure_cookies() {
        let s = settings(&[("LAUF_PUBLIC_URL", "https://lauf.example.com/")]).unwrap();
        assert!(s.secure_cookies());
        assert_eq!(s.public_url.as_deref(), Some("https://lauf.example.com"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = settings(&[("LAUF_DB_POOL_SIZE", "lots")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("LAUF_DB_POOL_SIZE"), "{err}");
        assert!(settings(&[("LAUF_PUBLIC_URL", "lauf.example.com")]).is_err());
        assert!(settings(&[("LAUF_ALLOW_SIGNUP", "maybe")]).is_err());
        assert!(settings(&[("LAUF_TRUSTED_PROXIES", "10.0.0.0/99")]).is_err());
    }

    #[test]
    fn networks_match_their_members_only() {
        let net = IpNet::parse("10.1.0.0/16").unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(
            IpNet::parse("::1")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
        assert!(
            !IpNet::parse("::1")
                .unwrap()
                .contains("127.0.0.1".parse().unwrap())
        );
        assert!(
            IpNet::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
    }
}
