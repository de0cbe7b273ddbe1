CREATE OR REPLACE FUNCTION calib.explain(p_collection text, p_dataset_type text, p_data_id jsonb, p_at timestamptz, p_as_of bigint DEFAULT NULL)
RETURNS TABLE (rank bigint, member text, member_type text, outcome text, dataset_id uuid,
               timespan tstzrange, epoch bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* Why find(p_collection, p_dataset_type, p_data_id, p_at, p_as_of) answers what it
   answers: one row per member of the collection's search path (as of p_as_of when given),
   in search order. outcome: 'no match' (searched, nothing there), 'match' (the deciding
   member: its dataset), 'ambiguous' (the deciding member holds more than one match, find
   raises KC011: one row per match), 'skipped' (not searched: after the deciding member, or
   a CALIBRATION member when p_at is NULL). On the deciding member's rows: dataset_id,
   timespan (the matching certification's validity; NULL for RUN and TAGGED members) and
   epoch (of the change that created the certification, tag or RUN dataset; NULL for the
   caller's own uncommitted change). The decision is find's own (calib.probe /
   calib._probe_as_of); see calib._explain.
   Arguments: as find; p_as_of an epoch (NULL: now).
   Returns: the rows above, by rank (and, for 'ambiguous', by the matches' begin).
   Errors: as find (KC002, KC005, KC008, KC015), KC015 as_of_range, KC002 for a collection
   that did not exist at p_as_of; never KC011.
   Locks: none; read-only (STABLE), runs on a hot standby. */
BEGIN
    RETURN QUERY SELECT * FROM calib._explain(
        p_collection, p_dataset_type, p_data_id,
        CASE WHEN p_at IS NULL THEN NULL ELSE tstzrange(p_at, p_at, '[]') END, p_as_of);
END
$$;

CREATE OR REPLACE FUNCTION calib.explain(p_collection text, p_dataset_type text, p_data_id jsonb, p_timespan tstzrange, p_as_of bigint DEFAULT NULL)
RETURNS TABLE (rank bigint, member text, member_type text, outcome text, dataset_id uuid,
               timespan tstzrange, epoch bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* explain of find(..., tstzrange): certifications overlapping p_timespan match ([) bounds,
   validated; NULL skips CALIBRATION members). Only a timespan can make a deciding member
   'ambiguous' (certifications of one data ID never overlap within a collection).
   Arguments: as find's timespan form; p_as_of an epoch (NULL: now).
   Returns: as explain(..., timestamptz).
   Errors: as find's timespan form (KC009 for a bad timespan); never KC011.
   Locks: none; read-only. */
BEGIN
    RETURN QUERY SELECT * FROM calib._explain(
        p_collection, p_dataset_type, p_data_id,
        CASE WHEN p_timespan IS NULL THEN NULL ELSE calib._timespan(p_timespan) END, p_as_of);
END
$$;

CREATE OR REPLACE FUNCTION calib.explain(p_collection text, p_dataset_type text, p_data_id text, p_at text, p_as_of text DEFAULT NULL)
RETURNS TABLE (rank bigint, member text, member_type text, outcome text, dataset_id uuid,
               timespan tstzrange, epoch bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* explain with every argument as text (untyped literals, drivers binding text), read as
   find's all-text form reads them: the data ID as JSON text (calib._json_text), p_at an
   instant, or a timespan when it starts with '[' or '(' (or is 'empty'), read strictly;
   p_as_of an epoch in decimal digits, NULL or '' for now (calib._epoch_text).
   Arguments: as above. Returns: as explain(..., timestamptz).
   Errors: as find's all-text form; KC015 epoch_text.
   Locks: none; read-only. */
DECLARE
    v_data_id jsonb := calib._json_text(p_data_id, 'data_id');
    v_as_of bigint := calib._epoch_text(p_as_of, 'as_of');
BEGIN
    IF left(ltrim(p_at, E' \t\r\n'), 1) IN ('[', '(') OR lower(btrim(p_at)) = 'empty' THEN
        RETURN QUERY SELECT * FROM calib.explain(p_collection, p_dataset_type, v_data_id,
                                                 calib._parse_timespan(p_at, 'timespan'), v_as_of);
    ELSE
        RETURN QUERY SELECT * FROM calib.explain(p_collection, p_dataset_type, v_data_id,
                                                 calib._parse_instant(p_at, 'at'), v_as_of);
    END IF;
END
$$;
