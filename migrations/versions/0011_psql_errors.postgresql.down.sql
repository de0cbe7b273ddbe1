-- FROZEN downgrade of revision 0011, written by migrations/freeze.py from sources/0011_psql_errors.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
CREATE OR REPLACE FUNCTION calib._canonical_data_ids(p_type calib.dataset_type, p_data_ids jsonb[])
 RETURNS jsonb[]
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
    v_s text;
    v_char text;
    v_size integer;
    v_missing text[];
    v_extra text[];
BEGIN
    IF p_data_ids IS NULL THEN
        PERFORM calib._raise('KC015', 'data IDs must not be NULL',
                             jsonb_build_object('kind', 'argument_null', 'what', 'data IDs'));
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
        PERFORM calib._raise('KC008',
            format('data ID %s for dataset type %L is not a JSON object',
                   coalesce(v_d::text, 'NULL'), p_type.name),
            jsonb_build_object('kind', CASE WHEN v_d IS NULL THEN 'data_id_null'
                                            ELSE 'data_id_not_object' END,
                               'dataset_type', p_type.name, 'data_id', v_d));
    END IF;
    v_missing := ARRAY(SELECT unnest(v_dims) EXCEPT SELECT jsonb_object_keys(v_c) ORDER BY 1);
    v_extra := ARRAY(SELECT jsonb_object_keys(v_c) EXCEPT SELECT unnest(v_dims) ORDER BY 1);
    IF cardinality(v_missing) > 0 OR cardinality(v_extra) > 0
       OR (SELECT count(*) FROM jsonb_object_keys(v_d)) <> cardinality(v_dims) THEN
        PERFORM calib._raise('KC008',
            format('data ID %s does not match the dimensions (%s) of dataset type %L%s%s',
                   v_d, array_to_string(p_type.dimensions, ', '), p_type.name,
                   CASE WHEN cardinality(v_missing) > 0
                        THEN '; missing ' || array_to_string(v_missing, ', ') ELSE '' END,
                   CASE WHEN cardinality(v_extra) > 0
                        THEN '; unexpected ' || array_to_string(v_extra, ', ') ELSE '' END),
            jsonb_build_object('kind', 'data_id_dimensions',
                               'dataset_type', p_type.name, 'data_id', v_d,
                               'dimensions', to_jsonb(p_type.dimensions),
                               'missing', to_jsonb(v_missing), 'unexpected', to_jsonb(v_extra)));
    END IF;
    /* Each value's syntax, in key order (code points, as Python sorts); then the types. */
    FOR v_e IN SELECT e.key, e.value FROM jsonb_each(v_c) AS e ORDER BY e.key COLLATE "C" LOOP
        IF jsonb_typeof(v_e.value) NOT IN ('string', 'number')
           OR (jsonb_typeof(v_e.value) = 'number'
               AND (v_e.value::numeric <> trunc(v_e.value::numeric)
                    OR v_e.value::numeric NOT BETWEEN -9223372036854775808
                                                  AND 9223372036854775807)) THEN
            PERFORM calib._raise('KC008',
                format('data ID %s for dataset type %L has a value that is neither a string nor '
                       'a 64-bit integer', v_d, p_type.name),
                jsonb_build_object('kind', 'data_id_value', 'dataset_type', p_type.name,
                                   'data_id', v_d));
        END IF;
        IF jsonb_typeof(v_e.value) = 'string' THEN
            v_s := v_e.value #>> '{}';
            IF char_length(v_s) NOT BETWEEN 1 AND 255 THEN
                PERFORM calib._raise('KC008',
                    format('data ID value %L=%L for dataset type %L must be 1 to 255 characters '
                           'long (got %s)', v_e.key, left(v_s, 40), p_type.name, char_length(v_s)),
                    jsonb_build_object('kind', 'data_id_value_length', 'dataset_type', p_type.name,
                                       'data_id', v_d, 'dimension', v_e.key, 'value', v_s,
                                       'length', char_length(v_s)));
            END IF;
            v_char := calib._forbidden_character(v_s);
            IF v_char IS NOT NULL THEN
                PERFORM calib._raise('KC008',
                    format('data ID value %L=%L for dataset type %L contains a forbidden '
                           'character (%s)', v_e.key, v_s, p_type.name, v_char),
                    jsonb_build_object('kind', 'data_id_value_character',
                                       'dataset_type', p_type.name, 'data_id', v_d,
                                       'dimension', v_e.key, 'value', v_s, 'character', v_char));
            END IF;
        END IF;
    END LOOP;
    FOR v_e IN SELECT e.key, e.value, v_types ->> e.key AS value_type
               FROM jsonb_each(v_c) AS e ORDER BY e.key COLLATE "C" LOOP
        IF v_e.value_type <> (CASE jsonb_typeof(v_e.value) WHEN 'string' THEN 'string'
                                                           ELSE 'integer' END) THEN
            PERFORM calib._raise('KC008',
                format('data ID %s for dataset type %L: dimension %L holds %s values, not %s',
                       v_d, p_type.name, v_e.key, v_e.value_type, v_e.value),
                jsonb_build_object('kind', 'data_id_value_type', 'dataset_type', p_type.name,
                                   'data_id', v_d, 'dimension', v_e.key,
                                   'value_type', v_e.value_type, 'value', v_e.value));
        END IF;
    END LOOP;
    v_size := octet_length(v_c::text) - greatest(2 * cardinality(v_dims) - 1, 0);
    PERFORM calib._raise('KC008',
        format('data ID for dataset type %L is %s bytes as canonical JSON; at most 2000 are '
               'allowed', p_type.name, v_size),
        jsonb_build_object('kind', 'data_id_size', 'dataset_type', p_type.name,
                           'data_id', v_d, 'size', v_size));
    RETURN NULL;  -- not reached
