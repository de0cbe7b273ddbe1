-- FROZEN downgrade of revision 0012, written by migrations/freeze.py from sources/0012_waits.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
CREATE OR REPLACE FUNCTION calib._fix_dimensions(p_type calib.dataset_type, p_data_ids jsonb[])
 RETURNS boolean
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;
CREATE OR REPLACE FUNCTION calib._lock_chains()
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
        IF calib._raise('KC002',
            format('collection %L was removed by a concurrent transaction', v_gone),
            jsonb_build_object('kind', 'collection_removed_concurrently', 'collection', v_gone)) IS NULL THEN END IF;
    END IF;
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
    IF calib._check_name(p_destination, 'collection name') IS NULL THEN END IF;
    IF v_src.type = 'CHAINED' THEN
        IF calib._lock_chains() IS NULL THEN END IF;
        /* Look it up again: a concurrent remove may have committed while we waited. */
        v_src := calib._collection(p_source, ARRAY['CHAINED']);
    END IF;
    IF calib._lock_collections(ARRAY[v_src.collection_id], 'read') IS NULL THEN END IF;
    INSERT INTO calib.collection (name, type, doc)
    VALUES (p_destination, v_src.type, coalesce(p_doc, v_src.doc))
    ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING
    RETURNING collection_id INTO v_dst_id;
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
        IF calib._raise('KC010',
            format('RUN %L already has a %L dataset with data ID %s', p_run, p_dataset_type, v_dup),
            jsonb_build_object('kind', 'run_data_id_exists', 'collection', p_run,
                               'dataset_type', p_dataset_type, 'data_id', v_dup)) IS NULL THEN END IF;
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
    IF calib._check_name(p_name, 'collection name') IS NULL THEN END IF;
    IF v_type IS NULL OR v_type NOT IN ('RUN', 'TAGGED', 'CALIBRATION', 'CHAINED') THEN
        IF calib._raise('KC015',
            format('unknown collection type %L; expected RUN, TAGGED, CALIBRATION or CHAINED', p_type),
            jsonb_build_object('kind', 'collection_type_unknown', 'collection', p_name,
                               'type', p_type)) IS NULL THEN END IF;
    END IF;
    INSERT INTO calib.collection (name, type, doc) VALUES (p_name, v_type, p_doc)
    ON CONFLICT ON CONSTRAINT collection_name_key DO NOTHING;
    IF FOUND THEN
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
    INSERT INTO calib.dataset_type (name, dimensions, is_calibration)
    VALUES (p_name, p_dimensions, p_is_calibration)
    ON CONFLICT ON CONSTRAINT dataset_type_name_key DO NOTHING;
    IF FOUND THEN
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
$function$;
-- Undo revision 0012 on PostgreSQL (source of versions/0012_waits.postgresql.down.sql):
-- freeze.py puts back every function 0012 re-creates as 0011 had them and drops the two it
-- adds (calib._bound_waits, calib._lock_timeout); nothing else changed.
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib._bound_waits();
DROP FUNCTION calib._lock_timeout(text,text,jsonb);
