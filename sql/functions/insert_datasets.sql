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
    v_replay jsonb;
BEGIN
    PERFORM calib._operation('insert_datasets');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('insert_datasets');
        IF v_replay IS NOT NULL THEN
            RETURN QUERY SELECT (r.e ->> 'dataset_id')::uuid, r.e -> 'data_id'
                         FROM jsonb_array_elements(v_replay -> 'result') WITH ORDINALITY AS r(e, n)
                         ORDER BY r.n;
            RETURN;
        END IF;
    END IF;
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

    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('insert_datasets', (
            SELECT jsonb_agg(jsonb_build_object('dataset_id', u.id, 'data_id', u.v) ORDER BY u.n)
            FROM unnest(v_ids, v_values) WITH ORDINALITY AS u(id, v, n)));
    END IF;
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
