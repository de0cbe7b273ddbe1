-- FROZEN downgrade of revision 0014, written by migrations/freeze.py from sources/0014_history.postgresql.down.sql.
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
   The collection's writers and state are checked right after its lock
   (calib._check_change, with each item's key and begin for the APPEND_ONLY rule).
   Errors: KC017/KC018 (calib._check_change), KC007 unknown dataset, KC006 not a calibration type, KC001 conflicts (also:
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
    IF calib._check_change(p_coll.collection_id,
                           CASE WHEN p_series THEN 'certify_series' ELSE 'certify' END,
                           v_res.o_keys, p_begins) IS NULL THEN END IF;

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
        IF calib._raise('KC015', 'data IDs must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'data IDs')) IS NULL THEN END IF;
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
        IF calib._raise('KC015',
            format('lookup in %L needs one time (or NULL) per data ID', p_collection),
            jsonb_build_object('kind', 'lookup_times_count', 'collection', p_collection)) IS NULL THEN END IF;
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
        IF calib._raise('KC011',
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
                    ELSE jsonb_build_object('timespan', calib._span_json(v_span)) END) IS NULL THEN END IF;
    END IF;

    RETURN QUERY
    SELECT u.ord, u.id, v_type.name, CASE WHEN u.id IS NULL THEN NULL ELSE u.v END, r.name
    FROM unnest(v_ids, v_values) WITH ORDINALITY AS u(id, v, ord)
    LEFT JOIN calib.dataset AS d ON d.dataset_id = u.id
    LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id
    ORDER BY u.ord;
END
$function$;
CREATE OR REPLACE FUNCTION calib._revision()
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* The schema revision these functions belong to: calib.check_integrity compares it with
   calib.alembic_version. Every later revision re-creates this function with its own number
   (tests/test_health.py fails when an installed database answers another revision than
   calibcert.schema.HEAD_REVISION). */
SELECT '0013'::text
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
   Errors: KC017 caller not a writer, KC018 refused by the collection's state,
   KC002/KC003 collection unknown or not CALIBRATION, KC009 bad timespan, KC007
   unknown dataset, KC006 non-calibration type, KC001 conflict (detail lists every conflict),
   55P03 lock timeout.
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections).

   Two ways, one result. The fast way covers the common case (no close_open, every check
   passes, the collection OPEN with no writer list -- nothing for calib._check_change to
   refuse --, the collection row free to lock now) in two statements: lock the collection row
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
          AND c.state = 'OPEN' AND c.writers IS NULL
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
        IF calib._raise('KC015',
            format('certify_series into %L needs one begin per dataset (%s datasets, %s begins)',
                   p_collection, cardinality(p_datasets), cardinality(p_begins)),
            jsonb_build_object('kind', 'series_begins_count', 'collection', p_collection,
                               'n_datasets', cardinality(p_datasets),
                               'n_begins', cardinality(p_begins))) IS NULL THEN END IF;
    END IF;
    IF 'infinity'::timestamptz = ANY (p_begins) THEN
        IF calib._raise('KC009',
            format('certify_series into %L: a begin of +infinity leaves an empty timespan', p_collection),
            jsonb_build_object('kind', 'series_infinite_begin', 'collection', p_collection)) IS NULL THEN END IF;
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
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC009 if one of them begins at or after p_end (nothing is changed) or p_end is
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
    IF calib._check_change(v_coll.collection_id, 'close_open_range') IS NULL THEN END IF;
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
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection, KC005 unknown type, KC006 not a calibration type, KC009
   bad timespan, KC008 bad data ID.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_span tstzrange := calib._timespan(p_timespan);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    v_n integer;
BEGIN
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'decertify') IS NULL THEN END IF;
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
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 run unknown or not a RUN, KC005 unknown type, KC008 bad data ID
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
    IF calib._check_change(v_run.collection_id, 'insert_datasets') IS NULL THEN END IF;

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
   definition; 55P03 lock timeout (kind lock_timeout).
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
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002 unknown, KC013 still a child of a chain / RUN with datasets.
   Locks: calib._lock_chains(), then the collection row. */
DECLARE
    v_coll calib.collection := calib._collection(p_name);
    v_parent text;
BEGIN
    IF calib._lock_chains() IS NULL THEN END IF;
    /* Look it up again: a concurrent remove may have committed while we waited. */
    v_coll := calib._collection(p_name);
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'remove_collection') IS NULL THEN END IF;
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
CREATE OR REPLACE FUNCTION calib.set_chain(p_parent text, p_children jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* set_chain with the children as one JSON array document of names (calib._names).
   PL/pgSQL, as the typed form, so that both return the same void value. */
BEGIN
    IF calib.set_chain(p_parent, calib._names(p_children, 'children')) IS NULL THEN END IF;
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
    IF calib.set_chain(p_parent, calib._names(calib._document(p_children, 'children', false),
                                                   'children')) IS NULL THEN END IF;
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
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002 unknown parent or child, KC003 parent not CHAINED, KC004 a cycle (the
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
    IF calib._check_change(v_parent.collection_id, 'set_chain') IS NULL THEN END IF;

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
CREATE OR REPLACE FUNCTION calib.set_collection_state(p_name text, p_state text)
 RETURNS text
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Set the state of collection p_name: OPEN (every change allowed, the default), APPEND_ONLY
   (certify only at or after the latest begin of each calibration key, tag, insert_datasets,
   close_open and close_open_range; no decertify, untag, set_chain or removal) or FROZEN (no
   change at all, from any role, raw SQL included). Case-insensitive. Returns the previous
   state. Unfreezing (FROZEN to OPEN or APPEND_ONLY) is allowed to whoever may call this
   function (calib_admin): it is not itself refused by the state, nor by the writer list,
   which restricts changes of the collection's content, not its administration.
   Errors: KC002 unknown collection, KC015 NULL or unknown state.
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections): waits for the
   writers in flight, and a writer that comes after sees the new state. */
DECLARE
    v_coll calib.collection := calib._collection(p_name);
    v_old text;
BEGIN
    IF p_state IS NULL THEN
        IF calib._raise('KC015', 'collection state must not be NULL',
                        jsonb_build_object('kind', 'argument_null', 'what', 'collection state'))
            IS NULL THEN END IF;
    END IF;
    IF upper(p_state) NOT IN ('OPEN', 'APPEND_ONLY', 'FROZEN') THEN
        IF calib._raise('KC015',
            format('unknown collection state %L; expected OPEN, APPEND_ONLY or FROZEN', p_state),
            jsonb_build_object('kind', 'collection_state_unknown', 'state', p_state,
                               'collection', p_name)) IS NULL THEN END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    SELECT c.state INTO v_old FROM calib.collection AS c
    WHERE c.collection_id = v_coll.collection_id;
    UPDATE calib.collection SET state = upper(p_state)
    WHERE collection_id = v_coll.collection_id AND state <> upper(p_state);
    RETURN v_old;
END
$function$;
CREATE OR REPLACE FUNCTION calib.set_collection_writers(p_name text, p_roles jsonb)
 RETURNS text[]
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* set_collection_writers with the roles as one JSON array document of names (calib._names);
   NULL or JSON null resets to every certifier. */
BEGIN
    RETURN calib.set_collection_writers(p_name, calib._names(p_roles, 'writers'));
END
$function$;
CREATE OR REPLACE FUNCTION calib.set_collection_writers(p_name text, p_roles text)
 RETURNS text[]
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* set_collection_writers with the roles as text: a JSON array or a PostgreSQL array
   literal; NULL resets to every certifier. */
BEGIN
    RETURN calib.set_collection_writers(
        p_name, calib._names(calib._document(p_roles, 'writers', false), 'writers'));
END
$function$;
CREATE OR REPLACE FUNCTION calib.set_collection_writers(p_name text, p_roles text[])
 RETURNS text[]
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
/* Only members of the roles p_roles (directly or through other roles, as pg_has_role
   MEMBER says; a superuser always) may change collection p_name from now on; NULL resets
   to the default, every role allowed to call the mutating functions. A role repeated is
   kept once, at its first position. Roles are stored by name: a role renamed or dropped
   later grants nothing (fail-closed); set the list again. Which role is checked: the
   session's SET ROLE, else its login (calib._caller). Returns the previous list (NULL for
   the default). Allowed on a FROZEN collection: the list is the collection's
   administration, not its content.
   Errors: KC002 unknown collection; KC015 an empty list, a NULL element, a role that does
   not exist.
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections). */
DECLARE
    v_coll calib.collection := calib._collection(p_name);
    v_missing text;
    v_old text[];
BEGIN
    IF p_roles IS NOT NULL THEN
        IF cardinality(p_roles) = 0 OR array_position(p_roles, NULL) IS NOT NULL THEN
            IF calib._raise('KC015',
                format('writers of %L must be NULL (every certifier) or a non-empty list of role names',
                       p_name),
                jsonb_build_object('kind', 'writers_invalid', 'collection', p_name))
                IS NULL THEN END IF;
        END IF;
        SELECT u.r INTO v_missing FROM unnest(p_roles) WITH ORDINALITY AS u(r, ord)
        WHERE NOT EXISTS (SELECT FROM pg_roles AS g WHERE g.rolname = u.r)
        ORDER BY u.ord LIMIT 1;
        IF FOUND THEN
            IF calib._raise('KC015',
                format('role %L (writer of %L) does not exist', v_missing, p_name),
                jsonb_build_object('kind', 'role_missing', 'role', v_missing,
                                   'collection', p_name)) IS NULL THEN END IF;
        END IF;
        p_roles := ARRAY(SELECT f.r FROM (SELECT DISTINCT ON (u.r) u.r, u.ord
                                          FROM unnest(p_roles) WITH ORDINALITY AS u(r, ord)
                                          ORDER BY u.r, u.ord) AS f
                         ORDER BY f.ord);
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    SELECT c.writers INTO v_old FROM calib.collection AS c
    WHERE c.collection_id = v_coll.collection_id;
    UPDATE calib.collection SET writers = p_roles WHERE collection_id = v_coll.collection_id;
    RETURN v_old;
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
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another
   dataset of the same type and data ID is tagged already (or in the same call).
   Locks: the collection row. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['TAGGED']);
    v_res record := calib._resolve_datasets(p_datasets);
    v_bad record;
    v_n integer;