END
$function$;
CREATE OR REPLACE FUNCTION calib._canonical_where(p_type calib.dataset_type, p_where jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The filter of query_datasets ({"detector": 3}: some dimensions and their values),
   checked and canonical as calib._canonical_data_ids does a data ID, except that its keys
   may be any subset of dimensions (a key that is none matches nothing): a JSON object;
   values strings of 1-255 characters, none forbidden, or 64-bit integers; keys and strings
   in NFC, 1.0 as 1; a value of the other type than its dimension's (calib.dimension) is
   refused, so a wrong-typed filter is an error, not an empty result. NULL: no filter.
   Error: KC008 (p_where named as the data ID). */
DECLARE
    v_out jsonb := '{}';
    v_e record;
    v_s text;
    v_char text;
    v_type text;
BEGIN
    IF p_where IS NULL THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_where) <> 'object' THEN
        PERFORM calib._raise('KC008',
            format('data ID %s for dataset type %L is not a JSON object', p_where, p_type.name),
            jsonb_build_object('kind', 'data_id_not_object', 'dataset_type', p_type.name,
                               'data_id', p_where));
    END IF;
    FOR v_e IN SELECT normalize(e.key, NFC) AS key, e.value FROM jsonb_each(p_where) AS e
               ORDER BY normalize(e.key, NFC) COLLATE "C" LOOP
        IF jsonb_typeof(v_e.value) NOT IN ('string', 'number')
           OR (jsonb_typeof(v_e.value) = 'number'
               AND (v_e.value::numeric <> trunc(v_e.value::numeric)
                    OR v_e.value::numeric NOT BETWEEN -9223372036854775808
                                                  AND 9223372036854775807)) THEN
            PERFORM calib._raise('KC008',
                format('data ID %s for dataset type %L has a value that is neither a string nor '
                       'a 64-bit integer', p_where, p_type.name),
                jsonb_build_object('kind', 'data_id_value', 'dataset_type', p_type.name,
                                   'data_id', p_where));
        END IF;
        IF jsonb_typeof(v_e.value) = 'string' THEN
            v_s := normalize(v_e.value #>> '{}', NFC);
            IF char_length(v_s) NOT BETWEEN 1 AND 255 THEN
                PERFORM calib._raise('KC008',
                    format('data ID value %L=%L for dataset type %L must be 1 to 255 characters '
                           'long (got %s)', v_e.key, left(v_s, 40), p_type.name, char_length(v_s)),
                    jsonb_build_object('kind', 'data_id_value_length', 'dataset_type', p_type.name,
                                       'data_id', p_where, 'dimension', v_e.key, 'value', v_s,
                                       'length', char_length(v_s)));
            END IF;
            v_char := calib._forbidden_character(v_s);
            IF v_char IS NOT NULL THEN
                PERFORM calib._raise('KC008',
                    format('data ID value %L=%L for dataset type %L contains a forbidden '
                           'character (%s)', v_e.key, v_s, p_type.name, v_char),
                    jsonb_build_object('kind', 'data_id_value_character',
                                       'dataset_type', p_type.name, 'data_id', p_where,
                                       'dimension', v_e.key, 'value', v_s, 'character', v_char));
            END IF;
            v_out := v_out || jsonb_build_object(v_e.key, v_s);
        ELSE
            v_out := v_out || jsonb_build_object(v_e.key, v_e.value::numeric::bigint);
        END IF;
    END LOOP;
    FOR v_e IN SELECT e.key, e.value, d.value_type FROM jsonb_each(v_out) AS e
               JOIN calib.dimension AS d ON d.name = e.key
               ORDER BY e.key COLLATE "C" LOOP
        v_type := CASE jsonb_typeof(v_e.value) WHEN 'string' THEN 'string' ELSE 'integer' END;
        IF v_e.value_type <> v_type THEN
            PERFORM calib._raise('KC008',
                format('data ID %s for dataset type %L: dimension %L holds %s values, not %s',
                       p_where, p_type.name, v_e.key, v_e.value_type, v_e.value),
                jsonb_build_object('kind', 'data_id_value_type', 'dataset_type', p_type.name,
                                   'data_id', p_where, 'dimension', v_e.key,
                                   'value_type', v_e.value_type, 'value', v_e.value));
        END IF;
    END LOOP;
    RETURN v_out;
END
$function$;
CREATE OR REPLACE FUNCTION calib._certify_rows(p_coll calib.collection, p_datasets uuid[], p_begins timestamp with time zone[], p_ends timestamp with time zone[], p_series boolean, p_close_open boolean)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The one implementation behind certify and certify_series. Item i certifies
   p_datasets[i] over [p_begins[i], p_ends[i]) (NULL = unbounded). In series mode the ends
   are ignored and derived: the next begin of the same calibration key, the last one
   unbounded.
   Order of work: every check that needs no lock, then the collection lock, then close_open,
   then one INSERT. The exclusion constraint finds every overlap (stored rows and rows of
   this same call alike); on a violation the conflicts are listed and KC001 is raised, which
   undoes the close_open update too.
   Errors: KC007 unknown dataset, KC006 not a calibration type, KC001 conflicts (also:
   two items of a series with the same key and begin). */
DECLARE
    v_res record := calib._resolve_datasets(p_datasets);
    v_ends timestamptz[] := p_ends;
    v_name text;
    v_n integer;
    v_conflicts jsonb;
BEGIN
    SELECT t.name INTO v_name FROM calib.dataset_type AS t
    WHERE t.dataset_type_id = ANY (v_res.o_types) AND NOT t.is_calibration
    ORDER BY t.dataset_type_id LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC006',
            format('dataset type %L is not a calibration type and cannot be certified', v_name),
            jsonb_build_object('kind', 'not_calibration_certify',
                               'dataset_type', v_name, 'collection', p_coll.name));
    END IF;

    IF p_series THEN
        v_conflicts := (
            SELECT jsonb_agg(jsonb_build_object(
                       'dataset_type', t.name, 'data_id', di.value,
                       'dataset', g.ids[1], 'timespan', calib._span_json(tstzrange(g.b, NULL, '[)')),
                       'conflicting_dataset', g.ids[2],
                       'conflicting_timespan', calib._span_json(tstzrange(g.b, NULL, '[)')))
                   ORDER BY g.first)
            FROM (SELECT u.k, u.b, array_agg(u.id ORDER BY u.ord) AS ids, min(u.ord) AS first
                  FROM unnest(p_datasets, v_res.o_keys, p_begins) WITH ORDINALITY AS u(id, k, b, ord)
                  GROUP BY u.k, u.b HAVING count(*) > 1) AS g
            JOIN calib.data_id AS di ON di.data_id_key = g.k
            JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id);
        IF v_conflicts IS NOT NULL THEN
            PERFORM calib._raise('KC001',
                format('certify_series into %L: %s data ID %s has two items beginning at %s',
                       p_coll.name, v_conflicts->0->>'dataset_type', v_conflicts->0->'data_id',
                       coalesce(v_conflicts->0->'timespan'->>0, '-infinity')),
                jsonb_build_object('kind', 'series_duplicate_begin',
                                   'collection', p_coll.name, 'conflicts', v_conflicts));
        END IF;
        v_ends := ARRAY(
            SELECT s.e FROM (
                SELECT u.ord, lead(u.b) OVER (PARTITION BY u.k ORDER BY u.b NULLS FIRST) AS e
                FROM unnest(v_res.o_keys, p_begins) WITH ORDINALITY AS u(k, b, ord)) AS s
            ORDER BY s.ord);
    END IF;

    PERFORM calib._lock_collections(ARRAY[p_coll.collection_id]);

    IF p_close_open THEN
        /* For each key, the earliest new begin closes a stored open range that begins
           before it. A key with an item unbounded below closes nothing. */
        UPDATE calib.certification AS c
        SET validity = tstzrange(lower(c.validity), f.first_begin, '[)')
        FROM (SELECT u.k, min(u.b) AS first_begin
              FROM unnest(v_res.o_keys, p_begins) AS u(k, b)
              GROUP BY u.k HAVING bool_and(u.b IS NOT NULL)) AS f
        WHERE c.collection_id = p_coll.collection_id
          AND c.data_id_key = f.k
          AND c.validity && tstzrange(f.first_begin, NULL, '[)')
          AND upper_inf(c.validity)
          AND (lower_inf(c.validity) OR lower(c.validity) < f.first_begin);
    END IF;

    BEGIN
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT p_coll.collection_id, u.t, u.k, u.id, tstzrange(u.b, u.e, '[)')
        FROM unnest(p_datasets, v_res.o_types, v_res.o_keys, p_begins, v_ends) AS u(id, t, k, b, e);
        GET DIAGNOSTICS v_n = ROW_COUNT;
    EXCEPTION WHEN exclusion_violation THEN
        v_conflicts := calib._certification_conflicts(
            p_coll.collection_id, p_datasets, v_res.o_keys, p_begins, v_ends);
        PERFORM calib._raise('KC001',
            CASE WHEN v_conflicts IS NULL THEN
                format('certification into %L conflicts with a concurrent writer', p_coll.name)
            ELSE
                format('certification into %L conflicts: %s data ID %s, dataset %s over %s overlaps dataset %s over %s%s',
                       p_coll.name, v_conflicts->0->>'dataset_type', v_conflicts->0->'data_id',
                       v_conflicts->0->>'dataset', calib._span_text(v_conflicts->0->'timespan'),
                       v_conflicts->0->>'conflicting_dataset',
                       calib._span_text(v_conflicts->0->'conflicting_timespan'),
                       CASE WHEN jsonb_array_length(v_conflicts) > 1
                            THEN format(' (and %s more)', jsonb_array_length(v_conflicts) - 1) ELSE '' END)
            END,
            jsonb_build_object('kind', CASE WHEN v_conflicts IS NULL
                                            THEN 'certification_conflict_concurrent'
                                            ELSE 'certification_conflict' END,
                               'collection', p_coll.name,
                               'conflicts', coalesce(v_conflicts, '[]'::jsonb)));
    END;
    RETURN v_n;
END
$function$;
CREATE OR REPLACE FUNCTION calib._check_name(p_name text, p_what text)
 RETURNS void
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Names (collections, dataset types, dimensions), given already in Unicode NFC (callers
   normalise first: normalize(name, NFC)): 1-255 characters, none of them forbidden
   (calib._forbidden_character: control, bidi, zero-width and other format characters).
   Error: KC014 (KC015 for NULL). The table CHECKs say the same for raw writers, and
   calibcert.types.check_name the same for the Python client. */
DECLARE
    v_char text;
BEGIN
    IF p_name IS NULL THEN
        PERFORM calib._raise('KC015', format('%s must not be NULL', p_what),
                             jsonb_build_object('kind', 'argument_null', 'what', p_what));
    END IF;
    IF char_length(p_name) NOT BETWEEN 1 AND 255 THEN
        PERFORM calib._raise('KC014',
            format('%s %L must be 1 to 255 characters long (got %s)',
                   p_what, left(p_name, 40), char_length(p_name)),
            jsonb_build_object('kind', 'name_length', 'what', p_what, 'name', p_name,
                               'length', char_length(p_name)));
    END IF;
    v_char := calib._forbidden_character(p_name);
    IF v_char IS NOT NULL THEN
        PERFORM calib._raise('KC014',
            format('%s %L contains a forbidden character (%s)', p_what, p_name, v_char),
            jsonb_build_object('kind', 'name_character', 'what', p_what, 'name', p_name,
                               'character', v_char));
    END IF;
END
$function$;
CREATE OR REPLACE FUNCTION calib._collection(p_name text, p_types text[] DEFAULT NULL::text[])
 RETURNS calib.collection
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The collection named p_name; when p_types is given its type must be one of them.
   Errors: KC002 unknown collection, KC003 wrong type, KC015 NULL name. */
DECLARE
    v_row calib.collection;
BEGIN
    IF p_name IS NULL THEN
        PERFORM calib._raise('KC015', 'collection name must not be NULL',
                             jsonb_build_object('kind', 'argument_null', 'what', 'collection name'));
    END IF;
    /* Names are stored in NFC: look-alike spellings name the same collection. */
    p_name := normalize(p_name, NFC);
    SELECT * INTO v_row FROM calib.collection WHERE name = p_name;
    IF NOT FOUND THEN
        PERFORM calib._raise('KC002', format('collection %L does not exist', p_name),
                             jsonb_build_object('kind', 'collection_missing', 'collection', p_name));
    END IF;
    IF p_types IS NOT NULL AND v_row.type <> ALL (p_types) THEN
        PERFORM calib._raise('KC003',
            format('collection %L is %s; expected %s', p_name, v_row.type,
                   array_to_string(p_types, ' or ')),
            jsonb_build_object('kind', 'collection_type', 'collection', p_name, 'type', v_row.type,
                               'expected', to_jsonb(p_types)));
    END IF;
    RETURN v_row;
END
$function$;
CREATE OR REPLACE FUNCTION calib._data_id_types_trigger()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Statement trigger on calib.data_id (INSERT and UPDATE, with the new rows as new_rows):
   the rule of calib.dimension for every writer, raw SQL included. Dimensions of the new
   rows without a type get the type of their first value (in data_id_key order); then a row
   with a value of the other type than its dimension's is refused: KC008, kind
   data_id_value_type, naming the first such row. calib.insert_datasets has checked its rows
   already (calib._canonical_data_ids); this is one pass over the new rows per statement. */
DECLARE
    v_bad record;
BEGIN
    INSERT INTO calib.dimension (name, value_type)
    SELECT DISTINCT ON (e.key) e.key,
           CASE jsonb_typeof(e.value) WHEN 'string' THEN 'string' ELSE 'integer' END
    FROM new_rows AS n CROSS JOIN LATERAL jsonb_each(n.value) AS e
    WHERE jsonb_typeof(e.value) IN ('string', 'number')
      AND NOT EXISTS (SELECT FROM calib.dimension AS x WHERE x.name = e.key)
    ORDER BY e.key, n.data_id_key
    ON CONFLICT ON CONSTRAINT dimension_pkey DO NOTHING;
    SELECT t.name AS dataset_type, n.value AS data_id, e.key, e.value, x.value_type INTO v_bad
    FROM new_rows AS n
    CROSS JOIN LATERAL jsonb_each(n.value) AS e
    JOIN calib.dimension AS x ON x.name = e.key
    JOIN calib.dataset_type AS t ON t.dataset_type_id = n.dataset_type_id
    WHERE x.value_type <> CASE jsonb_typeof(e.value) WHEN 'string' THEN 'string'
                                                     WHEN 'number' THEN 'integer' END
    ORDER BY n.data_id_key, e.key COLLATE "C"
    LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC008',
            format('data ID %s for dataset type %L: dimension %L holds %s values, not %s',
                   v_bad.data_id, v_bad.dataset_type, v_bad.key, v_bad.value_type, v_bad.value),
            jsonb_build_object('kind', 'data_id_value_type', 'dataset_type', v_bad.dataset_type,
                               'data_id', v_bad.data_id, 'dimension', v_bad.key,
                               'value_type', v_bad.value_type, 'value', v_bad.value));
    END IF;
    RETURN NULL;
END
$function$;
CREATE OR REPLACE FUNCTION calib._dataset_type(p_name text, p_need_calibration boolean DEFAULT false)
 RETURNS calib.dataset_type
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The dataset type named p_name. Errors: KC005 unknown, KC006 not a calibration type when
   p_need_calibration, KC015 NULL name. */
