CREATE OR REPLACE FUNCTION calib._data_id_value(
    p_dataset_type text, p_data_id jsonb, p_dimension text, p_value jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* One value of a data ID (p_data_id, of dataset type p_dataset_type, under dimension
   p_dimension), checked and returned canonical: a 64-bit integer (1.0 becomes 1), or a
   string of 1 to 255 characters in NFC holding no forbidden character
   (calib._forbidden_character). The one place the value rules live: calib._canonical_data_ids
   runs it to name what is wrong with a data ID, calib._canonical_where on each filter value.
   Errors: KC008 data_id_value (neither a string nor a 64-bit integer),
   data_id_value_length, data_id_value_character. */
DECLARE
    v_s text;
    v_char text;
BEGIN
    IF jsonb_typeof(p_value) NOT IN ('string', 'number')
       OR (jsonb_typeof(p_value) = 'number'
           AND (p_value::numeric <> trunc(p_value::numeric)
                OR p_value::numeric NOT BETWEEN -9223372036854775808
                                            AND 9223372036854775807)) THEN
        IF calib._raise('KC008',
            format('data ID %s for dataset type %L has a value that is neither a string nor '
                   'a 64-bit integer', p_data_id, p_dataset_type),
            jsonb_build_object('kind', 'data_id_value', 'dataset_type', p_dataset_type,
                               'data_id', p_data_id)) IS NULL THEN END IF;
    END IF;
    IF jsonb_typeof(p_value) = 'number' THEN
        RETURN to_jsonb(p_value::numeric::bigint);
    END IF;
    v_s := normalize(p_value #>> '{}', NFC);
    IF char_length(v_s) NOT BETWEEN 1 AND 255 THEN
        IF calib._raise('KC008',
            format('data ID value %L=%L for dataset type %L must be 1 to 255 characters '
                   'long (got %s)', p_dimension, left(v_s, 40), p_dataset_type,
                   char_length(v_s)),
            jsonb_build_object('kind', 'data_id_value_length', 'dataset_type', p_dataset_type,
                               'data_id', p_data_id, 'dimension', p_dimension, 'value', v_s,
                               'length', char_length(v_s))) IS NULL THEN END IF;
    END IF;
    v_char := calib._forbidden_character(v_s);
    IF v_char IS NOT NULL THEN
        IF calib._raise('KC008',
            format('data ID value %L=%L for dataset type %L contains a forbidden '
                   'character (%s)', p_dimension, v_s, p_dataset_type, v_char),
            jsonb_build_object('kind', 'data_id_value_character',
                               'dataset_type', p_dataset_type, 'data_id', p_data_id,
                               'dimension', p_dimension, 'value', v_s,
                               'character', v_char)) IS NULL THEN END IF;
    END IF;
    RETURN to_jsonb(v_s);
END
$$;
