CREATE OR REPLACE FUNCTION calib.certify(
    p_collection text, p_datasets uuid[], p_timespan tstzrange, p_close_open boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $$
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
   Locks: the collection row, FOR NO KEY UPDATE (calib._lock_collections). */
DECLARE
    v_coll calib.collection := calib._collection(p_collection, ARRAY['CALIBRATION']);
    v_span tstzrange := calib._timespan(p_timespan);
    v_n integer := cardinality(p_datasets);
BEGIN
    RETURN calib._certify_rows(
        v_coll, p_datasets,
        array_fill(lower(v_span), ARRAY[coalesce(v_n, 0)]),
        array_fill(upper(v_span), ARRAY[coalesce(v_n, 0)]),
        false, coalesce(p_close_open, false));
END
$$;
