//! The primitives secrets are made and checked with: random keys and tokens, constant-time
//! comparison, and password hashing (argon2id). A foundation: it knows nothing of apps or users.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::Rng;
use rand::distr::Alphanumeric;

/// A random alphanumeric string from the operating system's generator (about 5.95 bits a
/// character: 40 characters carry 238 bits).
pub fn random_key(len: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// Constant-time comparison, so that timing does not reveal how much of a key matched.
pub fn eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Password hashing, shared by app users and Hearth's admins: argon2id with the crate's defaults
/// (19 MiB, 2 passes, 1 lane, OWASP's minimum). The parameters are recorded in each hash, so they
/// can be raised later without invalidating stored hashes. Hashing runs on the blocking pool.
pub mod password {
    use super::*;

    /// A hash of a random password, verified against when the account is unknown, so that an
    /// unknown name costs as much time as a wrong password.
    pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0ZLTeyoHCA0tPZOI4rXmnqnXF9BVHrpOpmrAzzgT/6A";

    pub async fn hash(password: String) -> String {
        tokio::task::spawn_blocking(move || Argon2::default().hash_password(password.as_bytes()).expect("hashing cannot fail").to_string())
            .await
            .expect("hashing does not panic")
    }

    pub async fn verify(password: String, hash: String) -> bool {
        tokio::task::spawn_blocking(move || {
            <Argon2 as PasswordVerifier<str>>::verify_password(&Argon2::default(), password.as_bytes(), &hash).is_ok()
        })
        .await
        .unwrap_or(false)
    }
}

pub mod secrets;
