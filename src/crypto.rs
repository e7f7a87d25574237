//! Encryption at rest for secrets in rows (client credentials): XChaCha20-Poly1305
//! with a random 192-bit nonce per value, a key id in every envelope so keys can
//! rotate, and associated data that binds a ciphertext to its row and owner — a
//! value copied into another row or account does not decrypt.
//!
//! Envelope (base64url, no padding): `0x01 | kid_len | kid | nonce (24) | ciphertext+tag`.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("the stored secret is not a valid envelope")]
    Malformed,
    #[error("the stored secret was encrypted with key {0:?}, which is not configured")]
    UnknownKey(String),
    #[error("the stored secret does not decrypt: wrong key, altered, or moved from another record")]
    Undecryptable,
    #[error("key configuration: {0}")]
    Config(String),
}

/// The configured keys and the one new values are encrypted with. Keys are never
/// printed: `Debug` shows only their ids.
#[derive(Clone)]
pub struct KeyRing {
    active: String,
    keys: HashMap<String, Key>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("KeyRing")
            .field("active", &self.active)
            .field("key_ids", &ids)
            .finish()
    }
}

fn valid_kid(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= 16
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl KeyRing {
    /// `kid:base64(32 bytes),kid2:…` and the active id.
    pub fn parse(list: &str, active: &str) -> Result<Self, CryptoError> {
        let mut keys = HashMap::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (kid, encoded) = entry
                .split_once(':')
                .ok_or_else(|| CryptoError::Config(format!("{entry:?} is not kid:base64key")))?;
            if !valid_kid(kid) {
                return Err(CryptoError::Config(format!(
                    "key id {kid:?} must be 1-16 letters, digits, - or _"
                )));
            }
            let bytes = STANDARD
                .decode(encoded.trim())
                .or_else(|_| URL_SAFE_NO_PAD.decode(encoded.trim()))
                .map_err(|_| CryptoError::Config(format!("key {kid:?} is not base64")))?;
            if bytes.len() != 32 {
                return Err(CryptoError::Config(format!(
                    "key {kid:?} must be 32 bytes, got {}",
                    bytes.len()
                )));
            }
            keys.insert(kid.to_string(), *Key::from_slice(&bytes));
        }
        if !keys.contains_key(active) {
            return Err(CryptoError::Config(format!(
                "the active key {active:?} is not among the configured keys"
            )));
        }
        Ok(KeyRing {
            active: active.to_string(),
            keys,
        })
    }

    /// A ring with one fresh random key.
    pub fn generate(kid: &str) -> Self {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        KeyRing {
            active: kid.to_string(),
            keys: HashMap::from([(kid.to_string(), key)]),
        }
    }

    pub fn active_kid(&self) -> &str {
        &self.active
    }

    /// `kid:base64,…` for the key file and `LAUF_DATA_KEYS`.
    pub fn to_list(&self) -> String {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        ids.iter()
            .map(|kid| format!("{kid}:{}", STANDARD.encode(self.keys[*kid])))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Adds a new random key and makes it active (rotation with the key file).
    pub fn add_active(&mut self) -> String {
        let mut n = self.keys.len() + 1;
        while self.keys.contains_key(&format!("k{n}")) {
            n += 1;
        }
        let kid = format!("k{n}");
        self.keys
            .insert(kid.clone(), XChaCha20Poly1305::generate_key(&mut OsRng));
        self.active = kid.clone();
        kid
    }

    pub fn encrypt(&self, plaintext: &str, aad: &str) -> Result<String, CryptoError> {
        let key = self
            .keys
            .get(&self.active)
            .ok_or_else(|| CryptoError::UnknownKey(self.active.clone()))?;
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = XChaCha20Poly1305::new(key)
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Undecryptable)?;
        let mut envelope = Vec::with_capacity(2 + self.active.len() + NONCE_LEN + sealed.len());
        envelope.push(VERSION);
        envelope.push(self.active.len() as u8);
        envelope.extend_from_slice(self.active.as_bytes());
        envelope.extend_from_slice(&nonce);
        envelope.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(envelope))
    }

    /// The key id an envelope was sealed with.
    pub fn kid_of(envelope: &str) -> Result<String, CryptoError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(envelope)
            .map_err(|_| CryptoError::Malformed)?;
        split(&bytes).map(|(kid, _, _)| kid.to_string())
    }

    pub fn decrypt(&self, envelope: &str, aad: &str) -> Result<String, CryptoError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(envelope)
            .map_err(|_| CryptoError::Malformed)?;
        let (kid, nonce, sealed) = split(&bytes)?;
        let key = self
            .keys
            .get(kid)
            .ok_or_else(|| CryptoError::UnknownKey(kid.to_string()))?;
        let plain = XChaCha20Poly1305::new(key)
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Undecryptable)
    }

    /// The embedded default: keys from `keys` in the data dir, created (mode 0600)
    /// on first start. They protect exports and backups of the database, not a
    /// stolen disk: deployments should set `LAUF_DATA_KEYS` instead.
    pub fn load_or_create_file(path: &Path) -> Result<Self, CryptoError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let mut lines = text.lines();
                let active = lines.next().unwrap_or_default().trim().to_string();
                let list = lines.next().unwrap_or_default();
                Self::parse(list, &active)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let ring = Self::generate("k1");
                ring.save(path)?;
                Ok(ring)
            }
            Err(e) => Err(CryptoError::Config(format!(
                "reading {}: {e}",
                path.display()
            ))),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), CryptoError> {
        let fail =
            |e: std::io::Error| CryptoError::Config(format!("writing {}: {e}", path.display()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let tmp = path.with_extension("tmp");
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp).map_err(fail)?;
            writeln!(file, "{}\n{}", self.active, self.to_list()).map_err(fail)?;
            file.sync_all().map_err(fail)?;
        }
        std::fs::rename(&tmp, path).map_err(fail)
    }
}

