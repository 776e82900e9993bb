//! Extractors: the JSON body (any content type, size-limited, errors in Parse form), the Parse
//! caller (application id and keys from headers or the JS SDK's body fields), and the admin
//! session (bearer token or cookie).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::State;
use super::body::{self, Unchecked};
use crate::admins::{self, Admin, audit::Actor};
use crate::apps::keys::{KeyPower, PresentedKeys};
use crate::data::{Caller, DataError, SessionUser};
use crate::error::{ApiError, DbError, ParseCode};

/// The admin session cookie, set at login for the dashboard.
pub const ADMIN_COOKIE: &str = "hearth_admin";

/// The header every call of the dashboard carries. A cross-site form or link cannot set it, and
/// a cross-origin script would need a preflight that `/parse`'s CORS answer does not grant for
/// it: with the SameSite=Strict cookie and the `Origin` check, the dashboard's CSRF defence.
pub const DASHBOARD_HEADER: &str = "x-hearth-dashboard";

/// Set on a Parse API request whose rights come from the dashboard's admin cookie: who acts
/// (for the audit log) and the role that gave the rights.
#[derive(Debug, Clone)]
pub struct DashboardRights {
    pub actor: Actor,
    pub role: admins::members::Role,
    pub power: KeyPower,
}

/// The request id given to every request, also returned as `X-Request-Id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Set on a request once it addressed a known app: the metrics label (application id) and the
/// app's internal id, which its usage counts are kept under.
#[derive(Debug, Clone)]
pub struct ResolvedApp(pub String, pub i64);

/// The body as JSON of type `T` (`None` when empty), read against the body deadline up to
/// `max_body_size`; `preauth`: read before anything admits the request, up to
/// `preauth_body_size` and within `preauth_body_timeout`.
fn json_body<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    preauth: bool,
) -> Pin<Box<dyn Future<Output = Result<Option<T>, ApiError>>>> {
    let req = req.clone();
    let payload = payload.take();
    Box::pin(async move {
        let config = &req.app_data::<web::Data<State>>().expect("state is registered").config;
        let body = if preauth {
            body::read_timed(&req, body::Timed::before_keys(config, payload), config.preauth_body_size.min(config.max_body_size)).await?
        } else {
            body::read(&req, config, payload, config.max_body_size).await?
        };
        parse_json(&body)
    })
}

/// Parses a body as JSON of type `T`; `None` when the body is empty or only white space.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body).map(Some).map_err(|e| ApiError::new(ParseCode::INVALID_JSON, format!("invalid JSON: {e}")))
}

/// A JSON body of type `T`, whatever the content type (the Parse JS SDK sends `text/plain`).
pub struct Json<T>(pub T);

/// A JSON body of a request that nothing admits before it is read (the admin login): at most
/// `preauth_body_size` (or `max_body_size` if smaller; a larger declared length is refused
/// before any of it is read), within `preauth_body_timeout`.
pub struct PreauthJson<T>(pub T);

/// A JSON body of type `T`, or `None` when the request has no body.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload, false);
        Box::pin(async move { body.await.map(OptionalJson) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload, false);
        Box::pin(async move { body.await?.map(Json).ok_or_else(empty_body) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for PreauthJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body(req, payload, true);
        Box::pin(async move { body.await?.map(PreauthJson).ok_or_else(empty_body) })
    }
}

fn empty_body() -> ApiError {
    ApiError::new(ParseCode::INVALID_JSON, "request body is empty; expected JSON")
}

/// A Parse API request: the caller and the JSON body, if any.
///
/// The app and keys come from the `X-Parse-*` headers or, as the JS SDK sends them, from the
/// body fields `_ApplicationId`, `_JavaScriptKey`, `_ClientKey`, `_RestAPIKey`, `_MasterKey`,
/// `_SessionToken`, `_InstallationId` (removed from the body before handlers see it).
pub struct ParseRequest {
    /// The method to act on: `_method` from the body of a POST, or the request's own.
    pub method: String,
    pub caller: Caller,
    /// The body as a JSON object; `None` when the request had no body.
    pub body: Option<serde_json::Map<String, serde_json::Value>>,
    /// `_method` from the body: the JS SDK sends GET, PUT and DELETE as POST.
    pub method_override: Option<String>,
    /// `X-Parse-Request-Id` (or `_RequestId`): retries of a write with the same id are answered once.
    pub request_id: Option<String>,
}

impl FromRequest for ParseRequest {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let state = req.app_data::<web::Data<State>>().expect("state is registered").clone();
            let config = &state.config;
            // Keys in the headers (every SDK but the JS SDK's JSON form) admit the body before
            // it is read; otherwise it is read under the pre-authentication limits.
            let bytes = if admits(&req, &state, &BodyKeys::default()).await? {
                body::read(&req, config, payload, config.max_body_size).await?
            } else {
                match body::read_unchecked(&req, config, &state.spools, payload, config.max_body_size).await? {
                    Unchecked::Memory(bytes) => bytes,
                    spooled => {
                        // A large body: its keys are read from the file first, the rest only
                        // once they admit it.
                        let keys = body_keys(&spooled).await?;
                        if !admits(&req, &state, &keys).await? {
                            return Err(unauthorized());
                        }
                        read_all(spooled).await?
                    }
                }
            };
            let body = match parse_json::<serde_json::Value>(&bytes)? {
                None => None,
                Some(serde_json::Value::Object(map)) => Some(map),
                Some(_) => return Err(ApiError::new(ParseCode::INVALID_JSON, "request body must be a JSON object")),
            };
            ParseRequest::resolve(&req, body).await
        })
    }
}

