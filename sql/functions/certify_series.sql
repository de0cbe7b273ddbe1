CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets uuid[], p_begins timestamptz[], p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Certify a series given by begins only: item i is (p_datasets[i], p_begins[i]); each
   item's end is the next begin of the same calibration key, the last one is unbounded.
   A NULL or -infinity begin means unbounded below. Then exactly as calib.certify.
   Returns the number of certifications stored.
   Errors: as certify; KC001 also for two items of one key with the same begin; KC015
   arrays of different lengths; KC009 a begin of +infinity.
   Locks: the collection row, FOR NO KEY UPDATE. */
DECLARE
    v_replay jsonb;
    v_n integer;
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_begins timestamptz[];
BEGIN
    PERFORM calib._operation('certify_series');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('certify_series');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
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
    v_n := calib._certify_rows(v_coll, p_datasets, v_begins, NULL, true, coalesce(p_close_open, false));
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('certify_series', to_jsonb(v_n));
    END IF;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets jsonb, p_begins jsonb, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify_series with datasets and begins as JSON array documents: UUID strings, and ISO
   8601 instants with a UTC offset (calib._uuids, calib._instants). Same results and errors;
   KC016 for a document that is not such an array, KC009 for a time without an offset. */
SELECT calib.certify_series(p_collection, calib._uuids(p_datasets, 'datasets'),
                            calib._instants(p_begins, 'begins'), p_close_open)
$$;

CREATE OR REPLACE FUNCTION calib.certify_series(
    p_collection text, p_datasets text, p_begins text, p_close_open text DEFAULT 'false')
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify_series with every argument as text: datasets and begins as JSON arrays or
   PostgreSQL array literals (calib._document), close_open a boolean's text. */
SELECT calib.certify_series(
    p_collection,
    calib._uuids(calib._document(p_datasets, 'datasets', false), 'datasets'),
    calib._instants(calib._document(p_begins, 'begins', false), 'begins'),
    calib._parse_boolean(p_close_open, 'close_open'))
$$;