DECLARE
    v_row calib.dataset_type;
BEGIN
    IF p_name IS NULL THEN
        PERFORM calib._raise('KC015', 'dataset type name must not be NULL',
                             jsonb_build_object('kind', 'argument_null', 'what', 'dataset type name'));
    END IF;
    /* Names are stored in NFC: look-alike spellings name the same dataset type. */
    p_name := normalize(p_name, NFC);
    SELECT * INTO v_row FROM calib.dataset_type WHERE name = p_name;
    IF NOT FOUND THEN
        PERFORM calib._raise('KC005', format('dataset type %L does not exist', p_name),
                             jsonb_build_object('kind', 'dataset_type_missing', 'dataset_type', p_name));
    END IF;
    IF p_need_calibration AND NOT v_row.is_calibration THEN
        PERFORM calib._raise('KC006',
            format('dataset type %L is not a calibration type', p_name),
            jsonb_build_object('kind', 'not_calibration_type', 'dataset_type', p_name));
    END IF;
    RETURN v_row;
END
$function$;
CREATE OR REPLACE FUNCTION calib._document(p_value text, p_what text, p_json_elements boolean)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* A list argument of an all-text form, as a JSON array document: the text is a JSON array
   (starts with '[') or a PostgreSQL array literal (starts with '{'), whose elements become
   JSON strings (NULL: null) or, with p_json_elements (lists of data IDs), are each read as
   JSON. NULL stays NULL. Errors, KC016 naming the argument p_what: not JSON and not an
   array literal (document_syntax), JSON that is not an array (document_not_array), a
   data-ID element that is not JSON (document_syntax with the element's position). */
DECLARE
    v_items text[];
    v_json jsonb;
    v_out jsonb[];
    v_reason text;
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    END IF;
    IF left(ltrim(p_value, E' \t\r\n'), 1) <> '{' THEN
        RETURN calib._document_array(calib._json_text(p_value, p_what), p_what);
    END IF;
    BEGIN
        v_items := p_value::text[];
    EXCEPTION WHEN invalid_text_representation THEN
        /* Not an array literal. A JSON object (one data ID instead of a list of them) is
           told as such; anything else is a broken array literal. */
        v_reason := SQLERRM;
        BEGIN
            v_json := p_value::jsonb;
        EXCEPTION WHEN invalid_text_representation THEN
            PERFORM calib._raise('KC016',
                format('%s%s cannot be read as %s: %s', p_what, '',
                       'a JSON array or a PostgreSQL array literal', v_reason),
                jsonb_build_object('kind', 'document_syntax', 'what', p_what, 'position', NULL,
                                   'syntax', 'a JSON array or a PostgreSQL array literal',
                                   'reason', v_reason));
        END;
        RETURN calib._document_array(v_json, p_what);
    END;
    IF p_json_elements THEN
        SELECT array_agg(calib._json_text(u.v, p_what, u.n::integer) ORDER BY u.n)
        INTO v_out FROM unnest(v_items) WITH ORDINALITY AS u(v, n);
    ELSE
        SELECT array_agg(to_jsonb(u.v) ORDER BY u.n)
        INTO v_out FROM unnest(v_items) WITH ORDINALITY AS u(v, n);
    END IF;
    RETURN coalesce(to_jsonb(v_out), '[]'::jsonb);
END
$function$;
CREATE OR REPLACE FUNCTION calib._document_array(p_doc jsonb, p_what text)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* A list argument given as one JSON document (README "Calling from another service"):
   p_doc itself when it is a JSON array; NULL for SQL NULL or JSON null (no list, as a NULL
   array). Anything else is KC016 (document_not_array), naming the argument p_what. */
BEGIN
    IF p_doc IS NULL OR jsonb_typeof(p_doc) = 'null' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_doc) <> 'array' THEN
        PERFORM calib._raise('KC016',
            format('%s must be a JSON array, not a JSON %s', p_what, jsonb_typeof(p_doc)),
            jsonb_build_object('kind', 'document_not_array', 'what', p_what,
                               'found', jsonb_typeof(p_doc)));
    END IF;
    RETURN p_doc;
END
$function$;
CREATE OR REPLACE FUNCTION calib._instants(p_doc jsonb, p_what text)
 RETURNS timestamp with time zone[]
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* A JSON array document of instants (ISO 8601 strings with a UTC offset, read by
   calib._parse_instant; null for NULL) as timestamptz[]. NULL (or JSON null) stays NULL.
   Errors, naming the argument p_what and the element's 1-based position: KC016 not an
   array (document_not_array) or an element that is neither a string nor null
   (document_element); KC009 a string that is not an instant with an offset. */
DECLARE
    v_bad record;
BEGIN
    IF calib._document_array(p_doc, p_what) IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT u.n, u.e INTO v_bad FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
    WHERE jsonb_typeof(u.e) NOT IN ('string', 'null') ORDER BY u.n LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC016',
            format('%s (element %s) must be %s, not %s', p_what, v_bad.n,
                   'an instant (an ISO 8601 string with a UTC offset)', v_bad.e),
            jsonb_build_object('kind', 'document_element', 'what', p_what, 'position', v_bad.n,
                               'expected', 'an instant (an ISO 8601 string with a UTC offset)',
                               'value', v_bad.e));
    END IF;
    RETURN ARRAY(SELECT calib._parse_instant(u.e #>> '{}', p_what, u.n::integer)
                 FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n) ORDER BY u.n);
END
$function$;
CREATE OR REPLACE FUNCTION calib._json_text(p_value text, p_what text, p_position integer DEFAULT NULL::integer)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* A JSON value given as text (the all-text forms: a data ID, a where clause, a list
   document, an element of a PostgreSQL array literal of data IDs): parsed, or KC016
   (document_syntax) naming the argument p_what and, inside a list, the element's 1-based
   position p_position. NULL stays NULL. */
BEGIN
    RETURN p_value::jsonb;
EXCEPTION WHEN invalid_text_representation OR invalid_parameter_value THEN
    PERFORM calib._raise('KC016',
        format('%s%s cannot be read as %s: %s', p_what,
               CASE WHEN p_position IS NULL THEN '' ELSE format(' (element %s)', p_position) END,
               'JSON', SQLERRM),
        jsonb_build_object('kind', 'document_syntax', 'what', p_what, 'position', p_position,
                           'syntax', 'JSON', 'reason', SQLERRM));
    RETURN NULL;
END
$function$;
CREATE OR REPLACE FUNCTION calib._lock_collections(p_ids integer[], p_mode text DEFAULT 'write'::text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The locking protocol, in one place. A writer locks the rows of the collections it
   changes, FOR NO KEY UPDATE, in ascending collection_id (p_mode 'write'); a copy locks its
   source FOR SHARE (p_mode 'read') so it waits for writers in flight and then sees their
   whole result. Locks are held to the end of the transaction. Chain changes take
   calib._lock_chains() before this. Readers take no locks (MVCC), and FOR NO KEY UPDATE does
   not conflict with the FOR KEY SHARE that foreign-key checks take, so writers of different
   collections never wait for each other.

   The wait is bounded: if the session has no lock_timeout, calib.lock_timeout (default
   '10s') applies while waiting, and the session value is restored afterwards.
   A collection removed by a transaction that committed while we waited is not locked (the
   row is gone); that is an error, not a silent no-op, so the caller never writes into (or
   copies) a collection that no longer exists. Its name is read before the wait, for the
   message.
   One collection whose row is free now (the usual case) is locked by a first statement
   with SKIP LOCKED: it cannot wait, so it needs neither the names nor the bounded
   lock_timeout, and it halves the cost of a one-dataset certify's locking. A row that is
   locked by another writer, or gone, is skipped and then goes the general way below.
   Errors: 55P03 (lock_not_available) when the wait times out; KC002 a collection removed
   concurrently. */
DECLARE
    v_old text;
    v_ids integer[];
    v_names text[];
    v_n integer;
    v_gone text;
BEGIN
    IF cardinality(p_ids) = 1 THEN
        IF p_mode = 'read' THEN
            PERFORM FROM calib.collection WHERE collection_id = p_ids[1] FOR SHARE SKIP LOCKED;
        ELSE
            PERFORM FROM calib.collection WHERE collection_id = p_ids[1]
            FOR NO KEY UPDATE SKIP LOCKED;
        END IF;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    v_old := current_setting('lock_timeout');
    v_ids := ARRAY(SELECT DISTINCT u FROM unnest(p_ids) AS u ORDER BY 1);
    v_names := ARRAY(SELECT coalesce(c.name, u.id::text)
                     FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord)
                     LEFT JOIN calib.collection AS c ON c.collection_id = u.id
                     ORDER BY u.ord);
    IF v_old = '0' THEN
        PERFORM set_config('lock_timeout',
            coalesce(nullif(current_setting('calib.lock_timeout', true), ''), '10s'), true);
    END IF;
    IF p_mode = 'read' THEN
        PERFORM FROM calib.collection WHERE collection_id = ANY (v_ids)
        ORDER BY collection_id FOR SHARE;
    ELSE
        PERFORM FROM calib.collection WHERE collection_id = ANY (v_ids)
        ORDER BY collection_id FOR NO KEY UPDATE;
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_old = '0' THEN
        PERFORM set_config('lock_timeout', v_old, true);
    END IF;
    IF v_n < cardinality(v_ids) THEN
        SELECT v_names[i] INTO v_gone FROM generate_subscripts(v_ids, 1) AS i
        WHERE NOT EXISTS (SELECT FROM calib.collection AS c WHERE c.collection_id = v_ids[i])
        ORDER BY i LIMIT 1;
        PERFORM calib._raise('KC002',
            format('collection %L was removed by a concurrent transaction', v_gone),
            jsonb_build_object('kind', 'collection_removed_concurrently', 'collection', v_gone));
    END IF;
