//! A stand-in Supabase Auth for `tests/bench/supabase.sh`: the project's JWKS (an
//! ES256 key made at start) and the password and refresh grants, on
//! 127.0.0.1:<port>. Any email signs in with the password `bench passphrase 42`.
//!
//!   cargo run --release --example fake_supabase -- 18490

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use lauf::test_support::signing::{SigningKey, jwks, user_claims};
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

struct Fake {
    key: SigningKey,
    issuer: String,
    /// email → user id; refresh token → email
    users: Mutex<(HashMap<String, String>, HashMap<String, String>)>,
}

impl Fake {
    fn grant(&self, email: &str) -> Value {
        let mut tables = self.users.lock().unwrap();
        let sub = tables
            .0
            .entry(email.to_string())
            .or_insert_with(|| uuid::Uuid::new_v4().to_string())
            .clone();
        let refresh = uuid::Uuid::new_v4().simple().to_string();
        tables.1.insert(refresh.clone(), email.to_string());
        let session = uuid::Uuid::new_v4().to_string();
        let claims = user_claims(&self.issuer, &sub, email, &session, Utc::now(), 3600);
        json!({"access_token": self.key.sign(&claims), "token_type": "bearer",
               "expires_in": 3600, "refresh_token": refresh})
    }
}

struct Auth(Arc<Fake>);

impl Respond for Auth {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let grant = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "grant_type")
            .map(|(_, v)| v.into_owned());
        match (req.url.path(), grant.as_deref()) {
            ("/auth/v1/.well-known/jwks.json", _) => {
                ResponseTemplate::new(200).set_body_json(jwks(&[&self.0.key]))
            }
            ("/auth/v1/token", Some("password")) if body["password"] == "bench passphrase 42" => {
                let email = body["email"].as_str().unwrap_or_default().to_lowercase();
                ResponseTemplate::new(200).set_body_json(self.0.grant(&email))
            }
            ("/auth/v1/token", Some("refresh_token")) => {
                let email = self
                    .0
                    .users
                    .lock()
                    .unwrap()
                    .1
                    .remove(body["refresh_token"].as_str().unwrap_or_default());
                match email {
                    Some(email) => ResponseTemplate::new(200).set_body_json(self.0.grant(&email)),
                    None => ResponseTemplate::new(400)
                        .set_body_json(json!({"code": "refresh_token_already_used"})),
                }
            }
            ("/auth/v1/logout", _) => ResponseTemplate::new(204),
            _ => ResponseTemplate::new(400).set_body_json(json!({"code": "invalid_credentials"})),
        }
    }
}

#[actix_web::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(18490);
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("binding");
    let server = MockServer::builder().listener(listener).start().await;
    let fake = Arc::new(Fake {
        key: SigningKey::es256("bench-key"),
        issuer: format!("{}/auth/v1", server.uri()),
        users: Mutex::new((HashMap::new(), HashMap::new())),
    });
    Mock::given(wiremock::matchers::any())
        .respond_with(Auth(fake))
        .mount(&server)
        .await;
    println!("fake Supabase Auth at {}", server.uri());
    std::future::pending::<()>().await;
}
