CREATE OR REPLACE FUNCTION calib._canonical_data_ids(p_type calib.dataset_type, p_data_ids jsonb[])
RETURNS jsonb[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* Validate data IDs against a dataset type and return them canonical, in input order.
   A data ID is a JSON object whose keys are exactly the type's dimensions and whose values
   are strings or integers in the bigint range. Canonical: keys and string values in Unicode
   NFC, integral numbers written with a fraction (1.0) as integers, so that equal data IDs
   are equal jsonb. The rules (the same as calibcert.types.canonical_data_id, README "Names
   and data-ID values"): a string value has 1-255 characters, none forbidden
   (calib._forbidden_character); a value has its dimension's type, integer or string, where
   calib.dimension has fixed it (first use, calib._fix_dimensions); the data ID as canonical
   JSON without whitespace is at most 2000 bytes of UTF-8.
   Set-based: one statement normalises (only data IDs whose text is not plain printable
   ASCII, or holds a '.' or a long or empty string, need it), one finds the first bad item;
   only then is that item examined check by check, in the order the errors are listed.
   Error: KC008 naming the dataset type, the data ID and what is wrong with it (KC015 for a
   NULL array). */
DECLARE
    v_dims text[] := ARRAY(SELECT unnest(p_type.dimensions) COLLATE "C" ORDER BY 1);
    v_types jsonb := (SELECT coalesce(jsonb_object_agg(d.name, d.value_type), '{}')
                      FROM calib.dimension AS d WHERE d.name = ANY (p_type.dimensions));
    v_canon jsonb[];
    v_plain boolean[];
    v_bad bigint;
    v_d jsonb;
    v_c jsonb;
    v_e record;
    v_size integer;
    v_missing text[];
    v_extra text[];
BEGIN
    IF p_data_ids IS NULL THEN
        IF calib._raise('KC015', 'data IDs must not be NULL',
                             jsonb_build_object('kind', 'argument_null', 'what', 'data IDs')) IS NULL THEN END IF;
    END IF;
    /* A plain data ID is printable ASCII without backslash (so no escaped control
       character), without "" (so no empty string) and short enough that none of its strings
       can be longer than 255: its strings are valid, in NFC, and it is far below 2000
       bytes. Without a '.' (no 1.0) it is canonical already. Its text is made once. */
    SELECT array_agg(n.c ORDER BY n.ord), array_agg(n.plain ORDER BY n.ord)
    INTO v_canon, v_plain
    FROM (
        SELECT u.ord, x.plain, CASE
            WHEN u.d IS NULL OR jsonb_typeof(u.d) <> 'object' THEN u.d
            WHEN x.plain AND strpos(tx.t, '.') = 0 THEN u.d
            ELSE (SELECT jsonb_object_agg(normalize(e.key, NFC),
                     CASE jsonb_typeof(e.value)
                         WHEN 'string' THEN to_jsonb(normalize(e.value #>> '{}', NFC))
                         WHEN 'number' THEN
                             CASE WHEN e.value::numeric = trunc(e.value::numeric)
                                   AND e.value::numeric BETWEEN -9223372036854775808
                                                            AND 9223372036854775807
                                  THEN to_jsonb(e.value::numeric::bigint) ELSE e.value END
                         ELSE e.value END)
                  FROM jsonb_each(u.d) AS e)
            END AS c
        FROM unnest(p_data_ids) WITH ORDINALITY AS u(d, ord)
        CROSS JOIN LATERAL (SELECT u.d::text AS t) AS tx
        CROSS JOIN LATERAL (
            SELECT octet_length(tx.t) <= 257 AND tx.t ~ E'^[ -\\[\\]-~]*$'
                   AND strpos(tx.t, '""') = 0 AS plain) AS x
    ) AS n;
    v_canon := coalesce(v_canon, '{}');
    SELECT u.ord INTO v_bad
    FROM unnest(v_canon, p_data_ids, v_plain) WITH ORDINALITY AS u(c, d, plain, ord)
    WHERE CASE
        WHEN u.c IS NULL OR jsonb_typeof(u.c) <> 'object' THEN true
        WHEN ARRAY(SELECT jsonb_object_keys(u.c) COLLATE "C" ORDER BY 1) <> v_dims THEN true
        WHEN NOT u.plain
             AND (SELECT count(*) FROM jsonb_object_keys(u.d)) <> cardinality(v_dims) THEN true
        WHEN EXISTS (
            SELECT FROM jsonb_each(u.c) AS e
            WHERE CASE jsonb_typeof(e.value)
                WHEN 'string' THEN v_types ->> e.key = 'integer'
                    OR NOT u.plain AND (char_length(e.value #>> '{}') NOT BETWEEN 1 AND 255
                                        OR calib._forbidden_character(e.value #>> '{}') IS NOT NULL)
                WHEN 'number' THEN v_types ->> e.key = 'string'
                    OR e.value::numeric <> trunc(e.value::numeric)
                    OR e.value::numeric NOT BETWEEN -9223372036854775808 AND 9223372036854775807
                ELSE true
            END) THEN true
        ELSE NOT u.plain
             AND octet_length(u.c::text) - greatest(2 * cardinality(v_dims) - 1, 0) > 2000
    END
    ORDER BY u.ord
    LIMIT 1;
    IF NOT FOUND THEN
        RETURN v_canon;
    END IF;

    /* The first bad data ID: which rule does it break? */
    v_d := p_data_ids[v_bad];
    v_c := v_canon[v_bad];
    IF v_d IS NULL OR jsonb_typeof(v_d) <> 'object' THEN
        IF calib._raise('KC008',
            format('data ID %s for dataset type %L is not a JSON object',
                   coalesce(v_d::text, 'NULL'), p_type.name),
            jsonb_build_object('kind', CASE WHEN v_d IS NULL THEN 'data_id_null'
                                            ELSE 'data_id_not_object' END,
                               'dataset_type', p_type.name, 'data_id', v_d)) IS NULL THEN END IF;
    END IF;
    v_missing := ARRAY(SELECT unnest(v_dims) EXCEPT SELECT jsonb_object_keys(v_c) ORDER BY 1);
    v_extra := ARRAY(SELECT jsonb_object_keys(v_c) EXCEPT SELECT unnest(v_dims) ORDER BY 1);
    IF cardinality(v_missing) > 0 OR cardinality(v_extra) > 0
       OR (SELECT count(*) FROM jsonb_object_keys(v_d)) <> cardinality(v_dims) THEN
        IF calib._raise('KC008',
            format('data ID %s does not match the dimensions (%s) of dataset type %L%s%s',
                   v_d, array_to_string(p_type.dimensions, ', '), p_type.name,
                   CASE WHEN cardinality(v_missing) > 0
                        THEN '; missing ' || array_to_string(v_missing, ', ') ELSE '' END,
                   CASE WHEN cardinality(v_extra) > 0
                        THEN '; unexpected ' || array_to_string(v_extra, ', ') ELSE '' END),
            jsonb_build_object('kind', 'data_id_dimensions',
                               'dataset_type', p_type.name, 'data_id', v_d,
                               'dimensions', to_jsonb(p_type.dimensions),
                               'missing', to_jsonb(v_missing), 'unexpected', to_jsonb(v_extra))) IS NULL THEN END IF;
    END IF;
    /* Each value's syntax, in key order (code points, as Python sorts); then the types. */
    FOR v_e IN SELECT e.key, e.value FROM jsonb_each(v_c) AS e ORDER BY e.key COLLATE "C" LOOP
        IF calib._data_id_value(p_type.name, v_d, v_e.key, v_e.value) IS NULL THEN END IF;
    END LOOP;
    FOR v_e IN SELECT e.key, e.value, v_types ->> e.key AS value_type
               FROM jsonb_each(v_c) AS e ORDER BY e.key COLLATE "C" LOOP
        IF v_e.value_type <> (CASE jsonb_typeof(v_e.value) WHEN 'string' THEN 'string'
                                                           ELSE 'integer' END) THEN
            IF calib._raise('KC008',
                format('data ID %s for dataset type %L: dimension %L holds %s values, not %s',
                       v_d, p_type.name, v_e.key, v_e.value_type, v_e.value),
                jsonb_build_object('kind', 'data_id_value_type', 'dataset_type', p_type.name,
                                   'data_id', v_d, 'dimension', v_e.key,
                                   'value_type', v_e.value_type, 'value', v_e.value)) IS NULL THEN END IF;
        END IF;
    END LOOP;
    v_size := octet_length(v_c::text) - greatest(2 * cardinality(v_dims) - 1, 0);
    IF calib._raise('KC008',
        format('data ID for dataset type %L is %s bytes as canonical JSON; at most 2000 are '
               'allowed', p_type.name, v_size),
        jsonb_build_object('kind', 'data_id_size', 'dataset_type', p_type.name,
                           'data_id', v_d, 'size', v_size)) IS NULL THEN END IF;
    RETURN NULL;  -- not reached
END
$$;
