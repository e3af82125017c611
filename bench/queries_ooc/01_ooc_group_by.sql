-- Out-of-core query 1: a GROUP BY with about 0.43 x ${ROWS} groups.
-- @setup
CREATE TABLE t AS SELECT range AS id, (range * 2654435761) % ${K_MOD} AS k, (range * 7919) % ${ROWS} AS v, CAST(range % 1000 AS DOUBLE) * 0.25 AS amount, 'value ' || ((range * 31) % 1000003) || ' of the s column' AS s, make_timestamp(1600000000000000 + range * 1000000) AS ts FROM range(${ROWS});
-- @timed
SELECT count(*), sum(c), sum(sa) FROM (SELECT k, sum(amount) AS sa, count(*) AS c FROM t GROUP BY k);
