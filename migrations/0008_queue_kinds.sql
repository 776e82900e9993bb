-- Each kind of queued task is claimed on its own (as many as its free slots on an instance, the
-- earliest due first): the index leads with the kind, so that a large backlog of one kind costs
-- nothing to the claims of another.

DROP INDEX queue_tasks_due;
CREATE INDEX queue_tasks_kind_due ON queue_tasks (kind, run_at, id);
