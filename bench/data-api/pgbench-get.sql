-- pgbench script for bench/data-api/run.sh: the database side of "get by id", a primary-key
-- select on a table shaped like Hearth's class tables (run with -M prepared and -D rows=N).
\set id random(1, :rows)
SELECT object_id, created_at, updated_at, data FROM bench_items WHERE object_id = 'x' || lpad(:id::text, 9, '0');
