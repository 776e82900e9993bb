//! The topics of the foundations. All are committed: each announces a change made by a
//! transaction, which every instance must hear of exactly when it commits (see the module
//! [`super`]). Their payloads are what they were as free JSON, so that instances of two versions
//! understand each other.

use serde::{Deserialize, Serialize};

use super::{Committed, Topic};

/// An app was created, changed or deleted: its cached copy is dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppChanged {
    pub application_id: String,
}

impl Topic for AppChanged {
    const NAME: &'static str = "apps";
    type Carrier = Committed;
}

/// An app's class schemas changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaChanged {
    /// The app's internal id.
    pub app: i64,
}

impl Topic for SchemaChanged {
    const NAME: &'static str = "schema";
    type Carrier = Committed;
}

/// A session ended or changed (logout, revocation, a deleted user): every instance reads it
/// again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionChanged {
    pub app: i64,
    /// The SHA-256 of its token, as stored.
    pub hash: String,
}

impl Topic for SessionChanged {
    const NAME: &'static str = "sessions";
    type Carrier = Committed;
}

/// An app's roles changed (a `_Role` written or deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolesChanged {
    pub app: i64,
}

impl Topic for RolesChanged {
    const NAME: &'static str = "roles";
    type Carrier = Committed;
}

/// An app's active function deployment, or its webhooks, changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionsChanged {
    pub app: i64,
}

impl Topic for FunctionsChanged {
    const NAME: &'static str = "functions";
    type Carrier = Committed;
}

/// Work was queued: every instance looks for due tasks at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskQueued {
    /// The task's kind.
    pub kind: String,
}

impl Topic for TaskQueued {
    const NAME: &'static str = "queue";
    type Carrier = Committed;
}
