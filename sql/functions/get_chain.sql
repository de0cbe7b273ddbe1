CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text)
RETURNS text[]
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The direct children of CHAINED collection p_parent, in order. A snapshot of a chain
   (revision 0014): its source's children as they were at the snapshot's epoch
   (calib._chain_as_of).
   Errors: KC002 unknown collection, KC003 not CHAINED.
   Locks: none. Read-only. */
DECLARE
    v_parent integer := (calib._collection(p_parent, ARRAY['CHAINED'])).collection_id;
BEGIN
    IF EXISTS (SELECT FROM calib.snapshot AS s WHERE s.collection_id = v_parent) THEN
        RETURN calib._chain_as_of(v_parent, NULL);
    END IF;
    RETURN coalesce((
        SELECT array_agg(c.name ORDER BY ch.position)
        FROM calib.collection_chain AS ch
        JOIN calib.collection AS c ON c.collection_id = ch.child_id
        WHERE ch.parent_id = v_parent), ARRAY[]::text[]);
END
$$;

CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text, p_as_of bigint)
RETURNS text[]
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* get_chain as of epoch p_as_of (NULL: now): the children chain p_parent had then, by the
   names they had then (calib._chain_as_of).
   Errors: as get_chain; KC015 as_of_range; KC002 for a chain that did not exist then. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
BEGIN
    IF v_epoch IS NULL THEN
        RETURN calib.get_chain(p_parent);
    END IF;
    RETURN calib._chain_as_of(calib._collection_as_of(p_parent, v_epoch, ARRAY['CHAINED']), v_epoch);
END
$$;
