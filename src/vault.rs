//! Key rotation for secrets at rest: re-encrypt every stored client credential
//! under the active key, in batches, each row only if it still holds what was read.

use diesel::Connection;
use indicatif::ProgressBar;

use crate::crypto::{KeyRing, client_credentials_aad};
use crate::db::AnyConnection;
use crate::db::models::clients;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    pub reencrypted: usize,
    pub already_current: usize,
}

/// Re-encrypts every credentials envelope not sealed with the active key. Fails
/// (and changes nothing in the failing batch) if any secret cannot be decrypted.
pub fn rotate_credentials(
    conn: &mut AnyConnection,
    ring: &KeyRing,
    progress: &ProgressBar,
) -> anyhow::Result<Rotation> {
    let mut outcome = Rotation::default();
    let rows = clients::all_credentials(conn)?;
    progress.set_length(rows.len() as u64);
    for batch in rows.chunks(500) {
        conn.transaction::<_, anyhow::Error, _>(|conn| {
            for (client, owner, envelope) in batch {
                if KeyRing::kid_of(envelope)? == ring.active_kid() {
                    outcome.already_current += 1;
                    continue;
                }
                let aad = client_credentials_aad(client.as_str(), owner.as_str());
                let secret = ring
                    .decrypt(envelope, &aad)
                    .map_err(|e| anyhow::anyhow!("client {client}: {e}"))?;
                let sealed = ring.encrypt(&secret, &aad)?;
                clients::replace_credentials(conn, client, envelope, &sealed)?;
                outcome.reencrypted += 1;
            }
            Ok(())
        })?;
        progress.inc(batch.len() as u64);
    }
    Ok(outcome)
}