BEGIN
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'tag') IS NULL THEN END IF;
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
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.
   Locks: the collection row. */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['TAGGED']);
    v_res record := calib._resolve_datasets(p_datasets);
    v_n integer;
BEGIN
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'untag') IS NULL THEN END IF;
    DELETE FROM calib.tag AS t
    WHERE t.collection_id = v_coll.collection_id AND t.dataset_id = ANY (p_datasets);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$function$;
-- Undo revision 0014 on PostgreSQL (source of versions/0014_history.postgresql.down.sql).
-- freeze.py first puts back every function 0014 re-creates as 0013 had them (the mutating
-- functions without their operation label, calib._lookup with its four arguments) and,
-- after this file, drops the functions 0014 created. Here: the version triggers, the change
-- log, the version tables and the epoch sequence go (the history is lost; the current
-- content is untouched); the four-argument calib._lookup gets its owner back.
DROP TRIGGER certification_versions_statement ON calib.certification;
DROP TRIGGER certification_versions_row ON calib.certification;
DROP TRIGGER certification_versions_update ON calib.certification;
DROP TRIGGER certification_versions_delete ON calib.certification;
DROP TRIGGER certification_versions_truncate ON calib.certification;
DROP TRIGGER collection_versions_insert ON calib.collection;
DROP TRIGGER collection_versions_update ON calib.collection;
DROP TRIGGER collection_versions_delete ON calib.collection;
DROP TRIGGER collection_versions_truncate ON calib.collection;
DROP TRIGGER collection_chain_versions_insert ON calib.collection_chain;
DROP TRIGGER collection_chain_versions_update ON calib.collection_chain;
DROP TRIGGER collection_chain_versions_delete ON calib.collection_chain;
DROP TRIGGER collection_chain_versions_truncate ON calib.collection_chain;
DROP TRIGGER tag_versions_insert ON calib.tag;
DROP TRIGGER tag_versions_update ON calib.tag;
DROP TRIGGER tag_versions_delete ON calib.tag;
DROP TRIGGER tag_versions_truncate ON calib.tag;
DROP TRIGGER dataset_versions_insert ON calib.dataset;
DROP TRIGGER dataset_versions_update ON calib.dataset;
DROP TRIGGER dataset_versions_delete ON calib.dataset;
DROP TRIGGER dataset_versions_truncate ON calib.dataset;
DROP VIEW calib.certification_history;
ALTER TABLE calib.certification DROP COLUMN created_change, DROP COLUMN created_operation;
DROP TABLE calib.collection_version, calib.chain_version, calib.certification_version,
    calib.tag_version, calib.dataset_version, calib.change;
