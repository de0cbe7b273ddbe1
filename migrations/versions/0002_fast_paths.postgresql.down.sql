-- FROZEN downgrade of revision 0002, written by migrations/freeze.py from sources/0002_fast_paths.postgresql.down.sql.
-- Never edit by hand.
-- Undo revision 0002 on PostgreSQL (source of versions/0002_fast_paths.postgresql.down.sql):
-- drop what 0002 added; migrations/freeze.py then appends every function as revision 0001
-- defined it, which restores the bodies that 0002 replaced.
DROP TRIGGER collection_chain_search_path_insert ON calib.collection_chain;
DROP TRIGGER collection_chain_search_path_update ON calib.collection_chain;
DROP TRIGGER collection_chain_search_path_delete ON calib.collection_chain;
DROP TRIGGER collection_chain_search_path_truncate ON calib.collection_chain;
DROP TRIGGER collection_search_path_insert ON calib.collection;
DROP TRIGGER collection_type_search_path_before ON calib.collection;
DROP TRIGGER collection_type_search_path ON calib.collection;
DROP FUNCTION calib._search_path_trigger();
DROP FUNCTION calib._refresh_search_paths(integer[]);
DROP TABLE calib.search_path, calib.search_path_generation;
-- Every function as the previous revision defined it.
CREATE OR REPLACE FUNCTION calib._raise(p_code text, p_message text, p_detail jsonb DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql
AS $$
/* Raise a calibcert error: SQLSTATE p_code (class KC, see README "Error codes"), a message
   that names the offending objects, and the same facts as a JSON object in DETAIL, which the
   Python client turns into exception attributes. The one place errors are raised from. */
BEGIN
    RAISE EXCEPTION USING ERRCODE = p_code, MESSAGE = p_message, DETAIL = p_detail::text;
END
$$;
CREATE OR REPLACE FUNCTION calib._ts_text(p_t timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
/* An instant as ISO 8601 in UTC with microseconds, independent of the session TimeZone, so
   error details read the same from every session and from the SQLite backend. */
SELECT to_char(p_t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
$$;
CREATE OR REPLACE FUNCTION calib._span_json(p_span tstzrange)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
/* A timespan as the JSON pair [begin, end], null for an unbounded side. */
SELECT jsonb_build_array(calib._ts_text(lower(p_span)), calib._ts_text(upper(p_span)))
$$;
CREATE OR REPLACE FUNCTION calib._span_text(p_span jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
/* A timespan's JSON pair as people read it in messages: [begin, end), -inf / +inf for an
   unbounded side (the same text as the Python Timespan's str()). */
SELECT format('[%s, %s)', coalesce(p_span->>0, '-inf'), coalesce(p_span->>1, '+inf'))
$$;
CREATE OR REPLACE FUNCTION calib._check_name(p_name text, p_what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $$
/* Names (collections, dataset types, dimensions): 1-255 characters, no control characters.
   Error: KC014 (KC015 for NULL). The table CHECKs say the same for raw writers. */
BEGIN
    IF p_name IS NULL THEN
        PERFORM calib._raise('KC015', format('%s must not be NULL', p_what));
    END IF;
    IF char_length(p_name) NOT BETWEEN 1 AND 255 THEN
        PERFORM calib._raise('KC014',
            format('%s %L must be 1 to 255 characters long (got %s)',
                   p_what, left(p_name, 40), char_length(p_name)),
            jsonb_build_object('name', p_name));
    END IF;
    IF p_name ~ '[\x01-\x1f\x7f-\x9f]' THEN
        PERFORM calib._raise('KC014', format('%s %L contains a control character', p_what, p_name),
                             jsonb_build_object('name', p_name));
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION calib._collection(p_name text, p_types text[] DEFAULT NULL)
RETURNS calib.collection
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
/* The collection named p_name; when p_types is given its type must be one of them.
   Errors: KC002 unknown collection, KC003 wrong type, KC015 NULL name. */
DECLARE
    v_row calib.collection;
BEGIN
    IF p_name IS NULL THEN
        PERFORM calib._raise('KC015', 'collection name must not be NULL');
    END IF;
    SELECT * INTO v_row FROM calib.collection WHERE name = p_name;
    IF NOT FOUND THEN
        PERFORM calib._raise('KC002', format('collection %L does not exist', p_name),
                             jsonb_build_object('collection', p_name));
    END IF;
    IF p_types IS NOT NULL AND v_row.type <> ALL (p_types) THEN
        PERFORM calib._raise('KC003',
            format('collection %L is %s; expected %s', p_name, v_row.type,
                   array_to_string(p_types, ' or ')),
            jsonb_build_object('collection', p_name, 'type', v_row.type,
                               'expected', to_jsonb(p_types)));
    END IF;
    RETURN v_row;
END
$$;
CREATE OR REPLACE FUNCTION calib._dataset_type(p_name text, p_need_calibration boolean DEFAULT false)
RETURNS calib.dataset_type
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
/* The dataset type named p_name. Errors: KC005 unknown, KC006 not a calibration type when
   p_need_calibration, KC015 NULL name. */
DECLARE
    v_row calib.dataset_type;
BEGIN
    IF p_name IS NULL THEN
        PERFORM calib._raise('KC015', 'dataset type name must not be NULL');
    END IF;
    SELECT * INTO v_row FROM calib.dataset_type WHERE name = p_name;
    IF NOT FOUND THEN
        PERFORM calib._raise('KC005', format('dataset type %L does not exist', p_name),
                             jsonb_build_object('dataset_type', p_name));
    END IF;
    IF p_need_calibration AND NOT v_row.is_calibration THEN
        PERFORM calib._raise('KC006',
            format('dataset type %L is not a calibration type', p_name),
            jsonb_build_object('dataset_type', p_name));
    END IF;
    RETURN v_row;
END
$$;
CREATE OR REPLACE FUNCTION calib._canonical_data_ids(p_type calib.dataset_type, p_data_ids jsonb[])
RETURNS jsonb[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
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
        PERFORM calib._raise('KC015', 'data IDs must not be NULL');
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
                jsonb_build_object('dataset_type', p_type.name, 'data_id', v_bad.d));
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
                jsonb_build_object('dataset_type', p_type.name, 'data_id', v_bad.d));
        END IF;
        PERFORM calib._raise('KC008',
            format('data ID %s for dataset type %L has a value that is neither a string nor '
                   'a 64-bit integer', v_bad.d, p_type.name),
            jsonb_build_object('dataset_type', p_type.name, 'data_id', v_bad.d));
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
CREATE OR REPLACE FUNCTION calib._timespan(p_span tstzrange)
RETURNS tstzrange
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $$
/* Validate a timespan argument and return it normalised: [) bounds, +-infinity turned into
   a missing bound. Errors: KC009 for anything but a non-empty [begin, end); KC015 for NULL. */
DECLARE
    v_lo timestamptz := lower(p_span);
    v_hi timestamptz := upper(p_span);
BEGIN
    IF p_span IS NULL THEN
        PERFORM calib._raise('KC015', 'timespan must not be NULL');
    END IF;
    IF isempty(p_span) THEN
        PERFORM calib._raise('KC009', 'timespan is empty: begin must be before end',
                             jsonb_build_object('timespan', NULL));
    END IF;
    IF (NOT lower_inf(p_span) AND NOT lower_inc(p_span) AND v_lo <> '-infinity')
       OR (NOT upper_inf(p_span) AND upper_inc(p_span) AND v_hi <> 'infinity') THEN
        PERFORM calib._raise('KC009',
            format('timespan %s must have [) bounds (begin included, end excluded)', p_span),
            jsonb_build_object('timespan', calib._span_json(p_span)));
    END IF;
    IF v_lo = '-infinity' THEN v_lo := NULL; END IF;
    IF v_hi = 'infinity' THEN v_hi := NULL; END IF;
    IF v_lo = 'infinity' OR v_hi = '-infinity' OR v_lo >= v_hi THEN
        PERFORM calib._raise('KC009',
            format('timespan %s is empty or reversed: begin must be before end', p_span),
            jsonb_build_object('timespan', calib._span_json(p_span)));
    END IF;
    RETURN tstzrange(v_lo, v_hi, '[)');
END
$$;
CREATE OR REPLACE FUNCTION calib._lock_collections(p_ids integer[], p_mode text DEFAULT 'write')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
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
   Errors: 55P03 (lock_not_available) when the wait times out; KC002 a collection removed
   concurrently. */
DECLARE
    v_old text := current_setting('lock_timeout');
    v_ids integer[] := ARRAY(SELECT DISTINCT u FROM unnest(p_ids) AS u ORDER BY 1);
    v_names text[];
    v_n integer;
    v_gone text;
BEGIN
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
            jsonb_build_object('collection', v_gone));
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION calib._lock_chains()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
/* Serialises changes of the chain graph (set_chain, remove_collection, copy of a chain) so
   that two concurrent set_chain calls cannot each pass the cycle check and together make a
   cycle. SHARE ROW EXCLUSIVE conflicts with itself and with writes, not with reads.
   Taken before any collection row lock; bounded like calib._lock_collections. */
DECLARE
    v_old text := current_setting('lock_timeout');
BEGIN
    IF v_old = '0' THEN
        PERFORM set_config('lock_timeout',
            coalesce(nullif(current_setting('calib.lock_timeout', true), ''), '10s'), true);
    END IF;
    LOCK TABLE calib.collection_chain IN SHARE ROW EXCLUSIVE MODE;
    IF v_old = '0' THEN
        PERFORM set_config('lock_timeout', v_old, true);
    END IF;
END
$$;
CREATE OR REPLACE FUNCTION calib._flatten(p_collection_id integer)
RETURNS TABLE (ord bigint, collection_id integer, name text, type text)
LANGUAGE sql STABLE
AS $$
/* The search path of a collection: itself if it is not a chain, else its children
   depth-first in chain order, chains expanded, each collection once (first occurrence).
   Position paths sort lexicographically in exactly depth-first order. The depth bound is a
   guard only: set_chain refuses cycles.
   Deliberately without SET search_path (unlike every other function): a SQL function with
   a SET clause is never inlined, and PostgreSQL then plans this body again on every call
   (about 200 us, most of a lookup). Inlined, it is planned once with the caller's cached
   plan. Every name below is schema-qualified and the callers all pin search_path; the
   function is private (granted to no one). */
WITH RECURSIVE walk (collection_id, path) AS (
    SELECT p_collection_id, ARRAY[]::integer[]
    UNION ALL
    SELECT ch.child_id, w.path || ch.position
    FROM walk AS w
    JOIN calib.collection_chain AS ch ON ch.parent_id = w.collection_id
    WHERE cardinality(w.path) < 100
), firsts AS (
    SELECT DISTINCT ON (w.collection_id) w.collection_id, w.path
    FROM walk AS w
    ORDER BY w.collection_id, w.path
)
SELECT row_number() OVER (ORDER BY f.path), c.collection_id, c.name, c.type
FROM firsts AS f
JOIN calib.collection AS c ON c.collection_id = f.collection_id
WHERE c.type <> 'CHAINED'
ORDER BY f.path
$$;
CREATE OR REPLACE FUNCTION calib._resolve_datasets(
    p_datasets uuid[], OUT o_types integer[], OUT o_keys integer[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
SET plan_cache_mode = force_generic_plan
AS $$
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
        PERFORM calib._raise('KC015', 'datasets must be a non-NULL array of non-NULL ids');
    END IF;
    SELECT array_agg(d.dataset_type_id ORDER BY u.ord), array_agg(d.data_id_key ORDER BY u.ord)
    INTO o_types, o_keys
    FROM unnest(p_datasets) WITH ORDINALITY AS u(id, ord)
    LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id;
    v_pos := array_position(o_keys, NULL);
    IF v_pos IS NOT NULL THEN
        PERFORM calib._raise('KC007', format('dataset %s does not exist', p_datasets[v_pos]),
                             jsonb_build_object('dataset', p_datasets[v_pos]));
    END IF;
    o_types := coalesce(o_types, ARRAY[]::integer[]);
    o_keys := coalesce(o_keys, ARRAY[]::integer[]);
END
$$;
CREATE OR REPLACE FUNCTION calib._data_id_keys(p_type calib.dataset_type, p_data_ids jsonb[])
RETURNS integer[]
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
/* The interned keys of the given data IDs (validated, KC008); data IDs never stored have
   no key and are simply absent from the result. NULL in, NULL out ("no filter"). */
SELECT CASE WHEN p_data_ids IS NULL THEN NULL ELSE ARRAY(
    SELECT di.data_id_key
    FROM unnest(calib._canonical_data_ids(p_type, p_data_ids)) AS v
    JOIN calib.data_id AS di ON di.dataset_type_id = p_type.dataset_type_id AND di.value = v)
END
$$;
CREATE OR REPLACE FUNCTION calib._certification_conflicts(
    p_collection_id integer, p_datasets uuid[], p_keys integer[],
    p_begins timestamptz[], p_ends timestamptz[])
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
/* Every overlap (at most 100) between the new items and the stored certifications, and
   between two new items, as a JSON array for the KC001 detail. Runs only on the error path
   (after the failed INSERT was rolled back to its savepoint). */
WITH n AS (
    SELECT u.ord, u.id, u.k, tstzrange(u.b, u.e, '[)') AS span
    FROM unnest(p_datasets, p_keys, p_begins, p_ends) WITH ORDINALITY AS u(id, k, b, e, ord)
), pairs AS (
    SELECT n.ord, n.id, n.k, n.span, c.dataset_id AS other, c.validity AS other_span, 0::bigint AS other_ord
    FROM n JOIN calib.certification AS c
      ON c.collection_id = p_collection_id AND c.data_id_key = n.k AND c.validity && n.span
    UNION ALL
    SELECT a.ord, a.id, a.k, a.span, b.id, b.span, b.ord
    FROM n AS a JOIN n AS b ON a.k = b.k AND a.ord < b.ord AND a.span && b.span
), firsts AS (
    SELECT * FROM pairs ORDER BY ord, other_ord, lower(other_span) NULLS FIRST LIMIT 100
)
SELECT jsonb_agg(jsonb_build_object(
           'dataset_type', t.name, 'data_id', di.value,
           'dataset', f.id, 'timespan', calib._span_json(f.span),
           'conflicting_dataset', f.other, 'conflicting_timespan', calib._span_json(f.other_span))
       ORDER BY f.ord, f.other_ord, lower(f.other_span) NULLS FIRST)
FROM firsts AS f
JOIN calib.data_id AS di ON di.data_id_key = f.k
JOIN calib.dataset_type AS t ON t.dataset_type_id = di.dataset_type_id
$$;
CREATE OR REPLACE FUNCTION calib._certify_rows(
    p_coll calib.collection, p_datasets uuid[], p_begins timestamptz[], p_ends timestamptz[],
    p_series boolean, p_close_open boolean)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
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
            jsonb_build_object('dataset_type', v_name, 'collection', p_coll.name));
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
                jsonb_build_object('collection', p_coll.name, 'conflicts', v_conflicts));
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
            jsonb_build_object('collection', p_coll.name,
                               'conflicts', coalesce(v_conflicts, '[]'::jsonb)));
    END;
    RETURN v_n;
END
$$;
CREATE OR REPLACE FUNCTION calib._lookup(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_spans tstzrange[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
/* The lookup behind find and find_many. Query i is (p_data_ids[i], p_spans[i]); an
   instant t is passed as the range [t,t], a NULL span skips CALIBRATION collections.
   The collection's search path (calib._flatten) is walked in order and the first member
   with any match decides: RUN / TAGGED match by data ID for all time, CALIBRATION by
   certifications overlapping the span (containing the instant). One row per query, in
   input order, NULLs when nothing matched anywhere.
   Set-based and linear in the number of queries: one join per member of the search path
   probes every query still undecided (index probes, then grouped by query), and the
   per-query state lives in parallel arrays that are only ever unnested together (never
   subscripted per row: subscripting a jsonb[] or a uuid[] with NULLs walks it from the
   start). Data IDs equal to a stored one are valid and canonical already; the full
   validation runs only when some data ID is not stored.
   Errors: KC011 when the deciding member has more than one match; KC002 / KC005 / KC008 /
   KC015 for bad arguments. Read-only, no locks. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type);
    v_values jsonb[];
    v_keys integer[];
    v_first uuid[];
    v_second uuid[];
    v_member text[];
    v_hit_ord bigint[];
    v_hit_id uuid[];
    v_open bigint;
    v_n integer;
    v_pos integer;
    v_span tstzrange;
    v_m record;
BEGIN
    IF p_data_ids IS NULL THEN
        PERFORM calib._raise('KC015', 'data IDs must not be NULL');
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
            jsonb_build_object('collection', p_collection));
    END IF;
    IF v_n = 0 THEN
        RETURN;
    END IF;

    v_first := array_fill(NULL::uuid, ARRAY[v_n]);
    v_second := v_first;
    v_member := array_fill(NULL::text, ARRAY[v_n]);
    v_open := v_n - coalesce(array_length(array_positions(v_keys, NULL), 1), 0);
    FOR v_m IN SELECT f.collection_id, f.name, f.type FROM calib._flatten(v_coll.collection_id) AS f
             ORDER BY f.ord LOOP
        EXIT WHEN v_open = 0;
        /* Matches of this member for every undecided query: (query position, dataset). */
        IF v_m.type = 'CALIBRATION' THEN
            SELECT array_agg(u.ord), array_agg(c.dataset_id) INTO v_hit_ord, v_hit_id
            FROM unnest(v_keys, p_spans, v_first) WITH ORDINALITY AS u(k, span, f, ord)
            JOIN calib.certification AS c
              ON c.collection_id = v_m.collection_id AND c.data_id_key = u.k AND c.validity && u.span
            WHERE u.f IS NULL;
        ELSIF v_m.type = 'RUN' THEN
            SELECT array_agg(u.ord), array_agg(d.dataset_id) INTO v_hit_ord, v_hit_id
            FROM unnest(v_keys, v_first) WITH ORDINALITY AS u(k, f, ord)
            JOIN calib.dataset AS d ON d.run_id = v_m.collection_id AND d.data_id_key = u.k
            WHERE u.f IS NULL;
        ELSE
            SELECT array_agg(u.ord), array_agg(t.dataset_id) INTO v_hit_ord, v_hit_id
            FROM unnest(v_keys, v_first) WITH ORDINALITY AS u(k, f, ord)
            JOIN calib.tag AS t ON t.collection_id = v_m.collection_id AND t.data_id_key = u.k
            WHERE u.f IS NULL;
        END IF;
        CONTINUE WHEN v_hit_ord IS NULL;
        /* The queries with a match are decided by this member. */
        SELECT array_agg(coalesce(u.f, g.ids[1]) ORDER BY u.ord),
               array_agg(CASE WHEN u.f IS NOT NULL THEN u.s ELSE g.ids[2] END ORDER BY u.ord),
               array_agg(CASE WHEN u.f IS NOT NULL THEN u.mem WHEN g.ids IS NOT NULL THEN v_m.name END
                         ORDER BY u.ord),
               count(*) FILTER (WHERE u.f IS NULL AND g.ids IS NULL AND u.k IS NOT NULL)
        INTO v_first, v_second, v_member, v_open
        FROM unnest(v_keys, v_first, v_second, v_member) WITH ORDINALITY AS u(k, f, s, mem, ord)
        LEFT JOIN (SELECT h.ord, array_agg(h.id) AS ids
                   FROM unnest(v_hit_ord, v_hit_id) AS h(ord, id) GROUP BY h.ord) AS g
          ON g.ord = u.ord;
    END LOOP;

    SELECT min(u.ord) INTO v_pos FROM unnest(v_second) WITH ORDINALITY AS u(s, ord) WHERE u.s IS NOT NULL;
    IF v_pos IS NOT NULL THEN
        v_span := p_spans[v_pos];
        PERFORM calib._raise('KC011',
            format('lookup of %L data ID %s in %L is ambiguous: collection %L has more than one '
                   'certification valid %s', p_dataset_type, v_values[v_pos], p_collection,
                   v_member[v_pos],
                   CASE WHEN lower(v_span) = upper(v_span) THEN 'at ' || calib._ts_text(lower(v_span))
                        ELSE 'during ' || calib._span_text(calib._span_json(v_span)) END),
            jsonb_build_object(
                'collection', v_member[v_pos], 'searched', p_collection,
                'dataset_type', p_dataset_type, 'data_id', v_values[v_pos],
                'datasets', (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification AS c
                             JOIN calib.collection AS mc ON mc.collection_id = c.collection_id
                             WHERE mc.name = v_member[v_pos] AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span))
            || CASE WHEN lower(v_span) = upper(v_span)
                    THEN jsonb_build_object('at', calib._ts_text(lower(v_span)))
                    ELSE jsonb_build_object('timespan', calib._span_json(v_span)) END);
    END IF;

    RETURN QUERY
    SELECT u.ord, u.id, v_type.name, CASE WHEN u.id IS NULL THEN NULL ELSE u.v END, r.name
    FROM unnest(v_first, v_values) WITH ORDINALITY AS u(id, v, ord)
    LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
    LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
END
$$;
CREATE OR REPLACE FUNCTION calib._lookup_one(
    p_collection text, p_dataset_type text, p_data_id jsonb, p_span tstzrange,
    OUT dataset_id uuid, OUT dataset_type text, OUT data_id jsonb, OUT run text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
SET plan_cache_mode = force_generic_plan
AS $$
/* calib._lookup for a single query (find): the same result and errors, all NULL when
   nothing matches. Fast on the common path: the collection and the dataset type exist, the
   data ID equals a stored one (hence it is valid, and equal to its canonical form), and the
   deciding member has at most one match. Everything else (an unknown name, a data ID never
   stored or invalid, a NULL span, an ambiguous match) is handed to calib._lookup, which
   raises the precise error or finds nothing.
   Small statements on purpose: one resolves the names and the data ID and, for a
   CALIBRATION collection, also probes it and reads the dataset's RUN (the usual case: one
   statement in all); otherwise one more reads the search path (calib._flatten) into
   arrays, and each member is then probed in order by a statement of its own type until one
   matches. A single statement covering every case was about 2x
   slower: its executor start-up alone (70 plan nodes) cost more than the probes.
   Returns one record rather than a set, so that callers evaluate it as a plain expression.
   force_generic_plan: every statement here is an index probe whatever the parameters, and
   PostgreSQL otherwise kept planning the first one afresh on each call (custom plans
   looked cheaper than the generic one), about 15 us of a 110 us find.
   Read-only, no locks. */
DECLARE
    v record;
    v_ids uuid[];
    v_members integer[];
    v_types text[];
    v_type text;
BEGIN
    IF p_span IS NOT NULL THEN
        SELECT co.collection_id, co.type, t.name AS type_name, di.data_id_key, di.value,
               h.ids, r.name AS run_name
        INTO v
        FROM calib.collection AS co
        JOIN calib.dataset_type AS t ON t.name = p_dataset_type
        JOIN calib.data_id AS di ON di.dataset_type_id = t.dataset_type_id AND di.value = p_data_id
        LEFT JOIN LATERAL (
            SELECT array_agg(x.dataset_id) AS ids FROM (
                SELECT c.dataset_id FROM calib.certification AS c
                WHERE co.type = 'CALIBRATION' AND c.collection_id = co.collection_id
                  AND c.data_id_key = di.data_id_key AND c.validity && p_span
                LIMIT 2) AS x
        ) AS h ON true
        LEFT JOIN calib.dataset AS d ON d.dataset_id = h.ids[1]
        LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
        WHERE co.name = p_collection;
        IF FOUND THEN
            v_ids := v.ids;
            IF v.type <> 'CALIBRATION' THEN
                /* The search path in order (a RUN or TAGGED collection is its own). */
                SELECT array_agg(f.collection_id ORDER BY f.ord), array_agg(f.type ORDER BY f.ord)
                INTO v_members, v_types
                FROM calib._flatten(v.collection_id) AS f;
                FOR i IN 1 .. coalesce(cardinality(v_members), 0) LOOP
                    v_type := v_types[i];
                    IF v_type = 'CALIBRATION' THEN
                        v_ids := ARRAY(SELECT c.dataset_id FROM calib.certification AS c
                                       WHERE c.collection_id = v_members[i]
                                         AND c.data_id_key = v.data_id_key AND c.validity && p_span
                                       LIMIT 2);
                    ELSIF v_type = 'RUN' THEN
                        v_ids := ARRAY(SELECT d.dataset_id FROM calib.dataset AS d
                                       WHERE d.run_id = v_members[i]
                                         AND d.data_id_key = v.data_id_key);
                    ELSE
                        v_ids := ARRAY(SELECT tg.dataset_id FROM calib.tag AS tg
                                       WHERE tg.collection_id = v_members[i]
                                         AND tg.data_id_key = v.data_id_key);
                    END IF;
                    EXIT WHEN cardinality(v_ids) > 0;
                END LOOP;
            END IF;
            IF coalesce(cardinality(v_ids), 0) < 2 THEN
                dataset_id := v_ids[1];
                IF dataset_id IS NOT NULL THEN
                    dataset_type := v.type_name;
                    data_id := v.value;
                    run := CASE WHEN v.type = 'CALIBRATION' THEN v.run_name
                                ELSE (SELECT r.name FROM calib.dataset AS d
                                      JOIN calib.collection AS r ON r.collection_id = d.run_id
                                      WHERE d.dataset_id = v_ids[1]) END;
                END IF;
                RETURN;
            END IF;
        END IF;
    END IF;
    SELECT l.dataset_id, l.dataset_type, l.data_id, l.run INTO dataset_id, dataset_type, data_id, run
    FROM calib._lookup(p_collection, p_dataset_type, ARRAY[p_data_id], ARRAY[p_span]) AS l;
END
$$;
CREATE OR REPLACE FUNCTION calib._normalize_validity()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
/* BEFORE INSERT/UPDATE trigger on calib.certification, fired only (WHEN clause) for a
   validity with a +-infinity bound: rewrites it as a missing bound, so that raw writers
   get the same representation as the functions. Bounds other than [) are left to the
   certification_validity_bounds CHECK, which rejects them. */
BEGIN
    NEW.validity := tstzrange(
        CASE WHEN lower(NEW.validity) = '-infinity' THEN NULL ELSE lower(NEW.validity) END,
        CASE WHEN upper(NEW.validity) = 'infinity' THEN NULL ELSE upper(NEW.validity) END,
        CASE WHEN lower_inc(NEW.validity) OR lower(NEW.validity) = '-infinity' THEN '[' ELSE '(' END
        || CASE WHEN upper_inc(NEW.validity) AND upper(NEW.validity) <> 'infinity' THEN ']' ELSE ')' END);
    RETURN NEW;
END
$$;
CREATE OR REPLACE FUNCTION calib.register_collection(p_name text, p_type text, p_doc text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $$
/* Register a collection. p_type is RUN, TAGGED, CALIBRATION or CHAINED (any case).
   Returns true if it was created, false if it existed with the same type (a no-op; the
   stored doc is kept). Concurrent registrations of one name are safe (ON CONFLICT).
   Errors: KC014 bad name, KC015 unknown type / NULL, KC010 exists with another type.
   Locks: none beyond the unique index. */
DECLARE
    v_type text := upper(p_type);
    v_existing text;
BEGIN
    PERFORM calib._check_name(p_name, 'collection name');
    IF v_type IS NULL OR v_type NOT IN ('RUN', 'TAGGED', 'CALIBRATION', 'CHAINED') THEN
        PERFORM calib._raise('KC015',
            format('unknown collection type %L; expected RUN, TAGGED, CALIBRATION or CHAINED', p_type),
            jsonb_build_object('collection', p_name, 'type', p_type));
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
            jsonb_build_object('collection', p_name, 'type', v_existing, 'requested', v_type));
    END IF;
    RETURN false;
END
$$;
CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children text[])
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
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
                             jsonb_build_object('collection', p_parent));
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
            jsonb_build_object('collection', v_missing, 'parent', p_parent));
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
            jsonb_build_object('collection', p_parent, 'child', v_cycle));
    END IF;

    DELETE FROM calib.collection_chain WHERE parent_id = v_parent.collection_id;
    INSERT INTO calib.collection_chain (parent_id, position, child_id)
    SELECT v_parent.collection_id, u.ord, u.id
    FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord);
