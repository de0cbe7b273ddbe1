CREATE OR REPLACE FUNCTION calib._chain_as_of(p_parent_id integer, p_epoch bigint)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The children of chain p_parent_id as of epoch p_epoch, by the names they had then (the
   as-of form of calib.get_chain); a snapshot's are its source's as of the snapshot's epoch
   (calib.snapshot; p_epoch is then not used).
   Arguments: p_parent_id a CHAINED collection's id (the caller resolved and checked it),
   p_epoch a checked epoch (calib._as_of).
   Returns: the names in chain order, an empty array for an empty chain.
   Locks: none; read-only.
   Errors: none of its own. Private. */
DECLARE
    v_snap calib.snapshot;
BEGIN
    SELECT * INTO v_snap FROM calib.snapshot AS s WHERE s.collection_id = p_parent_id;
    IF FOUND THEN
        p_parent_id := v_snap.source_id;
        p_epoch := v_snap.epoch;
    END IF;
    RETURN coalesce((
        SELECT array_agg(c.name ORDER BY ch.position)
        FROM calib.chain_version AS ch
        JOIN calib.collection_version AS c ON c.collection_id = ch.child_id
             AND calib._visible(c.created_change, c.removed_change, p_epoch)
        WHERE ch.parent_id = p_parent_id
          AND calib._visible(ch.created_change, ch.removed_change, p_epoch)), ARRAY[]::text[]);
END
$$;
