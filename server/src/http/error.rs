//! Renders [`ApiError`] as an HTTP response, and routes actix's own failures (bad query
//! strings, bad path parameters, unknown routes, wrong methods) through the same body.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::error::{ApiError, ParseCode};

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(chain) = self.cause_chain() {
            if self.code() == ParseCode::SERVICE_UNAVAILABLE {
                tracing::warn!(error = %chain, "unavailable");
            } else {
                tracing::error!(error = %chain, "internal error");
            }
        }
        let mut response = HttpResponse::build(self.status_code());
        if self.status_code() == StatusCode::REQUEST_TIMEOUT {
            // A body cut off by its deadline: the rest of it is not waited for.
            response.force_close();
        }
        if let Some(seconds) = self.retry_after() {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(self.body())
    }
}

/// The answer for a path that matches no route.
pub async fn unknown_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ParseCode::UNKNOWN_ROUTE, format!("no route for {} {}", req.method(), req.path())))
}

/// The answer for a route that exists, called with a method it does not take.
pub async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ParseCode::METHOD_NOT_ALLOWED, format!("{} is not allowed on {}", req.method(), req.path())))
}

pub fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::new(ParseCode::INVALID_QUERY, format!("invalid query string: {err}")).into()
}

pub fn path_error(err: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::new(ParseCode::OBJECT_NOT_FOUND, format!("invalid path: {err}")).into()
}
