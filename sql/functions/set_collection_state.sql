CREATE OR REPLACE FUNCTION calib.set_collection_state(p_name text, p_state text)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Set the state of collection p_name: OPEN (every change allowed, the default), APPEND_ONLY
   (certify only at or after the latest begin of each calibration key, tag, insert_datasets,
   close_open and close_open_range; no decertify, untag, set_chain or removal) or FROZEN (no
   change at all, from any role, raw SQL included). Case-insensitive. Returns the previous
   state. Unfreezing (FROZEN to OPEN or APPEND_ONLY) is allowed to whoever may call this
   function (calib_admin): it is not itself refused by the state, nor by the writer list,
   which restricts changes of the collection's content, not its administration.
   Errors: KC002 unknown collection, KC015 NULL or unknown state, KC018 snapshot_frozen (a
   snapshot, calib.snapshot_collection, stays FROZEN).
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections): waits for the
   writers in flight, and a writer that comes after sees the new state. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_name);
    v_old text;
BEGIN
    PERFORM calib._operation('set_collection_state');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('set_collection_state');
        IF v_replay IS NOT NULL THEN
            RETURN v_replay ->> 'result';
        END IF;
    END IF;
    IF p_state IS NULL THEN
        IF calib._raise('KC015', 'collection state must not be NULL',
                        jsonb_build_object('kind', 'argument_null', 'what', 'collection state'))
            IS NULL THEN END IF;
    END IF;
    IF upper(p_state) NOT IN ('OPEN', 'APPEND_ONLY', 'FROZEN') THEN
        IF calib._raise('KC015',
            format('unknown collection state %L; expected OPEN, APPEND_ONLY or FROZEN', p_state),
            jsonb_build_object('kind', 'collection_state_unknown', 'state', p_state,
                               'collection', p_name)) IS NULL THEN END IF;
    END IF;
    IF upper(p_state) <> 'FROZEN'
       AND EXISTS (SELECT FROM calib.snapshot AS s WHERE s.collection_id = v_coll.collection_id) THEN
        IF calib._raise('KC018',
            format('collection %L is a snapshot: FROZEN by construction, it cannot become %s',
                   v_coll.name, upper(p_state)),
            jsonb_build_object('kind', 'snapshot_frozen', 'collection', v_coll.name,
                               'state', upper(p_state))) IS NULL THEN END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    SELECT c.state INTO v_old FROM calib.collection AS c
    WHERE c.collection_id = v_coll.collection_id;
    UPDATE calib.collection SET state = upper(p_state)
    WHERE collection_id = v_coll.collection_id AND state <> upper(p_state);
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('set_collection_state', to_jsonb(v_old));
    END IF;
    RETURN v_old;
END
$$;
