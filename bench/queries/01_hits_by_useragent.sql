-- The seed's first query: a group by over about 1,000 strings of about 100 bytes, read straight
-- from the CSV file.
-- @timed
SELECT UserAgent, count(*) FROM 'hits.csv' GROUP BY UserAgent;
