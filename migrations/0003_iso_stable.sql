-- hearth_fn.iso formats with to_char, which is STABLE (it reads settings), so declaring the
-- function IMMUTABLE kept PostgreSQL from inlining it: every call parsed and planned the body
-- again. STABLE is the truth and lets the planner inline it into the calling query.
CREATE OR REPLACE FUNCTION hearth_fn.iso(t timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
