//! Schedules: an app's jobs run on cron expressions (UTC), each tick run exactly once whatever the
//! number of instances.
//!
//! Every instance's ticker looks each second for schedules that are due, claiming them with
//! `FOR UPDATE SKIP LOCKED`; in one transaction it queues the tick's run (with the dedupe key
//! `schedule:<id>:<tick>`) and moves `next_run` to the following tick. Another instance either
//! skips the locked row or, after the commit, sees the next tick: a tick is queued once. Ticks
//! missed while no instance ran are caught up by one run, then the schedule carries on from now.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::FunctionError;
use super::jobs::{self, Source};
use crate::queue::{self, NewTask};

/// Schedules per app.
pub const MAX_SCHEDULES: i64 = 100;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub id: i64,
    /// The job it runs.
    pub job: String,
    #[schema(value_type = Object)]
    pub params: Value,
    /// Cron expression, UTC: `min hour day month weekday`, or with seconds first.
    pub cron: String,
    pub description: String,
    pub enabled: bool,
    pub next_run: DateTime<Utc>,
    pub last_run: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A new schedule, or a change to one (every field optional then).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub job: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub params: Option<Map<String, Value>>,
    pub cron: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// Parses a cron expression: 5 fields (minute first) or 6-7 (seconds first, then an optional year).
pub fn parse_cron(expression: &str) -> Result<cron::Schedule, FunctionError> {
    let fields = expression.split_whitespace().count();
    let mut parts: Vec<String> = expression.split_whitespace().map(str::to_string).collect();
    let weekdays = match fields {
        5 => 4,
        6 | 7 => 5,
        _ => 0,
    };
    if weekdays > 0 {
        parts[weekdays] = standard_weekdays(&parts[weekdays])
            .map_err(|e| FunctionError::InvalidSchedule(format!("invalid cron expression {expression:?}: {e}")))?;
    }
    let full = match fields {
        5 => format!("0 {}", parts.join(" ")),
        6 | 7 => parts.join(" "),
        _ => {
            return Err(FunctionError::InvalidSchedule(format!(
                "cron expression {expression:?} has {fields} fields; expected 5 (minute hour day month weekday) or 6 (seconds first)"
            )));
        }
    };
    cron::Schedule::from_str(&full).map_err(|e| FunctionError::InvalidSchedule(format!("invalid cron expression {expression:?}: {e}")))
}

/// An expression's weekdays, as standard cron numbers them (0 to 7, Sunday being 0 and 7),
/// in the names the `cron` crate reads (it numbers them 1 to 7 from Sunday).
fn standard_weekdays(field: &str) -> Result<String, String> {
    const NAMES: [&str; 8] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
    let name = |token: &str| -> Result<String, String> {
        match token.parse::<usize>() {
            Ok(n) if n < NAMES.len() => Ok(NAMES[n].to_string()),
            Ok(n) => Err(format!("weekday {n} is not 0 to 7")),
            Err(_) => Ok(token.to_string()),
        }
    };
    let mut items = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        let mapped = match range.split_once('-') {
            // Sunday as 7 closes a range: Friday to Sunday is FRI-SAT and SUN.
            Some((from, "7")) if step.is_none() && from != "0" && from != "7" => format!("{}-SAT,SUN", name(from)?),
            Some((_, "7")) if step.is_some() => return Err("a weekday range with a step ends at 6 (Saturday)".into()),
            Some((from, to)) => format!("{}-{}", name(from)?, name(to)?),
            None => name(range)?,
        };
        items.push(match step {
            Some(step) => format!("{mapped}/{step}"),
            None => mapped,
        });
    }
    Ok(items.join(","))
}

/// The first tick after `after`.
fn next_tick(schedule: &cron::Schedule, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule.after(&after).next()
}

fn valid_job(name: &str) -> Result<(), FunctionError> {
    if name.is_empty() || name.len() > 128 || name.chars().any(char::is_control) {
        return Err(FunctionError::InvalidSchedule("job must be a job's name (1 to 128 characters)".into()));
    }
    Ok(())
}

const COLUMNS: &str = "id, job, params, cron, description, enabled, next_run, last_run, created_by, created_at";