impl ParseRequest {
    /// The caller of a request whose body (if it has a JSON one) was read already: keys from
    /// the headers, or from the body's `_ApplicationId`... fields, which are taken out of it.
    pub async fn resolve(
        req: &HttpRequest,
        mut body: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<ParseRequest, ApiError> {
        let state = req.app_data::<web::Data<State>>().expect("state is registered").clone();
        let headers = req.headers();
        let mut take = |field: &str| -> Option<String> {
            match body.as_mut()?.remove(field)? {
                serde_json::Value::String(s) => Some(s),
                _ => None,
            }
        };
        let from_body = BodyFields {
            application_id: take("_ApplicationId"),
            javascript_key: take("_JavaScriptKey"),
            client_key: take("_ClientKey"),
            rest_api_key: take("_RestAPIKey"),
            master_key: take("_MasterKey"),
            session_token: take("_SessionToken"),
            installation_id: take("_InstallationId"),
            method: take("_method"),
            request_id: take("_RequestId"),
        };
        // The JS SDK also sends these; they carry nothing the server needs here.
        for field in ["_ClientVersion", "_ContentType", "_RevocableSession", "_context"] {
            if let Some(map) = body.as_mut() {
                map.remove(field);
            }
        }
        let application_id = header(headers, "x-parse-application-id").or(from_body.application_id).ok_or_else(unauthorized)?;
        let presented = PresentedKeys {
            master_key: header(headers, "x-parse-master-key").or(from_body.master_key),
            rest_api_key: header(headers, "x-parse-rest-api-key").or(from_body.rest_api_key),
            javascript_key: header(headers, "x-parse-javascript-key").or(from_body.javascript_key),
            client_key: header(headers, "x-parse-client-key").or(from_body.client_key),
        };
        let app = state.registry.get(&application_id).await?.ok_or_else(unauthorized)?;
        let power = if presented.is_empty() && from_dashboard(req) {
            dashboard_rights(req, &state, &app).await?.power
        } else {
            app.keys.classify(&presented).ok_or_else(unauthorized)?
        };
        req.extensions_mut().insert(ResolvedApp(app.application_id.clone(), app.id));
        let method = match (&from_body.method, req.method().as_str()) {
            (Some(m), "POST") => m.to_ascii_uppercase(),
            (_, m) => m.to_string(),
        };
        let session_token = header(headers, "x-parse-session-token").or(from_body.session_token).filter(|t| !t.is_empty());
        // A session token must be valid (error 209 otherwise), whatever the route, but for
        // a login: the SDKs send the current user's token with every request, and a token
        // revoked elsewhere must not stop the user from logging in again.
        let logging_in = req.path() == "/parse/login";
        let session = match &session_token {
            None => None,
            Some(token) => match state.auth.sessions.resolve(&state.pool, &app, token).await {
                Err(DataError::InvalidSession(_)) if logging_in => None,
                other => Some(other?),
            },
        };
        let user = match session {
            None => None,
            Some(session) => {
                let roles = state.auth.roles.of_user(&state.pool, &app, &session.user_id).await?;
                Some(SessionUser { user_id: session.user_id.clone(), session_id: session.session_id.clone(), roles })
            }
        };
        let caller = Caller {
            app,
            power,
            session_token,
            installation_id: header(headers, "x-parse-installation-id").or(from_body.installation_id),
            ip: client_ip(req, state.config.trust_proxy),
            user,
            services: state.services.clone(),
            depth: 0,
        };
        crate::http::parse::note_writer(req, &state, &method, &caller);
        Ok(ParseRequest {
            method,
            caller,
            body,
            method_override: from_body.method,
            request_id: header(headers, "x-parse-request-id").or(from_body.request_id),
        })
    }
}

/// A Parse API request with the master key, which may write (not the read-only one): a client
/// is refused with [`DataError::MasterKeyRequired`], the read-only master key with
/// [`DataError::ReadOnlyMaster`].
pub struct Master(pub ParseRequest);

/// A Parse API request with the master key or the read-only master key; a client is refused
/// with [`DataError::MasterKeyRequired`]. Writes on such routes check the read-only key where
/// they are made (`Caller::require_writing_master`).
pub struct MasterOrReadOnly(pub ParseRequest);

/// A Parse API request with a valid session: its token and user. Without one, refused with
/// [`DataError::SessionRequired`].
pub struct LoggedIn {
    pub req: ParseRequest,
    pub token: String,
    pub user: SessionUser,
}

/// A [`ParseRequest`], then `check` on it: what the rights extractors share.
fn checked<T: 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    check: fn(ParseRequest) -> Result<T, ApiError>,
) -> Pin<Box<dyn Future<Output = Result<T, ApiError>>>> {
    let parsed = ParseRequest::from_request(req, payload);
    Box::pin(async move { check(parsed.await?) })
}

