-- FROZEN upgrade of revision 0010, written by migrations/freeze.py from sources/0010_dimension_types.postgresql.sql.
-- Never edit by hand.
-- Revision 0010 (0009 -> 0010) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0010_dimension_types.postgresql.sql (issue 14, item 2). One value type per
-- dimension name, fixed at first use (calib.dimension, filled here from the stored data
-- IDs; calib._fix_dimensions, calib._canonical_data_ids, calib._canonical_where and the
-- statement triggers on calib.data_id enforce it); one set of limits and Unicode rules for
-- names and data-ID values (NFC, no control / format characters: calib._forbidden_character,
-- also in the name CHECKs; values 1-255 characters, a data ID at most 2000 bytes; at most 32
-- dimensions). A database whose stored data IDs already mix the types of a dimension, or
-- whose names break the new rules, is refused, unchanged, naming them (the revision module
-- says the same before this script runs): nothing is merged silently.
CREATE OR REPLACE FUNCTION calib._forbidden_character(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* The first character of p_text that names and data-ID string values may not hold, as
   'U+XXXX', or NULL when there is none. Refused: the control characters (Unicode category
   Cc; PostgreSQL text cannot hold NUL anyway) and the format characters (Cf, as of
   Unicode 15): soft hyphen, bidi marks, embeddings, overrides and isolates, zero-width
   space and joiners, word joiner, invisible operators, byte-order mark, tags... The same
   list is calibcert.types.FORBIDDEN_RANGES (which adds lone surrogates, that PostgreSQL
   cannot receive); tests/test_names_and_values.py compares the two over every code point.
   The table CHECKs of names call it too, so raw writers meet the same rule.
   An E'' literal: the pattern reads the same whatever standard_conforming_strings is. */
SELECT 'U+' || upper(lpad(to_hex(ascii(m[1])), greatest(4, length(to_hex(ascii(m[1])))), '0'))
FROM regexp_match(p_text, E'([\\x01-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\\U000110bd\\U000110cd\\U00013430-\\U0001343f\\U0001bca0-\\U0001bca3\\U0001d173-\\U0001d17a\\U000e0001\\U000e0020-\\U000e007f])') AS m
$$;

DO $$
DECLARE
    v_problems text;
BEGIN
    SELECT string_agg(format('dimension %L has integer values (e.g. %s) and string values '
                             '(e.g. %s)', t.key, t.int_example, t.str_example), '; '
                      ORDER BY t.key)
    INTO v_problems
    FROM (SELECT e.key,
                 min(e.value::text) FILTER (WHERE jsonb_typeof(e.value) = 'number') AS int_example,
                 min(e.value::text) FILTER (WHERE jsonb_typeof(e.value) = 'string') AS str_example
          FROM calib.data_id AS d CROSS JOIN LATERAL jsonb_each(d.value) AS e
          GROUP BY e.key
          HAVING count(DISTINCT jsonb_typeof(e.value)) > 1) AS t;
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'KC008',
            MESSAGE = 'cannot upgrade to revision 0010: stored data IDs mix the value types of '
                      'a dimension: ' || v_problems,
            HINT = 'Make the values of each dimension one type (integer or string), then '
                   'upgrade again. Nothing was changed.';
    END IF;
    SELECT string_agg(format('%s %L', n.what, n.name), '; ' ORDER BY n.what, n.name)
    INTO v_problems
    FROM (SELECT 'collection name' AS what, name FROM calib.collection
          UNION ALL SELECT 'dataset type name', name FROM calib.dataset_type
          UNION ALL SELECT DISTINCT 'dimension name', unnest(dimensions) FROM calib.dataset_type
          UNION ALL SELECT DISTINCT 'data-ID value', e.value #>> '{}'
          FROM calib.data_id AS d CROSS JOIN LATERAL jsonb_each(d.value) AS e
          WHERE jsonb_typeof(e.value) = 'string' AND NOT (e.value #>> '{}') IS NFC NORMALIZED) AS n
    WHERE NOT n.name IS NFC NORMALIZED
       OR (n.what <> 'data-ID value' AND calib._forbidden_character(n.name) IS NOT NULL);
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'KC014',
            MESSAGE = 'cannot upgrade to revision 0010: stored names or values break its '
                      'rules (Unicode NFC, no control or format characters): ' || v_problems,
            HINT = 'Rename them (or rewrite the values in NFC), then upgrade again. Nothing '
                   'was changed.';
    END IF;
END
$$;
/* One value type per dimension name, everywhere (as in the Butler: detector is an integer
   for every dataset type that has it). Fixed at first use: the first data ID stored with a
   dimension fixes its type (calib._fix_dimensions before insert_datasets checks its data
   IDs; the statement triggers on calib.data_id for every other writer), so 1 and "1" can
   never be two keys. Never write this table yourself: a type cannot change while data IDs
   use it. */
CREATE TABLE calib.dimension (
    name       text NOT NULL,
    value_type text NOT NULL,
    CONSTRAINT dimension_pkey PRIMARY KEY (name),
    CONSTRAINT dimension_value_type_check CHECK (value_type IN ('integer', 'string'))
);
COMMENT ON TABLE calib.dimension IS
    'The value type of each dimension name (integer or string), fixed by the first data ID '
    'stored with it; data IDs whose value has the other type are refused (KC008).';

INSERT INTO calib.dimension (name, value_type)
SELECT e.key, min(CASE jsonb_typeof(e.value) WHEN 'string' THEN 'string' ELSE 'integer' END)
FROM calib.data_id AS d CROSS JOIN LATERAL jsonb_each(d.value) AS e
WHERE jsonb_typeof(e.value) IN ('string', 'number')
GROUP BY e.key;
ALTER TABLE calib.collection DROP CONSTRAINT collection_name_check,
    ADD CONSTRAINT collection_name_check
        CHECK (char_length(name) BETWEEN 1 AND 255 AND name IS NFC NORMALIZED
               AND calib._forbidden_character(name) IS NULL);
ALTER TABLE calib.dataset_type DROP CONSTRAINT dataset_type_name_check,
    ADD CONSTRAINT dataset_type_name_check
        CHECK (char_length(name) BETWEEN 1 AND 255 AND name IS NFC NORMALIZED
               AND calib._forbidden_character(name) IS NULL);
CREATE OR REPLACE FUNCTION calib._check_name(p_name text, p_what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

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
$$;

CREATE OR REPLACE FUNCTION calib._dataset_type(p_name text, p_need_calibration boolean DEFAULT false)
RETURNS calib.dataset_type
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

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
$$;

CREATE OR REPLACE FUNCTION calib._fix_dimensions(p_type calib.dataset_type, p_data_ids jsonb[])
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Fix the value type of each dimension of p_type that has none yet (calib.dimension) from
   its first value in p_data_ids, in input order: a string fixes 'string', a number
   'integer'. Run by insert_datasets before calib._canonical_data_ids checks the data IDs
   against the types, so that a later value of the other type in the same call is refused
   like one in a later call. Nothing to do (one index probe per dimension) once every
   dimension is fixed. Items that are no object or hold values of another kind are skipped:
   _canonical_data_ids refuses them, and the whole call with them.
   Concurrency: two transactions fixing one new dimension meet on dimension_pkey (ON
   CONFLICT DO NOTHING); the second waits for the first, then its checks (a later statement,
   a new snapshot) read the type the first one committed, so they cannot both store a type.
   Returns whether any dimension was new.
   Locks: the new rows of calib.dimension, until the transaction ends. */
BEGIN
    IF p_data_ids IS NULL OR NOT EXISTS (
            SELECT FROM unnest(p_type.dimensions) AS d(name)
            WHERE NOT EXISTS (SELECT FROM calib.dimension AS x WHERE x.name = d.name)) THEN
        RETURN false;
    END IF;
    INSERT INTO calib.dimension (name, value_type)
    SELECT DISTINCT ON (e.name) e.name, e.value_type
    FROM unnest(p_data_ids) WITH ORDINALITY AS u(d, ord)
    CROSS JOIN LATERAL (
        SELECT normalize(j.key, NFC) AS name,
               CASE jsonb_typeof(j.value) WHEN 'string' THEN 'string' ELSE 'integer' END
                   AS value_type
        FROM jsonb_each(CASE WHEN jsonb_typeof(u.d) = 'object' THEN u.d END) AS j
        WHERE jsonb_typeof(j.value) IN ('string', 'number')) AS e
    WHERE e.name = ANY (p_type.dimensions)
    ORDER BY e.name, u.ord
    ON CONFLICT ON CONSTRAINT dimension_pkey DO NOTHING;
    RETURN FOUND;
END
$$;

CREATE OR REPLACE FUNCTION calib._canonical_where(p_type calib.dataset_type, p_where jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib._data_id_types_trigger()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

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
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text[])
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_chain with the children as one JSON array document of names (calib._names).
   PL/pgSQL, as the typed form, so that both return the same void value. */
BEGIN
    PERFORM calib.set_chain(p_parent, calib._names(p_children, 'children'));
END
$$;

CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* set_chain with the children as text: a JSON array or a PostgreSQL array literal. */
BEGIN
    PERFORM calib.set_chain(p_parent, calib._names(calib._document(p_children, 'children', false),
                                                   'children'));
END
$$;

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

CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids jsonb[], p_ids uuid[] DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids jsonb, p_ids jsonb DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* insert_datasets with the data IDs and the ids as JSON array documents
   ('[{"instrument": "Cam", "detector": 1}]', '["<uuid>"]'); same results and errors, KC016
   for a document that is not such an array. */
SELECT * FROM calib.insert_datasets(p_dataset_type, p_run,
                                    calib._data_ids(p_data_ids, 'data_ids'),
                                    calib._uuids(p_ids, 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids text, p_ids text DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* insert_datasets with every argument as text: data IDs and ids as JSON arrays or
   PostgreSQL array literals (calib._document). */
SELECT * FROM calib.insert_datasets(
    p_dataset_type, p_run,
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'),
    calib._uuids(calib._document(p_ids, 'ids', false), 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.copy_collection(p_source text, p_destination text, p_doc text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The datasets of p_dataset_type visible in a RUN, TAGGED or CHAINED collection without a
   time: for each data ID the first RUN / TAGGED member holding it decides (as find with no
   time); CALIBRATION members are skipped. p_where narrows by data-ID values (jsonb
   containment, e.g. '{"detector": 3}'). Ordered by data ID (interning order). This is how
   "certify all biases in this run" picks its datasets.
   Errors: KC002, KC003 (a CALIBRATION collection itself), KC005, KC008 (p_where: a bad
   value, or one of the other type than its dimension's; calib._canonical_where). Read-only, no locks. */
/* Check both names up front: below, the planner may never evaluate the CTE that calls
   _collection (nothing to join with), and an unknown collection would pass silently. */
SELECT calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED']),
       calib._canonical_where(calib._dataset_type(p_dataset_type), p_where);
WITH chain AS (
    SELECT f.* FROM calib._flatten(
        (calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED'])).collection_id) AS f
), ty AS (
    SELECT * FROM calib._dataset_type(p_dataset_type)
), w AS (
    SELECT calib._canonical_where(calib._dataset_type(p_dataset_type), p_where) AS v
), m AS (
    SELECT ch.ord, d.dataset_id, d.data_id_key
    FROM chain AS ch JOIN calib.dataset AS d ON d.run_id = ch.collection_id
    WHERE ch.type = 'RUN' AND d.dataset_type_id = (SELECT dataset_type_id FROM ty)
    UNION ALL
    SELECT ch.ord, t.dataset_id, t.data_id_key
    FROM chain AS ch JOIN calib.tag AS t ON t.collection_id = ch.collection_id
    WHERE ch.type = 'TAGGED' AND t.dataset_type_id = (SELECT dataset_type_id FROM ty)
), firsts AS (
    SELECT DISTINCT ON (m.data_id_key) m.dataset_id, m.data_id_key FROM m ORDER BY m.data_id_key, m.ord
)
SELECT f.dataset_id, (SELECT name FROM ty), di.value, r.name
FROM firsts AS f
JOIN calib.data_id AS di ON di.data_id_key = f.data_id_key
JOIN calib.dataset AS d ON d.dataset_id = f.dataset_id
JOIN calib.collection AS r ON r.collection_id = d.run_id
WHERE p_where IS NULL OR di.value @> (SELECT v FROM w)
ORDER BY f.data_id_key
$$;

CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* query_datasets with the where clause as JSON text (a driver binding text): parsed by
   calib._json_text (KC016 if it is not JSON). No default: a two-argument call keeps
   reaching the typed form. */
SELECT * FROM calib.query_datasets(p_collection, p_dataset_type, calib._json_text(p_where, 'where'))
$$;

-- CREATE OR REPLACE: a revision can run this whole file again (migrations/sources/).
/* Raw writers may spell an unbounded side as +-infinity; store it as a missing bound.
   The WHEN clause keeps the common path (no infinity) free of any trigger call. */
CREATE OR REPLACE TRIGGER certification_normalize_validity
    BEFORE INSERT OR UPDATE OF validity ON calib.certification
    FOR EACH ROW
    WHEN (lower(NEW.validity) = '-infinity' OR upper(NEW.validity) = 'infinity')
    EXECUTE FUNCTION calib._normalize_validity();

/* calib.search_path follows collection and collection_chain for every writer (the trigger
   function is calib._search_path_trigger). A new collection gets its own row. After each
   statement that changes chains (set_chain, remove_collection and copy_collection, the
   cascades of a removed chain, raw SQL), the changed parents and every chain above them are
   recomputed (calib._refresh_search_paths, which takes the chain lock). Statement-level
   with transition tables: one refresh per statement, however many rows it changed.
   PostgreSQL allows transition tables only on single-event triggers, hence one per event. */
CREATE OR REPLACE TRIGGER collection_search_path_insert
    AFTER INSERT ON calib.collection
    FOR EACH ROW WHEN (NEW.type <> 'CHAINED')
    EXECUTE FUNCTION calib._search_path_trigger();
CREATE OR REPLACE TRIGGER collection_chain_search_path_insert
    AFTER INSERT ON calib.collection_chain
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._search_path_trigger();
CREATE OR REPLACE TRIGGER collection_chain_search_path_update
    AFTER UPDATE ON calib.collection_chain
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._search_path_trigger();
CREATE OR REPLACE TRIGGER collection_chain_search_path_delete
    AFTER DELETE ON calib.collection_chain
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._search_path_trigger();
CREATE OR REPLACE TRIGGER collection_chain_search_path_truncate
    AFTER TRUNCATE ON calib.collection_chain
    FOR EACH STATEMENT EXECUTE FUNCTION calib._search_path_trigger();
/* No function changes a collection's type, but raw SQL may (while no foreign key objects):
   the collection's rows as a member go first, then its path and the paths above it are
   recomputed. The WHEN clauses keep every other update of collection free of trigger calls. */
CREATE OR REPLACE TRIGGER collection_type_search_path_before
    BEFORE UPDATE OF type ON calib.collection
    FOR EACH ROW WHEN (OLD.type IS DISTINCT FROM NEW.type)
    EXECUTE FUNCTION calib._search_path_trigger();
CREATE OR REPLACE TRIGGER collection_type_search_path
    AFTER UPDATE OF type ON calib.collection
    FOR EACH ROW WHEN (OLD.type IS DISTINCT FROM NEW.type)
    EXECUTE FUNCTION calib._search_path_trigger();
/* One value type per dimension (calib.dimension) for every writer of calib.data_id: new
   dimensions are fixed from the new rows, then a value of the other type is refused (KC008;
   calib._data_id_types_trigger). Statement-level: one pass per statement. */
CREATE OR REPLACE TRIGGER data_id_types_insert
    AFTER INSERT ON calib.data_id
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._data_id_types_trigger();
CREATE OR REPLACE TRIGGER data_id_types_update
    AFTER UPDATE ON calib.data_id
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._data_id_types_trigger();

/* Privileges. Functions run as their owner (SECURITY DEFINER, search_path pinned), so
   callers need EXECUTE, not table rights: every change goes through the functions (and so
   through their checks, locks and, later, the history ledger). calib_reader may look up
   and read the tables; calib_writer may also call the mutating functions. Private helpers
   (names starting with _) are not granted to anyone. Each JSON-document and all-text form
   of a function (README "Calling from another service") gets the grant of its typed form.
   PUBLIC gets nothing: schema/security.sql revokes what PostgreSQL gives it by default and
   hands every object to calib_owner. */
GRANT USAGE ON SCHEMA calib TO calib_reader, calib_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA calib TO calib_reader, calib_writer;
GRANT EXECUTE ON FUNCTION
    calib.find(text, text, jsonb, timestamptz),
    calib.find(text, text, jsonb, tstzrange),
    calib.find(text, text, text, text),
    calib.find(text, text, jsonb, text),
    calib.find_many(text, text, jsonb[], timestamptz[]),
    calib.find_many(text, text, jsonb[], tstzrange[]),
    calib.find_many(text, text, jsonb, jsonb),
    calib.find_many(text, text, text, text),
    calib.certifications(text, text),
    calib.query_datasets(text, text, jsonb),
    calib.query_datasets(text, text, text),
    calib.get_datasets(uuid[]),
    calib.get_datasets(jsonb),
    calib.get_datasets(text),
    calib.get_chain(text),
    calib.list_collections(text),
    calib.list_dataset_types(),
    calib.probe(integer, integer, tstzrange)
TO calib_reader, calib_writer;
GRANT EXECUTE ON FUNCTION
    calib.register_collection(text, text, text),
    calib.set_chain(text, text[]),
    calib.set_chain(text, jsonb),
    calib.set_chain(text, text),
    calib.remove_collection(text),
    calib.register_dataset_type(text, text[], boolean),
    calib.register_dataset_type(text, jsonb, boolean),
    calib.register_dataset_type(text, text, text),
    calib.insert_datasets(text, text, jsonb[], uuid[]),
    calib.insert_datasets(text, text, jsonb, jsonb),
    calib.insert_datasets(text, text, text, text),
    calib.tag(text, uuid[]),
    calib.tag(text, jsonb),
    calib.tag(text, text),
    calib.untag(text, uuid[]),
    calib.untag(text, jsonb),
    calib.untag(text, text),
    calib.certify(text, uuid[], tstzrange, boolean),
    calib.certify(text, jsonb, tstzrange, boolean),
    calib.certify(text, text, text, text),
    calib.certify_series(text, uuid[], timestamptz[], boolean),
    calib.certify_series(text, jsonb, jsonb, boolean),
    calib.certify_series(text, text, text, text),
    calib.decertify(text, text, tstzrange, jsonb[]),
    calib.decertify(text, text, tstzrange, jsonb),
    calib.decertify(text, text, text, text),
    calib.close_open_range(text, text, timestamptz, jsonb[]),
    calib.close_open_range(text, text, timestamptz, jsonb),
    calib.close_open_range(text, text, text, text),
    calib.copy_collection(text, text, text)
TO calib_writer;

/* Ownership and PUBLIC. Runs after every object and grant exists (install.sql), and again at
   the end of every revision that adds objects: each object in schema calib, the schema
   itself included, is handed to calib_owner (roles.sql), and PUBLIC keeps no right on any
   of them. Owner changes keep the grants already made (their grantor becomes calib_owner).
   The rules it follows are the PostgreSQL manual's "Writing SECURITY DEFINER Functions
   Safely"; every function also pins search_path = pg_catalog, pg_temp in its own file.
   The installing role must be able to hand objects over: a superuser, or a member of
   calib_owner. Checked first, so that a refused install says why. */
DO $$
DECLARE
    r record;
BEGIN
    IF NOT pg_catalog.pg_has_role(current_user, 'calib_owner', 'MEMBER') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = pg_catalog.format('role %I cannot hand calibcert''s objects to calib_owner',
                                        current_user),
            HINT = pg_catalog.format('Install as a superuser, or first run (as a role with '
                'CREATEROLE): CREATE ROLE calib_owner NOLOGIN; GRANT calib_owner TO %I;',
                current_user);
    END IF;
    EXECUTE 'ALTER SCHEMA calib OWNER TO calib_owner';
    /* Tables, views, sequences not owned by a column (an identity sequence follows its
       table) and composite types of their own; then every function. */
    FOR r IN SELECT c.relname, c.relkind FROM pg_catalog.pg_class AS c
             WHERE c.relnamespace = 'calib'::regnamespace
               AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS d
                               WHERE d.classid = 'pg_catalog.pg_class'::regclass
                                 AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
             ORDER BY c.relname LOOP
        EXECUTE pg_catalog.format(
            CASE r.relkind WHEN 'S' THEN 'ALTER SEQUENCE calib.%I OWNER TO calib_owner'
                           WHEN 'v' THEN 'ALTER VIEW calib.%I OWNER TO calib_owner'
                           WHEN 'm' THEN 'ALTER MATERIALIZED VIEW calib.%I OWNER TO calib_owner'
                           WHEN 'f' THEN 'ALTER FOREIGN TABLE calib.%I OWNER TO calib_owner'
                           ELSE 'ALTER TABLE calib.%I OWNER TO calib_owner' END,
            r.relname);
    END LOOP;
    FOR r IN SELECT t.typname FROM pg_catalog.pg_type AS t
             WHERE t.typnamespace = 'calib'::regnamespace AND t.typrelid = 0
               AND t.typelem = 0 AND t.typtype IN ('c', 'd', 'e', 'r')
             ORDER BY t.typname LOOP
        EXECUTE pg_catalog.format('ALTER TYPE calib.%I OWNER TO calib_owner', r.typname);
    END LOOP;
    FOR r IN SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args
             FROM pg_catalog.pg_proc AS p
             WHERE p.pronamespace = 'calib'::regnamespace
             ORDER BY p.proname, args LOOP
        /* The identity arguments are PostgreSQL's own rendering of the signature (quoted
           where needed); the name goes through %I. */
        EXECUTE pg_catalog.format('ALTER ROUTINE calib.%I(%s) OWNER TO calib_owner',
                                  r.proname, r.args);
    END LOOP;
END
$$;
/* PUBLIC may not use the schema, nor execute any function: neither those that exist now nor
   those that calib_owner creates later (default privileges are per creating role; a
   function that a later revision creates as another role is covered by the REVOKE below,
   which that revision runs again). Functions are granted to the service roles one by one in
   schema/grants.sql. */
REVOKE ALL ON SCHEMA calib FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA calib FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE calib_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

