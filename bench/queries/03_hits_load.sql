-- Loading the hits CSV file into an in-memory table.
-- @timed
CREATE TABLE hits AS SELECT * FROM 'hits.csv';
-- @cleanup
DROP TABLE hits;