impl FromRequest for Master {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        checked(req, payload, |req| {
            // Parse Server's words for each kind of write.
            let action = match req.method.as_str() {
                "DELETE" => "perform the delete operation",
                "PUT" => "perform the update operation",
                _ => "perform the create operation",
            };
            req.caller.require_writing_master(action)?;
            Ok(Master(req))
        })
    }
}

impl FromRequest for MasterOrReadOnly {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        checked(req, payload, |req| {
            req.caller.require_master()?;
            Ok(MasterOrReadOnly(req))
        })
    }
}

impl FromRequest for LoggedIn {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        checked(req, payload, |req| {
            let user = req.caller.require_user()?.clone();
            let token = req.caller.session_token.clone().ok_or(DataError::SessionRequired)?;
            Ok(LoggedIn { req, token, user })
        })
    }
}

/// Whether the application id and keys, from the headers or else from `body`, admit the
/// request. Refused at once (403): an application id in the headers that names no app (it wins
/// over the body's), and keys in the headers that do not admit the request (clients that send
/// keys in headers send them all there). Without keys in the headers, they may still be in the
/// body: `false`.
pub async fn admits(req: &HttpRequest, state: &State, body: &BodyKeys) -> Result<bool, ApiError> {
    let headers = req.headers();
    let Some(application_id) = header(headers, "x-parse-application-id").or_else(|| body.application_id.clone()) else { return Ok(false) };
    let app = state.registry.get(&application_id).await?.ok_or_else(unauthorized)?;
    let in_headers = PresentedKeys {
        master_key: header(headers, "x-parse-master-key"),
        rest_api_key: header(headers, "x-parse-rest-api-key"),
        javascript_key: header(headers, "x-parse-javascript-key"),
        client_key: header(headers, "x-parse-client-key"),
    };
    let any_in_headers = !in_headers.is_empty();
    if !any_in_headers && from_dashboard(req) && header(headers, "x-parse-application-id").is_some() {
        return dashboard_rights(req, state, &app).await.map(|_| true);
    }
    let presented = PresentedKeys {
        master_key: in_headers.master_key.or_else(|| body.master_key.clone()),
        rest_api_key: in_headers.rest_api_key.or_else(|| body.rest_api_key.clone()),
        javascript_key: in_headers.javascript_key.or_else(|| body.javascript_key.clone()),
        client_key: in_headers.client_key.or_else(|| body.client_key.clone()),
    };
    match app.keys.classify(&presented) {
        Some(_) => Ok(true),
        None if any_in_headers => Err(unauthorized()),
        None => Ok(false),
    }
}

