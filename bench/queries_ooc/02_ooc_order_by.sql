-- Out-of-core query 2: a sort of the whole table into a new table.
-- @setup
CREATE TABLE t AS SELECT range AS id, (range * 2654435761) % ${K_MOD} AS k, (range * 7919) % ${ROWS} AS v, CAST(range % 1000 AS DOUBLE) * 0.25 AS amount, 'value ' || ((range * 31) % 1000003) || ' of the s column' AS s, make_timestamp(1600000000000000 + range * 1000000) AS ts FROM range(${ROWS});
-- @timed
CREATE TABLE s AS SELECT * FROM t ORDER BY v, s;
-- @cleanup
DROP TABLE s;
