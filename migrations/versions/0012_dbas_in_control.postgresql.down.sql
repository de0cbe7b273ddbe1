-- FROZEN downgrade of revision 0012, written by migrations/freeze.py from sources/0012_dbas_in_control.postgresql.down.sql.
-- Never edit by hand.
-- The functions this revision re-creates, as the previous revision had them (freeze.py).
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
        IF calib._raise('KC006',
            format('dataset type %L is not a calibration type and cannot be certified', v_name),
            jsonb_build_object('kind', 'not_calibration_certify',
                               'dataset_type', v_name, 'collection', p_coll.name)) IS NULL THEN END IF;
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
            IF calib._raise('KC001',
                format('certify_series into %L: %s data ID %s has two items beginning at %s',
                       p_coll.name, v_conflicts->0->>'dataset_type', v_conflicts->0->'data_id',
                       coalesce(v_conflicts->0->'timespan'->>0, '-infinity')),
                jsonb_build_object('kind', 'series_duplicate_begin',
                                   'collection', p_coll.name, 'conflicts', v_conflicts)) IS NULL THEN END IF;
        END IF;
        v_ends := ARRAY(
            SELECT s.e FROM (
                SELECT u.ord, lead(u.b) OVER (PARTITION BY u.k ORDER BY u.b NULLS FIRST) AS e
                FROM unnest(v_res.o_keys, p_begins) WITH ORDINALITY AS u(k, b, ord)) AS s
            ORDER BY s.ord);
    END IF;

    IF calib._lock_collections(ARRAY[p_coll.collection_id]) IS NULL THEN END IF;

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
        IF calib._raise('KC001',
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
                               'conflicts', coalesce(v_conflicts, '[]'::jsonb))) IS NULL THEN END IF;
    END;
    RETURN v_n;
END
$function$;
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
CREATE OR REPLACE FUNCTION calib.certifications(p_collection text, p_dataset_type text DEFAULT NULL::text)
 RETURNS TABLE(collection text, dataset_id uuid, dataset_type text, data_id jsonb, run text, validity tstzrange)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;
CREATE OR REPLACE FUNCTION calib.certify(p_collection text, p_datasets uuid[], p_timespan tstzrange, p_close_open boolean DEFAULT false)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET plan_cache_mode TO 'force_generic_plan'
AS $function$
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
        IF calib._raise('KC009',
            format('close_open_range in %L needs a finite end, not %s', p_collection, coalesce(p_end::text, 'NULL')),
            jsonb_build_object('kind', 'close_open_range_end', 'collection', p_collection,
                               'dataset_type', p_dataset_type, 'end', p_end::text)) IS NULL THEN END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
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
        IF calib._raise('KC009',
            format('cannot close %L data ID %s in %L at %s: dataset %s begins at %s',
                   p_dataset_type, v_bad.data_id, p_collection, calib._ts_text(p_end),
                   v_bad.dataset_id, calib._ts_text(lower(v_bad.validity))),
            jsonb_build_object('kind', 'close_open_range_begins_after',
                               'collection', p_collection, 'dataset_type', p_dataset_type,
                               'data_id', v_bad.data_id, 'dataset', v_bad.dataset_id,
                               'timespan', calib._span_json(v_bad.validity),
                               'end', calib._ts_text(p_end))) IS NULL THEN END IF;
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
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
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
CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamp with time zone)
 RETURNS TABLE(dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
$function$;
CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamp with time zone[])
 RETURNS TABLE(ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* find for many (data ID, instant) pairs in one call: one row per pair, in input order
   (ord = 1-based position), NULL dataset where nothing matched. A NULL instant skips
   CALIBRATION members for that pair.
   Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different
   lengths. Read-only, STABLE, no locks. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN t IS NULL THEN NULL ELSE tstzrange(t, t, '[]') END
                         FROM unnest(p_at) WITH ORDINALITY AS u(t, o) ORDER BY o)) AS l
