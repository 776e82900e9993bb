//! Secrets at rest: the values Hearth keeps in the database for apps and for itself (app keys,
//! SMTP passwords, function secrets, S3 secrets, push credentials, the admin token secret) are
//! stored sealed with the instance's secret key, so that a dump or a backup of the database alone
//! reveals none of them.
//!
//! A sealed value is text, `hs1:<key id>:<base64url of nonce || ciphertext>`: XChaCha20-Poly1305
//! with a random 24-byte nonce (safe to draw at random for any number of values). The associated
//! data is the version, the key id and the value's *place* (table, column, row and field), so a
//! sealed value copied to another row, column or app does not open, and a changed byte anywhere
//! fails to open rather than giving garbage. The prefix tells sealed values from plain ones (the
//! step that seals rows written by earlier versions skips sealed ones); the key id tells which key
//! sealed a value, so that rotation and a wrong key are named.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// What every sealed value starts with (the format's version).
pub const PREFIX: &str = "hs1:";
const NONCE_LEN: usize = 24;

/// One 32-byte key and its id (the first 8 hex digits of a hash of it, safe to show).
#[derive(Clone)]
pub struct SecretKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.id)
    }
}

impl SecretKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> SecretKey {
        let digest = Sha256::new().chain_update(b"hearth secret key id\0").chain_update(bytes).finalize();
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        SecretKey { id, cipher: XChaCha20Poly1305::new(bytes.into()) }
    }

    /// A key as configured: 32 bytes in base64 (standard or URL-safe, padded or not) or in hex.
    pub fn parse(text: &str) -> Result<SecretKey, String> {
        crate::config::decode_secret_key(text).map(|bytes| SecretKey::from_bytes(&bytes))
    }

    /// A new random key, as base64 text (what `hearth secrets generate-key` prints).
    pub fn generate() -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        STANDARD.encode(bytes)
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Why a stored value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("a sealed value at {place} is damaged (not hs1:<key id>:<base64>)")]
    Malformed { place: String },
    #[error("a value at {place} is sealed with secret key {key_id}, which is not among the configured keys")]
    UnknownKey { key_id: String, place: String },
    #[error("a value at {place} sealed with secret key {key_id} does not open: it was changed, or moved from another place")]
    Failed { key_id: String, place: String },
}

impl OpenError {
    /// The id of the key the value names, when it names one.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            OpenError::Malformed { .. } => None,
            OpenError::UnknownKey { key_id, .. } | OpenError::Failed { key_id, .. } => Some(key_id),
        }
    }
}

/// The keys of an instance: the current one seals, it and the previous ones (during a rotation)
/// open.
#[derive(Debug, Clone)]
pub struct Keyring {
    current: SecretKey,
    previous: Vec<SecretKey>,
}

impl Keyring {
    pub fn new(current: SecretKey, previous: Vec<SecretKey>) -> Keyring {
        let previous = previous.into_iter().filter(|k| k.id != current.id).collect();
        Keyring { current, previous }
    }

    pub fn current(&self) -> &SecretKey {
        &self.current
    }

    /// Every key's id, the current one first.
    pub fn ids(&self) -> Vec<&str> {
        std::iter::once(&self.current).chain(&self.previous).map(|k| k.id.as_str()).collect()
    }

    pub fn knows(&self, key_id: &str) -> bool {
        self.key(key_id).is_some()
    }

    fn key(&self, key_id: &str) -> Option<&SecretKey> {
        std::iter::once(&self.current).chain(&self.previous).find(|k| k.id == key_id)
    }

    /// Seals `plain` for `place` with the current key.
    pub fn seal(&self, plain: &str, place: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = associated_data(&self.current.id, place);
        let sealed = self
            .current
            .cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plain.as_bytes(), aad: aad.as_bytes() })
            .expect("XChaCha20-Poly1305 seals any length Hearth stores");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}:{}", self.current.id, URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Opens a value stored at `place`. A plain value (one that is not `hs1:<key id>:<base64>`
    /// in full: a row written by an earlier version, whatever it starts with) is answered as it
    /// is; it is sealed at the next start or rotation.
    pub fn open(&self, stored: &str, place: &str) -> Result<String, OpenError> {
        let Some((key_id, body)) = split(stored) else {
            return Ok(stored.to_string());
        };
        let key = self.key(key_id).ok_or_else(|| OpenError::UnknownKey { key_id: key_id.into(), place: place.into() })?;
        let failed = || OpenError::Failed { key_id: key_id.into(), place: place.into() };
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| OpenError::Malformed { place: place.into() })?;
        if bytes.len() < NONCE_LEN {
            return Err(OpenError::Malformed { place: place.into() });
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| OpenError::Malformed { place: place.into() })?;
        let aad = associated_data(key_id, place);
        let plain = key.cipher.decrypt(&nonce, Payload { msg: sealed, aad: aad.as_bytes() }).map_err(|_| failed())?;
        String::from_utf8(plain).map_err(|_| failed())
    }
}

