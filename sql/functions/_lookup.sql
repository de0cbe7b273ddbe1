CREATE OR REPLACE FUNCTION calib._lookup(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_spans tstzrange[],
                                         p_as_of bigint DEFAULT NULL)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
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
   p_as_of: answer as of that epoch (checked by calib._as_of): the collection as named
   then, the rule applied by calib._probe_as_of (calib._probe_all_as_of) to the versions
   visible then; NULL (every
   current caller) reads the current tables through calib.probe, unchanged.
   Errors: KC011 when the deciding member of some query has more than one match (the first
   such query in input order); KC002 / KC005 / KC008 / KC015 for bad arguments. Read-only,
   no locks.
   SET jit = off (revision 0017): the planner's cost of a statement here grows with the
   number of queries, and with guessed statistics (right after a bulk certify) a batch of
   10^4 went past jit_optimize_above_cost: 300 ms of LLVM compilation for 200 ms of index
   probes, which JIT cannot speed up (a few expressions per probe). Every statement here, and
   every one the functions it calls run, is planned without JIT (bench/README.md
   "find_many whatever the statistics"; tests/test_lookup_plans.py). */
DECLARE
    v_epoch bigint := calib._as_of(p_as_of);
    v_coll_id integer := CASE WHEN p_as_of IS NULL THEN (calib._collection(p_collection)).collection_id
                              ELSE calib._collection_as_of(p_collection, v_epoch) END;
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
    v_member_id integer;
    v_read_epoch bigint;
    v_root integer;
BEGIN
    IF p_data_ids IS NULL THEN
        IF calib._raise('KC015', 'data IDs must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'data IDs')) IS NULL THEN END IF;
    END IF;
    v_n := cardinality(p_data_ids);
    /* Data IDs to keys: one probe of the unique (type, value) index per query (a LATERAL
       subquery with OFFSET 0 is never flattened into a join). As a plain join, the planner
       hash-joined a scan of the whole data_id table once a batch was a sizeable share of
       it; per-query probes cost the same whatever the table's size and statistics
       (issue 17, tests/test_lookup_plans.py). */
    SELECT array_agg(di.data_id_key ORDER BY u.ord), array_agg(di.value ORDER BY u.ord),
           count(*) FILTER (WHERE di.data_id_key IS NULL)
    INTO v_keys, v_values, v_open
    FROM unnest(p_data_ids) WITH ORDINALITY AS u(v, ord)
    LEFT JOIN LATERAL (SELECT di.data_id_key, di.value FROM calib.data_id AS di
                       WHERE di.dataset_type_id = v_type.dataset_type_id
                         AND di.value = u.v OFFSET 0) AS di ON true;
    IF v_open > 0 THEN
        /* Some data ID is not stored: validate them all (KC008 names the first bad one in
           input order) and look the canonical forms up. */
        v_values := calib._canonical_data_ids(v_type, p_data_ids);
        SELECT array_agg(di.data_id_key ORDER BY u.ord) INTO v_keys
        FROM unnest(v_values) WITH ORDINALITY AS u(v, ord)
        LEFT JOIN LATERAL (SELECT di.data_id_key FROM calib.data_id AS di
                           WHERE di.dataset_type_id = v_type.dataset_type_id AND di.value = u.v
                           OFFSET 0) AS di ON true;
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
    LEFT JOIN LATERAL calib.probe(v_coll_id, u.k, u.span) AS p ON u.k IS NOT NULL
    WHERE v_epoch IS NULL;
    IF v_epoch IS NOT NULL THEN
        SELECT array_agg(p.dataset_id ORDER BY p.ord), array_agg(p.member_id ORDER BY p.ord),
               min(p.ord) FILTER (WHERE p.ambiguous)
        INTO v_ids, v_members, v_pos
        FROM calib._probe_all_as_of(v_coll_id, v_keys, p_spans, v_epoch) AS p;
    END IF;

    IF v_pos IS NOT NULL THEN
        v_span := p_spans[v_pos];
        v_member_id := v_members[v_pos];
        v_read_epoch := v_epoch;
        v_root := v_coll_id;
        IF v_epoch IS NULL THEN
            /* A snapshot member (revision 0014) decided: name the member of its source
               that did, as of the snapshot's epoch. */
            SELECT sp.snapshot_of, sp.snapshot_epoch INTO v_root, v_read_epoch
            FROM calib.search_path AS sp
            WHERE sp.collection_id = v_coll_id AND sp.member_id = v_member_id
              AND sp.snapshot_epoch IS NOT NULL;
            IF FOUND THEN
                SELECT p.member_id INTO v_member_id
                FROM calib._probe_as_of(v_root, v_keys[v_pos], v_span, v_read_epoch) AS p;
            END IF;
        END IF;
        IF v_read_epoch IS NULL THEN
            SELECT mc.name INTO v_member FROM calib.collection AS mc
            WHERE mc.collection_id = v_member_id;
        ELSE
            /* Each member is read at its own epoch (a snapshot's, when reached through one). */
            SELECT a.member_name, a.member_epoch INTO v_member, v_read_epoch
            FROM calib._search_path_as_of(v_root, v_read_epoch) AS a
            WHERE a.member_id = v_member_id
            ORDER BY a.rank LIMIT 1;
        END IF;
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
                'datasets', CASE WHEN v_read_epoch IS NULL THEN
                            (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification AS c
                             JOIN calib.collection AS mc ON mc.collection_id = c.collection_id
                             WHERE mc.name = v_member AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span)
                            ELSE
                            (SELECT jsonb_agg(c.dataset_id ORDER BY lower(c.validity) NULLS FIRST)
                             FROM calib.certification_history AS c
                             WHERE c.collection_id = v_member_id AND c.data_id_key = v_keys[v_pos]
                               AND c.validity && v_span
                               AND calib._visible(c.created_change, c.removed_change, v_read_epoch))
                            END)
            || CASE WHEN lower(v_span) = upper(v_span)
                    THEN jsonb_build_object('at', calib._ts_text(lower(v_span)))
                    ELSE jsonb_build_object('timespan', calib._span_json(v_span)) END) IS NULL THEN END IF;
    END IF;

    /* The RUN of each dataset as a scalar subquery: one primary-key probe per query
       whatever the statistics. As a join, the planner hash-joined a scan of the whole
       dataset table when it had no statistics yet (right after a bulk load; issue 17,
       tests/test_lookup_plans.py). */
    RETURN QUERY
    /* A dataset (or its RUN) that a revert removed since is still named, as of an epoch
       it was there, by its RUN's last name (read only then: coalesce is lazy). */
    SELECT u.ord, u.id, v_type.name, CASE WHEN u.id IS NULL THEN NULL ELSE u.v END,
           coalesce((SELECT r.name FROM calib.dataset AS d
                     JOIN calib.collection AS r ON r.collection_id = d.run_id
                     WHERE d.dataset_id = u.id),
                    CASE WHEN u.id IS NOT NULL THEN (
                        SELECT n.name FROM calib.dataset_version AS dv
                        JOIN calib.collection_version AS n ON n.collection_id = dv.run_id
                        WHERE dv.dataset_id = u.id ORDER BY n.created_change DESC LIMIT 1) END)
    FROM unnest(v_ids, v_values) WITH ORDINALITY AS u(id, v, ord)
    ORDER BY u.ord;
END
$$;
