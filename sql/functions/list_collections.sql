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