/// Whether a stored value is sealed (whatever the key): `hs1:<8 lowercase hex>:<base64url>` in
/// full. A plain value that merely starts with `hs1:` is not.
pub fn is_sealed(stored: &str) -> bool {
    split(stored).is_some()
}

/// The PostgreSQL regular expression matching the values [`is_sealed`] accepts, sealed with the
/// key `key_id` (any key when none).
pub fn sealed_regex(key_id: Option<&str>) -> String {
    format!("^{PREFIX}{}:[A-Za-z0-9_-]+$", key_id.unwrap_or("[0-9a-f]{8}"))
}

/// The id of the key that sealed a stored value; none for a plain or damaged one.
pub fn key_id(stored: &str) -> Option<&str> {
    split(stored).map(|(id, _)| id)
}

fn split(stored: &str) -> Option<(&str, &str)> {
    let rest = stored.strip_prefix(PREFIX)?;
    let (id, body) = rest.split_once(':')?;
    let id_ok = id.len() == 8 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let body_ok = !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (id_ok && body_ok).then_some((id, body))
}

fn associated_data(key_id: &str, place: &str) -> String {
    format!("{PREFIX}{key_id}:{place}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::decode_secret_key as decode_key;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE};

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_bytes(&[byte; 32])
    }

    #[test]
    fn sealed_values_open_at_their_place_only() {
        let ring = Keyring::new(key(1), vec![]);
        let sealed = ring.seal("s3cr3t", "apps.master_key:1");
        assert!(sealed.starts_with(&format!("hs1:{}:", ring.current().id())), "{sealed}");
        assert!(!sealed.contains("s3cr3t"));
        assert_ne!(sealed, ring.seal("s3cr3t", "apps.master_key:1"), "a random nonce per value");
        assert_eq!(ring.open(&sealed, "apps.master_key:1").unwrap(), "s3cr3t");
        // Moved to another app or column: does not open.
        assert!(matches!(ring.open(&sealed, "apps.master_key:2"), Err(OpenError::Failed { .. })));
        assert!(matches!(ring.open(&sealed, "apps.client_key:1"), Err(OpenError::Failed { .. })));
        // A changed byte: an error, never garbage.
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(matches!(ring.open(&tampered, "apps.master_key:1"), Err(OpenError::Failed { .. })));
        assert!(matches!(ring.open(&format!("hs1:{}:abc", ring.current().id()), "p"), Err(OpenError::Malformed { .. })));
        // A value is sealed only when it parses in full: anything else is a plain value.
        for plain in
            ["hs1:zz:abc", "hs1:", "hs1:0123ABCD:abc", &format!("hs1:{}:!!", ring.current().id()), &format!("hs1:{}:", ring.current().id())]
        {
            assert!(!is_sealed(plain), "{plain}");
            assert_eq!(ring.open(plain, "p").unwrap(), plain);
        }
        // Plain values (written by an earlier version) read as they are.
        assert_eq!(ring.open("plain", "p").unwrap(), "plain");
        assert!(!is_sealed("plain") && is_sealed(&sealed));
    }

    #[test]
    fn previous_keys_open_and_the_current_one_seals() {
        let old = Keyring::new(key(1), vec![]);
        let sealed = old.seal("v", "p");
        let rotating = Keyring::new(key(2), vec![key(1)]);
        assert_eq!(rotating.open(&sealed, "p").unwrap(), "v");
        assert_eq!(key_id(&rotating.seal("v", "p")), Some(key(2).id()));
        let new_only = Keyring::new(key(2), vec![]);
        let err = new_only.open(&sealed, "p").unwrap_err();
        assert_eq!(err.key_id(), Some(key(1).id()));
        assert!(err.to_string().contains(key(1).id()), "{err}");
    }

    #[test]
    fn keys_are_32_bytes_in_base64_or_hex() {
        let generated = SecretKey::generate();
        assert_eq!(decode_key(&generated).unwrap().len(), 32);
        assert_eq!(decode_key(&"ab".repeat(32)).unwrap(), [0xab; 32]);
        assert_eq!(decode_key(&format!(" {}\n", STANDARD_NO_PAD.encode([7u8; 32]))).unwrap(), [7; 32]);
        assert_eq!(decode_key(&URL_SAFE.encode([0xfbu8; 32])).unwrap(), [0xfb; 32]);
        assert!(decode_key(&STANDARD.encode([1u8; 16])).unwrap_err().contains("16 bytes"));
        assert!(decode_key("not a key!").is_err());
        assert!(decode_key("").is_err());
        assert_eq!(SecretKey::parse(&"00".repeat(32)).unwrap().id(), key(0).id());
        assert_eq!(key(0).id().len(), 8);
        assert_ne!(key(0).id(), key(1).id());
        assert!(!format!("{:?}", key(3)).contains("0303"));
    }
}