END
$function$;
CREATE OR REPLACE FUNCTION calib._lookup(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_spans tstzrange[])
 RETURNS TABLE(ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The lookup behind find and find_many. Query i is (p_data_ids[i], p_spans[i]); an
   instant t is passed as the range [t,t], a NULL span skips CALIBRATION collections. The
   rule itself (first member of the search path with any match decides; more than one match
   there is ambiguous) is calib.probe's, applied to each query here; this function resolves
   the names, validates the data IDs, raises the errors and names the RUN of each dataset.
   One row per query, in input order, NULLs when nothing matched anywhere.
   Set-based and linear in the number of queries: one probe per query (inlined), and the
   per-query state lives in parallel arrays that are only ever unnested together (never
   subscripted per row: subscripting a jsonb[] or a uuid[] with NULLs walks it from the
   start). Data IDs equal to a stored one are valid and canonical already; the full
   validation runs only when some data ID is not stored.
   Errors: KC011 when the deciding member of some query has more than one match (the first
   such query in input order); KC002 / KC005 / KC008 / KC015 for bad arguments. Read-only,
   no locks. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_values jsonb[];
    v_keys integer[];
    v_ids uuid[];
    v_members integer[];
    v_open bigint;
    v_n integer;
    v_pos integer;
    v_span tstzrange;
    v_member text;
BEGIN
    IF p_data_ids IS NULL THEN
        PERFORM calib._raise('KC015', 'data IDs must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'data IDs'));
    END IF;
    v_n := cardinality(p_data_ids);
    SELECT array_agg(di.data_id_key ORDER BY u.ord), array_agg(di.value ORDER BY u.ord),
           count(*) FILTER (WHERE di.data_id_key IS NULL)
    INTO v_keys, v_values, v_open
    FROM unnest(p_data_ids) WITH ORDINALITY AS u(v, ord)
    LEFT JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v;
    IF v_open > 0 THEN
        /* Some data ID is not stored: validate them all (KC008 names the first bad one in
           input order) and look the canonical forms up. */
        v_values := calib._canonical_data_ids(v_type, p_data_ids);
        SELECT array_agg(di.data_id_key ORDER BY u.ord) INTO v_keys
        FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
        LEFT JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v;
    END IF;
    IF p_spans IS NULL OR cardinality(p_spans) <> v_n THEN
        PERFORM calib._raise('KC015',
            format('lookup in %L needs one time (or NULL) per data ID', p_collection),
            jsonb_build_object('kind', 'lookup_times_count', 'collection', p_collection));
    END IF;
    IF v_n = 0 THEN
        RETURN;
    END IF;

    /* A data ID never stored (NULL key) matches nothing: no probe. */
    SELECT array_agg(p.dataset_id ORDER BY u.ord), array_agg(p.member_id ORDER BY u.ord),
           min(u.ord) FILTER (WHERE p.ambiguous)
    INTO v_ids, v_members, v_pos
    FROM unnest(v_keys, p_spans) WITH ORDINALITY AS u(k, span, ord)
    LEFT JOIN LATERAL calib.probe(v_coll.collection_id, u.k, u.span) AS p ON u.k IS NOT NULL;

    IF v_pos IS NOT NULL THEN
        v_span := p_spans[v_pos];
        SELECT mc.name INTO v_member FROM calib.collection AS mc
        WHERE mc.collection_id = v_members[v_pos];
        PERFORM calib._raise('KC011',
            format('lookup of %L data ID %s in %L is ambiguous: collection %L has more than one '
                   'certification valid %s', p_dataset_type, v_values[v_pos], p_collection,
                   v_member,
                   CASE WHEN lower(v_span) = upper(v_span) THEN 'at ' || calib._ts_text(lower(v_span))
                        ELSE 'during ' || calib._span_text(calib._span_json(v_span)) END),
            jsonb_build_object(
                'kind', CASE WHEN lower(v_span) = upper(v_span) THEN 'lookup_ambiguous_at'
                             ELSE 'lookup_ambiguous_during' END,
                'collection', v_member, 'searched', p_collection,
                'dataset_type', p_dataset_type, 'data_id', v_values[v_pos],
                'datasets', (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification AS c
                             JOIN calib.collection AS mc ON mc.collection_id = c.collection_id
                             WHERE mc.name = v_member AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span))
            || CASE WHEN lower(v_span) = upper(v_span)
                    THEN jsonb_build_object('at', calib._ts_text(lower(v_span)))
                    ELSE jsonb_build_object('timespan', calib._span_json(v_span)) END);
    END IF;

    RETURN QUERY
    SELECT u.ord, u.id, v_type.name, CASE WHEN u.id IS NULL THEN NULL ELSE u.v END, r.name
    FROM unnest(v_ids, v_values) WITH ORDINALITY AS u(id, v, ord)
    LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
    LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
END
$function$;
CREATE OR REPLACE FUNCTION calib._names(p_doc jsonb, p_what text)
 RETURNS text[]
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* A JSON array document of names (strings; null for NULL) as text[], for the document forms
   of set_chain (children) and register_dataset_type (dimensions). The names themselves are
   checked by the typed form. NULL (or JSON null) stays NULL.
   Errors: KC016 naming the argument p_what: not an array (document_not_array), an element
   that is neither a string nor null (document_element, with its 1-based position). */
DECLARE
    v_bad record;
BEGIN
    IF calib._document_array(p_doc, p_what) IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT u.n, u.e INTO v_bad FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
    WHERE jsonb_typeof(u.e) NOT IN ('string', 'null') ORDER BY u.n LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC016',
            format('%s (element %s) must be %s, not %s', p_what, v_bad.n, 'a name (a string)', v_bad.e),
            jsonb_build_object('kind', 'document_element', 'what', p_what, 'position', v_bad.n,
                               'expected', 'a name (a string)', 'value', v_bad.e));
    END IF;
    RETURN ARRAY(SELECT u.e #>> '{}' FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
                 ORDER BY u.n);
END
$function$;
CREATE OR REPLACE FUNCTION calib._parse_boolean(p_value text, p_what text)
 RETURNS boolean
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* A boolean argument of an all-text form: what PostgreSQL's boolean input takes (true /
   false, t / f, yes / no, on / off, 1 / 0, any case). NULL stays NULL.
   Errors: KC016 (argument_text) naming the argument p_what. */
BEGIN
    RETURN p_value::boolean;
EXCEPTION WHEN invalid_text_representation THEN
    PERFORM calib._raise('KC016',
        format('%s must be %s, not %L', p_what, 'true or false', p_value),
        jsonb_build_object('kind', 'argument_text', 'what', p_what,
                           'expected', 'true or false', 'value', p_value));
    RETURN NULL;
END
$function$;
CREATE OR REPLACE FUNCTION calib._parse_instant(p_value text, p_what text, p_position integer DEFAULT NULL::integer)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* An instant written as text by another service (the all-text forms, JSON documents),
   read by calibcert itself rather than by PostgreSQL's timestamptz input, which would take
   a time without an offset in the session's TimeZone: strictly ISO 8601 (date, 'T' or a
   space, hh:mm[:ss[.ffffff]]) with 'Z' or an offset (+hh, +hhmm, +hh:mm), or 'infinity' /
   '-infinity'. NULL stays NULL. Errors, KC009 naming the argument p_what (and, inside a
   list, the 1-based position p_position): time_naive for a date or time without an offset,
   time_syntax for anything else that is not such an instant. */