fn from_row(row: &tokio_postgres::Row) -> Schedule {
    Schedule {
        id: row.get(0),
        job: row.get(1),
        params: row.get(2),
        cron: row.get(3),
        description: row.get(4),
        enabled: row.get(5),
        next_run: row.get(6),
        last_run: row.get(7),
        created_by: row.get(8),
        created_at: row.get(9),
    }
}

pub async fn list(pool: &Pool, app_id: i64) -> Result<Vec<Schedule>, FunctionError> {
    let client = pool.get().await?;
    let rows = client.query(&format!("SELECT {COLUMNS} FROM function_schedules WHERE app_id = $1 ORDER BY id"), &[&app_id]).await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Creates a schedule within `tx`, the caller's transaction (so that its audit entry commits
/// with it).
pub async fn create(tx: &impl GenericClient, app_id: i64, input: ScheduleInput, created_by: &str) -> Result<Schedule, FunctionError> {
    let job = input.job.ok_or_else(|| FunctionError::InvalidSchedule("job is required".into()))?;
    valid_job(&job)?;
    let expression = input.cron.ok_or_else(|| FunctionError::InvalidSchedule("cron is required".into()))?;
    let next = next_tick(&parse_cron(&expression)?, Utc::now())
        .ok_or_else(|| FunctionError::InvalidSchedule(format!("cron expression {expression:?} never fires again")))?;
    let params = Value::Object(input.params.unwrap_or_default());
    // Serialises creations per app, so that the limit holds.
    tx.execute("SELECT 1 FROM apps WHERE id = $1 FOR UPDATE", &[&app_id]).await?;
    let count: i64 = tx.query_one("SELECT count(*) FROM function_schedules WHERE app_id = $1", &[&app_id]).await?.get(0);
    if count >= MAX_SCHEDULES {
        return Err(FunctionError::InvalidSchedule(format!("an app has at most {MAX_SCHEDULES} schedules")));
    }
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO function_schedules (app_id, job, params, cron, description, enabled, next_run, created_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
            ),
            &[
                &app_id,
                &job,
                &params,
                &expression.trim(),
                &input.description.unwrap_or_default(),
                &input.enabled.unwrap_or(true),
                &next,
                &created_by,
            ],
        )
        .await?;
    Ok(from_row(&row))
}

/// Changes a schedule within `tx`, the caller's transaction.
pub async fn update(tx: &impl GenericClient, app_id: i64, id: i64, input: ScheduleInput) -> Result<Schedule, FunctionError> {
    let row = tx
        .query_opt(&format!("SELECT {COLUMNS} FROM function_schedules WHERE app_id = $1 AND id = $2 FOR UPDATE"), &[&app_id, &id])
        .await?
        .ok_or(FunctionError::NoSuchSchedule(id))?;
    let mut schedule = from_row(&row);
    if let Some(job) = input.job {
        valid_job(&job)?;
        schedule.job = job;
    }
    if let Some(params) = input.params {
        schedule.params = Value::Object(params);
    }
    if let Some(description) = input.description {
        schedule.description = description;
    }
    if let Some(enabled) = input.enabled {
        schedule.enabled = enabled;
    }
    let cron_changed = input.cron.as_ref().is_some_and(|c| c.trim() != schedule.cron);
    if let Some(expression) = input.cron {
        schedule.cron = expression.trim().to_string();
    }
    if cron_changed || input.enabled == Some(true) {
        // From now on: a schedule switched back on does not catch up the ticks it was off for.
        let parsed = parse_cron(&schedule.cron)?;
        schedule.next_run = next_tick(&parsed, Utc::now())
            .ok_or_else(|| FunctionError::InvalidSchedule(format!("cron expression {:?} never fires again", schedule.cron)))?;
    }
    let row = tx
        .query_one(
            &format!(
                "UPDATE function_schedules SET job = $3, params = $4, cron = $5, description = $6, enabled = $7, next_run = $8
                 WHERE app_id = $1 AND id = $2 RETURNING {COLUMNS}"
            ),
            &[&app_id, &id, &schedule.job, &schedule.params, &schedule.cron, &schedule.description, &schedule.enabled, &schedule.next_run],
        )
        .await?;
    Ok(from_row(&row))
}

