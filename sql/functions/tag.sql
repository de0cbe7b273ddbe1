CREATE OR REPLACE FUNCTION calib.tag(p_collection text, p_datasets uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Add datasets to TAGGED collection p_collection. A TAGGED collection holds at most one
   dataset per (dataset type, data ID); tagging a dataset already there is a no-op.
   Returns the number of datasets newly tagged.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset, KC010 another
   dataset of the same type and data ID is tagged already (or in the same call).
   Locks: the collection row. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_collection, ARRAY['TAGGED']);
    v_res record := calib._resolve_datasets(p_datasets);
    v_bad record;
    v_n integer;
BEGIN
    PERFORM calib._operation('tag');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('tag');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
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
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('tag', to_jsonb(v_n));
    END IF;
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
