-- A hash aggregate with ${GROUP_COUNT} groups over ${ROWS} rows (keys scattered: consecutive rows fall
-- into different groups). The outer aggregate keeps the result to one row, so the figure is
-- that of the hash aggregate and not of handing a million rows to the caller.
-- @setup
CREATE TABLE g AS SELECT range AS v, (range * 7919) % ${GROUP_COUNT} AS k FROM range(${ROWS});
-- @timed
SELECT count(*), sum(s) FROM (SELECT k, sum(v) AS s FROM g GROUP BY k);
