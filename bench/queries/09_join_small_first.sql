-- The hash join of 06_join written with the small table first: the engine has to pick the
-- ${JOIN_BUILD_ROWS}-row side as its build side itself.
-- @setup
CREATE TABLE probe AS SELECT range AS id, (range * 7919) % ${JOIN_BUILD_ROWS} AS fk FROM range(${JOIN_PROBE_ROWS});
CREATE TABLE build AS SELECT range AS id, range * 2 AS val FROM range(${JOIN_BUILD_ROWS});
-- @timed
SELECT count(*), sum(b.val) FROM build b JOIN probe p ON p.fk = b.id;
