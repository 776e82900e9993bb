//! Jobs: long-running cloud code, started over `POST /parse/jobs/:name` (master key) or by a
//! schedule, run in the background from the durable queue (`crate::queue`, task kind `job`) on
//! whichever instance claims it, with its time limit `jobTimeoutMs`.
//!
//! Each run has Parse's `_JobStatus` object in the app's data (master key only): `jobName`,
//! `source` (`api` or `schedule`), `params`, `status` (`running`, then `succeeded` or `failed`),
//! `message` (what the job reports while it runs, its string result, or its error), `progress`
//! (what the job reports, if anything) and `finishedAt`. A job is run once: it is not retried,
//! and a run whose instance stopped is marked failed.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::runtime::Kind;
use super::{FunctionError, Functions};
use crate::apps::registry::AppRegistry;
use crate::data::Caller;
use crate::data::DataError;
use crate::data::names::ClassName;
use crate::data::objects;
use crate::data::write::{self, WriteRequest};
use crate::queue::{self, BoxFuture, Handler, NewTask, Task};

/// The queue's task kind for job runs.
pub const TASK_KIND: &str = "job";
/// Job runs at once on an instance unless `queue_slots` says otherwise; other kinds of queued
/// work have slots of their own.
pub const TASK_SLOTS: usize = 8;
pub const STATUS_CLASS: &str = "_JobStatus";

/// How a run was started (its `_JobStatus.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Api,
    Schedule,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Schedule => "schedule",
        }
    }
}

fn status_class() -> ClassName {
    ClassName::parse(STATUS_CLASS).expect("a system class")
}

fn date(at: DateTime<Utc>) -> Value {
    json!({ "__type": "Date", "iso": at.to_rfc3339_opts(SecondsFormat::Millis, true) })
}

/// A task's payload: what the runner needs to run the job.
pub fn payload(
    application_id: &str,
    job: &str,
    params: &Map<String, Value>,
    source: Source,
    status_id: Option<&str>,
    scheduled_for: Option<DateTime<Utc>>,
) -> Value {
    json!({
        "applicationId": application_id,
        "job": job,
        "params": params,
        "source": source.as_str(),
        "statusId": status_id,
        "scheduledFor": scheduled_for.map(date),
    })
}

/// Creates a run's `_JobStatus` (running), readable with the master key only. With a claimed
/// task, the status's id is written into the task in the same transaction: however the instance
/// stops, a status that exists is one the task knows (and marks failed if it is given up). None
/// when this instance no longer holds the task (its lease ran out): nothing is created, and the
/// task's next holder runs it.
async fn create_status(
    functions: &Functions,
    master: &Caller,
    job: &str,
    params: &Map<String, Value>,
    source: Source,
    task: Option<&Task>,
) -> Result<Option<String>, DataError> {
    let body = json!({ "jobName": job, "source": source.as_str(), "status": "running", "params": params, "ACL": {} });
    let Value::Object(body) = body else { unreachable!("an object") };
    let write = objects::Write::parse(body, None)?;
    let class = objects::prepare_write(&functions.schemas, master, &status_class(), &write).await?;
    let mut client = functions.pool.get().await?;
    let tx = client.transaction().await?;
    let (created, _) = objects::create(&tx, master, &class, write, false).await?;
    let id = created.get("objectId").and_then(Value::as_str).unwrap_or_default().to_string();
    if let Some(task) = task {
        let held = tx
            .execute(
                "UPDATE queue_tasks SET payload = jsonb_set(payload, '{statusId}', to_jsonb($3::text)) WHERE id = $1 AND lease = $2",
                &[&task.id, &task.lease, &id],
            )
            .await?;
        if held == 0 {
            return Ok(None);
        }
    }
    tx.commit().await?;
    Ok(Some(id))
}

/// Changes a run's `_JobStatus`.
pub(crate) async fn update_status(functions: &Functions, master: &Caller, id: &str, changes: Value) -> Result<(), DataError> {
    let Value::Object(body) = changes else { return Ok(()) };
    write::run(&functions.pool, master, &functions.schemas, WriteRequest::Update { class: status_class(), id: id.to_string(), body })
        .await?;
    Ok(())
}

/// Starts a run of `job` (the caller must hold the master key): its `_JobStatus`, then its task.
/// Answers the status's objectId (Parse's `X-Parse-Job-Status-Id`).
pub async fn start(functions: &Arc<Functions>, caller: &Caller, job: &str, params: Map<String, Value>) -> Result<String, FunctionError> {
    let active = functions.active(caller).await?;
    if !active.0.as_ref().is_some_and(|l| l.manifest.jobs.contains(job)) {
        return Err(FunctionError::UnknownJob(job.to_string()));
    }
    let master = caller.as_master();
    let id = create_status(functions, &master, job, &params, Source::Api, None).await?.unwrap_or_default();
    let task =
        NewTask::new(TASK_KIND, Some(caller.app.id), payload(&caller.app.application_id, job, &params, Source::Api, Some(&id), None));
    let queued = async {
        let client = functions.pool.get().await?;
        queue::enqueue(&client, &task).await?;
        Ok::<_, FunctionError>(())
    };
    if let Err(err) = queued.await {
        let _ = update_status(
            functions,
            &master,
            &id,
            json!({ "status": "failed", "message": format!("could not be queued: {err}"), "finishedAt": date(Utc::now()) }),
        )
        .await;
        return Err(err);
    }
    Ok(id)
}

