//! What verifying a Supabase access token costs a request: `cargo run --release
//! --example jwt_verify [iterations]`. Keys are made at start (ES256, RS256 and an
//! HS256 secret), the JWKS is served on loopback, and each token is verified
//! `iterations` times through the app's own `Verifier` (key lookup in the cached
//! set, signature, claims), after decrypting it from its session-row envelope as a
//! request does.

use std::time::Instant;

use chrono::Utc;
use lauf::auth::supabase::verify::Verifier;
use lauf::crypto::KeyRing;
use lauf::test_support::signing::{SigningKey, hs256, jwks, user_claims};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "a-legacy-secret-of-at-least-32-characters";

#[actix_web::main]
async fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let es = SigningKey::es256("es");
    let rs = SigningKey::rs256("rs", 2048);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[&es, &rs])))
        .mount(&server)
        .await;
    let issuer = "https://bench.supabase.co/auth/v1";
    let verifier = Verifier::new(
        issuer,
        "authenticated",
        &format!("{}/jwks.json", server.uri()),
        Some(SECRET),
        false,
    );
    let now = Utc::now();
    let claims = user_claims(
        issuer,
        "6c3e2c6a-2d1f-4d0e-9a57-3f1f0b6f9a10",
        "ana@example.com",
        "2b9d3c1e-0000-4000-8000-000000000001",
        now,
        3600,
    );
    let ring = KeyRing::generate("k1");
    let aad = "lauf/v1|sessions|sb_access|bench";
    println!("{iterations} verifications each (decrypt from the session row + verify):");
    for (name, token) in [
        ("ES256", es.sign(&claims)),
        ("RS256", rs.sign(&claims)),
        ("HS256", hs256(SECRET.as_bytes(), None, &claims)),
    ] {
        let envelope = ring.encrypt(&token, aad).unwrap();
        // Warm the key cache (the one JWKS fetch) outside the timing.
        verifier.verify(&token, now).await.unwrap();
        let started = Instant::now();
        for _ in 0..iterations {
            let plain = ring.decrypt(&envelope, aad).unwrap();
            std::hint::black_box(verifier.verify(&plain, now).await.unwrap());
        }
        let per = started.elapsed() / iterations;
        let decrypt_started = Instant::now();
        for _ in 0..iterations {
            std::hint::black_box(ring.decrypt(&envelope, aad).unwrap());
        }
        let decrypt = decrypt_started.elapsed() / iterations;
        println!(
            "  {name}: {:>7.1} µs per request ({:.1} µs of it decrypting), {:>6.0} per second per core",
            per.as_secs_f64() * 1e6,
            decrypt.as_secs_f64() * 1e6,
            1.0 / per.as_secs_f64()
        );
    }
}
