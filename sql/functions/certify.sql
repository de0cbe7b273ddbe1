CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets uuid[], p_timespan tstzrange, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
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
    v_replay jsonb;
    v_n integer;
    v_id integer;
    v_coll calib.collection;
    v_span tstzrange;
BEGIN
    PERFORM calib._operation('certify');  -- named in the history (revision 0014)
    IF current_setting('calib.request_id', true) <> '' THEN  -- a retried request: its result
        v_replay := calib._request('certify');
        IF v_replay IS NOT NULL THEN
            RETURN (v_replay -> 'result')::integer;
        END IF;
    END IF;
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
                PERFORM calib._request_result('certify', to_jsonb(v_n)) WHERE current_setting('calib.request_id', true) <> '';
                RETURN v_n;
            EXCEPTION WHEN integrity_constraint_violation THEN
                NULL;  -- undone; the general way below raises the precise error
            END;
        END IF;
    END IF;

    v_coll := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_span := calib._timespan(p_timespan);
    v_n := coalesce(cardinality(p_datasets), 0);
    v_n := calib._certify_rows(
        v_coll, p_datasets,
        array_fill(lower(v_span), ARRAY[v_n]), array_fill(upper(v_span), ARRAY[v_n]),
        false, coalesce(p_close_open, false));
    IF current_setting('calib.request_id', true) <> '' THEN  -- for a retry (calib._request)
        PERFORM calib._request_result('certify', to_jsonb(v_n));
    END IF;
    RETURN v_n;
END
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets jsonb, p_timespan tstzrange, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify with the datasets as one JSON array document of UUID strings
   ('["<uuid>", ...]'); the same results and errors, plus KC016 for a document that is not
   such an array (calib._uuids). */
SELECT calib.certify(p_collection, calib._uuids(p_datasets, 'datasets'), p_timespan, p_close_open)
$$;

CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets text, p_timespan text, p_close_open text DEFAULT 'false')
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* certify with every argument as text, the form that untyped literals and drivers binding
   text reach: datasets a JSON array or a PostgreSQL array literal (calib._document), the
   timespan a range of ISO 8601 instants with a UTC offset (calib._parse_timespan: a time
   without one is KC009), close_open a boolean's text. */
SELECT calib.certify(p_collection,
                     calib._uuids(calib._document(p_datasets, 'datasets', false), 'datasets'),
                     calib._parse_timespan(p_timespan, 'timespan'),
                     calib._parse_boolean(p_close_open, 'close_open'))
$$;
