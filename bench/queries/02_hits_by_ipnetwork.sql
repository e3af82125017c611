-- The seed's second query: a group by over BIGINTs with about one group per three rows, read
-- straight from the CSV file; the result has about ${HITS_ROWS}/3 rows.
-- @timed
SELECT IPNetworkID, count(*) FROM 'hits.csv' GROUP BY IPNetworkID;
