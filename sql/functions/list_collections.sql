CREATE OR REPLACE FUNCTION calib.list_collections(p_type text DEFAULT NULL)
RETURNS TABLE (name text, type text, doc text, state text, writers text[],
               snapshot_of text, snapshot_epoch bigint)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every collection (optionally of one type: RUN, TAGGED, CALIBRATION or CHAINED, any
   case), by name, with its state (OPEN, APPEND_ONLY, FROZEN) and writer list (NULL: every
   certifier). A snapshot (calib.snapshot_collection, revision 0014) has the type of its
   source and names it: snapshot_of (the source's name at the snapshot's epoch, which it
   may no longer bear) and snapshot_epoch; both NULL for every other collection.
   Locks: none; read-only.
   Errors: none of its own. */
SELECT c.name, c.type, c.doc, c.state, c.writers, src.name, s.epoch
FROM calib.collection AS c
LEFT JOIN calib.snapshot AS s ON s.collection_id = c.collection_id
LEFT JOIN LATERAL (SELECT v.name FROM calib.collection_version AS v
                   WHERE v.collection_id = s.source_id
                     AND calib._visible(v.created_change, v.removed_change, s.epoch)) AS src ON true
WHERE p_type IS NULL OR c.type = upper(p_type)
ORDER BY c.name
$$;

CREATE OR REPLACE FUNCTION calib.list_collections(p_type text, p_as_of bigint)
RETURNS TABLE (name text, type text, doc text, state text, writers text[],
               snapshot_of text, snapshot_epoch bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* list_collections as of epoch p_as_of (NULL: now, the one-argument form): every
   collection that existed then, with its name, type, state and writer list then
   (calib.collection_version), a snapshot with its source and epoch. A collection's doc
   has no history: its current doc, NULL for a collection removed since.
   Arguments: p_type (as list_collections), p_as_of an epoch (calib.current_epoch()).
   Locks: none; read-only.
   Errors: KC015 as_of_range. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
BEGIN
    IF v_epoch IS NULL THEN
        RETURN QUERY SELECT * FROM calib.list_collections(p_type);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT v.name, v.type, c.doc, v.state, v.writers, src.name, s.epoch
    FROM calib.collection_version AS v
    LEFT JOIN calib.collection AS c ON c.collection_id = v.collection_id
    LEFT JOIN calib.snapshot AS s ON s.collection_id = v.collection_id
    LEFT JOIN LATERAL (SELECT w.name FROM calib.collection_version AS w
                       WHERE w.collection_id = s.source_id
                         AND calib._visible(w.created_change, w.removed_change, s.epoch)) AS src
        ON true
    WHERE (p_type IS NULL OR v.type = upper(p_type))
      AND calib._visible(v.created_change, v.removed_change, v_epoch)
    ORDER BY v.name;
END
$$;
