//! `/dashboard`: the web dashboard. Until the React dashboard lands, a page that says where the
//! management API and its reference live.

use actix_web::HttpResponse;

pub async fn index() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Hearth</title></head><body>\
         <h1>Hearth</h1><p>The dashboard is not built yet. Manage apps with the \
         <a href=\"/admin/v1/docs\">management API</a> or the <code>hearth</code> CLI.</p></body></html>",
    )
}