DECLARE
    v text := btrim(p_value, E' \t\r\n');
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    END IF;
    IF lower(v) IN ('infinity', '+infinity', '-infinity') THEN
        RETURN ltrim(lower(v), '+')::timestamptz;
    END IF;
    IF v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?$' THEN
        PERFORM calib._raise('KC009',
            format('%s%s %L has no UTC offset (write it with Z or +hh:mm)', p_what,
                   CASE WHEN p_position IS NULL THEN '' ELSE format(' (element %s)', p_position) END,
                   p_value),
            jsonb_build_object('kind', 'time_naive', 'what', p_what, 'position', p_position,
                               'value', p_value));
    END IF;
    IF v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)? *([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$' THEN
        BEGIN
            RETURN v::timestamptz;
        EXCEPTION WHEN data_exception THEN
            NULL;  -- out of range (month 13, hour 25...): told below
        END;
    END IF;
    PERFORM calib._raise('KC009',
        format('%s%s %L is not an ISO 8601 instant with a UTC offset', p_what,
               CASE WHEN p_position IS NULL THEN '' ELSE format(' (element %s)', p_position) END,
               p_value),
        jsonb_build_object('kind', 'time_syntax', 'what', p_what, 'position', p_position,
                           'value', p_value));
    RETURN NULL;
END
$function$;
CREATE OR REPLACE FUNCTION calib._parse_timespan(p_value text, p_what text, p_position integer DEFAULT NULL::integer)
 RETURNS tstzrange
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* A timespan written as text by another service: a range '[begin,end)' whose bounds are
   instants as calib._parse_instant reads them (a bound may be double-quoted, as PostgreSQL
   prints ranges; an empty bound is unbounded), or 'empty'. The bounds characters are kept,
   so that the typed form refuses anything but [) exactly as it refuses a tstzrange.
   NULL stays NULL. Errors, KC009 naming the argument p_what (and, inside a list, the 1-based
   position p_position): timespan_syntax for text that is not such a range, time_naive /
   time_syntax for a bound, timespan_reversed for an end before the begin (which a
   tstzrange cannot even hold). */
DECLARE
    v text := btrim(p_value, E' \t\r\n');
    v_parts text[];
    v_lo timestamptz;
    v_hi timestamptz;
    v_bounds text;
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    END IF;
    IF lower(v) = 'empty' THEN
        RETURN 'empty'::tstzrange;
    END IF;
    v_parts := regexp_match(v, '^([[(])([^,]*),([^,]*)([])])$');
    IF v_parts IS NULL THEN
        PERFORM calib._raise('KC009',
            format('%s%s %L is not a timespan such as [2024-01-01T00:00Z,2024-02-01T00:00Z)',
                   p_what,
                   CASE WHEN p_position IS NULL THEN '' ELSE format(' (element %s)', p_position) END,
                   p_value),
            jsonb_build_object('kind', 'timespan_syntax', 'what', p_what, 'position', p_position,
                               'value', p_value));
    END IF;
    v_bounds := v_parts[1] || v_parts[4];
    v_parts[2] := btrim(btrim(v_parts[2], ' '), '"');
    v_parts[3] := btrim(btrim(v_parts[3], ' '), '"');
    v_lo := calib._parse_instant(nullif(v_parts[2], ''), p_what, p_position);
    v_hi := calib._parse_instant(nullif(v_parts[3], ''), p_what, p_position);
    IF v_lo > v_hi THEN
        PERFORM calib._raise('KC009',
            format('timespan %s is empty or reversed: begin must be before end', p_value),
            jsonb_build_object('kind', 'timespan_reversed',
                'timespan', jsonb_build_array(
                    CASE WHEN isfinite(v_lo) THEN calib._ts_text(v_lo) ELSE v_lo::text END,
                    CASE WHEN isfinite(v_hi) THEN calib._ts_text(v_hi) ELSE v_hi::text END),
                'bounds', v_bounds,
                'begin', CASE WHEN isfinite(v_lo) THEN calib._ts_text(v_lo) ELSE v_lo::text END,
                'end', CASE WHEN isfinite(v_hi) THEN calib._ts_text(v_hi) ELSE v_hi::text END));
    END IF;
    RETURN tstzrange(v_lo, v_hi, v_bounds);
END
$function$;
CREATE OR REPLACE FUNCTION calib._raise(p_code text, p_message text, p_detail jsonb DEFAULT '{}'::jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Raise a calibcert error: SQLSTATE p_code (class KC, see README "Error codes"), a message
   that names the offending objects, and the same facts as a JSON object in DETAIL, which the
   Python client turns into exception attributes. The one place errors are raised from. */
BEGIN
    RAISE EXCEPTION USING ERRCODE = p_code, MESSAGE = p_message, DETAIL = p_detail::text;
END
$function$;
CREATE OR REPLACE FUNCTION calib._refresh_search_paths(p_collection_ids integer[])
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
/* Recompute calib.search_path for the collections p_collection_ids and for every chain
   above them (walked up through collection_chain.child_id), from the chains as they are
   now. The one place where the chain walk lives: a CHAINED collection gets its non-CHAINED
   members depth-first in chain order (position paths sort lexicographically in exactly that
   order), chains expanded, each collection once at its first occurrence, ranked 1..n; any
   other collection gets itself (rank 1); an id without a collection gets nothing. A path
   changes only if some chain at or below it changed, so the triggers on collection_chain
   pass the parents a statement changed. Call it with every collection id for an initial
   fill.
   Errors: KC004 when the chains reachable from p_collection_ids contain a cycle (only a raw
   writer can store one: set_chain refuses cycles before writing); 40001 when the caller's
   snapshot predates another chain change (REPEATABLE READ / SERIALIZABLE: see
   calib.search_path_generation); 55P03 when the chain lock is not granted in time.
   Locks: calib._lock_chains() (held to the end of the transaction), so that no other
   transaction changes chains between this walk and commit. A raw writer of
   collection_chain already holds ROW EXCLUSIVE on it when its trigger asks for this lock:
   two raw writers that skip the protocol (set_chain, remove_collection and copy_collection
   take the chain lock before writing) can deadlock here, and PostgreSQL then rolls one of
   them back (40P01); neither stores a path computed from a stale chain graph.
   force_generic_plan: PostgreSQL otherwise planned the recursive statements afresh on each
   call (custom plans looked cheaper), about half of a refresh (420 -> 215 us for a
   three-member chain). */
DECLARE
    v_ids integer[];
    v_cycle record;
BEGIN
    IF coalesce(cardinality(p_collection_ids), 0) = 0 THEN
        RETURN;
    END IF;
    PERFORM calib._lock_chains();
    INSERT INTO calib.search_path_generation AS g (generation) VALUES (1)
    ON CONFLICT ON CONSTRAINT search_path_generation_pkey
    DO UPDATE SET generation = g.generation + 1;

    /* The given collections and every chain above them (UNION: ends even on a cycle). */
    v_ids := ARRAY(
        WITH RECURSIVE up (collection_id) AS (
            SELECT u FROM unnest(p_collection_ids) AS u WHERE u IS NOT NULL
            UNION
            SELECT ch.parent_id
            FROM up JOIN calib.collection_chain AS ch ON ch.child_id = up.collection_id
        )
        SELECT up.collection_id FROM up);
    DELETE FROM calib.search_path WHERE collection_id = ANY (v_ids);

    /* One walk down from each collection; a path that meets a collection already on it is
       a cycle: it is not followed, and reported below (the insert is then rolled back). */
    WITH RECURSIVE walk (root_id, parent_id, collection_id, path) AS (
        SELECT c.collection_id, NULL::integer, c.collection_id, ARRAY[]::integer[]
        FROM calib.collection AS c
        WHERE c.collection_id = ANY (v_ids)
        UNION ALL
        SELECT w.root_id, ch.parent_id, ch.child_id, w.path || ch.position
        FROM walk AS w JOIN calib.collection_chain AS ch ON ch.parent_id = w.collection_id
    ) CYCLE collection_id SET looped USING visited,
    stored AS (
        INSERT INTO calib.search_path (collection_id, rank, member_id, member_type)
        SELECT f.root_id, row_number() OVER (PARTITION BY f.root_id ORDER BY f.path),
               c.collection_id, c.type
        FROM (SELECT DISTINCT ON (w.root_id, w.collection_id) w.root_id, w.collection_id, w.path
              FROM walk AS w WHERE NOT w.looped
              ORDER BY w.root_id, w.collection_id, w.path) AS f
        JOIN calib.collection AS c ON c.collection_id = f.collection_id
        WHERE c.type <> 'CHAINED'
    )
    SELECT p.name AS parent, k.name AS child INTO v_cycle
    FROM walk AS w
    JOIN calib.collection AS p ON p.collection_id = w.parent_id
    JOIN calib.collection AS k ON k.collection_id = w.collection_id
    WHERE w.looped
    ORDER BY w.root_id, w.path
    LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC004',
            format('making %L a child of chain %L would create a cycle', v_cycle.child,
                   v_cycle.parent),
            jsonb_build_object('kind', 'chain_cycle', 'collection', v_cycle.parent,
                               'child', v_cycle.child));
    END IF;
END
$function$;
CREATE OR REPLACE FUNCTION calib._resolve_datasets(p_datasets uuid[], OUT o_types integer[], OUT o_keys integer[])
 RETURNS record
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
/* Dataset type id and data-ID key of each dataset, in input order, in one statement.
   force_generic_plan: left to choose, PostgreSQL planned this statement afresh on every
   call (a custom plan for a one-element array always looks cheaper than the generic one),
   50 us of planning in a 350 us one-dataset certify. The generic plan (index probes per
   id) is as fast for bulk calls.
   Errors: KC015 NULL array or element, KC007 a dataset that does not exist. */
DECLARE
    v_pos integer;
BEGIN
    IF p_datasets IS NULL OR array_position(p_datasets, NULL) IS NOT NULL THEN
        PERFORM calib._raise('KC015', 'datasets must be a non-NULL array of non-NULL ids',
                             jsonb_build_object('kind', 'datasets_null'));
    END IF;
    SELECT array_agg(d.dataset_type_id ORDER BY u.ord), array_agg(d.data_id_key ORDER BY u.ord)
    INTO o_types, o_keys
    FROM unnest(p_datasets) WITH ORDINALITY AS u(id, ord)
    LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id;
    v_pos := array_position(o_keys, NULL);
    IF v_pos IS NOT NULL THEN
        PERFORM calib._raise('KC007', format('dataset %s does not exist', p_datasets[v_pos]),
                             jsonb_build_object('kind', 'dataset_missing',
                                                'dataset', p_datasets[v_pos]));
    END IF;
    o_types := coalesce(o_types, ARRAY[]::integer[]);
    o_keys := coalesce(o_keys, ARRAY[]::integer[]);
END
$function$;
CREATE OR REPLACE FUNCTION calib._search_path_trigger()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Keeps calib.search_path right for every writer (the triggers are in
   schema/triggers.sql):
   - a new RUN, TAGGED or CALIBRATION collection: its own row. No lock: until it commits
     nobody else sees it, so no chain lists it yet (a new chain has an empty path);
   - a statement on collection_chain: the parents it changed (transition tables), every
     chain after a TRUNCATE; calib._refresh_search_paths then adds the chains above;
   - a collection changing type (raw SQL only: no function does that): before the update,
     its rows as a member go (so the foreign key has nothing to check), after it, its own
     path and the paths above it are recomputed.
   SECURITY DEFINER: a role allowed to write collection_chain or collection need not be
   allowed to write search_path for the paths to stay right. */
BEGIN
    IF TG_TABLE_NAME = 'collection' THEN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO calib.search_path (collection_id, rank, member_id, member_type)
            VALUES (NEW.collection_id, 1, NEW.collection_id, NEW.type);
        ELSIF TG_WHEN = 'BEFORE' THEN
            PERFORM calib._lock_chains();
            DELETE FROM calib.search_path WHERE member_id = OLD.collection_id;
            RETURN NEW;
        ELSE
            PERFORM calib._refresh_search_paths(ARRAY[NEW.collection_id]);
        END IF;
    ELSIF TG_OP = 'TRUNCATE' THEN
        PERFORM calib._refresh_search_paths(
            ARRAY(SELECT c.collection_id FROM calib.collection AS c WHERE c.type = 'CHAINED'));
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM calib._refresh_search_paths(ARRAY(SELECT DISTINCT n.parent_id FROM new_rows AS n));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM calib._refresh_search_paths(ARRAY(SELECT DISTINCT o.parent_id FROM old_rows AS o));
    ELSE
        PERFORM calib._refresh_search_paths(ARRAY(
            SELECT o.parent_id FROM old_rows AS o UNION SELECT n.parent_id FROM new_rows AS n));
    END IF;
    RETURN NULL;
END
$function$;
CREATE OR REPLACE FUNCTION calib._timespan(p_span tstzrange)
 RETURNS tstzrange
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Validate a timespan argument and return it normalised: [) bounds, +-infinity turned into
   a missing bound. Errors: KC009 for anything but a non-empty [begin, end); KC015 for NULL. */
DECLARE
    v_lo timestamptz := lower(p_span);
    v_hi timestamptz := upper(p_span);
BEGIN
    IF p_span IS NULL THEN
        PERFORM calib._raise('KC015', 'timespan must not be NULL',
                             jsonb_build_object('kind', 'argument_null', 'what', 'timespan'));
    END IF;
    IF isempty(p_span) THEN
        PERFORM calib._raise('KC009', 'timespan is empty: begin must be before end',
                             jsonb_build_object('kind', 'timespan_empty', 'timespan', NULL));
    END IF;
    IF (NOT lower_inf(p_span) AND NOT lower_inc(p_span) AND v_lo <> '-infinity')
       OR (NOT upper_inf(p_span) AND upper_inc(p_span) AND v_hi <> 'infinity') THEN
        PERFORM calib._raise('KC009',
            format('timespan %s must have [) bounds (begin included, end excluded)', p_span),
            jsonb_build_object('kind', 'timespan_bounds', 'timespan', calib._span_json(p_span),
                'bounds', CASE WHEN lower_inc(p_span) THEN '[' ELSE '(' END
                          || CASE WHEN upper_inc(p_span) THEN ']' ELSE ')' END,
                'begin', CASE WHEN lower_inf(p_span) THEN NULL WHEN isfinite(lower(p_span))
                              THEN calib._ts_text(lower(p_span)) ELSE lower(p_span)::text END,
                'end', CASE WHEN upper_inf(p_span) THEN NULL WHEN isfinite(upper(p_span))
                            THEN calib._ts_text(upper(p_span)) ELSE upper(p_span)::text END));
    END IF;
    IF v_lo = '-infinity' THEN v_lo := NULL; END IF;
    IF v_hi = 'infinity' THEN v_hi := NULL; END IF;
    IF v_lo = 'infinity' OR v_hi = '-infinity' OR v_lo >= v_hi THEN
        PERFORM calib._raise('KC009',
            format('timespan %s is empty or reversed: begin must be before end', p_span),
            jsonb_build_object('kind', 'timespan_reversed', 'timespan', calib._span_json(p_span),
                'bounds', CASE WHEN lower_inc(p_span) THEN '[' ELSE '(' END
                          || CASE WHEN upper_inc(p_span) THEN ']' ELSE ')' END,
                'begin', CASE WHEN lower_inf(p_span) THEN NULL WHEN isfinite(lower(p_span))
                              THEN calib._ts_text(lower(p_span)) ELSE lower(p_span)::text END,
                'end', CASE WHEN upper_inf(p_span) THEN NULL WHEN isfinite(upper(p_span))
                            THEN calib._ts_text(upper(p_span)) ELSE upper(p_span)::text END));
    END IF;
    RETURN tstzrange(v_lo, v_hi, '[)');
END
$function$;
CREATE OR REPLACE FUNCTION calib._timespans(p_doc jsonb, p_what text)
 RETURNS tstzrange[]
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* A JSON array document of timespans (range strings such as
   "[2024-01-01T00:00Z,2024-02-01T00:00Z)", read by calib._parse_timespan; null for NULL)
   as tstzrange[]. NULL (or JSON null) stays NULL.
   Errors, naming the argument p_what and the element's 1-based position: KC016 not an
   array (document_not_array) or an element that is neither a string nor null
   (document_element); KC009 a string that is not such a range. */
DECLARE
    v_bad record;
BEGIN
    IF calib._document_array(p_doc, p_what) IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT u.n, u.e INTO v_bad FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
    WHERE jsonb_typeof(u.e) NOT IN ('string', 'null') ORDER BY u.n LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC016',
            format('%s (element %s) must be %s, not %s', p_what, v_bad.n,
                   'a timespan (a range string such as "[2024-01-01T00:00Z,)")', v_bad.e),
            jsonb_build_object('kind', 'document_element', 'what', p_what, 'position', v_bad.n,
                               'expected', 'a timespan (a range string such as "[2024-01-01T00:00Z,)")',
                               'value', v_bad.e));
    END IF;
    RETURN ARRAY(SELECT calib._parse_timespan(u.e #>> '{}', p_what, u.n::integer)
                 FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n) ORDER BY u.n);
END
$function$;
CREATE OR REPLACE FUNCTION calib._uuids(p_doc jsonb, p_what text)
 RETURNS uuid[]
 LANGUAGE plpgsql
 IMMUTABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* A JSON array document of dataset ids (UUID strings; null for NULL) as uuid[], for the
   document forms of the functions taking uuid[]. NULL (or JSON null) stays NULL.
   Errors: KC016 naming the argument p_what: not an array (document_not_array), an element
   that is neither a string nor null or a string that is not a UUID (document_element, with
   its 1-based position). */
DECLARE
    v_bad record;
BEGIN
    IF calib._document_array(p_doc, p_what) IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT u.n, u.e INTO v_bad FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
    WHERE jsonb_typeof(u.e) NOT IN ('string', 'null') ORDER BY u.n LIMIT 1;
    IF NOT FOUND THEN
        BEGIN
            RETURN ARRAY(SELECT (u.e #>> '{}')::uuid
                         FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
                         ORDER BY u.n);
        EXCEPTION WHEN invalid_text_representation THEN
            /* Some string is not a UUID: find the first (the fast way above raised). */
            FOR v_bad IN SELECT u.n, u.e FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
                         ORDER BY u.n LOOP
                BEGIN
                    PERFORM (v_bad.e #>> '{}')::uuid;
                EXCEPTION WHEN invalid_text_representation THEN
                    EXIT;
                END;
            END LOOP;
        END;
    END IF;
    PERFORM calib._raise('KC016',
        format('%s (element %s) must be %s, not %s', p_what, v_bad.n, 'a dataset id (a UUID string)', v_bad.e),
        jsonb_build_object('kind', 'document_element', 'what', p_what, 'position', v_bad.n,
                           'expected', 'a dataset id (a UUID string)', 'value', v_bad.e));
    RETURN NULL;
END
$function$;
CREATE OR REPLACE FUNCTION calib.certify_series(p_collection text, p_datasets uuid[], p_begins timestamp with time zone[], p_close_open boolean DEFAULT false)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Certify a series given by begins only: item i is (p_datasets[i], p_begins[i]); each
   item's end is the next begin of the same calibration key, the last one is unbounded.
   A NULL or -infinity begin means unbounded below. Then exactly as calib.certify.
   Returns the number of certifications stored.
   Errors: as certify; KC001 also for two items of one key with the same begin; KC015
   arrays of different lengths; KC009 a begin of +infinity.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_begins timestamptz[];
BEGIN
    IF p_datasets IS NULL OR p_begins IS NULL
       OR cardinality(p_datasets) <> cardinality(p_begins) THEN
        PERFORM calib._raise('KC015',
            format('certify_series into %L needs one begin per dataset (%s datasets, %s begins)',
                   p_collection, cardinality(p_datasets), cardinality(p_begins)),
            jsonb_build_object('kind', 'series_begins_count', 'collection', p_collection,
                               'n_datasets', cardinality(p_datasets),
                               'n_begins', cardinality(p_begins)));
    END IF;
    IF 'infinity'::timestamptz = ANY (p_begins) THEN
        PERFORM calib._raise('KC009',
            format('certify_series into %L: a begin of +infinity leaves an empty timespan', p_collection),
            jsonb_build_object('kind', 'series_infinite_begin', 'collection', p_collection));
    END IF;
    v_begins := ARRAY(SELECT nullif(b, '-infinity') FROM unnest(p_begins) WITH ORDINALITY AS u(b, ord) ORDER BY ord);
    RETURN calib._certify_rows(v_coll, p_datasets, v_begins, NULL, true, coalesce(p_close_open, false));
END
$function$;
CREATE OR REPLACE FUNCTION calib.close_open_range(p_collection text, p_dataset_type text, p_end timestamp with time zone, p_data_ids jsonb[] DEFAULT NULL::jsonb[])
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Give every certification of p_dataset_type in p_collection whose end is unbounded (only
   those data IDs when p_data_ids is given) the end p_end. Returns how many were closed.
   Errors: KC009 if one of them begins at or after p_end (nothing is changed) or p_end is
   NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    v_bad record;
    v_n integer;
BEGIN
    IF p_end IS NULL OR NOT isfinite(p_end) THEN
        PERFORM calib._raise('KC009',
            format('close_open_range in %L needs a finite end, not %s', p_collection, coalesce(p_end::text, 'NULL')),
            jsonb_build_object('kind', 'close_open_range_end', 'collection', p_collection,
                               'dataset_type', p_dataset_type, 'end', p_end::text));
    END IF;
    PERFORM calib._lock_collections(ARRAY[v_coll.collection_id]);
    /* Open ranges all overlap [p_end, infinity): the GiST index narrows the scan. */
    SELECT c.dataset_id, c.validity, di.value AS data_id INTO v_bad
    FROM calib.certification AS c JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
    WHERE c.collection_id = v_coll.collection_id
      AND c.dataset_type_id = v_type.dataset_type_id
      AND c.validity && tstzrange(p_end, NULL, '[)')
      AND upper_inf(c.validity) AND NOT lower_inf(c.validity) AND lower(c.validity) >= p_end
      AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys))
    ORDER BY lower(c.validity), c.data_id_key
    LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC009',
            format('cannot close %L data ID %s in %L at %s: dataset %s begins at %s',
                   p_dataset_type, v_bad.data_id, p_collection, calib._ts_text(p_end),
                   v_bad.dataset_id, calib._ts_text(lower(v_bad.validity))),
            jsonb_build_object('kind', 'close_open_range_begins_after',
                               'collection', p_collection, 'dataset_type', p_dataset_type,
                               'data_id', v_bad.data_id, 'dataset', v_bad.dataset_id,
                               'timespan', calib._span_json(v_bad.validity),
                               'end', calib._ts_text(p_end)));
    END IF;
    UPDATE calib.certification AS c
    SET validity = tstzrange(lower(c.validity), p_end, '[)')
    WHERE c.collection_id = v_coll.collection_id
      AND c.dataset_type_id = v_type.dataset_type_id
      AND c.validity && tstzrange(p_end, NULL, '[)')
      AND upper_inf(c.validity)
      AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys));
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$function$;
CREATE OR REPLACE FUNCTION calib.copy_collection(p_source text, p_destination text, p_doc text DEFAULT NULL::text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Create p_destination with the type of p_source and all its associations: certifications
   with their timespans (CALIBRATION), tags (TAGGED) or chain children (CHAINED). Set-based:
   one INSERT ... SELECT. p_doc defaults to the source's doc.
   Errors: KC002 unknown source, KC003 source is a RUN, KC010 destination exists, KC014 bad
   destination name.
   Locks: for a chain, calib._lock_chains(); the source row FOR SHARE (waits for writers in
   flight, then copies their complete result); the new row is invisible until commit. */
DECLARE
    v_src calib.collection := calib._collection(p_source, ARRAY['TAGGED', 'CALIBRATION', 'CHAINED']);
    v_dst_id integer;
BEGIN
    p_destination := normalize(p_destination, NFC);  -- names are stored in NFC
    PERFORM calib._check_name(p_destination, 'collection name');
    IF v_src.type = 'CHAINED' THEN
        PERFORM calib._lock_chains();
        /* Look it up again: a concurrent remove may have committed while we waited. */
        v_src := calib._collection(p_source, ARRAY['CHAINED']);
    END IF;
    PERFORM calib._lock_collections(ARRAY[v_src.collection_id], 'read');
    INSERT INTO calib.collection (name, type, doc)
    VALUES (p_destination, v_src.type, coalesce(p_doc, v_src.doc))
    ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING
    RETURNING collection_id INTO v_dst_id;
    IF v_dst_id IS NULL THEN
        PERFORM calib._raise('KC010', format('collection %L already exists', p_destination),
                             jsonb_build_object('kind', 'collection_exists',
                                                'collection', p_destination));
    END IF;
    IF v_src.type = 'CALIBRATION' THEN
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT v_dst_id, c.dataset_type_id, c.data_id_key, c.dataset_id, c.validity
        FROM calib.certification AS c WHERE c.collection_id = v_src.collection_id;
    ELSIF v_src.type = 'TAGGED' THEN
        INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
        SELECT v_dst_id, t.dataset_type_id, t.data_id_key, t.dataset_id
        FROM calib.tag AS t WHERE t.collection_id = v_src.collection_id;
    ELSE
        INSERT INTO calib.collection_chain (parent_id, position, child_id)
        SELECT v_dst_id, ch.position, ch.child_id
        FROM calib.collection_chain AS ch WHERE ch.parent_id = v_src.collection_id;
    END IF;
END
$function$;
CREATE OR REPLACE FUNCTION calib.decertify(p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL::jsonb[])
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Remove validity inside p_timespan from every certification of p_dataset_type in
   CALIBRATION collection p_collection (only those data IDs when p_data_ids is given):
   a certification fully covered is removed, one straddling an end is shortened, one
   containing the span is split in two. Set-based: one DELETE, one INSERT of the remaining
   pieces (range difference as multiranges). Returns the number of certifications touched;
   nothing matching is a no-op (0).
   Errors: KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009
   bad timespan, KC008 bad data ID. Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_span tstzrange := calib._timespan(p_timespan);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    v_n integer;
BEGIN
    PERFORM calib._lock_collections(ARRAY[v_coll.collection_id]);
    WITH hit AS (
        DELETE FROM calib.certification AS c
        WHERE c.collection_id = v_coll.collection_id
          AND c.dataset_type_id = v_type.dataset_type_id
          AND c.validity && v_span
          AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys))
        RETURNING c.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id, c.validity
    ), pieces AS (
        INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
        SELECT hit.collection_id, hit.dataset_type_id, hit.data_id_key, hit.dataset_id, piece
        FROM hit, unnest(tstzmultirange(hit.validity) - tstzmultirange(v_span)) AS piece
    )
    SELECT count(*) INTO v_n FROM hit;
    RETURN v_n;