END
$$;
CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text)
RETURNS text[]
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $$
/* The direct children of CHAINED collection p_parent, in order.
   Errors: KC002 unknown collection, KC003 not CHAINED. Read-only. */
SELECT coalesce(array_agg(c.name ORDER BY ch.position), ARRAY[]::text[])
FROM calib.collection_chain AS ch
JOIN calib.collection AS c ON c.collection_id = ch.child_id
WHERE ch.parent_id = (calib._collection(p_parent, ARRAY['CHAINED'])).collection_id
$$;
CREATE OR REPLACE FUNCTION calib.list_collections(p_type text DEFAULT NULL)
RETURNS TABLE (name text, type text, doc text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $$
/* Every collection (optionally of one type), by name. Read-only. */
SELECT c.name, c.type, c.doc
FROM calib.collection AS c
WHERE p_type IS NULL OR c.type = upper(p_type)
ORDER BY c.name
$$;
CREATE OR REPLACE FUNCTION calib.remove_collection(p_name text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $$
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
            jsonb_build_object('collection', p_name, 'parent', v_parent));
    END IF;
    IF v_coll.type = 'RUN' AND EXISTS (SELECT FROM calib.dataset WHERE run_id = v_coll.collection_id) THEN
        PERFORM calib._raise('KC013',
            format('RUN collection %L still holds datasets; datasets are never deleted', p_name),
            jsonb_build_object('collection', p_name));
    END IF;
    DELETE FROM calib.collection WHERE collection_id = v_coll.collection_id;
END
$$;
CREATE OR REPLACE FUNCTION calib.register_dataset_type(
    p_name text, p_dimensions text[], p_is_calibration boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
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
                             jsonb_build_object('dataset_type', p_name));
    END IF;
    FOREACH v_dim IN ARRAY p_dimensions LOOP
        PERFORM calib._check_name(v_dim, 'dimension name');
    END LOOP;
    IF cardinality(p_dimensions) <> (SELECT count(DISTINCT d) FROM unnest(p_dimensions) AS d) THEN
        PERFORM calib._raise('KC015',
            format('dimensions of dataset type %L repeat a name: %s', p_name, p_dimensions),
            jsonb_build_object('dataset_type', p_name));
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
            jsonb_build_object('dataset_type', p_name,
                               'dimensions', to_jsonb(v_existing.dimensions),
                               'is_calibration', v_existing.is_calibration));
    END IF;
    RETURN false;
