CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The dataset of p_dataset_type with data ID p_data_id found by searching p_collection
   (chains flattened, in order) at instant p_at: the first member with any match decides;
   CALIBRATION members match certifications whose timespan contains p_at. NULL p_at skips
   CALIBRATION members. No row when nothing matches.
   Errors: KC011 ambiguous (more than one certification in the deciding collection), KC002,
   KC005, KC008.
   Locks: none; read-only (STABLE), runs on a hot standby.

   PL/pgSQL rather than SQL only so that the statement's plan is cached per session (a
   SECURITY DEFINER SQL function is planned again on every call). */
DECLARE
    v record;
BEGIN
    v := calib._lookup_one(p_collection, p_dataset_type, p_data_id,
                           CASE WHEN p_at IS NULL THEN NULL ELSE tstzrange(p_at, p_at, '[]') END);
    IF v.dataset_id IS NOT NULL THEN
        dataset_id := v.dataset_id;
        dataset_type := v.dataset_type;
        data_id := v.data_id;
        run := v.run;
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find(..., timestamptz), matching certifications that overlap p_timespan ([) bounds,
   validated; NULL skips CALIBRATION members). */
DECLARE
    v record;
BEGIN
    v := calib._lookup_one(p_collection, p_dataset_type, p_data_id,
                           CASE WHEN p_timespan IS NULL THEN NULL ELSE calib._timespan(p_timespan) END);
    IF v.dataset_id IS NOT NULL THEN
        dataset_id := v.dataset_id;
        dataset_type := v.dataset_type;
        data_id := v.data_id;
        run := v.run;
        RETURN NEXT;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id text, p_at text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find with every argument as text, the form untyped literals and drivers binding text
   reach (with two typed forms for p_at, an untyped call would be "not unique"): the data ID
   as JSON text (calib._json_text), p_at an instant, or a timespan when it starts with '['
   or '(' (or is 'empty'), read strictly by calibcert (calib._parse_instant /
   calib._parse_timespan: a time without a UTC offset is KC009). Then exactly the typed
   find. */
BEGIN
    RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type,
                                          calib._json_text(p_data_id, 'data_id'), p_at);
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find with a typed data ID and p_at as text (an untyped time next to a jsonb data ID):
   an instant, or a timespan when it starts with '[' or '(' (or is 'empty'), read strictly
   (calib._parse_instant / calib._parse_timespan). Then exactly the typed find. */
BEGIN
    IF left(ltrim(p_at, E' \t\r\n'), 1) IN ('[', '(') OR lower(btrim(p_at)) = 'empty' THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_timespan(p_at, 'timespan'));
    ELSE
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_instant(p_at, 'at'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz, p_as_of bigint)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* find as of epoch p_as_of (calib.current_epoch(), calib.epoch_at()): the answer find
   gave at that epoch, through the chains and collections as they were then (a collection
   removed or renamed since is found by the name it had). NULL p_as_of is find now (the
   four-argument form, unchanged). Generic plans (plan_cache_mode): planned once per session;
   custom plans of calib._lookup's statements were made again on every call (1.1 ms instead
   of 0.55 ms per find as of an epoch).
   Errors: as find; KC015 as_of_range (negative, or beyond the current epoch); KC002 for a
   collection that did not exist at that epoch. */
BEGIN
    IF p_as_of IS NULL THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id, p_at);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT l.dataset_id, l.dataset_type, l.data_id, l.run
    FROM calib._lookup(p_collection, p_dataset_type, ARRAY[p_data_id],
                       ARRAY[CASE WHEN p_at IS NOT NULL THEN tstzrange(p_at, p_at, '[]') END],
                       p_as_of) AS l
    WHERE l.dataset_id IS NOT NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange, p_as_of bigint)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* As find(..., tstzrange) as of epoch p_as_of (NULL: now). */
BEGIN
    IF p_as_of IS NULL THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id, p_timespan);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT l.dataset_id, l.dataset_type, l.data_id, l.run
    FROM calib._lookup(p_collection, p_dataset_type, ARRAY[p_data_id],
                       ARRAY[CASE WHEN p_timespan IS NULL THEN NULL ELSE calib._timespan(p_timespan) END],
                       p_as_of) AS l
    WHERE l.dataset_id IS NOT NULL;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id jsonb, p_at text, p_as_of bigint)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* find(..., jsonb, text) as of epoch p_as_of (NULL: now): p_at an instant, or a timespan
   when it starts with '[' or '(' (or is 'empty'), read strictly. */
BEGIN
    IF left(ltrim(p_at, E' \t\r\n'), 1) IN ('[', '(') OR lower(btrim(p_at)) = 'empty' THEN
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_timespan(p_at, 'timespan'), p_as_of);
    ELSE
        RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type, p_data_id,
                                              calib._parse_instant(p_at, 'at'), p_as_of);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find(p_collection text, p_dataset_type text, p_data_id text, p_at text, p_as_of text)
RETURNS TABLE (dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
/* find as of an epoch with every argument as text (drivers binding text): p_as_of an epoch
   in decimal digits, or NULL / '' for now (calib._epoch_text). Then exactly the typed form.
   Errors: as find; KC015 epoch_text for an epoch that is not a decimal integer. */
BEGIN
    RETURN QUERY SELECT * FROM calib.find(p_collection, p_dataset_type,
                                          calib._json_text(p_data_id, 'data_id'), p_at,
                                          calib._epoch_text(p_as_of, 'as_of'));
END
$$;
