-- COPY of the hits table (${HITS_ROWS} rows, loaded from the CSV file untimed) to a CSV file.
-- @setup
CREATE TABLE hits AS SELECT * FROM 'hits.csv';
-- @timed
COPY hits TO 'hits_copy.csv' (HEADER);
