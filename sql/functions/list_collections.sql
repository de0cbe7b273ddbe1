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
