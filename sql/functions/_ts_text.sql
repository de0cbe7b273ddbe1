CREATE OR REPLACE FUNCTION calib._ts_text(p_t timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* An instant as ISO 8601 in UTC with microseconds, independent of the session TimeZone, so
   error details read the same from every session and from the SQLite backend. */
SELECT to_char(p_t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
$$;