END
$function$;
CREATE OR REPLACE FUNCTION calib.get_datasets(p_ids uuid[])
 RETURNS TABLE(dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The datasets with the given ids, in input order. Errors: KC007 unknown id, KC015 NULL.
   Read-only, no locks. */
BEGIN
    PERFORM calib._resolve_datasets(p_ids);
    RETURN QUERY
    SELECT d.dataset_id, t.name, di.value, r.name
    FROM unnest(p_ids) WITH ORDINALITY AS u(id, ord)
    JOIN calib.dataset AS d ON d.dataset_id = u.id
    JOIN calib.dataset_type AS t ON t.dataset_type_id = d.dataset_type_id
    JOIN calib.data_id AS di ON di.data_id_key = d.data_id_key
    JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
END
$function$;
CREATE OR REPLACE FUNCTION calib.insert_datasets(p_dataset_type text, p_run text, p_data_ids jsonb[], p_ids uuid[] DEFAULT NULL::uuid[])
 RETURNS TABLE(dataset_id uuid, data_id jsonb)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Create one dataset per data ID in RUN collection p_run; returns (id, canonical data ID)
   in input order. p_ids brings the caller's own UUIDs (same length); otherwise random
   UUIDs are generated. Set-based: data IDs are interned and datasets inserted with one
   statement each.
   A dimension used for the first time gets the value type of its first value here.
   Errors: KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID
   (calib._canonical_data_ids: also a value of the other type than its dimension's),
   KC010 a data ID repeated in the call or already in the run, or an id already used,
   KC015 NULLs / p_ids of another length.
   Locks: the run's collection row (calib._lock_collections). */
DECLARE
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_run calib.collection := calib._collection(p_run, ARRAY['RUN']);
    /* First use of a dimension fixes its value type (calib.dimension). */
    v_new_dimensions boolean := calib._fix_dimensions(v_type, p_data_ids);
    v_values jsonb[] := calib._canonical_data_ids(v_type, p_data_ids);
    v_ids uuid[];
    v_keys integer[];
    v_dup jsonb;
    v_dup_id uuid;
BEGIN
    IF p_ids IS NOT NULL AND (cardinality(p_ids) <> cardinality(p_data_ids)
                              OR array_position(p_ids, NULL) IS NOT NULL) THEN
        PERFORM calib._raise('KC015',
            format('%s ids given for %s data IDs (ids must be non-NULL, one per data ID)',
                   cardinality(p_ids), cardinality(p_data_ids)),
            jsonb_build_object('kind', 'ids_count', 'dataset_type', p_dataset_type,
                               'collection', p_run, 'n_ids', cardinality(p_ids),
                               'n_data_ids', cardinality(p_data_ids)));
    END IF;
    v_ids := coalesce(p_ids, ARRAY(SELECT gen_random_uuid() FROM generate_series(1, cardinality(v_values))));

    SELECT u.v INTO v_dup FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
    GROUP BY u.v HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC010',
            format('data ID %s of dataset type %L appears more than once in one call', v_dup, p_dataset_type),
            jsonb_build_object('kind', 'data_id_repeated', 'dataset_type', p_dataset_type,
                               'data_id', v_dup, 'collection', p_run));
    END IF;
    SELECT u.i INTO v_dup_id FROM unnest(v_ids) WITH ORDINALITY AS u(i, ord)
    GROUP BY u.i HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC010', format('dataset id %s appears more than once in one call', v_dup_id),
                             jsonb_build_object('kind', 'dataset_id_repeated', 'dataset', v_dup_id));
    END IF;

    PERFORM calib._lock_collections(ARRAY[v_run.collection_id]);

    SELECT d.dataset_id INTO v_dup_id FROM calib.dataset AS d WHERE d.dataset_id = ANY (v_ids)
    ORDER BY d.dataset_id LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC010', format('dataset id %s already exists', v_dup_id),
                             jsonb_build_object('kind', 'dataset_id_exists', 'dataset', v_dup_id));
    END IF;

    /* Intern in a fixed order so that concurrent callers cannot deadlock on each other's
       speculative insertions. */
    INSERT INTO calib.data_id (dataset_type_id, value)
    SELECT v_type.dataset_type_id, v FROM unnest(v_values) AS v ORDER BY v
    ON CONFLICT ON CONSTRAINT data_id_type_value_key DO NOTHING;
    v_keys := ARRAY(
        SELECT di.data_id_key
        FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
        JOIN calib.data_id AS di ON di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v
        ORDER BY u.ord);

    SELECT di.value INTO v_dup
    FROM calib.dataset AS d JOIN calib.data_id AS di ON di.data_id_key = d.data_id_key
    WHERE d.run_id = v_run.collection_id AND d.data_id_key = ANY (v_keys)
    ORDER BY d.data_id_key LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC010',
            format('RUN %L already has a %L dataset with data ID %s', p_run, p_dataset_type, v_dup),
            jsonb_build_object('kind', 'run_data_id_exists', 'collection', p_run,
                               'dataset_type', p_dataset_type, 'data_id', v_dup));
    END IF;

    /* In id order too: two calls given the same new ids in opposite orders (into
       different RUNs, so under different collection locks) then meet on the same first
       id, and the later one waits for it and fails (dataset_pkey) instead of deadlocking
       with the other halfway through. */
    INSERT INTO calib.dataset (dataset_id, dataset_type_id, data_id_key, run_id)
    SELECT u.id, v_type.dataset_type_id, u.k, v_run.collection_id
    FROM unnest(v_ids, v_keys) AS u(id, k)
    ORDER BY u.id;

    RETURN QUERY SELECT u.id, u.v FROM unnest(v_ids, v_values) AS u(id, v);
