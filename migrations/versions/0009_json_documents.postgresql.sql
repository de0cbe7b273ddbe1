-- FROZEN upgrade of revision 0009, written by migrations/freeze.py from sources/0009_json_documents.postgresql.sql.
-- Never edit by hand.
-- Revision 0009 (0008 -> 0009) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0009_json_documents.postgresql.sql. Other services as callers: every public
-- function that takes a list also takes it as one jsonb array document, and has an all-text
-- form that untyped literals and drivers binding text reach (find, find_many and the list
-- functions; query_datasets with a text where clause), each a thin wrapper converting its
-- arguments (private calib._… helpers; KC016 for a document that is not an array of the right
-- things, KC009 for a time without a UTC offset) and calling the typed form. The typed forms
-- are unchanged. README "Calling from another service".
CREATE OR REPLACE FUNCTION calib._document_array(p_doc jsonb, p_what text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib._json_text(p_value text, p_what text, p_position integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib._document(p_value text, p_what text, p_json_elements boolean)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib._uuids(p_doc jsonb, p_what text)
RETURNS uuid[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib._data_ids(p_doc jsonb, p_what text)
RETURNS jsonb[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* A JSON array document of data IDs as jsonb[], for the document forms of the functions
   taking jsonb[]: each element as it is (JSON null: NULL), so that a data ID the typed form
   refuses is refused by it with the same error. NULL (or JSON null) stays NULL.
   Errors: KC016 (document_not_array) naming the argument p_what. */
BEGIN
    IF calib._document_array(p_doc, p_what) IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN ARRAY(SELECT CASE WHEN jsonb_typeof(u.e) = 'null' THEN NULL ELSE u.e END
                 FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n) ORDER BY u.n);
END
$$;

CREATE OR REPLACE FUNCTION calib._names(p_doc jsonb, p_what text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib._parse_instant(p_value text, p_what text, p_position integer DEFAULT NULL)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib._parse_timespan(p_value text, p_what text, p_position integer DEFAULT NULL)
RETURNS tstzrange
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib._parse_boolean(p_value text, p_what text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib._instants(p_doc jsonb, p_what text)
RETURNS timestamptz[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib._timespans(p_doc jsonb, p_what text)
RETURNS tstzrange[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
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
   Errors: KC014 bad name, KC015 NULL / repeated dimension, KC010 exists with another
   definition. Locks: none beyond the unique index. */
DECLARE
    v_existing calib.dataset_type;
    v_dim text;
BEGIN
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
   Errors: KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID,
   KC010 a data ID repeated in the call or already in the run, or an id already used,
   KC015 NULLs / p_ids of another length.
   Locks: the run's collection row (calib._lock_collections). */
DECLARE
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_run calib.collection := calib._collection(p_run, ARRAY['RUN']);
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

CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* tag with the datasets as one JSON array document of UUID strings (calib._uuids). */
SELECT calib.tag(p_collection, calib._uuids(p_datasets, 'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets text)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* tag with the datasets as text: a JSON array or a PostgreSQL array literal. */
SELECT calib.tag(p_collection, calib._uuids(calib._document(p_datasets, 'datasets', false),
                                           'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* untag with the datasets as one JSON array document of UUID strings (calib._uuids). */
SELECT calib.untag(p_collection, calib._uuids(p_datasets, 'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets text)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* untag with the datasets as text: a JSON array or a PostgreSQL array literal. */
SELECT calib.untag(p_collection, calib._uuids(calib._document(p_datasets, 'datasets', false),
                                           'datasets'))
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets uuid[], p_timespan tstzrange, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* Certify each dataset of p_datasets into CALIBRATION collection p_collection over
   p_timespan ([) bounds; +-infinity or a missing bound = unbounded). All or nothing: any
   overlap with a stored certification of the same calibration key (collection, dataset
   type, data ID), or between two datasets of this call, stores nothing.
   p_close_open: a stored certification of the same key with an unbounded end that begins
   before the new begin is first closed at the new begin; every other overlap still fails.
   Returns the number of certifications stored.
   Errors: KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007
   unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict),
   55P03 lock timeout.
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).

   Two ways, one result. The fast way covers the common case (no close_open, every check
   passes, the collection row free to lock now) in two statements: lock the collection row
   with SKIP LOCKED (so it never waits), then insert; the table's own constraints refuse
   a bad item, a bad timespan or an overlap. It decides nothing else: if the row was not
   locked, or a constraint refused the rows, its subtransaction undoes the insert and the
   general way, calib._certify_rows, does the call again: it raises the precise error, or
   stores everything after a bounded wait for the lock. Why: the general way runs six PL/pgSQL
   frames and eleven statements, and each statement of a function costs ~10 us of set-up
   in every new transaction; that, not the work, was most of a one-dataset call
   (bench/README.md, "What was changed").
   force_generic_plan: a custom plan for a one-element array is always estimated cheaper,
   so the insert would otherwise be planned again on every call. */
DECLARE
    v_n integer;
    v_id integer;
    v_coll calib.collection;
    v_span tstzrange;
BEGIN
    IF NOT coalesce(p_close_open, false) AND cardinality(p_datasets) > 0 THEN
        SELECT c.collection_id INTO v_id FROM calib.collection AS c
        WHERE c.name = p_collection AND c.type = 'CALIBRATION'
        FOR NO KEY UPDATE SKIP LOCKED;
        IF FOUND THEN
            BEGIN
                /* One row per item, whatever it is: an unknown dataset, one of a type that
                   is not a calibration type, or a NULL item leaves a NULL in a NOT NULL
                   column, so the table refuses the whole statement like any overlap. */
                INSERT INTO calib.certification
                    (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
                SELECT v_id, t.dataset_type_id, d.data_id_key, u.id, p_timespan
                FROM unnest(p_datasets) AS u(id)
                LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
                LEFT JOIN calib.dataset_type AS t
                  ON t.dataset_type_id = d.dataset_type_id AND t.is_calibration;
                GET DIAGNOSTICS v_n = ROW_COUNT;
                RETURN v_n;
            EXCEPTION WHEN integrity_constraint_violation THEN
                NULL;  -- undone; the general way below raises the precise error
            END;
        END IF;
    END IF;

    v_coll := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_span := calib._timespan(p_timespan);
    v_n := coalesce(cardinality(p_datasets), 0);
    RETURN calib._certify_rows(
        v_coll, p_datasets,
        array_fill(lower(v_span), ARRAY[v_n]), array_fill(upper(v_span), ARRAY[v_n]),
        false, coalesce(p_close_open, false));
END
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets jsonb, p_timespan tstzrange, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify with the datasets as one JSON array document of UUID strings
   ('["<uuid>", ...]'); the same results and errors, plus KC016 for a document that is not
   such an array (calib._uuids). */
SELECT calib.certify(p_collection, calib._uuids(p_datasets, 'datasets'), p_timespan, p_close_open)
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets text, p_timespan text, p_close_open text DEFAULT 'false')
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify with every argument as text, the form that untyped literals and drivers binding
   text reach: datasets a JSON array or a PostgreSQL array literal (calib._document), the
   timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan: a time
   without one is KC009), close_open a boolean's text. */
SELECT calib.certify(p_collection,
                     calib._uuids(calib._document(p_datasets, 'datasets', false), 'datasets'),
                     calib._parse_timespan(p_timespan, 'timespan'),
                     calib._parse_boolean(p_close_open, 'close_open'))
$$;

CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets uuid[], p_begins timestamptz[], p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets jsonb, p_begins jsonb, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify_series with datasets and begins as JSON array documents: UUID strings, and ISO
   8601 instants with a UTC offset (calib._uuids, calib._instants). Same results and errors;
   KC016 for a document that is not such an array, KC009 for a time without an offset. */
SELECT calib.certify_series(p_collection, calib._uuids(p_datasets, 'datasets'),
                            calib._instants(p_begins, 'begins'), p_close_open)
$$;

CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets text, p_begins text, p_close_open text DEFAULT 'false')
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify_series with every argument as text: datasets and begins as JSON arrays or
   PostgreSQL array literals (calib._document), close_open a boolean's text. */
SELECT calib.certify_series(
    p_collection,
    calib._uuids(calib._document(p_datasets, 'datasets', false), 'datasets'),
    calib._instants(calib._document(p_begins, 'begins', false), 'begins'),
    calib._parse_boolean(p_close_open, 'close_open'))
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* decertify with the data IDs as one JSON array document (NULL or JSON null: all); same
   results and errors, KC016 for a document that is not an array. No default for
   p_data_ids: a three-argument call must keep reaching the typed form. */
SELECT calib.decertify(p_collection, p_dataset_type, p_timespan,
                       calib._data_ids(p_data_ids, 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan text, p_data_ids text DEFAULT NULL)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* decertify with every argument as text: the timespan a range of ISO 8601 instants with a
   UTC offset (calib._parse_timespan), the data IDs a JSON array or a PostgreSQL array
   literal (calib._document). */
SELECT calib.decertify(
    p_collection, p_dataset_type, calib._parse_timespan(p_timespan, 'timespan'),
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* close_open_range with the data IDs as one JSON array document (NULL or JSON null: all);
   same results and errors, KC016 for a document that is not an array. No default for
   p_data_ids: a three-argument call must keep reaching the typed form. */
SELECT calib.close_open_range(p_collection, p_dataset_type, p_end,
                              calib._data_ids(p_data_ids, 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end text, p_data_ids text DEFAULT NULL)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* close_open_range with every argument as text: the end an ISO 8601 instant with a UTC
   offset (calib._parse_instant), the data IDs a JSON array or a PostgreSQL array literal. */
SELECT calib.close_open_range(
    p_collection, p_dataset_type, calib._parse_instant(p_end, 'end'),
    calib._data_ids(calib._document(p_data_ids, 'data_ids', true), 'data_ids'))
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The dataset of p_dataset_type with data ID p_data_id found by searching p_collection
   (chains flattened, in order) at instant p_at: the first member with any match decides;
   CALIBRATION members match certifications whose timespan contains p_at. NULL p_at skips
   CALIBRATION members. No row when nothing matches.
   Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002,
   KC005, KC008. Read-only, STABLE, no locks: runs on a hot standby.
   PL/pgSQL rather than SQL only so that the statement's plan is cached per session (a
   SECURITY DEFINER SQL function is planned again on every call). */
DECLARE
    v record;
BEGIN
    v := calib._lookup_one(p_collection, p_dataset_type, p_data_id,
                           CASE WHEN p_at IS NULL THEN NULL ELSE tstzrange(p_at, p_at, '[]') END);
    IF v.dataset_id IS NOT NULL THEN
        dataset_id := v.dataset_id;
        dataset_type := v.dataset_type;
        data_id := v.data_id;
        run := v.run;
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find(..., timestamptz), matching certifications that overlap p_timespan ([) bounds,
   validated; NULL skips CALIBRATION members). */
DECLARE
    v record;
BEGIN
    v := calib._lookup_one(p_collection, p_dataset_type, p_data_id,
                           CASE WHEN p_timespan IS NULL THEN NULL ELSE calib._timespan(p_timespan) END);
    IF v.dataset_id IS NOT NULL THEN
        dataset_id := v.dataset_id;
        dataset_type := v.dataset_type;
        data_id := v.data_id;
        run := v.run;
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id text, p_at text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find with every argument as text, the form untyped literals and drivers binding text
   reach (with two typed forms for p_at, an untyped call would be "not unique"): the data ID
   as JSON text (calib._json_text), p_at an instant, or a timespan when it starts with '['
   or '(' (or is 'empty'), read strictly by calibcert (calib._parse_instant /
   calib._parse_timespan: a time without a UTC offset is KC009). Then exactly the typed
   find. */
BEGIN
    RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type,
                                          calib._json_text(p_data_id, 'data_id'), p_at);
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find with a typed data ID and p_at as text (an untyped time next to a jsonb data ID):
   an instant, or a timespan when it starts with '[' or '(' (or is 'empty'), read strictly
   (calib._parse_instant / calib._parse_timespan). Then exactly the typed find. */
BEGIN
    IF left(ltrim(p_at, E' \t\r\n'), 1) IN ('[', '(') OR lower(btrim(p_at)) = 'empty' THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_timespan(p_at, 'timespan'));
    ELSE
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_instant(p_at, 'at'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find for many (data ID, instant) pairs in one call: one row per pair, in input order
   (ord = 1-based position), NULL dataset where nothing matched. A NULL instant skips
   CALIBRATION members for that pair.
   Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different
   lengths. Read-only, STABLE, no locks. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN t IS NULL THEN NULL ELSE tstzrange(t, t, '[]') END
                         FROM unnest(p_at) WITH ORDINALITY AS u(t, o) ORDER BY o)) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find_many(..., timestamptz[]) with a timespan per pair. A timespan that is a single
   instant written [t,t] is accepted as that instant (the Python client sends mixed
   instants and timespans this way); every other span must have [) bounds. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN s IS NULL THEN NULL
                                     WHEN lower_inc(s) AND upper_inc(s) AND lower(s) = upper(s) THEN s
                                     ELSE calib._timespan(s) END
                         FROM unnest(p_timespans) WITH ORDINALITY AS u(s, o) ORDER BY o)) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb, p_at jsonb)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many with the data IDs and the times as JSON array documents: the times are ISO 8601
   instants with a UTC offset, or (when one of them starts with '[' or '(') all timespans
   as range strings; null for no time. Same results and errors as the typed forms; KC016 for
   a document that is not such an array, KC009 for a time without an offset. */
DECLARE
    v_spans boolean;
BEGIN
    v_spans := EXISTS (
        SELECT FROM jsonb_array_elements(calib._document_array(p_at, 'at')) AS u(e)
        WHERE jsonb_typeof(u.e) = 'string' AND left(ltrim(u.e #>> '{}'), 1) IN ('[', '('));
    IF v_spans THEN
        RETURN QUERY SELECT * FROM calib.find_many(p_collection, p_dataset_type,
            calib._data_ids(p_data_ids, 'data_ids'), calib._timespans(p_at, 'at'));
    ELSE
        RETURN QUERY SELECT * FROM calib.find_many(p_collection, p_dataset_type,
            calib._data_ids(p_data_ids, 'data_ids'), calib._instants(p_at, 'at'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids text, p_at text)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many with every argument as text: data IDs and times as JSON arrays or PostgreSQL
   array literals (calib._document), then as find_many(text, text, jsonb, jsonb). */
SELECT * FROM calib.find_many(p_collection, p_dataset_type,
                              calib._document(p_data_ids, 'data_ids', true),
                              calib._document(p_at, 'at', false))
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
   Errors: KC002, KC003 (a CALIBRATION collection itself), KC005. Read-only, no locks. */
/* Check both names up front: below, the planner may never evaluate the CTE that calls
   _collection (nothing to join with), and an unknown collection would pass silently. */
SELECT calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED']),
       calib._dataset_type(p_dataset_type);
WITH chain AS (
    SELECT f.* FROM calib._flatten(
        (calib._collection(p_collection, ARRAY['RUN', 'TAGGED', 'CHAINED'])).collection_id) AS f
), ty AS (
    SELECT * FROM calib._dataset_type(p_dataset_type)
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
WHERE p_where IS NULL OR di.value @> p_where
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

CREATE OR REPLACE FUNCTION calib.get_datasets(p_ids uuid[])
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;

CREATE OR REPLACE FUNCTION calib.get_datasets(p_ids jsonb)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* get_datasets with the ids as one JSON array document of UUID strings (calib._uuids). */
SELECT * FROM calib.get_datasets(calib._uuids(p_ids, 'ids'))
$$;

CREATE OR REPLACE FUNCTION calib.get_datasets(p_ids text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* get_datasets with the ids as text: a JSON array or a PostgreSQL array literal. */
SELECT * FROM calib.get_datasets(calib._uuids(calib._document(p_ids, 'ids', false), 'ids'))
$$;

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

