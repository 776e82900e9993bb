//! The route table of the Parse API: one declaration per route, read both to serve it (actix
//! resources under `/parse`) and to describe it (the OpenAPI document's Parse paths). A route
//! names its operations' descriptions (the `#[utoipa::path]` functions of `docs.rs`, by the
//! `__path_<fn>` type the attribute generates); the path and method it is served at are read
//! from them, so a route cannot be served without being described, nor described at a path it
//! is not served at.
//!
//! Methods served without an operation of their own are declared as aliases (`also`): POST on
//! a resource whose handler reads `_method` from the body (the JS SDK tunnels GET, PUT and DELETE
//! through POST), GET on a function call, HEAD on a download, the trailing-slash `/schemas/`.
//! [`undocumented`] checks a table against a document; the tests run it on the real table.

use actix_web::http::Method;
use actix_web::{Resource, web};
use serde_json::Value;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::{RefOr, schema::Schema};

use super::{aggregate, batch, classes, config, docs, files, functions, hooks, installations, jobs, pages, push, schemas, users};

/// One method served at one path (as the document writes it, `/parse/...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub method: Method,
    pub path: String,
    /// For an alias: the described path it belongs to (the same path, or `/schemas` for
    /// `/schemas/`). `None`: the method has its own operation.
    pub alias_of: Option<String>,
}

/// One operation's description, read from its `#[utoipa::path]` function.
pub struct Doc {
    method: Method,
    path: String,
    operation: Operation,
    schemas: Vec<(String, RefOr<Schema>)>,
}

/// The method an operation's description `T` (a `__path_<fn>` type) is served at.
pub fn method_of<T: utoipa::Path>() -> Method {
    let methods = T::methods();
    let [method] = methods.as_slice() else { panic!("{} describes one method", T::path()) };
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Trace => Method::TRACE,
    }
}

/// Reads the description `T` (a `__path_<fn>` type) of one operation, with the components it
/// names (`SchemaReferences` is the trait through which utoipa's `OpenApi` derive collects them).
pub fn doc<T: utoipa::Path + utoipa::__dev::SchemaReferences>() -> Doc {
    let method = method_of::<T>();
    let mut schemas = Vec::new();
    T::schemas(&mut schemas);
    Doc { method, path: T::path(), operation: T::operation(), schemas }
}

/// The table being read: registering services (when serving) and describing them.
pub struct Table<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    /// Every method served, in the table's order.
    pub served: Vec<Served>,
    /// The operations, for the document.
    pub paths: utoipa::openapi::Paths,
    /// The components the operations refer to.
    pub schemas: Vec<(String, RefOr<Schema>)>,
}

/// The path of a route under the `/parse` scope.
fn local(path: &str) -> &str {
    path.strip_prefix("/parse").unwrap_or_else(|| panic!("{path} is a /parse path"))
}

