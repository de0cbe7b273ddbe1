CREATE OR REPLACE FUNCTION calib._collection(p_name text, p_types text[] DEFAULT NULL)
RETURNS calib.collection
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The collection named p_name; when p_types is given its type must be one of them.
   Errors: KC002 unknown collection, KC003 wrong type, KC015 NULL name. */
DECLARE
    v_row calib.collection;
BEGIN
    IF p_name IS NULL THEN
        IF calib._raise('KC015', 'collection name must not be NULL',
                             jsonb_build_object('kind', 'argument_null', 'what', 'collection name')) IS NULL THEN END IF;
    END IF;
    /* Names are stored in NFC: look-alike spellings name the same collection. */
    p_name := normalize(p_name, NFC);
    SELECT * INTO v_row FROM calib.collection WHERE name = p_name;
    IF NOT FOUND THEN
        IF calib._raise('KC002', format('collection %L does not exist', p_name),
                             jsonb_build_object('kind', 'collection_missing', 'collection', p_name)) IS NULL THEN END IF;
    END IF;
    IF p_types IS NOT NULL AND v_row.type <> ALL (p_types) THEN
        IF calib._raise('KC003',
            format('collection %L is %s; expected %s', p_name, v_row.type,
                   array_to_string(p_types, ' or ')),
            jsonb_build_object('kind', 'collection_type', 'collection', p_name, 'type', v_row.type,
                               'expected', to_jsonb(p_types))) IS NULL THEN END IF;
    END IF;
    RETURN v_row;
END
$$;