END
$$;
CREATE OR REPLACE FUNCTION calib.list_dataset_types()
RETURNS TABLE (name text, dimensions text[], is_calibration boolean)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $$
/* Every dataset type, by name. Read-only. */
SELECT t.name, t.dimensions, t.is_calibration FROM calib.dataset_type AS t ORDER BY t.name
$$;
CREATE OR REPLACE FUNCTION calib.insert_datasets(
    p_dataset_type text, p_run text, p_data_ids jsonb[], p_ids uuid[] DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, data_id jsonb)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
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
            jsonb_build_object('dataset_type', p_dataset_type, 'collection', p_run));
    END IF;
    v_ids := coalesce(p_ids, ARRAY(SELECT gen_random_uuid() FROM generate_series(1, cardinality(v_values))));

    SELECT u.v INTO v_dup FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
    GROUP BY u.v HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC010',
            format('data ID %s of dataset type %L appears more than once in one call', v_dup, p_dataset_type),
            jsonb_build_object('dataset_type', p_dataset_type, 'data_id', v_dup, 'collection', p_run));
    END IF;
    SELECT u.i INTO v_dup_id FROM unnest(v_ids) WITH ORDINALITY AS u(i, ord)
    GROUP BY u.i HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC010', format('dataset id %s appears more than once in one call', v_dup_id),
                             jsonb_build_object('dataset', v_dup_id));
    END IF;

    PERFORM calib._lock_collections(ARRAY[v_run.collection_id]);

    SELECT d.dataset_id INTO v_dup_id FROM calib.dataset AS d WHERE d.dataset_id = ANY (v_ids)
    ORDER BY d.dataset_id LIMIT 1;
    IF FOUND THEN
        PERFORM calib._raise('KC010', format('dataset id %s already exists', v_dup_id),
                             jsonb_build_object('dataset', v_dup_id));
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
            jsonb_build_object('collection', p_run, 'dataset_type', p_dataset_type, 'data_id', v_dup));
    END IF;

    INSERT INTO calib.dataset (dataset_id, dataset_type_id, data_id_key, run_id)
    SELECT u.id, v_type.dataset_type_id, u.k, v_run.collection_id
    FROM unnest(v_ids, v_keys) AS u(id, k);

    RETURN QUERY SELECT u.id, u.v FROM unnest(v_ids, v_values) AS u(id, v);
