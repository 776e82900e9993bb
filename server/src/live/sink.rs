//! Committed changes of live classes onto the bus, for every instance's subscribers.

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::{Kind, LiveChange};
use crate::bus::Bus;
use crate::data::Caller;
use crate::data::hooks::{Change, ChangeKind, ChangeSink};
use crate::data::names::ClassName;

/// Sends each committed change of a live class (the app's `liveQuery.classNames`) with the
/// object before and after it.
pub struct LiveSink {
    pub bus: Bus,
    /// Whether metrics carry the app (the operator's `metrics_app_label`).
    pub app_labels: crate::config::MetricsAppLabel,
}

impl ChangeSink for LiveSink {
    fn wants_images<'a>(&'a self, caller: &'a Caller, class: &'a ClassName) -> BoxFuture<'a, bool> {
        Box::pin(async move { caller.app.settings.live_query.is_live(class.as_str()) })
    }

    fn changed<'a>(&'a self, caller: &'a Caller, change: &'a Change, _answer: &'a Value) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // Changes without images (a class emptied at once) are not events, as in Parse Server.
            if change.before.is_none() && change.after.is_none() {
                return;
            }
            if !caller.app.settings.live_query.is_live(change.class.as_str()) {
                return;
            }
            let image = |v: &Option<Value>| v.as_ref().and_then(Value::as_object).cloned();
            let event = LiveChange {
                app: caller.app.id,
                class: change.class.as_str().to_string(),
                kind: match change.kind {
                    ChangeKind::Create => Kind::Create,
                    ChangeKind::Update => Kind::Update,
                    ChangeKind::Delete => Kind::Delete,
                },
                id: change.object_id.clone(),
                before: image(&change.before),
                after: image(&change.after),
                stamp: change.stamp.map(|s| s.timestamp_micros()),
            };
            if let Err(err) = self.bus.send(&event).await {
                let mut labels = crate::telemetry::app_labels(self.app_labels, &caller.app.application_id);
                labels.push(("reason", "bus".into()));
                metrics::counter!("hearth_live_events_dropped_total", &labels).increment(1);
                tracing::warn!(error = %err, "cannot send a LiveQuery event");
            }
        })
    }
}