DROP SEQUENCE calib.epoch_seq;
-- calib._lookup was dropped and created again with p_as_of: the restored four-argument form
-- gets its owner back, and PUBLIC loses what CREATE FUNCTION gave it.
ALTER FUNCTION calib._lookup(text, text, jsonb[], tstzrange[]) OWNER TO calib_owner;
REVOKE ALL ON FUNCTION calib._lookup(text, text, jsonb[], tstzrange[]) FROM PUBLIC;
-- The functions this revision creates (freeze.py).
DROP FUNCTION calib._as_of(bigint);
DROP FUNCTION calib._certification_statement();
DROP FUNCTION calib._change();
DROP FUNCTION calib._collection_as_of(text,bigint,text[]);
DROP FUNCTION calib._current_operation();
DROP FUNCTION calib._epoch_text(text,text);
DROP FUNCTION calib._lookup(text,text,jsonb[],tstzrange[],bigint);
DROP FUNCTION calib._operation(text);
DROP FUNCTION calib._probe_all_as_of(integer,integer[],tstzrange[],bigint);
DROP FUNCTION calib._probe_as_of(integer,integer,tstzrange,bigint);
DROP FUNCTION calib._record_versions();
DROP FUNCTION calib._search_path_as_of(integer,bigint);
DROP FUNCTION calib._stamp_epoch();
DROP FUNCTION calib._stamp_row();
DROP FUNCTION calib._visible(bigint,bigint,bigint);
DROP FUNCTION calib.certifications(text,text,bigint);
DROP FUNCTION calib.current_epoch();
DROP FUNCTION calib.epoch_at(text);
DROP FUNCTION calib.epoch_at(timestamp with time zone);
DROP FUNCTION calib.find(text,text,jsonb,text,bigint);
DROP FUNCTION calib.find(text,text,jsonb,timestamp with time zone,bigint);
DROP FUNCTION calib.find(text,text,jsonb,tstzrange,bigint);
DROP FUNCTION calib.find(text,text,text,text,text);
DROP FUNCTION calib.find_many(text,text,jsonb[],timestamp with time zone[],bigint);
DROP FUNCTION calib.find_many(text,text,jsonb[],tstzrange[],bigint);
DROP FUNCTION calib.get_chain(text,bigint);
DROP FUNCTION calib.history(text,text,jsonb,bigint,bigint);
DROP FUNCTION calib.history(text,text,text,text,text);