END
$$;
CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
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
            jsonb_build_object('collection', p_collection, 'dataset_type', v_bad.type_name,
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
CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
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
CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets uuid[], p_timespan tstzrange, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
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
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections). */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_span tstzrange := calib._timespan(p_timespan);
    v_n integer := cardinality(p_datasets);
BEGIN
    RETURN calib._certify_rows(
        v_coll, p_datasets,
        array_fill(lower(v_span), ARRAY[coalesce(v_n, 0)]),
        array_fill(upper(v_span), ARRAY[coalesce(v_n, 0)]),
        false, coalesce(p_close_open, false));
END
$$;
CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets uuid[], p_begins timestamptz[], p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
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
            jsonb_build_object('collection', p_collection));
    END IF;
    IF 'infinity'::timestamptz = ANY (p_begins) THEN
        PERFORM calib._raise('KC009',
            format('certify_series into %L: a begin of +infinity leaves an empty timespan', p_collection),
            jsonb_build_object('collection', p_collection));
    END IF;
    v_begins := ARRAY(SELECT nullif(b, '-infinity') FROM unnest(p_begins) WITH ORDINALITY AS u(b, ord) ORDER BY ord);
    RETURN calib._certify_rows(v_coll, p_datasets, v_begins, NULL, true, coalesce(p_close_open, false));
