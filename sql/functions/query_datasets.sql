CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a
   time: for each data ID the first RUN / TAGGED member holding it decides (as find with no
   time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb
   containment, e.g. '{"detector": 3}'). Ordered by data ID (interning order). This is how
   "certify all biases in this run" picks its datasets. A snapshot (revision 0014) holds
   its source's datasets and tags as of the snapshot's epoch.
   Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad
   value, or one of the other type than its dimension's; calib._canonical_where).
   Locks: none; read-only. */
/* Check both names up front: below, the planner may never evaluate the CTE that calls
   _collection (nothing to join with), and an unknown collection would pass silently. */
SELECT calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED']),
       calib._canonical_where(calib._dataset_type(p_dataset_type), p_where);
WITH chain AS (
    SELECT f.* FROM calib._flatten(
        (calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED'])).collection_id) AS f
), ty AS (
    SELECT * FROM calib._dataset_type(p_dataset_type)
), w AS (
    SELECT calib._canonical_where(calib._dataset_type(p_dataset_type), p_where) AS v
), snap AS (
    /* Snapshot members (revision 0014): their source's members as of the snapshot's
       epoch, each read at its member_epoch. */
    SELECT sp.rank AS ord, a.rank AS sub, a.member_id, a.member_type, a.member_epoch
    FROM calib.search_path AS sp
    CROSS JOIN LATERAL calib._search_path_as_of(sp.snapshot_of, sp.snapshot_epoch) AS a
    WHERE sp.collection_id = (calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED'])).collection_id
      AND sp.snapshot_epoch IS NOT NULL
), m AS (
    SELECT ch.ord, 0::bigint AS sub, d.dataset_id, d.data_id_key
    FROM chain AS ch JOIN calib.dataset AS d ON d.run_id = ch.collection_id
    WHERE ch.type = 'RUN' AND d.dataset_type_id = (SELECT dataset_type_id FROM ty)
    UNION ALL
    SELECT ch.ord, 0::bigint, t.dataset_id, t.data_id_key
    FROM chain AS ch JOIN calib.tag AS t ON t.collection_id = ch.collection_id
    WHERE ch.type = 'TAGGED' AND t.dataset_type_id = (SELECT dataset_type_id FROM ty)
    UNION ALL
    SELECT sn.ord, sn.sub, d.dataset_id, d.data_id_key
    FROM snap AS sn JOIN calib.dataset_version AS d ON d.run_id = sn.member_id
    WHERE sn.member_type = 'RUN' AND d.dataset_type_id = (SELECT dataset_type_id FROM ty)
      AND calib._visible(d.created_change, d.removed_change, sn.member_epoch)
    UNION ALL
    SELECT sn.ord, sn.sub, t.dataset_id, t.data_id_key
    FROM snap AS sn JOIN calib.tag_version AS t ON t.collection_id = sn.member_id
    WHERE sn.member_type = 'TAGGED' AND t.dataset_type_id = (SELECT dataset_type_id FROM ty)
      AND calib._visible(t.created_change, t.removed_change, sn.member_epoch)
), firsts AS (
    SELECT DISTINCT ON (m.data_id_key) m.dataset_id, m.data_id_key FROM m
    ORDER BY m.data_id_key, m.ord, m.sub
)
SELECT f.dataset_id, (SELECT name FROM ty), di.value, r.name
FROM firsts AS f
JOIN calib.data_id AS di ON di.data_id_key = f.data_id_key
JOIN calib.dataset AS d ON d.dataset_id = f.dataset_id
JOIN calib.collection AS r ON r.collection_id = d.run_id
WHERE p_where IS NULL OR di.value @> (SELECT v FROM w)
ORDER BY f.data_id_key
$$;

CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* query_datasets with the where clause as JSON text (a driver binding text): parsed by
   calib._json_text (KC016 if it is not JSON). No default: a two-argument call keeps
   reaching the typed form. */
SELECT * FROM calib.query_datasets(p_collection, p_dataset_type, calib._json_text(p_where, 'where'))
$$;

CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where jsonb, p_as_of bigint)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* query_datasets as of epoch p_as_of (NULL: now, the three-argument form): the same rule
   (for each data ID the first RUN / TAGGED member of the search path holding it decides)
   applied to the collections, chains, datasets and tags visible then (a snapshot member
   read at its own epoch: calib._search_path_as_of's member_epoch); each dataset's RUN by
   the name it had then.
   Arguments: as query_datasets; p_as_of an epoch (calib.current_epoch()).
   Locks: none; read-only.
   Errors: as query_datasets, KC002 for a collection missing at that epoch; KC015
   as_of_range. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll integer;
    v_type calib.dataset_type;
    v_where jsonb;
BEGIN
    IF v_epoch IS NULL THEN
        RETURN QUERY SELECT * FROM calib.query_datasets(p_collection, p_dataset_type, p_where);
        RETURN;
    END IF;
    v_coll := calib._collection_as_of(p_collection, v_epoch, ARRAY['RUN', 'TAGGED', 'CHAINED']);
    v_type := calib._dataset_type(p_dataset_type);
    v_where := calib._canonical_where(v_type, p_where);
    RETURN QUERY
    WITH m AS (
        SELECT p.rank, d.dataset_id, d.data_id_key
        FROM calib._search_path_as_of(v_coll, v_epoch) AS p
        JOIN calib.dataset_version AS d ON d.run_id = p.member_id
        WHERE p.member_type = 'RUN' AND d.dataset_type_id = v_type.dataset_type_id
          AND calib._visible(d.created_change, d.removed_change, p.member_epoch)
        UNION ALL
        SELECT p.rank, t.dataset_id, t.data_id_key
        FROM calib._search_path_as_of(v_coll, v_epoch) AS p
        JOIN calib.tag_version AS t ON t.collection_id = p.member_id
        WHERE p.member_type = 'TAGGED' AND t.dataset_type_id = v_type.dataset_type_id
          AND calib._visible(t.created_change, t.removed_change, p.member_epoch)
    ), firsts AS (
        SELECT DISTINCT ON (m.data_id_key) m.dataset_id, m.data_id_key
        FROM m ORDER BY m.data_id_key, m.rank
    )
    SELECT f.dataset_id, v_type.name, di.value,
           (SELECT r.name FROM calib.dataset_version AS d
            JOIN calib.collection_version AS r ON r.collection_id = d.run_id
            WHERE d.dataset_id = f.dataset_id
              AND calib._visible(d.created_change, d.removed_change, v_epoch)
              AND calib._visible(r.created_change, r.removed_change, v_epoch)
            LIMIT 1)
    FROM firsts AS f
    JOIN calib.data_id AS di ON di.data_id_key = f.data_id_key
    WHERE v_where IS NULL OR di.value @> v_where
    ORDER BY f.data_id_key;
END
$$;