END
$function$;
CREATE OR REPLACE FUNCTION calib.register_collection(p_name text, p_type text, p_doc text DEFAULT NULL::text)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Register a collection. p_type is RUN, TAGGED, CALIBRATION or CHAINED (any case).
   Returns true if it was created, false if it existed with the same type (a no-op; the
   stored doc is kept). Concurrent registrations of one name are safe (ON CONFLICT).
   The name is stored in Unicode NFC.
   Errors: KC014 bad name, KC015 unknown type / NULL, KC010 exists with another type.
   Locks: none beyond the unique index. */
DECLARE
    v_type text := upper(p_type);
    v_existing text;
BEGIN
    p_name := normalize(p_name, NFC);  -- names are stored in NFC (calib._check_name)
    PERFORM calib._check_name(p_name, 'collection name');
    IF v_type IS NULL OR v_type NOT IN ('RUN', 'TAGGED', 'CALIBRATION', 'CHAINED') THEN
        PERFORM calib._raise('KC015',
            format('unknown collection type %L; expected RUN, TAGGED, CALIBRATION or CHAINED', p_type),
            jsonb_build_object('kind', 'collection_type_unknown', 'collection', p_name,
                               'type', p_type));
    END IF;
    INSERT INTO calib.collection (name, type, doc) VALUES (p_name, v_type, p_doc)
    ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING;
    IF FOUND THEN
        RETURN true;
    END IF;
    SELECT type INTO v_existing FROM calib.collection WHERE name = p_name;
    IF v_existing <> v_type THEN
        PERFORM calib._raise('KC010',
            format('collection %L already exists as %s, not %s', p_name, v_existing, v_type),
            jsonb_build_object('kind', 'collection_exists_as', 'collection', p_name,
                               'type', v_existing, 'requested', v_type));
    END IF;
    RETURN false;
