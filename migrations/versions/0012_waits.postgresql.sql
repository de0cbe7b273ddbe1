-- FROZEN upgrade of revision 0012, written by migrations/freeze.py from sources/0012_waits.postgresql.sql.
-- Never edit by hand.
-- Revision 0012 (0011 -> 0012) on PostgreSQL: the source that migrations/freeze.py expands
-- into versions/0012_waits.postgresql.sql (issue 15, item 5). Every wait inside a calib
-- function is bounded: calib._bound_waits sets the bound (calib.lock_timeout, or the
-- session's shorter lock_timeout; '0' = do not wait) around each wait - collection rows,
-- the chain lock, a new collection / dataset-type name, a dimension's first use, a new
-- data ID or dataset id - and calib._lock_timeout raises 55P03 naming what was waited for
-- (README "Locks, waits and retries"). No table, grant or row changes. SQLite: no change
-- (busy_timeout handling is unchanged).
CREATE OR REPLACE FUNCTION calib._bound_waits()
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The bound of every wait inside a calib function, in one place (README "Locks, waits and
   retries"). Sets lock_timeout for the rest of the transaction (SET LOCAL) to the bound
   and returns the value it had, which the caller puts back once its wait is over
   (set_config(..., true)); if the wait fails instead, the error undoes the SET LOCAL with
   the (sub)transaction, so the session's own value is never changed.
   The bound is calib.lock_timeout (a custom setting, default '10s'), or the session's own
   lock_timeout when that is set and shorter: a session may shorten its waits, never
   lengthen them past calib.lock_timeout (a long waiter queued for a row also holds up
   every writer queued behind it). calib.lock_timeout = '0' means "do not wait": the bound
   is 1ms, the smallest PostgreSQL has; it never means "wait forever".
   Values as PostgreSQL writes times for settings: a number with an optional unit us, ms,
   s, min, h or d (no unit: milliseconds).
   Errors: KC015 calib.lock_timeout is not such a time.
   Locks: none. */
DECLARE
    v_old text := current_setting('lock_timeout');
    v_setting text := coalesce(nullif(current_setting('calib.lock_timeout', true), ''), '10s');
    v_ms numeric[];
    v_text text;
    v_m text[];
BEGIN
    FOREACH v_text IN ARRAY ARRAY[v_setting, v_old] LOOP
        v_m := regexp_match(v_text, '^\s*([0-9]+(?:\.[0-9]+)?)\s*(us|ms|s|min|h|d)?\s*$');
        IF v_m IS NULL THEN
            /* Only calib.lock_timeout can be malformed: PostgreSQL checked lock_timeout. */
            IF calib._raise('KC015',
                format('calib.lock_timeout must be a time such as ''10s'', ''500ms'' or ''0'' (do not wait), not %L',
                       v_setting),
                jsonb_build_object('kind', 'lock_timeout_setting', 'value', v_setting)) IS NULL THEN END IF;
        END IF;
        v_ms := v_ms || ceil(v_m[1]::numeric * CASE coalesce(v_m[2], 'ms')
            WHEN 'us' THEN 0.001 WHEN 'ms' THEN 1 WHEN 's' THEN 1000 WHEN 'min' THEN 60000
            WHEN 'h' THEN 3600000 ELSE 86400000 END);
    END LOOP;
    /* v_ms[1]: calib.lock_timeout (0: do not wait); v_ms[2]: the session's (0: none). */
    PERFORM set_config('lock_timeout',
        least(greatest(v_ms[1], 1), CASE WHEN v_ms[2] > 0 THEN v_ms[2] END, 2147483647)::bigint
            || 'ms', true);
    RETURN v_old;
END
$$;

CREATE OR REPLACE FUNCTION calib._lock_timeout(p_wait text, p_waiting_for text, p_facts jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The one error of a bounded wait that ran out (calib._bound_waits), raised from the one
   handler shape every wait site has:

       v_old := calib._bound_waits();
       BEGIN
           <the statement that may wait>;
       EXCEPTION WHEN lock_not_available THEN
           IF calib._lock_timeout('<wait>', <what, as text>, <facts>) IS NULL THEN END IF;
       END;
       PERFORM set_config('lock_timeout', v_old, true);

   p_wait names the kind of wait (collection, chain_graph, collection_name,
   dataset_type_name, dimension, data_id, dataset_id); p_waiting_for says what was waited
   for, as the message prints it; p_facts holds the same facts for programs (the
   collection, dataset type, names, data IDs or ids). The DETAIL also carries the bound
   that ran out (lock_timeout, as in effect: the handler runs before it is put back).
   Errors: 55P03 (lock_not_available), always. */
BEGIN
    IF calib._raise('55P03',
        format('lock timeout: gave up after %s waiting for %s; nothing was changed, retry',
               current_setting('lock_timeout'), p_waiting_for),
        coalesce(p_facts, '{}')
            || jsonb_build_object('kind', 'lock_timeout', 'wait', p_wait,
                                  'waiting_for', p_waiting_for,
                                  'lock_timeout', current_setting('lock_timeout'))) IS NULL THEN END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib._lock_collections(p_ids integer[], p_mode text DEFAULT 'write')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* The locking protocol, in one place. A writer locks the rows of the collections it
   changes, FOR NO KEY UPDATE, in ascending collection_id (p_mode 'write'); a copy locks its
   source FOR SHARE (p_mode 'read') so it waits for writers in flight and then sees their
   whole result. Locks are held to the end of the transaction. Chain changes take
   calib._lock_chains() before this. Readers take no locks (MVCC), and FOR NO KEY UPDATE does
   not conflict with the FOR KEY SHARE that foreign-key checks take, so writers of different
   collections never wait for each other.

   The wait is bounded (calib._bound_waits: calib.lock_timeout, or the session's shorter
   lock_timeout); when it runs out, calib._lock_timeout raises 55P03 naming the
   collections. The session's lock_timeout is put back afterwards.
   A collection removed by a transaction that committed while we waited is not locked (the
   row is gone); that is an error, not a silent no-op, so the caller never writes into (or
   copies) a collection that no longer exists. Its name is read before the wait, for the
   message.
   One collection whose row is free now (the usual case) is locked by a first statement
   with SKIP LOCKED: it cannot wait, so it needs neither the names nor the bounded
   lock_timeout, and it halves the cost of a one-dataset certify's locking. A row that is
   locked by another writer, or gone, is skipped and then goes the general way below.
   Errors: 55P03 (lock_not_available, kind lock_timeout) when the wait times out; KC002 a
   collection removed concurrently; KC015 a malformed calib.lock_timeout. */
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
    v_ids := ARRAY(SELECT DISTINCT u FROM unnest(p_ids) AS u ORDER BY 1);
    v_names := ARRAY(SELECT coalesce(c.name, u.id::text)
                     FROM unnest(v_ids) WITH ORDINALITY AS u(id, ord)
                     LEFT JOIN calib.collection AS c ON c.collection_id = u.id
                     ORDER BY u.ord);
    v_old := calib._bound_waits();
    BEGIN
        IF p_mode = 'read' THEN
            PERFORM FROM calib.collection WHERE collection_id = ANY (v_ids)
            ORDER BY collection_id FOR SHARE;
        ELSE
            PERFORM FROM calib.collection WHERE collection_id = ANY (v_ids)
            ORDER BY collection_id FOR NO KEY UPDATE;
        END IF;
        GET DIAGNOSTICS v_n = ROW_COUNT;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection',
            format('the lock on collection %s, held by another transaction', array_to_string(
                ARRAY(SELECT quote_literal(n) FROM unnest(v_names) AS n), ', ')),
            jsonb_build_object('collection', v_names[1], 'collections', to_jsonb(v_names),
                               'mode', CASE p_mode WHEN 'read' THEN 'FOR SHARE'
                                                   ELSE 'FOR NO KEY UPDATE' END)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_n < cardinality(v_ids) THEN
        SELECT v_names[i] INTO v_gone FROM generate_subscripts(v_ids, 1) AS i
        WHERE NOT EXISTS (SELECT FROM calib.collection AS c WHERE c.collection_id = v_ids[i])
        ORDER BY i LIMIT 1;
        IF calib._raise('KC002',
            format('collection %L was removed by a concurrent transaction', v_gone),
            jsonb_build_object('kind', 'collection_removed_concurrently', 'collection', v_gone)) IS NULL THEN END IF;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib._lock_chains()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* Serialises changes of the chain graph (set_chain, remove_collection, copy of a chain) so
   that two concurrent set_chain calls cannot each pass the cycle check and together make a
   cycle. SHARE ROW EXCLUSIVE conflicts with itself and with writes, not with reads.
   Taken before any collection row lock. The wait is bounded (calib._bound_waits) and ends
   with 55P03 (kind lock_timeout, wait chain_graph).
   Errors: 55P03 when the wait times out; KC015 a malformed calib.lock_timeout. */
DECLARE
    v_old text;
BEGIN
    v_old := calib._bound_waits();
    BEGIN
        LOCK TABLE calib.collection_chain IN SHARE ROW EXCLUSIVE MODE;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('chain_graph', 'the chain lock (calib.collection_chain), held by another transaction',
                               '{}') IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
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
   Locks: the new rows of calib.dimension, until the transaction ends; the wait for another
   transaction's new row of the same dimension is bounded (calib._bound_waits; 55P03, kind
   lock_timeout, wait dimension). */
DECLARE
    v_old text;
    v_new boolean;
BEGIN
    IF p_data_ids IS NULL OR NOT EXISTS (
            SELECT FROM unnest(p_type.dimensions) AS d(name)
            WHERE NOT EXISTS (SELECT FROM calib.dimension AS x WHERE x.name = d.name)) THEN
        RETURN false;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
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
        v_new := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('dimension',
            format('another transaction using a dimension of dataset type %L (%s) for the first time',
                   p_type.name, array_to_string(p_type.dimensions, ', ')),
            jsonb_build_object('dataset_type', p_type.name,
                               'dimensions', to_jsonb(p_type.dimensions))) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    RETURN v_new;
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
   Locks: the new name in the unique index collection_name_key: a second transaction
   registering the same new name waits for the first to end, bounded (calib._bound_waits;
   55P03, kind lock_timeout, wait collection_name). */
DECLARE
    v_type text := upper(p_type);
    v_existing text;
    v_old text;
    v_created boolean;
BEGIN
    p_name := normalize(p_name, NFC);  -- names are stored in NFC (calib._check_name)
    IF calib._check_name(p_name, 'collection name') IS NULL THEN END IF;
    IF v_type IS NULL OR v_type NOT IN ('RUN', 'TAGGED', 'CALIBRATION', 'CHAINED') THEN
        IF calib._raise('KC015',
            format('unknown collection type %L; expected RUN, TAGGED, CALIBRATION or CHAINED', p_type),
            jsonb_build_object('kind', 'collection_type_unknown', 'collection', p_name,
                               'type', p_type)) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.collection (name, type, doc) VALUES (p_name, v_type, p_doc)
        ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING;
        v_created := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection_name',
            format('another transaction creating collection %L', p_name),
            jsonb_build_object('collection', p_name)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_created THEN
        RETURN true;
    END IF;
    SELECT type INTO v_existing FROM calib.collection WHERE name = p_name;
    IF v_existing <> v_type THEN
        IF calib._raise('KC010',
            format('collection %L already exists as %s, not %s', p_name, v_existing, v_type),
            jsonb_build_object('kind', 'collection_exists_as', 'collection', p_name,
                               'type', v_existing, 'requested', v_type)) IS NULL THEN END IF;
    END IF;
    RETURN false;
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
   definition; 55P03 (kind lock_timeout) below.
   Locks: the new name in the unique index dataset_type_name_key: a second transaction
   registering the same new name waits for the first to end, bounded (calib._bound_waits;
   55P03, kind lock_timeout, wait dataset_type_name). */
DECLARE
    v_existing calib.dataset_type;
    v_dim text;
    v_old text;
    v_created boolean;
BEGIN
    /* Names are stored in NFC (calib._check_name), the dimension names too. */
    p_name := normalize(p_name, NFC);
    p_dimensions := CASE WHEN p_dimensions IS NOT NULL THEN ARRAY(SELECT normalize(u.d, NFC)
                          FROM unnest(p_dimensions) WITH ORDINALITY AS u(d, ord) ORDER BY u.ord) END;
    IF calib._check_name(p_name, 'dataset type name') IS NULL THEN END IF;
    IF p_dimensions IS NULL OR p_is_calibration IS NULL THEN
        IF calib._raise('KC015', 'dimensions and is_calibration must not be NULL',
                             jsonb_build_object('kind', 'dataset_type_definition_null',
                                                'dataset_type', p_name)) IS NULL THEN END IF;
    END IF;
    FOREACH v_dim IN ARRAY p_dimensions LOOP
        IF calib._check_name(v_dim, 'dimension name') IS NULL THEN END IF;
    END LOOP;
    IF cardinality(p_dimensions) <> (SELECT count(DISTINCT d) FROM unnest(p_dimensions) AS d) THEN
        IF calib._raise('KC015',
            format('dimensions of dataset type %L repeat a name: %s', p_name, p_dimensions),
            jsonb_build_object('kind', 'dimensions_repeated', 'dataset_type', p_name,
                               'dimensions', to_jsonb(p_dimensions))) IS NULL THEN END IF;
    END IF;
    IF cardinality(p_dimensions) > 32 THEN
        IF calib._raise('KC015',
            format('dataset type %L has %s dimensions; at most 32 are allowed', p_name,
                   cardinality(p_dimensions)),
            jsonb_build_object('kind', 'dimensions_count', 'dataset_type', p_name,
                               'count', cardinality(p_dimensions))) IS NULL THEN END IF;
    END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.dataset_type (name, dimensions, is_calibration)
        VALUES (p_name, p_dimensions, p_is_calibration)
        ON CONFLICT ON CONSTRAINT dataset_type_name_key DO NOTHING;
        v_created := FOUND;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('dataset_type_name',
            format('another transaction creating dataset type %L', p_name),
            jsonb_build_object('dataset_type', p_name)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_created THEN
        RETURN true;
    END IF;
    SELECT * INTO v_existing FROM calib.dataset_type WHERE name = p_name;
    IF v_existing.dimensions <> p_dimensions OR v_existing.is_calibration <> p_is_calibration THEN
        IF calib._raise('KC010',
            format('dataset type %L already exists with dimensions %s, is_calibration=%s',
                   p_name, v_existing.dimensions, v_existing.is_calibration),
            jsonb_build_object('kind', 'dataset_type_exists_as', 'dataset_type', p_name,
                               'dimensions', to_jsonb(v_existing.dimensions),
                               'is_calibration', v_existing.is_calibration)) IS NULL THEN END IF;
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
   flight, then copies their complete result); the new row is invisible until commit. A
   destination name that another open transaction is creating: wait for it to end, bounded
   (calib._bound_waits; 55P03, kind lock_timeout, wait collection_name). */
DECLARE
    v_src calib.collection := calib._collection(p_source, ARRAY['TAGGED', 'CALIBRATION', 'CHAINED']);
    v_dst_id integer;
    v_old text;
BEGIN
    p_destination := normalize(p_destination, NFC);  -- names are stored in NFC
    IF calib._check_name(p_destination, 'collection name') IS NULL THEN END IF;
    IF v_src.type = 'CHAINED' THEN
        IF calib._lock_chains() IS NULL THEN END IF;
        /* Look it up again: a concurrent remove may have committed while we waited. */
        v_src := calib._collection(p_source, ARRAY['CHAINED']);
    END IF;
    IF calib._lock_collections(ARRAY[v_src.collection_id], 'read') IS NULL THEN END IF;
    v_old := calib._bound_waits();
    BEGIN
        INSERT INTO calib.collection (name, type, doc)
        VALUES (p_destination, v_src.type, coalesce(p_doc, v_src.doc))
        ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING
        RETURNING collection_id INTO v_dst_id;
    EXCEPTION WHEN lock_not_available THEN
        IF calib._lock_timeout('collection_name',
            format('another transaction creating collection %L', p_destination),
            jsonb_build_object('collection', p_destination, 'source', p_source)) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);
    IF v_dst_id IS NULL THEN
        IF calib._raise('KC010', format('collection %L already exists', p_destination),
                             jsonb_build_object('kind', 'collection_exists',
                                                'collection', p_destination)) IS NULL THEN END IF;
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
   Locks: the run's collection row (calib._lock_collections); then the new data IDs (in
   data_id_type_value_key) and the new dataset ids (dataset_pkey), in sorted order: a
   transaction creating one of them too, still open, makes this call wait for it to end,
   bounded (calib._bound_waits; 55P03, kind lock_timeout, wait data_id or dataset_id, with
   the call's first data IDs / ids). A dimension's first use: see calib._fix_dimensions. */
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
    v_old text;
    v_step text;
BEGIN
    IF p_ids IS NOT NULL AND (cardinality(p_ids) <> cardinality(p_data_ids)
                              OR array_position(p_ids, NULL) IS NOT NULL) THEN
        IF calib._raise('KC015',
            format('%s ids given for %s data IDs (ids must be non-NULL, one per data ID)',
                   cardinality(p_ids), cardinality(p_data_ids)),
            jsonb_build_object('kind', 'ids_count', 'dataset_type', p_dataset_type,
                               'collection', p_run, 'n_ids', cardinality(p_ids),
                               'n_data_ids', cardinality(p_data_ids))) IS NULL THEN END IF;
    END IF;
    v_ids := coalesce(p_ids, ARRAY(SELECT gen_random_uuid() FROM generate_series(1, cardinality(v_values))));

    SELECT u.v INTO v_dup FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
    GROUP BY u.v HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010',
            format('data ID %s of dataset type %L appears more than once in one call', v_dup, p_dataset_type),
            jsonb_build_object('kind', 'data_id_repeated', 'dataset_type', p_dataset_type,
                               'data_id', v_dup, 'collection', p_run)) IS NULL THEN END IF;
    END IF;
    SELECT u.i INTO v_dup_id FROM unnest(v_ids) WITH ORDINALITY AS u(i, ord)
    GROUP BY u.i HAVING count(*) > 1 ORDER BY min(u.ord) LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010', format('dataset id %s appears more than once in one call', v_dup_id),
                             jsonb_build_object('kind', 'dataset_id_repeated', 'dataset', v_dup_id)) IS NULL THEN END IF;
    END IF;

    IF calib._lock_collections(ARRAY[v_run.collection_id]) IS NULL THEN END IF;

    SELECT d.dataset_id INTO v_dup_id FROM calib.dataset AS d WHERE d.dataset_id = ANY (v_ids)
    ORDER BY d.dataset_id LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC010', format('dataset id %s already exists', v_dup_id),
                             jsonb_build_object('kind', 'dataset_id_exists', 'dataset', v_dup_id)) IS NULL THEN END IF;
    END IF;

    /* The new data IDs, then the new datasets: both may wait for another transaction that
       creates the same ones; one bound and one subtransaction for both (v_step says which
       wait ran out). */
    v_old := calib._bound_waits();
    BEGIN
        /* Intern in a fixed order so that concurrent callers cannot deadlock on each
           other's speculative insertions. */
        v_step := 'data_id';
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
            IF calib._raise('KC010',
                format('RUN %L already has a %L dataset with data ID %s', p_run, p_dataset_type, v_dup),
                jsonb_build_object('kind', 'run_data_id_exists', 'collection', p_run,
                                   'dataset_type', p_dataset_type, 'data_id', v_dup)) IS NULL THEN END IF;
        END IF;

        /* In id order too: two calls given the same new ids in opposite orders (into
           different RUNs, so under different collection locks) then meet on the same first
           id, and the later one waits for it and fails (dataset_pkey) instead of deadlocking
           with the other halfway through. */
        v_step := 'dataset_id';
        INSERT INTO calib.dataset (dataset_id, dataset_type_id, data_id_key, run_id)
        SELECT u.id, v_type.dataset_type_id, u.k, v_run.collection_id
        FROM unnest(v_ids, v_keys) AS u(id, k)
        ORDER BY u.id;
    EXCEPTION WHEN lock_not_available THEN
        IF v_step = 'data_id' THEN
            IF calib._lock_timeout('data_id',
                format('another transaction creating a %L data ID of this call (%s data IDs, the first %s)',
                       p_dataset_type, cardinality(v_values), v_values[1]),
                jsonb_build_object('dataset_type', p_dataset_type, 'collection', p_run,
                                   'data_ids', to_jsonb(v_values[1:10]),
                                   'n_data_ids', cardinality(v_values))) IS NULL THEN END IF;
        END IF;
        IF calib._lock_timeout('dataset_id',
            format('another transaction creating a dataset id of this call (%s ids, the first %s)',
                   cardinality(v_ids), v_ids[1]),
            jsonb_build_object('dataset_type', p_dataset_type, 'collection', p_run,
                               'datasets', to_jsonb(v_ids[1:10]),
                               'n_datasets', cardinality(v_ids))) IS NULL THEN END IF;
    END;
    PERFORM set_config('lock_timeout', v_old, true);

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

