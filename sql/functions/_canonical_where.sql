CREATE OR REPLACE FUNCTION calib._canonical_where(p_type calib.dataset_type, p_where jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* The filter of query_datasets ({"detector": 3}: some dimensions and their values),
   checked and canonical as calib._canonical_data_ids does a data ID, except that its keys
   may be any subset of the dimensions (a key that is none, e.g. a misspelt "detectr", is
   an error, not an empty result; revision 0011): a JSON object;
   values strings of 1-255 characters, none forbidden, or 64-bit integers; keys and strings
   in NFC, 1.0 as 1; a value of the other type than its dimension's (calib.dimension) is
   refused, so a wrong-typed filter is an error, not an empty result. NULL: no filter.
   Error: KC008 (p_where named as the data ID). */
DECLARE
    v_extra text[];
    v_out jsonb := '{}';
    v_e record;
    v_type text;
BEGIN
    IF p_where IS NULL THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_where) <> 'object' THEN
        IF calib._raise('KC008',
            format('data ID %s for dataset type %L is not a JSON object', p_where, p_type.name),
            jsonb_build_object('kind', 'data_id_not_object', 'dataset_type', p_type.name,
                               'data_id', p_where)) IS NULL THEN END IF;
    END IF;
    v_extra := ARRAY(SELECT normalize(k, NFC) FROM jsonb_object_keys(p_where) AS k
                     WHERE normalize(k, NFC) <> ALL (p_type.dimensions)
                     ORDER BY normalize(k, NFC) COLLATE "C");
    IF cardinality(v_extra) > 0 THEN
        IF calib._raise('KC008',
            format('data ID %s does not match the dimensions (%s) of dataset type %L; '
                   'unexpected %s', p_where, array_to_string(p_type.dimensions, ', '),
                   p_type.name, array_to_string(v_extra, ', ')),
            jsonb_build_object('kind', 'data_id_dimensions', 'dataset_type', p_type.name,
                               'data_id', p_where, 'dimensions', to_jsonb(p_type.dimensions),
                               'missing', '[]'::jsonb, 'unexpected', to_jsonb(v_extra)))
           IS NULL THEN END IF;
    END IF;
    FOR v_e IN SELECT normalize(e.key, NFC) AS key, e.value FROM jsonb_each(p_where) AS e
               ORDER BY normalize(e.key, NFC) COLLATE "C" LOOP
        v_out := v_out || jsonb_build_object(
            v_e.key, calib._data_id_value(p_type.name, p_where, v_e.key, v_e.value));
    END LOOP;
    FOR v_e IN SELECT e.key, e.value, d.value_type FROM jsonb_each(v_out) AS e
               JOIN calib.dimension AS d ON d.name = e.key
               ORDER BY e.key COLLATE "C" LOOP
        v_type := CASE jsonb_typeof(v_e.value) WHEN 'string' THEN 'string' ELSE 'integer' END;
        IF v_e.value_type <> v_type THEN
            IF calib._raise('KC008',
                format('data ID %s for dataset type %L: dimension %L holds %s values, not %s',
                       p_where, p_type.name, v_e.key, v_e.value_type, v_e.value),
                jsonb_build_object('kind', 'data_id_value_type', 'dataset_type', p_type.name,
                                   'data_id', p_where, 'dimension', v_e.key,
                                   'value_type', v_e.value_type, 'value', v_e.value)) IS NULL THEN END IF;
        END IF;
    END LOOP;
    RETURN v_out;
END
$$;
