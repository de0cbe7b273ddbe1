CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Register a dataset type: its data IDs have exactly the keys p_dimensions (ordered,
   distinct names). Returns true if created, false if the same definition existed.
   Names are stored in Unicode NFC; at most 32 dimensions (with the 2000-byte limit of a
   data ID, no data ID can outgrow a btree entry).
   Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another
   definition; 55P03 lock timeout (kind lock_timeout).
   Locks: the new name in the unique index dataset_type_name_key: a second transaction
   registering the same new name waits for the first to end, bounded (calib._bound_waits;
   55P03, kind lock_timeout, wait dataset_type_name). */
DECLARE
    v_replay jsonb;
    v_existing calib.dataset_type;
    v_dim text;
    v_old text;
    v_created boolean;
BEGIN
    PERFORM calib._operation('register_dataset_type');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('register_dataset_type');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::boolean;
        END IF;
    END IF;
    /* Names are stored in NFC (calib._check_name), the dimension names too. */
    p_name := normalize(p_name, NFC);
    p_dimensions := CASE WHEN p_dimensions IS NOT NULL THEN ARRAY(SELECT normalize(u.d, NFC)
                          FROM unnest(p_dimensions) WITH ORDINALITY AS u(d, ord) ORDER BY u.ord) END;
    IF calib._check_name(p_name, 'dataset type name') IS NULL THEN END IF;
    IF p_dimensions IS NULL OR p_is_calibration IS NULL THEN
        IF calib._raise('KC015', 'dimensions and is_calibration must not be NULL',
                             jsonb_build_object('kind', 'dataset_type_definition_null',
                                                'dataset_type', p_name)) IS NULL THEN END IF;
    END IF;
    FOREACH v_dim IN ARRAY p_dimensions LOOP
        IF calib._check_name(v_dim, 'dimension name') IS NULL THEN END IF;
    END LOOP;
    IF cardinality(p_dimensions) <> (SELECT count(DISTINCT d) FROM unnest(p_dimensions) AS d) THEN
        IF calib._raise('KC015',
            format('dimensions of dataset type %L repeat a name: %s', p_name, p_dimensions),
            jsonb_build_object('kind', 'dimensions_repeated', 'dataset_type', p_name,
                               'dimensions', to_jsonb(p_dimensions))) IS NULL THEN END IF;
    END IF;
    IF cardinality(p_dimensions) > 32 THEN
        IF calib._raise('KC015',
            format('dataset type %L has %s dimensions; at most 32 are allowed', p_name,
                   cardinality(p_dimensions)),
            jsonb_build_object('kind', 'dimensions_count', 'dataset_type', p_name,
                               'count', cardinality(p_dimensions))) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.dataset_type (name, dimensions, is_calibration)
        VALUES (p_name, p_dimensions, p_is_calibration)
        ON CONFLICT ON CONSTRAINT dataset_type_name_key DO NOTHING;
        v_created := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('dataset_type_name',
            format('another transaction creating dataset type %L', p_name),
            jsonb_build_object('dataset_type', p_name)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_created THEN
        IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
            PERFORM calib._request_result('register_dataset_type', to_jsonb(true));
        END IF;
        RETURN true;
    END IF;
    SELECT * INTO v_existing FROM calib.dataset_type WHERE name = p_name;
    IF v_existing.dimensions <> p_dimensions OR v_existing.is_calibration <> p_is_calibration THEN
        IF calib._raise('KC010',
            format('dataset type %L already exists with dimensions %s, is_calibration=%s',
                   p_name, v_existing.dimensions, v_existing.is_calibration),
            jsonb_build_object('kind', 'dataset_type_exists_as', 'dataset_type', p_name,
                               'dimensions', to_jsonb(v_existing.dimensions),
                               'is_calibration', v_existing.is_calibration)) IS NULL THEN END IF;
    END IF;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('register_dataset_type', to_jsonb(false));
    END IF;
    RETURN false;
END
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions jsonb, p_is_calibration boolean DEFAULT true)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* register_dataset_type with the dimensions as one JSON array document of names
   ('["instrument", "detector"]', calib._names). */
SELECT calib.register_dataset_type(p_name, calib._names(p_dimensions, 'dimensions'),
                                   p_is_calibration)
$$;

CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions text, p_is_calibration text DEFAULT 'true')
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* register_dataset_type with every argument as text: the dimensions a JSON array or a
   PostgreSQL array literal, is_calibration a boolean's text. */
SELECT calib.register_dataset_type(
    p_name, calib._names(calib._document(p_dimensions, 'dimensions', false), 'dimensions'),
    calib._parse_boolean(p_is_calibration, 'is_calibration'))
$$;