END
$$;
CREATE OR REPLACE FUNCTION calib.decertify(
    p_collection text, p_dataset_type text, p_timespan tstzrange, p_data_ids jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
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
CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
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
            jsonb_build_object('collection', p_collection, 'dataset_type', p_dataset_type));
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
            jsonb_build_object('collection', p_collection, 'dataset_type', p_dataset_type,
                               'data_id', v_bad.data_id, 'dataset', v_bad.dataset_id,
                               'timespan', calib._span_json(v_bad.validity)));
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
CREATE OR REPLACE FUNCTION calib.copy_collection(p_source text, p_destination text, p_doc text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
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
                             jsonb_build_object('collection', p_destination));
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
CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
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
SET search_path = pg_catalog
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
CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
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
SET search_path = pg_catalog
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
CREATE OR REPLACE FUNCTION calib.certifications(p_collection text, p_dataset_type text DEFAULT NULL)
RETURNS TABLE (collection text, dataset_id uuid, dataset_type text, data_id jsonb, run text, validity tstzrange)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $$
/* Every certification in p_collection (through a chain: in every CALIBRATION member, in
   search order, each row naming the member it is stored in), optionally of one dataset
   type. Ordered by member, dataset type, data ID (interning order), begin.
   Errors: KC002 unknown collection, KC005 unknown dataset type. Read-only, no locks. */
/* Check both names up front: in the query below the dataset-type check runs only for rows
   found, so an unknown type would pass silently on a collection without certifications. */
SELECT calib._collection(p_collection),
       CASE WHEN p_dataset_type IS NOT NULL THEN calib._dataset_type(p_dataset_type) END;
SELECT f.name, c.dataset_id, t.name, di.value, r.name, c.validity
FROM calib._flatten((calib._collection(p_collection)).collection_id) AS f
JOIN calib.certification AS c ON c.collection_id = f.collection_id
JOIN calib.dataset_type AS t ON t.dataset_type_id = c.dataset_type_id
JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id
JOIN calib.collection AS r ON r.collection_id = d.run_id
WHERE f.type = 'CALIBRATION'
  AND (p_dataset_type IS NULL
       OR c.dataset_type_id = (calib._dataset_type(p_dataset_type)).dataset_type_id)
ORDER BY f.ord, t.name, c.data_id_key, lower(c.validity) NULLS FIRST
$$;
CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
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
CREATE OR REPLACE FUNCTION calib.get_datasets(p_ids uuid[])
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
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
