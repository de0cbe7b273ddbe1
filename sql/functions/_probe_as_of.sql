CREATE OR REPLACE FUNCTION calib._probe_as_of(p_collection_id integer, p_data_id_key integer, p_span tstzrange, p_as_of bigint)
RETURNS TABLE (member_id integer, dataset_id uuid, ambiguous boolean)
LANGUAGE sql STABLE
AS $$
/* calib.probe as of epoch p_as_of: the same rule (first member of the search path with any
   match for the data ID key decides; RUN and TAGGED members match by data ID, CALIBRATION
   members by certifications overlapping p_span; ambiguous = more than one match there),
   applied to the versions visible then (calib._visible) along the search path as it was
   then (calib._search_path_as_of). Kept next to calib.probe in shape, branch for branch:
   a change to the rule changes both (tests/test_pg_history.py compares them at the
   current epoch).
   Arguments: p_collection_id and p_data_id_key internal ids, p_span the time (NULL skips
   CALIBRATION members), p_as_of a checked epoch (calib._as_of).
   Locks: none; read-only.
   Errors: none of its own (callers resolve names to ids first and raise).

   Inline-only and SECURITY INVOKER like calib.probe: every name is schema-qualified. */
SELECT m.member_id, x.ids[1], x.ids[2] IS NOT NULL
FROM calib._search_path_as_of(p_collection_id, p_as_of) AS m
CROSS JOIN LATERAL (
    SELECT ARRAY(
        SELECT c.dataset_id FROM calib.certification_history AS c
        WHERE m.member_type OPERATOR(pg_catalog.=) 'CALIBRATION' AND p_span IS NOT NULL
          AND c.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND c.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND c.validity OPERATOR(pg_catalog.&&) p_span
          AND calib._visible(c.created_change, c.removed_change, p_as_of)
        UNION ALL
        SELECT d.dataset_id FROM calib.dataset_version AS d
        WHERE m.member_type OPERATOR(pg_catalog.=) 'RUN'
          AND d.run_id OPERATOR(pg_catalog.=) m.member_id
          AND d.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND calib._visible(d.created_change, d.removed_change, p_as_of)
        UNION ALL
        SELECT t.dataset_id FROM calib.tag_version AS t
        WHERE m.member_type OPERATOR(pg_catalog.=) 'TAGGED'
          AND t.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND t.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND calib._visible(t.created_change, t.removed_change, p_as_of)
        LIMIT 2) AS ids
    OFFSET 0) AS x
WHERE x.ids[1] IS NOT NULL
ORDER BY m.rank
LIMIT 1
$$;
