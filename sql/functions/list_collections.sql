CREATE OR REPLACE FUNCTION calib.list_collections(p_type text DEFAULT NULL)
RETURNS TABLE (name text, type text, doc text, state text, writers text[])
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Every collection (optionally of one type: RUN, TAGGED, CALIBRATION or CHAINED, any
   case), by name, with its state (OPEN, APPEND_ONLY, FROZEN) and writer list (NULL: every
   certifier).
   Locks: none; read-only.
   Errors: none of its own. */
SELECT c.name, c.type, c.doc, c.state, c.writers
FROM calib.collection AS c
WHERE p_type IS NULL OR c.type = upper(p_type)
ORDER BY c.name
$$;

CREATE OR REPLACE FUNCTION calib.list_collections(p_type text, p_as_of bigint)
RETURNS TABLE (name text, type text, doc text, state text, writers text[])
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* list_collections as of epoch p_as_of (NULL: now, the one-argument form): every
   collection that existed then, with its name, type, state and writer list then
   (calib.collection_version). A collection's doc has no history: its current doc, NULL
   for a collection removed since.
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
    SELECT v.name, v.type, c.doc, v.state, v.writers
    FROM calib.collection_version AS v
    LEFT JOIN calib.collection AS c ON c.collection_id = v.collection_id
    WHERE (p_type IS NULL OR v.type = upper(p_type))
      AND calib._visible(v.created_change, v.removed_change, v_epoch)
    ORDER BY v.name;
END
$$;