impl Table<'_> {
    fn describe(&mut self, ops: Vec<Doc>) {
        for op in ops {
            self.served.push(Served { method: op.method.clone(), path: op.path.clone(), alias_of: None });
            let method = match op.method.as_str() {
                "GET" => HttpMethod::Get,
                "POST" => HttpMethod::Post,
                "PUT" => HttpMethod::Put,
                "DELETE" => HttpMethod::Delete,
                "HEAD" => HttpMethod::Head,
                "PATCH" => HttpMethod::Patch,
                "OPTIONS" => HttpMethod::Options,
                _ => HttpMethod::Trace,
            };
            self.paths.add_path_operation(&op.path, vec![method], op.operation);
            self.schemas.extend(op.schemas);
        }
    }

    /// A resource: every operation at one path, the aliases at that path, and `extra` paths
    /// serving the same (aliases of it). `register` adds the handlers to a resource.
    pub fn resource(&mut self, ops: Vec<Doc>, aliases: &[Method], extra: &[&str], register: impl Fn(Resource) -> Resource) {
        let path = ops[0].path.clone();
        assert!(ops.iter().all(|o| o.path == path), "one resource, one path: {path}");
        for method in aliases {
            self.served.push(Served { method: method.clone(), path: path.clone(), alias_of: Some(path.clone()) });
        }
        for extra in extra {
            for method in ops.iter().map(|o| &o.method).chain(aliases) {
                self.served.push(Served { method: method.clone(), path: format!("/parse{extra}"), alias_of: Some(path.clone()) });
            }
        }
        if let Some(cfg) = self.cfg.as_deref_mut() {
            cfg.service(register(crate::http::resource(local(&path))));
            for extra in extra {
                cfg.service(register(crate::http::resource(extra)));
            }
        }
        self.describe(ops);
    }

    /// A scope routed by hand (`dispatch` parses the rest of the path and refuses other methods
    /// with 405): its operations' paths start with `/parse<prefix>/`; `aliases` are (method, the
    /// operation's path).
    pub fn scope<F, Args>(&mut self, prefix: &str, ops: Vec<Doc>, aliases: Vec<(Method, String)>, dispatch: F)
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        let under = format!("/parse{prefix}");
        for op in &ops {
            assert!(op.path == under || op.path.starts_with(&format!("{under}/")), "{} is under {under}", op.path);
        }
        for (method, path) in aliases {
            self.served.push(Served { method, path: path.clone(), alias_of: Some(path) });
        }
        if let Some(cfg) = self.cfg.as_deref_mut() {
            cfg.service(web::scope(prefix).default_service(web::to(dispatch)));
        }
        self.describe(ops);
    }
}

/// A resource: `route!(t; __path_a => handler, __path_b => handler; also POST => handler; at "/x/")`.
/// Each operation is served at its description's path and method, by its handler.
macro_rules! route {
    ($t:ident; $($doc:ident => $handler:expr),+ $(; also $($alias:ident => $alias_handler:expr),+)? $(; at $($extra:literal),+)?) => {
        $t.resource(
            vec![$(doc::<docs::$doc>()),+],
            &[$($(Method::$alias),+)?],
            &[$($($extra),+)?],
            |r: Resource| {
                r $(.route(web::method(method_of::<docs::$doc>()).to($handler)))+
                  $($(.route(web::method(Method::$alias).to($alias_handler)))+)?
            },
        )
    };
}

