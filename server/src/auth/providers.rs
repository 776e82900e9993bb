//! `authData` providers that sign users in with OpenID Connect ID tokens: Apple, Google, and any
//! provider an app configures (issuer, JWKS URL, client ids). A token is a JWT that must be
//! signed by a key of the provider's JWKS (fetched over HTTPS, cached, fetched again when a
//! token names a key not seen yet, at most once a minute), issued by the provider for one of
//! the app's client ids, unexpired, and about the user the `id` names.
//!
//! An app chooses its providers' JWKS URLs, so their fetches keep to the rule of every request
//! made on an app's behalf (`crate::net`): public addresses only unless the operator allows
//! private networks, no redirects, a deadline.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::apps::settings::users::AuthProvider;
use crate::data::DataError;

/// How long fetched keys are trusted without asking again.
const KEYS_TTL: Duration = Duration::from_secs(3600);
/// The shortest time between two fetches of one JWKS (an unknown key id cannot force more).
const REFETCH_AFTER: Duration = Duration::from_secs(60);
/// The deadline of one JWKS fetch, the whole request.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// A fetched JWKS and when it was fetched.
type Fetched = (Instant, Arc<JwkSet>);

/// JWKS documents by URL, shared by every app of the instance.
#[derive(Clone)]
pub struct JwksCache {
    http: reqwest::Client,
    private_network: bool,
    sets: Arc<Mutex<HashMap<String, Fetched>>>,
}

impl JwksCache {
    /// An empty cache whose fetches may reach private addresses when `private_network` (the
    /// operator's `outbound_private_network`).
    pub fn new(private_network: bool) -> Self {
        let http = crate::net::client(private_network, FETCH_TIMEOUT).expect("the HTTP client builds");
        JwksCache { http, private_network, sets: Arc::default() }
    }
}

#[derive(serde::Deserialize)]
struct Claims {
    sub: String,
}

fn invalid(provider: &str) -> DataError {
    DataError::InvalidAuthData(format!("{provider} auth is invalid for this user."))
}

impl JwksCache {
    async fn fetch(&self, url: &str) -> Result<Arc<JwkSet>, DataError> {
        let unavailable = |e: String| {
            tracing::warn!(url, error = %e, "cannot fetch a JWKS");
            DataError::InvalidAuthData("The sign-in provider's keys cannot be fetched.".into())
        };
        let parsed = reqwest::Url::parse(url).map_err(|e| unavailable(e.to_string()))?;
        // An address written in the URL never meets the resolver: checked here.
        crate::net::check_url(&parsed, self.private_network).map_err(unavailable)?;
        let response = self.http.get(parsed).send().await.map_err(|e| unavailable(crate::net::error_text(&e)))?;
        if !response.status().is_success() {
            return Err(unavailable(format!("status {}", response.status())));
        }
        let set: JwkSet = response.json().await.map_err(|e| unavailable(e.to_string()))?;
        let set = Arc::new(set);
        self.sets.lock().expect("not poisoned").insert(url.to_string(), (Instant::now(), set.clone()));
        Ok(set)
    }

    /// The JWKS at `url`, from the cache while fresh; `kid` not in it fetches again (rate-bound).
    async fn keys_with(&self, url: &str, kid: &str) -> Result<Arc<JwkSet>, DataError> {
        let cached = self.sets.lock().expect("not poisoned").get(url).cloned();
        match cached {
            Some((at, set)) if at.elapsed() < KEYS_TTL && (set.find(kid).is_some() || at.elapsed() < REFETCH_AFTER) => Ok(set),
            _ => self.fetch(url).await,
        }
    }

    /// Verifies `authData.<name>` = `{id, id_token}` (or Apple's `{id, token}`).
    pub async fn verify(&self, name: &str, provider: &AuthProvider, data: &Map<String, Value>) -> Result<(), DataError> {
        let id = data.get("id").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or_else(|| invalid(name))?;
        let token = data
            .get("id_token")
            .or_else(|| data.get("token"))
            .and_then(Value::as_str)
            .ok_or_else(|| DataError::InvalidAuthData(format!("{name} auth needs an id_token.")))?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid(name))?;
        // Only signatures by public keys: a symmetric algorithm would let the JWKS's public
        // key serve as a shared secret.
        if !matches!(
            header.alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
                | Algorithm::ES256
                | Algorithm::ES384
                | Algorithm::EdDSA
        ) {
            return Err(invalid(name));
        }
        let kid = header.kid.as_deref().unwrap_or("");
        let url = provider.jwks(name).ok_or_else(|| invalid(name))?;
        let set = self.keys_with(&url, kid).await?;
        let jwk = if kid.is_empty() && set.keys.len() == 1 { set.keys.first() } else { set.find(kid) }.ok_or_else(|| invalid(name))?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| invalid(name))?;
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&provider.client_ids);
        validation.set_issuer(&provider.issuers(name));
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            tracing::debug!(provider = name, error = %e, "ID token refused");
            invalid(name)
        })?;
        if claims.claims.sub != id {
            return Err(invalid(name));
        }
        Ok(())
    }
}