/// Runs queued jobs.
#[derive(Clone)]
pub struct Runner {
    pub functions: Arc<Functions>,
    pub registry: AppRegistry,
    pub services: Arc<crate::data::hooks::Services>,
    /// Runs' outcomes being recorded: a run interrupted at a stop still records the outcome it
    /// has (see [`Handler::settled`]).
    pub recording: queue::Uncut,
}

impl Runner {
    /// The app's master caller; none when the app was deleted since (nothing to run or report).
    /// A failing database is tried again a few times first.
    async fn master(&self, payload: &Value) -> Option<Caller> {
        let application_id = payload.get("applicationId").and_then(Value::as_str)?;
        for attempt in 1..=5 {
            match self.registry.get(application_id).await {
                Ok(app) => return app.map(|app| Caller::master(app, self.services.clone())),
                Err(err) => {
                    tracing::warn!(app = application_id, attempt, error = %err, "cannot load the app of a queued job");
                    // Backoff between attempts, not synchronisation.
                    tokio::time::sleep(Duration::from_secs(attempt)).await;
                }
            }
        }
        None
    }

    async fn run_job(&self, task: Task) {
        let Some(master) = self.master(&task.payload).await else { return };
        let payload = &task.payload;
        let job = payload.get("job").and_then(Value::as_str).unwrap_or_default().to_string();
        let params = payload.get("params").and_then(Value::as_object).cloned().unwrap_or_default();
        let source = if payload.get("source").and_then(Value::as_str) == Some("schedule") { Source::Schedule } else { Source::Api };
        let status_id = match payload.get("statusId").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            // Recorded in the task too, so that the run is marked failed if this instance stops.
            None => match create_status(&self.functions, &master, &job, &params, source, Some(&task)).await {
                Ok(Some(id)) => id,
                Ok(None) => {
                    tracing::info!(app = master.app.id, job = %job, task = task.id, "a scheduled run's task was claimed by another instance; left to it");
                    return;
                }
                Err(err) => {
                    tracing::warn!(app = master.app.id, job = %job, error = %err, "cannot record a job run; running it anyway");
                    String::new()
                }
            },
        };
        let mut fields = Map::new();
        fields.insert("params".into(), Value::Object(params));
        fields.insert("jobId".into(), json!(status_id));
        fields.insert("scheduledFor".into(), payload.get("scheduledFor").cloned().unwrap_or(Value::Null));
        let outcome = self.functions.call(&master, Kind::Job(job.clone()), fields).await;
        if status_id.is_empty() {
            return;
        }
        let mut changes = json!({ "finishedAt": date(Utc::now()) });
        match outcome {
            Ok(answer) => {
                changes["status"] = json!("succeeded");
                if let Some(Value::String(message)) = answer.get("result") {
                    changes["message"] = json!(message);
                }
            }
            Err(err) => {
                changes["status"] = json!("failed");
                changes["message"] = json!(err.to_string());
            }
        }
        let functions = self.functions.clone();
        self.recording
            .run(async move {
                if let Err(err) = update_status(&functions, &master, &status_id, changes).await {
                    tracing::warn!(app = master.app.id, job = %job, error = %err, "cannot record a job's outcome");
                }
            })
            .await;
    }
}

impl Handler for Runner {
    fn run(&self, task: Task) -> BoxFuture<Result<(), String>> {
        let this = self.clone();
        // A job's failure is its own (recorded in its status), never a reason to run it again.
        Box::pin(async move {
            this.run_job(task).await;
            Ok(())
        })
    }

    fn settled(&self) -> BoxFuture<()> {
        let (functions, recording) = (self.functions.clone(), self.recording.clone());
        Box::pin(async move {
            functions.settled().await;
            recording.settled().await;
        })
    }

    fn abandon(&self, task: Task, reason: String) -> BoxFuture<()> {
        let this = self.clone();
        Box::pin(async move {
            let Some(master) = this.master(&task.payload).await else { return };
            let Some(id) = task.payload.get("statusId").and_then(Value::as_str) else { return };
            // A run that recorded its outcome (and lost only its queue row) keeps it.
            let get = WriteRequest::Get { class: status_class(), id: id.to_string() };
            match write::run(&this.functions.pool, &master, &this.functions.schemas, get).await {
                Ok(status) if status.body.get("status").and_then(Value::as_str) == Some("running") => {}
                Ok(_) => return,
                Err(err) => {
                    tracing::warn!(app = master.app.id, error = %err, "cannot read an abandoned job's status");
                    return;
                }
            }
            let changes = json!({ "status": "failed", "message": reason, "finishedAt": date(Utc::now()) });
            if let Err(err) = update_status(&this.functions, &master, id, changes).await {
                tracing::warn!(app = master.app.id, error = %err, "cannot record an abandoned job");
            }
        })
    }
}
