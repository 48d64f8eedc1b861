//! The whole HTTP surface in one place: `/api/v1` routes (collected into the
//! OpenAPI document as they are registered), operations endpoints, the docs
//! and the middleware stack.

use crate::api::{
    allowances, approvals, audit, auth, calendar, dashboard, employees, holidays, leave_types, locations, mail, me,
    notifications, policies, reports, requests, settings, sso, webhooks,
};
use crate::context::request_context;
use crate::error::ErrorResponses;
use crate::ops::{health, maintenance, metrics, status};
use crate::{ApiError, AppState};
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use axum::Router;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "LMS API", description = "Leave Management System v3: leave requests, approvals, balances, HR administration."),
    tags(
        (name = "auth", description = "Login, logout, API tokens"),
        (name = "me", description = "The logged-in user"),
        (name = "leave requests", description = "Submit, decide, cancel, history"),
        (name = "hr", description = "People, leave types, allowances, holidays, locations and their holiday calendars"),
        (name = "policies", description = "Entitlement policies, the entitlement job, balances on any day"),
        (name = "reports", description = "Leave usage"),
        (name = "notifications", description = "In-app notifications"),
        (name = "admin", description = "Dashboard, audit log, maintenance, the mail outbox"),
        (name = "operations", description = "Health, readiness, status")
    )
)]
struct ApiDoc;

/// Operations anyone may call; every other one needs a session cookie or a
/// bearer token.
const PUBLIC: &[&str] = &["/api/v1/auth/login", "/api/health", "/api/health/live", "/api/health/ready"];

/// Operations anyone may call that show more to a caller with a credential.
const CREDENTIAL_OPTIONAL: &[&str] = &["/api/v1/status"];

/// The two ways to authenticate, and on every operation which it takes.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components
            .add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("lms_session"))));
        const NO_SCOPES: [&str; 0] = [];
        let credential =
            [SecurityRequirement::new("bearer", NO_SCOPES), SecurityRequirement::new("session", NO_SCOPES)];
        for (path, item) in openapi.paths.paths.iter_mut() {
            let security = if PUBLIC.contains(&path.as_str()) {
                continue;
            } else if CREDENTIAL_OPTIONAL.contains(&path.as_str()) {
                std::iter::once(SecurityRequirement::default()).chain(credential.clone()).collect()
            } else {
                credential.to_vec()
            };
            for op in
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
            {
                op.security = Some(security.clone());
            }
        }
    }
}

fn v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(me::me))
        .routes(routes!(me::balances))
        .routes(routes!(auth::create_token, auth::list_tokens))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(calendar::create_feed, calendar::list_feeds))
        .routes(routes!(calendar::revoke_feed))
        .routes(routes!(calendar::request_ics))
        .routes(routes!(requests::submit, requests::list))
        .routes(routes!(requests::quote))
        .routes(routes!(requests::get))
        .routes(routes!(requests::approve))
        .routes(routes!(requests::reject))
        .routes(routes!(requests::cancel))
        .routes(routes!(requests::approvals))
        .routes(routes!(approvals::stages))
        .routes(routes!(approvals::chain, approvals::set_chain))
        .routes(routes!(approvals::list_delegations, approvals::create_delegation))
        .routes(routes!(approvals::delete_delegation))
        .routes(routes!(employees::list, employees::create))
        .routes(routes!(employees::get, employees::update))
        .routes(routes!(employees::schedules, employees::set_schedules))
        .routes(routes!(leave_types::list, leave_types::create))
        .routes(routes!(leave_types::update))
        .routes(routes!(leave_types::rules, leave_types::set_rules))
        .routes(routes!(settings::leave_year, settings::set_leave_year))
        .routes(routes!(allowances::list, allowances::allocate))
        .routes(routes!(allowances::adjust))
        .routes(routes!(allowances::correct))
        .routes(routes!(policies::list, policies::create))
        .routes(routes!(policies::update, policies::delete))
        .routes(routes!(policies::assignments, policies::assign))
        .routes(routes!(policies::unassign))
        .routes(routes!(policies::run))
        .routes(routes!(policies::runs))
        .routes(routes!(policies::set_leaving_date))
        .routes(routes!(policies::balances_on))
        .routes(routes!(holidays::list, holidays::create))
        .routes(routes!(holidays::update, holidays::delete))
        .routes(routes!(locations::list, locations::create))
        .routes(routes!(locations::get, locations::update, locations::delete))
        .routes(routes!(locations::holidays, locations::add_holiday))
        .routes(routes!(locations::update_holiday, locations::delete_holiday))
        .routes(routes!(locations::import))
        .routes(routes!(locations::person_location, locations::set_person_location))
        .routes(routes!(reports::leave_usage))
        .routes(routes!(dashboard::dashboard))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(audit::list))
        .routes(routes!(mail::list))
        .routes(routes!(mail::get))
        .routes(routes!(mail::retry))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::delete))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::settings, webhooks::set_settings))
        .routes(routes!(sso::settings, sso::set_settings))
        .routes(routes!(sso::sign_in_methods, sso::set_sign_in_methods))
        .routes(routes!(maintenance::get_maintenance, maintenance::set_maintenance))
        .routes(routes!(status::status))
}