/// The keys the JS SDK sends in a JSON body. Other members are skipped as they are read
/// (serde_json ignores them without keeping them), so a large body's keys cost no memory.
#[derive(Default, Deserialize)]
pub struct BodyKeys {
    #[serde(rename = "_ApplicationId", default, deserialize_with = "string_or_nothing")]
    pub application_id: Option<String>,
    #[serde(rename = "_JavaScriptKey", default, deserialize_with = "string_or_nothing")]
    pub javascript_key: Option<String>,
    #[serde(rename = "_ClientKey", default, deserialize_with = "string_or_nothing")]
    pub client_key: Option<String>,
    #[serde(rename = "_RestAPIKey", default, deserialize_with = "string_or_nothing")]
    pub rest_api_key: Option<String>,
    #[serde(rename = "_MasterKey", default, deserialize_with = "string_or_nothing")]
    pub master_key: Option<String>,
}

/// A string, or `None` for any other value (which, as for small bodies, carries no key).
fn string_or_nothing<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(Visit)
}

/// The keys of a spooled JSON body, read from its file on a blocking thread.
pub async fn body_keys(body: &Unchecked) -> Result<BodyKeys, ApiError> {
    let reader = body.reader().map_err(ApiError::internal)?;
    web::block(move || serde_json::from_reader::<_, BodyKeys>(reader))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(ParseCode::INVALID_JSON, format!("invalid JSON: {e}")))
}

/// A spooled body, read back into memory once its keys admitted it.
async fn read_all(body: Unchecked) -> Result<web::Bytes, ApiError> {
    let mut reader = body.reader().map_err(ApiError::internal)?;
    let len = body.len() as usize;
    let bytes = web::block(move || {
        let mut bytes = Vec::with_capacity(len);
        std::io::Read::read_to_end(&mut reader, &mut bytes).map(|_| bytes)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    drop(body);
    Ok(bytes.into())
}

struct BodyFields {
    application_id: Option<String>,
    javascript_key: Option<String>,
    client_key: Option<String>,
    rest_api_key: Option<String>,
    master_key: Option<String>,
    session_token: Option<String>,
    installation_id: Option<String>,
    method: Option<String>,
    request_id: Option<String>,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

pub fn unauthorized() -> ApiError {
    ApiError::new(ParseCode::UNAUTHORIZED, "unauthorized")
}

/// A logged-in admin, from `Authorization: Bearer <token>` or the dashboard cookie.
pub struct AdminSession {
    pub admin: Admin,
    pub actor: Actor,
    /// Signed in by the dashboard's cookie (not a bearer token): answers leave the master key out.
    pub via_cookie: bool,
}

impl FromRequest for AdminSession {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req.app_data::<web::Data<State>>().expect("state is registered").clone();
            let bearer = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer ").map(str::trim).map(str::to_string));
            let via_cookie = bearer.is_none();
            let token = bearer
                .or_else(|| req.cookie(ADMIN_COOKIE).map(|c| c.value().to_string()))
                .ok_or_else(|| ApiError::new(ParseCode::ADMIN_LOGIN_REQUIRED, "admin login required"))?;
            // A cookie comes with every request the browser makes to this origin, whoever
            // asked for it: a change made with it must come from the dashboard itself.
            if via_cookie && !req.method().is_safe() {
                check_dashboard_origin(&req, &state)?;
            }
            let admin = admin_of_token(&state, &token).await?;
            let actor = actor_of(&req, &admin);
            Ok(AdminSession { admin, actor, via_cookie })
        })
    }
}

/// The admin a token belongs to: signed by this instance, unexpired, and issued at the admin's
/// current token version.
async fn admin_of_token(state: &State, token: &str) -> Result<Admin, ApiError> {
    let invalid = || ApiError::new(ParseCode::ADMIN_LOGIN_REQUIRED, "invalid or expired admin token");
    let claims = state.tokens.verify(token).ok_or_else(invalid)?;
    let id: i64 = claims.sub.parse().map_err(|_| invalid())?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    let admin = admins::get(&client, id).await?.ok_or_else(invalid)?;
    if admin.token_version != claims.ver || admin.disabled {
        return Err(invalid());
    }
    Ok(admin)
}

fn actor_of(req: &HttpRequest, admin: &Admin) -> Actor {
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    Actor { admin_id: Some(admin.id), label: admin.email.clone(), request_id }
}

/// Whether the request says it comes from the dashboard (its header, any value).
pub fn from_dashboard(req: &HttpRequest) -> bool {
    req.headers().contains_key(DASHBOARD_HEADER)
}

