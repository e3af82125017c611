-- Out-of-core query 3: a self-join of the table on its unique key.
-- @setup
CREATE TABLE t AS SELECT range AS id, (range * 2654435761) % ${K_MOD} AS k, (range * 7919) % ${ROWS} AS v, CAST(range % 1000 AS DOUBLE) * 0.25 AS amount, 'value ' || ((range * 31) % 1000003) || ' of the s column' AS s, make_timestamp(1600000000000000 + range * 1000000) AS ts FROM range(${ROWS});
-- @timed
SELECT count(*), sum(b.amount), max(b.s), max(b.ts) FROM t a JOIN t b ON a.id = b.id;
