//! The LMS web application: server-rendered pages for employees, managers
//! and HR, in the same binary as the JSON API. Each page's template sits
//! beside its route module (`home.rs` + `home.html`); shared parts are
//! `page` (viewer, chrome, errors, forms), `view` (values as shown),
//! `i18n` (message catalogues), `assets` (hashed static files) and
//! `security` (cross-site checks, form tokens, response headers).
//!
//! Pages read through `lms-store` queries and change through `lms-app`
//! use cases, exactly as the API does; this module holds no SQL and no
//! business rule. Every page works without JavaScript; `assets/app.js`
//! only adds the live quote on the request form and "select all".

mod approvals;
pub mod assets;
mod calendar;
mod dashboard;
mod home;
mod hr_allowances;
mod hr_audit;
mod hr_locations;
mod hr_mail;
mod hr_people;
mod hr_policies;
mod hr_reports;
mod hr_settings;
mod hr_webhooks;
pub mod i18n;
mod my_requests;
pub mod page;
mod profile;
mod request_new;
mod schedules;
pub mod security;
mod sign_in;
mod sso;
mod view;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

/// The pages and their form actions.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/sign-in/sso", get(sso::start))
        .route("/sign-in/sso/callback", get(sso::callback))
        .route("/notifications/read", post(home::mark_all_read))
        .route("/requests/new", get(request_new::form).post(request_new::submit))
        .route("/requests/quote", get(request_new::quote))
        .route("/requests", get(my_requests::list))
        .route("/requests/{id}", get(my_requests::detail))
        .route("/requests/{id}/cancel", post(my_requests::cancel))
        .route("/approvals", get(approvals::queue))
        .route("/approvals/bulk", post(approvals::bulk))
        .route("/approvals/deputies", post(approvals::name_deputy))
        .route("/approvals/deputies/{id}/delete", post(approvals::remove_deputy))
        .route("/approvals/{id}", post(approvals::decide))
        .route("/calendar", get(calendar::page))
        .route("/admin", get(dashboard::page))
        .route("/hr/people", get(hr_people::list))
        .route("/hr/people/new", get(hr_people::new_form).post(hr_people::create))
        .route("/hr/people/{id}", get(hr_people::edit_form).post(hr_people::update))
        .route("/hr/people/{id}/password", post(hr_people::reset_password))
        .route("/hr/people/{id}/sign-in", post(hr_people::set_password_login))
        .route("/hr/people/{id}/schedules", post(hr_people::add_schedule))
        .route("/hr/people/{id}/leaving-date", post(hr_people::set_leaving_date))
        .route("/hr/people/{id}/schedules/remove", post(hr_people::remove_schedule))
        .route("/hr/people/{id}/allowances", get(hr_allowances::page).post(hr_allowances::write))
        .route("/hr/settings", get(hr_settings::page))
        .route("/hr/leave-types", post(hr_settings::create_type))
        .route("/hr/leave-types/{id}", post(hr_settings::update_type))
        .route("/hr/leave-types/{id}/rules", post(hr_settings::update_rules))
        .route("/hr/leave-types/{id}/chain", post(hr_settings::update_chain))
        .route("/hr/holidays", post(hr_settings::add_holiday))
        .route("/hr/holidays/{id}/delete", post(hr_settings::remove_holiday))
        .route("/hr/maintenance", post(hr_settings::maintenance))
        .route("/hr/policies", get(hr_policies::page).post(hr_policies::create))
        .route("/hr/policies/{id}", post(hr_policies::update))
        .route("/hr/policies/{id}/delete", post(hr_policies::delete))
        .route("/hr/policies/{id}/assignments", post(hr_policies::assign))
        .route("/hr/policy-assignments/{id}/delete", post(hr_policies::unassign))
        .route("/hr/entitlements/run", post(hr_policies::run))
        .route("/hr/locations", get(hr_locations::page).post(hr_locations::create))
        .route("/hr/locations/{id}", post(hr_locations::rename))
        .route("/hr/locations/{id}/delete", post(hr_locations::delete))
        .route("/hr/locations/{id}/holidays", post(hr_locations::add_holiday))
        .route("/hr/locations/{id}/holidays/{holiday_id}/delete", post(hr_locations::remove_holiday))
        .route("/hr/locations/{id}/import", post(hr_locations::import))
        .route("/hr/people/{id}/location", post(hr_locations::set_person_location))
        .route("/hr/leave-year", post(hr_settings::leave_year))
        .route("/hr/sso", post(hr_settings::sso))
        .route("/hr/reports", get(hr_reports::page))
        .route("/hr/audit", get(hr_audit::page))
        .route("/hr/mail/{id}/retry", post(hr_mail::retry))
        .route("/hr/webhooks", get(hr_webhooks::page).post(hr_webhooks::create))
        .route("/hr/webhooks/private", post(hr_webhooks::set_private))
        .route("/hr/webhooks/{id}/delete", post(hr_webhooks::delete))
        .route("/profile", get(profile::page))
        .route("/profile/language", post(profile::set_language))
        .route("/profile/password", post(profile::change_password))
        .route("/profile/tokens", post(profile::create_token))
        .route("/profile/tokens/{id}/revoke", post(profile::revoke_token))
        .route("/profile/calendar-feeds", post(profile::create_feed))
        .route("/profile/calendar-feeds/{id}/revoke", post(profile::revoke_feed))
        .route("/assets/{name}", get(assets::serve))
}

/// A page that is not there, in the reader's language.
pub async fn not_found(req: axum::extract::Request, state: &AppState) -> axum::response::Response {
    use axum::response::IntoResponse;
    page::error_page(req, state, axum::http::StatusCode::NOT_FOUND, "error-not-found").await.into_response()
}
