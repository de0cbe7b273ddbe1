CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text)
RETURNS text[]
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The direct children of CHAINED collection p_parent, in order.
   Errors: KC002 unknown collection, KC003 not CHAINED.
   Locks: none. Read-only. */
SELECT coalesce(array_agg(c.name ORDER BY ch.position), ARRAY[]::text[])
FROM calib.collection_chain AS ch
JOIN calib.collection AS c ON c.collection_id = ch.child_id
WHERE ch.parent_id = (calib._collection(p_parent, ARRAY['CHAINED'])).collection_id
$$;

CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text, p_as_of bigint)
RETURNS text[]
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* get_chain as of epoch p_as_of (NULL: now): the children chain p_parent had then, by the
   names they had then.
   Errors: as get_chain; KC015 as_of_range; KC002 for a chain that did not exist then. */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_parent integer;
BEGIN
    IF v_epoch IS NULL THEN
        RETURN calib.get_chain(p_parent);
    END IF;
    v_parent := calib._collection_as_of(p_parent, v_epoch, ARRAY['CHAINED']);
    RETURN coalesce((
        SELECT array_agg(c.name ORDER BY ch.position)
        FROM calib.chain_version AS ch
        JOIN calib.collection_version AS c ON c.collection_id = ch.child_id
             AND calib._visible(c.created_change, c.removed_change, v_epoch)
        WHERE ch.parent_id = v_parent
          AND calib._visible(ch.created_change, ch.removed_change, v_epoch)), ARRAY[]::text[]);
END
$$;
