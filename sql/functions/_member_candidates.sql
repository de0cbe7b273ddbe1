CREATE OR REPLACE FUNCTION calib._member_candidates(p_collection_id integer, p_data_id_key integer, p_span tstzrange, p_epoch bigint)
RETURNS TABLE (rank bigint, member_id integer, member_name text, member_type text,
               dataset_id uuid, validity tstzrange, created_change bigint)
LANGUAGE plpgsql STABLE
ROWS 5
SET search_path = pg_catalog, pg_temp
AS $$
/* Every member of the search path of collection p_collection_id, in rank order, with every
   match it holds for data ID key p_data_id_key (calib.explain): one row per match, or one
   row with NULL dataset_id when it holds none. The matches are exactly those of the
   branches of calib.probe (p_epoch NULL: the current tables, the stored search path) and
   calib._probe_as_of (p_epoch: the versions visible then, calib._visible, along
   calib._search_path_as_of), predicate for predicate, but not cut to the first two of the
   first matching member: explain shows them all. Which member decides is not decided here:
   calib.explain asks calib.probe / calib._probe_as_of themselves, so that it explains
   exactly what find decided (tests/test_pg_explain.py compares the two on random cases).
   created_change: the change that created the matching certification, dataset (RUN) or
   tag version (calib.change; its epoch is NULL while uncommitted).
   Arguments: p_collection_id and p_data_id_key internal ids (a NULL key matches nothing),
   p_span the time (NULL skips CALIBRATION members: no matches), p_epoch a checked epoch
   (calib._as_of) or NULL for now.
   Locks: none; read-only.
   Errors: none of its own (calib.explain resolves names to ids first and raises).
   PL/pgSQL so that both statements are planned once per session. */
BEGIN
    IF p_epoch IS NULL THEN
        RETURN QUERY
        SELECT m.rank::bigint, m.member_id, mc.name, m.member_type,
               x.dataset_id, x.validity, x.created_change
        FROM calib.search_path AS m
        JOIN calib.collection AS mc ON mc.collection_id = m.member_id
        LEFT JOIN LATERAL (
            SELECT c.dataset_id, c.validity, c.created_change FROM calib.certification AS c
            WHERE m.member_type = 'CALIBRATION' AND p_span IS NOT NULL
              AND c.collection_id = m.member_id
              AND c.data_id_key = p_data_id_key
              AND c.validity && p_span
            UNION ALL
            SELECT d.dataset_id, NULL::tstzrange,
                   (SELECT v.created_change FROM calib.dataset_version AS v
                    WHERE v.dataset_id = d.dataset_id AND v.removed_change IS NULL)
            FROM calib.dataset AS d
            WHERE m.member_type = 'RUN'
              AND d.run_id = m.member_id
              AND d.data_id_key = p_data_id_key
            UNION ALL
            SELECT t.dataset_id, NULL::tstzrange,
                   (SELECT v.created_change FROM calib.tag_version AS v
                    WHERE v.collection_id = t.collection_id AND v.data_id_key = t.data_id_key
                      AND v.dataset_id = t.dataset_id AND v.removed_change IS NULL)
            FROM calib.tag AS t
            WHERE m.member_type = 'TAGGED'
              AND t.collection_id = m.member_id
              AND t.data_id_key = p_data_id_key) AS x ON true
        WHERE m.collection_id = p_collection_id
        ORDER BY m.rank, lower(x.validity) NULLS FIRST, x.dataset_id;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT m.rank, m.member_id, m.member_name, m.member_type,
           x.dataset_id, x.validity, x.created_change
    FROM calib._search_path_as_of(p_collection_id, p_epoch) AS m
    LEFT JOIN LATERAL (
        SELECT c.dataset_id, c.validity, c.created_change FROM calib.certification_history AS c
        WHERE m.member_type = 'CALIBRATION' AND p_span IS NOT NULL
          AND c.collection_id = m.member_id
          AND c.data_id_key = p_data_id_key
          AND c.validity && p_span
          AND calib._visible(c.created_change, c.removed_change, p_epoch)
        UNION ALL
        SELECT d.dataset_id, NULL::tstzrange, d.created_change FROM calib.dataset_version AS d
        WHERE m.member_type = 'RUN'
          AND d.run_id = m.member_id
          AND d.data_id_key = p_data_id_key
          AND calib._visible(d.created_change, d.removed_change, p_epoch)
        UNION ALL
        SELECT t.dataset_id, NULL::tstzrange, t.created_change FROM calib.tag_version AS t
        WHERE m.member_type = 'TAGGED'
          AND t.collection_id = m.member_id
          AND t.data_id_key = p_data_id_key
          AND calib._visible(t.created_change, t.removed_change, p_epoch)) AS x ON true
    ORDER BY m.rank, lower(x.validity) NULLS FIRST, x.dataset_id;
END
$$;
