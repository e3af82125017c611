-- A hash join of ${JOIN_PROBE_ROWS} probe rows with ${JOIN_BUILD_ROWS} build rows; every probe
-- row finds one match.
-- @setup
CREATE TABLE probe AS SELECT range AS id, (range * 7919) % ${JOIN_BUILD_ROWS} AS fk FROM range(${JOIN_PROBE_ROWS});
CREATE TABLE build AS SELECT range AS id, range * 2 AS val FROM range(${JOIN_BUILD_ROWS});
-- @timed
SELECT count(*), sum(b.val) FROM probe p JOIN build b ON p.fk = b.id;
