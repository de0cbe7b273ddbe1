CREATE OR REPLACE FUNCTION calib.register_collection(p_name text, p_type text, p_doc text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Register a collection. p_type is RUN, TAGGED, CALIBRATION or CHAINED (any case).
   Returns true if it was created, false if it existed with the same type (a no-op; the
   stored doc is kept). Concurrent registrations of one name are safe (ON CONFLICT).
   The name is stored in Unicode NFC.
   Errors: KC014 bad name, KC015 unknown type / NULL, KC010 exists with another type.
   Locks: the new name in the unique index collection_name_key: a second transaction
   registering the same new name waits for the first to end, bounded (calib._bound_waits;
   55P03, kind lock_timeout, wait collection_name). */
DECLARE
    v_replay jsonb;
    v_type text := upper(p_type);
    v_existing text;
    v_old text;
    v_created boolean;
BEGIN
    PERFORM calib._operation('register_collection');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('register_collection');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::boolean;
        END IF;
    END IF;
    p_name := normalize(p_name, NFC);  -- names are stored in NFC (calib._check_name)
    IF calib._check_name(p_name, 'collection name') IS NULL THEN END IF;
    IF v_type IS NULL OR v_type NOT IN ('RUN', 'TAGGED', 'CALIBRATION', 'CHAINED') THEN
        IF calib._raise('KC015',
            format('unknown collection type %L; expected RUN, TAGGED, CALIBRATION or CHAINED', p_type),
            jsonb_build_object('kind', 'collection_type_unknown', 'collection', p_name,
                               'type', p_type)) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.collection (name, type, doc) VALUES (p_name, v_type, p_doc)
        ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING;
        v_created := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection_name',
            format('another transaction creating collection %L', p_name),
            jsonb_build_object('collection', p_name)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_created THEN
        IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
            PERFORM calib._request_result('register_collection', to_jsonb(true));
        END IF;
        RETURN true;
    END IF;
    SELECT type INTO v_existing FROM calib.collection WHERE name = p_name;
    IF v_existing <> v_type THEN
        IF calib._raise('KC010',
            format('collection %L already exists as %s, not %s', p_name, v_existing, v_type),
            jsonb_build_object('kind', 'collection_exists_as', 'collection', p_name,
                               'type', v_existing, 'requested', v_type)) IS NULL THEN END IF;
    END IF;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('register_collection', to_jsonb(false));
    END IF;
    RETURN false;
END
$$;
