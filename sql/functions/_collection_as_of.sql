CREATE OR REPLACE FUNCTION calib._collection_as_of(p_name text, p_epoch bigint, p_types text[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* calib._collection as of epoch p_epoch (checked by the caller: calib._as_of): the
   id of the collection that bore the name p_name then (calib.collection_version), with
   the same errors. A scalar, so that callers evaluate it as a plain expression (psql then
   prints no function source in the CONTEXT of its errors). A collection removed since, or a name reused since by another collection, is
   answered as it was.
   Errors: KC002 unknown collection (at that epoch), KC003 wrong type, KC015 NULL name. */
DECLARE
    v_row record;
BEGIN
    IF p_name IS NULL THEN
        IF calib._raise('KC015', 'collection name must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'collection name')) IS NULL THEN END IF;
    END IF;
    p_name := normalize(p_name, NFC);
    SELECT v.collection_id, v.name, v.type INTO v_row
    FROM calib.collection_version AS v
    WHERE v.name = p_name AND calib._visible(v.created_change, v.removed_change, p_epoch);
    IF NOT FOUND THEN
        IF calib._raise('KC002', format('collection %L did not exist at epoch %s', p_name, p_epoch),
            jsonb_build_object('kind', 'collection_missing_as_of', 'collection', p_name,
                               'as_of', p_epoch)) IS NULL THEN END IF;
    END IF;
    IF p_types IS NOT NULL AND v_row.type <> ALL (p_types) THEN
        IF calib._raise('KC003',
            format('collection %L is %s; expected %s', p_name, v_row.type,
                   array_to_string(p_types, ' or ')),
            jsonb_build_object('kind', 'collection_type', 'collection', p_name, 'type', v_row.type,
                               'expected', to_jsonb(p_types))) IS NULL THEN END IF;
    END IF;
    RETURN v_row.collection_id;
END
$$;