/// The table. `t` serves and describes each route in order (actix tries resources in this
/// order: `/users/me` before `/users/{objectId}`).
pub fn table(t: &mut Table) {
    t.scope(
        "/classes",
        vec![
            doc::<docs::__path_find_objects>(),
            doc::<docs::__path_create_object>(),
            doc::<docs::__path_get_object>(),
            doc::<docs::__path_update_object>(),
            doc::<docs::__path_delete_object>(),
        ],
        vec![(Method::POST, "/parse/classes/{className}/{objectId}".into())],
        classes::dispatch,
    );
    route!(t; __path_health => super::health);
    route!(t; __path_server_info => super::server_info; also POST => super::server_info);
    // Users, sessions, roles.
    route!(t; __path_find_users => users::users_class, __path_sign_up => users::users_class);
    route!(t; __path_me => users::me; also POST => users::me);
    route!(t; __path_get_user => users::user_object, __path_update_user => users::user_object, __path_delete_user => users::user_object;
        also POST => users::user_object);
    route!(t; __path_log_in => users::log_in, __path_log_in_with_body => users::log_in);
    route!(t; __path_log_out => users::log_out);
    route!(t; __path_verify_password => users::verify_password, __path_verify_password_with_body => users::verify_password);
    route!(t; __path_request_password_reset => users::request_password_reset);
    route!(t; __path_verification_email_request => users::verification_email_request);
    route!(t; __path_log_in_as => users::log_in_as);
    route!(t; __path_upgrade_to_revocable_session => users::upgrade_session);
    route!(t; __path_sessions => users::sessions_class, __path_create_session => users::sessions_class);
    route!(t; __path_session_me => users::session_me; also POST => users::session_me);
    route!(t; __path_get_session => users::session_object, __path_update_session => users::session_object, __path_delete_session => users::session_object;
        also POST => users::session_object);
    route!(t; __path_find_roles => users::roles_class, __path_create_role => users::roles_class);
    route!(t; __path_get_role => users::role_object, __path_update_role => users::role_object, __path_delete_role => users::role_object;
        also POST => users::role_object);
    // Files.
    route!(t; __path_upload_file => files::upload, __path_delete_file => files::delete);
    route!(t; __path_file_metadata => files::metadata);
    route!(t; __path_download_file => files::download; also HEAD => files::download);
    // The pages an app's emails link to.
    route!(t; __path_verify_email_page => pages::verify_email);
    route!(t; __path_password_reset_page => pages::reset_form, __path_password_reset_submit => pages::reset_submit);
    // Push.
    t.scope(
        "/installations",
        vec![
            doc::<docs::__path_find_installations>(),
            doc::<docs::__path_create_installation>(),
            doc::<docs::__path_get_installation>(),
            doc::<docs::__path_update_installation>(),
            doc::<docs::__path_delete_installation>(),
        ],
        vec![(Method::POST, "/parse/installations/{objectId}".into())],
        installations::installations,
    );
    route!(t; __path_find_push_audiences => installations::audiences, __path_create_push_audience => installations::audiences);
    route!(t; __path_get_push_audience => installations::audience, __path_update_push_audience => installations::audience,
        __path_delete_push_audience => installations::audience; also POST => installations::audience);
    route!(t; __path_send_push => push::send);
    // Objects in bulk, schemas, config.
    route!(t; __path_batch => batch::batch);
    route!(t; __path_schemas => schemas::all; also POST => schemas::all; at "/schemas/");
    route!(t; __path_get_schema => schemas::one, __path_create_schema => schemas::one, __path_update_schema => schemas::one,
        __path_delete_schema => schemas::one);
    route!(t; __path_purge => schemas::purge; also POST => schemas::purge);
    route!(t; __path_get_config => config::config, __path_update_config => config::config; also POST => config::config);
    route!(t; __path_aggregate => aggregate::aggregate; also POST => aggregate::aggregate);
    // Cloud code.
    route!(t; __path_call_function => functions::call; also GET => functions::call);
    route!(t; __path_list_hook_functions => hooks::functions, __path_create_hook_function => hooks::functions);
    route!(t; __path_get_hook_function => hooks::function, __path_update_hook_function => hooks::function; also POST => hooks::function);
    route!(t; __path_list_hook_triggers => hooks::triggers, __path_create_hook_trigger => hooks::triggers);
    route!(t; __path_get_hook_trigger => hooks::trigger, __path_update_hook_trigger => hooks::trigger; also POST => hooks::trigger);
    route!(t; __path_start_job_named => jobs::start);
    route!(t; __path_start_job => jobs::start);
    route!(t; __path_jobs_data => jobs::data; also POST => jobs::data);
}

/// Registers every Parse route (under the `/parse` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    table(&mut Table { cfg: Some(cfg), served: Vec::new(), paths: Default::default(), schemas: Vec::new() });
}

/// The table read without serving: what is served, and the operations.
pub fn describe() -> Table<'static> {
    let mut t = Table { cfg: None, served: Vec::new(), paths: Default::default(), schemas: Vec::new() };
    table(&mut t);
    t
}

/// The methods served that the document does not describe: a method with its own operation
/// must be at its path in `document` (HEAD is described by GET); an alias must be listed in
/// its described path's `x-hearth-aliases`. Empty when every route is.
pub fn undocumented(served: &[Served], document: &Value) -> Vec<(Method, String)> {
    let described = |path: &str, method: &str| document["paths"][path].get(method.to_ascii_lowercase()).is_some();
    served
        .iter()
        .filter(|s| match &s.alias_of {
            None => !(described(&s.path, s.method.as_str()) || (s.method == Method::HEAD && described(&s.path, "GET"))),
            Some(of) => {
                let listed = format!("{} {}", s.method, s.path);
                !document["paths"][of.as_str()]["x-hearth-aliases"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(listed.as_str())))
            }
        })
        .map(|s| (s.method.clone(), s.path.clone()))
        .collect()
}
