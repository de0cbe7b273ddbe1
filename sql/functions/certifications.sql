CREATE OR REPLACE FUNCTION calib.certifications(p_collection text, p_dataset_type text DEFAULT NULL)
RETURNS TABLE (collection text, dataset_id uuid, dataset_type text, data_id jsonb, run text, validity tstzrange)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every certification in p_collection (through a chain: in every CALIBRATION member, in
   search order, each row naming the member it is stored in), optionally of one dataset
   type. Ordered by member, dataset type, data ID (interning order), begin.
   Errors: KC002 unknown collection, KC005 unknown dataset type.
   Locks: none; read-only. */
/* Check both names up front: in the query below the dataset-type check runs only for rows
   found, so an unknown type would pass silently on a collection without certifications. */
SELECT calib._collection(p_collection),
       CASE WHEN p_dataset_type IS NOT NULL THEN calib._dataset_type(p_dataset_type) END;
/* Snapshot members (revision 0014) hold no rows: theirs are their source's certifications
   as of the snapshot's epoch, through its chains as they were then (the second branch,
   which runs only for members with a snapshot_epoch). */
SELECT x.collection, x.dataset_id, x.dataset_type, x.data_id, x.run, x.validity
FROM (
    SELECT f.ord, 0::bigint AS sub, f.name AS collection, c.dataset_id, t.name AS dataset_type,
           c.data_id_key, di.value AS data_id, r.name AS run, c.validity
    FROM calib._flatten((calib._collection(p_collection)).collection_id) AS f
    JOIN calib.certification AS c ON c.collection_id = f.collection_id
    JOIN calib.dataset_type AS t ON t.dataset_type_id = c.dataset_type_id
    JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id
    JOIN calib.collection AS r ON r.collection_id = d.run_id
    WHERE f.type = 'CALIBRATION'
      AND (p_dataset_type IS NULL
           OR c.dataset_type_id = (calib._dataset_type(p_dataset_type)).dataset_type_id)
    UNION ALL
    SELECT sp.rank, a.rank, a.member_name, c.dataset_id, t.name, c.data_id_key, di.value,
           r.name, c.validity
    FROM calib.search_path AS sp
    CROSS JOIN LATERAL calib._search_path_as_of(sp.snapshot_of, sp.snapshot_epoch) AS a
    JOIN calib.certification_history AS c ON c.collection_id = a.member_id
    JOIN calib.dataset_type AS t ON t.dataset_type_id = c.dataset_type_id
    JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id
    JOIN calib.collection AS r ON r.collection_id = d.run_id
    WHERE sp.collection_id = (calib._collection(p_collection)).collection_id
      AND sp.snapshot_epoch IS NOT NULL AND a.member_type = 'CALIBRATION'
      AND calib._visible(c.created_change, c.removed_change, a.member_epoch)
      AND (p_dataset_type IS NULL
           OR c.dataset_type_id = (calib._dataset_type(p_dataset_type)).dataset_type_id)
) AS x
ORDER BY x.ord, x.sub, x.dataset_type, x.data_id_key, lower(x.validity) NULLS FIRST
$$;

CREATE OR REPLACE FUNCTION calib.certifications(p_collection text, p_dataset_type text, p_as_of bigint)
RETURNS TABLE (collection text, dataset_id uuid, dataset_type text, data_id jsonb, run text, validity tstzrange)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certifications as of epoch p_as_of (NULL: now): every certification p_collection held
   then, through its chains as they were then, each row naming the member it was in (a
   member reached through a snapshot: as of the snapshot's epoch, f.member_epoch).
   Errors: as certifications; KC015 as_of_range; KC002 for a collection that did not
   exist at that epoch. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll_id integer;
    v_type_id integer;
BEGIN
    IF v_epoch IS NULL THEN
        RETURN QUERY SELECT * FROM calib.certifications(p_collection, p_dataset_type);
        RETURN;
    END IF;
    v_coll_id := calib._collection_as_of(p_collection, v_epoch);
    IF p_dataset_type IS NOT NULL THEN
        v_type_id := (calib._dataset_type(p_dataset_type)).dataset_type_id;
    END IF;
    RETURN QUERY
    /* A dataset (or its RUN) that a revert removed since is still listed, named by its
       RUN's last name (read only then: coalesce is lazy). */
    SELECT f.member_name, c.dataset_id, t.name, di.value,
           coalesce(r.name, (SELECT n.name FROM calib.dataset_version AS dv
                             JOIN calib.collection_version AS n ON n.collection_id = dv.run_id
                             WHERE dv.dataset_id = c.dataset_id
                             ORDER BY n.created_change DESC LIMIT 1)), c.validity
    FROM calib._search_path_as_of(v_coll_id, v_epoch) AS f
    JOIN calib.certification_history AS c ON c.collection_id = f.member_id
    JOIN calib.dataset_type AS t ON t.dataset_type_id = c.dataset_type_id
    JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    LEFT JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id
    LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
    WHERE f.member_type = 'CALIBRATION'
      AND calib._visible(c.created_change, c.removed_change, f.member_epoch)
      AND (v_type_id IS NULL OR c.dataset_type_id = v_type_id)
    ORDER BY f.rank, t.name, c.data_id_key, lower(c.validity) NULLS FIRST;
END
$$;
