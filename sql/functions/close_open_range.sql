CREATE OR REPLACE FUNCTION calib.close_open_range(
    p_collection text, p_dataset_type text, p_end timestamptz, p_data_ids jsonb[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Give every certification of p_dataset_type in p_collection whose end is unbounded (only
   those data IDs when p_data_ids is given) the end p_end. Returns how many were closed.
   Errors: KC017/KC018 refused by the writer list / state (calib._check_change),
   KC009 if one of them begins at or after p_end (nothing is changed) or p_end is
   NULL / infinite; KC002/KC003/KC005/KC006/KC008 as decertify.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_replay jsonb;
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_type calib.dataset_type := calib._dataset_type(p_dataset_type, true);
    v_keys integer[] := calib._data_id_keys(v_type, p_data_ids);
    v_bad record;
    v_n integer;
    v_left integer;
BEGIN
    PERFORM calib._operation('close_open_range');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('close_open_range');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
    IF p_end IS NULL OR NOT isfinite(p_end) THEN
        IF calib._raise('KC009',
            format('close_open_range in %L needs a finite end, not %s', p_collection, coalesce(p_end::text, 'NULL')),
            jsonb_build_object('kind', 'close_open_range_end', 'collection', p_collection,
                               'dataset_type', p_dataset_type, 'end', p_end::text)) IS NULL THEN END IF;
    END IF;
    IF calib._lock_collections(ARRAY[v_coll.collection_id]) IS NULL THEN END IF;
    IF calib._check_change(v_coll.collection_id, 'close_open_range') IS NULL THEN END IF;
    /* One statement (revision 0018): the UPDATE closes every open range and leaves one
       that begins at or after p_end as it was, and counts those; only when there is one
       does the query below find the first of them (in the order of the message) and raise
       KC009, which undoes the whole call. The probe that ran before the UPDATE on every
       call (one more scan of the open rows) is gone from the path that succeeds. Open
       ranges all overlap [p_end, infinity): the GiST index narrows the scan. */
    WITH closed AS (
        UPDATE calib.certification AS c
        SET validity = CASE WHEN NOT lower_inf(c.validity) AND lower(c.validity) >= p_end
                            THEN c.validity  -- begins at or after the end: KC009 below
                            ELSE tstzrange(lower(c.validity), p_end, '[)') END,
            created_change = DEFAULT, created_operation = DEFAULT  -- a new version (history)
        WHERE c.collection_id = v_coll.collection_id
          AND c.dataset_type_id = v_type.dataset_type_id
          AND c.validity && tstzrange(p_end, NULL, '[)')
          AND upper_inf(c.validity)
          AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys))
        RETURNING upper_inf(c.validity) AS left_open
    )
    SELECT count(*), count(*) FILTER (WHERE left_open) INTO v_n, v_left FROM closed;
    IF v_left > 0 THEN
        SELECT c.dataset_id, c.validity, di.value AS data_id INTO v_bad
        FROM calib.certification AS c JOIN calib.data_id AS di ON di.data_id_key = c.data_id_key
        WHERE c.collection_id = v_coll.collection_id
          AND c.dataset_type_id = v_type.dataset_type_id
          AND c.validity && tstzrange(p_end, NULL, '[)')
          AND upper_inf(c.validity) AND NOT lower_inf(c.validity) AND lower(c.validity) >= p_end
          AND (v_keys IS NULL OR c.data_id_key = ANY (v_keys))
        ORDER BY lower(c.validity), c.data_id_key
        LIMIT 1;
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
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('close_open_range', to_jsonb(v_n));
    END IF;
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
