-- An ORDER BY of ${SORT_ROWS} rows (a permutation of keys) into a new table.
-- @setup
CREATE TABLE o AS SELECT range AS id, (range * 2654435761) % 10000019 AS k, range % 1000 AS tag FROM range(${SORT_ROWS});
-- @timed
CREATE TABLE sorted AS SELECT * FROM o ORDER BY k;
-- @cleanup
DROP TABLE sorted;
