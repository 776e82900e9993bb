-- Each claim of a queued task gets a lease of its own: renewing, finishing or giving up a task is
-- done only by the instance holding its current lease.

ALTER TABLE queue_tasks ADD COLUMN lease bigint;
