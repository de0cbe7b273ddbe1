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
   exactly what find decided (tests/test_behaviour_explain.py compares the two on random
   cases).
   created_change: the change that created the matching certification, dataset (RUN) or
   tag version (calib.change; its epoch is NULL while uncommitted).
   Snapshots (revision 0016): a member is read at its member epoch, as find reads it. Now
   (p_epoch NULL), a snapshot member of the stored search path is replaced by its source's
   members as of the snapshot's epoch (calib._search_path_as_of, whose rows carry that
   epoch), as calib.probe's snapshot branch reads it; as of p_epoch, calib._search_path_as_of
   has done that replacement already, and each member's versions are read at its own
   member_epoch (a snapshot's, when reached through one), not at p_epoch. rank numbers the
   members after the replacement.
   Arguments: p_collection_id and p_data_id_key internal ids (a NULL key matches nothing),
   p_span the time (NULL skips CALIBRATION members: no matches), p_epoch a checked epoch
   (calib._as_of) or NULL for now.
   Locks: none; read-only.
   Errors: none of its own (calib.explain resolves names to ids first and raises).
   PL/pgSQL so that the statement is planned once per session. */
BEGIN
    RETURN QUERY
    WITH m AS (
        /* Now: the stored search path, a snapshot member replaced by its source's
           members as of its epoch (member_epoch NULL: the current tables). */
        SELECT row_number() OVER (ORDER BY sp.rank, a.rank) AS rank,
               coalesce(a.member_id, sp.member_id) AS member_id,
               coalesce(a.member_name, mc.name) AS member_name,
               coalesce(a.member_type, sp.member_type) AS member_type,
               a.member_epoch
        FROM calib.search_path AS sp
        JOIN calib.collection AS mc ON mc.collection_id = sp.member_id
        LEFT JOIN LATERAL (
            SELECT s.rank, s.member_id, s.member_name, s.member_type, s.member_epoch
            FROM calib._search_path_as_of(sp.snapshot_of, sp.snapshot_epoch) AS s
            WHERE sp.snapshot_epoch IS NOT NULL) AS a ON true
        WHERE p_epoch IS NULL AND sp.collection_id = p_collection_id
          AND (sp.snapshot_epoch IS NULL OR a.member_id IS NOT NULL)
        UNION ALL
        /* As of p_epoch: the path as it was, every member with its own epoch. */
        SELECT s.rank, s.member_id, s.member_name, s.member_type, s.member_epoch
        FROM calib._search_path_as_of(p_collection_id, p_epoch) AS s
        WHERE p_epoch IS NOT NULL
    )
    SELECT m.rank, m.member_id, m.member_name, m.member_type,
           x.dataset_id, x.validity, x.created_change
    FROM m
    LEFT JOIN LATERAL (
        /* Read now (member_epoch NULL): the current tables. */
        SELECT c.dataset_id, c.validity, c.created_change FROM calib.certification AS c
        WHERE m.member_epoch IS NULL AND m.member_type = 'CALIBRATION' AND p_span IS NOT NULL
          AND c.collection_id = m.member_id
          AND c.data_id_key = p_data_id_key
          AND c.validity && p_span
        UNION ALL
        SELECT d.dataset_id, NULL::tstzrange,
               (SELECT v.created_change FROM calib.dataset_version AS v
                WHERE v.dataset_id = d.dataset_id AND v.removed_change IS NULL)
        FROM calib.dataset AS d
        WHERE m.member_epoch IS NULL AND m.member_type = 'RUN'
          AND d.run_id = m.member_id
          AND d.data_id_key = p_data_id_key
        UNION ALL
        SELECT t.dataset_id, NULL::tstzrange,
               (SELECT v.created_change FROM calib.tag_version AS v
                WHERE v.collection_id = t.collection_id AND v.data_id_key = t.data_id_key
                  AND v.dataset_id = t.dataset_id AND v.removed_change IS NULL)
        FROM calib.tag AS t
        WHERE m.member_epoch IS NULL AND m.member_type = 'TAGGED'
          AND t.collection_id = m.member_id
          AND t.data_id_key = p_data_id_key
        UNION ALL
        /* Read as of its epoch: the versions visible then. */
        SELECT c.dataset_id, c.validity, c.created_change FROM calib.certification_history AS c
        WHERE m.member_epoch IS NOT NULL AND m.member_type = 'CALIBRATION' AND p_span IS NOT NULL
          AND c.collection_id = m.member_id
          AND c.data_id_key = p_data_id_key
          AND c.validity && p_span
          AND calib._visible(c.created_change, c.removed_change, m.member_epoch)
        UNION ALL
        SELECT d.dataset_id, NULL::tstzrange, d.created_change FROM calib.dataset_version AS d
        WHERE m.member_epoch IS NOT NULL AND m.member_type = 'RUN'
          AND d.run_id = m.member_id
          AND d.data_id_key = p_data_id_key
          AND calib._visible(d.created_change, d.removed_change, m.member_epoch)
        UNION ALL
        SELECT t.dataset_id, NULL::tstzrange, t.created_change FROM calib.tag_version AS t
        WHERE m.member_epoch IS NOT NULL AND m.member_type = 'TAGGED'
          AND t.collection_id = m.member_id
          AND t.data_id_key = p_data_id_key
          AND calib._visible(t.created_change, t.removed_change, m.member_epoch)) AS x ON true
    ORDER BY m.rank, lower(x.validity) NULLS FIRST, x.dataset_id;
END
$$;
