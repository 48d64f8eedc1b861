//! The HR admin dashboard: pending approvals, who is on leave today,
//! this month's requests by status, headcount.

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{NaiveDate, Utc};
use lms_store::reports;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct OnLeaveDto {
    pub employee_id: i64,
    pub employee_name: String,
    pub leave_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct Dashboard {
    pub date: NaiveDate,
    pub pending_approvals: i64,
    pub on_leave_today: Vec<OnLeaveDto>,
    /// Requests starting this month, by status.
    pub requests_this_month: BTreeMap<String, i64>,
    pub headcount: i64,
    /// Approved leave touching this week (Monday to Sunday).
    pub on_leave_this_week: Vec<OnLeaveDto>,
    /// Requests by the month they start in, the last 12 months, oldest first.
    pub trend: Vec<MonthCount>,
    pub version: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct MonthCount {
    /// `YYYY-MM`
    pub month: String,
    pub requests: i64,
}

impl From<reports::OnLeave> for OnLeaveDto {
    fn from(o: reports::OnLeave) -> Self {
        OnLeaveDto {
            employee_id: o.employee_id,
            employee_name: o.employee_name,
            leave_type: o.leave_type,
            start_date: o.start_date,
            end_date: o.end_date,
        }
    }
}

/// Dashboard figures (HR admins).
#[utoipa::path(get, path = "/admin/dashboard", tag = "admin",
    responses((status = 200, body = Dashboard), (status = 403, body = crate::error::ErrorBody)))]
pub async fn dashboard(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Dashboard>> {
    user.require_hr()?;
    let today = Utc::now().date_naive();
    let mut c = state.db().acquire().await?;
    let d = reports::dashboard(&mut c.conn(), today).await?;
    Ok(Json(Dashboard {
        date: today,
        pending_approvals: d.pending_approvals,
        on_leave_today: d.on_leave_today.into_iter().map(Into::into).collect(),
        requests_this_month: d.month_by_status,
        headcount: d.headcount,
        on_leave_this_week: d.on_leave_this_week.into_iter().map(Into::into).collect(),
        trend: d
            .trend
            .into_iter()
            .map(|(m, n)| MonthCount { month: m.format("%Y-%m").to_string(), requests: n })
            .collect(),
        version: lms_core::VERSION,
    }))
}
