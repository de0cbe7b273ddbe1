CREATE OR REPLACE FUNCTION calib._canonical_data_ids(p_type calib.dataset_type, p_data_ids jsonb[])
RETURNS jsonb[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* Validate data IDs against a dataset type and return them canonical, in input order.
   A data ID is a JSON object whose keys are exactly the type's dimensions and whose values
   are strings or integers in the bigint range; integral numbers written with a fraction
   (1.0) are rewritten as integers so that equal data IDs are equal jsonb.
   Set-based: one statement finds the first bad item, one rewrites the rare non-canonical.
   Error: KC008 naming the dataset type, the data ID and what is wrong with it. */
DECLARE
    v_dims text[] := ARRAY(SELECT unnest(p_type.dimensions) ORDER BY 1);
    v_bad record;
    v_missing text[];
    v_extra text[];
BEGIN
    IF p_data_ids IS NULL THEN
        PERFORM calib._raise('KC015', 'data IDs must not be NULL',
                             jsonb_build_object('kind', 'argument_null', 'what', 'data IDs'));
    END IF;
    SELECT u.ord, u.d INTO v_bad
    FROM unnest(p_data_ids) WITH ORDINALITY AS u(d, ord)
    WHERE CASE
        WHEN u.d IS NULL OR jsonb_typeof(u.d) <> 'object' THEN true
        WHEN ARRAY(SELECT jsonb_object_keys(u.d) ORDER BY 1) <> v_dims THEN true
        ELSE EXISTS (
            SELECT FROM jsonb_each(u.d) AS e
            WHERE CASE jsonb_typeof(e.value)
                WHEN 'string' THEN false
                WHEN 'number' THEN e.value::numeric <> trunc(e.value::numeric)
                    OR e.value::numeric NOT BETWEEN -9223372036854775808 AND 9223372036854775807
                ELSE true
            END)
    END
    ORDER BY u.ord
    LIMIT 1;
    IF FOUND THEN
        IF v_bad.d IS NULL OR jsonb_typeof(v_bad.d) <> 'object' THEN
            PERFORM calib._raise('KC008',
                format('data ID %s for dataset type %L is not a JSON object',
                       coalesce(v_bad.d::text, 'NULL'), p_type.name),
                jsonb_build_object('kind', CASE WHEN v_bad.d IS NULL THEN 'data_id_null'
                                                ELSE 'data_id_not_object' END,
                                   'dataset_type', p_type.name, 'data_id', v_bad.d));
        END IF;
        v_missing := ARRAY(SELECT unnest(v_dims) EXCEPT SELECT jsonb_object_keys(v_bad.d) ORDER BY 1);
        v_extra := ARRAY(SELECT jsonb_object_keys(v_bad.d) EXCEPT SELECT unnest(v_dims) ORDER BY 1);
        IF cardinality(v_missing) > 0 OR cardinality(v_extra) > 0 THEN
            PERFORM calib._raise('KC008',
                format('data ID %s does not match the dimensions (%s) of dataset type %L%s%s',
                       v_bad.d, array_to_string(p_type.dimensions, ', '), p_type.name,
                       CASE WHEN cardinality(v_missing) > 0
                            THEN '; missing ' || array_to_string(v_missing, ', ') ELSE '' END,
                       CASE WHEN cardinality(v_extra) > 0
                            THEN '; unexpected ' || array_to_string(v_extra, ', ') ELSE '' END),
                jsonb_build_object('kind', 'data_id_dimensions',
                                   'dataset_type', p_type.name, 'data_id', v_bad.d,
                                   'dimensions', to_jsonb(p_type.dimensions),
                                   'missing', to_jsonb(v_missing), 'unexpected', to_jsonb(v_extra)));
        END IF;
        PERFORM calib._raise('KC008',
            format('data ID %s for dataset type %L has a value that is neither a string nor '
                   'a 64-bit integer', v_bad.d, p_type.name),
            jsonb_build_object('kind', 'data_id_value', 'dataset_type', p_type.name,
                               'data_id', v_bad.d));
    END IF;
    /* jsonb prints an integral number without '.' canonically; only "1.0"-style values need
       rewriting, and only data IDs whose text has a '.' can contain one. */
    RETURN ARRAY(
        SELECT CASE WHEN strpos(u.d::text, '.') = 0 THEN u.d
               ELSE (SELECT jsonb_object_agg(e.key,
                         CASE WHEN jsonb_typeof(e.value) = 'number'
                              THEN to_jsonb(e.value::numeric::bigint) ELSE e.value END)
                     FROM jsonb_each(u.d) AS e)
               END
        FROM unnest(p_data_ids) WITH ORDINALITY AS u(d, ord)
        ORDER BY u.ord);
END
$$;