END
$function$;
CREATE OR REPLACE FUNCTION calib.register_dataset_type(p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Register a dataset type: its data IDs have exactly the keys p_dimensions (ordered,
   distinct names). Returns true if created, false if the same definition existed.
   Names are stored in Unicode NFC; at most 32 dimensions (with the 2000-byte limit of a
   data ID, no data ID can outgrow a btree entry).
   Errors: KC014 bad name, KC015 NULL / repeated dimension / more than 32, KC010 exists with another
   definition. Locks: none beyond the unique index. */
DECLARE
    v_existing calib.dataset_type;
    v_dim text;
BEGIN
    /* Names are stored in NFC (calib._check_name), the dimension names too. */
    p_name := normalize(p_name, NFC);
    p_dimensions := CASE WHEN p_dimensions IS NOT NULL THEN ARRAY(SELECT normalize(u.d, NFC)
                          FROM unnest(p_dimensions) WITH ORDINALITY AS u(d, ord) ORDER BY u.ord) END;
    PERFORM calib._check_name(p_name, 'dataset type name');
    IF p_dimensions IS NULL OR p_is_calibration IS NULL THEN
        PERFORM calib._raise('KC015', 'dimensions and is_calibration must not be NULL',
                             jsonb_build_object('kind', 'dataset_type_definition_null',
                                                'dataset_type', p_name));
    END IF;
    FOREACH v_dim IN ARRAY p_dimensions LOOP
        PERFORM calib._check_name(v_dim, 'dimension name');
    END LOOP;
    IF cardinality(p_dimensions) <> (SELECT count(DISTINCT d) FROM unnest(p_dimensions) AS d) THEN
        PERFORM calib._raise('KC015',
            format('dimensions of dataset type %L repeat a name: %s', p_name, p_dimensions),
            jsonb_build_object('kind', 'dimensions_repeated', 'dataset_type', p_name,
                               'dimensions', to_jsonb(p_dimensions)));
    END IF;
    IF cardinality(p_dimensions) > 32 THEN
        PERFORM calib._raise('KC015',
            format('dataset type %L has %s dimensions; at most 32 are allowed', p_name,
                   cardinality(p_dimensions)),
            jsonb_build_object('kind', 'dimensions_count', 'dataset_type', p_name,
                               'count', cardinality(p_dimensions)));
    END IF;
    INSERT INTO calib.dataset_type (name, dimensions, is_calibration)
    VALUES (p_name, p_dimensions, p_is_calibration)
    ON CONFLICT ON CONSTRAINT dataset_type_name_key DO NOTHING;
    IF FOUND THEN
        RETURN true;
    END IF;
    SELECT * INTO v_existing FROM calib.dataset_type WHERE name = p_name;
    IF v_existing.dimensions <> p_dimensions OR v_existing.is_calibration <> p_is_calibration THEN
        PERFORM calib._raise('KC010',
            format('dataset type %L already exists with dimensions %s, is_calibration=%s',
                   p_name, v_existing.dimensions, v_existing.is_calibration),
            jsonb_build_object('kind', 'dataset_type_exists_as', 'dataset_type', p_name,
                               'dimensions', to_jsonb(v_existing.dimensions),
                               'is_calibration', v_existing.is_calibration));
    END IF;
    RETURN false;
END
$function$;
CREATE OR REPLACE FUNCTION calib.remove_collection(p_name text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Remove a TAGGED, CALIBRATION or CHAINED collection with its associations (tags,
   certifications, chain children); its datasets stay in their RUNs. A RUN may be removed
   only while it holds no dataset.
   Errors: KC002 unknown, KC013 still a child of a chain / RUN with datasets.
   Locks: calib._lock_chains(), then the collection row. */
DECLARE
    v_coll calib.collection := calib._collection(p_name);
    v_parent text;
BEGIN
    PERFORM calib._lock_chains();
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_coll := calib._collection(p_name);
    PERFORM calib._lock_collections(ARRAY[v_coll.collection_id]);
    SELECT p.name INTO v_parent
    FROM calib.collection_chain AS ch JOIN calib.collection AS p ON p.collection_id = ch.parent_id
    WHERE ch.child_id = v_coll.collection_id
    ORDER BY p.name LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC013',
            format('collection %L is still a child of chain %L', p_name, v_parent),
            jsonb_build_object('kind', 'collection_in_chain', 'collection', p_name,
                               'parent', v_parent));
    END IF;
    IF v_coll.type = 'RUN' AND EXISTS (SELECT FROM calib.dataset WHERE run_id = v_coll.collection_id) THEN
        PERFORM calib._raise('KC013',
            format('RUN collection %L still holds datasets; datasets are never deleted', p_name),
            jsonb_build_object('kind', 'run_has_datasets', 'collection', p_name));
    END IF;
    DELETE FROM calib.collection WHERE collection_id = v_coll.collection_id;
END
$function$;
CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* set_chain with the children as one JSON array document of names (calib._names).
   PL/pgSQL, as the typed form, so that both return the same void value. */
BEGIN
    PERFORM calib.set_chain(p_parent, calib._names(p_children, 'children'));
END
$function$;
CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* set_chain with the children as text: a JSON array or a PostgreSQL array literal. */
BEGIN
    PERFORM calib.set_chain(p_parent, calib._names(calib._document(p_children, 'children', false),
                                                   'children'));
END
$function$;
CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Replace the children of CHAINED collection p_parent, atomically, by p_children in order
   (a repeated child is kept at its first position only; an empty array empties the chain).
   Errors: KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the
   parent itself, or a chain that already contains the parent), KC015 NULL.
   Locks: calib._lock_chains(), then the parent row (calib._lock_collections). */
DECLARE
    v_parent calib.collection := calib._collection(p_parent, ARRAY['CHAINED']);
    v_ids integer[];
    v_missing text;
    v_cycle text;
BEGIN
    IF p_children IS NULL OR array_position(p_children, NULL) IS NOT NULL THEN
        PERFORM calib._raise('KC015', 'chain children must be a non-NULL array of names',
                             jsonb_build_object('kind', 'chain_children_null',
                                                'collection', p_parent));
    END IF;
    /* Names are stored in NFC: look the children up by their NFC spelling. */
    p_children := ARRAY(SELECT normalize(u.c, NFC)
                        FROM unnest(p_children) WITH ORDINALITY AS u(c, ord) ORDER BY u.ord);
    PERFORM calib._lock_chains();
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_parent := calib._collection(p_parent, ARRAY['CHAINED']);
    PERFORM calib._lock_collections(ARRAY[v_parent.collection_id]);

    SELECT u.name INTO v_missing
    FROM unnest(p_children) WITH ORDINALITY AS u(name, ord)
    LEFT JOIN calib.collection AS c ON c.name = u.name
    WHERE c.collection_id IS NULL ORDER BY u.ord LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC002',
            format('collection %L (child of chain %L) does not exist', v_missing, p_parent),
            jsonb_build_object('kind', 'chain_child_missing', 'collection', v_missing,
                               'parent', p_parent));
    END IF;

    v_ids := ARRAY(
        SELECT c.collection_id
        FROM (SELECT DISTINCT ON (u.name) u.name, u.ord
              FROM unnest(p_children) WITH ORDINALITY AS u(name, ord)
              ORDER BY u.name, u.ord) AS firsts
        JOIN calib.collection AS c ON c.name = firsts.name
        ORDER BY firsts.ord);

    /* A cycle exists iff the parent is reachable from one of the new children. */
    WITH RECURSIVE reach (collection_id, via) AS (
        SELECT c, c FROM unnest(v_ids) AS c
        UNION
        SELECT ch.child_id, r.via
        FROM reach AS r JOIN calib.collection_chain AS ch ON ch.parent_id = r.collection_id
    )
    SELECT c.name INTO v_cycle
    FROM reach AS r JOIN calib.collection AS c ON c.collection_id = r.via
    WHERE r.collection_id = v_parent.collection_id
    ORDER BY array_position(v_ids, r.via)  -- the first new child that leads back
    LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC004',
            format('making %L a child of chain %L would create a cycle', v_cycle, p_parent),
            jsonb_build_object('kind', 'chain_cycle', 'collection', p_parent, 'child', v_cycle));
    END IF;

    DELETE FROM calib.collection_chain WHERE parent_id = v_parent.collection_id;
    INSERT INTO calib.collection_chain (parent_id, position, child_id)
    SELECT v_parent.collection_id, u.ord, u.id
    FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord);
END
$function$;
CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets uuid[])
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Add datasets to TAGGED collection p_collection. A TAGGED collection holds at most one
   dataset per (dataset type, data ID); tagging a dataset already there is a no-op.
   Returns the number of datasets newly tagged.
   Errors: KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another
   dataset of the same type and data ID is tagged already (or in the same call).
   Locks: the collection row. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['TAGGED']);
    v_res record := calib._resolve_datasets(p_datasets);
    v_bad record;
    v_n integer;
BEGIN
    PERFORM calib._lock_collections(ARRAY[v_coll.collection_id]);
    WITH n AS (SELECT DISTINCT u.id, u.k FROM unnest(p_datasets, v_res.o_keys) AS u(id, k)),
    clash AS (
        SELECT 0 AS src, a.id, b.id AS other, a.k
        FROM n AS a JOIN n AS b ON a.k = b.k AND a.id < b.id
        UNION ALL
        SELECT 1, n.id, t.dataset_id, n.k FROM n
        JOIN calib.tag AS t ON t.collection_id = v_coll.collection_id AND t.data_id_key = n.k
                           AND t.dataset_id <> n.id
    )
    SELECT clash.*, di.value AS data_id, dt.name AS type_name INTO v_bad
    FROM clash JOIN calib.data_id AS di ON di.data_id_key = clash.k
    JOIN calib.dataset_type AS dt ON dt.dataset_type_id = di.dataset_type_id
    /* A fixed choice when there are several (the same on every plan and backend): clashes
       within the call first, then by key and ids. */
    ORDER BY clash.src, clash.k, clash.id, clash.other
    LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC010',
            format('TAGGED collection %L can hold only one %L dataset with data ID %s: %s and %s',
                   p_collection, v_bad.type_name, v_bad.data_id, v_bad.id, v_bad.other),
            jsonb_build_object('kind', 'tag_clash', 'collection', p_collection,
                               'dataset_type', v_bad.type_name,
                               'data_id', v_bad.data_id, 'dataset', v_bad.id,
                               'conflicting_dataset', v_bad.other));
    END IF;
    INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)
    SELECT DISTINCT v_coll.collection_id, u.t, u.k, u.id
    FROM unnest(p_datasets, v_res.o_types, v_res.o_keys) AS u(id, t, k)
    ON CONFLICT ON CONSTRAINT tag_pkey DO NOTHING;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$function$;
CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets uuid[])
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Remove datasets from TAGGED collection p_collection; datasets not tagged there are
   ignored. Returns the number removed.
   Errors: KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.
   Locks: the collection row. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['TAGGED']);
    v_res record := calib._resolve_datasets(p_datasets);
    v_n integer;
BEGIN
    PERFORM calib._lock_collections(ARRAY[v_coll.collection_id]);
    DELETE FROM calib.tag AS t
    WHERE t.collection_id = v_coll.collection_id AND t.dataset_id = ANY (p_datasets);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$function$;
-- Undo revision 0011 on PostgreSQL (source of versions/0011_psql_errors.postgresql.down.sql):
-- freeze.py puts back every function 0011 re-creates as 0010 had them; nothing else changed.
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib._data_id_value(text,jsonb,text,jsonb);