/// A request made with the admin cookie must carry the dashboard's header and, when the browser
/// says where the page that made it came from (`Origin`, which browsers send with every request
/// that may change something), come from this server's own origin.
pub fn check_dashboard_origin(req: &HttpRequest, state: &State) -> Result<(), ApiError> {
    let refuse = |why: &str| ApiError::new(ParseCode::ADMIN_FORBIDDEN, format!("cross-site request refused: {why}"));
    if !from_dashboard(req) {
        return Err(refuse("a request made with the admin cookie must carry the X-Hearth-Dashboard header"));
    }
    let Some(origin) = req.headers().get(actix_web::http::header::ORIGIN) else { return Ok(()) };
    let origin = origin.to_str().unwrap_or("");
    let own = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let public = state.config.public_url.as_deref().and_then(origin_of);
    if origin.eq_ignore_ascii_case(&own) || public.is_some_and(|p| origin.eq_ignore_ascii_case(p)) {
        Ok(())
    } else {
        Err(refuse(&format!("the page's origin {origin} is not this server's")))
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find('/').map_or(url.len(), |i| url.len() - rest.len() + i);
    Some(&url[..end])
}

/// The rights the dashboard's admin cookie gives on `app`: the admin's role there (instance
/// administrators own every app) as master (owner, developer) or read-only master (viewer).
/// Remembered on the request, which the body check and the caller both ask for.
async fn dashboard_rights(req: &HttpRequest, state: &State, app: &crate::apps::App) -> Result<DashboardRights, ApiError> {
    use admins::members::Role;
    if let Some(rights) = req.extensions().get::<DashboardRights>() {
        return Ok(rights.clone());
    }
    check_dashboard_origin(req, state)?;
    let token = req
        .cookie(ADMIN_COOKIE)
        .map(|c| c.value().to_string())
        .ok_or_else(|| ApiError::new(ParseCode::ADMIN_LOGIN_REQUIRED, "admin login required"))?;
    let admin = admin_of_token(state, &token).await?;
    let role = if admin.is_superuser {
        Role::Owner
    } else {
        let client = state.pool.get().await.map_err(DbError::from)?;
        // Not a member: the same answer as an unknown app, so that ids are not revealed.
        admins::members::role(&client, app.id, admin.id).await?.ok_or_else(unauthorized)?
    };
    let power = if role >= Role::Developer { KeyPower::Master } else { KeyPower::ReadOnlyMaster };
    let rights = DashboardRights { actor: actor_of(req, &admin), role, power };
    req.extensions_mut().insert(rights.clone());
    Ok(rights)
}

/// The app an admin addresses, with the admin's role in it.
pub struct Membership {
    pub app: Arc<crate::apps::App>,
    pub role: admins::members::Role,
}

/// The client's address: the peer's, or behind a trusted proxy the one it forwards. The
/// proxy appends the address it saw to `X-Forwarded-For`, so the rightmost entry is the one
/// to believe (entries to its left are whatever the client sent); `Forwarded` and
/// `X-Real-Ip` are not read, as a proxy that does not set them would pass them through.
pub fn client_ip(req: &HttpRequest, trust_proxy: bool) -> Option<std::net::IpAddr> {
    if trust_proxy
        && let Some(ip) =
            req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).last().and_then(parse_ip)
    {
        return Some(ip);
    }
    req.peer_addr().map(|a| a.ip())
}

fn parse_ip(text: &str) -> Option<std::net::IpAddr> {
    let text = text.trim();
    text.parse::<std::net::SocketAddr>().map(|s| s.ip()).or_else(|_| text.trim_matches(|c| c == '[' || c == ']').parse()).ok()
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::client_ip;

    #[test]
    fn the_proxy_appends_the_address_to_believe() {
        let peer = "10.0.0.1:5000".parse().unwrap();
        let req = TestRequest::default().peer_addr(peer).insert_header(("X-Forwarded-For", "1.1.1.1, 2.2.2.2")).to_http_request();
        assert_eq!(client_ip(&req, true), Some("2.2.2.2".parse().unwrap()));
        assert_eq!(client_ip(&req, false), Some("10.0.0.1".parse().unwrap()));
        let req = TestRequest::default().peer_addr(peer).insert_header(("X-Forwarded-For", "[2001:db8::1]:443")).to_http_request();
        assert_eq!(client_ip(&req, true), Some("2001:db8::1".parse().unwrap()));
        let req = TestRequest::default().peer_addr(peer).insert_header(("X-Forwarded-For", "junk")).to_http_request();
        assert_eq!(client_ip(&req, true), Some("10.0.0.1".parse().unwrap()));
    }
}