/// The routes with their OpenAPI document, completed by the security
/// requirements and the shared error answers of every operation.
fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1())
        .routes(routes!(health::health))
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .split_for_parts();
    Security.modify(&mut api);
    ErrorResponses.modify(&mut api);
    link_field_names(&mut api);
    (router, api)
}

/// utoipa 5.5 writes a link's fields in snake case (`operation_id`,
/// `operation_ref`, `request_body`), which no OpenAPI reader understands:
/// they are moved to the names the specification gives them.
fn link_field_names(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    let items = api.paths.paths.values_mut();
    let operations = items.flat_map(|i| [&mut i.get, &mut i.put, &mut i.post, &mut i.delete, &mut i.patch]);
    for op in operations.flatten() {
        for response in op.responses.responses.values_mut() {
            let RefOr::T(response) = response else { continue };
            for link in response.links.values_mut() {
                let RefOr::T(link) = link else { continue };
                let renamed = [
                    ("operationId", std::mem::take(&mut link.operation_id).into()),
                    ("operationRef", std::mem::take(&mut link.operation_ref).into()),
                    ("requestBody", link.request_body.take().unwrap_or_default()),
                ];
                let extensions = link.extensions.get_or_insert_with(Default::default);
                for (name, value) in renamed {
                    if !(value.is_null() || value == "") {
                        extensions.insert(name.to_string(), value);
                    }
                }
            }
        }
    }
}

/// The OpenAPI document of this build.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().1
}

/// No such route: in the API's error shape under `/api`, else a page.
async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = req.uri().path();
    if path.starts_with("/api/") || path == "/metrics" {
        ApiError::not_found("route").into_response()
    } else {
        crate::web::not_found(req, &state).await
    }
}

/// A known path asked with a method it does not take: 405 in the API's
/// error shape (axum's own answer has an empty body).
async fn method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this path does not take {method}; the API is described at /api/docs"),
    )
}

/// The application with all routes and middleware.
pub fn router(state: AppState) -> Router {
    let (api_router, api) = documented();
    let body_limit = state.config().body_limit;
    api_router
        .route("/metrics", get(metrics::metrics))
        // A calendar feed: its secret is the credential (docs/INTEGRATIONS.md).
        .route("/calendar/feeds/{file}", get(calendar::feed))
        .merge(crate::web::routes())
        // Serves the document at /api/openapi.json and the UI, pointed at it, under /api/docs.
        .merge(crate::docs::routes(api))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(from_fn_with_state(state.clone(), crate::ops::fault::inject))
        .route_layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(from_fn_with_state(state.clone(), maintenance::guard))
        .layer(from_fn_with_state(state.clone(), crate::web::security::cross_site_guard))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(from_fn_with_state(state.clone(), crate::body::read_whole))
        .layer(from_fn_with_state(state.clone(), request_context))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::web::security::headers))
        // gzip for clients that ask (pages, stylesheet, script, JSON).
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}
