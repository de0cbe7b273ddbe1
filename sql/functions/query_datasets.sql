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