fn split(bytes: &[u8]) -> Result<(&str, &[u8], &[u8]), CryptoError> {
    let [version, kid_len, rest @ ..] = bytes else {
        return Err(CryptoError::Malformed);
    };
    let kid_len = *kid_len as usize;
    if *version != VERSION || rest.len() < kid_len + NONCE_LEN + 16 {
        return Err(CryptoError::Malformed);
    }
    let kid = std::str::from_utf8(&rest[..kid_len]).map_err(|_| CryptoError::Malformed)?;
    let nonce = &rest[kid_len..kid_len + NONCE_LEN];
    Ok((kid, nonce, &rest[kid_len + NONCE_LEN..]))
}

/// The associated data of a client's credentials: the row and its owner.
pub fn client_credentials_aad(client_id: &str, user_id: &str) -> String {
    format!("lauf/v1|clients|credentials|{client_id}|{user_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_round_trips_and_the_envelope_holds_no_plaintext() {
        let ring = KeyRing::generate("k1");
        let sealed = ring.encrypt("ftp: admin / hunter2", "row-1").unwrap();
        assert!(!sealed.contains("hunter2"));
        assert_eq!(KeyRing::kid_of(&sealed).unwrap(), "k1");
        assert_eq!(
            ring.decrypt(&sealed, "row-1").unwrap(),
            "ftp: admin / hunter2"
        );
        assert_ne!(
            ring.encrypt("same", "row-1").unwrap(),
            ring.encrypt("same", "row-1").unwrap(),
            "a fresh nonce each time"
        );
    }

    #[test]
    fn another_row_a_wrong_key_or_a_flipped_byte_does_not_decrypt() {
        let ring = KeyRing::generate("k1");
        let sealed = ring.encrypt("secret", "row-1").unwrap();
        assert_eq!(
            ring.decrypt(&sealed, "row-2"),
            Err(CryptoError::Undecryptable),
            "moved to another row"
        );
        let other = KeyRing::generate("k1");
        assert_eq!(
            other.decrypt(&sealed, "row-1"),
            Err(CryptoError::Undecryptable),
            "wrong key"
        );
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            ring.decrypt(&URL_SAFE_NO_PAD.encode(&bytes), "row-1"),
            Err(CryptoError::Undecryptable),
            "tampered"
        );
        assert_eq!(
            ring.decrypt("not base64 !", "row-1"),
            Err(CryptoError::Malformed)
        );
        let unknown = KeyRing::generate("k9").encrypt("x", "row-1").unwrap();
        assert_eq!(
            ring.decrypt(&unknown, "row-1"),
            Err(CryptoError::UnknownKey("k9".into()))
        );
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let mut ring = KeyRing::generate("k1");
        let old = ring.encrypt("old secret", "r").unwrap();
        assert_eq!(ring.add_active(), "k2");
        let new = ring.encrypt("new secret", "r").unwrap();
        assert_eq!(KeyRing::kid_of(&new).unwrap(), "k2");
        assert_eq!(ring.decrypt(&old, "r").unwrap(), "old secret");
        let reloaded = KeyRing::parse(&ring.to_list(), "k2").unwrap();
        assert_eq!(reloaded.decrypt(&old, "r").unwrap(), "old secret");
    }

    #[test]
    fn configuration_errors_are_explicit_and_keys_never_print() {
        assert!(KeyRing::parse("k1:abc", "k1").is_err());
        assert!(KeyRing::parse(&KeyRing::generate("k1").to_list(), "k2").is_err());
        assert!(KeyRing::parse("bad id!:AAAA", "bad id!").is_err());
        let ring = KeyRing::generate("k1");
        let printed = format!("{ring:?}");
        assert!(printed.contains("k1") && !printed.contains(&ring.to_list()[3..]));
    }

    #[test]
    fn the_key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        let first = KeyRing::load_or_create_file(&path).unwrap();
        let again = KeyRing::load_or_create_file(&path).unwrap();
        assert_eq!(first.to_list(), again.to_list());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}