/// Deletes a schedule within `tx`, the caller's transaction.
pub async fn delete(tx: &impl GenericClient, app_id: i64, id: i64) -> Result<(), FunctionError> {
    let n = tx.execute("DELETE FROM function_schedules WHERE app_id = $1 AND id = $2", &[&app_id, &id]).await?;
    if n == 0 {
        return Err(FunctionError::NoSuchSchedule(id));
    }
    Ok(())
}

/// Queues the runs of every due schedule (at most a batch per call); answers how many.
pub async fn tick(pool: &Pool) -> Result<usize, FunctionError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let rows = tx
        .query(
            "SELECT s.id, s.app_id, a.application_id, s.job, s.params, s.cron, s.next_run, now()
               FROM function_schedules s JOIN apps a ON a.id = s.app_id
              WHERE s.enabled AND s.next_run <= now()
              ORDER BY s.next_run LIMIT 100
                FOR UPDATE OF s SKIP LOCKED",
            &[],
        )
        .await?;
    for row in &rows {
        let (id, app_id, application_id, job): (i64, i64, String, String) = (row.get(0), row.get(1), row.get(2), row.get(3));
        let (params, expression, tick, now): (Value, String, DateTime<Utc>, DateTime<Utc>) =
            (row.get(4), row.get(5), row.get(6), row.get(7));
        let params = params.as_object().cloned().unwrap_or_default();
        let mut task =
            NewTask::new(jobs::TASK_KIND, Some(app_id), jobs::payload(&application_id, &job, &params, Source::Schedule, None, Some(tick)));
        task.dedupe_key = Some(format!("schedule:{id}:{}", tick.timestamp_millis()));
        queue::enqueue(&tx, &task).await?;
        let next = parse_cron(&expression).ok().and_then(|s| next_tick(&s, now.max(tick)));
        match next {
            Some(next) => {
                tx.execute("UPDATE function_schedules SET next_run = $2, last_run = $3 WHERE id = $1", &[&id, &next, &tick]).await?
            }
            None => tx.execute("UPDATE function_schedules SET enabled = false, last_run = $2 WHERE id = $1", &[&id, &tick]).await?,
        };
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// Runs [`tick`] about each second, just after the second turns, until aborted.
pub fn start_ticker(pool: Pool) -> tokio::task::AbortHandle {
    tokio::spawn(async move {
        loop {
            let into_second = Utc::now().timestamp_subsec_millis();
            // The wait between ticks, not synchronisation.
            tokio::time::sleep(Duration::from_millis(u64::from(1000 - into_second.min(999)) + 5)).await;
            match tick(&pool).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(runs = n, "scheduled job runs queued"),
                Err(err) => tracing::warn!(error = %err, "cannot run the job schedules"),
            }
        }
    })
    .abort_handle()
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, TimeZone, Weekday};

    use super::*;

    fn days(expression: &str) -> Vec<Weekday> {
        let schedule = parse_cron(expression).unwrap();
        // From Sunday 2026-11-22, one week of daily ticks at 09:00.
        let start = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
        schedule.after(&start).take_while(|t| *t < start + chrono::Duration::days(7)).map(|t| t.weekday()).collect()
    }

    #[test]
    fn weekdays_are_numbered_as_standard_cron_numbers_them() {
        use Weekday::*;
        assert_eq!(days("0 9 * * 1-5"), [Mon, Tue, Wed, Thu, Fri]);
        assert_eq!(days("0 9 * * 0"), [Sun]);
        assert_eq!(days("0 9 * * 7"), [Sun]);
        assert_eq!(days("0 9 * * 5-7"), [Sun, Fri, Sat]);
        assert_eq!(days("0 9 * * 0,6"), [Sun, Sat]);
        assert_eq!(days("0 9 * * MON-FRI"), [Mon, Tue, Wed, Thu, Fri]);
        assert_eq!(days("0 9 * * 0-6/2"), [Sun, Tue, Thu, Sat]);
        assert_eq!(days("0 9 * * *").len(), 7);
        // Seconds first (6 fields): the same numbering.
        assert_eq!(days("0 0 9 * * 1"), [Mon]);
        assert_eq!(days("0 0 9 * * Sun"), [Sun]);
        assert!(parse_cron("0 9 * * 8").is_err());
        assert!(parse_cron("0 9 * * 1-7/2").is_err());
    }
}
