-- Out-of-core query 6: join, aggregate with a VARCHAR state and sort, all larger than the limit; summed on the way out (max(ms) keeps the VARCHAR aggregate: an engine may drop an aggregate nobody reads).
-- @setup
CREATE TABLE t AS SELECT range AS id, (range * 2654435761) % ${K_MOD} AS k, (range * 7919) % ${ROWS} AS v, CAST(range % 1000 AS DOUBLE) * 0.25 AS amount, 'value ' || ((range * 31) % 1000003) || ' of the s column' AS s, make_timestamp(1600000000000000 + range * 1000000) AS ts FROM range(${ROWS});
-- @timed
SELECT count(*), sum(n), sum(total), max(ms) FROM (SELECT a.k, count(*) AS n, sum(b.amount) AS total, max(b.s) AS ms FROM t a JOIN t b ON a.id = b.id GROUP BY a.k ORDER BY total DESC, a.k);
