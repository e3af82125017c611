-- Out-of-core query 4: row_number over about 0.43 x ${ROWS} partitions; the rows are summed so that neither engine hands ${ROWS} rows to the caller.
-- @setup
CREATE TABLE t AS SELECT range AS id, (range * 2654435761) % ${K_MOD} AS k, (range * 7919) % ${ROWS} AS v, CAST(range % 1000 AS DOUBLE) * 0.25 AS amount, 'value ' || ((range * 31) % 1000003) || ' of the s column' AS s, make_timestamp(1600000000000000 + range * 1000000) AS ts FROM range(${ROWS});
-- @timed
SELECT count(*), sum(rn), sum(id) FROM (SELECT *, row_number() OVER (PARTITION BY k ORDER BY v) AS rn FROM t);
