//! Signed admin tokens (JWT, HS256). The same token works as a bearer token and as the
//! dashboard's HttpOnly cookie.
//!
//! The signing secret comes from the configuration or is generated once and kept in the
//! database, so that every instance accepts every other instance's tokens. A token carries the
//! admin's token version; bumping it revokes every token issued before.

use std::time::Duration;

use deadpool_postgres::Pool;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Admin;
use crate::config::Secret;
use crate::error::DbError;

const ISSUER: &str = "hearth";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The admin id.
    pub sub: String,
    /// The admin's token version when issued.
    pub ver: i32,
    pub iat: u64,
    pub exp: u64,
    pub iss: String,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl TokenKeys {
    /// Uses the configured secret, or the one kept in the database (created on first use).
    /// The kept one is sealed with the instance's keyring, like every secret in the database.
    pub async fn load(
        pool: &Pool,
        keyring: &crate::crypto::secrets::Keyring,
        configured: Option<&Secret>,
        ttl: Duration,
    ) -> Result<TokenKeys, DbError> {
        let secret = match configured {
            Some(secret) => secret.expose().to_string(),
            None => {
                let client = pool.get().await?;
                let place = crate::db::secrets::setting_place("admin_token_secret");
                client
                    .execute(
                        "INSERT INTO hearth_settings (key, value) VALUES ('admin_token_secret', $1) \
                         ON CONFLICT (key) DO NOTHING",
                        &[&keyring.seal(&crate::crypto::random_key(64), &place)],
                    )
                    .await?;
                let stored: String =
                    client.query_one("SELECT value FROM hearth_settings WHERE key = 'admin_token_secret'", &[]).await?.get(0);
                keyring.open(&stored, &place).map_err(crate::db::secrets::damaged)?
            }
        };
        Ok(TokenKeys { encoding: EncodingKey::from_secret(secret.as_bytes()), decoding: DecodingKey::from_secret(secret.as_bytes()), ttl })
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, admin: &Admin) -> String {
        let now = chrono::Utc::now().timestamp() as u64;
        let claims =
            Claims { sub: admin.id.to_string(), ver: admin.token_version, iat: now, exp: now + self.ttl.as_secs(), iss: ISSUER.into() };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).expect("HS256 encoding cannot fail")
    }

    /// The claims of a valid, unexpired token signed by this instance's secret.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok().map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str, ttl: u64) -> TokenKeys {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            ttl: Duration::from_secs(ttl),
        }
    }

    fn admin() -> Admin {
        Admin { id: 7, email: "a@b.c".into(), is_superuser: false, disabled: false, token_version: 3, created_at: chrono::Utc::now() }
    }

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let k = keys("s".repeat(40).as_str(), 60);
        let token = k.issue(&admin());
        let claims = k.verify(&token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.ver), ("7", 3));
        assert!(keys("t".repeat(40).as_str(), 60).verify(&token).is_none(), "another secret");
        let mut tampered = token.clone();
        tampered.pop();
        assert!(k.verify(&tampered).is_none());
        assert!(k.verify("not a token").is_none());
    }

    #[test]
    fn expired_tokens_are_rejected() {
        let k = keys("s".repeat(40).as_str(), 0);
        let token = k.issue(&admin());
        // A token whose lifetime is zero expires the second it is issued; verification has no leeway.
        let claims = jsonwebtoken::decode::<Claims>(&token, &k.decoding, &{
            let mut v = Validation::new(Algorithm::HS256);
            v.validate_exp = false;
            v
        })
        .unwrap()
        .claims;
        assert_eq!(claims.exp, claims.iat);
        let past = Claims { exp: claims.iat - 10, ..claims };
        let old = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &past, &k.encoding).unwrap();
        assert!(k.verify(&old).is_none());
    }
}
