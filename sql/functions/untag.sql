CREATE OR REPLACE FUNCTION calib.untag(p_collection text, p_datasets uuid[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Remove datasets from TAGGED collection p_collection; datasets not tagged there are
   ignored. Returns the number removed.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC002/KC003 collection unknown or not TAGGED, KC007 unknown dataset.
   Locks: the collection row. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_collection, ARRAY['TAGGED']);
    v_res record := calib._resolve_datasets(p_datasets);
    v_n integer;
BEGIN
    PERFORM calib._operation('untag');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('untag');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'untag') IS NULL THEN END IF;
    DELETE FROM calib.tag AS t
    WHERE t.collection_id = v_coll.collection_id AND t.dataset_id = ANY (p_datasets);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('untag', to_jsonb(v_n));
    END IF;
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
