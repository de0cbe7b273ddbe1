-- Collection statistics on SQLite: the twin of sql/functions/collection_stats.sql, the same
-- columns with the same meaning (times as microseconds here, the unbounded sentinels
-- already turned into NULL; the backend, pyclient/calibcert/backends/sqlite/
-- collection_stats.py, makes them datetimes). One row per collection, by name.
SELECT c.name, c.type, c.state,
       coalesce(d.n, 0) AS datasets, coalesce(g.n, 0) AS tagged,
       coalesce(ce.n, 0) AS certifications, coalesce(ce.keys, 0) AS calibration_keys,
       coalesce(ce.open_ended, 0) AS open_ended,
       CASE WHEN ce.unbounded_begin = 0 THEN ce.earliest_begin END AS earliest_begin_us,
       CASE WHEN ce.open_ended = 0 THEN ce.latest_end END AS latest_end_us,
       coalesce(ch.n, 0) AS children
FROM collection AS c
LEFT JOIN (SELECT x.run_id, count(*) AS n FROM dataset AS x GROUP BY x.run_id) AS d
       ON d.run_id = c.collection_id
LEFT JOIN (SELECT x.collection_id, count(*) AS n FROM tag AS x GROUP BY x.collection_id) AS g
       ON g.collection_id = c.collection_id
LEFT JOIN (SELECT x.collection_id, count(*) AS n, count(DISTINCT x.data_id_key) AS keys,
                  sum(x.end_us = 9223372036854775807) AS open_ended,
                  sum(x.begin_us = -9223372036854775808) AS unbounded_begin,
                  min(x.begin_us) AS earliest_begin, max(x.end_us) AS latest_end
           FROM certification AS x GROUP BY x.collection_id) AS ce
       ON ce.collection_id = c.collection_id
LEFT JOIN (SELECT x.parent_id, count(*) AS n FROM collection_chain AS x
           GROUP BY x.parent_id) AS ch
       ON ch.parent_id = c.collection_id
ORDER BY c.name;
