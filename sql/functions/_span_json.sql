CREATE OR REPLACE FUNCTION calib._ts_text(p_t timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* An instant as ISO 8601 in UTC with microseconds, independent of the session TimeZone, so
   error details read the same from every session and from the SQLite backend. */
SELECT to_char(p_t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
$$;

CREATE OR REPLACE FUNCTION calib._span_json(p_span tstzrange)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* A timespan as the JSON pair [begin, end], null for an unbounded side. */
SELECT jsonb_build_array(calib._ts_text(lower(p_span)), calib._ts_text(upper(p_span)))
$$;

CREATE OR REPLACE FUNCTION calib._span_text(p_span jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* A timespan's JSON pair as people read it in messages: [begin, end), -inf / +inf for an
   unbounded side (the same text as the Python Timespan's str()). */
SELECT format('[%s, %s)', coalesce(p_span->>0, '-inf'), coalesce(p_span->>1, '+inf'))
$$;
