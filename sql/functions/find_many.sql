CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find for many (data ID, instant) pairs in one call: one row per pair, in input order
   (ord = 1-based position), NULL dataset where nothing matched. A NULL instant skips
   CALIBRATION members for that pair.
   Errors: as find (KC011 names the first ambiguous pair); KC015 arrays of different
   lengths.
   Locks: none; read-only (STABLE), runs on a hot standby. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN t IS NULL THEN NULL ELSE tstzrange(t, t, '[]') END
                         FROM unnest(p_at) WITH ORDINALITY AS u(t, o) ORDER BY o)) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[])
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find_many(..., timestamptz[]) with a timespan per pair. A timespan that is a single
   instant written [t,t] is accepted as that instant (the Python client sends mixed
   instants and timespans this way); every other span must have [) bounds. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN s IS NULL THEN NULL
                                     WHEN lower_inc(s) AND upper_inc(s) AND lower(s) = upper(s) THEN s
                                     ELSE calib._timespan(s) END
                         FROM unnest(p_timespans) WITH ORDINALITY AS u(s, o) ORDER BY o)) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb, p_at jsonb)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many with the data IDs and the times as JSON array documents: the times are ISO 8601
   instants with a UTC offset, or (when one of them starts with '[' or '(') all timespans
   as range strings; null for no time. Same results and errors as the typed forms; KC016 for
   a document that is not such an array, KC009 for a time without an offset. */
DECLARE
    v_spans boolean;
BEGIN
    v_spans := EXISTS (
        SELECT FROM jsonb_array_elements(calib._document_array(p_at, 'at')) AS u(e)
        WHERE jsonb_typeof(u.e) = 'string' AND left(ltrim(u.e #>> '{}'), 1) IN ('[', '('));
    IF v_spans THEN
        RETURN QUERY SELECT * FROM calib.find_many(p_collection, p_dataset_type,
            calib._data_ids(p_data_ids, 'data_ids'), calib._timespans(p_at, 'at'));
    ELSE
        RETURN QUERY SELECT * FROM calib.find_many(p_collection, p_dataset_type,
            calib._data_ids(p_data_ids, 'data_ids'), calib._instants(p_at, 'at'));
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids text, p_at text)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many with every argument as text: data IDs and times as JSON arrays or PostgreSQL
   array literals (calib._document), then as find_many(text, text, jsonb, jsonb). */
SELECT * FROM calib.find_many(p_collection, p_dataset_type,
                              calib._document(p_data_ids, 'data_ids', true),
                              calib._document(p_at, 'at', false))
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_at timestamptz[], p_as_of bigint)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* find_many as of epoch p_as_of (NULL: now): the answers find gave at that epoch, through
   the chains as they were then.
   Errors: as find_many; KC015 as_of_range. */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN t IS NULL THEN NULL ELSE tstzrange(t, t, '[]') END
                         FROM unnest(p_at) WITH ORDINALITY AS u(t, o) ORDER BY o),
                   p_as_of) AS l
$$;

CREATE OR REPLACE FUNCTION calib.find_many(p_collection text, p_dataset_type text, p_data_ids jsonb[], p_timespans tstzrange[], p_as_of bigint)
RETURNS TABLE (ord bigint, dataset_id uuid, dataset_type text, data_id jsonb, run text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* As find_many(..., tstzrange[]) as of epoch p_as_of (NULL: now). */
SELECT l.ord, l.dataset_id, l.dataset_type, l.data_id, l.run
FROM calib._lookup(p_collection, p_dataset_type, p_data_ids,
                   ARRAY(SELECT CASE WHEN s IS NULL THEN NULL
                                     WHEN lower_inc(s) AND upper_inc(s) AND lower(s) = upper(s) THEN s
                                     ELSE calib._timespan(s) END
                         FROM unnest(p_timespans) WITH ORDINALITY AS u(s, o) ORDER BY o),
                   p_as_of) AS l
$$;
