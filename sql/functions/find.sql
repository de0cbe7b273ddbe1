CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $$
/* The dataset of p_dataset_type with data ID p_data_id found by searching p_collection
   (chains flattened, in order) at instant p_at: the first member with any match decides;
   CALIBRATION members match certifications whose timespan contains p_at. NULL p_at skips
   CALIBRATION members. No row when nothing matches.
   Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002,
   KC005, KC008. Read-only, STABLE, no locks: runs on a hot standby. */
SELECT l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, ARRAY[p_data_id],
                   ARRAY[CASE WHEN p_at IS NULL THEN NULL ELSE tstzrange(p_at, p_at, '[]') END]) AS l
WHERE l.dataset_id IS NOT NULL
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $$
/* As find(..., timestamptz), matching certifications that overlap p_timespan ([) bounds,
   validated; NULL skips CALIBRATION members). */
SELECT l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, ARRAY[p_data_id],
                   ARRAY[CASE WHEN p_timespan IS NULL THEN NULL ELSE calib._timespan(p_timespan) END]) AS l
WHERE l.dataset_id IS NOT NULL
$$;
