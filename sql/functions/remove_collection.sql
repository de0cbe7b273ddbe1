CREATE OR REPLACE FUNCTION calib.remove_collection(p_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Remove a TAGGED, CALIBRATION or CHAINED collection with its associations (tags,
   certifications, chain children); its datasets stay in their RUNs. A RUN may be removed
   only while it holds no dataset.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002 unknown, KC013 still a child of a chain / RUN with datasets.
   Locks: calib._lock_chains(), then the collection row. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection;
    v_parent text;
BEGIN
    PERFORM calib._operation('remove_collection');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('remove_collection');
        IF v_replay IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;
    /* Unknown: refused before the chain lock. After the replay above, so that a retried
       removal returns instead of finding the collection gone. */
    v_coll := calib._collection(p_name);
    IF calib._lock_chains() IS NULL THEN END IF;
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_coll := calib._collection(p_name);
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'remove_collection') IS NULL THEN END IF;
    SELECT p.name INTO v_parent
    FROM calib.collection_chain AS ch JOIN calib.collection AS p ON p.collection_id = ch.parent_id
    WHERE ch.child_id = v_coll.collection_id
    ORDER BY p.name LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC013',
            format('collection %L is still a child of chain %L', p_name, v_parent),
            jsonb_build_object('kind', 'collection_in_chain', 'collection', p_name,
                               'parent', v_parent)) IS NULL THEN END IF;
    END IF;
    IF v_coll.type = 'RUN' AND EXISTS (SELECT FROM calib.dataset WHERE run_id = v_coll.collection_id) THEN
        IF calib._raise('KC013',
            format('RUN collection %L still holds datasets; datasets are never deleted', p_name),
            jsonb_build_object('kind', 'run_has_datasets', 'collection', p_name)) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.collection WHERE collection_id = v_coll.collection_id;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('remove_collection', NULL);
    END IF;
END
$$;
