//! Signing keys made at run time, shaped like a Supabase project's: the stand-in
//! issuer for the tests' fake Supabase Auth and the verification benchmark. The
//! app itself never signs tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use serde_json::{Value, json};

pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    /// The public half as a JWKS entry.
    pub jwk: Value,
    /// The public key's raw bytes (EC point or RSA modulus), for confusion tests.
    pub public_bytes: Vec<u8>,
}

impl SigningKey {
    /// A P-256 key, as Supabase recommends.
    pub fn es256(kid: &str) -> Self {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("P-256");
        let ec = EcKey::generate(&group).expect("EC key");
        let mut ctx = BigNumContext::new().expect("bn ctx");
        let mut x = openssl::bn::BigNum::new().expect("bn");
        let mut y = openssl::bn::BigNum::new().expect("bn");
        ec.public_key()
            .affine_coordinates(&group, &mut x, &mut y, &mut ctx)
            .expect("coordinates");
        let public_bytes = ec
            .public_key()
            .to_bytes(
                &group,
                openssl::ec::PointConversionForm::UNCOMPRESSED,
                &mut ctx,
            )
            .expect("point");
        let der = PKey::from_ec_key(ec)
            .and_then(|k| k.private_key_to_pkcs8())
            .expect("pkcs8");
        let b64 =
            |n: &openssl::bn::BigNum| URL_SAFE_NO_PAD.encode(n.to_vec_padded(32).expect("pad"));
        SigningKey {
            kid: kid.to_string(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(&der),
            jwk: json!({
                "alg": "ES256", "crv": "P-256", "ext": true, "key_ops": ["verify"],
                "kid": kid, "kty": "EC", "use": "sig", "x": b64(&x), "y": b64(&y),
            }),
            public_bytes,
        }
    }

    /// An RSA key of `bits` (2048 for a real one).
    pub fn rs256(kid: &str, bits: u32) -> Self {
        let rsa = Rsa::generate(bits).expect("RSA key");
        let n = rsa.n().to_vec();
        let e = rsa.e().to_vec();
        let der = rsa.private_key_to_der().expect("pkcs1");
        SigningKey {
            kid: kid.to_string(),
            alg: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_der(&der),
            jwk: json!({
                "alg": "RS256", "kty": "RSA", "use": "sig", "key_ops": ["verify"],
                "kid": kid, "n": URL_SAFE_NO_PAD.encode(&n), "e": URL_SAFE_NO_PAD.encode(&e),
            }),
            public_bytes: n,
        }
    }

    pub fn header(&self) -> Header {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        header
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with(&self.header(), claims)
    }

    pub fn sign_with(&self, header: &Header, claims: &Value) -> String {
        jsonwebtoken::encode(header, claims, &self.encoding).expect("signing")
    }
}

/// A JWKS document holding `keys`.
pub fn jwks(keys: &[&SigningKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
}

/// An HS256 token signed with `secret`, with `kid` in its header when given.
pub fn hs256(secret: &[u8], kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).expect("signing")
}

/// The claims of a Supabase user access token for `sub`, valid `ttl_secs` from `now`.
pub fn user_claims(
    issuer: &str,
    sub: &str,
    email: &str,
    session_id: &str,
    now: DateTime<Utc>,
    ttl_secs: i64,
) -> Value {
    json!({
        "iss": issuer,
        "sub": sub,
        "aud": "authenticated",
        "exp": now.timestamp() + ttl_secs,
        "iat": now.timestamp(),
        "email": email,
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {"full_name": "Ana Example"},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now.timestamp()}],
        "session_id": session_id,
        "is_anonymous": false,
    })
}

/// A token assembled by hand, signature and all, for shapes no library will sign
/// (`alg: none`, a payload swapped under an old signature).
pub fn assemble(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}
