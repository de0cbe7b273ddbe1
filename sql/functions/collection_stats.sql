CREATE OR REPLACE FUNCTION calib.collection_stats()
RETURNS TABLE (name text, type text, state text, datasets bigint, tagged bigint, certifications bigint,
               calibration_keys bigint, open_ended bigint, earliest_begin timestamptz,
               latest_end timestamptz, children bigint)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
/* Statistics of every collection, by name: its state (OPEN, APPEND_ONLY, FROZEN), datasets (RUN: the datasets it holds), tagged
   (TAGGED: tag rows), certifications, calibration_keys (distinct data IDs certified) and
   open_ended (certifications without an end) of a CALIBRATION collection, its
   earliest_begin and latest_end (NULL when some certification is unbounded on that side,
   or when there is none), children (CHAINED: direct children). A count that does not
   apply to the collection's type is 0. Each table is read once, grouped by collection.
   Arguments: none.
   Returns: one row per collection, ordered by name.
   Locks: none; read-only, one snapshot, runs on a hot standby.
   Errors: none of its own.

   jit = off: JIT compilation costs more than the grouped scans it would speed up
   (as for calib.check_integrity; bench/health.py). */
SELECT c.name, c.type, c.state,
       coalesce(d.n, 0), coalesce(g.n, 0), coalesce(ce.n, 0), coalesce(ce.keys, 0),
       coalesce(ce.open_ended, 0),
       CASE WHEN ce.unbounded_begin = 0 THEN ce.earliest_begin END,
       CASE WHEN ce.open_ended = 0 THEN ce.latest_end END,
       coalesce(ch.n, 0)
FROM calib.collection AS c
LEFT JOIN (SELECT x.run_id, count(*) AS n FROM calib.dataset AS x GROUP BY x.run_id) AS d
       ON d.run_id = c.collection_id
LEFT JOIN (SELECT x.collection_id, count(*) AS n FROM calib.tag AS x
           GROUP BY x.collection_id) AS g
       ON g.collection_id = c.collection_id
LEFT JOIN (SELECT x.collection_id, count(*) AS n, count(DISTINCT x.data_id_key) AS keys,
                  count(*) FILTER (WHERE upper_inf(x.validity)) AS open_ended,
                  count(*) FILTER (WHERE lower_inf(x.validity)) AS unbounded_begin,
                  min(lower(x.validity)) AS earliest_begin,
                  max(upper(x.validity)) AS latest_end
           FROM calib.certification AS x GROUP BY x.collection_id) AS ce
       ON ce.collection_id = c.collection_id
LEFT JOIN (SELECT x.parent_id, count(*) AS n FROM calib.collection_chain AS x
           GROUP BY x.parent_id) AS ch
       ON ch.parent_id = c.collection_id
ORDER BY c.name
$$;