$function$;
CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text)
 RETURNS text[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The direct children of CHAINED collection p_parent, in order.
   Errors: KC002 unknown collection, KC003 not CHAINED. Read-only. */
SELECT coalesce(array_agg(c.name ORDER BY ch.position), ARRAY[]::text[])
FROM calib.collection_chain AS ch
JOIN calib.collection AS c ON c.collection_id = ch.child_id
WHERE ch.parent_id = (calib._collection(p_parent, ARRAY['CHAINED'])).collection_id
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
    IF calib._resolve_datasets(p_ids) IS NULL THEN END IF;
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
DROP FUNCTION calib.list_collections(text);
CREATE OR REPLACE FUNCTION calib.list_collections(p_type text DEFAULT NULL::text)
 RETURNS TABLE(name text, type text, doc text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Every collection (optionally of one type), by name. Read-only. */
SELECT c.name, c.type, c.doc
FROM calib.collection AS c
WHERE p_type IS NULL OR c.type = upper(p_type)
ORDER BY c.name
$function$;
CREATE OR REPLACE FUNCTION calib.list_dataset_types()
 RETURNS TABLE(name text, dimensions text[], is_calibration boolean)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Every dataset type, by name. Read-only. */
SELECT t.name, t.dimensions, t.is_calibration FROM calib.dataset_type AS t ORDER BY t.name
$function$;
CREATE OR REPLACE FUNCTION calib.probe(p_collection_id integer, p_data_id_key integer, p_span tstzrange)
 RETURNS TABLE(member_id integer, dataset_id uuid, ambiguous boolean)
 LANGUAGE sql
 STABLE
AS $function$
/* The lookup rule, the one place it is written on PostgreSQL. The collection's stored
   search path (calib.search_path: itself, or a chain's members flattened) is searched in
   rank order and the first member with any match for the data ID key decides: RUN and
   TAGGED members match by data ID for all time, CALIBRATION members by certifications
   overlapping p_span (an instant t is the range [t,t]; a NULL span skips them). One row
   for the deciding member: its dataset, and ambiguous = it has more than one match (the
   caller raises KC011); no row when no member matches.
   Used by calib._lookup, calib._lookup_one and the Python client's prepared find, all of
   which resolve names to ids first and raise the errors. Inline-only: LANGUAGE sql without
   SET search_path, so that PostgreSQL inlines it into the calling statement and plans it
   with that statement's cached plan (a SET clause forbids inlining; the body would then be
   planned again on every call). Its body is therefore parsed under the caller's
   search_path: every name in it is schema-qualified, operators included. SECURITY INVOKER:
   it reads with the caller's own table rights, so granting it to calib_reader and
   calib_writer gives them nothing they cannot SELECT already.
   Per member one probe of each kind, gated by the stored member_type; ARRAY(... LIMIT 2)
   is computed once per member (OFFSET 0 keeps the planner from copying it into each use).
   Read-only, no locks. */
SELECT m.member_id, x.ids[1], x.ids[2] IS NOT NULL
FROM calib.search_path AS m
CROSS JOIN LATERAL (
    SELECT ARRAY(
        SELECT c.dataset_id FROM calib.certification AS c
        WHERE m.member_type OPERATOR(pg_catalog.=) 'CALIBRATION' AND p_span IS NOT NULL
          AND c.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND c.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
          AND c.validity OPERATOR(pg_catalog.&&) p_span
        UNION ALL
        SELECT d.dataset_id FROM calib.dataset AS d
        WHERE m.member_type OPERATOR(pg_catalog.=) 'RUN'
          AND d.run_id OPERATOR(pg_catalog.=) m.member_id
          AND d.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
        UNION ALL
        SELECT t.dataset_id FROM calib.tag AS t
        WHERE m.member_type OPERATOR(pg_catalog.=) 'TAGGED'
          AND t.collection_id OPERATOR(pg_catalog.=) m.member_id
          AND t.data_id_key OPERATOR(pg_catalog.=) p_data_id_key
        LIMIT 2) AS ids
    OFFSET 0) AS x
WHERE m.collection_id OPERATOR(pg_catalog.=) p_collection_id AND x.ids[1] IS NOT NULL
ORDER BY m.rank
LIMIT 1
$function$;
CREATE OR REPLACE FUNCTION calib.query_datasets(p_collection text, p_dataset_type text, p_where jsonb DEFAULT NULL::jsonb)
 RETURNS TABLE(dataset_id uuid, dataset_type text, data_id jsonb, run text)
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
    IF calib._lock_chains() IS NULL THEN END IF;
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_coll := calib._collection(p_name);
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    SELECT p.name INTO v_parent
    FROM calib.collection_chain AS ch JOIN calib.collection AS p ON p.collection_id = ch.parent_id
    WHERE ch.child_id = v_coll.collection_id
    ORDER BY p.name LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC013',
            format('collection %L is still a child of chain %L', p_name, v_parent),
            jsonb_build_object('kind', 'collection_in_chain', 'collection', p_name,
                               'parent', v_parent)) IS NULL THEN END IF;
    END IF;
    IF v_coll.type = 'RUN' AND EXISTS (SELECT FROM calib.dataset WHERE run_id = v_coll.collection_id) THEN
        IF calib._raise('KC013',
            format('RUN collection %L still holds datasets; datasets are never deleted', p_name),
            jsonb_build_object('kind', 'run_has_datasets', 'collection', p_name)) IS NULL THEN END IF;
    END IF;
    DELETE FROM calib.collection WHERE collection_id = v_coll.collection_id;
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
        IF calib._raise('KC015', 'chain children must be a non-NULL array of names',
                             jsonb_build_object('kind', 'chain_children_null',
                                                'collection', p_parent)) IS NULL THEN END IF;
    END IF;
    /* Names are stored in NFC: look the children up by their NFC spelling. */
    p_children := ARRAY(SELECT normalize(u.c, NFC)
                        FROM unnest(p_children) WITH ORDINALITY AS u(c, ord) ORDER BY u.ord);
    IF calib._lock_chains() IS NULL THEN END IF;
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_parent := calib._collection(p_parent, ARRAY['CHAINED']);
    IF calib._lock_collections(ARRAY[v_parent.collection_id]) IS NULL THEN END IF;

    SELECT u.name INTO v_missing
    FROM unnest(p_children) WITH ORDINALITY AS u(name, ord)
    LEFT JOIN calib.collection AS c ON c.name = u.name
    WHERE c.collection_id IS NULL ORDER BY u.ord LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC002',
            format('collection %L (child of chain %L) does not exist', v_missing, p_parent),
            jsonb_build_object('kind', 'chain_child_missing', 'collection', v_missing,
                               'parent', p_parent)) IS NULL THEN END IF;
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
        IF calib._raise('KC004',
            format('making %L a child of chain %L would create a cycle', v_cycle, p_parent),
            jsonb_build_object('kind', 'chain_cycle', 'collection', p_parent, 'child', v_cycle)) IS NULL THEN END IF;
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
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
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
        IF calib._raise('KC010',
            format('TAGGED collection %L can hold only one %L dataset with data ID %s: %s and %s',
                   p_collection, v_bad.type_name, v_bad.data_id, v_bad.id, v_bad.other),
            jsonb_build_object('kind', 'tag_clash', 'collection', p_collection,
                               'dataset_type', v_bad.type_name,
                               'data_id', v_bad.data_id, 'dataset', v_bad.id,
                               'conflicting_dataset', v_bad.other)) IS NULL THEN END IF;
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
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    DELETE FROM calib.tag AS t
    WHERE t.collection_id = v_coll.collection_id AND t.dataset_id = ANY (p_datasets);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$function$;
