-- sum over ${ROWS} in-memory BIGINTs.
-- @setup
CREATE TABLE t AS SELECT range AS x FROM range(${ROWS});
-- @timed
SELECT sum(x) FROM t;