-- Undo revision 0012 on PostgreSQL (source of versions/0012_dbas_in_control.postgresql.down.sql).
-- freeze.py first puts back every function 0012 re-creates as 0011 had them
-- (list_collections dropped and created again: its old result type) and, after this file,
-- drops the functions 0012 created. Here: the comments 0012 gave the functions 0011 had are
-- removed; list_collections gets its owner back; the FROZEN triggers and the state/writers
-- columns go (states and writer lists are lost); this database's service roles lose every
-- privilege on calibcert's objects, calib.installation goes, and revision 0011's grants
-- come back (calib_reader, and calib_writer holding every mutating function directly;
-- created if missing). Roles are the cluster's: none is dropped.
COMMENT ON FUNCTION calib.certifications(text, text) IS NULL;
COMMENT ON FUNCTION calib.certify(text, uuid[], tstzrange, boolean) IS NULL;
COMMENT ON FUNCTION calib.certify(text, jsonb, tstzrange, boolean) IS NULL;
COMMENT ON FUNCTION calib.certify(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.certify_series(text, uuid[], timestamptz[], boolean) IS NULL;
COMMENT ON FUNCTION calib.certify_series(text, jsonb, jsonb, boolean) IS NULL;
COMMENT ON FUNCTION calib.certify_series(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb[]) IS NULL;
COMMENT ON FUNCTION calib.close_open_range(text, text, timestamptz, jsonb) IS NULL;
COMMENT ON FUNCTION calib.close_open_range(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.copy_collection(text, text, text) IS NULL;
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb[]) IS NULL;
COMMENT ON FUNCTION calib.decertify(text, text, tstzrange, jsonb) IS NULL;
COMMENT ON FUNCTION calib.decertify(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.find(text, text, jsonb, timestamptz) IS NULL;
COMMENT ON FUNCTION calib.find(text, text, jsonb, tstzrange) IS NULL;
COMMENT ON FUNCTION calib.find(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.find(text, text, jsonb, text) IS NULL;
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], timestamptz[]) IS NULL;
COMMENT ON FUNCTION calib.find_many(text, text, jsonb[], tstzrange[]) IS NULL;
COMMENT ON FUNCTION calib.find_many(text, text, jsonb, jsonb) IS NULL;
COMMENT ON FUNCTION calib.find_many(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.get_chain(text) IS NULL;
COMMENT ON FUNCTION calib.get_datasets(uuid[]) IS NULL;
COMMENT ON FUNCTION calib.get_datasets(jsonb) IS NULL;
COMMENT ON FUNCTION calib.get_datasets(text) IS NULL;
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb[], uuid[]) IS NULL;
COMMENT ON FUNCTION calib.insert_datasets(text, text, jsonb, jsonb) IS NULL;
COMMENT ON FUNCTION calib.insert_datasets(text, text, text, text) IS NULL;
COMMENT ON FUNCTION calib.list_collections(text) IS NULL;
COMMENT ON FUNCTION calib.list_dataset_types() IS NULL;
COMMENT ON FUNCTION calib.probe(integer, integer, tstzrange) IS NULL;
COMMENT ON FUNCTION calib.query_datasets(text, text, jsonb) IS NULL;
COMMENT ON FUNCTION calib.query_datasets(text, text, text) IS NULL;
COMMENT ON FUNCTION calib.register_collection(text, text, text) IS NULL;
COMMENT ON FUNCTION calib.register_dataset_type(text, text[], boolean) IS NULL;
COMMENT ON FUNCTION calib.register_dataset_type(text, jsonb, boolean) IS NULL;
COMMENT ON FUNCTION calib.register_dataset_type(text, text, text) IS NULL;
COMMENT ON FUNCTION calib.remove_collection(text) IS NULL;
COMMENT ON FUNCTION calib.set_chain(text, text[]) IS NULL;
COMMENT ON FUNCTION calib.set_chain(text, jsonb) IS NULL;
COMMENT ON FUNCTION calib.set_chain(text, text) IS NULL;
COMMENT ON FUNCTION calib.tag(text, uuid[]) IS NULL;
COMMENT ON FUNCTION calib.tag(text, jsonb) IS NULL;
COMMENT ON FUNCTION calib.tag(text, text) IS NULL;
COMMENT ON FUNCTION calib.untag(text, uuid[]) IS NULL;
COMMENT ON FUNCTION calib.untag(text, jsonb) IS NULL;
COMMENT ON FUNCTION calib.untag(text, text) IS NULL;
ALTER FUNCTION calib.list_collections(text) OWNER TO calib_owner;
REVOKE ALL ON FUNCTION calib.list_collections(text) FROM PUBLIC;
DROP TRIGGER collection_frozen_guard ON calib.collection;
DROP TRIGGER certification_frozen_insert ON calib.certification;
DROP TRIGGER certification_frozen_update ON calib.certification;
DROP TRIGGER certification_frozen_delete ON calib.certification;
DROP TRIGGER tag_frozen_insert ON calib.tag;
DROP TRIGGER tag_frozen_update ON calib.tag;
DROP TRIGGER tag_frozen_delete ON calib.tag;
DROP TRIGGER dataset_frozen_insert ON calib.dataset;
DROP TRIGGER dataset_frozen_update ON calib.dataset;
DROP TRIGGER dataset_frozen_delete ON calib.dataset;
DROP TRIGGER collection_chain_frozen_insert ON calib.collection_chain;
DROP TRIGGER collection_chain_frozen_update ON calib.collection_chain;
DROP TRIGGER collection_chain_frozen_delete ON calib.collection_chain;
DROP TRIGGER certification_frozen_truncate ON calib.certification;
DROP TRIGGER tag_frozen_truncate ON calib.tag;
DROP TRIGGER dataset_frozen_truncate ON calib.dataset;
DROP TRIGGER collection_chain_frozen_truncate ON calib.collection_chain;
DROP TRIGGER collection_frozen_truncate ON calib.collection;
ALTER TABLE calib.collection DROP COLUMN state, DROP COLUMN writers;
DO $$
DECLARE
    v_prefix text := (SELECT i.role_prefix FROM calib.installation AS i);
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY[v_prefix || '_reader', v_prefix || '_certifier',
                                  v_prefix || '_admin'] LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON SCHEMA calib FROM %I', v_role);
        EXECUTE pg_catalog.format('REVOKE ALL ON ALL TABLES IN SCHEMA calib FROM %I', v_role);
        EXECUTE pg_catalog.format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA calib FROM %I', v_role);
    END LOOP;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'calib_reader') THEN
        CREATE ROLE calib_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'calib_writer') THEN
        CREATE ROLE calib_writer NOLOGIN;
    END IF;
END
$$;
DROP TABLE calib.installation;
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
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib._bound_waits();
DROP FUNCTION calib._caller();
DROP FUNCTION calib._check_change(integer,text,integer[],timestamp with time zone[]);
DROP FUNCTION calib._frozen_guard();
DROP FUNCTION calib._lock_timeout(text,text,jsonb);
DROP FUNCTION calib._revision();
DROP FUNCTION calib.check_integrity();
DROP FUNCTION calib.collection_stats();
DROP FUNCTION calib.set_collection_state(text,text);
DROP FUNCTION calib.set_collection_writers(text,jsonb);
DROP FUNCTION calib.set_collection_writers(text,text);
DROP FUNCTION calib.set_collection_writers(text,text[]);
